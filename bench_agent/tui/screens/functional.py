"""Step 4: the functional tests, one line each with its result; a key runs each one.

The keyboard test and the screen colours take the whole screen; yes/no questions
are a small modal (o or y for yes, n for no).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from bench_agent.functional import CATALOGUE
from bench_agent.functional.keyboard import AZERTY_ROWS, KeyboardTest
from bench_agent.i18n import C_, N_, _t
from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.screens.dialogs import QuestionScreen

if TYPE_CHECKING:
    from bench_agent.tui.app import BenchApp

RESULT_TEXT = {
    "pass": (C_("test", "OK"), "bold green"),
    "fail": (C_("test", "ÉCHEC"), "bold red"),
    "n/a": (N_("ABSENT"), "bold"),
}
COLOURS = (("red", N_("rouge")), ("lime", N_("vert")), ("blue", N_("bleu")),
           ("white", N_("blanc")), ("black", N_("noir")))  # fmt: skip


class FunctionalScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "run('automatic')", show=False),
        Binding("k", "keyboard", show=False),
        Binding("e", "colours", show=False),
        Binding("l", "backlight", show=False),
        Binding("h", "run('speakers')", show=False),
        Binding("m", "run('microphone')", show=False),
        Binding("u", "run('usb')", show=False),
        Binding("0", "absent", show=False),
        Binding("à", "absent", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("4  Tests fonctionnels"), classes="title")
        yield Static(markup=False, id="tests")
        yield Static(markup=False, id="note")
        yield Static(
            self._(
                "a : automatiques  k : clavier  e : écran  l : luminosité  h : son  m : micro\n"
                "u : un port USB  0 : pièce absente sur ce modèle  Échap : retour"
            ),
            classes="hint",
        )

    def action_run(self, name: str) -> None:
        if name == "usb":
            self.notify(self._("Branchez la clé dans un port…"))
        elif name == "microphone":
            self.notify(self._("Parlez : enregistrement 3 s…"))
        if not self.bench.start_test(name):
            self.notify(self._("Un test est déjà en cours."))

    def action_keyboard(self) -> None:
        self.app.push_screen(KeyboardScreen())

    def action_colours(self) -> None:
        self.app.push_screen(ColourScreen())

    def action_backlight(self) -> None:
        from bench_agent.bench import functional as f
        from bench_agent.functional.catalogue import Outcome
        from bench_agent.tui.screens.dialogs import QuestionScreen

        try:
            present = f.backlight_present(self.service.host)
        except Exception as exc:  # e.g. a recorded computer without that listing
            self.bench.problems["functional"] = self.service.problem(exc, "backlight")
            self.state_changed()
            return
        if not present:
            self.service.record_outcomes(
                [
                    Outcome(
                        "backlight",
                        "n/a",
                        _t("pas de réglage de luminosité vu"),
                        missing="part",
                    )
                ]
            )
            self.bench.state_changed()
            return
        self.app.push_screen(
            QuestionScreen(
                self._("Baissez puis montez la luminosité (touches Fn). A-t-elle changé ?  o / n")
            ),
            lambda yes: self.bench.answer_test("backlight", yes),
        )

    def action_absent(self) -> None:
        """Confirm, test by test, that a part the machine does not show is absent on this
        model (not applicable); otherwise it stays a failure."""
        from bench_agent.tui.screens.dialogs import QuestionScreen

        absent = [
            t for t in CATALOGUE
            if (done := self.service.record.functional.get(t.name)) is not None
            and done.result == "fail" and done.data.get("absent")
        ]  # fmt: skip
        if not absent:
            self.notify(self._("Aucune pièce introuvable à confirmer."))
            return

        def ask(rest: list[object]) -> None:
            if not rest:
                return
            test = rest[0]
            name = test.name  # type: ignore[attr-defined]
            title = self.t(test.title)  # type: ignore[attr-defined]

            def answered(yes: bool | None) -> None:
                if yes:
                    self.bench.confirm_absent(name)
                ask(rest[1:])

            self.app.push_screen(
                QuestionScreen(
                    self._(
                        "{title} : introuvable. Ce modèle n'en a-t-il vraiment pas ?  "
                        "o = oui (non applicable), n = non (reste en échec)",
                        title=title,
                    )
                ),
                answered,
            )

        ask(list(absent))

    def state_changed(self) -> None:
        record = self.service.record
        required = set(self.service.grading.required_tests)
        lines = Text()
        for test in CATALOGUE:
            done = record.functional.get(test.name)
            title = self.t(test.title)
            row = f" {test.key}  {title:<30} "
            lines.append(row)
            untested = self.bench.untested_reason(test.name)
            if self.bench.busy_test in (test.name, "automatic" if test.automatic else ""):
                lines.append(self._("en cours…"), "bold yellow")
            elif done is not None:
                label, style = RESULT_TEXT[done.result]
                lines.append(self._(label), style)
                if done.result == "fail" and done.data.get("absent"):
                    lines.append(self._(" (introuvable : 0 si absent du modèle)"))
                elif done.by:
                    lines.append(f" {done.by}")
            elif untested is not None:
                not_tested, reason = self._("NON TESTÉ"), self.t(untested)
                lines.append(not_tested, "bold red")
                # The reason on the same row when it fits, else on the next one under
                # the test's name (never wrapped to the screen's first column).
                room = self.size.width - 4 - len(row) - len(not_tested) - 2
                lines.append(f"  {reason}" if len(reason) <= room else f"\n      {reason}")
            else:
                lines.append(self._("à faire") + ("" if test.name in required else " (facultatif)"))
            lines.append("\n")
        self.query_one("#tests", Static).update(lines)
        note = self.query_one("#note", Static)
        problem = self.bench.problems.get("functional")
        note.update(self.t(problem))
        note.set_class(problem is not None, "problem")


class KeyCatcher(Static, can_focus=True):
    """Takes every key so that none opens a step, the help or quits."""


class KeyboardScreen(Screen[None]):
    """The AZERTY map; each key pressed lights up. Échap ×3 or every key ends it."""

    def __init__(self) -> None:
        super().__init__()
        self.test = KeyboardTest()

    @property
    def bench(self) -> BenchApp:
        return cast("BenchApp", self.app)

    def compose(self) -> ComposeResult:
        _ = self.bench.env._
        yield Static(_("Test du clavier"), classes="title")
        yield KeyCatcher(id="keyboard")
        yield Static(
            _(
                "Appuyez sur chaque touche.  Échap trois fois de suite : terminer.  "
                "Verr.Maj, Fn, Win : invisibles dans un terminal, à vérifier à l'œil."
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one(KeyCatcher).focus()
        self.redraw()

    def redraw(self) -> None:
        out = Text()
        for row in AZERTY_ROWS:
            for key in row:
                style = "bold black on green" if key.id in self.test.seen else (
                    "dim" if not key.required else "reverse"
                )  # fmt: skip
                out.append(f" {key.label} ", style)
                out.append(" ")
            out.append("\n\n")
        self.query_one(KeyCatcher).update(out)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        finished = self.test.press(event.key, event.character)
        self.redraw()
        if finished:
            self.finish()

    def finish(self) -> None:
        test = self.test
        data: dict[str, object] = {"keys_seen": len(test.seen), "missing": " ".join(test.missing())}
        if test.complete:
            question = self.bench.env._("Toutes les touches vues. Le clavier est-il bon ? o / n")
        else:
            question = self.bench.env._(
                "Touches non vues : {missing}. Le clavier est-il bon ? o / n",
                missing=data["missing"],
            )
        bench = self.bench

        def answered(yes: bool | None) -> None:
            # The question sits on top of this screen (a callback belongs to the screen
            # that pushed it): leave the keyboard map only once answered.
            bench.pop_screen()
            bench.answer_test("keyboard", yes, data)

        bench.push_screen(QuestionScreen(question), answered)


class ColourScreen(Screen[None]):
    """Solid colours one after another; o / y: even, n: a dead pixel or a mark."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o,y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "leave", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.index = 0
        self.defects: list[str] = []

    @property
    def bench(self) -> BenchApp:
        return cast("BenchApp", self.app)

    def on_mount(self) -> None:
        self.show_colour()

    def show_colour(self) -> None:
        self.styles.background = COLOURS[self.index][0]

    def action_answer(self, even: bool) -> None:
        _colour, name = COLOURS[self.index]
        if not even:
            self.defects.append(self.bench.env._(name))
        self.index += 1
        if self.index < len(COLOURS):
            self.show_colour()
            return
        bench = self.bench
        data = {"colours": len(COLOURS), "defects": ", ".join(self.defects)}
        bench.pop_screen()
        bench.answer_test("screen", not self.defects, data)

    def action_leave(self) -> None:
        self.app.pop_screen()
