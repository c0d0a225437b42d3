"""What the app knows about the unit on the bench: plain data, no Textual.

Kept out of the models (UI state never goes into a UnitReport) and out of the
screens (a screen can be left and opened again without losing anything).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench_agent.model.grade import Grade
    from bench_agent.model.health import DiskHealth
    from bench_agent.model.inventory import Inventory
    from bench_agent.model.report import FunctionalTest, UnitReport
    from bench_agent.tui.sitting import OutboxState
    from wipe.engine import EraseOutcome
    from wipe.overwrite import Progress
    from wipe.targets import Target


class StepState(StrEnum):
    TODO = "todo"
    RUNNING = "running"
    DONE = "done"
    PROBLEM = "problem"


STATE_LABELS: dict[StepState, tuple[str, str]] = {
    StepState.TODO: ("à faire", "to do"),
    StepState.RUNNING: ("en cours", "running"),
    StepState.DONE: ("fait", "done"),
    StepState.PROBLEM: ("problème", "problem"),
}


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    fr: str
    en: str


STEPS: tuple[Step, ...] = (
    Step(1, "inventory", "Inventaire", "Inventory"),
    Step(2, "health", "Santé des disques", "Disk health"),
    Step(3, "erase", "Effacement", "Erasure"),
    Step(4, "grade", "Catégorie", "Category"),
    Step(5, "label", "Étiquette", "Label"),
    Step(6, "sync", "Envoi", "Sending"),
    Step(7, "functional", "Tests fonctionnels", "Functional tests"),
)


@dataclass
class EraseRun:
    """One erasure (several disks in parallel), owned by the app, not by a screen."""

    devices: list[str]
    dry_run: bool
    cancel: threading.Event = field(default_factory=threading.Event)
    running: bool = True
    progress: dict[str, Progress] = field(default_factory=dict)
    outcomes: list[EraseOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Sitting:
    """Everything gathered for the unit on the bench during this sitting."""

    states: dict[str, StepState] = field(
        default_factory=lambda: {s.key: StepState.TODO for s in STEPS}
    )
    inventory: Inventory | None = None
    inventory_lines: list[str] = field(default_factory=list)
    inventory_error: str | None = None
    health: list[DiskHealth] | None = None
    health_error: str | None = None
    targets: list[Target] | None = None
    targets_error: str | None = None
    dry_run: bool = False
    erase: EraseRun | None = None
    cosmetic: str | None = None
    report: UnitReport | None = None
    grade: Grade | None = None
    grade_error: str | None = None
    saved_path: Path | None = None
    save_message: str = ""
    label_message: str = ""
    outbox: OutboxState | None = None
    outbox_error: str | None = None
    sync_lines: list[str] = field(default_factory=list)
    sending: bool = False
    functional: dict[str, FunctionalTest] = field(default_factory=dict)
    """Each functional test's latest result, by test name (the report keeps these)."""
    functional_note: str = ""
    functional_busy: str | None = None
    """The test a worker is running now (one at a time: they share sound and USB)."""

    @property
    def erasing(self) -> bool:
        return self.erase is not None and self.erase.running
