"""Parsers of hdparm / nvme-cli output, on genuine captures and public real-drive outputs."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from firmware_replay import RECORDED, recording
from hypothesis import given, settings
from hypothesis import strategies as st

from wipe.firmware import ata, nvme


def read(relative: str) -> str:
    return (RECORDED / relative).read_text()


# ------------------------------------------------------------------ hdparm -I


def test_frozen_drive_with_sanitize_and_enhanced_erase() -> None:
    info = ata.parse_identify(read("public/micron-5300-frozen.hdparm-I.txt"))
    assert info.model == "Micron_5300_MTFDDAK1T9TDS"
    assert info.serial == "214031A57D1D"
    assert info.rotation == "ssd"
    assert info.sectors == 3750748848
    assert info.logical_sector_bytes == 512
    assert info.capacity_bytes == 3750748848 * 512
    assert info.security_supported is True
    assert info.security_enabled is False
    assert info.security_locked is False
    assert info.security_frozen is True
    assert info.security_count_expired is False
    assert info.enhanced_erase_supported is True
    assert (info.erase_time_min, info.enhanced_erase_time_min) == (2, 2)
    assert info.sanitize_supported
    assert info.sanitize_crypto and info.sanitize_block and info.sanitize_overwrite


def test_not_frozen_drive_space_indented_output() -> None:
    # This public copy lost its tabs (pasted into Markdown): spaces must parse too.
    info = ata.parse_identify(read("public/intel-ssdsc2bb480g7k-not-frozen.hdparm-I.txt"))
    assert info.model == "INTEL SSDSC2BB480G7K"
    assert info.security_frozen is False
    assert info.security_enabled is False
    assert info.enhanced_erase_supported is True
    assert (info.erase_time_min, info.enhanced_erase_time_min) == (4, 4)
    assert info.sanitize_crypto and info.sanitize_block and info.sanitize_overwrite


def test_old_hdd_without_enhanced_erase_nor_sanitize() -> None:
    info = ata.parse_identify(read("public/seagate-st380011a-not-frozen.hdparm-I.txt"))
    assert info.model == "ST380011A"
    assert info.security_supported is True
    assert info.security_frozen is False
    assert info.enhanced_erase_supported is False
    assert info.erase_time_min is None
    assert not info.sanitize_supported
    assert info.sectors == 156301488
    assert info.logical_sector_bytes is None  # hdparm of 2003 printed no sector size


@pytest.mark.parametrize(
    ("name", "rotation"),
    [("qemu/hdparm-I", "ssd"), ("qemu/sata-hdd-hdparm-I", "hdd")],
)
def test_qemu_disk_without_security_section(name: str, rotation: str) -> None:
    _, result = recording(name)
    info = ata.parse_identify(result.stdout.decode())
    assert info.model in {"LCT-SATA-SSD", "LCT-SATA-HDD"}
    assert info.rotation == rotation
    # No Security section at all: unknown, never "not frozen".
    assert info.security_supported is None
    assert info.security_frozen is None
    assert not info.sanitize_supported
    assert info.sectors == 131072


@pytest.mark.parametrize("name", ["qemu/usb-hdd-hdparm-I", "host-loop/hdparm-I"])
def test_usb_bridge_and_loop_device_are_not_ata(name: str) -> None:
    _, result = recording(name)
    with pytest.raises(ata.AtaParseError):
        ata.parse_identify(result.stdout.decode())


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.8, 0.97])
def test_truncated_identify_is_rejected(fraction: float) -> None:
    text = read("public/micron-5300-frozen.hdparm-I.txt")
    with pytest.raises(ata.AtaParseError):
        ata.parse_identify(text[: int(len(text) * fraction)])


def test_incorrect_checksum_is_rejected() -> None:
    text = read("public/intel-ssdsc2bb480g7k-not-frozen.hdparm-I.txt")
    with pytest.raises(ata.AtaParseError, match="checksum"):
        ata.parse_identify(text.replace("Checksum: correct", "Checksum: incorrect"))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_identify_garbage_only_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ata.AtaParseError):
        ata.parse_identify(text)


# ------------------------------------------------------- hdparm --sanitize-status


def test_sanitize_status_in_progress_and_done() -> None:
    running = ata.parse_sanitize_status(read("formatted/hdparm-sanitize-status-25pct.stdout"))
    assert running.state == 2
    assert running.progress == pytest.approx(0x41C2 / 0xFFFF)
    done = ata.parse_sanitize_status(read("formatted/hdparm-sanitize-status-done.stdout"))
    assert done.state == 0 and done.last_completed_without_error


def test_sanitize_status_unsupported_drive_is_unreadable() -> None:
    _, result = recording("qemu/hdparm-sanitize-status")
    assert result.returncode == 22
    with pytest.raises(ata.AtaParseError):
        ata.parse_sanitize_status(result.stdout.decode())


# ------------------------------------------------------------------ nvme-cli


def test_qemu_controller_offers_format_only() -> None:
    _, result = recording("qemu/nvme-id-ctrl")
    ctrl = nvme.parse_id_ctrl(result.stdout.decode())
    assert ctrl.model == "QEMU NVMe Ctrl"
    assert ctrl.serial == "LCTNVME0001"
    assert ctrl.oacs & 0x2
    assert (ctrl.fna, ctrl.sanicap) == (0, 0)


def test_toshiba_json_matches_its_public_plain_text() -> None:
    """The JSON fixture re-renders a public plain-text id-ctrl: both must agree."""
    ctrl = nvme.parse_id_ctrl(read("public/toshiba-kxg6aznv512g.id-ctrl.json"))
    plain = dict(
        re.findall(r"^(\w+)\s*:\s*(\S.*)$", read("public/toshiba-kxg6aznv512g.id-ctrl.txt"), re.M)
    )
    assert ctrl.oacs == int(plain["oacs"], 0)
    assert ctrl.fna == int(plain["fna"], 0)
    assert ctrl.sanicap == int(plain["sanicap"], 0)
    assert ctrl.model == plain["mn"].strip()
    assert ctrl.firmware == plain["fr"].strip()
    assert ctrl.serial is None  # elided in the public text


def test_id_ns_current_format_and_capacity() -> None:
    _, result = recording("qemu/nvme-id-ns")
    ns = nvme.parse_id_ns(result.stdout.decode())
    assert ns.lbaf_index == 0
    assert ns.capacity_bytes == 64 * 1024 * 1024
    assert (ns.metadata_extended, ns.pi_type, ns.pi_first) == (False, 0, False)


def test_id_ns_upper_format_bits() -> None:
    _, result = recording("qemu/nvme-id-ns")
    data = json.loads(result.stdout)
    data["nlbaf"] = 40
    data["flbas"] = 0x23 | 0x10  # index 0x23 split over bits 3:0 and 6:5, extended metadata
    ns = nvme.parse_id_ns(json.dumps(data))
    assert ns.lbaf_index == 0x13
    assert ns.metadata_extended is True


@pytest.mark.parametrize(
    ("name", "status", "progress", "action"),
    [
        ("nvme-sanitize-log-never", nvme.SSTAT_NEVER, None, 0),
        ("nvme-sanitize-log-crypto-25pct", nvme.SSTAT_IN_PROGRESS, 0.25, 4),
        ("nvme-sanitize-log-crypto-done", nvme.SSTAT_COMPLETED, None, 4),
        ("nvme-sanitize-log-crypto-failed", nvme.SSTAT_FAILED, None, 4),
    ],
)
def test_sanitize_log(name: str, status: int, progress: float | None, action: int) -> None:
    log = nvme.parse_sanitize_log(read(f"formatted/{name}.stdout"))
    assert log.status == status
    assert log.progress == progress
    assert log.last_action == action
    assert log.estimates_s == {2: 120, 4: 10}  # overwrite: all ones = not reported


def test_sanitize_log_bare_integer_sstat() -> None:
    log = nvme.parse_sanitize_log('{"sprog": 32768, "sstat": 258, "cdw10_info": 2}')
    assert log.status == nvme.SSTAT_IN_PROGRESS
    assert log.progress == 0.5


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"nvme0n1": {"sprog": 1}}',
        '{"nvme0n1": {"sstat": {"status": "(7) reserved"}}}',
        '{"sstat": 2}',  # in progress without sprog
        '{"sstat": true}',
        read("formatted/nvme-sanitize-log-crypto-done.stdout")[:80],
    ],
)
def test_sanitize_log_garbage(text: str) -> None:
    with pytest.raises(nvme.NvmeParseError):
        nvme.parse_sanitize_log(text)


@pytest.mark.parametrize(
    "text",
    ['{"oacs": 2, "fna": 0}', '{"oacs": true, "fna": 0, "sanicap": 0}', "not json", "null"],
)
def test_id_ctrl_garbage(text: str) -> None:
    with pytest.raises(nvme.NvmeParseError):
        nvme.parse_id_ctrl(text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_nvme_parsers_only_raise_parse_error(text: str) -> None:
    for parse in (nvme.parse_id_ctrl, nvme.parse_id_ns, nvme.parse_sanitize_log):
        with contextlib.suppress(nvme.NvmeParseError):
            parse(text)


def test_format_argv_keeps_namespace_format() -> None:
    from wipe.firmware import detect as _detect  # noqa: F401  (import check only)

    argv, _ = recording("qemu/nvme-format-user")
    _, ctrl_result = recording("qemu/nvme-id-ctrl")
    _, ns_result = recording("qemu/nvme-id-ns")
    info = nvme.info(
        nvme.parse_id_ctrl(ctrl_result.stdout.decode()),
        nvme.parse_id_ns(ns_result.stdout.decode()),
        1,
    )
    # The argv we build is exactly the one run against QEMU's controller.
    assert nvme.format_argv("/dev/nvme0n1", "nvme-format-user", info, 3_600_000) == argv


def test_sanitize_argv_overwrite_is_one_pass() -> None:
    assert nvme.sanitize_argv(NVME_DEV, "nvme-sanitize-crypto") == [
        "nvme",
        "sanitize",
        "--sanact=4",
        NVME_DEV,
    ]
    argv = nvme.sanitize_argv(NVME_DEV, "nvme-sanitize-overwrite")
    assert argv == ["nvme", "sanitize", "--sanact=3", "--owpass=1", "--ovrpat=0", NVME_DEV]


def test_ata_sanitize_overwrite_is_one_pass() -> None:
    argv = ata.sanitize_argv("/dev/sda", "ata-sanitize-overwrite")
    assert argv[argv.index("--sanitize-overwrite-passes") + 1] == "1"
    assert argv[argv.index("--sanitize-overwrite") + 1] == "hex:00000000"


NVME_DEV = "/dev/nvme0n1"
