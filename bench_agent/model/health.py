"""Disk health verdicts (filled by ``bench_agent.health``)."""

from __future__ import annotations

from typing import Literal

from bench_agent.model.common import Model, Text

Verdict = Literal["OK", "WORN", "SUSPECT", "FAIL", "UNKNOWN"]
"""OK usable; WORN usable but flagged; SUSPECT investigate; FAIL do not reuse;
UNKNOWN not assessable (no SMART, RAID, unsupported bridge) — never shown as OK."""


class Finding(Model, kw_only=True):
    code: str
    """Stable code, e.g. ``ata.reallocated_sectors``."""
    severity: Verdict
    attribute: str | None = None
    value: float | str | None = None
    threshold: float | str | None = None
    message: Text


class SelfTestResult(Model, kw_only=True):
    kind: Literal["short", "extended", "conveyance", "offline"]
    status: Literal["passed", "failed", "aborted", "interrupted", "in_progress", "timeout", "unknown"]
    started_at: str | None = None
    finished_at: str | None = None
    remaining_pct: int | None = None
    lba_first_error: int | None = None
    message: Text | None = None


class ReadCheck(Model, kw_only=True):
    sampled_bytes: int
    duration_s: float
    throughput_mb_s: float | None
    error_offsets: list[int] = []


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
