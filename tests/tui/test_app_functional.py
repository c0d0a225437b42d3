"""Step 7 of the bench app: automatic checks on a recorded host, the keyboard test by
key presses, the screen colours, and the results in the saved report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench_agent.context import Environment
from bench_agent.functional.audio import (
    SAMPLE_RATE,
    level_dbfs,
    make_wav,
    record_argv,
    sine,
    tone_argv,
)
from bench_agent.functional.keyboard import KEYS, REQUIRED
from bench_agent.functional.usb import USB_DEVICES
from bench_agent.host.base import CommandResult, FixtureMissingError
from bench_agent.host.recorded import RecordedHost
from bench_agent.model.report import FunctionalTest
from bench_agent.tui.app import BenchApp, create_app
from bench_agent.tui.screens.functional import (
    AnswerScreen,
    ColourScreen,
    FunctionalScreen,
    KeyboardScreen,
)
from bench_agent.tui.screens.main import MainScreen
from bench_agent.tui.state import StepState
from tests.tui.conftest import X1_CARBON
from tests.tui.driving import drive, open_step

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


# -- backlight, speakers, microphone, USB: a host double with a sound card and a bus ---

STICK_PORT = "2-3"


class SoundUsbHost(BenchHost):
    """BenchHost plus what the technician's keys use: /sys/class/backlight, speaker-test
    and arecord through the command runner (each argv kept, arecord answers ``wav``), and
    a /sys/bus/usb/devices listing that gains a device after a number of reads."""

    def __init__(self, *, backlight: list[str] | None, usb: bool = True) -> None:
        super().__init__()
        self.backlight = backlight
        self.usb = ["usb1", "usb2", "1-7", "1-7:1.0"] if usb else []
        self.usb_reads = 0
        self.plugged: list[tuple[str, int]] = []  # (device, first read that shows it)
        self.wav = b""
        self.ran: list[list[str]] = []

    def plug(self, device: str, after_reads: int) -> None:
        """``device`` shows from the read after ``after_reads`` more reads of the bus."""
        self.plugged.append((device, self.usb_reads + after_reads))

    def list_dir(self, path: str) -> list[str] | None:
        if path == "/sys/class/backlight":
            return self.backlight
        if path == USB_DEVICES:
            read, self.usb_reads = self.usb_reads, self.usb_reads + 1
            shown = [n for d, at in self.plugged if read >= at for n in (d, f"{d}:1.0")]
            return self.usb + shown
        return super().list_dir(path)

    def which(self, program: str) -> str | None:
        if program in {"speaker-test", "arecord"}:
            return f"/usr/bin/{program}"
        return super().which(program)

    def run(self, argv: list[str], timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
        if argv[0] in {"speaker-test", "arecord"}:
            self.ran.append(list(argv))
            out = self.wav if argv[0] == "arecord" else b"Playback device is default\n"
            return CommandResult(tuple(argv), 0, out, duration_s=3.0)
        return super().run(argv, timeout_s)


def operator_env(bench_env: Environment) -> Environment:
    return Environment(environ={**bench_env.environ, "BENCH_AGENT_OPERATOR": "Samia"}, lang="fr")


async def open_functional(app: BenchApp, pilot: Any) -> None:
    await open_step(app, pilot, "7")
    assert isinstance(app.screen, FunctionalScreen)


async def settle(app: BenchApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def check_recorded(app: BenchApp, name: str, result: str) -> FunctionalTest:
    test = app.sitting.functional[name]
    assert (test.name, test.result, test.by) == (name, result, "Samia")
    assert test.at.endswith("Z")
    return test


@drive
async def test_backlight_is_the_technicians_answer(bench_env: Environment) -> None:
    app = create_app(operator_env(bench_env), SoundUsbHost(backlight=["intel_backlight"]))
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, FunctionalScreen)
        check_recorded(app, "backlight", "pass")

        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press("n")
        await pilot.pause()
        check_recorded(app, "backlight", "fail")
        assert app.sitting.states["functional"] is StepState.PROBLEM


@drive
async def test_backlight_is_na_without_sys_class_backlight(bench_env: Environment) -> None:
    app = create_app(operator_env(bench_env), SoundUsbHost(backlight=[]))
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, FunctionalScreen)  # no question asked
        backlight = check_recorded(app, "backlight", "n/a")
        assert backlight.comment == "pas de réglage de luminosité (/sys/class/backlight vide)"


@drive
async def test_speakers_play_the_tone_then_the_answer_and_microphone_level(
    bench_env: Environment,
) -> None:
    host = SoundUsbHost(backlight=["intel_backlight"])
    app = create_app(operator_env(bench_env), host)
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)

        # Speakers: the tone plays through the host's runner, then the question.
        await pilot.press("h")
        await settle(app, pilot)
        assert host.ran == [tone_argv()]
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press("o")
        await pilot.pause()
        check_recorded(app, "speakers", "pass")
        await pilot.press("h")
        await settle(app, pilot)
        assert host.ran == [tone_argv(), tone_argv()]
        await pilot.press("n")
        await pilot.pause()
        check_recorded(app, "speakers", "fail")

        # Microphone: 3 s of arecord; silence fails, a loud tone passes.
        host.ran.clear()
        host.wav = make_wav([0] * SAMPLE_RATE)
        await pilot.press("m")
        await settle(app, pilot)
        assert host.ran == [record_argv(3)]
        mic = check_recorded(app, "microphone", "fail")
        assert mic.data == {"level_dbfs": None, "min_level_dbfs": -45.0}
        assert "-inf dBFS" in (mic.comment or "")

        loud = make_wav(sine(440, 0.5, 0.5))
        host.wav = loud
        await pilot.press("m")
        await settle(app, pilot)
        mic = check_recorded(app, "microphone", "pass")
        assert mic.data["level_dbfs"] == round(level_dbfs(loud), 1) == -9.0
        assert app.sitting.functional_busy is None

        # Grade and save: the speakers' fail and the microphone's pass are in the report.
        await pilot.press("escape", "4", "b")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        path = app.sitting.saved_path
        assert path is not None, (app.sitting.grade_error, app.sitting.save_message)
        saved = {t["name"]: t for t in functional_tests_in(json.loads(path.read_bytes()))}
        assert set(saved) == {"speakers", "microphone"}
        assert saved["speakers"]["result"] == "fail"
        assert saved["microphone"]["result"] == "pass"
        assert saved["microphone"]["data"]["level_dbfs"] == -9.0
        assert saved["microphone"]["by"] == "Samia"
        assert saved["microphone"]["at"] == app.sitting.functional["microphone"].at


@drive
async def test_usb_one_port_per_press_sees_the_stick(bench_env: Environment) -> None:
    host = SoundUsbHost(backlight=None)
    app = create_app(operator_env(bench_env), host)
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        # Read 0 is the snapshot, 1 the root hubs, 2 the first poll: the stick shows on
        # the second poll (one poll interval of the profile, 0.5 s).
        host.plug(STICK_PORT + ".1", after_reads=3)
        before = host.usb_reads
        await pilot.press("u")
        await settle(app, pilot)
        assert host.usb_reads - before == 4
        usb = check_recorded(app, "usb", "pass")
        assert usb.data == {"port": STICK_PORT, "ports": STICK_PORT}
        assert usb.comment == f"clé vue sur le port {STICK_PORT}"

        # Next port: the first stick stays listed, a new one appears on port 1-2.
        host.plug("1-2", after_reads=2)
        await pilot.press("u")
        await settle(app, pilot)
        usb = check_recorded(app, "usb", "pass")
        assert usb.data == {"port": "1-2", "ports": f"{STICK_PORT} 1-2"}


@drive
async def test_usb_is_na_on_a_host_without_a_root_hub(bench_env: Environment) -> None:
    # The other case where nothing appears, the timeout (usb.plug_timeout_s, 20 s), is
    # not driven here: the app polls with time.monotonic/time.sleep and the shipped
    # profile, nothing a test can shorten. tests/functional covers it with a fake clock.
    app = create_app(operator_env(bench_env), SoundUsbHost(backlight=None, usb=False))
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        usb = check_recorded(app, "usb", "n/a")
        assert usb.comment == "aucun contrôleur USB"
        assert app.sitting.functional_busy is None


@drive
async def test_backlight_on_a_recording_without_that_listing_is_a_note_not_a_crash(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    # `bench-agent record` does not record /sys/class/backlight: the training computer.
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, FunctionalScreen)
        assert "backlight" not in app.sitting.functional
        assert "/sys/class/backlight" in app.sitting.functional_note
        assert app.sitting.states["functional"] is StepState.PROBLEM


@drive
async def test_usb_on_a_recording_without_the_bus_listing_is_a_note_not_a_crash(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    """Like the backlight: a recording that never listed /sys/bus/usb/devices makes `u`
    a note and a PROBLEM state, never a crash of the app."""
    from bench_agent.host import FixtureMissingError

    real_list_dir = x1_host.list_dir

    def list_dir(path: str) -> list[str] | None:
        if path.startswith("/sys/bus/usb/devices"):
            raise FixtureMissingError(str(X1_CARBON), f"directory listing {path}", "test")
        return real_list_dir(path)

    x1_host.list_dir = list_dir  # type: ignore[method-assign]
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, FunctionalScreen)
        assert "usb" not in app.sitting.functional
        assert "/sys/bus/usb/devices" in app.sitting.functional_note
        assert app.sitting.states["functional"] is StepState.PROBLEM
