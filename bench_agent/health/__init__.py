"""Disk health: smartctl collection, JSON/text parsing, verdict, self-test, read check.

Entry points: :func:`check_all` (every drive of a host, for the UnitReport),
:func:`check_device`, :func:`assess_output` (a saved smartctl output) and
:func:`load_policy`. Collection goes through the host seam only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from bench_agent.health.collect import assess_output, check_device, parse_output
from bench_agent.health.policy import Policy, PolicyError, load_policy
from bench_agent.health.smart import SmartctlOutputError, SmartData
from bench_agent.health.verdict import assess, decode_exit_status, unknown
from bench_agent.host.base import FixtureMissingError, Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Disk
from bench_agent.probes import storage

if TYPE_CHECKING:
    from bench_agent.health.selftest import SelfTestProgress

__all__ = [
    "DiskHealth",
    "Policy",
    "PolicyError",
    "SmartData",
    "SmartctlOutputError",
    "assess",
    "assess_output",
    "check_all",
    "check_device",
    "decode_exit_status",
    "list_drives",
    "load_policy",
    "parse_output",
]


def _probe(host: Host) -> list[Disk]:
    """The storage probe's disks (its notes are the inventory's business, not health's)."""
    notes: list[Note] = []
    return storage.probe_disks(host, notes)


def list_drives(host: Host) -> list[tuple[str, str | None]]:
    """(path, transport) of every internal drive, as grading counts them: the boot
    medium, removable media and USB disks are left out (name a device to check one)."""
    return [
        (d.path, d.transport)
        for d in _probe(host)
        if not d.boot_medium and not d.removable and d.transport != "usb"
    ]


def _transports(host: Host, devices: list[str]) -> list[tuple[str, str | None]]:
    """Named devices with their transport when the storage probe can tell (USB: bridge sweep)."""
    try:
        disks = _probe(host)
    except LookupError:
        disks = []  # a recorded host without /sys: the transport stays unknown
    by_path = {d.path: d.transport for d in disks}
    return [(device, by_path.get(device)) for device in devices]


def check_all(
    host: Host,
    devices: list[str] | None = None,
    policy: Policy | None = None,
    *,
    read_check_mib: int | None = None,
    now: Callable[[], datetime] | None = None,
    self_test: Literal["short", "extended"] | None = None,
    on_progress: Callable[[SelfTestProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> list[DiskHealth]:
    """Health of every drive (or of ``devices``) of a host, for ``UnitReport.health``.

    Without ``self_test`` and ``read_check_mib`` this only runs smartctl once per
    drive (well under a second for a laptop); a self-test waits for the drive.
    """
    policy = policy or load_policy()
    clock = now or (lambda: datetime.now(UTC))
    targets = _transports(host, devices) if devices else list_drives(host)
    results: list[DiskHealth] = []
    for path, transport in targets:
        try:
            health = check_device(host, path, policy, transport)
        except FixtureMissingError as exc:
            # A machine recorded without its smartctl answers: its drives are not assessable.
            health = unknown(
                path,
                "smartctl.not_recorded",
                _t(
                    "Pas de sortie smartctl enregistrée pour {path} ({what}).",
                    path=path,
                    what=exc.what,
                ),
                "none",
            )
            health.checked_at = clock().isoformat(timespec="seconds")
            results.append(health)
            continue
        if self_test and health.verdict != "UNKNOWN":
            from bench_agent.health.selftest import apply_self_test, not_recorded, run_self_test

            passthrough = health.device_type not in (None, "sat", "ata", "nvme", "scsi")
            try:
                result = run_self_test(
                    host,
                    path,
                    self_test,
                    device_type=health.device_type if passthrough else None,
                    on_progress=on_progress,
                    should_cancel=should_cancel,
                )
            except FixtureMissingError:
                result = not_recorded(self_test)
            apply_self_test(health, result, policy)
        if read_check_mib:
            from bench_agent.health.readcheck import apply_read_check, not_this_machine

            if host.name == "live":
                apply_read_check(health, path, read_check_mib, policy)
            else:
                # A recorded machine's /dev/sda is not this machine's: never read it here.
                health.findings.append(not_this_machine(host.name))
        health.checked_at = clock().isoformat(timespec="seconds")
        results.append(health)
    return results
