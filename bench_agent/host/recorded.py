"""A recorded host: replays a fixture folder written by ``bench-agent record``.

Layout of a fixture folder::

    host.json              root flag, directory listings, symlink targets,
                           programs found on PATH, paths recorded as absent
    fs/<path>              the bytes of every file that was read (``fs/sys/class/...``)
    commands/<slug>.json   argv, return code, error and stderr of one command
    commands/<slug>.out    its stdout, byte for byte

Anything asked that was never recorded raises :class:`FixtureMissingError`
naming the path or argv and the function that wanted it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from bench_agent.host.base import CommandResult, FixtureMissingError, Recording, decode_text

FORMAT_VERSION = 1


def command_slug(argv: list[str] | tuple[str, ...]) -> str:
    """A readable, filesystem-safe file name for one argv."""
    joined = "_".join(a.strip("/").replace("/", "-") for a in argv)
    slug = re.sub(r"[^A-Za-z0-9._=,+-]+", "-", joined).strip("-")
    return slug[:120] or "empty"


def _caller() -> str:
    """Name the function outside this module (the probe) that asked for the read."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"


class RecordedHost:
    """Replays a fixture folder. Read-only, deterministic."""

    def __init__(self, fixture_dir: str | Path) -> None:
        self.dir = Path(fixture_dir)
        self.name = f"recorded:{self.dir.name}"
        meta_path = self.dir / "host.json"
        try:
            meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"{meta_path}: not a recorded host (no host.json)") from exc
        except json.JSONDecodeError as exc:
            raise ValueError(f"{meta_path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        self._root = bool(meta.get("root", False))
        self._listings: dict[str, list[str] | None] = meta.get("listings", {})
        self._links: dict[str, str | None] = meta.get("links", {})
        self._which: dict[str, str | None] = meta.get("which", {})
        self._absent: set[str] = set(meta.get("absent", []))
        self._commands: dict[tuple[str, ...], Path] = {}
        cmd_dir = self.dir / "commands"
        if cmd_dir.is_dir():
            for meta_file in sorted(cmd_dir.glob("*.json")):
                argv = tuple(json.loads(meta_file.read_text(encoding="utf-8"))["argv"])
                self._commands[argv] = meta_file

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        if path in self._absent:
            return None
        file = self.dir / "fs" / path.lstrip("/")
        if file.is_file():
            return file.read_bytes()[:max_bytes]
        raise FixtureMissingError(str(self.dir), f"file {path}", _caller())

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else decode_text(data)

    def list_dir(self, path: str) -> list[str] | None:
        if path in self._listings:
            return self._listings[path]
        raise FixtureMissingError(str(self.dir), f"directory listing {path}", _caller())

    def realpath(self, path: str) -> str | None:
        if path in self._links:
            return self._links[path]
        raise FixtureMissingError(str(self.dir), f"symlink target of {path}", _caller())

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        meta_file = self._commands.get(tuple(argv))
        if meta_file is None:
            raise FixtureMissingError(str(self.dir), f"command {argv!r}", _caller())
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        out_file = meta_file.with_suffix(".out")
        stdout = out_file.read_bytes() if out_file.is_file() else b""
        return CommandResult(
            tuple(argv),
            meta.get("returncode"),
            stdout,
            meta.get("stderr", "").encode("utf-8", errors="surrogateescape"),
            error=meta.get("error"),
        )

    def is_root(self) -> bool:
        return self._root

    def which(self, program: str) -> str | None:
        if program in self._which:
            return self._which[program]
        raise FixtureMissingError(str(self.dir), f"PATH lookup of {program!r}", _caller())


def write_recording(recording: Recording, fixture_dir: str | Path, description: str = "") -> Path:
    """Write what a live host was asked as a fixture folder that RecordedHost replays."""
    out = Path(fixture_dir)
    out.mkdir(parents=True, exist_ok=True)
    absent = sorted(p for p, data in recording.files.items() if data is None)
    for path, data in recording.files.items():
        if data is None:
            continue
        target = out / "fs" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    cmd_dir = out / "commands"
    seen: set[str] = set()
    for result in recording.commands:
        slug = command_slug(result.argv)
        if slug in seen:
            continue  # the same argv twice: the first answer is the recording
        seen.add(slug)
        cmd_dir.mkdir(parents=True, exist_ok=True)
        meta = {
            "argv": list(result.argv),
            "returncode": result.returncode,
            "error": result.error,
            "stderr": result.stderr.decode("utf-8", errors="replace"),
        }
        (cmd_dir / f"{slug}.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (cmd_dir / f"{slug}.out").write_bytes(result.stdout)
    host_meta = {
        "format": FORMAT_VERSION,
        "description": description,
        "root": recording.root,
        "listings": dict(sorted(recording.listings.items())),
        "links": dict(sorted(recording.links.items())),
        "which": dict(sorted(recording.which.items())),
        "absent": absent,
    }
    (out / "host.json").write_text(
        json.dumps(host_meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out
