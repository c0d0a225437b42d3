"""Erasing a real loop device from the bench app, with key presses only (root, CI)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList

from bench_agent.context import Environment
from bench_agent.host.recorded import RecordedHost
from bench_agent.sync.outbox import Outbox
from bench_agent.tui.app import BenchApp, create_app
from bench_agent.tui.screens import EraseScreen
from bench_agent.tui.screens.dialogs import ConfirmSerialScreen, QuitDuringEraseScreen
from bench_agent.tui.state import StepState
from tests.tui.driving import drive, open_step
from wipe.certificate import verify_certificate

# The erasure tests' loop-device helpers (tests/wipe has no __init__: imported by path).
sys.path.insert(0, str(Path(__file__).parents[1] / "wipe"))
sys.path.insert(0, str(Path(__file__).parents[1]))
from wipe_helpers import Loop, loop_factory, surviving_canaries

__all__ = ["loop_factory"]

pytestmark = [pytest.mark.root, pytest.mark.loop]
SIZE = (100, 40)


async def open_erase_step(app: BenchApp, pilot: Pilot[int]) -> None:
    """Open step 3 once the inventory is in and the disks are listed."""
    await open_step(app, pilot, "3")
    assert isinstance(app.screen, EraseScreen)


async def pick(app: BenchApp, pilot: Pilot[int], device: str) -> None:
    """Move to ``device`` with the arrows, select it with Espace, then press e."""
    targets = app.screen.query_one(SelectionList)
    values = [targets.get_option_at_index(i).value for i in range(targets.option_count)]
    assert device in values, f"{device} not listed among {values}"
    for _ in range(targets.option_count):
        highlighted = targets.highlighted
        if highlighted is not None and targets.get_option_at_index(highlighted).value == device:
            break
        await pilot.press("down")
    await pilot.press("space", "e")
    await pilot.pause()


async def select_and_erase(app: BenchApp, pilot: Pilot[int], device: str) -> None:
    """Open step 3, pick ``device``, then type its serial's last 4 characters."""
    await open_erase_step(app, pilot)
    await pick(app, pilot, device)
    assert isinstance(app.screen, ConfirmSerialScreen)
    token = app.screen.target.confirmation_token
    await pilot.press(*token[-4:], "enter")
    await pilot.pause()


def certificate_result(path: Path) -> str:
    envelope = json.loads(path.read_text(encoding="utf-8"))
    return str(envelope["payload"]["result"])


@drive
async def test_erasure_by_keys_ends_erased_with_a_verified_certificate(
    bench_env: Environment, x1_host: RecordedHost, loop_factory: Callable[..., Loop]
) -> None:
    loop = loop_factory(32 << 20, name="tui-erase")
    app = create_app(bench_env, x1_host, simulation_only=False)
    async with app.run_test(size=SIZE) as pilot:
        await select_and_erase(app, pilot, loop.device)
        await app.workers.wait_for_complete()
        await pilot.pause()
        run = app.sitting.erase
        assert run is not None and not run.dry_run
        assert [o.result for o in run.outcomes] == ["ERASED"], run.notes
        outcome = run.outcomes[0]
        assert outcome.certificate_path is not None
        assert verify_certificate(outcome.certificate_path).ok
        assert certificate_result(outcome.certificate_path) == "ERASED"
        assert str(outcome.certificate_path) in str(app.screen.query_one("#results").render())
        assert app.sitting.states["erase"] is StepState.DONE
        certificate_id = json.loads(outcome.certificate_path.read_text())["payload"][
            "certificate_id"
        ]
        # Step 4: the graded report carries this sitting's erasure, so the label can say it.
        await pilot.press("escape", "4", "b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = app.sitting.report
        assert report is not None, app.sitting.grade_error
        (summary,) = report.erasures
        assert summary.certificate_id == certificate_id
        assert (summary.result, summary.level, summary.device) == ("ERASED", "clear", loop.device)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert surviving_canaries(loop.backing) == []
    outbox = Outbox(Path(bench_env.environ["BENCH_AGENT_HOME"]) / "outbox.sqlite")
    assert [i.kind for i in outbox.items("pending")] == ["certificate", "report"]


@drive
async def test_wrong_serial_erases_nothing(
    bench_env: Environment, x1_host: RecordedHost, loop_factory: Callable[..., Loop]
) -> None:
    loop = loop_factory(8 << 20, name="tui-refuse")
    app = create_app(bench_env, x1_host, simulation_only=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_erase_step(app, pilot)
        await pick(app, pilot, loop.device)
        assert isinstance(app.screen, ConfirmSerialScreen)
        await pilot.press("x", "x", "x", "x", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sitting.erase is None
    assert len(surviving_canaries(loop.backing)) > 90


@drive
async def test_quit_during_erasure_asks_then_aborts_cleanly(
    bench_env: Environment, x1_host: RecordedHost, loop_factory: Callable[..., Loop]
) -> None:
    # Large and sparse: it cannot finish before the quit is confirmed (it stops at the
    # next block once cancelled, so the test stays short).
    loop = loop_factory(8 << 30, name="tui-abort")
    app = create_app(bench_env, x1_host, simulation_only=False)
    async with app.run_test(size=SIZE) as pilot:
        await select_and_erase(app, pilot, loop.device)
        run = app.sitting.erase
        assert run is not None and run.running
        for _ in range(200):  # wait for the first progress figures (the writing started)
            if run.progress:
                break
            await pilot.pause(0.05)
        assert run.progress, "no progress reported"
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitDuringEraseScreen)
        assert run.running, "the erasure kept running while the question is asked"
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert not run.running
    assert [o.result for o in run.outcomes] == ["ABORTED"]
    path = run.outcomes[0].certificate_path
    assert path is not None and verify_certificate(path).ok
    assert certificate_result(path) == "ABORTED"
    assert app.return_code == 1


@drive
async def test_on_a_recorded_computer_the_erase_step_only_simulates(
    bench_env: Environment, x1_host: RecordedHost, loop_factory: Callable[..., Loop]
) -> None:
    """`bench-agent --app-host-dir DIR` (training, demos): the disks listed belong to the
    machine running the app, not to the recorded unit — erasing them is refused; the
    step runs in simulation and `s` cannot switch that off."""
    loop = loop_factory(8 << 20, name="tui-recorded")
    app = create_app(bench_env, x1_host)  # the default for a recorded host
    async with app.run_test(size=SIZE) as pilot:
        await open_erase_step(app, pilot)
        assert app.sitting.dry_run
        await pilot.press("s")  # try to switch to the real mode
        await pilot.pause()
        assert app.sitting.dry_run
        await pick(app, pilot, loop.device)
        await app.workers.wait_for_complete()
        await pilot.pause()
        run = app.sitting.erase
        assert run is not None and run.dry_run
        assert [o.result for o in run.outcomes] == ["DRY_RUN"]
    assert len(surviving_canaries(loop.backing)) > 90


@pytest.mark.parametrize("answer", ["o", "n"])
@drive
async def test_a_frozen_drive_gets_the_unfreeze_offer_before_anything_is_written(
    bench_env: Environment,
    x1_host: RecordedHost,
    loop_factory: Callable[..., Loop],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    """A drive the BIOS froze (here: the detection says so for the loop device — a loop
    device has no ATA security to freeze; the detection itself is tested on recorded hdparm
    outputs): the app asks before the erasure; yes runs the suspend/resume, no does not;
    either way the erasure then runs and ends ERASED."""
    from bench_agent.tui import sitting
    from bench_agent.tui.screens.dialogs import UnfreezeScreen

    loop = loop_factory(16 << 20, name=f"tui-frozen-{answer}")
    suspended: list[list[str]] = []
    monkeypatch.setattr(sitting, "frozen_for_erase", lambda paths: [loop.device])

    def fake_unfreeze(paths: list[str], env: Environment) -> list[str]:
        suspended.append(list(paths))
        return [f"Dégelé : {paths[0]}"]

    monkeypatch.setattr(sitting, "unfreeze", fake_unfreeze)
    app = create_app(bench_env, x1_host, simulation_only=False)
    async with app.run_test(size=SIZE) as pilot:
        await select_and_erase(app, pilot, loop.device)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, UnfreezeScreen)
        assert len(surviving_canaries(loop.backing)) > 90  # nothing written while asking
        await pilot.press(answer)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        run = app.sitting.erase
        assert run is not None
        assert [o.result for o in run.outcomes] == ["ERASED"], run.notes
    assert suspended == ([[loop.device]] if answer == "o" else [])
    assert (f"Dégelé : {loop.device}" in run.notes) == (answer == "o")
    assert surviving_canaries(loop.backing) == []
