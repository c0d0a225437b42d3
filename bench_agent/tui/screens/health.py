"""Step 3: every disk's SMART verdict and its main reason; t starts a short self-test
in the background (the technician goes on with other steps meanwhile)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.i18n import N_
from bench_agent.tui.screens.base import BenchScreen

VERDICTS = {
    "OK": N_("BON"),
    "WORN": N_("USÉ"),
    "SUSPECT": N_("SUSPECT"),
    "FAIL": N_("HORS SERVICE"),
    "UNKNOWN": N_("NON ÉVALUABLE"),
}
SELF_TEST_STATUS = {
    "passed": N_("Autotest court réussi."),
    "failed": N_("Autotest court en ÉCHEC."),
    "aborted": N_("Autotest court interrompu."),
    "interrupted": N_("Autotest court interrompu."),
    "in_progress": N_("Autotest court en cours…"),
    "timeout": N_("Autotest court trop long : arrêté."),
    "unknown": N_("Autotest court non concluant."),
}
"""The short self-test's outcome under the disk (``t``); the extended one is run from
the command line (``bench-agent health --self-test extended``)."""


class HealthScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", show=False),
        Binding("t", "self_test", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("3  Santé des disques"), classes="title")
        yield VerticalScroll(id="disks")
        yield Static(
            self._("r : relire   t : autotest court (en arrière-plan)   Échap : retour"),
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
            self._("Autotest lancé : continuez les autres étapes, le résultat arrivera ici.")
        )

    def state_changed(self) -> None:
        r = self.service.record
        box = self.query_one("#disks", VerticalScroll)
        box.remove_children()
        problem = self.bench.problems.get("health") or r.health_problem
        if "health" in self.bench.running:
            box.mount(Static(self._("Lecture SMART en cours…")))
        if problem is not None:
            box.mount(Static(self.t(problem), classes="problem", markup=False))
        if r.health is not None and not r.health:
            box.mount(Static(self._("Aucun disque interne trouvé.")))
        for d in r.health or []:
            label = self._(VERDICTS[d.verdict]) if d.verdict in VERDICTS else d.verdict
            who = " ".join(x for x in (d.model, d.serial and f"S/N {d.serial}") if x)
            reason = self.t(d.reason) if d.reason else ""
            line = f"{label:<14} {d.device}  {who}\n{self._under(reason)}".rstrip()
            test = d.self_test
            if test is not None and test.kind == "short":
                said = self._(SELF_TEST_STATUS[test.status])
                if test.status != "passed" and test.message is not None:
                    said = f"{said} {self.t(test.message)}"
                if said != reason:
                    line += f"\n{self._under(said)}"
            box.mount(Static(line, classes=f"disk verdict-{d.verdict}", markup=False))

    def _under(self, text: str) -> str:
        """``text`` under the disk's name, wrapped there (never back to column 0)."""
        import textwrap

        indent = " " * 15
        width = max(40, self.size.width - 4)
        return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)
