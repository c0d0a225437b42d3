"""Docks for station tests: loop devices at fixed, high numbers (plugged and pulled with
losetup while the station runs), and a running station in a background thread."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.requirements import require_loop_devices

from bench_agent.bench.erasure import EraseSetup
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.site import Station as StationSettings
from bench_agent.bench.station import SlotView, Station, watch
from bench_agent.host.live import LiveHost
from tests.wipe.wipe_helpers import plant_canaries


@dataclass
class Docks:
    """Loop device numbers 200-254 (``losetup --find`` of other tests takes the lowest
    free ones): one per dock port, each plugged (attached) and pulled (detached) by hand."""

    tmp: Path
    numbers: list[int] = field(default_factory=list)

    def port(self) -> int:
        for _ in range(200):
            n = random.randrange(200, 255)
            if n not in self.numbers and not os.path.exists(f"/sys/block/loop{n}/loop"):
                self.numbers.append(n)
                return n
        raise AssertionError("no free loop number in 200-254")

    def disk(self, name: str, size_bytes: int) -> Path:
        path = self.tmp / f"{name}.img"
        with open(path, "wb") as fh:
            fh.truncate(size_bytes)
        plant_canaries(path, size_bytes)
        return path

    def plug(self, number: int, backing: Path) -> str:
        device = f"/dev/loop{number}"
        subprocess.run(
            ["losetup", "--direct-io=on", device, str(backing)], check=True, capture_output=True
        )
        return device

    def pull(self, number: int) -> None:
        subprocess.run(["losetup", "-d", f"/dev/loop{number}"], check=True, capture_output=True)

    def detach_all(self) -> None:
        for n in self.numbers:
            subprocess.run(["losetup", "-d", f"/dev/loop{n}"], check=False, capture_output=True)


@pytest.fixture
def docks(tmp_path: Path) -> Iterator[Docks]:
    require_loop_devices()
    d = Docks(tmp_path)
    try:
        yield d
    finally:
        d.detach_all()


@dataclass
class Running:
    station: Station
    stop: threading.Event
    thread: threading.Thread
    errors: list[BaseException]

    def wait_for(self, test: Callable[[list[SlotView]], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.errors:
                raise self.errors[0]
            if test(self.station.slots()):
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; slots: {self.station.slots()}")


def start_station(home: Path, settings: StationSettings) -> Running:
    paths = BenchPaths(home)
    setup = EraseSetup.open(paths, LiveHost())
    station = Station(setup, settings)
    stop = threading.Event()
    errors: list[BaseException] = []
    ready = threading.Event()

    def run() -> None:
        try:
            watch(station, stop, poll_s=0.05, ready=ready)
        except BaseException as exc:  # surfaced by wait_for
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30), errors
    return Running(station, stop, thread, errors)
