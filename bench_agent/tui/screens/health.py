"""Step 3: every disk's SMART verdict and its main reason; t starts a short self-test
in the background (the technician goes on with other steps meanwhile)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen

VERDICTS = {
    "OK": ("BON", "OK"),
    "WORN": ("USÉ", "WORN"),
    "SUSPECT": ("SUSPECT", "SUSPECT"),
    "FAIL": ("HORS SERVICE", "FAIL"),
    "UNKNOWN": ("NON ÉVALUABLE", "UNKNOWN"),
}


class HealthScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", show=False),
        Binding("t", "self_test", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.say("3  Santé des disques", "3  Disk health"), classes="title")
        yield VerticalScroll(id="disks")
        yield Static(
            self.say(
                "r : relire   t : autotest court (en arrière-plan)   Échap : retour",
                "r: read again   t: short self-test (in the background)   Esc: back",
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        super().on_mount()
        if self.service.record.health is None and "health" not in self.bench.running:
            self.bench.check_health()

    def action_refresh(self) -> None:
        self.bench.check_health()

    def action_self_test(self) -> None:
        self.bench.check_health(self_test=True)
        self.notify(
            self.say(
                "Autotest lancé : continuez les autres étapes, le résultat arrivera ici.",
                "Self-test started: go on with the other steps, the result will show here.",
            )
        )

    def state_changed(self) -> None:
        r = self.service.record
        box = self.query_one("#disks", VerticalScroll)
        box.remove_children()
        problem = self.bench.problems.get("health") or r.health_problem
        if "health" in self.bench.running:
            box.mount(Static(self.say("Lecture SMART en cours…", "Reading SMART…")))
        if problem is not None:
            box.mount(Static(self.t(problem), classes="problem", markup=False))
        if r.health is not None and not r.health:
            box.mount(Static(self.say("Aucun disque interne trouvé.", "No internal disk found.")))
        for d in r.health or []:
            label = self.say(*VERDICTS.get(d.verdict, (d.verdict, d.verdict)))
            who = " ".join(x for x in (d.model, d.serial and f"S/N {d.serial}") if x)
            reason = self.t(d.reason) if d.reason else ""
            line = f"{label:<14} {d.device}  {who}\n{'':<14} {reason}".rstrip()
            box.mount(Static(line, classes=f"disk verdict-{d.verdict}", markup=False))
