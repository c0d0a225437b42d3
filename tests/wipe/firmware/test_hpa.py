"""HPA/DCO detection and native-max restore on recorded hdparm outputs."""

from __future__ import annotations

import contextlib

import pytest
from firmware_replay import ReplayRunner, Result, output, recording
from hypothesis import given, settings
from hypothesis import strategies as st

from wipe import hpa

SDA = "/dev/sda"
N = ["hdparm", "-N", SDA]
IDENT = ["hdparm", "-I", SDA]
DCO = ["hdparm", "--dco-identify", SDA]


def formatted(name: str) -> Result:
    return output(f"formatted/{name}.stdout")


def public_identify(name: str) -> tuple[list[object], Result]:
    return (IDENT, output(f"public/{name}.hdparm-I.txt"))


INTEL = "intel-ssdsc2bb480g7k-not-frozen"  # no DCO feature set (ACS-3 drive)
SEAGATE = "seagate-st380011a-not-frozen"  # lists "Device Configuration Overlay feature set"


@pytest.mark.parametrize("prefix", ["qemu/hdparm", "qemu/sata-hdd-hdparm"])
def test_qemu_disk_has_no_hidden_sectors(prefix: str) -> None:
    runner = ReplayRunner([recording(f"{prefix}-N"), recording(f"{prefix}-I")])
    status = hpa.detect_hpa(runner, SDA, kernel_sectors=131072)
    runner.assert_done()  # no DCO identify: the drive has no DCO feature set
    assert status.status == "none"
    assert (status.visible_sectors, status.native_sectors) == (131072, 131072)
    assert status.hidden_sectors == 0 and status.hidden_bytes == 0
    assert status.logical_sector_bytes == 512


def test_usb_bridge_nonsense_is_unknown_not_none() -> None:
    """hdparm exits 0 behind QEMU's USB bridge with 'max sectors = 0/1, HPA is enabled'."""
    argv, result = recording("qemu/usb-hdd-hdparm-N")
    assert result.returncode == 0
    status = hpa.detect_hpa(ReplayRunner([(argv, result)]), "/dev/sdb")
    assert status.status == "unknown"
    assert status.hidden_sectors is None
    assert "zero sector count" in status.reason_en


def test_loop_device_is_unknown() -> None:
    argv, result = recording("host-loop/hdparm-N")
    status = hpa.detect_hpa(ReplayRunner([(argv, result)]), "/dev/loop0")
    assert status.status == "unknown"
    assert "max sectors" in status.reason_en


def test_hpa_enabled_gives_sizes() -> None:
    runner = ReplayRunner([(N, formatted("hdparm-N-hpa-enabled")), public_identify(INTEL)])
    status = hpa.detect_hpa(runner, SDA)
    assert status.status == "hidden"
    assert status.hpa_hidden_sectors == 976773168 - 976771055
    assert status.dco_hidden_sectors == 0
    assert status.hidden_bytes == 2113 * 512
    assert "2113" in status.reason_fr and "1081856 octets" in status.reason_fr
    assert status.to_dict()["hidden_bytes"] == 2113 * 512


def test_dco_hides_sectors_beyond_native_max() -> None:
    runner = ReplayRunner(
        [
            (N, formatted("hdparm-N-hpa-disabled")),
            public_identify(SEAGATE),
            (DCO, formatted("hdparm-dco-identify-hidden")),
        ]
    )
    status = hpa.detect_hpa(runner, SDA)
    runner.assert_done()
    assert status.status == "hidden"
    assert status.hpa_hidden_sectors == 0
    assert status.dco_real_sectors == 976773168
    assert status.dco_hidden_sectors == 2113
    # The 2003 hdparm printed no sector size: bytes stay unknown rather than guessed.
    assert status.hidden_bytes is None


def test_unreadable_dco_makes_status_unknown() -> None:
    # QEMU answers DCO IDENTIFY with an error and "Real max sectors: 1", exit 0.
    runner = ReplayRunner(
        [
            (N, formatted("hdparm-N-hpa-disabled")),
            public_identify(SEAGATE),
            (DCO, recording("qemu/hdparm-dco-identify")[1]),
        ]
    )
    status = hpa.detect_hpa(runner, SDA)
    assert status.status == "unknown"
    assert status.hpa_hidden_sectors == 0
    assert "DCO unreadable" in status.reason_en and "DCO illisible" in status.reason_fr


def test_hdparm_doubting_itself_is_unknown() -> None:
    status = hpa.detect_hpa(ReplayRunner([(N, formatted("hdparm-N-seems-invalid"))]), SDA)
    assert status.status == "unknown"
    assert "doubts" in status.reason_en


def test_kernel_size_disagreement_is_unknown() -> None:
    runner = ReplayRunner([recording("qemu/hdparm-N")])
    status = hpa.detect_hpa(runner, SDA, kernel_sectors=262144)
    assert status.status == "unknown"
    assert "262144" in status.reason_en


@pytest.mark.parametrize(
    ("device", "transport"),
    [("/dev/nvme0n1", None), ("/dev/sdb", "usb"), ("/dev/sdc", "USB"), ("/dev/loop2", "loop")],
)
def test_not_applicable_devices_run_no_command(device: str, transport: str | None) -> None:
    runner = ReplayRunner([])
    status = hpa.detect_hpa(runner, device, transport=transport)
    assert status.status == "unknown"
    assert runner.calls == []


def test_hdparm_missing_is_unknown() -> None:
    status = hpa.detect_hpa(ReplayRunner([(N, Result(None, error="not-found"))]), SDA)
    assert status.status == "unknown" and "not-found" in status.reason_en


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=200))
def test_max_sectors_parser_only_raises_its_error(text: str) -> None:
    with contextlib.suppress(hpa.HpaParseError):
        parsed = hpa.parse_max_sectors(text)
        assert 0 < parsed.visible <= parsed.native


# ------------------------------------------------------------------ restore


def restore_steps(after: str, set_result: Result) -> list[tuple[list[object], Result]]:
    return [
        (N, formatted("hdparm-N-hpa-enabled")),
        public_identify(INTEL),
        (["hdparm", "--yes-i-know-what-i-am-doing", "-N", "p976773168", SDA], set_result),
        (N, formatted(after)),
        public_identify(INTEL),
    ]


def test_restore_native_max_is_read_back() -> None:
    steps = restore_steps("hdparm-N-hpa-restored", formatted("hdparm-N-set-permanent"))
    runner = ReplayRunner(steps)
    outcome = hpa.restore_native_max(runner, SDA)
    runner.assert_done()
    assert outcome.completed
    assert outcome.kernel_rescan_needed
    assert outcome.after is not None and outcome.after.status == "none"
    assert outcome.to_dict()["before"]["hpa_hidden_sectors"] == 2113


def test_restore_exit_0_but_size_unchanged_is_not_completed() -> None:
    runner = ReplayRunner(restore_steps("hdparm-N-hpa-enabled", Result(0, b"\n/dev/sda:\n")))
    outcome = hpa.restore_native_max(runner, SDA)
    assert not outcome.completed
    assert "still 976771055" in outcome.reason_en


def test_restore_with_accessible_max_address_needs_power_cycle() -> None:
    runner = ReplayRunner(
        [
            (N, formatted("hdparm-N-amax-enabled")),
            public_identify(INTEL),
            (["hdparm", "--yes-i-know-what-i-am-doing", "-N", "p976773168", SDA], Result(0)),
            (N, formatted("hdparm-N-amax-enabled")),
            public_identify(INTEL),
        ]
    )
    outcome = hpa.restore_native_max(runner, SDA)
    assert not outcome.completed and outcome.power_cycle_needed
    assert "power-cycle" in outcome.reason_en


def test_restore_volatile_value() -> None:
    runner = ReplayRunner(
        [
            (N, formatted("hdparm-N-hpa-enabled")),
            public_identify(INTEL),
            (["hdparm", "--yes-i-know-what-i-am-doing", "-N", "976773168", SDA], Result(0)),
            (N, formatted("hdparm-N-hpa-restored")),
            public_identify(INTEL),
        ]
    )
    assert hpa.restore_native_max(runner, SDA, permanent=False).completed


def test_restore_nothing_hidden_sends_no_set_command() -> None:
    runner = ReplayRunner([recording("qemu/hdparm-N"), recording("qemu/hdparm-I")])
    outcome = hpa.restore_native_max(runner, SDA)
    runner.assert_done()
    assert outcome.completed and "no HPA" in outcome.reason_en


def test_restore_refused_when_unknown() -> None:
    runner = ReplayRunner([recording("qemu/usb-hdd-hdparm-N")])
    outcome = hpa.restore_native_max(runner, "/dev/sdb")
    runner.assert_done()
    assert not outcome.completed
    assert "not restored" in outcome.reason_en


def test_restore_leaves_dco_alone() -> None:
    runner = ReplayRunner(
        [
            (N, formatted("hdparm-N-hpa-disabled")),
            public_identify(SEAGATE),
            (DCO, formatted("hdparm-dco-identify-hidden")),
        ]
    )
    outcome = hpa.restore_native_max(runner, SDA)
    runner.assert_done()
    assert outcome.completed
    assert "2113 sectors hidden by a DCO, left unchanged" in outcome.reason_en
