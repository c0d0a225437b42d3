"""Step 5: the unit's label as a PDF under $BENCH_AGENT_HOME/labels/, or printed."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.tui import sitting as services
from bench_agent.tui.screens.base import BenchScreen


class LabelScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "label(False)", show=False),
        Binding("i", "label(True)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.say("5  Étiquette", "5  Label"), classes="title")
        yield Static(id="label-info")
        yield Static(id="label-result")
        yield Static(
            self.say("p : PDF   i : imprimer   Échap : retour", "p: PDF   i: print   Esc: back"),
            classes="hint",
        )

    def state_changed(self) -> None:
        info = self.query_one("#label-info", Static)
        if not services.labels_available():
            info.update(self.say("Module étiquettes indisponible.", "Label module unavailable."))
        else:
            queue = services.printer_queue(self.bench.env)
            printer = queue or self.say(
                f"aucune ({services.PRINTER_VARIABLE} non défini)",
                f"none ({services.PRINTER_VARIABLE} not set)",
            )
            ready = self.sitting.saved_path is not None
            info.update(
                self.say(f"Imprimante : {printer}", f"Printer: {printer}")
                + "\n"
                + (
                    self.say("Rapport enregistré : prêt.", "Report saved: ready.")
                    if ready
                    else self.say(
                        "Enregistrez d'abord la catégorie (étape 4).",
                        "Save the category first (step 4).",
                    )
                )
            )
        self.query_one("#label-result", Static).update(self.sitting.label_message)

    def action_label(self, to_printer: bool) -> None:
        if services.labels_available():
            self.bench.make_label(to_printer)
