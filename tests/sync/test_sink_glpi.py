"""GLPI native inventory from our reports: every document made from the recorded laptops
and the corpus (EDID blobs, smartctl drives) validates against GLPI's inventory_format
schema, and the sink posts it to a loopback GLPI stand-in that validates it too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench_agent.model.inventory import Disk, Display
from bench_agent.probes.edid import parse_edid
from bench_agent.sync.sinks.glpi import GlpiSink, glpi_inventory
from tests.central.central_samples import drives
from tests.support.glpi_server import SCHEMA_FILE, GlpiServer, validator
from tests.support.tectech_emulator import closed_port
from tests.support.unit_reports import HOSTS, host_report
from tests.sync.test_sink_tectech import document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
HOST_NAMES = sorted(p.name for p in HOSTS.iterdir() if (p / "host.json").is_file())
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def undeclared_keys(document: dict[str, Any]) -> list[str]:
    """Keys the schema does not declare (its sub-objects allow any key: we must not
    rely on that, or GLPI would silently drop what we send)."""
    found = [k for k in document if k not in SCHEMA["properties"]]
    declared = SCHEMA["properties"]["content"]["properties"]
    for section, value in document.get("content", {}).items():
        if section not in declared:
            found.append(section)
            continue
        spec = declared[section]
        spec = spec.get("items", spec)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, dict):
                found += [f"{section}.{k}" for k in entry if k not in spec.get("properties", {})]
    return found


def check(document: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(document)]
    assert errors == []
    assert undeclared_keys(document) == []


@pytest.mark.parametrize("host", HOST_NAMES)
def test_every_recorded_laptop_validates(host: str) -> None:
    report = host_report(host, graded=False)
    document = glpi_inventory(report)
    check(document)
    content = document["content"]
    inv = report.inventory
    if inv.identity.serial:
        assert content["bios"]["ssn"] == inv.identity.serial
    for disk in inv.disks:
        if not disk.boot_medium and disk.serial:
            assert {"name": disk.name, "serial": disk.serial}.items() <= next(
                s for s in content["storages"] if s["name"] == disk.name
            ).items()
    for bat, entry in zip(inv.batteries, content.get("batteries", []), strict=True):
        if bat.design_wh is not None:
            assert entry["capacity"] == round(bat.design_wh * 1000)
    if inv.memory.dimms:
        assert len(content["memories"]) == len(inv.memory.dimms)


def test_battery_design_and_real_capacity_in_mwh() -> None:
    content = glpi_inventory(host_report("Dell_XPS_13_9350", graded=False))["content"]
    assert content["batteries"] == [
        {
            "name": "DELL JHXPY53",
            "manufacturer": "SMP",
            "serial": "3682",
            "chemistry": "Li-poly",
            "capacity": 57530,
            "real_capacity": 53410,
        }
    ]
    assert content["bios"]["mmodel"] == "07TYC2" and content["hardware"]["memory"] == 8192


@pytest.mark.parametrize("blob", sorted((CORPUS / "edid").glob("*.bin")), ids=lambda p: p.stem)
def test_monitors_from_every_corpus_edid_validate(blob: Path) -> None:
    info = parse_edid(blob.read_bytes())
    report = host_report("Lenovo_ThinkPad_X1_Carbon_5th_live", graded=False)
    report.inventory.displays = [
        Display(
            connector="eDP-1" if blob.name.startswith("lcd.") else "HDMI-A-1",
            internal=blob.name.startswith("lcd."),
            maker_code=info.maker_code,
            maker=info.maker,
            model=info.model,
            product_code=info.product_code,
            year=info.year,
            edid_valid=info.valid,
        )
    ]
    document = glpi_inventory(report)
    check(document)
    if info.valid:
        [monitor] = document["content"]["monitors"]
        assert monitor["manufacturer"] == (info.maker or info.maker_code)


def test_storages_from_every_corpus_smartctl_drive_validate() -> None:
    report = host_report("Lenovo_ThinkPad_X1_Carbon_5th_live", graded=False)
    corpus = drives()
    report.inventory.disks = [
        Disk(
            name=f"sd{chr(97 + i)}",
            path=f"/dev/sd{chr(97 + i)}",
            model=d.model,
            serial=d.serial,
            capacity_bytes=d.capacity_bytes,
            media="hdd" if d.rotational else "ssd",
            transport="sata",
        )
        for i, d in enumerate(corpus)
    ]
    document = glpi_inventory(report)
    check(document)
    assert [s["serial"] for s in document["content"]["storages"]] == [d.serial for d in corpus]


def test_the_schema_check_catches_a_wrong_type() -> None:
    document = glpi_inventory(host_report("Dell_XPS_13_9350", graded=False))
    document["content"]["hardware"]["memory"] = "8 Go"
    with pytest.raises(AssertionError):
        check(document)
    document = glpi_inventory(host_report("Dell_XPS_13_9350", graded=False))
    document["content"]["bios"]["tpm"] = "2.0"
    with pytest.raises(AssertionError):
        check(document)


def test_the_sink_posts_to_glpi_and_glpi_keeps_it() -> None:
    with GlpiServer() as glpi:
        sink = GlpiSink(glpi.url, timeout_s=(2.0, 2.0))
        report = host_report("Lenovo_ThinkPad_X1_Carbon_5th_live")
        delivery = sink.deliver(document(report))
        assert delivery.outcome == "sent" and delivery.status == 200
        assert glpi.received == [glpi_inventory(report)]
        assert sink.deliver(document(report)).outcome == "sent"  # a resend is an update
        cert = sink.deliver(type(document(report))("certificate", "c", "c", None, b"{}"))
        assert cert.outcome == "skipped"


def test_glpi_faults_are_retry_and_a_refused_inventory_rejected() -> None:
    report = host_report("Dell_XPS_13_9350")
    with GlpiServer() as glpi:
        glpi.fail_status = 503
        delivery = GlpiSink(glpi.url, timeout_s=(2.0, 2.0)).deliver(document(report))
        assert delivery.outcome == "retry" and delivery.status == 503
        glpi.fail_status = None
        wrong = GlpiSink(glpi.url.replace("/front/inventory.php", "/nowhere"))
        refused = wrong.deliver(document(report))
        assert refused.outcome == "rejected" and refused.reason is not None
        assert "HTTP 404" in refused.reason.fr
    down = GlpiSink(f"http://127.0.0.1:{closed_port()}/front/inventory.php")
    assert down.deliver(document(report)).outcome == "retry"
