"""One complete laptop through the pipeline: inventory + health → UnitReport → grade.

The fixture (tests/fixtures/hosts/Lenovo_ThinkPad_X1_Carbon_5th_live, built by
tests/fixtures/build_hosts.py) is a ThinkPad X1 Carbon 5th assembled from real
captures of that machine, booted from the bench's live image.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.model import from_json, to_json
from bench_agent.model.report import ErasureSummary, FunctionalTest

HOST = Path(__file__).parents[1] / "fixtures" / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"


def run_cli(*argv: str, lang: str = "fr") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"BENCH_AGENT_LANG": lang})
    return main(list(argv), env=env), out.getvalue(), err.getvalue()


def test_inventory_with_health_fills_the_report() -> None:
    code, out, err = run_cli("inventory", "--json", "--health", "--host-dir", str(HOST))
    assert code == 0, err
    report = from_json(out)
    inv = report.inventory
    # Hand-checked against corpus/dmidecode/Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW.txt
    # (type 1: LENOVO / 20HRCTO1WW / ThinkPad X1 Carbon 5th / PF0QMY5N) and the
    # snapshot's smartctl JSON (SAMSUNG MZVLW1T0HMLH-000L7, S35ANX0J401001, PASSED).
    assert (inv.identity.maker, inv.identity.model, inv.identity.serial) == (
        "Lenovo",
        "ThinkPad X1 Carbon 5th",
        "PF0QMY5N",
    )
    assert report.unit.key == "lenovo|20hrcto1ww|pf0qmy5n"
    assert [(d.name, d.transport, d.boot_medium) for d in inv.disks] == [("nvme0n1", "nvme", False)]
    assert inv.memory.installed_bytes == 16 * 1024**3
    assert [(h.device, h.serial, h.verdict) for h in report.health] == [
        ("/dev/nvme0n1", "S35ANX0J401001", "OK")
    ]
    assert report.health[0].power_on_hours == 6032


def test_grade_of_the_saved_report(tmp_path: Path) -> None:
    code, out, _ = run_cli("inventory", "--json", "--health", "--host-dir", str(HOST))
    assert code == 0
    saved = tmp_path / "report.json"
    saved.write_text(out)
    code, out, err = run_cli("grade", "--report", str(saved), "--json")
    # Fresh from the inventory: no erasure certificate, no functional test → the
    # profile's gates keep it from leaving (exit 1), while the note is still computed.
    assert code == 1, err
    grade = json.loads(out)
    # network-2024: RAM 16 GiB → 4, SSD 1024 GB → 4, CPU i7-7500U (3630 in the
    # network's table) < 5000 → 2, NVMe +1 = 11; not Windows 11 capable (7th gen) → at
    # most 7.
    assert (grade["category"], grade["note"]) == ("NOT_DISTRIBUTABLE", 7)
    rules = {r["rule"].split(".")[0] + "." + r["rule"].split(".")[1] for r in grade["rules"]}
    assert {"erasure.missing", "functional.missing"} <= rules


def test_text_inventory_with_health_in_english() -> None:
    code, out, _ = run_cli("inventory", "--health", "--host-dir", str(HOST), lang="en")
    assert code == 0
    assert "Disk health:" in out
    assert "S35ANX0J401001" in out
    assert "Memory: 16 GB (soldered, no slot, max 16 GB)" in out


def test_override_is_saved_in_the_report_with_who_and_why(tmp_path: Path) -> None:
    code, out, _ = run_cli("inventory", "--json", "--health", "--host-dir", str(HOST))
    assert code == 0
    saved = tmp_path / "report.json"
    saved.write_text(out)
    code, _, err = run_cli("grade", "--report", str(saved), "--override", "A", "--save")
    assert code == 2 and "--reason" in err  # an override without a reason is refused
    assert from_json(saved.read_bytes()).grade is None  # ...and nothing was written
    # The erasure gate is data protection: no override lifts it.
    code, _, err = run_cli(
        "grade", "--report", str(saved), "--cosmetic", "B", "--override", "A",
        "--reason", "écran neuf posé", "--by", "Samia", "--save",
    )  # fmt: skip
    assert code == 2, err
    assert from_json(saved.read_bytes()).grade is None
    # Once erased and tested, an override with who and why is kept.
    report = from_json(saved.read_bytes())
    disk = report.inventory.disks[0]
    report.erasures = [
        ErasureSummary(certificate_id="c1", device=f"/dev/{disk.name}", disk_serial=disk.serial,
                       method="random", result="ERASED")
    ]  # fmt: skip
    report.functional_tests = [
        FunctionalTest(name=t.name, result="pass", at="2026-12-03T10:00:00Z") for t in CATALOGUE
    ]
    saved.write_bytes(to_json(report))
    code, _, err = run_cli(
        "grade", "--report", str(saved), "--cosmetic", "B", "--override", "A",
        "--reason", "écran neuf posé", "--by", "Samia", "--save",
    )  # fmt: skip
    assert code == 0, err
    report = from_json(saved.read_bytes())
    assert report.grade is not None and report.grade.override is not None
    assert (report.grade.category, report.grade.computed_category) == ("A", "B")
    assert (report.grade.override.by, report.grade.override.reason) == ("Samia", "écran neuf posé")
    assert report.grade.override.at.endswith("Z")
    assert report.cosmetic_grade == "B"
    assert report.inventory.identity.serial == "PF0QMY5N"  # the rest of the report is intact
