"""Step 7: the functional tests, one line each with its result; a key runs each one.

The keyboard test and the screen colours take the whole screen; yes/no questions
are a small modal (o or y for yes, n for no).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from bench_agent.functional import CATALOGUE
from bench_agent.functional.keyboard import AZERTY_ROWS, KeyboardTest
from bench_agent.tui import messages as m
from bench_agent.tui import sitting as services
from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.state import StepState

if TYPE_CHECKING:
    from bench_agent.tui.app import BenchApp

RESULT_TEXT = {
    "pass": (("OK", "PASS"), "bold green"),
    "fail": (("ÉCHEC", "FAIL"), "bold red"),
    "n/a": (("S.O.", "N/A"), "bold"),
}
COLOURS = (("red", "rouge", "red"), ("lime", "vert", "green"), ("blue", "bleu", "blue"),
           ("white", "blanc", "white"), ("black", "noir", "black"))  # fmt: skip


class FunctionalScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "run('automatic')", show=False),
        Binding("k", "keyboard", show=False),
        Binding("e", "colours", show=False),
        Binding("l", "backlight", show=False),
        Binding("h", "run('speakers')", show=False),
        Binding("m", "run('microphone')", show=False),
        Binding("u", "run('usb')", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.say("7  Tests fonctionnels", "7  Functional tests"), classes="title")
        yield Static(id="tests")
        yield Static(id="note")
        yield Static(
            self.say(
                "a : automatiques   k : clavier   e : écran   l : luminosité   h : son   "
                "m : micro   u : un port USB   Échap : retour",
                "a: automatic   k: keyboard   e: screen   l: backlight   h: sound   "
                "m: mic   u: one USB port   Esc: back",
            ),
            classes="hint",
        )

    def action_run(self, name: str) -> None:
        if name == "usb":
            self.notify(self.say("Branchez la clé dans un port…", "Plug the stick into a port…"))
        elif name == "microphone":
            self.notify(self.say("Parlez : enregistrement 3 s…", "Speak: recording 3 s…"))
        if not self.bench.start_functional(name):
            self.notify(self.say("Un test est déjà en cours.", "A test is already running."))

    def action_keyboard(self) -> None:
        self.app.push_screen(KeyboardScreen())

    def action_colours(self) -> None:
        self.app.push_screen(ColourScreen())

    def action_backlight(self) -> None:
        from bench_agent.functional.catalogue import Outcome
        from bench_agent.i18n import tr

        try:
            present = services.backlight_present(self.bench.host)
        except Exception as exc:  # e.g. a recorded computer without that listing
            self.bench.post_message(
                m.StepFailed("functional", services.failure_text(exc, self.bench.env))
            )
            return
        if not present:
            self.bench.record_functional(
                Outcome(
                    "backlight",
                    "n/a",
                    tr("pas de réglage de luminosité (/sys/class/backlight vide)",
                       "no brightness control (/sys/class/backlight empty)"),
                )
            )  # fmt: skip
            return
        self.app.push_screen(
            AnswerScreen(
                self.say(
                    "Baissez puis montez la luminosité (touches Fn). A-t-elle changé ? o / n",
                    "Lower then raise the brightness (Fn keys). Did it change? y / n",
                )
            ),
            lambda yes: self.bench.answered("backlight", yes),
        )

    def state_changed(self) -> None:
        s = self.sitting
        lines = Text()
        for test in CATALOGUE:
            done = s.functional.get(test.name)
            title = self.bench.env.t(test.title)
            lines.append(f" {test.key}  {title:<30} ")
            if s.functional_busy in (test.name, "automatic" if test.automatic else ""):
                lines.append(self.say("en cours…", "running…"), "bold yellow")
            elif done is None:
                lines.append(self.say("à faire", "to do"))
            else:
                label, style = RESULT_TEXT[done.result]
                lines.append(self.say(*label), style)
                if done.comment:
                    lines.append(f"  {done.comment}")
            lines.append("\n")
        self.query_one("#tests", Static).update(lines)
        note = self.query_one("#note", Static)
        note.update(s.functional_note)
        note.set_class(
            s.states["functional"] is StepState.PROBLEM and bool(s.functional_note), "problem"
        )


class AnswerScreen(ModalScreen[bool]):
    """A yes/no question: o or y yes, n no, Échap leaves without answering."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o,y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "leave", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_leave(self) -> None:
        self.dismiss(None)  # None: left without an answer


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
        say = self.bench.env.say
        yield Static(say("Test du clavier", "Keyboard test"), classes="title")
        yield KeyCatcher(id="keyboard")
        yield Static(
            say(
                "Appuyez sur chaque touche.  Échap trois fois de suite : terminer.  "
                "Verr.Maj, Fn, Win : invisibles dans un terminal, à vérifier à l'œil.",
                "Press every key.  Esc three times in a row: end.  "
                "Caps Lock, Fn, Win: invisible in a terminal, check by eye.",
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
            question = self.bench.env.say(
                "Toutes les touches vues. Le clavier est-il bon ? o / n",
                "Every key seen. Is the keyboard good? y / n",
            )
        else:
            question = self.bench.env.say(
                f"Touches non vues : {data['missing']}. Le clavier est-il bon ? o / n",
                f"Keys not seen: {data['missing']}. Is the keyboard good? y / n",
            )
        bench = self.bench

        def answered(yes: bool | None) -> None:
            # The question sits on top of this screen (a callback belongs to the screen
            # that pushed it): leave the keyboard map only once answered.
            bench.pop_screen()
            bench.answered("keyboard", yes, data)

        bench.push_screen(AnswerScreen(question), answered)


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
        _, fr, en = COLOURS[self.index]
        if not even:
            self.defects.append(self.bench.env.say(fr, en))
        self.index += 1
        if self.index < len(COLOURS):
            self.show_colour()
            return
        bench = self.bench
        data = {"colours": len(COLOURS), "defects": ", ".join(self.defects)}
        bench.pop_screen()
        bench.answered("screen", not self.defects, data)

    def action_leave(self) -> None:
        self.app.pop_screen()
