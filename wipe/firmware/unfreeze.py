"""Frozen ATA drives: find them before erasing, and unfreeze them by a suspend/resume.

Most BIOSes send SECURITY FREEZE LOCK at boot, so ATA Security Erase is refused
until the drive is power-cycled; a suspend to RAM and resume does that without
losing the session on most laptops. It is never done silently: the caller (the
``erase`` command) asks the technician, or runs it on ``--unfreeze``. The
suspend happens before any erasure starts, then each drive is asked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wipe.firmware.ata import unfreeze_command
from wipe.firmware.detect import detect
from wipe.firmware.model import FirmwareCapabilities
from wipe.firmware.output import CommandLog, failure_in
from wipe.runner_protocol import Runner

SUSPEND_S = 5
SUSPEND_TIMEOUT_S = 120.0
"""Suspend, the RTC wake-up and the resume of the devices; a stuck resume is an error."""


def is_frozen(caps: FirmwareCapabilities) -> bool:
    """True only when the drive itself said its security is frozen."""
    return caps.ata is not None and caps.ata.security_frozen is True


@dataclass(frozen=True, slots=True)
class UnfreezeReport:
    """What the suspend/resume did, drive by drive."""

    command: dict[str, object]
    """The rtcwake argv, its exit code and output excerpts (evidence)."""
    suspended: bool
    """rtcwake exited 0 and printed no failure."""
    still_frozen: tuple[str, ...]
    unfrozen: tuple[str, ...]
    unknown: tuple[str, ...]
    """Drives whose state could not be read again after the resume."""


def frozen_drives(
    runner: Runner, drives: Sequence[tuple[str, str | None]]
) -> list[FirmwareCapabilities]:
    """The capabilities of the drives in ``drives`` ((path, transport) pairs) that are frozen."""
    found = [detect(runner, path, transport=transport) for path, transport in drives]
    return [caps for caps in found if is_frozen(caps)]


def unfreeze(
    runner: Runner, drives: Sequence[tuple[str, str | None]], *, seconds: int = SUSPEND_S
) -> UnfreezeReport:
    """Suspend to RAM for ``seconds``, then ask each drive again whether it is frozen."""
    log = CommandLog(runner)
    result = log.run(unfreeze_command(seconds), SUSPEND_TIMEOUT_S)
    still: list[str] = []
    thawed: list[str] = []
    unknown: list[str] = []
    for path, transport in drives:
        caps = detect(runner, path, transport=transport)
        if caps.ata is None or caps.ata.security_frozen is None:
            unknown.append(path)
        elif caps.ata.security_frozen:
            still.append(path)
        else:
            thawed.append(path)
    return UnfreezeReport(
        command=log.records[-1],
        suspended=failure_in(result) is None,
        still_frozen=tuple(still),
        unfrozen=tuple(thawed),
        unknown=tuple(unknown),
    )
