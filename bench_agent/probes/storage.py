"""Disks: every block device that is a real disk, with what sysfs says about it.

Reads, per disk ``X`` listed in /sys/block (loop, ram, zram, dm, md, nbd, sr,
fd and eMMC boot partitions are skipped):

- ``realpath /sys/block/X`` (transport from the device path),
- ``/sys/block/X/{size,removable,queue/rotational,queue/logical_block_size,
  queue/physical_block_size}``,
- NVMe: ``device/{model,serial,firmware_rev}`` and ``wwid``;
  MMC: ``device/{name,serial,fwrev,type}``;
  others: ``device/{vendor,model,rev,wwid}``, ``device/vpd_pg89`` (ATA IDENTIFY
  through libata: full model, serial, firmware) then ``device/vpd_pg80`` (unit
  serial) when pg89 is absent; virtio: ``serial``. Without page 0x89 a SATA
  disk's model is cut at 16 characters and its firmware is left unknown (the
  SCSI revision holds only its last 4 characters): smartctl completes them.

Boot medium: ``/proc/self/mountinfo`` gives the ``major:minor`` mounted at ``/``
and at the live-boot medium; ``realpath /sys/dev/block/MAJ:MIN`` names the disk
(following ``/sys/block/dm-N/slaves`` down device-mapper and md stacks).
"""

from __future__ import annotations

import re
from typing import Literal

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Disk, Transport
from bench_agent.probes.values import parse_int

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

# SCSI vendor fields that name the bus, not a maker (libata, some USB bridges).
_PLACEHOLDER_VENDORS = {"ATA", "USB"}
# Junk a bridge or firmware puts in identity fields.
_JUNK_IDS = {"", "0", "none", "unknown", "default string", "to be filled by o.e.m."}


def is_disk_name(name: str) -> bool:
    """True for kernel block names that can be disks (not loop, zram, optical...)."""
    return not name.startswith(_SKIP_PREFIXES) and not _MMC_BOOT.match(name)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    # Surrogates stand for non-UTF-8 bytes (read_text keeps them): junk for an id.
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return None
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return None if text.lower() in _JUNK_IDS else text


def transport_from_path(path: str | None, name: str) -> Transport:
    """Bus a disk hangs on, from its /sys/devices path (USB checked first: it wraps SCSI)."""
    if name.startswith("mmcblk"):
        return "mmc"
    if not path:
        return "unknown"
    if "/usb" in path:
        return "usb"
    if "/nvme" in path or name.startswith("nvme"):
        return "nvme"
    if "/mmc_host/" in path:
        return "mmc"
    if "/virtio" in path:
        return "virtio"
    if "/end_device-" in path or "/sas_" in path:
        return "sas"
    if "/ata" in path:
        return "sata"
    if re.search(r"/host\d+/.*target", path):
        return "scsi"
    return "unknown"


def _ata_string(identify: bytes, first_word: int, last_word: int) -> str | None:
    # ATA strings are big-endian 16-bit words: swap each pair of bytes.
    raw = identify[first_word * 2 : (last_word + 1) * 2]
    if len(raw) < (last_word + 1 - first_word) * 2:
        return None
    swapped = bytes(b for i in range(0, len(raw), 2) for b in (raw[i + 1], raw[i]))
    return _clean(swapped.decode("ascii", errors="replace").replace("\ufffd", ""))


def parse_vpd_pg89(data: bytes) -> tuple[str | None, str | None, str | None]:
    """(model, serial, firmware) from the ATA Information VPD page (SAT, page 0x89).

    The page carries the drive's 512-byte IDENTIFY DEVICE data at offset 60:
    serial in words 10–19, firmware in 23–26, model in 27–46. The SCSI model
    in sysfs is cut at 16 characters; this one is complete.
    """
    if len(data) < 60 + 94 or data[1] != 0x89:
        return None, None, None
    identify = data[60 : 60 + 512]
    return (
        _ata_string(identify, 27, 46),
        _ata_string(identify, 10, 19),
        _ata_string(identify, 23, 26),
    )


def parse_vpd_pg80(data: bytes) -> str | None:
    """Unit serial number from the VPD page 0x80 (4-byte header, then ASCII)."""
    if len(data) < 5 or data[1] != 0x80:
        return None
    length = int.from_bytes(data[2:4], "big")
    return _clean(data[4 : 4 + length].decode("ascii", errors="replace").replace("\ufffd", ""))


def _wwn(value: str | None) -> str | None:
    # Only real world-wide names: "t10.ATA ..." ids embed model and serial, not a WWN.
    value = _clean(value)
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
    model = serial = firmware = wwn = None
    dev = f"{base}/device"
    if transport == "nvme":
        model = _clean(host.read_text(f"{dev}/model"))
        serial = _clean(host.read_text(f"{dev}/serial"))
        firmware = _clean(host.read_text(f"{dev}/firmware_rev"))
        wwn = _wwn(host.read_text(f"{base}/wwid"))
    elif transport == "mmc":
        model = _clean(host.read_text(f"{dev}/name"))
        serial = _clean(host.read_text(f"{dev}/serial"))
        firmware = _clean(host.read_text(f"{dev}/fwrev"))
        # An SD card is a removable medium even if the kernel says removable=0.
        if host.read_text(f"{dev}/type") == "SD":
            removable = True
    elif transport == "virtio":
        serial = _clean(host.read_text(f"{base}/serial"))
    else:
        vendor = _clean(host.read_text(f"{dev}/vendor"))
        model = _clean(host.read_text(f"{dev}/model"))
        firmware = _clean(host.read_text(f"{dev}/rev"))
        wwn = _wwn(host.read_text(f"{dev}/wwid"))
        pg89 = host.read_bytes(f"{dev}/vpd_pg89")
        ata_model, ata_serial, ata_fw = parse_vpd_pg89(pg89) if pg89 else (None, None, None)
        if ata_model:
            model, serial, firmware = ata_model, ata_serial, ata_fw or firmware
        else:
            pg80 = host.read_bytes(f"{dev}/vpd_pg80")
            serial = parse_vpd_pg80(pg80) if pg80 else None
            if transport == "sata":
                # libata's SCSI revision is the last 4 characters of the 8-character
                # ATA firmware revision ("0001YAM1" -> "YAM1"): not the firmware.
                firmware = None
            # USB bridges put the real maker in the vendor field; libata puts "ATA".
            if (
                vendor
                and vendor not in _PLACEHOLDER_VENDORS
                and model
                and not model.startswith(vendor)
            ):
                model = f"{vendor} {model}"
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
        model=model,
        serial=serial,
        firmware=firmware,
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
