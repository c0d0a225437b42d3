"""Step 2: every disk's SMART verdict and its main reason, coloured by verdict."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.state import StepState

VERDICTS = {
    "OK": ("BON", "OK"),
    "WORN": ("USÉ", "WORN"),
    "SUSPECT": ("SUSPECT", "SUSPECT"),
    "FAIL": ("HORS SERVICE", "FAIL"),
    "UNKNOWN": ("NON ÉVALUABLE", "UNKNOWN"),
}


class HealthScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "refresh", show=False)]

    def compose(self) -> ComposeResult:
        yield Static(self.say("2  Santé des disques", "2  Disk health"), classes="title")
        yield VerticalScroll(id="disks")
        yield Static(
            self.say("r : relire   Échap : retour", "r: check again   Esc: back"), classes="hint"
        )

    def on_mount(self) -> None:
        super().on_mount()
        if self.sitting.health is None and self.sitting.states["health"] is not StepState.RUNNING:
            self.bench.check_health()

    def action_refresh(self) -> None:
        if self.sitting.states["health"] is not StepState.RUNNING:
            self.bench.check_health()

    def state_changed(self) -> None:
        s = self.sitting
        box = self.query_one("#disks", VerticalScroll)
        box.remove_children()
        if s.health_error:
            box.mount(Static(s.health_error, classes="problem"))
        elif s.health is None:
            box.mount(Static(self.say("Lecture SMART en cours…", "Reading SMART…")))
        elif not s.health:
            box.mount(Static(self.say("Aucun disque interne trouvé.", "No internal disk found.")))
        else:
            for d in s.health:
                label = self.say(*VERDICTS.get(d.verdict, (d.verdict, d.verdict)))
                who = " ".join(x for x in (d.model, d.serial and f"S/N {d.serial}") if x)
                reason = self.bench.env.t(d.reason) if d.reason else ""
                line = f"{label:<14} {d.device}  {who}\n{'':<14} {reason}".rstrip()
                box.mount(Static(line, classes=f"disk verdict-{d.verdict}"))
