"""Step 7: the network's category and why, the needs it suits, an override with its
reason (d), and saving the signed report (Entrée)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.bench import BenchError
from bench_agent.bench.flow import category_text, is_dirty
from bench_agent.tui.screens.base import BenchScreen


class GradeScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", show=False),
        Binding("d", "override", show=False),
        Binding("x", "clear_override", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("7  Catégorie et enregistrement"), classes="title")
        yield Static(markup=False, id="saved")
        yield Static(markup=False, id="category")
        with VerticalScroll(id="body"):
            yield Static(markup=False, id="grade")
        yield Static(
            self._(
                "Entrée : enregistrer   d : déroger (avec raison)   x : annuler la dérogation"
                "   Échap : retour"
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        super().on_mount()

    def state_changed(self) -> None:
        view = self.query_one("#grade", Static)
        try:
            g = self.service.current_grade()
        except BenchError as exc:
            view.update(self.t(self.service.problem(exc, "grade")))
            view.set_class(True, "problem")
            return
        view.set_class(False, "problem")
        if g is None:
            view.update(self._("Inventaire pas encore fait (étape 2)."))
            return
        name = self.t(category_text(g.category))
        self.query_one("#category", Static).update(
            self._("Catégorie : {name}", name=name)
            + self._("  (note {note}, profil {profile})", note=g.note, profile=g.profile)
        )
        lines: list[str] = []
        if g.override is not None:
            computed = self.t(category_text(g.computed_category))
            lines.append(
                self._(
                    "Dérogation de {by} (calculée : {computed}) : {reason}",
                    by=g.override.by,
                    computed=computed,
                    reason=g.override.reason,
                )
            )
        # What to do first, then why: the actions are what the technician acts on.
        if g.actions:
            lines.append(self._("À faire :"))
            lines += [f"  - {self.t(a)}" for a in g.actions]
        suited = [self.t(n.name) for n in g.needs if n.suitable]
        lines.append(
            self._("Convient pour : ") + (", ".join(suited) if suited else self._("aucun besoin"))
        )
        lines.append(self._("Règles appliquées :"))
        lines += [f"  {hit.contribution:+d}  {self.t(hit.message)}" for hit in g.rules]
        view.update("\n".join(lines))
        saved = self.query_one("#saved", Static)
        r = self.service.record
        problem = self.bench.problems.get("grade")
        if "grade" in self.bench.running:
            saved.update(self._("Enregistrement…"))
        elif problem is not None:
            saved.update(self.t(problem))
        elif r.saved_revision and not is_dirty(r):
            saved.update(
                self.t(self.bench.messages.get("grade"))
                or self._(
                    "Enregistré (révision {saved_revision}).", saved_revision=r.saved_revision
                )
            )
        elif r.saved_revision:
            saved.update(
                self._(
                    "Modifié depuis la révision {saved_revision} : Entrée pour réenregistrer.",
                    saved_revision=r.saved_revision,
                )
            )
        else:
            saved.update(self._("Pas encore enregistré : Entrée."))
        saved.set_class(problem is not None, "problem")

    def action_save(self) -> None:
        self.bench.save_report()

    def action_override(self) -> None:
        from bench_agent.tui.screens.dialogs import OverrideScreen

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                self.bench.override(*answer)

        self.app.push_screen(OverrideScreen(), chosen)

    def action_clear_override(self) -> None:
        if self.service.record.override is not None:
            self.service.clear_override()
            self.bench.state_changed()
