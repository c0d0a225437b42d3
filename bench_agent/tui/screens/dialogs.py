"""Modal dialogs: the keys (F1), yes/no questions, a typed value, the override, the
erasure plan and the serial confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bench_agent.bench.erasure import confirmation_ok

if TYPE_CHECKING:
    from bench_agent.bench.erasure import DrivePlan
    from bench_agent.tui.app import BenchApp
    from wipe.targets import Target


def _app(screen: ModalScreen[Any]) -> BenchApp:
    return cast("BenchApp", screen.app)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("f1", "close", show=False),
        Binding("question_mark", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        say = _app(self).say
        rows = [
            (say("1 à 9 (& é \" ' ( - è _ ç)", "1 to 9"), say("ouvrir une étape", "open a step")),
            (say("↑ ↓ puis Entrée", "↑ ↓ then Enter"), say("ouvrir une étape", "open a step")),
            (say("Échap", "Esc"), say("revenir à l'accueil", "back to the main screen")),
            ("n", say("unité suivante", "next unit")),
            ("F1, ?", say("cette aide", "this help")),
            ("F2", say("English / français", "français / English")),
            ("q", say("quitter (tout est gardé)", "quit (everything is kept)")),
            (
                say("Inventaire : s", "Inventory: s"),
                say("saisir le n° de série", "enter the serial"),
            ),
            (say("Santé : t", "Health: t"), say("autotest court", "short self-test")),
            (
                say("Tests : a k e l h m u", "Tests: a k e l h m u"),
                say(
                    "auto, clavier, écran, lumière, son, micro, USB",
                    "auto, keyboard, screen, light, sound, mic, USB",
                ),
            ),
            (
                say("Tests : ↑↓ puis 0", "Tests: ↑↓ then 0"),
                say("pièce absente sur ce modèle", "part absent on this model"),
            ),
            (
                say("Effacement : Espace, e", "Erasure: Space, e"),
                say("choisir, effacer", "select, erase"),
            ),
            (
                say("Effacement : a, Ctrl+C", "Erasure: a, Ctrl+C"),
                say("arrêter proprement", "stop cleanly"),
            ),
            (
                say("Catégorie : Entrée, d", "Category: Enter, d"),
                say("enregistrer, déroger", "save, override"),
            ),
            (
                say("Étiquette, Envoi : Entrée", "Label, Sending: Enter"),
                say("imprimer, envoyer", "print, send"),
            ),
        ]
        text = "\n".join(f"{k:<24} {v}" for k, v in rows)
        with Vertical(id="dialog", classes="wide"):
            yield Static(say("Touches du clavier", "Keyboard keys"), classes="title")
            yield Static(text, id="help-keys")
            yield Static(say("Échap pour fermer", "Esc to close"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class QuestionScreen(ModalScreen[bool]):
    """A yes/no question: o or y yes, n no; Échap leaves without answering (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o,y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "leave", show=False),
    ]

    def __init__(self, question: str, *, danger: bool = False) -> None:
        super().__init__()
        self.question = question
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="danger" if self.danger else ""):
            yield Static(self.question, id="question", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_leave(self) -> None:
        self.dismiss(None)  # None: left without an answer


class QuitDuringEraseScreen(QuestionScreen):
    """Quitting never abandons an erasure silently: yes stops it cleanly (ABORTED)."""

    def __init__(self) -> None:
        super().__init__("", danger=True)

    def compose(self) -> ComposeResult:
        say = _app(self).say
        with Vertical(id="dialog", classes="danger"):
            yield Static(
                say("Un effacement est en cours", "An erasure is running"), classes="title"
            )
            yield Static(
                say(
                    "Quitter l'arrête proprement : chaque disque reçoit un certificat "
                    "ABORTED et devra être effacé de nouveau.",
                    "Quitting stops it cleanly: every disk gets an ABORTED certificate "
                    "and will have to be erased again.",
                )
            )
            yield Static(say("Quitter ? o = oui, n = non", "Quit? y = yes, n = no"), classes="hint")


class TextScreen(ModalScreen[str | None]):
    """Type (or scan) one value, then Entrée; Échap cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, title: str, help_text: str) -> None:
        super().__init__()
        self.title_text = title
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, classes="title")
            yield Static(self.help_text)
            yield Input(id="value")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OverrideScreen(ModalScreen[tuple[str, str] | None]):
    """The technician's category and the mandatory reason."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        say = _app(self).say
        with Vertical(id="dialog"):
            yield Static(say("Déroger à la catégorie", "Override the category"), classes="title")
            yield Static(
                say(
                    "Catégorie (PREMIUM, A, B, C, D, TO_REPAIR, NOT_DISTRIBUTABLE), puis la "
                    "raison (obligatoire). Entrée pour valider, Échap pour annuler.",
                    "Category (PREMIUM, A, B, C, D, TO_REPAIR, NOT_DISTRIBUTABLE), then the "
                    "reason (mandatory). Enter to confirm, Esc to cancel.",
                )
            )
            yield Input(id="category", placeholder=say("catégorie", "category"))
            yield Input(id="reason", placeholder=say("raison", "reason"))
            yield Static(markup=False, id="override-problem", classes="problem")

    def on_mount(self) -> None:
        self.query_one("#category", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        say = _app(self).say
        category = self.query_one("#category", Input).value.strip().upper()
        reason = self.query_one("#reason", Input).value.strip()
        if event.input.id == "category":
            self.query_one("#reason", Input).focus()
            return
        problem = self.query_one("#override-problem", Static)
        if not category:
            problem.update(say("Indiquez la catégorie.", "Give the category."))
            self.query_one("#category", Input).focus()
        elif not reason:
            problem.update(say("La raison est obligatoire.", "The reason is mandatory."))
        else:
            self.dismiss((category, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PlanScreen(ModalScreen[bool]):
    """What will be done to each drive, before any serial is typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o,y", "answer(True)", show=False),
        Binding("n,escape", "answer(False)", show=False),
    ]

    def __init__(self, plans: list[DrivePlan], dry_run: bool) -> None:
        super().__init__()
        self.plans = plans
        self.dry_run = dry_run

    def compose(self) -> ComposeResult:
        app = _app(self)
        say = app.say
        lines = []
        for p in self.plans:
            t = p.target
            lines.append(f"{t.device_path}  {t.model or '?'}  [{t.serial or '-'}]")
            lines.append("  " + app.t(p.text()))
        with Vertical(id="dialog", classes="" if self.dry_run else "danger"):
            yield Static(
                say("SIMULATION : rien ne sera écrit", "DRY RUN: nothing will be written")
                if self.dry_run
                else say("Ce qui va être effacé", "What will be erased"),
                classes="title",
            )
            yield Static("\n".join(lines))
            yield Static(
                say("Continuer ? o = oui, n = non", "Go on? y = yes, n = no"), classes="hint"
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmSerialScreen(ModalScreen[bool]):
    """Type the serial's last 4 characters (or the whole serial), as the CLI asks."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "refuse", show=False)]

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        say = _app(self).say
        t = self.target
        token = t.confirmation_token
        with Vertical(id="dialog", classes="danger"):
            yield Static(
                say(
                    f"Effacer DÉFINITIVEMENT {t.device_path} ?",
                    f"PERMANENTLY erase {t.device_path}?",
                ),
                classes="title",
            )
            yield Static(
                say(
                    f"{t.model or '?'}, série {token}. Tapez les 4 derniers caractères du "
                    "numéro de série puis Entrée (Échap : annuler).",
                    f"{t.model or '?'}, serial {token}. Type the serial's last 4 characters "
                    "then Enter (Esc: cancel).",
                )
            )
            yield Input(id="serial", placeholder="????")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(confirmation_ok(self.target, event.value))

    def action_refuse(self) -> None:
        self.dismiss(False)
