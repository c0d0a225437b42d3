"""The host interface shared by the live host and its recorded twin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What one command printed and returned."""

    argv: tuple[str, ...]
    returncode: int | None
    """None when the command could not run (not installed, timed out)."""
    stdout: bytes = b""
    stderr: bytes = b""
    error: str | None = None
    """Why the command could not run: ``not-found``, ``timeout``, ``permission``."""
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.error is None

    def text(self) -> str:
        """stdout decoded as UTF-8, invalid bytes replaced (command output is advisory text)."""
        return self.stdout.decode("utf-8", errors="replace")


class FixtureMissingError(LookupError):
    """A recorded host was asked for something its fixture folder never recorded."""

    def __init__(self, fixture_dir: str, what: str, caller: str) -> None:
        self.fixture_dir = fixture_dir
        self.what = what
        self.caller = caller
        super().__init__(
            f"recorded host {fixture_dir!r} has no recording of {what} "
            f"(wanted by {caller}); re-record the machine with `bench-agent record DIR`"
        )
        self.message_fr = (
            f"la machine enregistrée {fixture_dir!r} n'a pas d'enregistrement de {what} "
            f"(demandé par {caller}) ; réenregistrez-la avec `bench-agent record DIR`"
        )


class Host(Protocol):
    """Read-only access to a machine: files, directory listings, links and commands.

    Absent things are answered with ``None`` (an absent file is real data: no
    battery, no DMI). A recorded host raises :class:`FixtureMissingError` for
    anything it never recorded, present or absent.
    """

    name: str

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None: ...

    def read_text(self, path: str) -> str | None:
        """File content stripped of trailing whitespace; invalid UTF-8 kept as surrogates."""
        ...

    def list_dir(self, path: str) -> list[str] | None: ...

    def realpath(self, path: str) -> str | None: ...

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult: ...

    def is_root(self) -> bool: ...

    def which(self, program: str) -> str | None: ...


@dataclass(slots=True)
class Recording:
    """Everything a live host was asked, to be written as a fixture folder."""

    files: dict[str, bytes | None] = field(default_factory=dict)
    listings: dict[str, list[str] | None] = field(default_factory=dict)
    links: dict[str, str | None] = field(default_factory=dict)
    commands: list[CommandResult] = field(default_factory=list)
    which: dict[str, str | None] = field(default_factory=dict)
    root: bool = False


def decode_text(data: bytes) -> str:
    """Decode sysfs/procfs text: strip trailing whitespace, keep bad bytes as surrogates.

    Keeping them (instead of replacing) lets probes recognise non-UTF-8 DMI
    strings as junk rather than print mojibake.
    """
    return data.decode("utf-8", errors="surrogateescape").rstrip("\n\r\t \x00")
