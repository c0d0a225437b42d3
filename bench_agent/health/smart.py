"""What one smartctl run said about one drive, normalised from JSON or text.

Both parsers (``json_parser`` for smartctl >= 7 JSON, ``text_parser`` for the
text of older smartctl through pySMART) fill a :class:`SmartData`; the verdict
engine only ever reads this, so both paths lead to the same ``DiskHealth``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Protocol = Literal["ATA", "NVMe", "SCSI"]
SelfTestOutcome = Literal["passed", "failed", "aborted", "interrupted", "in_progress", "unknown"]


def decode_output(data: bytes | str) -> str:
    """smartctl output as text, whatever saved it (UTF-8, or UTF-16/BOM from Windows shells)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # PowerShell 5 redirection (`smartctl -j -a sda > out.json`) writes UTF-16.
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


class SmartctlOutputError(ValueError):
    """A smartctl output could not be read (empty, truncated, not smartctl at all)."""

    def __init__(self, en: str, fr: str) -> None:
        super().__init__(en)
        self.en = en
        self.fr = fr


@dataclass(slots=True)
class AtaAttribute:
    id: int
    name: str
    value: int | None
    """Normalised value (vendor health scale, higher is better)."""
    worst: int | None
    thresh: int | None
    """None when the bridge does not pass thresholds (smartctl prints ``---``)."""
    raw: int | None
    raw_string: str = ""
    prefailure: bool = False
    when_failed: Literal["", "now", "past"] = ""
    error_rate: bool = False
    """Flag R (error rate)."""
    performance: bool = False
    """Flag S (speed/performance)."""
    event_count: bool = False
    """Flag C: the raw value counts events."""


FLAG_PREFAIL = 0x01
FLAG_PERFORMANCE = 0x04
FLAG_ERROR_RATE = 0x08
FLAG_EVENT_COUNT = 0x10


def power_on_hours_from_attribute(name: str, raw: int) -> int:
    """Attribute 9 counts minutes, half-minutes or seconds on some drives (its name says so)."""
    low = name.lower()
    if "half_min" in low:
        return raw // 120
    if "minute" in low:
        return raw // 60
    if "second" in low:
        return raw // 3600
    return raw


@dataclass(slots=True)
class SelfTestEntry:
    kind: str
    """As smartctl prints it: ``Short offline``, ``Extended offline``, ``Short``..."""
    status: str
    outcome: SelfTestOutcome
    lifetime_hours: int | None = None
    remaining_pct: int | None = None
    lba_first_error: int | None = None


@dataclass(slots=True)
class NvmeLog:
    critical_warning: int | None = None
    available_spare: int | None = None
    available_spare_threshold: int | None = None
    percentage_used: int | None = None
    media_errors: int | None = None
    num_err_log_entries: int | None = None
    unsafe_shutdowns: int | None = None
    power_on_hours: int | None = None
    temperature_c: int | None = None


@dataclass(slots=True)
class SmartData:
    """Everything the verdict needs, ``None`` wherever the drive or smartctl said nothing."""

    source: Literal["smartctl-json", "smartctl-text"]
    device: str | None = None
    device_type: str | None = None
    protocol: Protocol | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    exit_status: int | None = None
    messages: list[str] = field(default_factory=list)
    """smartctl's own error/warning lines (``Unknown USB bridge``...)."""
    smart_available: bool | None = None
    smart_enabled: bool | None = None
    passed: bool | None = None
    """Overall health self-assessment (ATA PASSED, SCSI OK, NVMe critical warning)."""
    power_on_hours: int | None = None
    temperature_c: int | None = None
    rotation_rate: int | None = None
    """rpm as the drive reports it; 0 = a solid state device (flash), None = not said."""
    ata_attributes: list[AtaAttribute] = field(default_factory=list)
    ata_error_count: int | None = None
    self_tests: list[SelfTestEntry] = field(default_factory=list)
    """Most recent first, as smartctl lists them."""
    self_test_running: bool = False
    self_test_remaining_pct: int | None = None
    self_test_status_value: int | None = None
    """ATA self-test execution status byte (high nibble 0xF = in progress)."""
    nvme: NvmeLog | None = None
    scsi_grown_defects: int | None = None
    scsi_uncorrected_errors: int | None = None
    virtual_device: bool = False
    """A RAID controller's logical drive: not a disk one can judge."""

    def attribute(self, attr_id: int) -> AtaAttribute | None:
        for attr in self.ata_attributes:
            if attr.id == attr_id:
                return attr
        return None
