"""Step 8: the unit's label, printed (or a PDF when no printer is set); refused, with
the reasons, when the unit may not be labelled."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.bench.flow import prints_unsaved
from bench_agent.tui.screens.base import BenchScreen


class LabelScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "label", show=False),
        Binding("enter", "label", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("8  Étiquette"), classes="title")
        yield Static(markup=False, id="label-info")
        yield Static(markup=False, id="label-result")
        yield Static(
            self._("i ou Entrée : imprimer   Échap : retour"),
            classes="hint",
        )

    def state_changed(self) -> None:
        # The CUPS queue of the environment, else the site's printer (site.toml: CUPS,
        # ZPL or Brother QL), else a PDF only.
        printer = self.service.label_printer() or self._(
            "aucune configurée (l'étiquette sera un PDF)"
        )
        lines = [self._("Imprimante : {printer}", printer=printer)]
        refusals = self.service.label_refusals()
        if refusals:
            lines.append(self._("Impossible pour l'instant :"))
            lines += [f"  - {self.t(r)}" for r in refusals]
        else:
            lines.append(self._("Prête à imprimer."))
        record = self.service.record
        label = record.label
        if label is not None and label.printed_at:
            at = label.printed_at[:16].replace("T", " ")
            lines.append(
                self._(
                    "Dernière étiquette : révision {label_revision}, n° {copy} "
                    "(réimpression), {printed_at}",
                    label_revision=record.label_revision,
                    copy=label.copy,
                    printed_at=at,
                )
                if label.reprint
                else self._(
                    "Dernière étiquette : révision {label_revision}, {printed_at}",
                    label_revision=record.label_revision,
                    printed_at=at,
                )
            )
        if prints_unsaved(record):
            lines.append(
                self._("Impression pas encore dans le rapport signé : Entrée à l'étape 7.")
            )
        self.query_one("#label-info", Static).update("\n".join(lines))
        result = self.query_one("#label-result", Static)
        problem = self.bench.problems.get("label")
        if "label" in self.bench.running:
            result.update(self._("Impression…"))
        elif problem is not None:
            result.update(self.t(problem))
            result.set_class(True, "problem")
        else:
            result.update(self.t(self.bench.messages.get("label")))
            result.set_class(False, "problem")

    def action_label(self) -> None:
        self.bench.make_label()
