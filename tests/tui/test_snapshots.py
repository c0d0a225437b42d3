"""What every screen shows, at 80×25 (the Linux console) and 120×40, in French and
English: Textual's own SVG screenshots compared with the ones committed in
``tests/tui/snapshots/``.

pytest-textual-snapshot makes the same SVGs but pins syrupy 4.8, which requires
pytest < 9 (we pin 9.2): this harness is its comparison, without the dependency.
``BENCH_SNAPSHOT_UPDATE=1 pytest tests/tui/test_snapshots.py`` rewrites the SVGs; review
them (open one in a browser) before committing. A difference fails with the rows that
changed, as text.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from bench_agent.tui.app import BenchApp
from tests.tui.conftest import AppFactory
from tests.tui.driving import drive, scanner, screen_text, settle
from wipe.targets import Refusal, Target

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("BENCH_SNAPSHOT_UPDATE") == "1"
SIZES = {"80x25": (80, 25), "120x40": (120, 40)}

Steps = Callable[[BenchApp, Pilot[int]], Awaitable[None]]


def fixed_targets() -> list[Target]:
    """The erase step's list, the same on every machine (the real one lists this
    machine's disks)."""
    return [
        Target(name="sda", device_path="/dev/sda", model="SAMSUNG MZ7LN256HMJP",
               serial="S2R5NX0H123456", size_bytes=256_060_514_304, transport="sata",
               rotational=False, media="ssd"),
        Target(name="sdb", device_path="/dev/sdb", model="SanDisk Cruzer [Blade]",
               serial="4C5300011", size_bytes=16_008_609_792, transport="usb",
               rotational=False, media="unknown",
               refusals=[Refusal("boot", "disque de démarrage (contient /) : la clé du banc",
                                 "boot disk (holds /): the bench's own stick")]),
    ]  # fmt: skip


class FixedStation:
    """The station screen's service, frozen mid-run (the real one runs in
    ``test_app_station.py``): a drive erasing, one waiting, one pulled mid-pass, one
    refused, an empty dock and a drive in a port no slot names."""

    def __init__(self) -> None:
        from bench_agent.bench.site import Station as StationSettings

        self.settings = StationSettings(
            slots={f"dock-{n}": f"*/usb2/2-{n}/*" for n in range(1, 5)},
            delay_s=15,
            batch="LOT-2026-042",
            operator="poste 2",
        )

    def board(self) -> list[object]:
        from bench_agent.bench.erasure import load_policy, plan
        from bench_agent.bench.station import SlotView
        from bench_agent.i18n import _t
        from wipe.overwrite import Progress

        seagate = Target(
            name="sdc",
            device_path="/dev/sdc",
            model="ST1000DM010-2EP102",
            serial="Z9A1B2C3D4",
            size_bytes=1_000_204_886_016,
            transport="usb",
            rotational=True,
            media="hdd",
        )
        crucial = Target(
            name="sdd",
            device_path="/dev/sdd",
            model="CT500MX500SSD1",
            serial="1918E1F2A3B4",
            size_bytes=500_107_862_016,
            transport="usb",
            rotational=False,
            media="ssd",
        )
        wd = Target(
            name="sde",
            device_path="/dev/sde",
            model="WDC WD5000LPVX-22V0TT0",
            serial="WD-WXA1E12ABCDE",
            size_bytes=500_107_862_016,
            transport="usb",
            rotational=True,
            media="hdd",
        )
        plans = plan([seagate, crucial], load_policy())
        return [
            SlotView(slot="dock-1", device="/dev/sdc", state="erasing",
                     identity=seagate.identity(), plan=plans[0].text(), health="OK",
                     batch="LOT-2026-042",
                     progress=Progress(device="/dev/sdc", phase="write", pass_index=0,
                                       pass_count=1, bytes_done=420_000_000_000,
                                       bytes_total=1_000_204_886_016,
                                       throughput_bytes_per_s=160e6, eta_s=3626)),
            SlotView(slot="dock-2", device="/dev/sdd", state="waiting",
                     identity=crucial.identity(), plan=plans[1].text(), starts_in_s=12,
                     health="WORN"),
            SlotView(slot="dock-3", device="/dev/sde", state="done", identity=wd.identity(),
                     result="INTERRUPTED", left=True, health="OK", batch="LOT-2026-042",
                     reasons=_t("le disque a disparu pendant l'effacement")),
            SlotView(slot="dock-4", device=None, state="empty", identity={}),
            SlotView(slot="sdb", device="/dev/sdb", state="ignored",
                     identity={"model": "SanDisk Cruzer Blade", "serial": "4C5300011",
                               "size_bytes": 16_008_609_792}),
        ]  # fmt: skip

    def busy(self) -> bool:
        return False

    def erasing(self) -> bool:
        return False

    def cancel_all(self) -> None:
        return None


async def station(app: BenchApp, pilot: Pilot[int]) -> None:
    """The station screen (p from the main screen), its service frozen."""
    app.station = FixedStation()  # type: ignore[assignment]
    await pilot.press("escape", "p")
    await settle(app, pilot)


async def on_main(app: BenchApp, pilot: Pilot[int]) -> None:
    return None


def step(key: str) -> Steps:
    async def go(app: BenchApp, pilot: Pilot[int]) -> None:
        await pilot.press(key)
        await settle(app, pilot)

    return go


async def unit_id(app: BenchApp, pilot: Pilot[int]) -> None:
    """The technician scans the unit's id: the step list gets the keys after it."""
    await scanner(app, pilot, "LCT-0042-7")
    await settle(app, pilot)


async def some_results(app: BenchApp, pilot: Pilot[int]) -> None:
    """A unit half-way: id, a failed keyboard, a cosmetic grade."""
    await unit_id(app, pilot)
    app.service.answer_test("keyboard", False)
    app.service.answer_test("screen", True)
    app.service.set_cosmetic("B")
    app.state_changed()
    await settle(app, pilot)


def then(*parts: Steps) -> Steps:
    async def go(app: BenchApp, pilot: Pilot[int]) -> None:
        for part in parts:
            await part(app, pilot)

    return go


SCREENS: dict[str, Steps] = {
    "main-new-unit": on_main,
    "main-half-way": some_results,
    "inventory": then(unit_id, step("2")),
    "health": then(unit_id, step("3")),
    "functional": then(some_results, step("4")),
    "cosmetic": then(unit_id, step("5")),
    "erase": then(unit_id, step("6")),
    "erase-chosen": then(unit_id, step("6"), step("space")),
    "grade": then(some_results, step("7")),
    "label": then(unit_id, step("8")),
    "sync": then(unit_id, step("9")),
    "help": step("f1"),
    "station": station,
}


def normalised(svg: str) -> str:
    # Rich names its CSS classes after a hash of the content: equal content, equal names;
    # nothing else varies between runs.
    return svg.replace("\r\n", "\n")


def rows(svg: str) -> list[str]:
    """The visible text of an SVG screenshot, row by row (for a readable diff)."""
    texts = re.findall(r'<text[^>]*y="([\d.]+)"[^>]*>(.*?)</text>', svg)
    by_row: dict[float, list[str]] = {}
    for y, text in texts:
        by_row.setdefault(float(y), []).append(text.replace("&#160;", " "))
    return ["".join(parts) for _y, parts in sorted(by_row.items())]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(SCREENS))
@drive
async def test_screen_matches_its_snapshot(
    name: str, size: str, lang: str, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    app.env.lang = lang
    monkeypatch.setattr(app.service, "erase_candidates", fixed_targets)
    async with app.run_test(size=SIZES[size]) as pilot:
        await settle(app, pilot)
        for box in app.screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would make two runs differ
        await SCREENS[name](app, pilot)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause()
        assert "Traceback" not in screen_text(app)
        svg = normalised(app.export_screenshot(title=f"{name} {size} {lang}"))
    path = SNAPSHOTS / f"{name}-{size}-{lang}.svg"
    if UPDATE or not path.exists():
        if not UPDATE and os.environ.get("CI") == "true":
            pytest.fail(f"no committed snapshot {path.name}: run with BENCH_SNAPSHOT_UPDATE=1")
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    if svg != expected:
        diff = "\n".join(
            difflib.unified_diff(rows(expected), rows(svg), "committed", "now", lineterm="")
        )
        pytest.fail(f"{path.name} differs from the screen now:\n{diff or '(styles only)'}")
