"""Realistic signed evidence for the central service's tests and benchmark.

Identities come from the vendored real dmidecode outputs (maker, product, serial) and
disks from real smartctl JSON outputs (model, serial, capacity, hours, health), so the
reports carry the strings real machines send (odd spacing, long serials, OEM junk).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_agent.model import to_json
from bench_agent.model.common import Text
from bench_agent.model.grade import Grade, RuleHit
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Cpu, Disk, Identity, Inventory, Memory
from bench_agent.model.report import (
    BenchInfo,
    ErasureSummary,
    FunctionalTest,
    UnitIdentity,
    UnitReport,
)
from wipe.signing import BenchKey

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@dataclass(frozen=True)
class Machine:
    source: str
    maker: str
    product: str
    serial: str


@dataclass(frozen=True)
class Drive:
    source: str
    model: str
    serial: str
    capacity_bytes: int | None
    power_on_hours: int | None
    passed: bool | None
    rotational: bool | None


def _section(text: str, title: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if line.strip() == title:
            inside = True
            continue
        if inside:
            if not line.startswith("\t"):
                if fields:
                    break
                continue
            key, _, value = line.strip().partition(":")
            fields.setdefault(key.strip(), value.strip())
    return fields


def machines(corpus: Path = CORPUS) -> list[Machine]:
    """Every corpus dmidecode output with a usable system serial."""
    found = []
    for path in sorted((corpus / "dmidecode").glob("*.txt")):
        info = _section(path.read_text(encoding="utf-8", errors="replace"), "System Information")
        serial = info.get("Serial Number", "")
        if not serial or re.fullmatch(r"[-\s]*|Not Specified|To Be Filled.*|0+", serial):
            continue
        found.append(
            Machine(path.name, info.get("Manufacturer", "?"), info.get("Product Name", "?"), serial)
        )
    return found


def drives(corpus: Path = CORPUS) -> list[Drive]:
    found = []
    for path in sorted((corpus / "smartctl" / "json").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not data.get("serial_number") or not data.get("model_name"):
            continue
        capacity = (data.get("user_capacity") or {}).get("bytes")
        hours = (data.get("power_on_time") or {}).get("hours")
        rotation = data.get("rotation_rate")
        found.append(
            Drive(
                path.name,
                data["model_name"],
                data["serial_number"],
                capacity if isinstance(capacity, int) else None,
                hours if isinstance(hours, int) else None,
                (data.get("smart_status") or {}).get("passed"),
                None if rotation is None else bool(rotation),
            )
        )
    return found


def unit_report(
    machine: Machine,
    drive: Drive,
    *,
    bench_id: str,
    site: str = "GR",
    id_esn: str | None = None,
    certificate_id: str | None = None,
    category: str = "B",
    report_id: str | None = None,
    revision: int = 1,
    erasure_result: str = "ERASED",
) -> UnitReport:
    key = f"{machine.maker}|{machine.product}|{machine.serial}".lower()
    erasures = []
    if certificate_id:
        erasures.append(
            ErasureSummary(
                certificate_id=certificate_id,
                device="/dev/sda",
                disk_model=drive.model,
                disk_serial=drive.serial,
                method="nvme-sanitize-crypto",
                level="purge",
                result=erasure_result,  # type: ignore[arg-type]
                started_at="2026-11-20T09:00:00Z",
                finished_at="2026-11-20T09:02:10Z",
                verification="sampled 1%",
            )
        )
    return UnitReport(
        report_id=report_id or str(uuid.uuid4()),
        revision=revision,
        created_at="2026-11-20T09:05:00Z",
        unit=UnitIdentity(
            key=key,
            basis="system_serial",
            maker=machine.maker,
            model=machine.product,
            serial=machine.serial,
            asset_tag=id_esn,
        ),
        bench=BenchInfo(bench_id=bench_id, agent_version="0.1.0", site=site, technician="Camille"),
        inventory=Inventory(
            identity=Identity(
                maker=machine.maker,
                product_name=machine.product,
                model=machine.product,
                serial=machine.serial,
                form_factor="laptop",
                chassis_type="Notebook",
            ),
            cpu=Cpu(model_name="Intel(R) Core(TM) i5-4300U CPU @ 1.90GHz", cores=2, threads=4),
            memory=Memory(total_bytes=8_254_316_544, source="proc"),
            disks=[
                Disk(
                    name="sda",
                    path="/dev/sda",
                    model=drive.model,
                    serial=drive.serial,
                    capacity_bytes=drive.capacity_bytes,
                    rotational=drive.rotational,
                    media="hdd" if drive.rotational else "ssd",
                    transport="sata",
                )
            ],
        ),
        health=[
            DiskHealth(
                device="/dev/sda",
                model=drive.model,
                serial=drive.serial,
                verdict="OK" if drive.passed else "FAIL",
                power_on_hours=drive.power_on_hours,
                source="smartctl-json",
            )
        ],
        functional_tests=[
            FunctionalTest(name="keyboard", result="pass", by="Camille", at="2026-11-20T09:03:00Z"),
            FunctionalTest(name="screen", result="pass", by="Camille", at="2026-11-20T09:04:00Z"),
        ],
        erasures=erasures,
        cosmetic_grade="B",
        grade=Grade(
            profile="lacollecte",
            profile_version="2024",
            category=category,  # type: ignore[arg-type]
            computed_category=category,  # type: ignore[arg-type]
            note=6,
            rules=[
                RuleHit(
                    rule="ram",
                    contribution=2,
                    value=8,
                    message=Text(fr="RAM 8 Go : 2 points", en="RAM 8 GB: 2 points"),
                )
            ],
        ),
    )


def report_payload(report: UnitReport) -> dict[str, Any]:
    """The JSON object a bench signs (what msgspec encodes)."""
    payload: dict[str, Any] = json.loads(to_json(report, indent=0))
    return payload


def certificate_payload(
    certificate_id: str, drive: Drive, result: str = "ERASED"
) -> dict[str, Any]:
    """An erasure certificate shaped as ``wipe.engine`` writes it (the fields the service
    reads, plus the many it must keep verbatim)."""
    return {
        "schema": "bench-agent/erasure-certificate/1",
        "certificate_id": certificate_id,
        "session_id": "s-" + certificate_id[:8],
        "result": result,
        "dry_run": False,
        "reasons": {"fr": [], "en": []},
        "sanitization": {
            "level": "purge" if result == "ERASED" else None,
            "standard": "NIST SP 800-88 Rev.2 / IEEE 2883-2022" if result == "ERASED" else None,
            "why": "firmware sanitize completed and verified",
        },
        "media": {
            "name": "sda",
            "device_path": "/dev/sda",
            "vendor": None,
            "model": drive.model,
            "serial": drive.serial,
            "size_bytes": drive.capacity_bytes,
            "transport": "sata",
            "rotational": drive.rotational,
            "media": "ssd",
            "backing_file": None,
            "manufacturer": None,
            "asset_tag": None,
            "media_type": "flash",
        },
        "source_computer": {"maker": "LENOVO", "model": "20HRCTO1WW", "serial": "PF0QMY5N"},
        "method": {
            "overwrite": None,
            "firmware": {
                "requested": "ata-sanitize-crypto",
                "method": "ata-sanitize-crypto",
                "completed": result == "ERASED",
            },
            "prng": None,
            "keystream_seed_hex": None,
            "passes": [],
            "resumed_from": None,
        },
        "verification": {
            "mode": "sample",
            "passes": [],
            "bytes_checked": 10_485_760,
            "coverage_percent": 1.0,
            "passed": result == "ERASED",
        },
        "errors": {"count": 0, "ranges": []},
        "bytes_written": 0,
        "device_size_bytes": drive.capacity_bytes,
        "hpa_dco": None,
        "tool": {"name": "bench-agent wipe", "version": "0.1.0"},
        "operator": {"name": "Camille", "role": "technicienne", "site": "GR"},
        "started_at": "2026-11-20T09:00:00Z",
        "ended_at": "2026-11-20T09:02:10Z",
        "duration_s": 130.0,
    }


def sign_certificate(key: BenchKey, payload: dict[str, Any]) -> bytes:
    """Signed as the wipe engine does (section digests added, then the envelope)."""
    from wipe.certificate import sign_certificate as wipe_sign

    return json.dumps(wipe_sign(key, payload), ensure_ascii=False).encode("utf-8")


def signed(key: BenchKey, payload: dict[str, Any]) -> bytes:
    return json.dumps(key.sign(payload), ensure_ascii=False).encode("utf-8")
