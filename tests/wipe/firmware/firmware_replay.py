"""Replaying test doubles for wipe.firmware: recorded command results, a strict runner, a clock.

Recordings live in ``recorded/`` (see its README for where each came from):
``qemu/`` and ``host-loop/`` hold genuine captures (``<name>.json`` with argv and
returncode, plus ``.stdout`` and ``.stderr``); ``public/`` and ``formatted/`` hold
plain output files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

RECORDED = Path(__file__).parent / "recorded"

ANY = object()
"""An argv token that matches anything (the random temporary ATA password)."""


@dataclass(frozen=True)
class Result:
    """A command result shaped like wipe.runner_protocol.RunResult."""

    returncode: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    error: str | None = None


def recording(name: str) -> tuple[list[str], Result]:
    """A genuine capture (``qemu/...`` or ``host-loop/...``): its exact argv and result."""
    base = RECORDED / name
    meta = json.loads(base.with_suffix(".json").read_text())
    return list(meta["argv"]), Result(
        meta["returncode"],
        base.with_suffix(".stdout").read_bytes(),
        base.with_suffix(".stderr").read_bytes(),
    )


def output(relative: str, returncode: int = 0, stderr: str | None = None) -> Result:
    """A plain output file under recorded/ as a successful (or given) result."""
    err = (RECORDED / stderr).read_bytes() if stderr else b""
    return Result(returncode, (RECORDED / relative).read_bytes(), err)


class UnexpectedCommandError(AssertionError):
    """The code under test ran a command the test did not script."""


@dataclass
class ReplayRunner:
    """Replays scripted (argv, result) steps in order; any other command fails loudly."""

    steps: list[tuple[list[object], Result]]
    calls: list[tuple[list[str], float]] = field(default_factory=list)

    def run(self, argv: list[str], timeout_s: float) -> Result:
        self.calls.append((list(argv), timeout_s))
        if not self.steps:
            raise UnexpectedCommandError(f"unscripted extra command: {argv}")
        expected, result = self.steps.pop(0)
        matches = len(expected) == len(argv) and all(
            e is ANY or e == a for e, a in zip(expected, argv, strict=True)
        )
        if not matches:
            raise UnexpectedCommandError(f"expected {expected}, got {argv}")
        return result

    def assert_done(self) -> None:
        assert not self.steps, f"scripted commands never run: {[s[0] for s in self.steps]}"


@dataclass
class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FlagEvent:
    """A cancel event that becomes set after ``after`` calls to is_set()."""

    def __init__(self, after: int) -> None:
        self.remaining = after

    def is_set(self) -> bool:
        self.remaining -= 1
        return self.remaining < 0
