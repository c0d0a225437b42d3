"""The main screen: the unit's id (a real input: a barcode scanner types into it), the
unit, and its nine steps with their state."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from bench_agent.bench.flow import STATE_WORDS, STEPS, StepState, StepView
from bench_agent.tui.screens.base import BenchScreen

# The digit row of an AZERTY keyboard gives & é " ' ( - è _ ç without Shift: both open a step.
AZERTY_DIGITS = (
    "ampersand",
    "é",
    "quotation_mark",
    "apostrophe",
    "left_parenthesis",
    "minus",
    "è",
    "underscore",
    "ç",
)

# Bold and a word for every state: readable without colour on a 16-colour console.
STATE_STYLES = {
    StepState.TODO: "",
    StepState.RUNNING: "bold yellow",
    StepState.DONE: "bold green",
    StepState.PROBLEM: "bold red",
    StepState.BLOCKED: "bold magenta",
}


ROW_WIDTH = 74
"""The width of a step row at 80 columns (before the list is laid out)."""


def clip(text: str, room: int) -> str:
    """``text`` in ``room`` columns, cut after a whole word (never mid-word) with "…"."""
    if len(text) <= room:
        return text
    cut = text[: room - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0].rstrip(" :;,—(")
    return cut + "…"


class MainScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"open({n})", show=False) for n in range(1, 10)),
        *(Binding(k, f"open({n})", show=False) for n, k in enumerate(AZERTY_DIGITS, 1)),
        Binding("n", "next_unit", show=False),
        Binding("p", "station", show=False),
        # Échap leaves the id field for the steps (where q quits): the field takes q.
        Binding("escape", "leave_field", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(markup=False, id="unit")
        yield Input(
            # The id typed so far survives a redraw (F2 rebuilds the screen).
            value=self.service.record.unit_id or "",
            id="unit-id",
            placeholder=self._("Scannez ou tapez l'identifiant de l'unité, puis Entrée"),
        )
        yield OptionList(*(Option("", id=s.key) for s in STEPS), id="steps")
        yield Static(markup=False, id="next")
        yield Static(
            self._("1-9 ↑↓ Entrée : étape  n : suivante  F1 : aide  F2 : English  q : quitter"),
            classes="hint",
        )

    def on_mount(self) -> None:
        box = self.query_one("#unit-id", Input)
        if self.service.record.unit_id:
            box.value = self.service.record.unit_id
            self.query_one(OptionList).focus()
        else:
            box.focus()
        super().on_mount()

    def focus_unit_id(self) -> None:
        box = self.query_one("#unit-id", Input)
        box.value = self.service.record.unit_id or ""
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "unit-id":
            return
        event.stop()
        if self.bench.set_unit_id(event.value):
            self.query_one(OptionList).focus()

    def identity_text(self) -> str:
        r = self.service.record
        if r.inventory is None:
            if "inventory" in self.bench.running:
                return self._("Inventaire en cours…")
            return self._("Machine non identifiée")
        ident = r.inventory.identity
        unknown = self._("inconnu")
        maker = ident.maker or unknown
        model = ident.model or ident.product_name or unknown
        serial = r.serial_entered or ident.serial or self._("À SAISIR")
        return f"{maker} {model}\n" + self._("N° de série : {serial}", serial=serial)

    def state_changed(self) -> None:
        self.query_one("#unit", Static).update(self.identity_text())
        views = self.bench.views()
        steps = self.query_one(OptionList)
        # "9 " + title + state + " ": what is left of the row for the detail (one line:
        # a wrapped row would push the list below the fold).
        width = steps.scrollable_content_region.width or ROW_WIDTH
        room = max(12, width - 2 - 28 - 9 - 1)
        for index, step in enumerate(STEPS):
            view = views[step.key]
            detail = self.t(view.detail)
            line = RichText.assemble(
                f"{step.number} {self.t(step.title):<28}",
                (f"{self._(STATE_WORDS[view.state]):<9}", STATE_STYLES[view.state]),
            )
            if detail:
                line.append(" " + clip(detail, room))
            steps.replace_option_prompt_at_index(index, line)
        self.query_one("#next", Static).update(self.next_hint(views))

    def next_hint(self, views: dict[str, StepView]) -> str:
        """The obvious next step, in one line."""
        for step in STEPS:
            view = views[step.key]
            if view.state in (StepState.TODO, StepState.PROBLEM):
                return self._(
                    "Étape suivante : {number} {title}",
                    number=step.number,
                    title=self.t(step.title),
                )
        return self._("Unité terminée : n pour la suivante.")

    def on_resize(self) -> None:
        # The rows' room for their detail depends on the width.
        self.call_after_refresh(self.state_changed)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.bench.open_step(event.option_index + 1)

    def action_open(self, number: int) -> None:
        self.bench.open_step(number)

    def action_leave_field(self) -> None:
        self.query_one(OptionList).focus()

    def action_next_unit(self) -> None:
        self.bench.next_unit()

    def action_station(self) -> None:
        self.bench.open_station()
