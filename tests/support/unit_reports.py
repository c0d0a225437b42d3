"""Unit reports built from the recorded laptops (tests/fixtures/hosts), the way the bench
builds them: inventory from the recorded host, every internal disk erased (one ERASED
certificate each), every functional test passed, graded with the network profile."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path

import msgspec

from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading import (
    TechnicianInput,
    default_cpu_table,
    grade_unit,
    load_cosmetic_scale,
    load_needs,
    load_profile,
)
from bench_agent.grading.engine import internal_disks
from bench_agent.host.recorded import RecordedHost
from bench_agent.inventory import collect_inventory
from bench_agent.model import to_json
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Inventory
from bench_agent.model.report import ErasureSummary, FunctionalTest, UnitReport
from bench_agent.unit import build_report

HOSTS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts"
VERIFY_BASE = "https://inventaire.lacollecte.example"


def certificate_id(report_id: str, disk: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{report_id}/{disk}"))


@functools.cache
def _inventory(host: str) -> bytes:
    return to_json(collect_inventory(RecordedHost(HOSTS / host)))


def host_report(
    host: str,
    *,
    asset_tag: str | None = "GRPC25-0322",
    erased: bool = True,
    graded: bool = True,
    report_id: str | None = None,
) -> UnitReport:
    inventory = msgspec.json.decode(_inventory(host), type=Inventory)  # a fresh copy each time
    report = build_report(inventory, asset_tag=asset_tag)
    if report_id:
        report.report_id = report_id
    report.created_at = "2026-11-26T09:05:00Z"
    disks = internal_disks(report)
    report.health = [
        DiskHealth(device=d.path, model=d.model, serial=d.serial, verdict="OK") for d in disks
    ]
    if erased:
        report.erasures = [
            ErasureSummary(
                certificate_id=certificate_id(report.report_id, d.name),
                device=d.path,
                disk_model=d.model,
                disk_serial=d.serial,
                method="nvme-sanitize-crypto" if d.transport == "nvme" else "overwrite-1",
                level="purge" if d.transport == "nvme" else "clear",
                result="ERASED",
                started_at="2026-11-26T09:00:00Z",
                finished_at="2026-11-26T09:02:10Z",
            )
            for d in disks
        ]
    report.functional_tests = [
        FunctionalTest(name=t.name, result="pass", at="2026-11-26T08:50:00Z") for t in CATALOGUE
    ]
    if graded:
        scale = load_cosmetic_scale()
        report.grade = grade_unit(
            report,
            load_profile("network-2024"),
            default_cpu_table(),
            needs=load_needs(),
            technician=TechnicianInput(0, 0, "A"),
            cosmetic_codes=[g.code for g in scale.grades],
        )
    return report
