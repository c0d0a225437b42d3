"""Step 6 of the bench app erasing a real loop device (root, CI): the plan shown before
the serial is typed, a wrong serial erases nothing, the right one erases every byte and
puts an ERASED certificate into the sitting; quitting mid-erasure stops it cleanly."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList

from bench_agent.host.live import LiveHost
from bench_agent.tui.app import BenchApp
from bench_agent.tui.screens.dialogs import ConfirmSerialScreen, PlanScreen, QuitDuringEraseScreen
from bench_agent.tui.screens.erase import EraseScreen
from tests.tui.conftest import OPERATOR, AppFactory
from tests.tui.driving import (
    SIZE,
    back,
    burst,
    drive,
    notes,
    open_step,
    scanner,
    screen_text,
    settle,
    words,
)
from tests.tui.loops import SECTOR, MakeLoop, read_back
from wipe.certificate import verify_certificate

pytestmark = [pytest.mark.root, pytest.mark.loop]


def real_app(make_app: AppFactory) -> BenchApp:
    """The app as on a bench: this machine's drives through the live runner, real mode."""
    return make_app(runner=LiveHost(), simulation_only=False)


async def choose(app: BenchApp, pilot: Pilot[int], device: str) -> None:
    """Move to ``device`` with the arrows, select it with Espace, press e."""
    targets = app.screen.query_one(SelectionList)
    values = [targets.get_option_at_index(i).value for i in range(targets.option_count)]
    assert device in values, f"{device} not listed among {values}"
    targets.focus()
    for _ in range(targets.option_count):
        index = targets.highlighted
        if index is not None and targets.get_option_at_index(index).value == device:
            break
        await pilot.press("down")
    if device not in targets.selected:
        await pilot.press("space")
    assert targets.selected == [device]
    await pilot.press("e")
    await settle(app, pilot)


@drive
async def test_erasure_by_keys_from_step_6(make_app: AppFactory, random_loop: MakeLoop) -> None:
    loop = random_loop(8 << 20, "tui-erase")
    app = real_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, "LCT-0042-7")
        await open_step(app, pilot, "6")
        assert isinstance(app.screen, EraseScreen)
        shown = screen_text(app)
        assert "Mode : RÉEL" in shown, shown
        (row,) = [line for line in shown.splitlines() if loop.device in line]
        assert "loop device" in row and "REFUSÉ" not in row

        # The plan comes first, before any serial is asked.
        await choose(app, pilot, loop.device)
        assert isinstance(app.screen, PlanScreen)
        shown = words(app)
        assert f"Ce qui va être effacé {loop.device} loop device" in shown
        assert "Une passe aléatoire (AES-256-CTR) (1 passe), vérif. dernière passe, ~0 s" in shown
        await pilot.press("o")
        assert isinstance(app.screen, ConfirmSerialScreen)
        assert f"Effacer DÉFINITIVEMENT {loop.device} ?" in words(app)

        # A wrong answer: refused, nothing written.
        await burst(app, pilot, [*"xxxx", "enter"])
        assert isinstance(app.screen, EraseScreen)
        assert f"Non confirmé : {loop.device}. Aucun disque effacé." in notes(app)
        assert app.erase_run is None
        assert read_back(loop.backing) == loop.original

        # The device's name (a loop device has no serial): erased.
        await pilot.press("e")
        await settle(app, pilot)
        await pilot.press("o")
        await burst(app, pilot, [*loop.name, "enter"])
        await settle(app, pilot)
        run = app.erase_run
        assert run is not None and not run.running and not run.dry_run
        assert [o.result for o in run.outcomes] == ["ERASED"], [app.t(n) for n in run.notes]
        shown = screen_text(app)
        assert f"{loop.device} : EFFACÉ" in shown
        # The progress line kept its rate and time left within 80 columns.
        (line,) = [x for x in shown.splitlines() if x.strip().startswith(f"{loop.device} vérif.")]
        assert " 1/1 100 % " in line and " Mo/s reste " in line

        # The certificate: signed, in the sitting, in the outbox.
        outcome = run.outcomes[0]
        assert outcome.certificate_path is not None
        assert verify_certificate(outcome.certificate_path).ok
        summaries = [e for e in app.service.record.erasures if e.device == loop.device]
        assert [(e.result, e.method, e.level) for e in summaries] == [
            ("ERASED", "random", "clear")
        ], app.service.record.erasures
        assert app.service.record.erase_started == []

        # v: a second person validates. The operator cannot validate their own work;
        # another name signs a countersignature beside the certificate.
        from bench_agent.bench.countersignature import countersignature_for, countersignature_path

        await pilot.press("v")
        await burst(app, pilot, [*OPERATOR, "enter"])
        assert any("autre personne que l'opérateur" in n for n in notes(app)), notes(app)
        assert not countersignature_path(outcome.certificate_path).exists()
        await pilot.press("v")
        await burst(app, pilot, [*"Karim Benali", "enter"])
        await settle(app, pilot)
        assert "Certificats validés : 1." in notes(app)
        countersigned = countersignature_for(
            outcome.certificate_path, verify_certificate(outcome.certificate_path).payload
        )
        assert countersigned is not None and countersigned.ok, countersigned
        assert countersigned.document is not None
        assert countersigned.document.validator.name == "Karim Benali"
        assert f"{loop.device} : Validé par Karim Benali le " in screen_text(app)
        await back(app, pilot)

    # Every sector rewritten with the policy's random pattern (media "unknown": one
    # random pass, the last pass read back).
    after = read_back(loop.backing)
    assert len(after) == len(loop.original)
    same = [
        i
        for i in range(0, len(after), SECTOR)
        if after[i : i + SECTOR] == loop.original[i : i + SECTOR]
    ]
    assert same == []
    assert after.count(0) < len(after) // 100, "random, not zeros"
    equal_bytes = sum(
        1 for a, b in zip(after[: 1 << 20], loop.original[: 1 << 20], strict=True) if a == b
    )
    assert equal_bytes < (1 << 20) // 100  # about 1/256 for two random streams


@drive
async def test_quit_during_erasure_asks_then_stops_it_cleanly(
    make_app: AppFactory, random_loop: MakeLoop
) -> None:
    # Large and sparse: it cannot finish before the quit is confirmed (the engine stops
    # at the next block once cancelled, so the test stays short).
    loop = random_loop(8 << 30, "tui-abort")
    app = real_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, "LCT-0042-7")
        await open_step(app, pilot, "6")
        await choose(app, pilot, loop.device)
        await pilot.press("o")
        await burst(app, pilot, [*loop.name, "enter"], wait=False)
        run = app.erase_run
        assert run is not None and run.running
        for _ in range(200):  # the first progress figures: the writing started
            if run.progress:
                break
            await pilot.pause(0.05)
        assert run.progress, "no progress reported"
        assert app.service.record.erase_started == [loop.device], "on disk before any write"
        await pilot.press("q")
        assert isinstance(app.screen, QuitDuringEraseScreen)
        assert run.running, "the erasure goes on while the question is asked"
        await pilot.press("o")
        for _ in range(400):  # the engine stops at its next block, then the app exits
            if not run.running:
                break
            await pilot.pause(0.05)
    assert not run.running
    assert [o.result for o in run.outcomes] == ["ABORTED"]
    path = run.outcomes[0].certificate_path
    assert path is not None and verify_certificate(path).ok
    assert app.return_code == 1
    # The sitting says it: not erased, nothing left "in progress".
    record = app.service.record
    assert [(e.device, e.result) for e in record.erasures] == [(loop.device, "ABORTED")]
    assert record.erase_started == []


@drive
async def test_a_recorded_computer_only_simulates(
    make_app: AppFactory, random_loop: MakeLoop
) -> None:
    """`bench-agent --app-host-dir DIR` (training, demos): the disks listed are the
    machine's running the app, not the recorded unit's: dry runs only, `s` cannot
    switch that off, and nothing is written."""
    loop = random_loop(8 << 20, "tui-recorded")
    app = make_app()  # a recorded host: simulation only
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, "LCT-0042-7")
        await open_step(app, pilot, "6")
        assert "Mode : SIMULATION" in screen_text(app)
        await pilot.press("s")
        assert app.dry_run
        await choose(app, pilot, loop.device)
        assert isinstance(app.screen, PlanScreen)
        assert "SIMULATION : rien ne sera écrit" in screen_text(app)
        await pilot.press("o")
        await settle(app, pilot)
        run = app.erase_run
        assert run is not None and run.dry_run
        assert [o.result for o in run.outcomes] == ["DRY_RUN"]
        assert app.service.record.erasures == []
    assert read_back(loop.backing) == loop.original
