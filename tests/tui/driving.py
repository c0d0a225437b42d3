"""Driving the bench app in tests: Pilot scenarios as plain pytest tests, what the
screen shows as text, keys typed as fast as a barcode scanner sends them.

A scenario runs on its own thread with its own event loop: another test of the same
session may leave a loop running on the main thread (Playwright's sync API does), and
``asyncio.run`` refuses to start inside a running loop.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
import unicodedata
from collections.abc import Callable, Coroutine
from typing import Any

from rich.console import Console
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot

from bench_agent.tui.app import BenchApp

SIZE = (80, 25)
"""The Linux console the bench runs on."""


def drive(scenario: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(scenario)
    def test(*args: Any, **kwargs: Any) -> None:
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(scenario(*args, **kwargs))
            except BaseException as exc:  # re-raised on the test's thread below
                failure.append(exc)

        thread = threading.Thread(target=run, name=f"pilot-{scenario.__name__}")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    return test


async def settle(app: BenchApp, pilot: Pilot[int]) -> None:
    """Wait for the workers (inventory, health, save...) and the redraw after them."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    # A message handled during the pause may have started the next worker (the plan
    # after the disk listing...): wait for that one too.
    while any(not w.is_finished for w in app.workers):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_step(app: BenchApp, pilot: Pilot[int], key: str) -> None:
    """From the main screen: wait for the start-up work, press ``key``, wait for the
    step's own workers (health check, disk listing...) and the next refresh."""
    await settle(app, pilot)
    await pilot.press(key)
    await settle(app, pilot)


async def back(app: BenchApp, pilot: Pilot[int]) -> None:
    await pilot.press("escape")
    await settle(app, pilot)


def screen_text(app: BenchApp) -> str:
    """The screen as the technician sees it (every layer, no colours), one line per row."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def words(app: BenchApp) -> str:
    """The screen's words in one line (a sentence wrapped in a dialog reads whole)."""
    text = screen_text(app)
    for frame in "│─╭╮╰╯║═╔╗╚╝┃":
        text = text.replace(frame, " ")
    return " ".join(text.split())


def notes(app: BenchApp) -> list[str]:
    """The notifications raised so far (run_test does not draw them)."""
    return [str(n.message) for n in app._notifications]


def key_event(key: str) -> events.Key:
    """The event a terminal gives for ``key`` (a Textual key name or one character), as
    Pilot builds it."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
        )
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def burst(app: BenchApp, pilot: Pilot[int], keys: list[str], *, wait: bool = True) -> None:
    """Send every key before the app handles the first one (a scanner, a fast typist),
    then wait for the app to be done with them (and, unless ``wait`` is False, with the
    work they started)."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        driver.send_message(event)
    await pilot.pause()
    if wait:
        await settle(app, pilot)


async def scanner(app: BenchApp, pilot: Pilot[int], text: str, *, enter: bool = True) -> None:
    """Type ``text`` (then Entrée) the way a barcode scanner does: every key event is
    queued before the app handles the first one."""
    await burst(app, pilot, [*text, *(["enter"] if enter else [])])
