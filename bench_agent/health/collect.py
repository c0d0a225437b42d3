"""Running smartctl through the host seam and turning its output into a verdict.

``smartctl --json=c -x DEVICE`` (smartctl >= 7) is the one query; behind a USB
bridge smartctl may not know the bridge ("Unknown USB bridge") or pick the
wrong pass-through, so the known ``-d`` types are tried in turn and the first
one that yields SMART data wins. Every failure is an answer (UNKNOWN with the
reason), never an exception.
"""

from __future__ import annotations

from bench_agent.health.json_parser import looks_like_json, parse_smartctl_json
from bench_agent.health.policy import Policy
from bench_agent.health.smart import SmartctlOutputError, SmartData
from bench_agent.health.text_parser import parse_smartctl_text
from bench_agent.health.verdict import assess, unknown
from bench_agent.host.base import CommandResult, Host
from bench_agent.i18n import _t
from bench_agent.model.common import Text
from bench_agent.model.health import DiskHealth

SMARTCTL_TIMEOUT_S = 60.0
"""A sleeping HDD spins up and a slow bridge answers within this."""

USB_ATA_TYPES = ("sat", "usbjmicron", "usbasm1352r", "usbsunplus", "usbcypress")
"""USB-to-SATA pass-through types smartctl knows, most common first."""
USB_NVME_TYPES = ("sntasmedia", "sntjmicron", "sntrealtek")
"""USB-to-NVMe pass-through types (smartctl >= 7.3)."""


def smartctl_argv(device: str, device_type: str | None = None, json: bool = True) -> list[str]:
    argv = ["smartctl", "--json=c", "-x"] if json else ["smartctl", "-x"]
    if device_type:
        argv += ["-d", device_type]
    argv.append(device)
    return argv


def parse_output(data: bytes | str) -> SmartData:
    """Parse smartctl output, JSON or text; raise SmartctlOutputError when it is neither."""
    if looks_like_json(data):
        return parse_smartctl_json(data)
    return parse_smartctl_text(data)


def assess_output(
    data: bytes | str, policy: Policy, device: str, exit_status: int | None = None
) -> DiskHealth:
    """Verdict for one saved or captured smartctl output; bad input gives UNKNOWN with a reason."""
    try:
        smart = parse_output(data)
    except SmartctlOutputError as exc:
        return unknown(
            device,
            "smartctl.unreadable_output",
            _t("Sortie de smartctl illisible : {problem}.", problem=Text(fr=exc.fr, en=exc.en)),
            None,
        )
    except (TypeError, AttributeError, KeyError, IndexError, RecursionError) as exc:
        # Last line of defence: a structure no rule expected must still be an answer.
        return unknown(
            device,
            "smartctl.unexpected_output",
            _t("Sortie de smartctl inattendue ({name} : {exc}).", name=type(exc).__name__, exc=exc),
            None,
        )
    if smart.exit_status is None:
        smart.exit_status = exit_status
    return assess(smart, policy, device)


def _has_smart(smart: SmartData) -> bool:
    return bool(smart.ata_attributes or smart.nvme is not None or smart.passed is not None)


def _run(
    host: Host, device: str, device_type: str | None
) -> tuple[CommandResult, SmartData | None]:
    result = host.run(smartctl_argv(device, device_type), timeout_s=SMARTCTL_TIMEOUT_S)
    if (
        result.returncode is not None
        and result.returncode & 1
        and b"UNRECOGNIZED OPTION" in result.stdout + result.stderr
    ):
        # smartctl < 7 has no --json: ask for the text report, read through pySMART.
        result = host.run(
            smartctl_argv(device, device_type, json=False), timeout_s=SMARTCTL_TIMEOUT_S
        )
    if result.error is not None or not result.stdout.strip():
        return result, None
    try:
        smart = parse_output(result.stdout)
    except SmartctlOutputError:
        return result, None
    if smart.exit_status is None:
        smart.exit_status = result.returncode
    return result, smart


def collect_smart(
    host: Host, device: str, transport: str | None = None
) -> tuple[CommandResult, SmartData | None]:
    """Query smartctl for one device, trying USB bridge types when needed."""
    result, smart = _run(host, device, None)
    if result.error is not None:
        return result, smart
    if smart is not None and _has_smart(smart):
        return result, smart
    bridge_said = smart is not None and any("USB bridge" in m for m in smart.messages)
    if transport == "usb" or bridge_said:
        for device_type in USB_ATA_TYPES + USB_NVME_TYPES:
            tried, tried_smart = _run(host, device, device_type)
            if tried_smart is not None and _has_smart(tried_smart):
                return tried, tried_smart
    return result, smart


def check_device(
    host: Host, device: str, policy: Policy, transport: str | None = None
) -> DiskHealth:
    """Query and judge one device (no self-test, no read check)."""
    result, smart = collect_smart(host, device, transport)
    if result.error == "not-found":
        return unknown(
            device,
            "smartctl.missing",
            _t("smartctl est introuvable (paquet Debian smartmontools)."),
            "none",
        )
    if result.error is not None:
        return unknown(
            device,
            f"smartctl.{result.error}",
            _t("smartctl n'a pas répondu ({error}).", error=result.error),
            "none",
        )
    if smart is None:
        return assess_output(result.stdout, policy, device, result.returncode)
    health = assess(smart, policy, device)
    return health
