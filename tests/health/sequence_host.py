"""A test double host that replays successive recorded outputs for the same argv.

Each argv maps to a list of outputs; every call returns the next one and the
last one repeats. Anything not scripted fails loudly, like RecordedHost.
"""

from __future__ import annotations

from bench_agent.host.base import CommandResult


class SequenceHost:
    name = "sequence"

    def __init__(self, script: dict[tuple[str, ...], list[tuple[int, bytes]]]) -> None:
        self._script = {argv: list(outputs) for argv, outputs in script.items()}
        self._served: dict[tuple[str, ...], int] = {}
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        key = tuple(argv)
        self.calls.append(key)
        if key not in self._script:
            raise LookupError(f"SequenceHost has no scripted output for {argv!r}")
        outputs = self._script[key]
        index = self._served.get(key, 0)
        self._served[key] = index + 1
        returncode, stdout = outputs[min(index, len(outputs) - 1)]
        return CommandResult(key, returncode, stdout)

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        raise LookupError(f"SequenceHost reads no files ({path})")

    def read_text(self, path: str) -> str | None:
        raise LookupError(f"SequenceHost reads no files ({path})")

    def list_dir(self, path: str) -> list[str] | None:
        raise LookupError(f"SequenceHost lists no directories ({path})")

    def realpath(self, path: str) -> str | None:
        raise LookupError(f"SequenceHost resolves no links ({path})")

    def is_root(self) -> bool:
        return True

    def which(self, program: str) -> str | None:
        return f"/usr/sbin/{program}"


class FakeClock:
    """Monotonic clock and sleep: sleeping advances time, nobody waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
