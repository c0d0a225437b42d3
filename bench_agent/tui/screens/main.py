"""The main screen: the unit on the bench and its seven steps with their state."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.state import STATE_LABELS, STEPS, StepState

# The digit row of an AZERTY keyboard gives & é " ' ( - è without Shift: both open a step.
AZERTY_DIGITS = (
    "ampersand",
    "é",
    "quotation_mark",
    "apostrophe",
    "left_parenthesis",
    "minus",
    "è",
)

STATE_STYLES = {
    StepState.TODO: "bold",
    StepState.RUNNING: "bold yellow",
    StepState.DONE: "bold green",
    StepState.PROBLEM: "bold red",
}


class MainScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"open({n})", show=False) for n in range(1, 8)),
        *(Binding(k, f"open({n})", show=False) for n, k in enumerate(AZERTY_DIGITS, 1)),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="unit")
        yield OptionList(*(Option("", id=s.key) for s in STEPS), id="steps")
        yield Static(
            self.say(
                "1-7 ou ↑↓ Entrée : ouvrir   Échap : retour   F1 ou ? : touches   q : quitter",
                "1-7 or ↑↓ Enter: open   Esc: back   F1 or ?: keys   q: quit",
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        super().on_mount()

    def identity_text(self) -> str:
        s = self.sitting
        if s.inventory is None:
            if s.inventory_error:
                return self.say("Machine non identifiée", "Unidentified machine")
            return self.say("Inventaire en cours…", "Inventory running…")
        ident = s.inventory.identity
        unknown = self.say("inconnu", "unknown")
        maker = ident.maker or unknown
        model = ident.model or ident.product_name or unknown
        serial = ident.serial or unknown
        return f"{maker} {model}   " + self.say(f"N° de série : {serial}", f"Serial: {serial}")

    def state_changed(self) -> None:
        self.query_one("#unit", Static).update(self.identity_text())
        steps = self.query_one(OptionList)
        for index, step in enumerate(STEPS):
            state = self.sitting.states[step.key]
            prompt = Text.assemble(
                f"{step.number}  {self.say(step.fr, step.en):<22}",
                (self.say(*STATE_LABELS[state]), STATE_STYLES[state]),
            )
            steps.replace_option_prompt_at_index(index, prompt)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.bench.open_step(event.option_index + 1)

    def action_open(self, number: int) -> None:
        self.bench.open_step(number)
