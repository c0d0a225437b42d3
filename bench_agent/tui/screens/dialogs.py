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
        _ = _app(self)._
        rows = [
            (_("1 à 9 (& é \" ' ( - è _ ç)"), _("ouvrir une étape")),
            (_("↑ ↓ puis Entrée"), _("ouvrir une étape")),
            (_("Échap"), _("revenir à l'accueil")),
            ("n", _("unité suivante")),
            ("p", _("poste d'effacement : disques seuls")),
            ("F1, ?", _("cette aide")),
            ("F2", _("English / français")),
            ("q", _("quitter ou éteindre (tout est gardé)")),
            (
                _("Inventaire : s"),
                _("saisir le n° de série"),
            ),
            (_("Santé : t"), _("autotest court")),
            (
                _("Tests : a k e l h m u"),
                _("auto, clavier, écran, lumière, son, micro, USB"),
            ),
            (
                _("Tests : ↑↓ puis 0"),
                _("pièce absente sur ce modèle"),
            ),
            (
                _("Effacement : Espace, e"),
                _("choisir, effacer"),
            ),
            (
                _("Effacement : a, Ctrl+C"),
                _("arrêter proprement"),
            ),
            (
                _("Catégorie : Entrée, d"),
                _("enregistrer, déroger"),
            ),
            (
                _("Étiquette, Envoi : Entrée"),
                _("imprimer, envoyer"),
            ),
        ]
        text = "\n".join(f"{k:<24} {v}" for k, v in rows)
        with Vertical(id="dialog", classes="wide"):
            yield Static(_("Touches du clavier"), classes="title")
            yield Static(text, id="help-keys")
            yield Static(_("Échap pour fermer"), classes="hint")

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


class LeaveScreen(ModalScreen[str | None]):
    """Leaving the bench: o quits (everything is kept), e powers the computer off,
    n or Échap stays. What is unfinished on the unit is listed first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o,y", "choose('quit')", show=False),
        Binding("e", "choose('poweroff')", show=False),
        Binding("n,escape", "choose(None)", show=False),
    ]

    def __init__(self, unfinished: list[str]) -> None:
        super().__init__()
        self.unfinished = unfinished

    def compose(self) -> ComposeResult:
        _ = _app(self)._
        with Vertical(id="dialog", classes="danger" if self.unfinished else ""):
            yield Static(_("Quitter le banc"), classes="title")
            if self.unfinished:
                listed = "\n".join(f"  - {line}" for line in self.unfinished)
                yield Static(
                    _("Cette unité n'est pas terminée :\n{listed}", listed=listed),
                    markup=False,
                )
            yield Static(
                _("Tout est gardé : l'unité reprendra là où elle en est au prochain démarrage."),
                markup=False,
            )
            yield Static(
                _("o : quitter   e : éteindre l'ordinateur   n : rester"),
                classes="hint",
                markup=False,
            )

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)


class QuitDuringEraseScreen(QuestionScreen):
    """Quitting never abandons an erasure silently: yes stops it cleanly (ABORTED)."""

    def __init__(self) -> None:
        super().__init__("", danger=True)

    def compose(self) -> ComposeResult:
        _ = _app(self)._
        with Vertical(id="dialog", classes="danger"):
            yield Static(_("Un effacement est en cours"), classes="title")
            yield Static(
                _(
                    "Quitter l'arrête proprement : chaque disque reçoit un certificat "
                    "ABORTED et devra être effacé de nouveau."
                )
            )
            yield Static(_("Quitter ? o = oui, n = non"), classes="hint")


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
        _ = _app(self)._
        with Vertical(id="dialog"):
            yield Static(_("Déroger à la catégorie"), classes="title")
            yield Static(
                _(
                    "Catégorie (PREMIUM, A, B, C, D, TO_REPAIR, NOT_DISTRIBUTABLE), puis la "
                    "raison (obligatoire). Entrée pour valider, Échap pour annuler."
                )
            )
            yield Input(id="category", placeholder=_("catégorie"))
            yield Input(id="reason", placeholder=_("raison"))
            yield Static(markup=False, id="override-problem", classes="problem")

    def on_mount(self) -> None:
        self.query_one("#category", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        _ = _app(self)._
        category = self.query_one("#category", Input).value.strip().upper()
        reason = self.query_one("#reason", Input).value.strip()
        if event.input.id == "category":
            self.query_one("#reason", Input).focus()
            return
        problem = self.query_one("#override-problem", Static)
        if not category:
            problem.update(_("Indiquez la catégorie."))
            self.query_one("#category", Input).focus()
        elif not reason:
            problem.update(_("La raison est obligatoire."))
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
        _ = app._
        lines = []
        for p in self.plans:
            t = p.target
            lines.append(f"{t.device_path}  {t.model or '?'}  [{t.serial or '-'}]")
            lines.append("  " + app.t(p.text()))
        with Vertical(id="dialog", classes="" if self.dry_run else "danger"):
            yield Static(
                _("SIMULATION : rien ne sera écrit")
                if self.dry_run
                else _("Ce qui va être effacé"),
                classes="title",
            )
            yield Static("\n".join(lines))
            yield Static(_("Continuer ? o = oui, n = non"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmSerialScreen(ModalScreen[bool]):
    """Type the serial's last 4 characters (or the whole serial), as the CLI asks."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "refuse", show=False)]

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        _ = _app(self)._
        t = self.target
        token = t.confirmation_token
        with Vertical(id="dialog", classes="danger"):
            yield Static(
                _("Effacer DÉFINITIVEMENT {device_path} ?", device_path=t.device_path),
                classes="title",
            )
            yield Static(
                _(
                    "{model}, série {token}. Tapez les 4 derniers caractères du "
                    "numéro de série puis Entrée (Échap : annuler).",
                    model=t.model or "?",
                    token=token,
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
