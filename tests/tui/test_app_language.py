"""F2 on the main screen switches the bench between French and English (gettext
catalogue), at the size of the Linux console."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

from rich.console import Console

from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Bench
from bench_agent.context import Environment
from bench_agent.host.recorded import RecordedHost
from bench_agent.tui.app import BenchApp, create_app

X1_CARBON = Path(__file__).parents[1] / "fixtures" / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"
SIZE = (80, 25)


def _app(tmp_path: Path) -> BenchApp:
    env = Environment(
        environ={
            "BENCH_AGENT_HOME": str(tmp_path / "bench-home"),
            "HOME": str(tmp_path),
            "LANG": "fr_FR.UTF-8",
            "BENCH_AGENT_OPERATOR": "Samia",
        },
        lang="fr",
    )
    service = Bench.open(
        BenchPaths.from_environ(env.environ),
        RecordedHost(str(X1_CARBON)),
        None,
        env.environ,
        simulation_only=True,
    )
    return create_app(env, service)


def _screen_text(app: BenchApp) -> str:
    """Every layer of the screen as plain text, one line per row."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def _in_thread(scenario: object) -> None:
    """Pilot on its own thread and loop (another test may leave a loop on this one)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario)  # type: ignore[arg-type]
        except BaseException as exc:  # re-raised on the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="pilot-language")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_f2_switches_the_main_screen_to_english_and_back(tmp_path: Path) -> None:
    app = _app(tmp_path)
    seen: dict[str, str] = {}

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen["fr"] = _screen_text(app)
            await pilot.press("f2")
            await pilot.pause()
            seen["en"] = _screen_text(app)
            await pilot.press("f2")
            await pilot.pause()
            seen["fr again"] = _screen_text(app)

    _in_thread(scenario())
    assert "Santé des disques" in seen["fr"] and "Disk health" not in seen["fr"]
    assert "Disk health" in seen["en"] and "Santé des disques" not in seen["en"]
    assert "Santé des disques" in seen["fr again"]
    assert app.env.lang == "fr"
