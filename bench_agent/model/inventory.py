"""What the machine is: the inventory part of a UnitReport.

Units are in the names (``capacity_bytes``, ``design_wh``); ``None`` means
unknown, never zero.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from bench_agent.model.common import Model, Note, Text

Transport = Literal["nvme", "sata", "ata", "scsi", "sas", "usb", "mmc", "virtio", "unknown"]
BootMode = Literal["uefi", "legacy", "unknown"]
TriState = Literal["yes", "no", "unknown"]


class Identity(Model, kw_only=True):
    maker: str | None = None
    """System manufacturer (DMI sys_vendor), junk values removed."""
    product_name: str | None = None
    """DMI product_name: often an internal reference (Lenovo machine type "20L7S0XX00")."""
    model: str | None = None
    """Commercial model a buyer knows ("ThinkPad T480s")."""
    family: str | None = None
    version: str | None = None
    serial: str | None = None
    sku: str | None = None
    uuid: str | None = None
    chassis_type: str | None = None
    """SMBIOS chassis type name ("Notebook", "Laptop", "Convertible", "Desktop"...)."""
    form_factor: Literal["laptop", "desktop", "tablet", "server", "other"] | None = None
    bios_vendor: str | None = None
    bios_version: str | None = None
    bios_date: str | None = None
    """ISO date (YYYY-MM-DD) when parseable, else as reported."""
    board_maker: str | None = None
    board_model: str | None = None
    board_serial: str | None = None
    junk_fields: list[str] = []
    """DMI fields whose value was a placeholder ("To Be Filled By O.E.M.", empty, non-UTF-8)."""


class Cpu(Model, kw_only=True):
    model_name: str | None = None
    vendor: str | None = None
    """"Intel", "AMD", "Apple", ... normalised from the CPUID vendor string."""
    cores: int | None = None
    threads: int | None = None
    sockets: int | None = None
    base_mhz: float | None = None
    max_mhz: float | None = None
    family: int | None = None
    model_number: int | None = None
    stepping: int | None = None
    generation: str | None = None
    """Human generation ("Intel Core 8th gen", "AMD Ryzen 3000") when derivable."""
    generation_number: int | None = None
    microarchitecture: str | None = None
    architecture: str | None = None
    """Machine architecture (x86_64, aarch64)."""
    flags_64bit: bool | None = None


class Dimm(Model, kw_only=True):
    locator: str | None = None
    bank_locator: str | None = None
    size_bytes: int | None = None
    type: str | None = None
    """DDR3, DDR4, LPDDR3, ..."""
    speed_mts: int | None = None
    configured_speed_mts: int | None = None
    form_factor: str | None = None
    """SODIMM, DIMM, Row Of Chips, ..."""
    soldered: bool | None = None
    manufacturer: str | None = None
    part_number: str | None = None


class Memory(Model, kw_only=True):
    total_bytes: int | None = None
    """Usable RAM seen by the OS (MemTotal)."""
    installed_bytes: int | None = None
    """Sum of populated DIMMs (from dmidecode), None without root."""
    dimms: list[Dimm] | None = None
    """Populated modules; None when dmidecode was not readable (not root)."""
    slots_total: int | None = None
    slots_free: int | None = None
    max_capacity_bytes: int | None = None
    source: Literal["dmidecode", "proc", "none"] = "none"


class Disk(Model, kw_only=True):
    name: str
    """Kernel name (sda, nvme0n1, mmcblk0)."""
    path: str
    maker: str | None = None
    """Who made the drive ("Western Digital"), never the bus placeholder "ATA"."""
    model: str | None = None
    """Full model (ATA IDENTIFY or udev when available, not the 16-character SCSI one)."""
    serial: str | None = None
    firmware: str | None = None
    capacity_bytes: int | None = None
    rotational: bool | None = None
    media: Literal["hdd", "ssd", "unknown"] = "unknown"
    transport: Transport = "unknown"
    removable: bool = False
    boot_medium: bool = False
    """True for the disk the running system booted from (the live USB): never erase it."""
    logical_block_size: int | None = None
    physical_block_size: int | None = None
    wwn: str | None = None


class Battery(Model, kw_only=True):
    name: str
    """Kernel name (BAT0)."""
    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    technology: str | None = None
    design_wh: float | None = None
    full_wh: float | None = None
    now_wh: float | None = None
    health_pct: float | None = None
    """full / design × 100, None when either is unknown or implausible."""
    cycle_count: int | None = None
    status: str | None = None
    capacity_source: Literal["energy", "charge", "none"] = "none"
    anomalies: list[Note] = []
    """Firmware bugs found (full > design, zeros, swapped fields): the health is then doubtful."""


class Display(Model, kw_only=True):
    connector: str
    """DRM connector (eDP-1, LVDS-1, HDMI-A-1)."""
    internal: bool
    maker_code: str | None = None
    """PNP id from EDID (AUO, LGD, BOE, SDC...)."""
    maker: str | None = None
    model: str | None = None
    product_code: int | None = None
    width_px: int | None = None
    height_px: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    diagonal_in: float | None = None
    year: int | None = None
    edid_valid: bool = True


DeviceKind = Literal[
    "gpu",
    "wifi",
    "ethernet",
    "bluetooth",
    "webcam",
    "audio",
    "optical",
    "card_reader",
    "fingerprint",
    "modem",
    "other",
]


class Device(Model, kw_only=True):
    kind: DeviceKind
    bus: Literal["pci", "usb", "platform", "other"]
    vendor: str | None = None
    product: str | None = None
    vendor_id: str | None = None
    product_id: str | None = None
    driver: str | None = None
    interface: str | None = None
    """Network interface name when it is a network adapter (MAC addresses are never reported)."""


class Firmware(Model, kw_only=True):
    boot_mode: BootMode = "unknown"
    secure_boot: Literal["enabled", "disabled", "unsupported", "unknown"] = "unknown"
    tpm_present: TriState = "unknown"
    tpm_version: str | None = None
    """"2.0" or "1.2"."""
    windows_key_in_acpi: TriState = "unknown"
    """An OEM Windows licence (ACPI MSDM table) is present. The key itself is never read out."""


class Check(Model, kw_only=True):
    code: str
    ok: bool | None
    """None: could not be determined."""
    message: Text


class Win11Readiness(Model, kw_only=True):
    ready: bool | None
    """True only if every check passed; None if any is unknown and none failed."""
    checks: list[Check] = []


class OperatingSystem(Model, kw_only=True):
    kernel: str | None = None
    distribution: str | None = None


class Inventory(Model, kw_only=True):
    identity: Identity = msgspec.field(default_factory=Identity)
    cpu: Cpu = msgspec.field(default_factory=Cpu)
    memory: Memory = msgspec.field(default_factory=Memory)
    disks: list[Disk] = []
    batteries: list[Battery] = []
    displays: list[Display] = []
    devices: list[Device] = []
    firmware: Firmware = msgspec.field(default_factory=Firmware)
    win11: Win11Readiness = msgspec.field(default_factory=lambda: Win11Readiness(ready=None))
    os: OperatingSystem = msgspec.field(default_factory=OperatingSystem)
    notes: list[Note] = []
    """What could not be read and why (not root, missing tool, firmware quirk)."""
    duration_ms: float | None = None
