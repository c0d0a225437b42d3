"""Which block devices may be erased, and why the others may not.

Reads /sys/block, /proc/self/mountinfo and /proc/swaps through
:class:`wipe.system.SystemView` (root injectable for tests). A device is
erasable only when explicitly selected and none of these hold: it holds the
running system or the live medium, a partition is mounted, swap is active on
it, something holds it (LVM, MD, dm-crypt), it is read-only, empty, virtual, or
a partition rather than a whole disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from wipe.drive_identity import DriveIdentity, clean_id, drive_identity, read_drive
from wipe.system import SystemView, sys_realpath

BOOT_MOUNT_POINTS = (
    "/",
    "/boot",
    "/boot/efi",
    "/usr",
    "/run/live/medium",
    "/lib/live/mount/medium",
    "/run/initramfs/live",
)
"""Mount points whose disk is the one the system runs from (or its live medium)."""
VIRTUAL_PREFIXES = ("ram", "zram", "dm-", "md", "sr", "fd")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a device may not be erased, in French and English."""

    code: str
    fr: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "fr": self.fr, "en": self.en}


@dataclass(slots=True)
class Target:
    """A block device with its identity and any reasons not to erase it."""

    name: str
    device_path: str
    model: str | None
    serial: str | None
    size_bytes: int | None
    transport: str | None
    """``nvme``, ``sata``, ``usb``, ``scsi``, ``mmc``, ``virtio``, ``loop`` or None."""
    rotational: bool | None
    media: str
    """``hdd``, ``ssd``, ``nvme`` or ``unknown`` (what the policy keys on)."""
    vendor: str | None = None
    """The maker ("Western Digital"), never the bus placeholder "ATA"."""
    backing_file: str | None = None
    firmware: str | None = None
    """Firmware revision (shown by ``erase --list``; not part of :meth:`identity`)."""
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def erasable(self) -> bool:
        return not self.refusals

    @property
    def confirmation_token(self) -> str:
        """What an operator types to confirm: the serial, or the device name without one."""
        return self.serial or self.name

    def identity(self) -> dict[str, object]:
        return {
            "name": self.name,
            "device_path": self.device_path,
            "vendor": self.vendor,
            "model": self.model,
            "serial": self.serial,
            "size_bytes": self.size_bytes,
            "transport": self.transport,
            "rotational": self.rotational,
            "media": self.media,
            "backing_file": self.backing_file,
        }


def _identity(view: SystemView, name: str) -> DriveIdentity:
    """Maker, full model, serial, firmware and bus: the inventory's own function."""
    path = f"/sys/block/{name}"
    sys_path = sys_realpath(view, path) if view.exists(path) else None
    return drive_identity(read_drive(name, view.read_bytes, sys_path))


def _dev_numbers(view: SystemView) -> dict[str, tuple[str, str | None]]:
    """major:minor -> (disk name, partition name or None), from /sys/block."""
    numbers: dict[str, tuple[str, str | None]] = {}
    for disk in view.list_dir("/sys/block"):
        dev = view.read_text(f"/sys/block/{disk}/dev")
        if dev:
            numbers[dev] = (disk, None)
        for part in _partitions(view, disk):
            pdev = view.read_text(f"/sys/block/{disk}/{part}/dev")
            if pdev:
                numbers[pdev] = (disk, part)
    return numbers


def _partitions(view: SystemView, disk: str) -> list[str]:
    return [
        entry
        for entry in view.list_dir(f"/sys/block/{disk}")
        if entry.startswith(disk) and view.exists(f"/sys/block/{disk}/{entry}/partition")
    ]


def _disk_of_device_name(view: SystemView, devname: str) -> str | None:
    """``sda2`` -> ``sda``; ``/dev/nvme0n1p1`` -> ``nvme0n1``."""
    base = os.path.basename(devname)
    for disk in view.list_dir("/sys/block"):
        if base == disk or base in _partitions(view, disk):
            return disk
    return None


def list_targets(view: SystemView | None = None) -> list[Target]:
    """Every block device with its identity and refusals (none means erasable if selected)."""
    v = view or SystemView()
    numbers = _dev_numbers(v)
    mounts = v.mounts()
    swaps = v.swaps()
    boot_disks: dict[str, str] = {}
    mounted: dict[str, list[str]] = {}
    for m in mounts:
        disk = numbers.get(m.major_minor, (None, None))[0]
        if disk is None and m.source.startswith("/dev/"):
            disk = _disk_of_device_name(v, v.realpath(m.source))
        if disk is None:
            continue
        mounted.setdefault(disk, []).append(m.mount_point)
        if m.mount_point in BOOT_MOUNT_POINTS:
            boot_disks.setdefault(disk, m.mount_point)
    # A multi-device btrfs shows one device in the mount table; the kernel lists every
    # member of each mounted btrfs under /sys/fs/btrfs/<fsid>/devices/.
    for fsid in v.list_dir("/sys/fs/btrfs"):
        for member in v.list_dir(f"/sys/fs/btrfs/{fsid}/devices"):
            disk = _disk_of_device_name(v, f"/dev/{member}")
            if disk is not None:
                mounted.setdefault(disk, []).append(f"btrfs {fsid[:8]}")
    swap_disks = {d for d in (_disk_of_device_name(v, s) for s in swaps) if d}
    targets: list[Target] = []
    for name in v.list_dir("/sys/block"):
        t = _describe(v, name, boot_disks, mounted, swap_disks)
        if not mounts:
            # Fail safe: without a mount table nothing proves a disk is unused.
            t.refusals.append(
                Refusal(
                    "mounts-unknown",
                    "table des montages illisible (/proc/self/mountinfo) : prudence, refusé",
                    "mount table unreadable (/proc/self/mountinfo): refused to be safe",
                )
            )
        targets.append(t)
    return targets


def _describe(
    v: SystemView,
    name: str,
    boot_disks: dict[str, str],
    mounted: dict[str, list[str]],
    swap_disks: set[str],
) -> Target:
    base = f"/sys/block/{name}"
    sectors = v.read_text(f"{base}/size")
    size = int(sectors) * 512 if sectors and sectors.isdigit() else None
    rot_text = v.read_text(f"{base}/queue/rotational")
    rotational = {"1": True, "0": False}.get(rot_text or "")
    ident = _identity(v, name)
    transport = None if ident.transport == "unknown" else ident.transport
    if transport == "nvme":
        media = "nvme"
    elif transport in {"loop", "virtio"} or rotational is None:
        media = "unknown"
    else:
        media = "hdd" if rotational else "ssd"
    backing = clean_id(v.read_text(f"{base}/loop/backing_file"))
    model = ident.model
    if model is None and transport == "loop":
        model = "loop device"
    t = Target(
        name=name,
        device_path=f"/dev/{name}",
        model=model,
        serial=ident.serial,
        size_bytes=size,
        transport=transport,
        rotational=rotational,
        media=media,
        vendor=ident.maker,
        backing_file=backing,
        firmware=ident.firmware,
    )
    r = t.refusals
    if name.startswith(VIRTUAL_PREFIXES):
        r.append(
            Refusal(
                "virtual",
                "périphérique virtuel (RAM, device-mapper, RAID, optique) : "
                "effacer les disques physiques",
                "virtual device (RAM, device-mapper, RAID, optical): "
                "erase the physical disks instead",
            )
        )
    if name in boot_disks:
        r.append(
            Refusal(
                "boot-disk",
                f"disque de démarrage (contient {boot_disks[name]})",
                f"boot disk (holds {boot_disks[name]})",
            )
        )
    if name in mounted:
        points = ", ".join(sorted(mounted[name])[:3])
        r.append(
            Refusal("mounted", f"partition montée ({points})", f"mounted partition ({points})")
        )
    if name in swap_disks:
        r.append(
            Refusal(
                "swap", "mémoire d'échange (swap) active sur ce disque", "active swap on this disk"
            )
        )
    holders = v.list_dir(f"{base}/holders")
    for part in _partitions(v, name):
        holders += v.list_dir(f"{base}/{part}/holders")
    if holders:
        held = ", ".join(sorted(set(holders)))
        r.append(
            Refusal(
                "holders",
                f"utilisé par {held} (LVM, RAID ou chiffrement)",
                f"held by {held} (LVM, RAID or encryption)",
            )
        )
    if v.read_text(f"{base}/ro") == "1":
        r.append(Refusal("read-only", "disque en lecture seule", "read-only disk"))
    if not size:
        r.append(
            Refusal(
                "empty",
                "taille nulle ou inconnue (pas de support ?)",
                "zero or unknown size (no medium?)",
            )
        )
    return t


def select_targets(device_paths: list[str], view: SystemView | None = None) -> list[Target]:
    """The explicitly selected devices, each with its refusals (unknown or partition refused)."""
    v = view or SystemView()
    known = {t.name: t for t in list_targets(v)}
    selected: list[Target] = []
    for path in device_paths:
        real = v.realpath(path)
        name = os.path.basename(real)
        if any(s.name == name and s.device_path == real for s in selected):
            dup = Target(name, real, None, None, None, None, None, "unknown")
            dup.refusals.append(
                Refusal(
                    "duplicate",
                    f"{path} est sélectionné deux fois (même disque)",
                    f"{path} is selected twice (same disk)",
                )
            )
            selected.append(dup)
            continue
        if name in known and real.startswith("/dev/"):
            t = known[name]
            t.device_path = real
            selected.append(t)
            continue
        disk = _disk_of_device_name(v, real)
        t = Target(name, real, None, None, None, None, None, "unknown")
        if disk is not None and real.startswith("/dev/"):
            t.refusals.append(
                Refusal(
                    "partition",
                    f"{real} est une partition de {disk} : sélectionner le disque entier",
                    f"{real} is a partition of {disk}: select the whole disk",
                )
            )
        else:
            t.refusals.append(
                Refusal(
                    "not-found",
                    f"{path} n'est pas un disque connu (/sys/block)",
                    f"{path} is not a known disk (/sys/block)",
                )
            )
        selected.append(t)
    return selected
