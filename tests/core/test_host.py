"""The seam to the machine: live host, recording, recorded host replay."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench_agent.host import FixtureMissingError, open_host
from bench_agent.host.base import Recording, decode_text
from bench_agent.host.live import LiveHost, command_env
from bench_agent.host.recorded import RecordedHost, command_slug, write_recording


def test_live_host_reads_files_and_reports_absent(tmp_path: Path) -> None:
    f = tmp_path / "value"
    f.write_bytes(b"LENOVO\n")
    host = LiveHost()
    assert host.read_text(str(f)) == "LENOVO"
    assert host.read_bytes(str(tmp_path / "missing")) is None
    assert host.list_dir(str(tmp_path)) == ["value"]
    assert host.list_dir(str(tmp_path / "nope")) is None


def test_live_host_runs_argv_with_lang_c_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command runs with LANG=C and LC_ALL=C (tools print parseable English on a
    French bench); the bench's own environment is left as it was."""
    for name in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.setenv(name, "fr_FR.UTF-8")
    before = dict(os.environ)
    result = LiveHost().run(["env"])
    assert result.ok
    child = dict(line.split("=", 1) for line in result.text().splitlines() if "=" in line)
    locale = {k: v for k, v in child.items() if k.startswith("LC_") or k in ("LANG", "LANGUAGE")}
    assert locale == {"LANG": "C", "LC_ALL": "C"}  # no French setting reaches the tool
    assert {"/usr/sbin", "/sbin"} <= set(child["PATH"].split(":"))  # smartctl, dmidecode...
    assert dict(os.environ) == before  # per call, never process-wide
    assert command_env()["LC_ALL"] == command_env()["LANG"] == "C"


def test_live_host_missing_program_and_timeout() -> None:
    host = LiveHost()
    missing = host.run(["definitely-not-a-program-bench"])
    assert missing.returncode is None and missing.error == "not-found" and not missing.ok
    slow = host.run(["sleep", "5"], timeout_s=0.2)
    assert slow.error == "timeout" and slow.returncode is None


def test_decode_text_keeps_invalid_bytes_as_surrogates() -> None:
    text = decode_text(b"ABC\xff\xfe\n")
    assert text.startswith("ABC")
    with pytest.raises(UnicodeEncodeError):
        text.encode("utf-8")


def test_recording_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_bytes(b"\x00\x01binary")
    (src / "sub").mkdir()
    link = tmp_path / "link"
    link.symlink_to(src / "sub")
    rec = Recording()
    live = LiveHost(rec)
    live.read_bytes(str(src / "a"))
    live.read_bytes(str(src / "absent"))
    live.list_dir(str(src))
    live.realpath(str(link))
    live.run(["printf", "hello\\nworld"])
    live.which("sh")
    out = write_recording(rec, tmp_path / "fixture", "test machine")
    replay = RecordedHost(out)
    assert replay.read_bytes(str(src / "a")) == b"\x00\x01binary"
    assert replay.read_bytes(str(src / "absent")) is None
    assert replay.list_dir(str(src)) == ["a", "sub"]
    assert replay.realpath(str(link)) == str(src / "sub")
    result = replay.run(["printf", "hello\\nworld"])
    assert result.ok and result.stdout == b"hello\nworld"
    assert replay.which("sh") == live.which("sh")
    assert replay.is_root() == (os.geteuid() == 0)
    meta = json.loads((out / "host.json").read_text())
    assert meta["description"] == "test machine"


def test_recorded_host_fails_loudly_naming_the_read(tmp_path: Path) -> None:
    write_recording(Recording(), tmp_path)
    host = RecordedHost(tmp_path)

    def probe_battery_like() -> None:
        host.read_text("/sys/class/power_supply/BAT0/energy_full")

    with pytest.raises(FixtureMissingError) as info:
        probe_battery_like()
    message = str(info.value)
    assert "/sys/class/power_supply/BAT0/energy_full" in message
    assert "probe_battery_like" in message
    with pytest.raises(FixtureMissingError, match=r"command \['smartctl'"):
        host.run(["smartctl", "--json", "-x", "/dev/sda"])
    with pytest.raises(FixtureMissingError, match="directory listing /sys/block"):
        host.list_dir("/sys/block")


def test_recorded_host_rejects_a_folder_without_metadata(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a recorded host"):
        open_host(str(tmp_path))
    (tmp_path / "host.json").write_text("{broken")
    with pytest.raises(ValueError, match="invalid JSON at line 1"):
        RecordedHost(tmp_path)


def test_command_slug_is_filesystem_safe() -> None:
    slug = command_slug(["smartctl", "--json=c", "-x", "/dev/nvme0n1"])
    assert "/" not in slug and slug.startswith("smartctl")
    assert command_slug(["a b", "c;d"]) == "a-b_c-d"
