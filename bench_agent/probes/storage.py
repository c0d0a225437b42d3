"""Disks: every block device that is a real disk, with what sysfs says about it.

Reads, per disk ``X`` listed in /sys/block (loop, ram, zram, dm, md, nbd, sr,
fd and eMMC boot partitions are skipped):

- ``realpath /sys/block/X`` (transport from the device path),
- ``/sys/block/X/{size,removable,queue/rotational,queue/logical_block_size,
  queue/physical_block_size}``,
- the drive's identity (maker, model, serial, firmware) through
  :func:`wipe.drive_identity.read_drive`, the erasure engine's own: ``dev``
  and the udev entry ``/run/udev/data/b<major>:<minor>``, NVMe
  ``device/{model,serial,firmware_rev}``, MMC ``device/{name,serial,fwrev}``,
  virtio ``serial``, others ``device/{vendor,model,rev,vpd_pg89}`` (ATA IDENTIFY
  through libata: full model, serial, firmware), ``device/vpd_pg80`` when
  page 0x89 is absent and the USB device's ``serial`` behind USB. Without page
  0x89 or udev a SATA disk's model is cut at 16 characters and its firmware is
  left unknown (the SCSI revision holds only its last 4 characters);
- NVMe ``wwid``, MMC ``device/type``, others ``device/wwid``.

Boot medium: ``/proc/self/mountinfo`` gives the ``major:minor`` mounted at ``/``
and at the live-boot medium; ``realpath /sys/dev/block/MAJ:MIN`` names the disk
(following ``/sys/block/dm-N/slaves`` down device-mapper and md stacks).
"""

from __future__ import annotations

import re
from typing import Literal, cast, get_args

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Disk, Transport
from bench_agent.probes.values import parse_int
from wipe.drive_identity import (
    clean_id,
    drive_identity,
    parse_vpd_pg80,
    parse_vpd_pg89,
    read_drive,
)
from wipe.drive_identity import transport_from_path as wipe_transport_from_path

__all__ = ["parse_vpd_pg80", "parse_vpd_pg89", "probe_disks", "transport_from_path"]

SECTOR_BYTES = 512
"""/sys/block/X/size counts 512-byte sectors whatever the disk's real sector size."""

_SKIP_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd")
_MMC_BOOT = re.compile(r"^mmcblk\d+(boot\d+|rpmb)$")

BOOT_MOUNT_POINTS = (
    "/",
    "/run/live/medium",
    "/lib/live/mount/medium",
    "/cdrom",
    "/run/initramfs/live",
    "/run/archiso/bootmnt",
)
"""Where the running system and the live medium are mounted (Debian live, old
Debian live, Ubuntu casper, dracut/Fedora live, Arch ISO)."""


def is_disk_name(name: str) -> bool:
    """True for kernel block names that can be disks (not loop, zram, optical...)."""
    return not name.startswith(_SKIP_PREFIXES) and not _MMC_BOOT.match(name)


def transport_from_path(path: str | None, name: str) -> Transport:
    """Bus a disk hangs on, from its /sys/devices path (see :mod:`wipe.drive_identity`)."""
    bus = wipe_transport_from_path(path, name)
    return cast(Transport, bus if bus in get_args(Transport) else "unknown")


def _wwn(value: str | None) -> str | None:
    # Only real world-wide names: "t10.ATA ..." ids embed model and serial, not a WWN.
    value = clean_id(value)
    if value and value.startswith(("naa.", "eui.", "0x")):
        return value
    return None


def _mount_majmin(mountinfo: str) -> dict[str, str]:
    """Mount point → "major:minor" for every block-backed mount (major 0 is virtual)."""
    result: dict[str, str] = {}
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5 or ":" not in fields[2]:
            continue
        majmin, mount_point = fields[2], fields[4].replace("\\040", " ")
        if majmin.split(":", 1)[0] != "0":
            result.setdefault(mount_point, majmin)
    return result


def _disks_in_path(path: str | None, disk_names: set[str]) -> str | None:
    for part in reversed((path or "").rstrip("/").split("/")):
        if part in disk_names:
            return part
    return None


# LUKS on LVM on a partition is two device-mapper levels; three is plenty.
_MAX_STACK_DEPTH = 3


def _disks_under(host: Host, leaf: str, disk_names: set[str], depth: int) -> set[str]:
    """Disks below a dm/md device, following ``slaves`` down the stack."""
    found: set[str] = set()
    if depth > _MAX_STACK_DEPTH or not leaf.startswith(("dm-", "md")):
        return found
    for slave in host.list_dir(f"/sys/block/{leaf}/slaves") or []:
        disk = _disks_in_path(host.realpath(f"/sys/class/block/{slave}"), disk_names)
        if disk:
            found.add(disk)
        else:
            found |= _disks_under(host, slave, disk_names, depth + 1)
    return found


def _disk_of(host: Host, majmin: str, disk_names: set[str]) -> set[str]:
    """Names of the disks behind a block device number (through dm/md stacks)."""
    path = host.realpath(f"/sys/dev/block/{majmin}")
    if not path:
        return set()
    disk = _disks_in_path(path, disk_names)
    if disk:
        return {disk}
    return _disks_under(host, path.rstrip("/").rsplit("/", 1)[-1], disk_names, 1)


def mounted_disks(host: Host) -> set[str]:
    """Disks with at least one mounted filesystem (partition, dm or the whole disk)."""
    names = {n for n in host.list_dir("/sys/block") or [] if is_disk_name(n)}
    info = host.read_text("/proc/self/mountinfo") or ""
    found: set[str] = set()
    for majmin in set(_mount_majmin(info).values()):
        found |= _disk_of(host, majmin, names)
    return found


def boot_disks(host: Host, disk_names: set[str]) -> set[str] | None:
    """Disks holding / or the live-boot medium (never to be erased); None if unknowable."""
    info = host.read_text("/proc/self/mountinfo")
    if info is None:
        return None
    mounts = _mount_majmin(info)
    found: set[str] = set()
    for mount_point in BOOT_MOUNT_POINTS:
        majmin = mounts.get(mount_point)
        if majmin:
            found |= _disk_of(host, majmin, disk_names)
    return found


def _probe_one(host: Host, name: str, notes: list[Note]) -> Disk | None:
    base = f"/sys/block/{name}"
    sys_path = host.realpath(base)
    transport = transport_from_path(sys_path, name)
    sectors = parse_int(host.read_text(f"{base}/size"))
    if sectors == 0:
        notes.append(
            Note(
                code="storage.no_medium",
                message=_t(
                    "{name} : aucun support inséré (lecteur de cartes vide ?), ignoré", name=name
                ),
            )
        )
        return None
    removable = host.read_text(f"{base}/removable") == "1"
    rotational_raw = host.read_text(f"{base}/queue/rotational")
    rotational: bool | None = None if rotational_raw is None else rotational_raw == "1"
    dev = f"{base}/device"
    # Maker, model, serial and firmware: the same function the erasure engine uses, so the
    # inventory, `erase --list` and the certificates name a drive the same way.
    ident = drive_identity(read_drive(name, host.read_bytes, sys_path))
    wwn = None
    if transport == "nvme":
        wwn = _wwn(host.read_text(f"{base}/wwid"))
    elif transport == "mmc":
        # An SD card is a removable medium even if the kernel says removable=0.
        if host.read_text(f"{dev}/type") == "SD":
            removable = True
    elif transport != "virtio":
        wwn = _wwn(host.read_text(f"{dev}/wwid"))
    if transport == "usb" and rotational:
        # USB bridges report rotational=1 for flash sticks and SSDs alike.
        rotational = None
        notes.append(
            Note(
                code="storage.usb_rotational_unreliable",
                message=_t(
                    "{name} : derrière un pont USB, « disque rotatif » n'est pas fiable "
                    "(HDD ou SSD inconnu)",
                    name=name,
                ),
            )
        )
    media: Literal["hdd", "ssd", "unknown"] = (
        "unknown" if rotational is None else ("hdd" if rotational else "ssd")
    )
    return Disk(
        name=name,
        path=f"/dev/{name}",
        model=ident.model,
        maker=ident.maker,
        serial=ident.serial,
        firmware=ident.firmware,
        capacity_bytes=None if sectors is None else sectors * SECTOR_BYTES,
        rotational=rotational,
        media=media,
        transport=transport,
        removable=removable,
        logical_block_size=parse_int(host.read_text(f"{base}/queue/logical_block_size")),
        physical_block_size=parse_int(host.read_text(f"{base}/queue/physical_block_size")),
        wwn=wwn,
    )


def probe_disks(host: Host, notes: list[Note]) -> list[Disk]:
    """Every disk of the machine, the boot medium flagged."""
    listing = host.list_dir("/sys/block")
    if listing is None:
        notes.append(
            Note(
                code="storage.no_sysfs",
                message=_t("/sys/block illisible : disques inconnus"),
            )
        )
        return []
    names = sorted(n for n in listing if is_disk_name(n))
    disks = [d for d in (_probe_one(host, n, notes) for n in names) if d is not None]
    if disks:
        boot = boot_disks(host, {d.name for d in disks})
        if boot is None:
            notes.append(
                Note(
                    code="storage.boot_disk_unknown",
                    message=_t(
                        "Table des montages illisible : impossible de savoir quel disque porte "
                        "le système démarré — ne rien effacer sans vérifier"
                    ),
                )
            )
        for disk in disks:
            disk.boot_medium = boot is not None and disk.name in boot
    return disks
