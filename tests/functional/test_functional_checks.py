"""The automatic functional checks on recorded hosts, the microphone level, the USB
plug detection, the AZERTY keyboard map, the profile and the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.functional import load_functional_profile, run_automatic
from bench_agent.functional.audio import judge_recording, make_wav, sine
from bench_agent.functional.keyboard import REQUIRED, KeyboardTest
from bench_agent.functional.usb import root_hubs, root_port, wait_for_new_device
from bench_agent.grading.toml_source import ProfileError
from bench_agent.host.recorded import RecordedHost

FIXTURES = Path(__file__).parents[1] / "fixtures" / "functional"
PROFILE = load_functional_profile()


def results(name: str) -> dict[str, str]:
    return {o.name: o.result for o in run_automatic(RecordedHost(FIXTURES / name), PROFILE)}


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "all_good",
            {"webcam": "pass", "wifi": "pass", "ethernet": "pass", "charger": "pass",
             "battery_autonomy": "pass"},
        ),
        (
            "all_bad",
            {"webcam": "fail", "wifi": "fail", "ethernet": "fail", "charger": "fail",
             "battery_autonomy": "fail"},
        ),
        (
            "bare_desktop",
            {"webcam": "n/a", "wifi": "n/a", "ethernet": "pass", "charger": "n/a",
             "battery_autonomy": "n/a"},
        ),
        (
            "no_tools",
            {"webcam": "n/a", "wifi": "n/a", "ethernet": "pass", "charger": "pass",
             "battery_autonomy": "pass"},
        ),
    ],
)  # fmt: skip
def test_automatic_checks_on_recorded_hosts(fixture: str, expected: dict[str, str]) -> None:
    assert results(fixture) == expected


def test_reasons_and_measures() -> None:
    good = {o.name: o for o in run_automatic(RecordedHost(FIXTURES / "all_good"), PROFILE)}
    assert good["wifi"].data["networks"] == 3  # the hidden network (empty SSID) counts
    assert good["ethernet"].data == {"link_enp0s31f6": "up"}  # virbr0 (virtual) left out
    assert good["battery_autonomy"].data["health_pct"] == 83.8
    assert good["battery_autonomy"].data["autonomy_min"] == 155  # 20.15 Wh / 7.815 W
    bad = {o.name: o for o in run_automatic(RecordedHost(FIXTURES / "all_bad"), PROFILE)}
    assert "30 % < 50 %" in bad["battery_autonomy"].reason.fr
    assert "No such device" in bad["webcam"].reason.en
    tools = {o.name: o for o in run_automatic(RecordedHost(FIXTURES / "no_tools"), PROFILE)}
    assert "v4l-utils" in tools["webcam"].reason.fr
    assert "iw" in tools["wifi"].reason.en


def test_microphone_silence_fails_and_a_tone_passes() -> None:
    silence = judge_recording(make_wav([0] * 48_000), -45.0)
    assert silence.result == "fail"
    assert silence.data["level_dbfs"] is None
    whisper = judge_recording(make_wav(sine(440, 1.0, 0.001)), -45.0)  # about -63 dBFS
    assert whisper.result == "fail"
    voice = judge_recording(make_wav(sine(440, 1.0, 0.1)), -45.0)  # about -23 dBFS
    assert voice.result == "pass"
    assert voice.data["level_dbfs"] == pytest.approx(-23.0, abs=0.1)
    assert judge_recording(b"not a wav", -45.0).result == "fail"


class PluggingHost(RecordedHost):
    """all_bad's USB bus; a stick appears in port 2 of bus 2 on the third read."""

    def __init__(self) -> None:
        super().__init__(FIXTURES / "all_bad")
        self.reads = 0

    def list_dir(self, path: str) -> list[str] | None:
        listing = super().list_dir(path)
        if path == "/sys/bus/usb/devices" and listing is not None:
            self.reads += 1
            if self.reads >= 3:
                return [*listing, "2-2", "2-2:1.0"]
        return listing


def test_usb_stick_detected_and_timeout() -> None:
    host = PluggingHost()
    assert [(h.bus, h.ports) for h in root_hubs(host)] == [(1, 12), (2, 6)]
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    found = wait_for_new_device(host, set(), 5.0, 0.5, clock=lambda: now[0], sleep=sleep)
    assert found == "2-2"
    assert root_port("2-2.3") == "2-2"
    quiet = RecordedHost(FIXTURES / "all_bad")
    now[0] = 0.0
    assert wait_for_new_device(quiet, set(), 2.0, 0.5, clock=lambda: now[0], sleep=sleep) is None
    assert now[0] == 2.0


def test_keyboard_all_keys_end_the_test() -> None:
    kb = KeyboardTest()
    assert not kb.press("a", "a")
    assert "a" in kb.seen and "shift" not in kb.seen
    kb.press("A", "A")
    assert "shift" in kb.seen
    kb.press("escape", None)
    kb.press("escape", None)
    assert not kb.ended_early
    assert kb.press("escape", None)  # three in a row: over
    assert kb.ended_early and "z" in kb.missing()


def test_keyboard_escape_sequence_must_be_consecutive() -> None:
    kb = KeyboardTest()
    assert not kb.press("escape", None)
    assert not kb.press("escape", None)
    assert not kb.press("b", "b")
    assert not kb.press("escape", None)
    assert not kb.press("escape", None)
    assert kb.press("escape", None)


def test_profile_errors_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    text = (FIXTURES.parents[2] / "profiles" / "functional" / "default.toml").read_text()
    bad.write_text(text.replace("min_health_pct = 50", 'min_health_pct = "fifty"'))
    with pytest.raises(ProfileError) as info:
        load_functional_profile(bad)
    line = text.splitlines().index("min_health_pct = 50") + 1
    assert info.value.text.en == (
        f"{bad}:{line}: battery.min_health_pct: value 'fifty'; expected a number from 0 to 100"
    )
    bad.write_text(text + "\n[usb2]\nx = 1\n")
    with pytest.raises(ProfileError) as info:
        load_functional_profile(bad)
    assert info.value.line == len(text.splitlines()) + 2
    assert info.value.field == "usb2"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"LANG": "fr_FR.UTF-8"}, lang="fr")
    code = main(list(argv), env)
    return code, out.getvalue(), err.getvalue()


def test_cli_exit_codes_and_json() -> None:
    code, out, _ = run_cli("functional", "--host-dir", str(FIXTURES / "all_good"))
    assert code == 0 and out.count("OK ") == 5
    code, out, _ = run_cli("functional", "--host-dir", str(FIXTURES / "all_bad"))
    assert code == 1 and "ÉCHEC" in out
    code, out, _ = run_cli("functional", "--json", "--host-dir", str(FIXTURES / "bare_desktop"))
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["battery_autonomy"]["result"] == "n/a"
    assert rows["battery_autonomy"]["reason"]["en"] == "no battery"
    code, _, err = run_cli("functional", "--host-dir", str(FIXTURES / "missing"))
    assert code == 3 and "host.json" in err


def test_required_keys_cover_the_azerty_letters() -> None:
    assert set("azertyuiopqsdfghjklmwxcvbn") <= REQUIRED
    assert "capslock" not in REQUIRED  # a terminal never sees it alone
