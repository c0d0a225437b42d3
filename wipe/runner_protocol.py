"""The seam through which wipe runs external programs (hdparm, nvme-cli, ...).

``wipe`` never imports ``bench_agent``; instead it accepts any object that
structurally matches :class:`Runner`. bench_agent's ``LiveHost`` and
``RecordedHost`` fit as they are; tests use small replaying doubles.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class RunResult(Protocol):
    """What a runner returns for one command.

    ``returncode`` is None when the program could not be started or was killed
    (not found, timeout): an exit code must never be invented in that case.
    """

    @property
    def returncode(self) -> int | None: ...

    @property
    def stdout(self) -> bytes: ...

    @property
    def stderr(self) -> bytes: ...


@runtime_checkable
class Runner(Protocol):
    """Runs one command given as an argv list (never a shell string)."""

    def run(self, argv: list[str], timeout_s: float) -> RunResult: ...


def excerpt(data: bytes, limit: int = 4000) -> str:
    """Decoded, bounded text of a command's output for certificates and logs."""
    text = data.decode("utf-8", errors="replace")
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} characters truncated]"


def command_record(argv: list[str], result: RunResult, limit: int = 4000) -> dict[str, object]:
    """The JSON-ready record of one command run, as listed in ``FirmwareOutcome.commands``."""
    return {
        "argv": list(argv),
        "returncode": result.returncode,
        "stdout": excerpt(result.stdout, limit),
        "stderr": excerpt(result.stderr, limit),
    }
