"""The live host: this machine's files and commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from bench_agent.host.base import CommandResult, Recording, decode_text

_ENV_KEEP = ("PATH", "HOME", "TMPDIR")


def command_env() -> dict[str, str]:
    """A minimal environment with LANG=C for one call, never process-wide."""
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    # Debian keeps smartctl, dmidecode, hdparm in sbin, which a user PATH may miss.
    for extra in ("/usr/sbin", "/sbin"):
        if extra not in env["PATH"].split(":"):
            env["PATH"] += ":" + extra
    env["LANG"] = "C"
    env["LC_ALL"] = "C"
    return env


class LiveHost:
    """Reads this machine. If ``recording`` is given, every answer is also kept there."""

    name = "live"

    def __init__(self, recording: Recording | None = None) -> None:
        self._rec = recording
        self._env = command_env()
        if recording is not None:
            recording.root = self.is_root()

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        data: bytes | None
        try:
            with open(path, "rb") as fh:
                data = fh.read(max_bytes)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            data = None
        except OSError:
            # Permission denied or an attribute the driver refuses (EIO, ENODATA):
            # for inventory purposes the value is unavailable.
            data = None
        if self._rec is not None:
            self._rec.files[path] = data
        return data

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else decode_text(data)

    def list_dir(self, path: str) -> list[str] | None:
        try:
            names: list[str] | None = sorted(os.listdir(path))
        except OSError:
            names = None
        if self._rec is not None:
            self._rec.listings[path] = names
        return names

    def realpath(self, path: str) -> str | None:
        target = os.path.realpath(path) if os.path.lexists(path) else None
        if self._rec is not None:
            self._rec.links[path] = target
        return target

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                argv,
                capture_output=True,
                env=self._env,
                timeout=timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            result = CommandResult(
                tuple(argv),
                proc.returncode,
                proc.stdout,
                proc.stderr,
                duration_s=time.perf_counter() - start,
            )
        except FileNotFoundError:
            result = CommandResult(tuple(argv), None, error="not-found")
        except PermissionError:
            result = CommandResult(tuple(argv), None, error="permission")
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout if isinstance(exc.stdout, bytes) else b""
            result = CommandResult(
                tuple(argv), None, out, error="timeout", duration_s=time.perf_counter() - start
            )
        if self._rec is not None:
            self._rec.commands.append(result)
        return result

    def is_root(self) -> bool:
        return os.geteuid() == 0

    def which(self, program: str) -> str | None:
        found = shutil.which(program, path=self._env["PATH"])
        if self._rec is not None:
            self._rec.which[program] = found
        return found
