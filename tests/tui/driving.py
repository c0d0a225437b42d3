"""Run a Pilot scenario (a coroutine) as a plain pytest test: no asyncio plugin needed.

The scenario runs on its own thread with its own event loop: another test of the same
session may leave a loop running on the main thread (Playwright's sync API does), and
``asyncio.run`` refuses to start inside a running loop.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any


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


async def open_step(app: Any, pilot: Any, key: str) -> None:
    """From the main screen: wait for the start-up work, press ``key``, wait for the
    step's own workers (health check, outbox read...) and the next refresh."""
    await app.workers.wait_for_complete()
    await pilot.press(key)
    await app.workers.wait_for_complete()
    await pilot.pause()
