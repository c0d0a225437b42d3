"""detect() and policy_choice() on recorded drives."""

from __future__ import annotations

import pytest
from firmware_replay import RECORDED, ReplayRunner, Result, output, recording

from wipe.firmware import detect, policy_choice

NVME = "/dev/nvme0n1"
SDA = "/dev/sda"


def hdparm_i(public_name: str, device: str = SDA) -> tuple[list[object], Result]:
    return (["hdparm", "-I", device], output(f"public/{public_name}.hdparm-I.txt"))


def nvme_steps(id_ctrl: Result) -> list[tuple[list[object], Result]]:
    return [
        (["nvme", "id-ctrl", "-o", "json", NVME], id_ctrl),
        recording("qemu/nvme-id-ns"),
    ]


def toshiba_id_ctrl() -> Result:
    return output("public/toshiba-kxg6aznv512g.id-ctrl.json")


def test_qemu_nvme_offers_user_data_format_only() -> None:
    runner = ReplayRunner(nvme_steps(recording("qemu/nvme-id-ctrl")[1]))
    caps = detect(runner, NVME)
    runner.assert_done()
    assert caps.known and caps.interface == "nvme"
    assert caps.methods == ("nvme-format-user",)
    assert caps.nvme is not None and caps.nvme.model == "QEMU NVMe Ctrl"
    assert len(caps.commands) == 2
    assert policy_choice(caps, "nvme") == ["nvme-format-user"]


def test_laptop_nvme_with_sanitize_crypto_and_block() -> None:
    runner = ReplayRunner(nvme_steps(toshiba_id_ctrl()))
    caps = detect(runner, NVME)
    assert caps.methods == (
        "nvme-sanitize-crypto",
        "nvme-sanitize-block",
        "nvme-format-crypto",
        "nvme-format-user",
    )
    assert "NVMe Sanitize, effacement cryptographique ; " in caps.reason_fr
    assert "NVMe Sanitize, crypto erase; " in caps.reason_en
    assert policy_choice(caps, "nvme") == [
        "nvme-sanitize-crypto",
        "nvme-sanitize-block",
        "nvme-format-crypto",
        "nvme-format-user",
    ]


def test_controller_path_asks_namespace_one() -> None:
    argv, result = recording("qemu/nvme-id-ctrl-controller")
    runner = ReplayRunner(
        [
            (argv, result),
            (
                ["nvme", "id-ns", "-o", "json", "--namespace-id=1", "/dev/nvme0"],
                recording("qemu/nvme-id-ns")[1],
            ),
        ]
    )
    caps = detect(runner, "/dev/nvme0")
    runner.assert_done()
    assert caps.nvme is not None and caps.nvme.nsid == 1


def test_unreadable_namespace_leaves_format_out_with_reason() -> None:
    runner = ReplayRunner(
        [
            (["nvme", "id-ctrl", "-o", "json", NVME], toshiba_id_ctrl()),
            (["nvme", "id-ns", "-o", "json", NVME], Result(0, b'{"nsze": 1', b"")),
        ]
    )
    caps = detect(runner, NVME)
    assert caps.methods == ("nvme-sanitize-crypto", "nvme-sanitize-block")
    assert "Format" in caps.reason_en and "namespace" in caps.reason_en


@pytest.mark.parametrize(
    "result",
    [
        Result(0, (RECORDED / "public/toshiba-kxg6aznv512g.id-ctrl.json").read_bytes()[:300]),
        Result(0, b"\x00\xff garbage"),
        Result(None, error="not-found"),
        Result(None, error="timeout"),
        recording("host-loop/nvme-id-ctrl")[1],  # nvme-cli on a loop device
    ],
    ids=["truncated", "garbage", "not-installed", "timeout", "loop-device"],
)
def test_unreadable_controller_is_unknown(result: Result) -> None:
    runner = ReplayRunner([(["nvme", "id-ctrl", "-o", "json", NVME], result)])
    caps = detect(runner, NVME)
    assert not caps.known
    assert caps.methods == ()
    assert caps.reason_fr and caps.reason_en
    assert policy_choice(caps, "nvme") == []


def test_frozen_sata_ssd_never_gets_security_erase() -> None:
    caps = detect(ReplayRunner([hdparm_i("micron-5300-frozen")]), SDA)
    assert caps.known and caps.interface == "ata"
    assert caps.methods == (
        "ata-sanitize-crypto",
        "ata-sanitize-block",
        "ata-sanitize-overwrite",
        "ata-secure-erase-enhanced",
        "ata-secure-erase",
    )
    assert "frozen" in caps.reason_en
    chosen = policy_choice(caps, "ssd", allow_ata_security_erase=True)
    assert chosen == ["ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite"]


def test_security_erase_only_when_policy_allows() -> None:
    caps = detect(ReplayRunner([hdparm_i("intel-ssdsc2bb480g7k-not-frozen")]), SDA)
    sanitize = ["ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite"]
    assert policy_choice(caps, "ssd") == sanitize
    assert policy_choice(caps, "ssd", allow_ata_security_erase=True) == [
        *sanitize,
        "ata-secure-erase-enhanced",
        "ata-secure-erase",
    ]


def test_magnetic_media_prefers_sanitize_overwrite_to_block_erase() -> None:
    caps = detect(ReplayRunner([hdparm_i("intel-ssdsc2bb480g7k-not-frozen")]), SDA)
    assert policy_choice(caps, "hdd")[:3] == [
        "ata-sanitize-crypto",
        "ata-sanitize-overwrite",
        "ata-sanitize-block",
    ]


def test_old_hdd_normal_security_erase_only() -> None:
    caps = detect(ReplayRunner([hdparm_i("seagate-st380011a-not-frozen", "/dev/hda")]), "/dev/hda")
    assert caps.methods == ("ata-secure-erase",)
    assert policy_choice(caps, "hdd") == []
    assert policy_choice(caps, "hdd", allow_ata_security_erase=True) == ["ata-secure-erase"]


@pytest.mark.parametrize("name", ["qemu/hdparm-I", "qemu/sata-hdd-hdparm-I"])
def test_qemu_sata_disk_offers_nothing(name: str) -> None:
    argv, result = recording(name)
    caps = detect(ReplayRunner([(argv, result)]), argv[-1])
    assert caps.known
    assert caps.methods == ()
    assert policy_choice(caps, "ssd", allow_ata_security_erase=True) == []


@pytest.mark.parametrize("name", ["qemu/usb-hdd-hdparm-I", "host-loop/hdparm-I"])
def test_usb_bridge_and_loop_device_are_unknown(name: str) -> None:
    argv, result = recording(name)
    caps = detect(ReplayRunner([(argv, result)]), argv[-1])
    assert not caps.known
    assert "ATA" in caps.reason_en
    assert policy_choice(caps, "hdd") == []


def test_declared_usb_transport_runs_no_command() -> None:
    runner = ReplayRunner([])  # any command would raise
    caps = detect(runner, "/dev/sdb", transport="usb")
    assert not caps.known
    assert "USB" in caps.reason_fr and "USB" in caps.reason_en
    assert runner.calls == []


@pytest.mark.parametrize("transport", ["loop", "virtio"])
def test_virtual_devices_run_no_command(transport: str) -> None:
    runner = ReplayRunner([])
    caps = detect(runner, "/dev/loop3", transport=transport)
    assert not caps.known and "virtual device" in caps.reason_en
    assert runner.calls == []
