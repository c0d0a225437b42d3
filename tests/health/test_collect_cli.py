"""Collection through recorded hosts (two-drive laptop, USB bridges) and the CLI in-process."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.health import check_all, check_device, load_policy
from bench_agent.host.base import CommandResult
from bench_agent.host.recorded import RecordedHost
from bench_agent.model.health import DiskHealth

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "smartctl"


def run_cli(*argv: str, lang: str = "fr") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"BENCH_AGENT_LANG": lang})
    code = main(list(argv), env=env)
    return code, out.getvalue(), err.getvalue()


def test_check_all_two_drive_laptop() -> None:
    host = RecordedHost(FIXTURES / "laptop_two_drives")
    results = check_all(
        host,
        devices=["/dev/nvme0n1", "/dev/sda"],
        now=lambda: datetime(2026, 11, 26, 8, 30, tzinfo=UTC),
    )
    assert [r.device for r in results] == ["/dev/nvme0n1", "/dev/sda"]
    assert [r.verdict for r in results] == ["OK", "OK"]
    assert results[0].protocol == "NVMe" and results[1].protocol == "ATA"
    assert results[0].model == "SAMSUNG MZVLW1T0HMLH-000L7"
    assert all(r.checked_at == "2026-11-26T08:30:00+00:00" for r in results)


def test_usb_bridge_fallback_finds_jmicron() -> None:
    host = RecordedHost(FIXTURES / "usb_jmicron_dock")
    health = check_device(host, "/dev/sdc", load_policy(), transport="usb")
    assert health.verdict == "FAIL"
    assert health.device_type == "usbjmicron"
    assert health.findings[0].code == "smart.overall_failed"


def test_unknown_bridge_is_unknown_after_every_type() -> None:
    host = RecordedHost(FIXTURES / "usb_unknown_bridge")
    health = check_device(host, "/dev/sdb", load_policy())
    assert health.verdict == "UNKNOWN"
    assert health.findings[0].code == "smart.unknown_usb_bridge"
    assert "0x0bda:0x0158" in health.reason.en  # type: ignore[union-attr]


class _NoSmartctl:
    name = "no-smartctl"

    def __init__(self, error: str) -> None:
        self.error = error

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        return CommandResult(tuple(argv), None, error=self.error)


@pytest.mark.parametrize(
    ("error", "code"), [("not-found", "smartctl.missing"), ("timeout", "smartctl.timeout")]
)
def test_smartctl_missing_or_hung(error: str, code: str) -> None:
    health = check_device(_NoSmartctl(error), "/dev/sda", load_policy())  # type: ignore[arg-type]
    assert health.verdict == "UNKNOWN"
    assert health.findings[0].code == code


def test_cli_json_two_drives() -> None:
    code, out, _ = run_cli(
        "health",
        "--host-dir",
        str(FIXTURES / "laptop_two_drives"),
        "/dev/nvme0n1",
        "/dev/sda",
        "--json",
    )
    assert code == 0
    results = msgspec.json.decode(out.encode(), type=list[DiskHealth])
    assert {r.verdict for r in results} == {"OK"}
    assert json.loads(out)[1]["power_on_hours"] == 4731


def test_cli_failing_usb_drive_exit_1_french() -> None:
    code, out, _ = run_cli("health", "--host-dir", str(FIXTURES / "usb_jmicron_dock"), "/dev/sdc")
    # Without a transport hint the bridge message itself triggers the -d sweep.
    assert code == 1
    assert "HORS SERVICE" in out
    assert "ne pas réutiliser" in out


def test_cli_from_file_english_and_unknown() -> None:
    code, out, _ = run_cli(
        "--lang",
        "en",
        "health",
        "--from-file",
        str(CORPUS / "json" / "floppy_fd0_no-device-type_error.json"),
        "--from-file",
        str(CORPUS / "text" / "HGST_HUS724040ALE640_old.txt"),
    )
    assert code == 0
    assert "UNKNOWN" in out and "Unable to detect device type" in out
    assert "WORN" in out and "47396 power-on hours" in out


def test_cli_from_file_garbage_is_unknown(tmp_path: Path) -> None:
    bad = tmp_path / "cut.json"
    bad.write_bytes((CORPUS / "json" / "Kingston_SA400S37240G_worn.json").read_bytes()[:5000])
    code, out, _ = run_cli("health", "--from-file", str(bad))
    assert code == 0
    assert "NON ÉVALUABLE" in out
    assert "JSON de smartctl invalide ou tronqué" in out


def test_cli_errors(tmp_path: Path) -> None:
    code, _, err = run_cli("health", "--from-file", str(tmp_path / "nope.json"))
    assert code == 3 and "nope.json" in err
    policy = tmp_path / "p.toml"
    policy.write_text("name = \n", encoding="utf-8")
    code, _, err = run_cli("health", "--policy", str(policy), "--from-file", "x")
    assert code == 2 and "p.toml" in err and "line 1" in err
    code, _, err = run_cli("health", "--read-check", "0", "--from-file", "x")
    assert code == 2


def test_unit_report_carries_health() -> None:
    from bench_agent.model.report import UnitReport

    host = RecordedHost(FIXTURES / "laptop_two_drives")
    health = check_all(host, devices=["/dev/sda"])
    fields = {f.name for f in msgspec.structs.fields(UnitReport)}
    assert "health" in fields
    encoded = msgspec.json.encode(health)
    assert msgspec.json.decode(encoded, type=list[DiskHealth]) == health


def test_list_drives_keeps_internal_disks(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench_agent.health import list_drives
    from bench_agent.model.inventory import Disk
    from bench_agent.probes import storage

    disks = [
        Disk(name="nvme0n1", path="/dev/nvme0n1", transport="nvme"),
        Disk(name="sda", path="/dev/sda", transport="sata"),
        Disk(name="sdb", path="/dev/sdb", transport="usb", boot_medium=True),
        Disk(name="sdc", path="/dev/sdc", transport="usb", removable=True),
        Disk(name="sdd", path="/dev/sdd", transport="usb"),
    ]
    monkeypatch.setattr(storage, "probe_disks", lambda host, notes: disks)
    host = RecordedHost(FIXTURES / "laptop_two_drives")
    assert list_drives(host) == [("/dev/nvme0n1", "nvme"), ("/dev/sda", "sata")]


def test_named_usb_device_gets_the_bridge_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench_agent.model.inventory import Disk
    from bench_agent.probes import storage

    disks = [Disk(name="sdc", path="/dev/sdc", transport="usb")]
    monkeypatch.setattr(storage, "probe_disks", lambda host, notes: disks)
    host = RecordedHost(FIXTURES / "usb_jmicron_dock")
    (health,) = check_all(host, devices=["/dev/sdc"])
    assert health.device_type == "usbjmicron"


def test_smartctl_without_json_falls_back_to_text() -> None:
    host = RecordedHost(FIXTURES / "old_smartctl_66")
    health = check_device(host, "/dev/nvme0", load_policy())
    assert health.verdict == "OK"
    assert health.source == "smartctl-text"
    assert health.model == "WDC WDS100T2B0C-00PXH0"


def test_unrecorded_drive_is_unknown_not_a_crash() -> None:
    host = RecordedHost(FIXTURES / "laptop_two_drives")
    (health,) = check_all(host, devices=["/dev/sdb"])
    assert health.verdict == "UNKNOWN"
    assert health.findings[0].code == "smartctl.not_recorded"
    assert "/dev/sdb" in health.reason.fr  # type: ignore[union-attr]


def test_no_read_check_on_a_recorded_machine() -> None:
    host = RecordedHost(FIXTURES / "laptop_two_drives")
    (health,) = check_all(host, devices=["/dev/sda"], read_check_mib=4)
    assert health.read_check is None
    assert health.findings[-1].code == "read_check.unavailable"
    assert health.verdict == "OK"


def test_self_test_not_recorded_is_an_answer() -> None:
    host = RecordedHost(FIXTURES / "laptop_two_drives")
    (health,) = check_all(host, devices=["/dev/sda"], self_test="short")
    assert health.self_test is not None and health.self_test.status == "unknown"
    assert health.verdict == "OK"
    code, out, _ = run_cli(
        "health",
        "--host-dir",
        str(FIXTURES / "laptop_two_drives"),
        "/dev/sda",
        "--self-test",
        "short",
    )
    assert code == 0 and "Autotest non enregistré" in out
    assert "Autotest short : résultat inconnu." in out
