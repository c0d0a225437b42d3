"""Disk health verdicts (filled by ``bench_agent.health``)."""

from __future__ import annotations

from typing import Literal

from bench_agent.model.common import Model, Text

Verdict = Literal["OK", "WORN", "SUSPECT", "FAIL", "UNKNOWN"]
"""OK usable; WORN usable but flagged; SUSPECT investigate; FAIL do not reuse;
UNKNOWN not assessable (no SMART, RAID, unsupported bridge) — never shown as OK."""

Severity = Literal["INFO", "WORN", "SUSPECT", "FAIL", "UNKNOWN"]
"""What one finding weighs: INFO is shown but never lowers the verdict."""


class Finding(Model, kw_only=True):
    code: str
    """Stable code, e.g. ``ata.reallocated_sectors``."""
    severity: Severity
    attribute: str | None = None
    """What was read, e.g. ``5 Reallocated_Sector_Ct`` or ``nvme.media_errors``."""
    value: float | str | None = None
    threshold: float | str | None = None
    """The policy (or drive) limit the value was compared with."""
    message: Text


class SelfTestResult(Model, kw_only=True):
    kind: Literal["short", "extended", "conveyance", "offline"]
    status: Literal[
        "passed", "failed", "aborted", "interrupted", "in_progress", "timeout", "unknown"
    ]
    started_at: str | None = None
    finished_at: str | None = None
    remaining_pct: int | None = None
    lba_first_error: int | None = None
    message: Text | None = None
    duration_s: float | None = None
    """Wall-clock time the bench waited for the test."""


class ReadCheck(Model, kw_only=True):
    sampled_bytes: int
    """Bytes actually read without error."""
    duration_s: float
    throughput_mb_s: float | None
    """Decimal megabytes per second over the whole sample (None when nothing was read)."""
    error_offsets: list[int] = []
    """Byte offsets of the chunks that failed to read."""
    requested_bytes: int | None = None
    chunk_bytes: int | None = None
    chunk_count: int | None = None
    slowest_chunk_mb_s: float | None = None
    device_bytes: int | None = None


class DiskHealth(Model, kw_only=True):
    device: str
    """Kernel path (/dev/sda) or the file the data came from."""
    model: str | None = None
    serial: str | None = None
    verdict: Verdict
    findings: list[Finding] = []
    power_on_hours: int | None = None
    temperature_c: float | None = None
    percentage_used: int | None = None
    """SSD wear as the drive reports it (NVMe percentage_used or 100 - life left)."""
    source: str | None = None
    """How the data was obtained: ``smartctl-json``, ``smartctl-text``, ``none``."""
    self_test: SelfTestResult | None = None
    read_check: ReadCheck | None = None
    checked_at: str | None = None
    reason: Text | None = None
    """The main reason for the verdict, in one line (the worst finding)."""
    protocol: str | None = None
    """``ATA``, ``NVMe`` or ``SCSI`` as smartctl reports it; None when unknown."""
    device_type: str | None = None
    """The smartctl ``-d`` type that answered (sat, nvme, usbjmicron, ...)."""
    smartctl_exit_status: int | None = None
    """smartctl's exit status bitmask (see docs/health.md)."""
    firmware: str | None = None
