"""Step 8: the unit's label, printed (or a PDF when no printer is set); refused, with
the reasons, when the unit may not be labelled."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.bench.labels import printer_queue
from bench_agent.tui.screens.base import BenchScreen


class LabelScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "label", show=False),
        Binding("enter", "label", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.say("8  Étiquette", "8  Label"), classes="title")
        yield Static(markup=False, id="label-info")
        yield Static(markup=False, id="label-result")
        yield Static(
            self.say("i ou Entrée : imprimer   Échap : retour", "i or Enter: print   Esc: back"),
            classes="hint",
        )

    def state_changed(self) -> None:
        queue = printer_queue(self.service.environ)
        printer = queue or self.say(
            "aucune configurée (l'étiquette sera un PDF)", "none set up (the label will be a PDF)"
        )
        lines = [self.say(f"Imprimante : {printer}", f"Printer: {printer}")]
        refusals = self.service.label_refusals()
        if refusals:
            lines.append(self.say("Impossible pour l'instant :", "Not possible yet:"))
            lines += [f"  - {self.t(r)}" for r in refusals]
        else:
            lines.append(self.say("Prête à imprimer.", "Ready to print."))
        record = self.service.record
        if record.label is not None and record.label.printed_at:
            lines.append(
                self.say(
                    f"Dernière étiquette : révision {record.label_revision}, "
                    f"{record.label.printed_at}",
                    f"Last label: revision {record.label_revision}, {record.label.printed_at}",
                )
            )
        self.query_one("#label-info", Static).update("\n".join(lines))
        result = self.query_one("#label-result", Static)
        problem = self.bench.problems.get("label")
        if "label" in self.bench.running:
            result.update(self.say("Impression…", "Printing…"))
        elif problem is not None:
            result.update(self.t(problem))
            result.set_class(True, "problem")
        else:
            result.update(self.t(self.bench.messages.get("label")))
            result.set_class(False, "problem")

    def action_label(self) -> None:
        self.bench.make_label()
