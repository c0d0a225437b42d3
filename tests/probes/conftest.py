"""Helpers for the probe tests: small recorded hosts written on the fly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench_agent.host.recorded import RecordedHost, command_slug

MakeHost = Callable[..., RecordedHost]


def write_host(
    target: Path,
    *,
    files: dict[str, bytes | str] | None = None,
    listings: dict[str, list[str] | None] | None = None,
    links: dict[str, str | None] | None = None,
    which: dict[str, str | None] | None = None,
    absent: list[str] | None = None,
    commands: dict[tuple[str, ...], tuple[int | None, bytes, str | None]] | None = None,
    root: bool = True,
) -> RecordedHost:
    """A RecordedHost folder in the format `bench-agent record` writes.

    A disk listed in /sys/block without a ``dev`` file is recorded without one (so
    without a udev entry either): tests that need udev give both.
    """
    target.mkdir(parents=True, exist_ok=True)
    absent = list(absent or [])
    for disk in (listings or {}).get("/sys/block") or []:
        dev = f"/sys/block/{disk}/dev"
        if dev not in (files or {}) and dev not in absent:
            absent.append(dev)
    for path, data in (files or {}).items():
        file = target / "fs" / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data.encode() + b"\n" if isinstance(data, str) else data)
    for argv, (code, stdout, error) in (commands or {}).items():
        cmd_dir = target / "commands"
        cmd_dir.mkdir(exist_ok=True)
        slug = command_slug(list(argv))
        meta: dict[str, Any] = {
            "argv": list(argv),
            "returncode": code,
            "error": error,
            "stderr": "",
        }
        (cmd_dir / f"{slug}.json").write_text(json.dumps(meta))
        (cmd_dir / f"{slug}.out").write_bytes(stdout)
    meta = {
        "format": 1,
        "root": root,
        "listings": listings or {},
        "links": links or {},
        "which": which or {},
        "absent": absent,
    }
    (target / "host.json").write_text(json.dumps(meta))
    return RecordedHost(target)


@pytest.fixture
def make_host(tmp_path: Path) -> MakeHost:
    counter = iter(range(1000))

    def make(**kwargs: Any) -> RecordedHost:
        return write_host(tmp_path / f"host{next(counter)}", **kwargs)

    return make
