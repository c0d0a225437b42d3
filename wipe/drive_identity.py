"""A drive's true identity: maker, full model, serial, firmware and bus, from every source.

One function for the inventory probes (``bench_agent.probes.storage``) and the
erasure engine (:mod:`wipe.targets`, hence ``erase --list``, the certificate's
``media`` section and ``verify``), so a drive has the same name everywhere.
It is pure: :func:`read_drive` gathers the raw readings through a
``read_bytes`` callable (the bench's host seam, a recorded laptop, or
:class:`wipe.system.SystemView`), :func:`drive_identity` decides.

Sources, best first (the first clean value wins):

- **model**: ATA IDENTIFY (the SAT VPD page 0x89 the kernel exposes as
  ``device/vpd_pg89``, or smartctl's ``model_name``), then udev's
  ``ID_MODEL_ENC``/``ID_MODEL`` when udev read it from the drive itself (ATA
  through ata_id, NVMe), then sysfs (``device/model``: complete for NVMe and
  MMC, but cut at 16 characters by the SCSI INQUIRY on SATA), prefixed with the
  SCSI/udev vendor when that vendor is a real maker (USB sticks: "SanDisk" +
  "Cruzer Blade").
- **maker**: the model's prefix ("WDC" → Western Digital, "ST…" → Seagate...)
  when the model came from ATA IDENTIFY; otherwise the udev ``ID_VENDOR`` or
  SCSI vendor when it is not a bus placeholder ("ATA", "USB"); otherwise the
  model's prefix. Never "ATA".
- **serial**: ATA IDENTIFY (the drive's own, also behind a USB bridge that
  passes it), smartctl's ``serial_number``, the NVMe/MMC/virtio sysfs serial,
  udev's ``ID_SERIAL_SHORT`` (what ``lsblk`` shows), the USB device descriptor's
  serial (``…/usbN/N-M/serial``, what udev reads), then the SCSI unit serial
  (VPD page 0x80).
- **firmware**: ATA IDENTIFY, smartctl's ``firmware_version``, NVMe/MMC sysfs,
  udev ``ID_REVISION`` for an ATA drive, then the SCSI revision except on SATA
  (libata keeps only the last 4 characters of the 8-character ATA revision).
- **transport**: the drive's sysfs device path (USB first: it wraps SCSI).

Junk (empty, spaces only, non-UTF-8 bytes, "To Be Filled By O.E.M.", "0"...)
is None, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Reader = Callable[[str], "bytes | None"]
"""Reads one file (``/sys/...``, ``/run/udev/data/...``): its bytes, or None when absent."""

_JUNK = {
    "",
    "0",
    "none",
    "null",
    "unknown",
    "n/a",
    "default string",
    "not specified",
    "to be filled by o.e.m.",
    "to be filled by oem",
}
_JUNK_RE = re.compile(r"^[\s0._-]*$|^[\sfF]*$")
_PLACEHOLDER_VENDORS = {"ata", "usb", "generic-", "scsi", "linux"}
"""SCSI vendor fields that name the bus or the kernel, not a maker (libata, USB bridges)."""

# First token of a model (split on spaces, underscores) -> maker, as drives spell it.
_MAKER_TOKENS = {
    "WDC": "Western Digital",
    "WD": "Western Digital",
    "WD_BLACK": "Western Digital",
    "SAMSUNG": "Samsung",
    "SEAGATE": "Seagate",
    "TOSHIBA": "Toshiba",
    "KIOXIA": "Kioxia",
    "HGST": "HGST",
    "HITACHI": "Hitachi",
    "KINGSTON": "Kingston",
    "CRUCIAL": "Crucial",
    "SANDISK": "SanDisk",
    "INTEL": "Intel",
    "MICRON": "Micron",
    "SK": "SK hynix",
    "SKHYNIX": "SK hynix",
    "HYNIX": "SK hynix",
    "LITEON": "Lite-On",
    "LITEONIT": "Lite-On",
    "LITE-ON": "Lite-On",
    "PLEXTOR": "Plextor",
    "FUJITSU": "Fujitsu",
    "MAXTOR": "Maxtor",
    "ADATA": "ADATA",
    "TRANSCEND": "Transcend",
    "APPLE": "Apple",
    "HIKVISION": "Hikvision",
    "LENOVO": "Lenovo",
}
# Model numbers that carry no maker word but whose series names one.
_MAKER_PATTERNS = (
    (re.compile(r"^ST\d"), "Seagate"),
    (re.compile(r"^WD\d"), "Western Digital"),
    (re.compile(r"^CT\d"), "Crucial"),
    (re.compile(r"^MTFD"), "Micron"),
    (re.compile(r"^HFS\d"), "SK hynix"),
    (re.compile(r"^SSDPE|^SSDSC"), "Intel"),
    (re.compile(r"^MZ[0-9A-Z]"), "Samsung"),
    (re.compile(r"^(HTS|HDS|HDT|HTE|HUA)\d"), "Hitachi"),
    (re.compile(r"^HS-SSD"), "Hikvision"),
    (re.compile(r"^(MQ|MK|DT)\d\d"), "Toshiba"),
    (re.compile(r"^SA400"), "Kingston"),
)


def clean_id(value: str | bytes | None) -> str | None:
    """An identity string without padding, NULs or control characters; None for junk.

    Bytes must be UTF-8; a ``str`` holding surrogates (undecodable bytes kept by
    the host seam) is junk too: printing mojibake on a certificate is worse than
    "unknown".
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return None
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    if text.lower() in _JUNK or _JUNK_RE.match(text):
        return None
    return text


def maker_from_model(model: str | None) -> str | None:
    """The maker a model string names ("WDC WD5000LPCX-24VHAT0" → "Western Digital")."""
    if not model:
        return None
    upper = model.upper()
    token = re.split(r"[\s_]+", upper, maxsplit=1)[0]
    if token in _MAKER_TOKENS:
        return _MAKER_TOKENS[token]
    if upper.startswith(("SK HYNIX", "SKHYNIX")):
        return "SK hynix"
    if upper.startswith("LITE-ON") or upper.startswith("LITEON"):
        return "Lite-On"
    if upper.startswith("WD_") or upper.startswith("WD "):
        return "Western Digital"
    for pattern, maker in _MAKER_PATTERNS:
        if pattern.match(token):
            return maker
    return None


def _real_vendor(vendor: str | None) -> str | None:
    """A SCSI/udev vendor field when it names a maker (not "ATA", "USB", "Generic")."""
    vendor = clean_id(vendor)
    if vendor is None or vendor.lower() in _PLACEHOLDER_VENDORS or vendor.lower() == "generic":
        return None
    return _MAKER_TOKENS.get(vendor.upper().replace(" ", ""), vendor)


def transport_from_path(path: str | None, name: str) -> str:
    """Bus a disk hangs on, from its /sys/devices path (USB checked first: it wraps SCSI).

    One of ``nvme``, ``sata``, ``sas``, ``scsi``, ``usb``, ``mmc``, ``virtio``,
    ``loop`` or ``unknown``.
    """
    if name.startswith("mmcblk"):
        return "mmc"
    if name.startswith("loop"):
        return "loop"
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
    return clean_id(swapped.decode("ascii", errors="replace").replace("\ufffd", ""))


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
    return clean_id(data[4 : 4 + length].decode("ascii", errors="replace").replace("\ufffd", ""))


_UDEV_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def parse_udev_data(data: bytes) -> dict[str, str]:
    """The properties (``E:KEY=VALUE`` lines) of a udev database entry.

    ``*_ENC`` values are decoded (udev writes unsafe bytes as ``\\xNN``: spaces
    in a model); a value that is not UTF-8 is left out.
    """
    props: dict[str, str] = {}
    for line in data.split(b"\n"):
        if not line.startswith(b"E:") or b"=" not in line:
            continue
        key_b, _, raw = line[2:].partition(b"=")
        try:
            key = key_b.decode("ascii")
        except UnicodeDecodeError:
            continue
        if key.endswith("_ENC"):
            raw = _UDEV_ESCAPE.sub(lambda m: bytes((int(m[1], 16),)), raw)
        try:
            props[key] = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return props


@dataclass(slots=True)
class DriveReadings:
    """What was read about one block device (raw; :func:`drive_identity` cleans it)."""

    name: str
    """Kernel name (``sda``, ``nvme0n1``)."""
    sys_path: str | None = None
    """``realpath /sys/block/<name>``: says the bus."""
    sysfs: dict[str, bytes | None] = field(default_factory=dict)
    """Attributes by path relative to /sys/block/<name> (``device/model``, ``serial``...)."""
    udev: dict[str, str] = field(default_factory=dict)
    """udev properties of the disk (``ID_MODEL``, ``ID_SERIAL_SHORT``...), empty without udev."""
    usb_serial: bytes | None = None
    """The USB device descriptor's serial (``…/usbN/N-M/serial``) for a disk behind USB."""
    smartctl: Mapping[str, Any] | None = None
    """smartctl's JSON output for this drive, when it was run."""


@dataclass(frozen=True, slots=True)
class DriveIdentity:
    """Who made a drive and which one it is, as shown everywhere (inventory, certificate)."""

    model: str | None
    maker: str | None
    serial: str | None
    firmware: str | None
    transport: str
    """nvme, sata, sas, scsi, usb, mmc, virtio, loop or unknown."""
    model_source: str | None = None
    """Where the model came from: ``ata-identify``, ``smartctl``, ``udev`` or ``sysfs``."""


def usb_device_dir(sys_path: str | None) -> str | None:
    """The USB device directory above a disk's sysfs path (``…/usb2/2-2``), or None."""
    if not sys_path or "/usb" not in sys_path:
        return None
    parts = sys_path.split("/")
    found = None
    for i, part in enumerate(parts):
        # USB devices are "<bus>-<port>[.<port>...]"; interfaces add ":<cfg>.<if>".
        if re.fullmatch(r"\d+-\d+(\.\d+)*", part):
            found = i
    return "/".join(parts[: found + 1]) if found is not None else None


def read_drive(
    name: str,
    read_bytes: Reader,
    sys_path: str | None,
    *,
    smartctl: Mapping[str, Any] | None = None,
) -> DriveReadings:
    """Read what :func:`drive_identity` needs about ``/sys/block/<name>``, and only that.

    Reads ``dev`` and the udev database entry ``/run/udev/data/b<major>:<minor>``;
    then by bus: NVMe ``device/{model,serial,firmware_rev}``; MMC
    ``device/{name,serial,fwrev}``; virtio ``serial``; others
    ``device/{vendor,model,rev,vpd_pg89}``, ``device/vpd_pg80`` when page 0x89
    gives no model, and the USB device's ``serial`` behind USB.
    """
    base = f"/sys/block/{name}"
    readings = DriveReadings(name=name, sys_path=sys_path, smartctl=smartctl)
    transport = transport_from_path(sys_path, name)

    def attr(rel: str) -> bytes | None:
        value = read_bytes(f"{base}/{rel}")
        readings.sysfs[rel] = value
        return value

    dev = clean_id(attr("dev"))
    if dev and re.fullmatch(r"\d+:\d+", dev):
        udev = read_bytes(f"/run/udev/data/b{dev}")
        if udev:
            readings.udev = parse_udev_data(udev)
    if transport == "nvme":
        for rel in ("device/model", "device/serial", "device/firmware_rev"):
            attr(rel)
    elif transport == "mmc":
        for rel in ("device/name", "device/serial", "device/fwrev"):
            attr(rel)
    elif transport == "virtio":
        attr("serial")
    elif transport != "loop":
        for rel in ("device/vendor", "device/model", "device/rev"):
            attr(rel)
        pg89 = attr("device/vpd_pg89")
        if not (pg89 and parse_vpd_pg89(pg89)[0]):
            attr("device/vpd_pg80")
        usb_dir = usb_device_dir(sys_path) if transport == "usb" else None
        if usb_dir:
            readings.usb_serial = read_bytes(f"{usb_dir}/serial")
    return readings


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _smart_str(doc: Mapping[str, Any] | None, key: str) -> str | None:
    value = doc.get(key) if doc else None
    return clean_id(value) if isinstance(value, str) else None


def drive_identity(r: DriveReadings) -> DriveIdentity:
    """The drive's identity from its readings (see the module docstring for the priorities)."""
    transport = transport_from_path(r.sys_path, r.name)
    if transport == "unknown":
        bus = (r.udev.get("ID_BUS") or "").lower()
        transport = {"ata": "sata", "usb": "usb", "nvme": "nvme", "scsi": "scsi"}.get(
            bus, "unknown"
        )
    sysfs = {k: clean_id(v) for k, v in r.sysfs.items()}
    udev = {k: clean_id(v) for k, v in r.udev.items()}
    pg89 = r.sysfs.get("device/vpd_pg89")
    ata_model, ata_serial, ata_fw = parse_vpd_pg89(pg89) if pg89 else (None, None, None)
    pg80 = r.sysfs.get("device/vpd_pg80")
    unit_serial = parse_vpd_pg80(pg80) if pg80 else None
    smart_model = _smart_str(r.smartctl, "model_name")
    # udev's model is the drive's own when udev asked the drive (ata_id, NVMe); for a SCSI
    # or USB disk it is the INQUIRY product, as in sysfs.
    udev_from_drive = udev.get("ID_ATA") == "1" or transport == "nvme"
    udev_model = _first(udev.get("ID_MODEL_ENC"), udev.get("ID_MODEL"))
    udev_vendor = _first(udev.get("ID_VENDOR_ENC"), udev.get("ID_VENDOR"))

    model: str | None
    model_source: str | None
    if ata_model:
        model, model_source = ata_model, "ata-identify"
    elif smart_model:
        model, model_source = smart_model, "smartctl"
    elif udev_model and udev_from_drive:
        model, model_source = udev_model, "udev"
    else:
        inquiry_model = _first(sysfs.get("device/model"), sysfs.get("device/name"), udev_model)
        model, model_source = inquiry_model, "sysfs" if inquiry_model else None
    raw_vendor = _first(sysfs.get("device/vendor"), udev_vendor)
    if (
        model_source == "sysfs"
        and model
        and raw_vendor
        and raw_vendor.lower() not in _PLACEHOLDER_VENDORS
        and not model.upper().startswith(raw_vendor.upper())
    ):
        # USB bridges put the maker in the vendor field ("SanDisk" + "Cruzer Blade").
        model = f"{raw_vendor} {model}"
    scsi_vendor = _real_vendor(sysfs.get("device/vendor")) or _real_vendor(udev_vendor)

    if model_source in {"ata-identify", "smartctl", "udev"}:
        maker = maker_from_model(model) or scsi_vendor
    else:
        maker = scsi_vendor or maker_from_model(model)

    serial = _first(
        ata_serial,
        _smart_str(r.smartctl, "serial_number"),
        sysfs.get("device/serial"),
        sysfs.get("serial"),
        udev.get("ID_SERIAL_SHORT"),
        clean_id(r.usb_serial),
        unit_serial,
    )
    revision = sysfs.get("device/rev")
    firmware = _first(
        ata_fw,
        _smart_str(r.smartctl, "firmware_version"),
        sysfs.get("device/firmware_rev"),
        sysfs.get("device/fwrev"),
        udev.get("ID_REVISION") if udev.get("ID_ATA") == "1" else None,
        # libata's SCSI revision is the last 4 characters of the 8-character ATA
        # firmware revision ("0001YAM1" -> "YAM1"): not the firmware.
        None if transport == "sata" else revision,
    )
    return DriveIdentity(
        model=model,
        maker=maker,
        serial=serial,
        firmware=firmware,
        transport=transport,
        model_source=model_source,
    )
