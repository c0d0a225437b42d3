"""The sitting as data: one record per unit on the bench, on disk at every change.

A technician's work survives ``q``, ``kill -9`` and a power cut: the record is written
atomically (fsynced) after every change and reloaded when the bench starts. It holds
facts only (what was measured, answered, decided, saved, printed, sent); which step is
done or allowed is computed from it by :mod:`bench_agent.bench.flow`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec

from bench_agent.bench.files import write_atomic
from bench_agent.model.common import Model, Text
from bench_agent.model.grade import Override
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Inventory
from bench_agent.model.report import ErasureSummary, FunctionalTest, LabelRecord

RECORD_VERSION = 1
CURRENT = "current.json"


class SentRecord(Model, kw_only=True):
    revision: int
    at: str


class SittingRecord(Model, kw_only=True):
    """Everything known about the unit on the bench."""

    record_version: int = RECORD_VERSION
    sitting_id: str
    started_at: str
    report_id: str
    """The unit's report id on this bench: every saved revision keeps it."""
    unit_id: str | None = None
    """The reconditioner's id of the unit (scanned barcode, idEsn)."""
    serial_entered: str | None = None
    """The real serial typed by the technician when the firmware's is junk or missing."""
    operator: str | None = None
    inventory: Inventory | None = None
    inventory_problem: Text | None = None
    health: list[DiskHealth] | None = None
    health_problem: Text | None = None
    self_test: str | None = None
    """``short`` while a self-test was asked for; its verdicts land in ``health``."""
    functional: dict[str, FunctionalTest] = {}
    cosmetic: str | None = None
    erasures: list[ErasureSummary] = []
    """The latest certificate of each drive erased in this sitting (dry runs excluded)."""
    erase_started: list[str] = []
    """Drives whose erasure started and did not finish yet: after a crash, offered for
    resume from their checkpoint."""
    override: Override | None = None
    saved_revision: int = 0
    """The last revision signed and written (0: never saved)."""
    saved_fingerprint: str | None = None
    """What the saved revision contained (see flow.content_fingerprint): a change makes
    the sitting dirty and the next save a new revision."""
    content_revision: int = 0
    """The last saved revision that changed what the report says about the unit: what a
    label printed now certifies. A revision saved only to add the prints made since keeps
    it (0 in a record written before it existed: then ``saved_revision``)."""
    saved_prints: int = 0
    """How many printed labels the saved revision's ``label_prints`` lists: fewer than
    printed means a print still has to reach the signed report (see flow.prints_unsaved)."""
    label: LabelRecord | None = None
    label_revision: int = 0
    """The revision the latest label certifies (what it shows)."""
    prints: list[LabelRecord] = []
    """Every label printed in this sitting, in order (the latest is also ``label``)."""
    sent: SentRecord | None = None
    closed_at: str | None = None


def new_record(now: str, operator: str | None = None) -> SittingRecord:
    return SittingRecord(
        sitting_id=str(uuid.uuid4()),
        started_at=now,
        report_id=str(uuid.uuid4()),
        operator=operator,
    )


class RecordError(ValueError):
    """A sitting file that cannot be read back (damaged disk, another version)."""


class SittingStore:
    """``sittings/current.json`` is the unit on the bench; finished ones move to
    ``sittings/done/<sitting id>.json``; a damaged file is kept aside, never deleted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def current_path(self) -> Path:
        return self.folder / CURRENT

    def load(self) -> SittingRecord | None:
        """The sitting in progress, or None. RecordError when its file is damaged (the
        file is renamed ``current.damaged-<n>.json`` so a new sitting can start)."""
        path = self.current_path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return msgspec.json.decode(data, type=SittingRecord)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            n = 1
            while (aside := self.folder / f"current.damaged-{n}.json").exists():
                n += 1
            path.rename(aside)
            raise RecordError(f"{path}: {exc} (kept as {aside.name})") from exc

    def save(self, record: SittingRecord) -> None:
        write_atomic(self.current_path, msgspec.json.encode(record))

    def close(self, record: SittingRecord) -> Path:
        """Archive the finished sitting; the bench is then free for the next unit."""
        done = self.folder / "done" / f"{record.sitting_id}.json"
        write_atomic(done, msgspec.json.encode(record))
        self.current_path.unlink(missing_ok=True)
        return done
