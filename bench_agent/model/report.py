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
    """A label made for the unit: kept in the bench's sitting record
    (:mod:`bench_agent.bench.record`) and, once printed, in the report's
    ``label_prints``: a print made from revision n is signed in revision n + 1, saved
    right after the print and saying nothing else new (printing is evidence)."""

    template: str
    printed_at: str | None = None
    printer: str | None = None
    """The CUPS queue, ZPL host or Brother device; None when only a PDF was written."""
    output: str | None = None
    kind: Literal["file", "cups", "zpl", "brother_ql"] = "file"
    by: str | None = None
    """Who printed it (the operator)."""
    copy: int = 1
    """1 for the unit's first printed label, n for its n-th print (0: a PDF only)."""
    copies: int = 1
    """Labels the printer was asked for (0: a PDF only)."""
    reprint: bool = False
    """True for every print after the first: a reprint says it is one."""
    job: str | None = None
    """The printer's answer (CUPS job id), when it gives one."""
    revision: int | None = None
    """The report revision the label certifies (what it shows): always an earlier
    revision than the report listing the print."""


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
    label_prints: list[LabelRecord] = []
    """Every label printed for the unit before this revision was saved, in order."""
    comments: list[Text] = []


def label_print_problems(report: UnitReport) -> list[str]:
    """What cannot be true in the report's ``label_prints`` (English, with the field's
    path; [] when nothing): a label is printed from a saved revision and signed in a
    later one, so each print certifies a revision from 1 to the report's own minus one;
    prints are numbered 1, 2, ... in order and every one after the first is a reprint."""
    problems: list[str] = []
    for i, p in enumerate(report.label_prints):
        where = f"$.label_prints[{i}]"
        if p.revision is None:
            problems.append(f"{where}.revision: missing (which revision does the label certify?)")
        elif not 1 <= p.revision < report.revision:
            problems.append(
                f"{where}.revision: the label certifies revision {p.revision}, which revision "
                f"{report.revision} of the report cannot list (expected 1 to {report.revision - 1})"
            )
        if p.copy != i + 1:
            problems.append(f"{where}.copy: {p.copy}, expected {i + 1} (prints in order)")
        if p.reprint != (p.copy > 1):
            problems.append(
                f"{where}.reprint: {str(p.reprint).lower()} for print number {p.copy}"
                " (every print after the first is a reprint)"
            )
    return problems
