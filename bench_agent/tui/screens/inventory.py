"""Step 2: the inventory with what to look at first (worn battery, junk serial, failed
disk, Windows 11); s types the real serial when the firmware's is unreadable."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen


class InventoryScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "serial", show=False),
        Binding("r", "refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("2  Inventaire"), classes="title")
        yield Static(markup=False, id="warnings", classes="problem")
        with VerticalScroll(id="body"):
            yield Static(markup=False, id="inventory")
        yield Static(
            self._("↑↓ : défiler   s : saisir le n° de série   r : relire   Échap : retour"),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        super().on_mount()

    def state_changed(self) -> None:
        from bench_agent.summary import render_inventory

        r = self.service.record
        view = self.query_one("#inventory", Static)
        warnings = self.query_one("#warnings", Static)
        problem = self.bench.problems.get("inventory") or r.inventory_problem
        if "inventory" in self.bench.running:
            view.update(self._("Inventaire en cours…"))
            warnings.update("")
        elif problem is not None and r.inventory is None:
            view.update(self.t(problem))
            warnings.update("")
        elif r.inventory is None:
            view.update(self._("r : lancer l'inventaire"))
        else:
            lines = render_inventory(
                r.inventory, self.bench.env._, self.bench.env.lang, with_duration=False
            )
            view.update("\n".join(lines))
            found = self.service.inventory_warnings()
            warnings.update("\n".join("! " + self.t(w) for w in found))

    def action_refresh(self) -> None:
        if "inventory" not in self.bench.running:
            self.bench.collect_inventory()

    def action_serial(self) -> None:
        from bench_agent.tui.screens.dialogs import TextScreen

        def entered(value: str | None) -> None:
            if value:
                self.bench.set_serial(value)

        self.app.push_screen(
            TextScreen(
                self._("N° de série de l'étiquette"),
                self._("Tapez ou scannez le numéro de série imprimé sous l'appareil, puis Entrée."),
            ),
            entered,
        )
