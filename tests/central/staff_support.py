"""Shared by the staff pages' tests: units posted the way a bench posts them, a logged-in
page client, many units written straight into the tables for paging and timing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from central_harness import BenchSetup, Running
from central_samples import (
    Drive,
    Machine,
    certificate_payload,
    report_payload,
    sign_certificate,
    signed,
    unit_report,
)
from sqlalchemy import insert, select

from bench_agent import vocabulary
from central_inventory.db import Bench, Report, ReportCertificate, ReportDisk, Unit

INTERNAL_CODES = sorted(
    {
        code
        for kind in ("category", "status", "erasure_result", "erasure_state", "verdict")
        for code in vocabulary.table(kind)
        if len(code) > 2 and code not in {"SUSPECT", "SAV"}  # words too ("En SAV")
    }
    | {"pass", "fail", "n/a", "keyboard", "battery_autonomy", "laptop", "zero", "loop device"}
)
"""Machine codes that must never be visible text on a staff page (data-* attributes,
URLs and CSV columns keep them)."""


def codes_in(text: str) -> list[str]:
    """The internal codes appearing as whole words in a page's visible text."""
    return [c for c in INTERNAL_CODES if re.search(rf"(?<![\w/]){re.escape(c)}(?![\w/])", text)]


@dataclass
class Posted:
    unit_id: int
    id_esn: str
    serial: str
    disk_serial: str
    certificate_id: str
    model: str


def post_unit(
    server: Running,
    bench: BenchSetup,
    machine: Machine,
    drive: Drive,
    *,
    id_esn: str,
    category: str = "B",
    outcome: str = "ERASED",
    batch: str | None = None,
) -> Posted:
    """A certificate then a report, signed and posted through the API as a bench does."""
    certificate_id = str(uuid.uuid4())
    report = unit_report(
        machine,
        drive,
        bench_id=bench.name,
        id_esn=id_esn,
        certificate_id=certificate_id,
        category=category,
        erasure_result=outcome,
    )
    headers = {"Authorization": f"Bearer {bench.token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        cert = client.post(
            "/api/v1/certificates",
            content=sign_certificate(
                bench.key, certificate_payload(certificate_id, drive, outcome)
            ),
        )
        rep = client.post(
            "/api/v1/reports",
            params={"batch": batch} if batch else None,
            content=signed(bench.key, report_payload(report)),
        )
    assert cert.status_code == 201 and rep.status_code == 201, (cert.text, rep.text)
    return Posted(
        rep.json()["unit_id"],
        id_esn,
        machine.serial,
        drive.serial,
        certificate_id,
        machine.product,
    )


@contextmanager
def logged_in(server: Running, token: str) -> Iterator[httpx.Client]:
    """A client holding a page session (cookie), as a browser after the login form."""
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        answer = client.post("/login", data={"token": token, "next": "/units"})
        assert answer.status_code == 303, answer.text
        yield client


def bulk_units(
    server: Running,
    tenant_id: int,
    bench_name: str,
    count: int,
    *,
    prefix: str,
    categories: tuple[str, ...] = ("PREMIUM", "A", "B", "C", "D", "NOT_DISTRIBUTABLE"),
) -> list[tuple[int, str, str]]:
    """``count`` units with one report, one inventoried disk and one listed certificate
    each, written straight into the tables (what ingestion would store): far faster than
    signing and posting thousands. Returns (unit id, idEsn, disk serial)."""
    now = datetime.now(UTC)
    makers = [("Dell Inc.", "Latitude E7450"), ("LENOVO", "ThinkPad T480"), ("HP", "EliteBook 840")]
    statuses = ("A_TRAITER", "EN_COURS_DE_TRAITEMENT", "PRET_A_DISTRIBUER", "NON_REEMPLOYABLE")
    with server.engine.begin() as connection:
        bench_pk = connection.scalar(select(Bench.id).where(Bench.name == bench_name))
        connection.execute(
            insert(Unit),
            [
                {
                    "tenant_id": tenant_id,
                    "unit_key": f"{prefix}-key-{i}",
                    "serial": f"{prefix}SN{i:05d}X",
                    "id_esn": f"{prefix}-{i:05d}",
                    "maker": makers[i % 3][0],
                    "model": makers[i % 3][1],
                    "form_factor": "laptop",
                    "site": "GR",
                    "category": categories[i % len(categories)],
                    "status": statuses[i % len(statuses)],
                    "status_manual": False,
                    "first_seen_at": now - timedelta(minutes=i),
                    "last_report_at": now - timedelta(minutes=i),
                    "latest_version": 1,
                    "erasure_state": "ERASED",
                }
                for i in range(count)
            ],
        )
        ids = dict(
            connection.execute(
                select(Unit.unit_key, Unit.id).where(Unit.unit_key.like(f"{prefix}-key-%"))
            ).all()
        )
        connection.execute(
            insert(Report),
            [
                {
                    "report_id": f"{prefix}-report-{i}",
                    "revision": 1,
                    "head": True,
                    "tenant_id": tenant_id,
                    "unit_id": ids[f"{prefix}-key-{i}"],
                    "bench_id": bench_pk,
                    "version": 1,
                    "reported_at": now.isoformat(),
                    "received_at": now,
                    "category": categories[i % len(categories)],
                    "payload_sha256": "0" * 64,
                    "envelope": "{}",
                    "status_if_erased": None,
                }
                for i in range(count)
            ],
        )
        reports = dict(
            connection.execute(
                select(Report.report_id, Report.id).where(
                    Report.report_id.like(f"{prefix}-report-%")
                )
            ).all()
        )
        disks = [(i, f"WD-{uuid.uuid4().hex[:14].upper()}") for i in range(count)]
        connection.execute(
            insert(ReportDisk),
            [
                {"report_pk": reports[f"{prefix}-report-{i}"], "serial": serial, "required": True}
                for i, serial in disks
            ],
        )
        connection.execute(
            insert(ReportCertificate),
            [
                {
                    "report_pk": reports[f"{prefix}-report-{i}"],
                    "certificate_id": str(uuid.uuid4()),
                    "unit_id": ids[f"{prefix}-key-{i}"],
                }
                for i in range(count)
            ],
        )
    return [(ids[f"{prefix}-key-{i}"], f"{prefix}-{i:05d}", serial) for i, serial in disks]
