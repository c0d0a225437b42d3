"""Messages the app's thread workers post back to the UI thread (past tense)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from bench_agent.bench.erasure import DrivePlan
    from bench_agent.model.common import Text
    from wipe.engine import EraseOutcome
    from wipe.overwrite import Progress
    from wipe.targets import Target


@dataclass
class StepFailed(Message):
    """A worker of a step stopped on a problem the technician must read."""

    step: str
    text: Text


@dataclass
class StepFinished(Message):
    """A worker of a step finished; ``text`` is the sentence to show, if any."""

    step: str
    text: Text | None = None


@dataclass
class TestsRecorded(Message):
    """Functional test results went into the sitting."""


@dataclass
class ToneDone(Message):
    """The test tone played: the technician answers."""


@dataclass
class TargetsListed(Message):
    targets: list[Target]


@dataclass
class ErasePlanned(Message):
    plans: list[DrivePlan]
    frozen: list[str]


@dataclass
class WipeProgressed(Message):
    progress: Progress

    def can_replace(self, message: Message) -> bool:
        # Only the latest figures of a disk matter: older ones still queued are dropped.
        return (
            isinstance(message, WipeProgressed) and message.progress.device == self.progress.device
        )


@dataclass
class WipeFinished(Message):
    outcomes: list[EraseOutcome]
    notes: list[Text]


@dataclass
class StationStopped(Message):
    """The erasure station's watch ended (the app is quitting)."""
