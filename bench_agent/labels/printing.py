"""The CUPS commands that print a label, and what their answers mean.

Pure: argv lists to hand to the host seam (``Host.run``) and parsers of what
``lp`` and ``lpstat`` printed (run with ``LANG=C``, so English messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bench_agent.host.base import CommandResult

LpProblem = Literal["no-queue", "not-accepting", "not-installed", "timeout", "refused"]

_REQUEST_ID = re.compile(r"request id is (\S+)")


@dataclass(frozen=True)
class LpOutcome:
    job_id: str | None
    """The CUPS job id (``BENCH_PDF-12``) when the spooler took the job."""
    problem: LpProblem | None = None
    detail: str = ""
    """What lp said, for the technician and the logs."""

    @property
    def ok(self) -> bool:
        return self.job_id is not None


def _server_args(server: str | None) -> list[str]:
    return ["-h", server] if server else []


def lp_argv(
    queue: str,
    file: str,
    *,
    copies: int,
    media: str,
    title: str,
    server: str | None = None,
) -> list[str]:
    """``lp -d QUEUE -n N -o media=Custom.WxHmm -t TITLE FILE`` (``-h`` for a remote CUPS)."""
    return [
        "lp",
        *_server_args(server),
        "-d",
        queue,
        "-n",
        str(copies),
        "-o",
        f"media={media}",
        "-t",
        title,
        "--",
        file,
    ]


def scheduler_argv(server: str | None = None) -> list[str]:
    return ["lpstat", *_server_args(server), "-r"]


def queues_argv(server: str | None = None) -> list[str]:
    return ["lpstat", *_server_args(server), "-e"]


def queue_state_argv(queue: str, server: str | None = None) -> list[str]:
    return ["lpstat", *_server_args(server), "-p", queue]


def jobs_argv(queue: str, server: str | None = None) -> list[str]:
    return ["lpstat", *_server_args(server), "-o", queue]


def cancel_argv(job_id: str, server: str | None = None) -> list[str]:
    return ["cancel", *_server_args(server), job_id]


def job_pending(result: CommandResult, job_id: str) -> bool:
    """From ``lpstat -o QUEUE``: the job still waits or prints (not completed)."""
    if not result.ok:
        return False
    return any(line.split()[:1] == [job_id] for line in result.text().splitlines())


_UNREACHABLE = (
    "may not exist or is unavailable",  # socket/ipp backends: nothing answers
    "not responding",
    "waiting for printer to become available",  # usb backend: unplugged or off
    "unable to connect",
    "connection refused",
    "not connected",
)


def printer_unreachable(result: CommandResult) -> str | None:
    """From ``lpstat -p QUEUE``: the printer's state message when it says CUPS cannot
    reach the printer (off, unplugged, off the network), else None."""
    if not result.ok:
        return None
    lines = result.text().splitlines()
    message = " ".join(line.strip() for line in lines[1:] if line.strip())
    lowered = message.lower()
    return message[:200] if any(m in lowered for m in _UNREACHABLE) else None


def scheduler_running(result: CommandResult) -> bool | None:
    """From ``lpstat -r``: True, False, or None when lpstat could not run."""
    if result.error is not None:
        return None
    text = (result.stdout + result.stderr).decode("utf-8", errors="replace").lower()
    if "not running" in text:
        return False
    return "is running" in text or None


def queue_names(result: CommandResult) -> list[str]:
    """From ``lpstat -e``: the destination names."""
    if not result.ok:
        return []
    return [line.strip() for line in result.text().splitlines() if line.strip()]


def queue_disabled(result: CommandResult) -> bool:
    """From ``lpstat -p QUEUE``: the queue holds jobs instead of printing them."""
    return result.ok and " disabled" in result.text()


def queue_stopped_reason(result: CommandResult) -> str | None:
    """From ``lpstat -p QUEUE``: None when the queue prints; when it is stopped
    (``cupsdisable``, or CUPS stopped it after its printer failed: off, unplugged, out
    of media), the reason CUPS gives ("" when none)."""
    if not queue_disabled(result):
        return None
    lines = result.text().splitlines()
    reason = " ".join(line.strip() for line in lines[1:] if line.strip())
    return reason[:200]


def parse_lp_result(result: CommandResult) -> LpOutcome:
    """What ``lp`` answered: a job id, or why there is none."""
    if result.error == "not-found":
        return LpOutcome(None, "not-installed", "lp")
    if result.error == "timeout":
        return LpOutcome(None, "timeout", "lp")
    if result.error is not None:
        return LpOutcome(None, "refused", result.error)
    said = (result.stdout + b"\n" + result.stderr).decode("utf-8", errors="replace").strip()
    found = _REQUEST_ID.search(said)
    if result.returncode == 0 and found:
        return LpOutcome(found.group(1))
    lowered = said.lower()
    if "does not exist" in lowered or "unknown destination" in lowered:
        return LpOutcome(None, "no-queue", said)
    if "not accepting jobs" in lowered:
        return LpOutcome(None, "not-accepting", said)
    return LpOutcome(None, "refused", said or f"exit status {result.returncode}")
