"""Échap leaves the unit-id field for the steps, where q asks to quit (the field takes q)."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from tests.tui.conftest import AppFactory
from tests.tui.driving import SIZE, drive, settle


@drive
async def test_escape_leaves_the_id_field_then_q_asks_to_quit(make_app: AppFactory) -> None:
    from bench_agent.tui.screens.dialogs import LeaveScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.focused, Input)
        await pilot.press("q")
        assert app.screen.query_one("#unit-id", Input).value == "q"  # typed, not quit
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, OptionList)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, LeaveScreen)
