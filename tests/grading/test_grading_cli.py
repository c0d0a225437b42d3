"""bench-agent grade / profiles, in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from grading_units import GB, GIB, hdd, healthy, ssd, unit

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.model import to_json


def run(*argv: str, lang: str = "fr") -> tuple[int, str, str]:
    env = Environment(
        stdout=io.StringIO(), stderr=io.StringIO(), environ={"BENCH_AGENT_LANG": lang}
    )
    code = main(list(argv), env=env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def probook(tmp_path: Path) -> Path:
    # HP ProBook 450 G2 from the corpus (see test_grading_table): note 5 → C.
    report = unit(
        cpu="Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz",
        ram_installed_bytes=8 * GIB,
        disks=[hdd("sda", 500_107_862_016)],
        win11=False,
        battery_pct=50.0,
    )
    path = tmp_path / "probook.json"
    path.write_bytes(to_json(report))
    return path


def test_grade_report_in_french(probook: Path) -> None:
    code, out, err = run("grade", "--report", str(probook))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Catégorie : C  (note 5, profil network-2024 2024.1)"
    assert "  +3  Mémoire vive 8 Gio < 16 → note 3" in lines
    assert "  -1  Disque dur (HDD) et CPU < 2500 : catégorie C au plus → note ramenée à 5" in lines
    assert "  = 5" in lines
    assert "  - Remplacer la batterie BAT0" in lines


def test_grade_previous_profile_json(probook: Path) -> None:
    code, out, _ = run("grade", "--report", str(probook), "--profile", "network-2022", "--json")
    assert code == 0
    grade = json.loads(out)
    assert (grade["profile"], grade["category"], grade["note"]) == ("network-2022", "C", 5)
    assert sum(rule["contribution"] for rule in grade["rules"]) == 5
    assert grade["cpu"]["score"] == 2315


def test_grade_with_technician_notes_cosmetic_and_override(probook: Path) -> None:
    code, out, _ = run(
        "grade",
        "--report",
        str(probook),
        "--technical-note",
        "-1",
        "--aesthetic-note",
        "-1",
        "--cosmetic",
        "C",
        "--override",
        "B",
        "--reason",
        "Écran neuf posé",
        "--by",
        "Awa",
        "--json",
    )
    assert code == 0
    grade = json.loads(out)
    # 3 + 2 + 1 − 1 − 1 = 4, HDD & CPU<2500 → 5 does not lower 4 → C; override B.
    assert (grade["note"], grade["computed_category"], grade["category"]) == (4, "C", "B")
    assert grade["cosmetic"] == "C"
    assert grade["override"]["by"] == "Awa" and grade["override"]["reason"] == "Écran neuf posé"
    assert grade["override"]["at"].endswith("Z")


def test_override_without_reason_is_a_usage_error(probook: Path) -> None:
    code, out, err = run(
        "grade", "--report", str(probook), "--override", "A", "--by", "Awa", lang="en"
    )
    assert (code, out) == (2, "")
    assert err == "--override needs --reason (why) and --by (who decides)\n"


def test_technician_note_out_of_range(probook: Path) -> None:
    code, _, err = run("grade", "--report", str(probook), "--technical-note", "5")
    assert code == 2
    assert err == "note technique 5 hors de la plage du profil network-2024 (-2 à 2)\n"


def test_not_distributable_exits_1(tmp_path: Path) -> None:
    disk = ssd("sda", 256 * GB, "S1")
    path = tmp_path / "failing.json"
    path.write_bytes(to_json(unit(cpu=None, disks=[disk], health=[healthy(disk, "FAIL")])))
    code, out, _ = run("grade", "--report", str(path), lang="en")
    assert code == 1
    assert out.startswith("Category: NOT DISTRIBUTABLE")
    assert "  - Replace disk sda" in out.splitlines()


def test_garbage_report_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.json"
    path.write_bytes(b'{"report_id": 12')
    code, out, err = run("grade", "--report", str(path), lang="en")
    assert (code, out) == (3, "")
    assert err == f"Invalid report: {path} is not JSON\n"


def test_missing_report_file(tmp_path: Path) -> None:
    code, _, err = run("grade", "--report", str(tmp_path / "nope.json"))
    assert code == 3
    assert err == f"Rapport illisible : {tmp_path / 'nope.json'} (No such file or directory)\n"


def test_unknown_profile(probook: Path) -> None:
    code, _, err = run("grade", "--report", str(probook), "--profile", "network-1999", lang="en")
    assert code == 2
    assert err == (
        "network-1999: (profile): profile not found; expected a .toml file or one of: "
        "network-2022, network-2024\n"
    )


def test_network_cpu_table_option(probook: Path, tmp_path: Path) -> None:
    table = tmp_path / "network.csv"
    table.write_text('CPU Name,CPU Mark\nIntel Core i5-4210U @ 1.70GHz,"5,000"\n', encoding="utf-8")
    code, out, _ = run("grade", "--report", str(probook), "--cpu-table", str(table), "--json")
    assert code == 0
    grade = json.loads(out)
    assert grade["cpu"]["score"] == 5000 and grade["cpu"]["table"] == str(table)


def test_grade_recorded_host(hosts_dir: Path) -> None:
    # End to end through the probes: the E7240 recorded host (dmidecode: 2 × 8 GB,
    # i7-4600U). Today its recording holds no disk (→ NOT_DISTRIBUTABLE, exit 1); the
    # RAM and CPU lines are what this test pins.
    code, out, err = run("grade", "--host-dir", str(hosts_dir / "Dell_Latitude_E7240"), lang="en")
    assert err == ""
    assert code in (0, 1)
    lines = out.splitlines()
    assert "  +4  RAM 16 GiB ≥ 16 → note 4" in lines
    assert "  +1  CPU score 2723 points < 3500 → note 1" in lines


def test_profiles_list_and_show() -> None:
    code, out, _ = run("profiles", "list", lang="en")
    assert code == 0
    assert "  network-2024  2024.1  (from 2024-01-01)" in out
    assert "  network-2022  2022.1  (from 2022-01-01, extends network-2024)" in out
    assert "  student  Student" in out
    code, out, _ = run("profiles", "show", "network-2022", lang="en")
    assert code == 0
    assert "  ram: < 4 → 0, < 5 → 1, < 8 → 2, < 16 → 3, else 4  (tolerance 6 %)" in out
    assert "cpu_below_3500" not in out
    code, out, _ = run("profiles", "show", "network-2024", "--json")
    assert json.loads(out)["caps"]["cpu_below_3500"]["max_category"] == "B"


def test_profiles_check(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "profiles" / "grading" / "network-2022.toml"
    code, out, _ = run("profiles", "check", str(shipped), lang="en")
    assert (code, out) == (0, f"OK: {shipped}\n")
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\nversion = 1\nvalid_from = "2025-01-01"\n', encoding="utf-8")
    code, out, err = run("profiles", "check", str(broken), lang="en")
    assert (code, out) == (1, "")
    assert err == f"{broken}:2: version: wrong type (an integer); expected a quoted string\n"
    table = tmp_path / "cpus.csv"
    table.write_text("cpu;score\nIntel Core i5-520M;1728\nbad;NA\n", encoding="utf-8")
    code, out, _ = run("profiles", "check", str(table), lang="en")
    assert code == 0
    assert out.splitlines()[0] == f"OK: {table} (1 CPUs, 1 rows skipped)"


def test_missing_recorded_host(tmp_path: Path) -> None:
    code, out, err = run("grade", "--host-dir", str(tmp_path / "none"), lang="en")
    assert (code, out) == (3, "")
    meta = tmp_path / "none" / "host.json"
    assert err == f"Inventory failed: {meta}: not a recorded host (no host.json)\n"


def test_cosmetic_grade_from_the_report(tmp_path: Path) -> None:
    import msgspec

    report = msgspec.structs.replace(
        unit(cpu=None, disks=[ssd("sda", 256 * GB)]), cosmetic_grade="B"
    )
    path = tmp_path / "unit.json"
    path.write_bytes(to_json(report))
    code, out, _ = run("grade", "--report", str(path), "--json")
    assert json.loads(out)["cosmetic"] == "B"
    code, out, _ = run("grade", "--report", str(path), "--cosmetic", "A", "--json")
    assert json.loads(out)["cosmetic"] == "A"
    bad = msgspec.structs.replace(report, cosmetic_grade="Q")
    path.write_bytes(to_json(bad))
    code, _, err = run("grade", "--report", str(path), lang="en")
    assert code == 2
    assert err == "unknown cosmetic grade 'Q' (expected: Z, A, B, C, D, E)\n"
