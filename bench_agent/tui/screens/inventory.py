"""Step 1: the inventory, as the summary lines of ``bench-agent inventory``."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen


class InventoryScreen(BenchScreen):
    def compose(self) -> ComposeResult:
        yield Static(self.say("1  Inventaire", "1  Inventory"), classes="title")
        with VerticalScroll(id="body"):
            yield Static(id="inventory")
        yield Static(
            self.say("↑↓ : défiler   Échap : retour", "↑↓: scroll   Esc: back"), classes="hint"
        )

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        super().on_mount()

    def state_changed(self) -> None:
        s = self.sitting
        view = self.query_one("#inventory", Static)
        if s.inventory_error:
            view.update(s.inventory_error)
            view.set_class(True, "problem")
        elif s.inventory is None:
            view.update(self.say("Inventaire en cours…", "Inventory running…"))
        else:
            view.set_class(False, "problem")
            view.update("\n".join(s.inventory_lines))
