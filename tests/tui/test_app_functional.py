"""Step 4 of the bench app at 80×25: the automatic checks, the keyboard map (every key,
or Échap three times), the screen colours, the backlight, sound, microphone and USB
ports — each result with who and when, a missing part a failure until the technician
confirms the model has none, a missing program "not tested" (never a pass)."""

from __future__ import annotations

from textual.pilot import Pilot

from bench_agent.bench.flow import StepState
from bench_agent.functional.audio import SAMPLE_RATE, make_wav, record_argv, sine, tone_argv
from bench_agent.functional.keyboard import KEYS, REQUIRED
from bench_agent.functional.usb import USB_DEVICES
from bench_agent.host.base import CommandResult, FixtureMissingError
from bench_agent.host.recorded import RecordedHost
from bench_agent.model.report import FunctionalTest
from bench_agent.tui.app import BenchApp
from bench_agent.tui.screens.dialogs import QuestionScreen
from bench_agent.tui.screens.functional import ColourScreen, FunctionalScreen, KeyboardScreen
from bench_agent.tui.screens.main import MainScreen
from tests.tui.conftest import OPERATOR, X1_CARBON, AppFactory
from tests.tui.driving import SIZE, back, burst, drive, open_step, scanner, screen_text, settle

FUNCTIONAL = X1_CARBON.parents[1] / "functional" / "all_good"


class BenchHost(RecordedHost):
    """The recorded X1 Carbon for the inventory, the functional fixture (link up, AC on,
    three Wi-Fi networks, a webcam frame) for the automatic checks."""

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
            return None  # battery files neither recording holds: absent

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

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        try:
            return self.functional.run(argv, timeout_s)
        except FixtureMissingError:
            return super().run(argv, timeout_s)


class SoundUsbHost(BenchHost):
    """BenchHost with what the technician's keys use: /sys/class/backlight, speaker-test
    and arecord (each argv kept; arecord answers ``wav``; both absent when
    ``sound=False``), and a USB bus listing that gains a device after a number of reads."""

    def __init__(self, *, backlight: list[str] | None, sound: bool = True) -> None:
        super().__init__()
        self.backlight = backlight
        self.sound = sound
        self.usb = ["usb1", "usb2", "1-7", "1-7:1.0"]
        self.usb_reads = 0
        self.plugged: list[tuple[str, int]] = []  # (device, first read that shows it)
        self.wav = b""
        self.ran: list[list[str]] = []

    def plug(self, device: str, after_reads: int) -> None:
        self.plugged.append((device, self.usb_reads + after_reads))

    def list_dir(self, path: str) -> list[str] | None:
        if path == "/sys/class/backlight":
            return self.backlight
        if path == USB_DEVICES:
            read, self.usb_reads = self.usb_reads, self.usb_reads + 1
            shown = [n for d, at in self.plugged if read >= at for n in (d, f"{d}:1.0")]
            return self.usb + shown
        return super().list_dir(path)

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        if path.startswith(f"{USB_DEVICES}/usb"):
            return {"maxchild": b"4\n", "speed": b"480\n"}.get(path.rsplit("/", 1)[-1])
        return super().read_bytes(path, max_bytes)

    def which(self, program: str) -> str | None:
        if program in {"speaker-test", "arecord"}:
            return f"/usr/bin/{program}" if self.sound else None
        return super().which(program)

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        if argv[0] in {"speaker-test", "arecord"}:
            self.ran.append(list(argv))
            out = self.wav if argv[0] == "arecord" else b"Playback device is default\n"
            return CommandResult(tuple(argv), 0, out, duration_s=3.0)
        return super().run(argv, timeout_s)


async def open_functional(app: BenchApp, pilot: Pilot[int]) -> None:
    await scanner(app, pilot, "LCT-0042-7")
    await open_step(app, pilot, "4")
    assert isinstance(app.screen, FunctionalScreen)


def recorded(app: BenchApp, name: str, result: str) -> FunctionalTest:
    test = app.service.record.functional[name]
    assert (test.name, test.result, test.by) == (name, result, OPERATOR)
    assert test.at.endswith("Z")
    return test


def row_of(app: BenchApp, title: str) -> str:
    (row,) = [line for line in screen_text(app).splitlines() if f"  {title} " in line]
    return row


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


@drive
async def test_automatic_checks_then_keyboard_and_colours(make_app: AppFactory) -> None:
    app = make_app(BenchHost())
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        results = {n: t.result for n, t in app.service.record.functional.items()}
        assert results == {
            "webcam": "pass", "wifi": "pass", "ethernet": "pass", "charger": "pass",
            "battery_autonomy": "pass",
        }  # fmt: skip
        assert "OK" in row_of(app, "Wi-Fi") and OPERATOR in row_of(app, "Wi-Fi")

        # Keyboard: the app's own keys are keys under test here; every required key,
        # then the technician says yes.
        await pilot.press("k")
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("q", "f1", "1", "n")
        assert isinstance(app.screen, KeyboardScreen)
        await burst(app, pilot, [key_name(k) for k in sorted(REQUIRED - {"escape"})])
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("escape")  # the last key: every key seen, the question comes
        assert isinstance(app.screen, QuestionScreen)
        assert "Toutes les touches vues" in screen_text(app)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, FunctionalScreen)
        keyboard = recorded(app, "keyboard", "pass")
        assert keyboard.data["missing"] == ""

        # Screen: five colours, a mark on the white one.
        await pilot.press("e")
        assert isinstance(app.screen, ColourScreen)
        await pilot.press("o", "o", "o", "n", "o")
        await settle(app, pilot)
        assert isinstance(app.screen, FunctionalScreen)
        screen_test = recorded(app, "screen", "fail")
        assert screen_test.data["defects"] == "blanc"
        assert "ÉCHEC" in row_of(app, "Écran (couleurs, pixels morts)")
        await back(app, pilot)
        views = app.views()
        assert views["functional"].state is StepState.PROBLEM
        assert app.t(views["functional"].detail) == "en échec : Écran (couleurs, pixels morts)"


@drive
async def test_keyboard_ends_with_escape_three_times_and_lists_missing_keys(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("k", "a", "z")
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("a", "escape", "escape")  # a key between: the count starts again
        assert isinstance(app.screen, KeyboardScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, QuestionScreen)
        assert "Touches non vues" in screen_text(app)
        await pilot.press("n")
        await settle(app, pilot)
        keyboard = recorded(app, "keyboard", "fail")
        missing = str(keyboard.data["missing"]).split()
        assert "E" in missing or "e" in missing
        assert "A" not in missing and "a" not in missing
        await back(app, pilot)
        assert isinstance(app.screen, MainScreen)


@drive
async def test_a_missing_part_fails_until_the_technician_confirms_the_model_has_none(
    make_app: AppFactory,
) -> None:
    app = make_app(SoundUsbHost(backlight=[]))
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("l")  # no brightness control found: no question asked
        await settle(app, pilot)
        assert isinstance(app.screen, FunctionalScreen)
        backlight = recorded(app, "backlight", "fail")
        assert backlight.data["absent"] is True
        assert "introuvable : 0 si absent du modèle" in row_of(app, "Rétroéclairage")

        # 0: the question; n keeps the failure, o makes it "absent on this model".
        await pilot.press("0")
        assert isinstance(app.screen, QuestionScreen)
        assert "Rétroéclairage : introuvable" in screen_text(app)
        await pilot.press("n")
        await settle(app, pilot)
        recorded(app, "backlight", "fail")
        await pilot.press("0", "o")
        await settle(app, pilot)
        backlight = recorded(app, "backlight", "n/a")
        assert backlight.data == {"absent": True, "confirmed": True}
        assert "ABSENT" in row_of(app, "Rétroéclairage")


@drive
async def test_backlight_is_the_technicians_answer(make_app: AppFactory) -> None:
    app = make_app(SoundUsbHost(backlight=["intel_backlight"]))
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("l")
        assert isinstance(app.screen, QuestionScreen)
        await pilot.press("o")
        await settle(app, pilot)
        recorded(app, "backlight", "pass")
        await pilot.press("l", "n")
        await settle(app, pilot)
        recorded(app, "backlight", "fail")


@drive
async def test_speakers_and_microphone(make_app: AppFactory) -> None:
    host = SoundUsbHost(backlight=None)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        assert host.ran == [tone_argv()]
        assert isinstance(app.screen, QuestionScreen)
        await pilot.press("o")
        await settle(app, pilot)
        recorded(app, "speakers", "pass")

        host.ran.clear()
        host.wav = make_wav([0] * SAMPLE_RATE)  # silence
        await pilot.press("m")
        await settle(app, pilot)
        assert host.ran == [record_argv(3)]
        mic = recorded(app, "microphone", "fail")
        assert "-inf dBFS" in (mic.comment or "")
        host.wav = make_wav(sine(440, 0.5, 0.5))
        await pilot.press("m")
        await settle(app, pilot)
        mic = recorded(app, "microphone", "pass")
        assert mic.data["level_dbfs"] == -9.0


@drive
async def test_a_missing_program_is_not_tested_never_a_pass(make_app: AppFactory) -> None:
    app = make_app(SoundUsbHost(backlight=None, sound=False))
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert isinstance(app.screen, FunctionalScreen)
        assert "speakers" not in app.service.record.functional
        assert "microphone" not in app.service.record.functional
        row = row_of(app, "Haut-parleurs")
        assert "NON TESTÉ" in row
        # Too long for the row at 80 columns: on the next line, under the test's name.
        shown = screen_text(app).splitlines()
        after = shown[shown.index(row) + 1]
        assert after.strip() == "programme de son absent du banc (alsa-utils)"
        assert after.index("programme") == row.index("Haut-parleurs") + 2
        assert "NON TESTÉ" in row_of(app, "Microphone")
        assert "Traceback" not in screen_text(app)
        await back(app, pilot)
        assert app.views()["functional"].state is StepState.TODO


@drive
async def test_usb_one_port_per_press_adds_up_the_ports(make_app: AppFactory) -> None:
    host = SoundUsbHost(backlight=None)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await open_functional(app, pilot)
        host.plug("2-3.1", after_reads=2)  # the snapshot, the hubs, then the first poll
        await pilot.press("u")
        await settle(app, pilot)
        usb = recorded(app, "usb", "pass")
        assert usb.data == {"port": "2-3", "ports": "2-3"}
        assert usb.comment == "clé vue sur le port 2-3"
        host.plug("1-2", after_reads=2)
        await pilot.press("u")
        await settle(app, pilot)
        usb = recorded(app, "usb", "pass")
        assert usb.data == {"port": "1-2", "ports": "2-3 1-2"}
