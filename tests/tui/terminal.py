"""The real ``bench-agent`` in a tmux pane of 80×25 with ``TERM=linux``: keys sent as a
keyboard or a scanner sends them, the screen read back as text."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.support.requirements import require_program

WIDTH, HEIGHT = 80, 25
REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """One tmux server of its own, one pane."""

    def __init__(self, folder: Path, environ: Mapping[str, str], argv: list[str]) -> None:
        self.tmux = require_program("tmux")
        self.folder = folder
        # A server of its own, by name (a socket path under a deep test folder could
        # pass the 108 bytes a Unix socket path allows).
        self.server = f"bench-test-{uuid.uuid4().hex[:12]}"
        self.config = folder / "tmux.conf"
        # No status line (the pane is the whole 80×25), the pane kept when the app dies
        # (to read its exit status), no delay after Échap.
        self.config.write_text(
            "set -g status off\nset -g remain-on-exit on\nset -s escape-time 0\n",
            encoding="utf-8",
        )
        env = " ".join(shlex.quote(f"{k}={v}") for k, v in environ.items())
        self.command = f"cd {shlex.quote(str(REPO))} && exec env -i {env} {shlex.join(argv)}"

    def run(self, *args: str) -> str:
        return subprocess.run(
            [self.tmux, "-u", "-L", self.server, "-f", str(self.config), *args],
            check=True,
            capture_output=True,
            encoding="utf-8",
            timeout=20,
        ).stdout

    def start(self) -> None:
        self.run(
            "new-session", "-d", "-s", "bench", "-x", str(WIDTH), "-y", str(HEIGHT), self.command
        )
        self.socket_path = Path(self.run("display-message", "-p", "#{socket_path}").strip())

    def restart(self) -> None:
        """The same command again in the same pane (the bench switched on again)."""
        self.run("respawn-pane", "-k", "-t", "bench", self.command)

    def close(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.server, "kill-server"], capture_output=True, check=False
        )
        socket_path = getattr(self, "socket_path", None)
        if socket_path is not None:
            socket_path.unlink(missing_ok=True)

    # -- reading ----------------------------------------------------------------------

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "bench")

    def pane(self, what: str) -> str:
        return self.run("display-message", "-p", "-t", "bench", what).strip()

    @property
    def pid(self) -> int:
        return int(self.pane("#{pane_pid}"))

    @property
    def dead(self) -> bool:
        return self.pane("#{pane_dead}") == "1"

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        """Poll the screen until ``check`` holds; the screen then."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            dead = self.dead
            shown = self.screen()
            if check(shown):
                return shown
            if dead:  # nothing will change any more
                break
            time.sleep(0.1)  # polling a real terminal, not a timing assertion
        raise AssertionError(f"never on screen: {what}\n{shown}")

    def wait_text(self, *texts: str, timeout: float = 20.0) -> str:
        return self.wait_for(lambda s: all(t in s for t in texts), " + ".join(texts), timeout)

    # -- typing -----------------------------------------------------------------------

    def keys(self, *names: str) -> None:
        """tmux key names: Enter, Escape, a digit..."""
        self.run("send-keys", "-t", "bench", *names)

    def type(self, text: str) -> None:
        """Every character in one write, as a barcode scanner sends them."""
        self.run("send-keys", "-t", "bench", "-l", text)

    def kill9(self) -> None:
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not self.dead:
            if time.monotonic() > deadline:
                raise AssertionError(f"process {pid} still alive after SIGKILL")
            time.sleep(0.05)  # waiting for the kernel to reap it, not a timing assertion


def bench_command(host_dir: Path) -> list[str]:
    """``bench-agent --app-host-dir DIR``, from this virtual environment."""
    return [sys.executable, "-m", "bench_agent", "--app-host-dir", str(host_dir)]


def bench_live_command() -> list[str]:
    """``bench-agent`` on this machine: its own disks are the unit's."""
    return [sys.executable, "-m", "bench_agent"]


def bench_environ(home: Path, tmp: Path) -> dict[str, str]:
    return {
        "TERM": "linux",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "BENCH_AGENT_HOME": str(home),
        "BENCH_AGENT_OPERATOR": "Samia",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def sitting(home: Path) -> dict[str, Any]:
    """The sitting on disk now ({} while there is none)."""
    try:
        data: dict[str, Any] = json.loads((home / "sittings" / "current.json").read_bytes())
    except (FileNotFoundError, ValueError):
        return {}
    return data


def wait_sitting(home: Path, check: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = sitting(home)
        if found and check(found):
            return found
        time.sleep(0.05)  # polling a file another process writes, not a timing assertion
    raise AssertionError(f"the sitting never had {what}: {sitting(home)}")


# -- what must never be on a technician's screen ------------------------------------------

PATH_LIKE = re.compile(r"(?<![\w.])/(?:[\w.-]+/)+[\w.-]*")
DEVELOPER_WORDS = ("Traceback", "Error", "Exception", 'File "', "bench_agent.", "<module>")


def developer_text(screen: str) -> list[str]:
    """Lines showing a traceback, an exception name or a file path."""
    return [
        line
        for line in screen.splitlines()
        if any(w in line for w in DEVELOPER_WORDS) or PATH_LIKE.search(line)
    ]


def step_row(screen: str, number: int) -> str:
    rows = [line for line in screen.splitlines() if re.match(rf"\s*│ {number} \S", line)]
    assert len(rows) == 1, screen
    return rows[0]
