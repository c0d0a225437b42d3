"""Target safety checks on fake /sys and /proc trees (real layouts, injectable root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wipe.system import SystemView
from wipe.targets import list_targets, select_targets

MOUNTINFO = """\
22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
23 22 8:1 / /boot/efi rw,relatime shared:2 - vfat /dev/sda1 rw
30 22 8:49 / /media/usb\\040stick rw,relatime shared:3 - vfat /dev/sdd1 rw
31 22 0:25 / /proc rw,nosuid - proc proc rw
garbage line without separator
"""

SWAPS = """\
Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/sde2                               partition\t8388604\t\t0\t\t-2
"""


def _disk(
    root: Path,
    name: str,
    major_minor: str,
    sectors: int,
    *,
    rotational: str = "1",
    model: str | None = None,
    serial: str | None = None,
    parts: int = 0,
    bus: str | None = None,
) -> Path:
    if bus:
        real = root / "sys/devices" / bus / "block" / name
        real.mkdir(parents=True)
        (root / "sys/block").mkdir(parents=True, exist_ok=True)
        os.symlink(real, root / "sys/block" / name)
        base = real
    else:
        base = root / "sys/block" / name
        base.mkdir(parents=True)
    (base / "dev").write_text(major_minor + "\n")
    (base / "size").write_text(f"{sectors}\n")
    (base / "ro").write_text("0\n")
    (base / "queue").mkdir()
    (base / "queue/rotational").write_text(rotational + "\n")
    (base / "holders").mkdir()
    (base / "device").mkdir()
    if model:
        (base / "device/model").write_text(model + "   \n")
    if serial:
        (base / "device/serial").write_text(serial + "\n")
    major, minor = major_minor.split(":")
    for i in range(1, parts + 1):
        p = base / f"{name}{'p' if name[-1].isdigit() else ''}{i}"
        p.mkdir()
        (p / "partition").write_text(f"{i}\n")
        (p / "dev").write_text(f"{major}:{int(minor) + i}\n")
        (p / "holders").mkdir()
    return base


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    _disk(
        root,
        "sda",
        "8:0",
        500118192,
        rotational="0",
        model="Samsung SSD 860",
        parts=2,
        bus="pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0",
    )
    _disk(
        root,
        "sdb",
        "8:16",
        976773168,
        model="WDC WD5000LPVX",
        parts=1,
        bus="pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0",
    )
    _disk(
        root,
        "nvme0n1",
        "259:0",
        1000215216,
        rotational="0",
        serial="S4EWNX0N123456",
        model="Samsung SSD 970 EVO Plus 500GB",
    )
    sdc = _disk(
        root,
        "sdc",
        "8:32",
        625142448,
        model="ST320LT007",
        parts=1,
        bus="pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
    )
    (sdc / "device/vpd_pg80").write_bytes(b"\x00\x80\x00\x0cNA5K0XYZ    ")
    (sdc / "sdc1/holders/dm-0").mkdir()
    _disk(root, "sdd", "8:48", 30031872, model="Cruzer", parts=1)
    _disk(root, "sde", "8:64", 234441648, model="KINGSTON SA400", parts=2, rotational="0")
    _disk(root, "zram0", "253:0", 0, rotational="0")
    _disk(root, "sdf", "8:80", 0, model="Card reader")
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/mountinfo").write_text(MOUNTINFO)
    (root / "proc/swaps").write_text(SWAPS)
    return root


def test_refusals_and_identity(fake_root: Path) -> None:
    targets = {t.name: t for t in list_targets(SystemView(fake_root))}
    codes = {name: [r.code for r in t.refusals] for name, t in targets.items()}
    assert codes == {
        "nvme0n1": [],
        "sda": ["boot-disk", "mounted"],
        "sdb": [],
        "sdc": ["holders"],
        "sdd": ["mounted"],
        "sde": ["swap"],
        "sdf": ["empty"],
        "zram0": ["virtual", "empty"],
    }
    assert "/boot/efi" in targets["sda"].refusals[1].en
    assert "/media/usb stick" in targets["sdd"].refusals[0].fr
    assert "dm-0" in targets["sdc"].refusals[0].en
    nvme = targets["nvme0n1"]
    assert (nvme.media, nvme.transport, nvme.serial) == ("nvme", "nvme", "S4EWNX0N123456")
    assert nvme.size_bytes == 1000215216 * 512
    assert nvme.confirmation_token == "S4EWNX0N123456"
    assert (targets["sda"].media, targets["sda"].transport) == ("ssd", "sata")
    assert (targets["sdb"].media, targets["sdb"].model) == ("hdd", "WDC WD5000LPVX")
    assert targets["sdb"].serial is None and targets["sdb"].confirmation_token == "sdb"
    assert (targets["sdc"].transport, targets["sdc"].serial) == ("usb", "NA5K0XYZ")


def test_selection_refuses_partitions_and_unknown(fake_root: Path) -> None:
    view = SystemView(fake_root)
    part, unknown, disk = select_targets(["/dev/sdb1", "/dev/sdz", "/dev/sdb"], view)
    assert [r.code for r in part.refusals] == ["partition"]
    assert "sdb" in part.refusals[0].en
    assert [r.code for r in unknown.refusals] == ["not-found"]
    assert disk.erasable
    first, again = select_targets(["/dev/nvme0n1", "/dev/nvme0n1"], view)
    assert first.erasable and [r.code for r in again.refusals] == ["duplicate"]


@pytest.mark.parametrize("mountinfo", [None, b"\xff\xfe garbage \x00\n", b""])
def test_unreadable_mount_table_refuses_everything(
    fake_root: Path, mountinfo: bytes | None
) -> None:
    (fake_root / "proc/swaps").unlink()
    path = fake_root / "proc/self/mountinfo"
    if mountinfo is None:
        path.unlink()
    else:
        path.write_bytes(mountinfo)
    targets = list_targets(SystemView(fake_root))
    assert targets
    assert all("mounts-unknown" in [r.code for r in t.refusals] for t in targets)


def test_live_system_disk_is_refused() -> None:
    """On this machine the disk holding / must be refused (whatever its name)."""
    targets = {t.name: t for t in list_targets()}
    root_dev = os.stat("/").st_dev
    by_number = {(Path("/sys/block") / name / "dev").read_text().strip(): name for name in targets}
    disk = by_number.get(f"{os.major(root_dev)}:{os.minor(root_dev)}")
    if disk is None:  # / on a partition, overlay or btrfs subvolume: find it via mountinfo
        disks = [t for t in targets.values() if any(r.code == "boot-disk" for r in t.refusals)]
        assert disks or os.major(root_dev) == 0, "root on a block device but no boot disk found"
    else:
        assert "boot-disk" in [r.code for r in targets[disk].refusals]


def test_second_device_of_a_mounted_btrfs_is_refused(fake_root: Path) -> None:
    """A two-device btrfs mounted from sdd1: the mount table names only sdd1, the kernel
    lists both members under /sys/fs/btrfs/<fsid>/devices. sde1 must not be erasable."""
    fsid = "3c2b1a0f-1111-2222-3333-444455556666"
    devices = fake_root / "sys/fs/btrfs" / fsid / "devices"
    devices.mkdir(parents=True)
    (fake_root / "sys/fs/btrfs/features").mkdir()  # not a filesystem: no devices/
    for member in ("sdd1", "sde1"):
        os.symlink(fake_root / "sys/block" / member[:3] / member, devices / member)
    (fake_root / "proc/swaps").write_text(SWAPS.splitlines()[0] + "\n")  # no swap on sde
    by_name = {t.name: t for t in list_targets(SystemView(fake_root))}
    codes = [r.code for r in by_name["sde"].refusals]
    assert "mounted" in codes
    assert any("btrfs 3c2b1a0f" in r.fr for r in by_name["sde"].refusals)
    assert not [r for r in by_name["nvme0n1"].refusals if r.code == "mounted"]
