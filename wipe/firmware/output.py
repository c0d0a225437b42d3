"""Judging a command's result from what it printed, not from its exit code.

hdparm exits 0 when the drive aborted the command (QEMU's emulated SATA disk:
``--security-erase`` returns 0, prints an ATA error on stderr and erases
nothing); hdparm also prints nothing at all and exits 0 on a device that does
not speak ATA (a loop device). So every result is checked for failure markers,
and steps that have a positive confirmation line require it.
"""

from __future__ import annotations

from dataclasses import dataclass

from wipe.runner_protocol import Runner, RunResult, command_record

FAILURE_MARKERS: tuple[str, ...] = (
    "aborted command",  # sense key printed when the drive refused the command
    "bad/missing sense data",  # SG_IO got no usable status back
    "questionable sense data",
    "invalid exchange",  # EBADE: hdparm's errno for an ATA error status
    "input/output error",
    "operation not permitted",
    "permission denied",
    "invalid argument",
    "inappropriate ioctl",
    "no such file or directory",
    "no such device",
    "not supported",  # "SANITIZE feature set is not supported", nvme "... not supported"
    "program aborted",  # hdparm refused without --yes-i-know-what-i-am-doing
    "failed",  # "SANITIZE failed", "HDIO_DRIVE_CMD(identify) failed", "ERASE_PREPARE"...
    "nvme status:",  # nvme-cli: the controller answered with an error status
    "error:",
    "timed out",
)


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def failure_in(result: RunResult, *, ignore: tuple[str, ...] = ()) -> str | None:
    """Why ``result`` must be treated as a failure, or None if nothing says so.

    ``ignore`` lists markers that are expected in a successful output of this
    particular command (none today; kept for drive quirks documented per call).
    """
    if result.returncode is None:
        error = getattr(result, "error", None)
        return f"the command did not run to completion ({error or 'not run'})"
    text = decode(result.stdout) + "\n" + decode(result.stderr)
    lowered = text.lower()
    for marker in FAILURE_MARKERS:
        if marker in ignore or marker not in lowered:
            continue
        line = next((ln.strip() for ln in text.splitlines() if marker in ln.lower()), marker)
        return f"output says {line!r}"
    if result.returncode != 0:
        return f"exit status {result.returncode}"
    return None


@dataclass(frozen=True, slots=True)
class NotRun:
    """Stands for a command the runner could not start (it raised OSError)."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    error: str


class CommandLog:
    """Runs commands through the injected runner and keeps every result as evidence."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.records: list[dict[str, object]] = []

    def run(self, argv: list[str], timeout_s: float) -> RunResult:
        """Run and keep the result as evidence."""
        result = self.run_unrecorded(argv, timeout_s)
        self.records.append(command_record(argv, result))
        return result

    def run_unrecorded(self, argv: list[str], timeout_s: float) -> RunResult:
        """Run without recording (status polls record only what changed)."""
        try:
            return self.runner.run(argv, timeout_s)
        except OSError as exc:
            # A runner that raises instead of reporting: keep it a recorded failure.
            return NotRun(None, b"", str(exc).encode(), error=f"{type(exc).__name__}: {exc}")
