"""Step 4: the cosmetic grade (one key), the network's category and why; Entrée saves."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench_agent.tui import sitting as services
from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.state import StepState

CATEGORY_NAMES = {"NOT_DISTRIBUTABLE": ("NON DISTRIBUABLE", "NOT DISTRIBUTABLE")}


class GradeScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(f"{c.lower()},{c}", f"cosmetic('{c}')", show=False)
            for c in ("Z", "A", "B", "C", "D", "E")
        ),
        Binding("enter", "save", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.say("4  Catégorie", "4  Category"), classes="title")
        scale = "\n".join(
            f"  {code}  {text}" for code, text in services.cosmetic_grades(self.bench.env)
        )
        yield Static(
            self.say("Aspect de l'appareil (une touche) :", "Cosmetic grade (one key):")
            + "\n"
            + scale,
            id="scale",
        )
        with VerticalScroll(id="body"):
            yield Static(id="grade")
            yield Static(id="saved")
        yield Static(
            self.say(
                "Z A B C D E : aspect   Entrée : enregistrer   Échap : retour",
                "Z A B C D E: cosmetic grade   Enter: save   Esc: back",
            ),
            classes="hint",
        )

    def action_cosmetic(self, code: str) -> None:
        self.bench.choose_cosmetic(code)

    def action_save(self) -> None:
        if self.sitting.grade is None:
            self.notify(
                self.say("Choisissez d'abord l'aspect.", "Choose the cosmetic grade first.")
            )
            return
        self.bench.save_report()

    def state_changed(self) -> None:
        s = self.sitting
        env = self.bench.env
        view = self.query_one("#grade", Static)
        if s.grade_error:
            view.update(s.grade_error)
            view.set_class(True, "problem")
        elif s.grade is None:
            view.set_class(False, "problem")
            view.update(
                self.say("Calcul en cours…", "Computing…")
                if s.states["grade"] is StepState.RUNNING
                else self.say("Choisissez l'aspect.", "Choose the cosmetic grade.")
            )
        else:
            g = s.grade
            view.set_class(False, "problem")
            name = self.say(*CATEGORY_NAMES.get(g.category, (g.category, g.category)))
            lines = [
                self.say(
                    f"Catégorie : {name}  (note {g.note}, profil {g.profile} {g.profile_version})",
                    f"Category: {name}  (note {g.note}, profile {g.profile} {g.profile_version})",
                ),
                self.say(
                    f"Aspect : {g.cosmetic or s.cosmetic}", f"Cosmetic: {g.cosmetic or s.cosmetic}"
                ),
                self.say("Règles appliquées :", "Rules applied:"),
                *(f"  {hit.contribution:+d}  {env.t(hit.message)}" for hit in g.rules),
                f"  = {g.note}",
            ]
            if g.actions:
                lines.append(self.say("Actions nécessaires :", "Actions required:"))
                lines += [f"  - {env.t(a)}" for a in g.actions]
            suited = [env.t(n.name) for n in g.needs if n.suitable]
            lines.append(
                self.say("Convient pour : ", "Suits: ")
                + (", ".join(suited) if suited else self.say("aucun besoin", "no need"))
            )
            view.update("\n".join(lines))
        saved = self.query_one("#saved", Static)
        if s.save_message:
            saved.update(s.save_message)
        elif s.grade is not None:
            saved.update(self.say("Entrée pour enregistrer le rapport.", "Enter saves the report."))
        else:
            saved.update("")
