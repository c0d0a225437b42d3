"""The bench app on the recorded X1 Carbon, driven by key presses only."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from bench_agent.context import Environment
from bench_agent.host.recorded import RecordedHost
from bench_agent.sync.outbox import Outbox
from bench_agent.tui.app import BenchApp, create_app
from bench_agent.tui.screens import (
    EraseScreen,
    GradeScreen,
    HealthScreen,
    InventoryScreen,
    LabelScreen,
    SyncScreen,
)
from bench_agent.tui.screens.dialogs import HelpScreen
from bench_agent.tui.screens.main import MainScreen
from bench_agent.tui.state import StepState
from tests.tui.conftest import X1_CARBON
from tests.tui.driving import drive, open_step

SIZE = (100, 40)


def text_of(app: BenchApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@drive
async def test_main_screen_shows_the_unit(bench_env: Environment, x1_host: RecordedHost) -> None:
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        unit = text_of(app, "#unit")
        inv = app.sitting.inventory
        assert inv is not None and inv.identity.serial
        assert "Lenovo" in unit
        assert "X1 Carbon" in unit
        assert inv.identity.serial in unit
        assert app.sitting.states["inventory"] is StepState.DONE


@drive
async def test_each_step_opens_with_its_key_and_escape_returns(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    app = create_app(bench_env, x1_host)
    screens = [InventoryScreen, HealthScreen, EraseScreen, GradeScreen, LabelScreen, SyncScreen]
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        for key, screen in zip("123456", screens, strict=True):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen), key
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
        # The unshifted AZERTY digit row (é is 2) and arrows + Entrée open steps too.
        await pilot.press("é")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)
        await pilot.press("escape", "down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EraseScreen)
        await pilot.press("escape", "f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await app.workers.wait_for_complete()


@drive
async def test_inventory_screen_shows_the_summary(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("1")
        await pilot.pause()
        shown = text_of(app, "#inventory")
        assert app.sitting.inventory_lines
        assert app.sitting.inventory_lines[0] in shown


class UnreadableHost(RecordedHost):
    """The X1 Carbon whose /sys cannot be read (a probe meets an OSError)."""

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        raise PermissionError(13, "Permission denied", path)


@drive
async def test_inventory_error_is_a_sentence(bench_env: Environment) -> None:
    app = create_app(bench_env, UnreadableHost(str(X1_CARBON)))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sitting.states["inventory"] is StepState.PROBLEM
        assert "non identifiée" in text_of(app, "#unit")
        await pilot.press("1")
        await pilot.pause()
        shown = text_of(app, "#inventory")
        assert "root" in shown and "Traceback" not in shown


@drive
async def test_health_screen_shows_the_recorded_verdicts(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(app, pilot, "2")
        health = app.sitting.health
        assert health, "the X1 Carbon recording has its disks' SMART answers"
        disks = list(app.screen.query(".disk").results(Static))
        assert len(disks) == len(health)
        for widget, disk in zip(disks, health, strict=True):
            assert f"verdict-{disk.verdict}" in widget.classes
            assert disk.device in str(widget.render())


@drive
async def test_grade_computes_and_saves_to_the_outbox(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("4")
        await pilot.pause()
        assert app.sitting.grade is None
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        grade = app.sitting.grade
        assert grade is not None, app.sitting.grade_error
        assert grade.cosmetic == "B"
        shown = text_of(app, "#grade")
        assert "Catégorie" in shown and grade.profile == "network-2024"
        assert grade.rules and "Règles appliquées" in shown
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = app.sitting.saved_path
        assert saved is not None and saved.exists(), app.sitting.save_message
        outbox = Outbox(Path(bench_env.environ["BENCH_AGENT_HOME"]) / "outbox.sqlite")
        items = outbox.items("pending")
        assert [i.item_id for i in items] == [app.sitting.report.report_id]  # type: ignore[union-attr]
        assert app.sitting.states["grade"] in (StepState.DONE, StepState.PROBLEM)
        # Step 5 then renders the saved report's label as a PDF.
        await pilot.press("escape", "5", "p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        pdfs = list((Path(bench_env.environ["BENCH_AGENT_HOME"]) / "labels").glob("*.pdf"))
        assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF"), (
            app.sitting.label_message
        )


@drive
async def test_sync_screen_shows_counts_and_send_without_config(
    bench_env: Environment, x1_host: RecordedHost
) -> None:
    app = create_app(bench_env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(app, pilot, "6")
        assert "En attente : 0" in text_of(app, "#counts")
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sitting.states["sync"] is StepState.PROBLEM
        assert "Configuration d'envoi" in text_of(app, "#sent")


@drive
async def test_english_when_asked(tmp_path: Path, x1_host: RecordedHost) -> None:
    env = Environment(environ={"BENCH_AGENT_HOME": str(tmp_path)}, lang="en")
    app = create_app(env, x1_host)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Serial:" in text_of(app, "#unit")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
