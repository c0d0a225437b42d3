"""What every screen of the bench shares: the app, the language, Échap to go back."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.binding import Binding, BindingType
from textual.screen import Screen

if TYPE_CHECKING:
    from bench_agent.bench.service import Bench
    from bench_agent.model.common import Text
    from bench_agent.tui.app import BenchApp


class BenchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Retour", show=False),
    ]

    @property
    def bench(self) -> BenchApp:
        return cast("BenchApp", self.app)

    @property
    def service(self) -> Bench:
        return self.bench.service

    def _(self, msgid: str, /, **fields: object) -> str:
        """The message (a French msgid) in the language shown now."""
        return self.bench.env._(msgid, **fields)

    def t(self, text: Text | None) -> str:
        return self.bench.t(text)

    def state_changed(self) -> None:
        """Redraw from the service (called by the app whenever it changes)."""

    def on_mount(self) -> None:
        self.state_changed()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:  # never pop the main screen
            self.app.pop_screen()
