"""Modal dialogs: the keys (F1), quitting during an erasure, typing a serial."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

if TYPE_CHECKING:
    from bench_agent.tui.app import BenchApp
    from wipe.targets import Target


def _say(screen: ModalScreen[object] | ModalScreen[bool], fr: str, en: str) -> str:
    return cast("BenchApp", screen.app).env.say(fr, en)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("f1", "close", show=False),
        Binding("question_mark", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        say = cast("BenchApp", self.app).env.say
        rows = [
            (say("1 à 7 (ou & é \" ' ( - è)", "1 to 7"), say("ouvrir une étape", "open a step")),
            (say("↑ ↓ puis Entrée", "↑ ↓ then Enter"), say("ouvrir une étape", "open a step")),
            (say("Échap", "Esc"), say("revenir à l'accueil", "back to the main screen")),
            ("F1, ?", say("cette aide", "this help")),
            (
                "q, Ctrl+Q",
                say("quitter (demande si un effacement tourne)", "quit (asks during an erasure)"),
            ),
            (
                say("Effacement : Espace", "Erasure: Space"),
                say("choisir un disque", "select a disk"),
            ),
            (
                say("Effacement : e", "Erasure: e"),
                say("effacer les disques choisis", "erase the selected disks"),
            ),
            (
                say("Effacement : s", "Erasure: s"),
                say("mode simulation (formation)", "dry-run mode (training)"),
            ),
            (
                say("Effacement : a, Ctrl+C", "Erasure: a, Ctrl+C"),
                say("arrêter proprement", "stop cleanly"),
            ),
            (
                say("Catégorie : Z A B C D E", "Category: Z A B C D E"),
                say("aspect, puis Entrée pour enregistrer", "cosmetic grade, then Enter to save"),
            ),
            (say("Étiquette : p / i", "Label: p / i"), say("PDF / imprimer", "PDF / print")),
            (say("Envoi : e", "Sending: e"), say("envoyer maintenant", "send now")),
            (
                say("Tests : a k e l h m u", "Tests: a k e l h m u"),
                say(
                    "automatiques, clavier, écran, lumière, son, micro, USB",
                    "automatic, keyboard, screen, backlight, sound, mic, USB",
                ),
            ),
            (say("Clavier : Échap ×3", "Keyboard: Esc ×3"), say("terminer", "end the test")),
            (say("Santé, Envoi : r", "Health, Sending: r"), say("relire", "refresh")),
        ]
        text = "\n".join(f"{k:<28} {v}" for k, v in rows)
        with Vertical(id="dialog"):
            yield Static(say("Touches du clavier", "Keyboard keys"), classes="title")
            yield Static(text, id="help-keys")
            yield Static(say("Échap pour fermer", "Esc to close"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class QuitDuringEraseScreen(ModalScreen[bool]):
    """Quitting never abandons an erasure silently: yes stops it cleanly (ABORTED)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "answer(True)", show=False),
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def compose(self) -> ComposeResult:
        say = cast("BenchApp", self.app).env.say
        with Vertical(id="dialog", classes="danger"):
            yield Static(
                say("Un effacement est en cours", "An erasure is running"), classes="title"
            )
            yield Static(
                say(
                    "Quitter l'arrête proprement : chaque disque reçoit un certificat "
                    "ABORTED (effacement abandonné) et devra être effacé de nouveau.",
                    "Quitting stops it cleanly: every disk gets an ABORTED certificate "
                    "and will have to be erased again.",
                )
            )
            yield Static(say("Quitter ? o = oui, n = non", "Quit? y = yes, n = no"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class UnfreezeScreen(ModalScreen[bool]):
    """A drive frozen by the BIOS: offer the 5 s suspend/resume that usually unfreezes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "answer(True)", show=False),
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, frozen: list[str]) -> None:
        super().__init__()
        self.frozen = frozen

    def compose(self) -> ComposeResult:
        say = cast("BenchApp", self.app).env.say
        names = ", ".join(self.frozen)
        with Vertical(id="dialog"):
            yield Static(
                say("Disque gelé par le BIOS", "Drive frozen by the BIOS"), classes="title"
            )
            yield Static(
                say(
                    f"{names} : l'effacement micrologiciel est impossible tant que le disque "
                    "est gelé. Une mise en veille de 5 s suivie du réveil le dégèle en général. "
                    "Sinon, l'écrasement prévu par la politique sera utilisé.",
                    f"{names}: firmware erasure is impossible while the drive is frozen. "
                    "A 5 s suspend and resume usually unfreezes it. Otherwise the policy's "
                    "overwrite is used.",
                )
            )
            yield Static(
                say("Mettre en veille 5 s ? o = oui, n = non", "Suspend for 5 s? y = yes, n = no"),
                classes="hint",
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
        say = cast("BenchApp", self.app).env.say
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
        from bench_agent.tui.sitting import confirmation_ok

        self.dismiss(confirmation_ok(self.target, event.value))

    def action_refuse(self) -> None:
        self.dismiss(False)
