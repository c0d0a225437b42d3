"""Messages the app's thread workers post back to the UI thread (past tense)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.model.grade import Grade
    from bench_agent.model.health import DiskHealth
    from bench_agent.model.inventory import Inventory
    from bench_agent.model.report import UnitReport
    from bench_agent.tui.sitting import OutboxState
    from wipe.engine import EraseOutcome
    from wipe.overwrite import Progress
    from wipe.targets import Target


@dataclass
class InventoryCollected(Message):
    inventory: Inventory
    lines: list[str]


@dataclass
class StepFailed(Message):
    """A worker of a step stopped on an error the technician must read."""

    step: str
    message: str


@dataclass
class HealthChecked(Message):
    disks: list[DiskHealth]


@dataclass
class TargetsListed(Message):
    targets: list[Target]


@dataclass
class WipeProgressed(Message):
    progress: Progress

    def can_replace(self, message: Message) -> bool:
        # Only the latest figures of a disk matter: older ones still queued are dropped.
        return (
            isinstance(message, WipeProgressed) and message.progress.device == self.progress.device
        )


@dataclass
class FrozenChecked(Message):
    """Drives the BIOS froze among those about to get a firmware method."""

    frozen: list[str]


@dataclass
class Unfrozen(Message):
    """The suspend/resume ran; one line per drive for the technician."""

    lines: list[str]


@dataclass
class WipeStarted(Message):
    notes: list[str]


@dataclass
class WipeFinished(Message):
    outcomes: list[EraseOutcome]
    problems: list[str]


@dataclass
class GradeComputed(Message):
    report: UnitReport
    grade: Grade


@dataclass
class ReportSaved(Message):
    path: Path | None
    message: str


@dataclass
class LabelMade(Message):
    ok: bool
    message: str


@dataclass
class OutboxRead(Message):
    state: OutboxState


@dataclass
class OutboxSent(Message):
    ok: bool
    lines: list[str]


@dataclass
class FunctionalChecked(Message):
    """Functional tests the machine decided (automatic checks, microphone, USB)."""

    outcomes: list[Outcome]


@dataclass
class TonePlayed(Message):
    """The speaker tone was played (``outcome`` None) or could not be (n/a, fail)."""

    outcome: Outcome | None
