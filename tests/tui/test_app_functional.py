"""Step 7 of the bench app: automatic checks on a recorded host, the keyboard test by
key presses, the screen colours, and the results in the saved report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench_agent.context import Environment
from bench_agent.functional.keyboard import KEYS, REQUIRED
from bench_agent.host.base import FixtureMissingError
from bench_agent.host.recorded import RecordedHost
from bench_agent.tui.app import create_app
from bench_agent.tui.screens.functional import (
    AnswerScreen,
    ColourScreen,
    FunctionalScreen,
    KeyboardScreen,
)
from bench_agent.tui.screens.main import MainScreen
from bench_agent.tui.state import StepState
from tests.tui.conftest import X1_CARBON
from tests.tui.driving import drive

FUNCTIONAL = Path(__file__).parents[1] / "fixtures" / "functional" / "all_good"
SIZE = (120, 40)


class BenchHost(RecordedHost):
    """The recorded X1 Carbon for the inventory, the functional fixture for the tests."""

    def __init__(self) -> None:
        super().__init__(X1_CARBON)
        self.functional = RecordedHost(FUNCTIONAL)

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        try:
            return self.functional.read_bytes(path, max_bytes)
        except FixtureMissingError:
            pass
        try:
            return super().read_bytes(path, max_bytes)
        except FixtureMissingError:
            # The inventory reads battery files neither recording holds: absent.
            return None

    def list_dir(self, path: str) -> list[str] | None:
        if path.startswith(("/sys/class/net", "/sys/class/power_supply", "/sys/class/video")):
            return self.functional.list_dir(path)
        return super().list_dir(path)

    def realpath(self, path: str) -> str | None:
        if path.startswith("/sys/class/net"):
            return self.functional.realpath(path)
        return super().realpath(path)

    def which(self, program: str) -> str | None:
        try:
            return self.functional.which(program)
        except FixtureMissingError:
            return super().which(program)

    def run(self, argv: list[str], timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
        try:
            return self.functional.run(argv, timeout_s)
        except FixtureMissingError:
            return super().run(argv, timeout_s)


# Textual key names of every required key (the ones a terminal can report).
PRESSES = {
    "escape": "f12", "shift": "A", "ctrl": "ctrl+a", "alt": "alt+a", "altgr": "at",
    "space": "space", "circumflex": "circumflex_accent",
}  # fmt: skip


def key_name(key_id: str) -> str:
    from textual.keys import _character_to_key

    if key_id in PRESSES:
        return PRESSES[key_id]
    accepts = sorted(KEYS[key_id].accepts)
    first = next((a for a in accepts if len(a) == 1), accepts[0])
    return _character_to_key(first) if len(first) == 1 else first


def functional_tests_in(doc: Any) -> list[dict[str, Any]]:
    """The functional_tests list wherever the saved file nests the report."""
    if isinstance(doc, dict):
        if "functional_tests" in doc:
            return list(doc["functional_tests"])
        for value in doc.values():
            found = functional_tests_in(value)
            if found:
                return found
    return []


@drive
async def test_functional_step_records_results_into_the_saved_report(
    bench_env: Environment,
) -> None:
    env = Environment(environ={**bench_env.environ, "BENCH_AGENT_OPERATOR": "Samia"}, lang="fr")
    app = create_app(env, BenchHost())
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("7")
        await pilot.pause()
        assert isinstance(app.screen, FunctionalScreen)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        results = {n: t.result for n, t in app.sitting.functional.items()}
        assert results == {
            "webcam": "pass", "wifi": "pass", "ethernet": "pass", "charger": "pass",
            "battery_autonomy": "pass",
        }  # fmt: skip
        assert "3 réseau(x)" in str(app.screen.query_one("#tests").render())

        # Keyboard: every required key, then the technician says yes.
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("q", "f1", "1")  # keys of the app, here only keys under test
        assert isinstance(app.screen, KeyboardScreen)
        for key_id in sorted(REQUIRED - {"escape"}):
            await pilot.press(key_name(key_id))
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("escape")  # the last key: all seen, the question comes
        await pilot.pause()
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press("o")
        await pilot.pause()
        keyboard = app.sitting.functional["keyboard"]
        assert keyboard.result == "pass" and keyboard.data["missing"] == ""

        # Screen: five colours, a mark on the white one.
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ColourScreen)
        await pilot.press("o", "o", "o", "n", "o")
        await pilot.pause()
        assert isinstance(app.screen, FunctionalScreen)
        screen_test = app.sitting.functional["screen"]
        assert screen_test.result == "fail" and screen_test.data["defects"] == "blanc"
        assert app.sitting.states["functional"] is StepState.PROBLEM

        # Grade and save: the report carries the functional tests with who and when.
        await pilot.press("escape", "4", "b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        path = app.sitting.saved_path
        assert path is not None, (
            app.sitting.grade_error,
            app.sitting.inventory_error,
            app.sitting.save_message,
        )
        saved = {t["name"]: t for t in functional_tests_in(json.loads(path.read_bytes()))}
        assert set(saved) == {
            "webcam", "wifi", "ethernet", "charger", "battery_autonomy", "keyboard", "screen",
        }  # fmt: skip
        assert saved["screen"]["result"] == "fail"
        assert saved["keyboard"]["by"] == "Samia"
        assert saved["wifi"]["at"].endswith("Z")
        assert app.sitting.report is not None
        assert len(app.sitting.report.functional_tests) == 7


@drive
async def test_keyboard_ends_with_escape_three_times(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("7", "k", "a", "z")
        await pilot.pause()
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press("n")
        await pilot.pause()
        keyboard = app.sitting.functional["keyboard"]
        assert keyboard.result == "fail"
        assert "e" in str(keyboard.data["missing"]).split()
        assert "a" not in str(keyboard.data["missing"]).split()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
