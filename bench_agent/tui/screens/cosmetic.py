"""Step 5: the unit's cosmetic grade, one key."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen

CODES = ("Z", "A", "B", "C", "D", "E")


class CosmeticScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(f"{c.lower()},{c}", f"choose('{c}')", show=False) for c in CODES
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("5  Aspect"), classes="title")
        yield Static(markup=False, id="scale")
        yield Static(markup=False, id="chosen")
        yield Static(
            self._("Une touche : {codes}   Échap : retour", codes=" ".join(CODES)),
            classes="hint",
        )

    def state_changed(self) -> None:
        chosen = self.service.record.cosmetic
        rows = []
        for code, text in self.service.cosmetic_choices():
            mark = ">" if code == chosen else " "
            rows.append(f"{mark} {code}  {self.t(text)}")
        self.query_one("#scale", Static).update("\n".join(rows))
        self.query_one("#chosen", Static).update(
            self._("Choisi : {chosen}", chosen=chosen) if chosen else ""
        )

    def action_choose(self, code: str) -> None:
        self.bench.set_cosmetic(code)
        self.action_back()
