"""The UnitReport: one versioned document per unit, the single source of truth."""

from __future__ import annotations

from typing import Literal

from bench_agent.model.common import Model, Text
from bench_agent.model.grade import Grade
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Inventory
from wipe.model import CertificateResult

SCHEMA_VERSION = "1.0"

IdentityBasis = Literal["system_serial", "system_uuid", "board_serial", "disk_serial", "none"]


class UnitIdentity(Model, kw_only=True):
    key: str
    """Stable key: ``maker|product|serial`` (lower-cased), or a fallback basis."""
    basis: IdentityBasis
    """Which value made the key unique; ``none`` means the unit must be tagged by hand."""
    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    asset_tag: str | None = None
    """The reconditioner's own id (idEsn, e.g. GRPC25-0322), entered by the technician."""


class FunctionalTest(Model, kw_only=True):
    name: str
    """keyboard, screen, backlight, webcam, microphone, speakers, usb, wifi, ethernet,
    charger, battery_autonomy, ..."""
    result: Literal["pass", "fail", "n/a"]
    by: str | None = None
    at: str
    comment: str | None = None
    data: dict[str, str | int | float | bool | None] = {}


class ErasureSummary(Model, kw_only=True):
    """A copy of the key facts of one erasure certificate (the certificate itself is signed
    by ``wipe`` and travels beside the report)."""

    certificate_id: str
    device: str
    disk_model: str | None = None
    disk_serial: str | None = None
    method: str
    level: Literal["clear", "purge", "none"] = "none"
    result: CertificateResult
    """As on the certificate: ERASED only when every byte was written and read back;
    UNVERIFIED written without read-back; INTERRUPTED a run killed mid-way."""
    started_at: str | None = None
    finished_at: str | None = None
    verification: str | None = None
    reason: Text | None = None


class LabelRecord(Model, kw_only=True):
    """A label printed for the unit, kept in the bench's sitting record
    (:mod:`bench_agent.bench.record`); the UnitReport has no label field."""

    template: str
    printed_at: str | None = None
    printer: str | None = None
    output: str | None = None


class BenchInfo(Model, kw_only=True):
    bench_id: str | None = None
    agent_version: str
    site: str | None = None
    technician: str | None = None


class UnitReport(Model, kw_only=True):
    schema_version: str = SCHEMA_VERSION
    report_id: str
    """UUID of the unit's report on this bench; every revision of it keeps this id."""
    revision: int = 1
    """1 for the first save; each change after a save re-signs revision + 1 of the same
    report id. The central service keeps every revision and shows the highest."""
    created_at: str
    """ISO 8601 UTC."""
    unit: UnitIdentity
    bench: BenchInfo
    inventory: Inventory
    health: list[DiskHealth] = []
    functional_tests: list[FunctionalTest] = []
    erasures: list[ErasureSummary] = []
    cosmetic_grade: str | None = None
    grade: Grade | None = None
    comments: list[Text] = []
