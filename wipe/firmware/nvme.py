"""NVMe: parsers for nvme-cli 2.x JSON output and builders for its commands.

Pure functions: no command is run here (see :mod:`wipe.firmware.execute`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from wipe.firmware.model import NvmeInfo

SANACT = {"nvme-sanitize-block": 2, "nvme-sanitize-overwrite": 3, "nvme-sanitize-crypto": 4}
"""Sanitize Action field values (NVMe base spec, Sanitize command CDW10 bits 2:0)."""

SES = {"nvme-format-user": 1, "nvme-format-crypto": 2}
"""Secure Erase Settings of Format NVM."""

SSTAT_NEVER = 0
SSTAT_COMPLETED = 1
SSTAT_IN_PROGRESS = 2
SSTAT_FAILED = 3
SSTAT_COMPLETED_NO_DEALLOC = 4

ESTIMATE_NOT_REPORTED = 0xFFFFFFFF
"""Sanitize log estimated-time fields hold all ones when the drive gives no estimate."""

_CONTROLLER_PATH = re.compile(r"^/dev/nvme\d+$")


class NvmeParseError(ValueError):
    """nvme-cli output could not be understood (truncated, not JSON, fields missing)."""


def _load_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NvmeParseError(f"{what}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise NvmeParseError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def _int_field(data: dict[str, Any], key: str, what: str) -> int:
    value = data.get(key)
    # bool is an int subclass in Python; a JSON true is not a register value.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NvmeParseError(f"{what}: field {key!r} missing or not a non-negative integer")
    return value


def _str_field(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Controller:
    model: str | None
    serial: str | None
    firmware: str | None
    oacs: int
    fna: int
    sanicap: int


def parse_id_ctrl(text: str) -> Controller:
    """``nvme id-ctrl -o json``: identity and the oacs / fna / sanicap registers."""
    data = _load_object(text, "id-ctrl")
    return Controller(
        model=_str_field(data, "mn"),
        serial=_str_field(data, "sn"),
        firmware=_str_field(data, "fr"),
        oacs=_int_field(data, "oacs", "id-ctrl"),
        fna=_int_field(data, "fna", "id-ctrl"),
        sanicap=_int_field(data, "sanicap", "id-ctrl"),
    )


@dataclass(frozen=True, slots=True)
class Namespace:
    lbaf_index: int
    metadata_extended: bool
    pi_type: int
    pi_first: bool
    capacity_bytes: int | None


def parse_id_ns(text: str) -> Namespace:
    """``nvme id-ns -o json``: the LBA format in use, to keep it through a Format."""
    data = _load_object(text, "id-ns")
    flbas = _int_field(data, "flbas", "id-ns")
    dps = _int_field(data, "dps", "id-ns")
    nlbaf = _int_field(data, "nlbaf", "id-ns")
    # Format index: bits 3:0, extended by bits 6:5 when more than 16 formats exist.
    index = (flbas & 0xF) | (((flbas >> 5) & 0x3) << 4)
    if index > nlbaf:
        raise NvmeParseError(f"id-ns: format index {index} beyond nlbaf {nlbaf}")
    capacity: int | None = None
    lbafs = data.get("lbafs")
    nsze = data.get("nsze")
    if isinstance(lbafs, list) and index < len(lbafs) and isinstance(lbafs[index], dict):
        ds = lbafs[index].get("ds")
        if isinstance(nsze, int) and isinstance(ds, int) and 9 <= ds <= 16:
            capacity = nsze * (1 << ds)
    return Namespace(
        lbaf_index=index,
        metadata_extended=bool(flbas & 0x10),
        pi_type=dps & 0x7,
        pi_first=bool(dps & 0x8),
        capacity_bytes=capacity,
    )


def info(ctrl: Controller, ns: Namespace | None, nsid: int | None) -> NvmeInfo:
    return NvmeInfo(
        model=ctrl.model,
        serial=ctrl.serial,
        firmware=ctrl.firmware,
        oacs=ctrl.oacs,
        fna=ctrl.fna,
        sanicap=ctrl.sanicap,
        nsid=nsid if ns is not None else None,
        lbaf_index=ns.lbaf_index if ns else None,
        metadata_extended=ns.metadata_extended if ns else None,
        pi_type=ns.pi_type if ns else None,
        pi_first=ns.pi_first if ns else None,
        capacity_bytes=ns.capacity_bytes if ns else None,
    )


@dataclass(frozen=True, slots=True)
class SanitizeLog:
    status: int
    """SSTAT bits 2:0 (see the SSTAT_* constants)."""
    progress: float | None
    """Fraction done while in progress (SPROG / 65536); None otherwise."""
    last_action: int | None
    """Sanitize action of the most recent Sanitize command (SCDW10 bits 2:0)."""
    estimates_s: dict[int, int]
    """Drive's estimated seconds per sanitize action, only those it reported."""


_STATUS_IN_TEXT = re.compile(r"^\s*\((\d+)\)")


def parse_sanitize_log(text: str) -> SanitizeLog:
    """``nvme sanitize-log -o json``: ``{"<dev>": {"sprog", "sstat", "cdw10_info", ...}}``.

    nvme-cli 2.x nests the log under the device name and prints ``sstat`` as an
    object whose ``status`` is ``"(n) text"``; a bare integer SSTAT (older or
    other builds) is accepted too.
    """
    data = _load_object(text, "sanitize-log")
    log: Any = data
    if "sstat" not in data and len(data) == 1:
        log = next(iter(data.values()))
    if not isinstance(log, dict):
        raise NvmeParseError("sanitize-log: no log object")
    sstat = log.get("sstat")
    status: int
    if isinstance(sstat, dict):
        raw = sstat.get("status")
        match = _STATUS_IN_TEXT.match(raw) if isinstance(raw, str) else None
        if isinstance(raw, int) and not isinstance(raw, bool):
            status = raw & 0x7
        elif match:
            status = int(match.group(1))
        else:
            raise NvmeParseError("sanitize-log: sstat.status missing or unreadable")
    elif isinstance(sstat, int) and not isinstance(sstat, bool):
        status = sstat & 0x7
    else:
        raise NvmeParseError("sanitize-log: field 'sstat' missing")
    if status > SSTAT_COMPLETED_NO_DEALLOC:
        raise NvmeParseError(f"sanitize-log: reserved sanitize status {status}")
    sprog = log.get("sprog")
    progress: float | None = None
    if status == SSTAT_IN_PROGRESS:
        if not isinstance(sprog, int) or isinstance(sprog, bool) or not 0 <= sprog <= 0xFFFF:
            raise NvmeParseError("sanitize-log: in progress without a valid sprog")
        progress = sprog / 65536
    cdw10 = log.get("cdw10_info")
    last_action = cdw10 & 0x7 if isinstance(cdw10, int) and not isinstance(cdw10, bool) else None
    estimates: dict[int, int] = {}
    for action, key in ((3, "time_over_write"), (2, "time_block_erase"), (4, "time_crypto_erase")):
        value = log.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if 0 < value < ESTIMATE_NOT_REPORTED:
            estimates[action] = value
    return SanitizeLog(status, progress, last_action, estimates)


def is_controller_path(device_path: str) -> bool:
    return bool(_CONTROLLER_PATH.match(device_path))


def namespace_id(device_path: str) -> int:
    """Namespace of a ``/dev/nvmeXnY`` path; 1 for a controller path."""
    match = re.match(r"^/dev/nvme\d+n(\d+)$", device_path)
    return int(match.group(1)) if match else 1


def id_ctrl_argv(device_path: str) -> list[str]:
    return ["nvme", "id-ctrl", "-o", "json", device_path]


def id_ns_argv(device_path: str) -> list[str]:
    argv = ["nvme", "id-ns", "-o", "json", device_path]
    if is_controller_path(device_path):
        argv[4:4] = ["--namespace-id=1"]
    return argv


def sanitize_argv(device_path: str, method: str) -> list[str]:
    argv = ["nvme", "sanitize", f"--sanact={SANACT[method]}", device_path]
    if method == "nvme-sanitize-overwrite":
        # One pass of zeros, explicitly: an overwrite pass count of 0 means 16 passes.
        argv[3:3] = ["--owpass=1", "--ovrpat=0"]
    return argv


def sanitize_log_argv(device_path: str) -> list[str]:
    return ["nvme", "sanitize-log", "-o", "json", device_path]


def format_argv(device_path: str, method: str, nvme: NvmeInfo, timeout_ms: int) -> list[str]:
    """Format NVM keeping the namespace's LBA format, metadata and protection settings."""
    if nvme.lbaf_index is None or nvme.nsid is None:
        raise ValueError("format needs the namespace's current LBA format (id-ns unreadable)")
    return [
        "nvme",
        "format",
        device_path,
        f"--namespace-id={nvme.nsid}",
        f"--ses={SES[method]}",
        f"--lbaf={nvme.lbaf_index}",
        f"--ms={int(bool(nvme.metadata_extended))}",
        f"--pi={nvme.pi_type or 0}",
        f"--pil={int(bool(nvme.pi_first))}",
        f"--timeout={timeout_ms}",
        "--force",
    ]
