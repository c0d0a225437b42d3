"""The app's station screen driven by the real station service (root, CI): loop devices
plugged and pulled with losetup while the app runs (the kernel's netlink events through
pyudev), keys only, at 80×25. A drive waits for its delay, Entrée starts it, Espace
holds one, l sets the donor batch written on each certificate; a drive pulled
mid-pass shows INTERRUPTED, plugged back in it is offered for resume and resumes from
its checkpoint; a drive in a port no slot names is shown apart and never written."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from bench_agent.bench.station import SlotView
from bench_agent.host.live import LiveHost
from bench_agent.tui.app import BenchApp
from bench_agent.tui.screens.dialogs import TextScreen
from bench_agent.tui.screens.station import StationScreen
from tests.bench.station_helpers import Docks, docks
from tests.support.requirements import require
from tests.tui.conftest import AppFactory
from tests.tui.driving import SIZE, burst, drive, screen_text, settle
from tests.wipe.wipe_helpers import surviving_canaries
from wipe.certificate import verify_certificate
from wipe.signing import parse_json

__all__ = ["docks"]  # the fixture, used by name below


BLKIO = Path("/sys/fs/cgroup/blkio")


class Throttle:
    """A blkio cgroup (v1) holding this process, capping the named loop devices' read
    and write bytes per second (no other device is capped): a dock's slow drive, so
    that a pull lands mid-pass on a machine whose loop devices write at GB/s."""

    def __init__(self, mbs: float) -> None:
        require(
            (BLKIO / "blkio.throttle.write_bps_device").exists(),
            "needs the blkio cgroup throttle (cgroup v1)",
        )
        self.bps = int(mbs * 1e6)
        self.group = BLKIO / f"tui-station-{os.getpid()}"
        self.group.mkdir()
        (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def cap(self, device: str) -> None:
        st = os.stat(device)
        dev = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        for kind in ("read", "write"):
            (self.group / f"blkio.throttle.{kind}_bps_device").write_text(f"{dev} {self.bps}")

    def close(self) -> None:
        for pid in (self.group / "cgroup.procs").read_text().split():
            (BLKIO / "cgroup.procs").write_text(pid)
        self.group.rmdir()


def write_site(home: Path, delay_s: float, **slots: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[station]", f"delay_s = {delay_s}", 'operator = "poste 2"', "", "[station.slots]"]
    lines += [f'{name} = "*/block/loop{n}"' for name, n in slots.items()]
    (home / "site.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


async def until(
    app: BenchApp, pilot: Pilot[int], test: Callable[[list[SlotView]], bool], timeout: float = 60
) -> list[SlotView]:
    """Wait (the app running) until the station's board passes ``test``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        station = app.station
        if station is not None and test(station.board()):
            await asyncio.sleep(0.6)  # one redraw of the screen (every 0.5 s)
            await pilot.pause()
            return station.board()
        await asyncio.sleep(0.05)
    board = app.station.board() if app.station else None
    raise AssertionError(f"timed out; board: {board}\nscreen:\n{screen_text(app)}")


def slot(views: list[SlotView], name: str) -> SlotView:
    return next(v for v in views if v.slot == name)


def row(app: BenchApp, name: str) -> list[str]:
    """The two lines of slot ``name`` on the screen."""
    lines = screen_text(app).splitlines()
    for i, line in enumerate(lines):
        if line.strip("│ ").startswith(name):
            return [line, lines[i + 1]]
    raise AssertionError(f"{name} not on the screen:\n" + "\n".join(lines))


def payload(path: Path | None) -> dict:  # type: ignore[type-arg]
    assert path is not None
    return parse_json(path.read_bytes())["payload"]  # type: ignore[no-any-return]


async def highlight(app: BenchApp, pilot: Pilot[int], name: str) -> None:
    screen = app.screen
    assert isinstance(screen, StationScreen)
    for _ in range(20):
        if screen._slot() == name:
            return
        await pilot.press("down")
    raise AssertionError(f"{name} never highlighted")


@pytest.mark.root
@pytest.mark.loop
@drive
async def test_station_screen_erases_holds_and_resumes_drives_plugged_while_it_runs(
    make_app: AppFactory, bench_home: Path, docks: Docks
) -> None:
    a, b, loose = docks.port(), docks.port(), docks.port()
    write_site(bench_home, 600, dock_1=a, dock_2=b)
    disk_a = docks.disk("a", 96 << 20)
    disk_b = docks.disk("b", 16 << 20)
    disk_loose = docks.disk("loose", 8 << 20)
    loose_before = hashlib.sha256(disk_loose.read_bytes()).hexdigest()
    journal = bench_home / "erasure-journal.jsonl"
    app = make_app(runner=LiveHost(), simulation_only=False)
    throttle = Throttle(40)  # 96 MiB: ~2.5 s a pass
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("escape", "p")  # out of the id field, then the station key
            assert isinstance(app.screen, StationScreen)
            await until(app, pilot, lambda v: [x.slot for x in v][:2] == ["dock_1", "dock_2"])
            shown = screen_text(app)
            assert "Poste d'effacement — disques seuls" in shown
            assert "Lot : aucun (l pour le choisir)   Délai : 600 s" in shown
            assert "vide" in row(app, "dock_1")[0] and "aucun disque" in row(app, "dock_1")[0]

            # The donor batch, typed on the station.
            await pilot.press("l")
            assert isinstance(app.screen, TextScreen)
            await burst(app, pilot, [*"LOT-2026-042", "enter"])
            assert "Lot : LOT-2026-042" in screen_text(app)

            # Three drives arrive; the one in an unnamed port is shown apart, never erased.
            throttle.cap(docks.plug(a, disk_a))
            throttle.cap(docks.plug(b, disk_b))
            docks.plug(loose, disk_loose)
            views = await until(
                app,
                pilot,
                lambda v: (
                    slot(v, "dock_1").state == "waiting"
                    and slot(v, "dock_2").state == "waiting"
                    and any(x.slot == f"loop{loose}" for x in v)
                ),
            )
            first, second = row(app, "dock_2")
            assert "en attente" in first and "[-]" in first and "16,8 Mo" in first
            assert (
                re.search(r"début dans (10 min|9 min 5\d s)", second)
                and "Entrée : maintenant" in second
            )
            assert "Autres ports (non effacés) :" in screen_text(app)
            assert slot(views, f"loop{loose}").state == "ignored"

            # Espace holds dock_2; Entrée on dock_1 starts it now.
            await highlight(app, pilot, "dock_2")
            await pilot.press("space")
            await until(app, pilot, lambda v: slot(v, "dock_2").state == "held")
            assert "retenu — Entrée : effacer" in row(app, "dock_2")[1]
            await highlight(app, pilot, "dock_1")
            await pilot.press("enter")
            await until(app, pilot, lambda v: slot(v, "dock_1").progress is not None)
            line = row(app, "dock_1")[1]
            assert "effacement" in row(app, "dock_1")[0]
            assert "Mo/s reste" in line and ("█" in line or "─" in line), line

            # Pulled after its first checkpoint: INTERRUPTED, on the screen in words.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if journal.exists() and b'"checkpoint"' in journal.read_bytes():
                    break
                await asyncio.sleep(0.005)
            docks.pull(a)
            views = await until(
                app, pilot, lambda v: slot(v, "dock_1").left and slot(v, "dock_1").result
            )
            first, second = row(app, "dock_1")
            assert "débranché" in first
            assert "INTERROMPU : rebranchez-le pour reprendre" in second
            interrupted = slot(views, "dock_1")
            assert interrupted.result == "INTERRUPTED"
            assert payload(interrupted.certificate)["source_computer"]["batch"] == "LOT-2026-042"

            # Plugged back in: offered for resume; Entrée resumes it from its checkpoint.
            deadline = time.monotonic() + 10
            while os.path.exists(f"/sys/block/loop{a}/loop") and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            docks.plug(a, disk_a)
            await until(
                app, pilot, lambda v: slot(v, "dock_1").resumed and not slot(v, "dock_1").left
            )
            assert "reprise dans" in row(app, "dock_1")[1]
            assert "Entrée : reprendre" in row(app, "dock_1")[1]
            await highlight(app, pilot, "dock_1")
            await pilot.press("enter")
            # The held drive: Entrée erases it too.
            await highlight(app, pilot, "dock_2")
            await pilot.press("enter")
            views = await until(
                app,
                pilot,
                lambda v: (
                    slot(v, "dock_1").result is not None and slot(v, "dock_2").result is not None
                ),
                180,
            )
            assert "EFFACÉ" in row(app, "dock_1")[1] and "EFFACÉ" in row(app, "dock_2")[1]
            shown = screen_text(app)
            assert "Traceback" not in shown
        for name, disk in (("dock_1", disk_a), ("dock_2", disk_b)):
            view = slot(views, name)
            assert view.result == "ERASED", view
            assert verify_certificate(view.certificate).ok
            cert = payload(view.certificate)
            assert cert["source_computer"]["loose_drive"] is True
            assert cert["source_computer"]["batch"] == "LOT-2026-042"
            assert cert["operator"]["donor"] == "LOT-2026-042"
            assert surviving_canaries(disk) == []
        resumed = payload(slot(views, "dock_1").certificate)
        assert (
            resumed["method"]["resumed_from"]["session_id"]
            == payload(interrupted.certificate)["session_id"]
        )
        assert hashlib.sha256(disk_loose.read_bytes()).hexdigest() == loose_before
    finally:
        throttle.close()


@drive
async def test_f2_redraws_the_station_screen_in_english_with_the_cursor_kept(
    make_app: AppFactory,
) -> None:
    """F2 composes the screen again (an empty list): the rows come back, in English,
    the cursor on the same drive (a crash here once: the old rows were reused)."""
    from tests.tui.test_snapshots import FixedStation

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.station = FixedStation()  # type: ignore[assignment]
        await pilot.press("escape", "p")
        await settle(app, pilot)
        await highlight(app, pilot, "dock-3")
        assert "INTERROMPU : rebranchez-le pour reprendre" in screen_text(app)
        await pilot.press("f2")
        await settle(app, pilot)
        await asyncio.sleep(0.6)
        await pilot.pause()
        shown = screen_text(app)
        assert "Erasure station — loose drives" in shown
        assert "INTERRUPTED: plug it back in to resume" in shown
        assert "dock-3: /dev/sde  WDC WD5000LPVX-22V0TT0  serial number WD-WXA1E12ABCDE" in shown
        screen = app.screen
        assert isinstance(screen, StationScreen) and screen._slot() == "dock-3"
        await pilot.press("f2")
        await settle(app, pilot)
        assert "Poste d'effacement — disques seuls" in screen_text(app)
        assert "Traceback" not in screen_text(app)


@drive
async def test_a_bench_without_station_slots_says_so_on_the_station_screen(
    make_app: AppFactory,
) -> None:
    """No ``[station.slots]`` in site.toml: the screen says what to add, in words, and
    nothing is watched (the app keeps working)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("escape", "p")
        deadline = time.monotonic() + 10
        while "station" not in app.problems and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await pilot.pause()
        shown = screen_text(app)
        assert isinstance(app.screen, StationScreen) and app.station is None
        assert "Aucun emplacement nommé : ajoutez [station.slots] à site.toml" in shown
        assert "Traceback" not in shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, StationScreen)
