"""The Host protocol over the QEMU guest's command channel (test infrastructure).

Every read is one shell line run in the guest: files through ``head -c``,
listings through ``ls -1A``, links through ``readlink -f``, commands with
LANG=C under busybox ``timeout``. Absent things are ``None`` as on the live
host (bench_agent/host/live.py); the channel is shared by the inventory's
threaded probes, hence the lock.
"""

from __future__ import annotations

import shlex
import threading
import time

from qemu_guest import GuestRunner

from bench_agent.host.base import CommandResult, decode_text
from wipe.system import SystemView

_NOT_FOUND = b"GUEST-HOST: not found\n"
_CHANNEL_TIMEOUT_S = 30.0


class GuestHost:
    """A bench_agent Host whose files and commands are those of the QEMU guest (root)."""

    name = "qemu-guest"

    def __init__(self, runner: GuestRunner) -> None:
        self._runner = runner
        self._lock = threading.Lock()

    def _sh(self, script: str, timeout_s: float = _CHANNEL_TIMEOUT_S) -> tuple[int | None, bytes]:
        with self._lock:
            result = self._runner.run(["sh", "-c", script], timeout_s)
        return result.returncode, result.stdout

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        # head fails on a missing file, a directory and an attribute the driver refuses,
        # which the live host also answers with None.
        rc, out = self._sh(f"head -c {int(max_bytes)} {shlex.quote(path)}")
        return out if rc == 0 else None

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else decode_text(data)

    def list_dir(self, path: str) -> list[str] | None:
        quoted = shlex.quote(path)
        # The trailing slash makes ls list a symlinked directory's entries, as os.listdir does.
        rc, out = self._sh(f"[ -d {quoted} ] && ls -1A {shlex.quote(path.rstrip('/') + '/')}")
        if rc != 0:
            return None
        return sorted(out.decode("utf-8", errors="surrogateescape").splitlines())

    def realpath(self, path: str) -> str | None:
        quoted = shlex.quote(path)
        rc, out = self._sh(f"{{ [ -e {quoted} ] || [ -L {quoted} ]; }} && readlink -f {quoted}")
        if rc != 0:
            return None
        return out.decode("utf-8", errors="surrogateescape").rstrip("\n") or None

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        seconds = max(1, int(timeout_s + 0.999))
        script = (
            f"command -v {shlex.quote(argv[0])} >/dev/null 2>&1"
            f" || {{ printf {shlex.quote(_NOT_FOUND.decode())} >&2; exit 127; }}\n"
            f"exec timeout -s KILL {seconds} env LANG=C LC_ALL=C {shlex.join(argv)} </dev/null"
        )
        start = time.perf_counter()
        with self._lock:
            result = self._runner.run(["sh", "-c", script], timeout_s)
        duration_s = time.perf_counter() - start
        if result.returncode is None:
            return CommandResult(tuple(argv), None, error=result.error or "timeout")
        if result.returncode == 127 and result.stderr == _NOT_FOUND:
            return CommandResult(tuple(argv), None, error="not-found")
        if result.returncode == 137 and duration_s >= seconds:
            # busybox timeout killed it: the live host reports this as a timeout too.
            return CommandResult(tuple(argv), None, result.stdout, error="timeout")
        return CommandResult(
            tuple(argv), result.returncode, result.stdout, result.stderr, duration_s=duration_s
        )

    def is_root(self) -> bool:
        return True  # the guest's /init runs everything as root

    def which(self, program: str) -> str | None:
        rc, out = self._sh(f"command -v {shlex.quote(program)}")
        found = out.decode().strip()
        return found if rc == 0 and found.startswith("/") else None


class GuestView(SystemView):
    """wipe's view of /sys and /proc (wipe.system.SystemView), answered by the QEMU guest.

    Lets ``wipe.targets`` select and name the guest's drives exactly as it does on a
    bench; device paths are the guest's (``/dev/sda``), resolved as given.
    """

    def __init__(self, host: GuestHost) -> None:
        super().__init__("/")
        self._host = host

    def read_text(self, path: str) -> str | None:
        data = self._host.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="replace").strip()

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        return self._host.read_bytes(path, max_bytes)

    def list_dir(self, path: str) -> list[str]:
        return self._host.list_dir(path) or []

    def exists(self, path: str) -> bool:
        return self._host.realpath(path) is not None

    def sys_realpath(self, path: str) -> str:
        return self._host.realpath(path) or path

    def realpath(self, device_path: str) -> str:
        return device_path
