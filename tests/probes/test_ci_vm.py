"""The probes on this project's CI-class VM: its recording (always) and the live machine.

The VM has a virtio disk (vda), zram swap, loop devices, no DRM, no TPM, no
USB and legacy boot: the probes must report unknowns as unknown, not crash.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest

from bench_agent.host.live import LiveHost
from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.probes import devices, display, firmware, os_release, storage

RECORDED = Path(__file__).parents[1] / "fixtures" / "hosts" / "ci-vm-virtio"


def test_recorded_vm_virtio_disk_is_the_boot_disk_and_zram_loops_are_skipped() -> None:
    host = RecordedHost(RECORDED)
    notes: list[Note] = []
    (vda,) = storage.probe_disks(host, notes)
    assert (vda.name, vda.transport, vda.boot_medium) == ("vda", "virtio", True)
    assert vda.capacity_bytes == 274877906944  # 256 GiB, size 536870912 sectors
    assert vda.serial == "overlayblk"
    assert storage.mounted_disks(host) == {"vda"}


def test_recorded_vm_other_probes() -> None:
    host = RecordedHost(RECORDED)
    notes: list[Note] = []
    assert display.probe_displays(host, notes) == []
    devs = devices.probe_devices(host, notes)
    assert [(d.kind, d.bus, d.vendor_id, d.product_id, d.interface) for d in devs] == [
        ("ethernet", "pci", "1af4", "1041", "eth0")  # virtio-net; ifb0/ifb1 are virtual
    ]
    fw = firmware.probe_firmware(host, notes)
    assert (fw.boot_mode, fw.secure_boot, fw.tpm_present, fw.windows_key_in_acpi) == (
        "legacy",
        "unsupported",
        "no",
        "no",
    )
    os_info = os_release.probe_os(host, notes)
    assert os_info.distribution == "Debian GNU/Linux 12 (bookworm)"
    assert sorted(n.code for n in notes) == ["display.no_drm", "firmware.no_tpm"]


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return None


@pytest.mark.skipif(not Path("/sys/block").is_dir(), reason="needs a Linux /sys")
def test_live_host_probes_agree_with_sysfs() -> None:
    host = LiveHost()
    notes: list[Note] = []
    disks = storage.probe_disks(host, notes)
    expected = sorted(
        n
        for n in os.listdir("/sys/block")
        if storage.is_disk_name(n) and _read(f"/sys/block/{n}/size") not in ("0", None)
    )
    assert sorted(d.name for d in disks) == expected
    for disk in disks:
        assert disk.capacity_bytes == int(_read(f"/sys/block/{disk.name}/size") or 0) * 512
    # Whatever the machine, the disk holding / (if any local one) is flagged.
    root_dev = os.stat("/").st_dev
    root_name = os.path.basename(
        os.path.realpath(f"/sys/dev/block/{os.major(root_dev)}:{os.minor(root_dev)}")
    )
    for disk in disks:
        if root_name == disk.name or root_name.startswith(disk.name):
            assert disk.boot_medium
    all_results = [
        disks,
        display.probe_displays(host, notes),
        devices.probe_devices(host, notes),
        firmware.probe_firmware(host, notes),
        os_release.probe_os(host, notes),
    ]
    encoded = msgspec.json.encode(all_results).decode()
    for iface in os.listdir("/sys/class/net"):
        mac = _read(f"/sys/class/net/{iface}/address")
        if mac and mac != "00:00:00:00:00:00":
            assert mac not in encoded
    fw = all_results[3]
    assert fw.boot_mode == ("uefi" if Path("/sys/firmware/efi").is_dir() else "legacy")
