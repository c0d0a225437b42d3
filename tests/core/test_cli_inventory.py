"""`bench-agent inventory` end to end, in-process, on every recorded host."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.model import from_json, json_schema

HOSTS = sorted(
    p for p in (Path(__file__).parent.parent / "fixtures" / "hosts").iterdir() if p.is_dir()
)


def run_cli(*argv: str, lang: str = "fr") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"BENCH_AGENT_LANG": lang})
    code = main(list(argv), env=env)
    return code, out.getvalue(), err.getvalue()


def test_there_are_recorded_hosts() -> None:
    assert len(HOSTS) >= 8, [p.name for p in HOSTS]


@pytest.mark.parametrize("host_dir", HOSTS, ids=[p.name for p in HOSTS])
def test_inventory_json_on_recorded_host_is_a_valid_report(host_dir: Path) -> None:
    import jsonschema

    code, out, err = run_cli("inventory", "--json", "--host-dir", str(host_dir))
    assert code == 0, err
    report = from_json(out)
    jsonschema.Draft202012Validator(json_schema()).validate(json.loads(out))
    cpu = report.inventory.cpu
    # Old corpus machines (Pentium M, Pentium 4) have no CPU name in their DMI
    # table, so the derived fixture has none either: the vendor and family remain.
    assert cpu.model_name or (cpu.vendor and cpu.family), "every recorded laptop has a CPU"
    assert report.inventory.memory.total_bytes


@pytest.mark.parametrize("host_dir", HOSTS, ids=[p.name for p in HOSTS])
def test_inventory_text_in_french_and_english(host_dir: Path) -> None:
    code_fr, out_fr, _ = run_cli("inventory", "--host-dir", str(host_dir))
    code_en, out_en, _ = run_cli("--lang", "en", "inventory", "--host-dir", str(host_dir))
    assert code_fr == code_en == 0
    assert out_fr.startswith("Inventaire — ") and "Processeur : " in out_fr
    assert out_en.startswith("Inventory — ") and "CPU: " in out_en


def test_missing_fixture_is_an_environment_error_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text('{"format": 1, "listings": {}}')
    code, out, err = run_cli("inventory", "--host-dir", str(tmp_path))
    assert code == 3 and out == ""
    assert "n'a pas d'enregistrement" in err
    assert "/sys/" in err or "/proc/" in err or "command" in err


def test_schema_command_prints_the_unit_report_schema() -> None:
    code, out, _ = run_cli("schema")
    assert code == 0
    assert json.loads(out) == json_schema()


def test_usage_error_exits_2() -> None:
    code, _, _ = run_cli("inventory", "--no-such-flag")
    assert code == 2


def test_a_folder_that_is_not_a_recorded_host(tmp_path: Path) -> None:
    code, out, err = run_cli("inventory", "--host-dir", str(tmp_path / "nope"))
    assert (code, out) == (3, "")
    assert "n'est pas une machine enregistrée" in err
    (tmp_path / "host.json").write_text("{not json")
    code, _, err = run_cli("--lang", "en", "inventory", "--host-dir", str(tmp_path))
    assert code == 3 and "invalid JSON at line 1" in err


def test_fast_path_parses_only_the_named_command_yet_help_lists_all() -> None:
    import contextlib

    from bench_agent.cli import _subcommand

    assert _subcommand(["inventory", "--json"]) == "inventory"
    assert _subcommand(["--lang", "en", "grade"]) == "grade"
    assert _subcommand(["--app-host-dir", "x"]) is None  # the app, not a subcommand
    assert _subcommand(["--app-host-dir=x", "--lang", "en", "health"]) == "health"
    assert _subcommand(["--lang=fr", "health"]) == "health"
    assert _subcommand(["--help"]) is None
    assert _subcommand(["not-a-command"]) is None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code, _, _ = run_cli("--help")
    assert code == 0
    for name in ("inventory", "record", "schema", "health", "erase", "grade", "verify"):
        assert name in out.getvalue()


def test_app_on_a_recorded_host_that_is_not_one_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run_cli("--app-host-dir", str(tmp_path / "nothing"))
    assert code == 3
    assert "n'est pas une machine enregistrée" in err
