"""Hardware strings are shown as they are, never read as markup: a model named like a
Rich tag must neither vanish nor crash the bench."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench_agent.host.recorded import RecordedHost
from tests.tui.conftest import X1_CARBON, AppFactory
from tests.tui.driving import SIZE, drive, screen_text, settle

HOSTILE_MODEL = "ThinkPad [bold]X1[/] [/oops] [link=x]"


@drive
async def test_a_model_named_like_markup_prints_as_it_is(
    tmp_path: Path, make_app: AppFactory
) -> None:
    host_dir = tmp_path / "hostile"
    shutil.copytree(X1_CARBON, host_dir)
    # The model as the kernel's DMI table gives it (the inventory's first source).
    (host_dir / "fs/sys/class/dmi/id/product_version").write_text(HOSTILE_MODEL + "\n")
    app = make_app(RecordedHost(str(host_dir)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "[/oops]" in screen_text(app)  # the main screen's unit line
        await pilot.press("2")
        await settle(app, pilot)
        assert "[/oops]" in screen_text(app)  # the inventory screen
        await pilot.press("escape", "7")
        await settle(app, pilot)
        assert app.is_running
