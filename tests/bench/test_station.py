"""The erasure station with real loop devices plugged and pulled (losetup) while it runs:
the kernel's netlink events through pyudev (this container has no udevd; the station
listens to the kernel then), certificates read back, backing files scanned for canaries."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.requirements import require_program

from bench_agent.bench.site import Station as StationSettings
from tests.bench.station_helpers import Docks, docks, start_station
from tests.wipe.wipe_helpers import surviving_canaries
from wipe.certificate import verify_certificate
from wipe.signing import parse_json

__all__ = ["docks"]  # the fixture, used by name below

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.root, pytest.mark.loop]


def _settings(**slots: int) -> StationSettings:
    return StationSettings(
        slots={name: f"*/block/loop{n}" for name, n in slots.items()},
        delay_s=0.3,
        batch="LOT-2026-042",
        operator="poste 2",
    )


def _payload(path: Path | None) -> dict:  # type: ignore[type-arg]
    assert path is not None
    return parse_json(path.read_bytes())["payload"]  # type: ignore[no-any-return]


def test_drives_plugged_while_the_station_runs_are_erased_each_with_its_certificate(
    tmp_path: Path, docks: Docks
) -> None:
    a, b, loose = docks.port(), docks.port(), docks.port()
    running = start_station(tmp_path / "home", _settings(dock_1=a, dock_2=b))
    try:
        disk_a = docks.disk("a", 48 << 20)
        disk_b = docks.disk("b", 32 << 20)
        disk_loose = docks.disk("loose", 16 << 20)
        before_loose = hashlib.sha256(disk_loose.read_bytes()).hexdigest()
        docks.plug(a, disk_a)
        docks.plug(loose, disk_loose)  # a port no slot names: never erased
        running.wait_for(lambda v: any(s.slot == "dock_1" for s in v), 10)
        docks.plug(b, disk_b)
        running.wait_for(lambda v: sum(1 for s in v if s.result is not None) == 2, 60)
    finally:
        running.stop.set()
        running.thread.join(30)
    views = {v.slot: v for v in running.station.slots()}
    # Other loop devices of this machine (other tests) may show as ignored too.
    assert {"dock_1", "dock_2", f"loop{loose}"} <= set(views)
    assert all(v.state == "ignored" for k, v in views.items() if not k.startswith("dock"))
    assert views[f"loop{loose}"].state == "ignored" and views[f"loop{loose}"].result is None
    for slot, disk, size in (("dock_1", disk_a, 48 << 20), ("dock_2", disk_b, 32 << 20)):
        view = views[slot]
        assert view.result == "ERASED", view
        assert surviving_canaries(disk) == []
        assert verify_certificate(view.certificate).ok
        payload = _payload(view.certificate)
        # A loose drive: no source computer, the batch and the station instead.
        source = payload["source_computer"]
        assert source["loose_drive"] is True and source["batch"] == "LOT-2026-042"
        assert not any(source.get(k) for k in ("maker", "model", "serial"))
        assert payload["operator"]["donor"] == "LOT-2026-042"
        assert payload["operator"]["name"] == "poste 2"
        assert payload["media"]["size_bytes"] == size
    assert hashlib.sha256(disk_loose.read_bytes()).hexdigest() == before_loose


def test_a_drive_pulled_mid_pass_is_interrupted_then_resumes_when_plugged_back(
    tmp_path: Path, docks: Docks
) -> None:
    """Pulled (losetup -d while the station writes: the kernel sends no event until the
    device is closed, the station's presence check sees it) after the first checkpoint:
    INTERRUPTED, saying the disk disappeared; plugged
    back into the same port, the station resumes it from that checkpoint and it ends
    ERASED with no canary left. A drive in the other dock is erased meanwhile."""
    n, other = docks.port(), docks.port()
    home = tmp_path / "home"
    running = start_station(home, _settings(dock_1=n, dock_2=other))
    journal = home / "erasure-journal.jsonl"
    try:
        disk = docks.disk("pulled", 2 << 30)
        docks.plug(n, disk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and b'"checkpoint"' in journal.read_bytes():
                break
            time.sleep(0.005)
        docks.pull(n)
        docks.plug(other, docks.disk("other", 16 << 20))
        running.wait_for(lambda v: bool(running.station.departed()), 60)
        (left,) = running.station.departed()
        running.wait_for(lambda v: not any(s.slot == "dock_1" for s in v), 30)
        # The kernel frees the loop device when the eraser closes it: plug back in.
        deadline = time.monotonic() + 10
        while os.path.exists(f"/sys/block/loop{n}/loop") and time.monotonic() < deadline:
            time.sleep(0.02)
        docks.plug(n, disk)
        running.wait_for(lambda v: any(s.slot == "dock_1" and s.result is not None for s in v), 120)
        running.wait_for(lambda v: any(s.slot == "dock_2" and s.result for s in v), 60)
    finally:
        running.stop.set()
        running.thread.join(60)
    assert left.result == "INTERRUPTED", left
    assert left.reasons is not None and "disparu" in left.reasons.fr
    assert "disappeared" in left.reasons.en
    interrupted = _payload(left.certificate)
    assert verify_certificate(left.certificate).ok
    assert interrupted["sanitization"]["level"] is None
    views = {v.slot: v for v in running.station.slots()}
    resumed = views["dock_1"]
    assert resumed.resumed and resumed.result == "ERASED", resumed
    payload = _payload(resumed.certificate)
    assert payload["method"]["resumed_from"]["session_id"] == interrupted["session_id"]
    assert payload["method"]["resumed_from"]["pass_index"] == 0  # mid-pass
    assert 0 < payload["method"]["resumed_from"]["offset_bytes"] < 2 << 30
    assert payload["bytes_written"] == (2 << 30) - payload["method"]["resumed_from"]["offset_bytes"]
    assert payload["verification"]["coverage_percent"] == 100
    assert surviving_canaries(disk) == []
    assert views["dock_2"].result == "ERASED"


def test_a_dock_reset_dropping_two_drives_is_recorded_per_drive_and_both_resume(
    tmp_path: Path, docks: Docks
) -> None:
    """Both drives of a dock vanish at once mid-pass: each gets its own INTERRUPTED
    certificate; plugged back in, each resumes from its own checkpoint and ends ERASED."""
    ports = [docks.port(), docks.port()]
    home = tmp_path / "home"
    running = start_station(home, _settings(dock_1=ports[0], dock_2=ports[1]))
    journal = home / "erasure-journal.jsonl"
    size = 3 << 29  # 1.5 GiB
    disks = [docks.disk(f"d{i}", size) for i in range(2)]
    try:
        for n, disk in zip(ports, disks, strict=True):
            docks.plug(n, disk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            entries = (
                [json.loads(line)["payload"] for line in journal.read_bytes().splitlines()]
                if journal.exists()
                else []
            )
            sessions = {e["data"]["session_id"] for e in entries if e["event"] == "checkpoint"}
            if len(sessions) == 2:
                break
            time.sleep(0.01)
        for n in ports:
            docks.pull(n)
        running.wait_for(lambda v: len(running.station.departed()) == 2, 60)
        running.wait_for(lambda v: not any(s.slot.startswith("dock") for s in v), 30)
        for n, disk in zip(ports, disks, strict=True):
            deadline = time.monotonic() + 10
            while os.path.exists(f"/sys/block/loop{n}/loop") and time.monotonic() < deadline:
                time.sleep(0.02)
            docks.plug(n, disk)
        running.wait_for(
            lambda v: sum(1 for s in v if s.slot.startswith("dock") and s.result) == 2, 120
        )
    finally:
        running.stop.set()
        running.thread.join(60)
    departed = {v.slot: v for v in running.station.departed()}
    assert {v.result for v in departed.values()} == {"INTERRUPTED"}
    views = {v.slot: v for v in running.station.slots()}
    for slot, disk in zip(("dock_1", "dock_2"), disks, strict=True):
        first = _payload(departed[slot].certificate)
        resumed = views[slot]
        assert resumed.resumed and resumed.result == "ERASED", resumed
        payload = _payload(resumed.certificate)
        assert payload["method"]["resumed_from"]["session_id"] == first["session_id"]
        assert surviving_canaries(disk) == []


def test_a_mounted_drive_in_a_slot_is_refused_and_left_alone(tmp_path: Path, docks: Docks) -> None:
    """The same refusals as erase: a drive whose filesystem is mounted (the station's own
    disks are) is shown refused with the reason; no session starts and its filesystem is
    intact afterwards."""
    require_program("mkfs.ext4")
    n = docks.port()
    disk = docks.disk("mounted", 32 << 20)
    device = docks.plug(n, disk)
    subprocess.run(["mkfs.ext4", "-q", "-F", device], check=True, capture_output=True)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", device, str(mnt)], check=True, capture_output=True)
    (mnt / "donor.txt").write_text("donor data")
    home = tmp_path / "home"
    try:
        running = start_station(home, _settings(dock_1=n))
        try:
            running.wait_for(lambda v: any(s.state == "refused" for s in v), 10)
            time.sleep(0.6)  # past the delay: still nothing started
            (view,) = [v for v in running.station.slots() if v.slot == "dock_1"]
        finally:
            running.stop.set()
            running.thread.join(30)
        assert view.state == "refused" and view.result is None
        assert view.reasons is not None and "montée" in view.reasons.fr
        assert "mounted" in view.reasons.en
    finally:
        subprocess.run(["umount", str(mnt)], check=True, capture_output=True)
    journal = home / "erasure-journal.jsonl"
    assert not journal.exists() or b"session-start" not in journal.read_bytes()
    assert not list((home / "certificates").glob("*.json"))
    fsck = subprocess.run(
        ["e2fsck", "-n", "-f", device], check=False, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout


def test_bench_agent_station_once_erases_the_docked_drive_and_prints_its_slot(
    tmp_path: Path, docks: Docks
) -> None:
    n = docks.port()
    disk = docks.disk("docked", 16 << 20)
    docks.plug(n, disk)
    home = tmp_path / "home"
    home.mkdir()
    (home / "site.toml").write_text(
        f'[station]\ndelay_s = 0\nbatch = "LOT-7"\n[station.slots]\ndock-1 = "*/block/loop{n}"\n'
    )
    env = {**os.environ, "BENCH_AGENT_HOME": str(home), "BENCH_AGENT_LANG": "en"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench_agent", "station", "--once"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Erasure station: 1 slot(s), delay 0 s, batch LOT-7" in proc.stdout
    assert f"dock-1 /dev/loop{n} loop device [-]" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].endswith("done — ERASED")
    assert surviving_canaries(disk) == []
    (cert,) = (home / "certificates").glob("erasure-*.json")
    assert json.loads(cert.read_text())["payload"]["source_computer"]["batch"] == "LOT-7"


@pytest.mark.parametrize(
    ("site", "needle"),
    [
        ("[station]\ndelay_s = -1\n", "station.delay_s"),
        ('[station]\nslots = { "dock 1" = "x" }\n', "station.slots"),
        ("[station]\n", "[station.slots]"),
    ],
)
def test_bad_station_settings_are_a_sentence_and_exit_2(
    tmp_path: Path, site: str, needle: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "site.toml").write_text(site)
    env = {**os.environ, "BENCH_AGENT_HOME": str(home), "BENCH_AGENT_LANG": "en"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench_agent", "station", "--once"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
