"""ATA: parsers for hdparm 9.x text output and builders for its commands.

Pure functions: no command is run here (see :mod:`wipe.firmware.execute`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from wipe.firmware.model import AtaInfo

OVERWRITE_PATTERN = "hex:00000000"


class AtaParseError(ValueError):
    """hdparm output could not be understood (truncated, garbage, not an ATA device)."""


def _sections(text: str) -> dict[str, list[str]]:
    """Top-level ``Name:`` headers of ``hdparm -I`` with their indented lines."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if raw[0] not in " \t":
            name, sep, rest = raw.partition(":")
            current = sections.setdefault(name.strip(), [])
            if sep and rest.strip():
                current.append(rest.strip())
            continue
        if current is not None:
            current.append(raw)
    return sections


def _field(text: str, label: str) -> str | None:
    match = re.search(rf"^\s*{label}:[ \t]*(.*?)\s*$", text, re.MULTILINE)
    if not match:
        return None
    return match.group(1) or None


def _tri(tokens: set[str], word: str) -> bool | None:
    if word in tokens:
        return True
    if f"not {word}" in tokens:
        return False
    return None


def _minutes(text: str, label: str) -> int | None:
    match = re.search(rf"(>?)(\d+)min for {label}", text)
    return int(match.group(2)) if match else None


def parse_identify(text: str) -> AtaInfo:
    """``hdparm -I``: identity, Security feature set state and SANITIZE support."""
    if "ATA device" not in text and "Model Number:" not in text:
        raise AtaParseError("hdparm -I: no ATA identify data in the output")
    sections = _sections(text)
    if "Commands/features" not in sections:
        raise AtaParseError("hdparm -I: no 'Commands/features' section (truncated output?)")
    checksum = sections.get("Checksum")
    # hdparm ends with "Checksum: ..." or, when the drive leaves word 255 unset
    # (QEMU's emulated disks), with "Integrity word not set (...)".
    integrity_unset = any(name.startswith("Integrity word not set") for name in sections)
    if checksum is None and not integrity_unset:
        raise AtaParseError("hdparm -I: no 'Checksum' line (truncated output?)")
    if checksum and checksum[0].lower().startswith("incorrect"):
        raise AtaParseError("hdparm -I: identify checksum incorrect (corrupted data)")

    features = set()
    for line in sections["Commands/features"]:
        name = line.strip().lstrip("*").strip()
        if name and not name.startswith("Enabled"):
            features.add(" ".join(name.split()))

    sectors: int | None = None
    for label in ("LBA48  user addressable sectors", "LBA    user addressable sectors"):
        value = _field(text, re.escape(label))
        if value and value.isdigit() and int(value) > 0:
            sectors = int(value)
            break
    sector_bytes: int | None = None
    match = re.search(r"Logical\s+Sector size:\s*(\d+) bytes", text)
    if match:
        sector_bytes = int(match.group(1))
    rotation_text = _field(text, "Nominal Media Rotation Rate")
    rotation: Literal["ssd", "hdd"] | None = None
    if rotation_text and "Solid State" in rotation_text:
        rotation = "ssd"
    elif rotation_text and rotation_text.isdigit():
        rotation = "hdd"

    security = sections.get("Security")
    tokens: set[str] = set()
    security_text = ""
    if security is not None:
        tokens = {" ".join(line.split()) for line in security}
        security_text = "\n".join(security)
    enhanced: bool | None = None
    if "supported: enhanced erase" in tokens:
        enhanced = True
    elif "not supported: enhanced erase" in tokens:
        enhanced = False
    count_expired: bool | None = None
    if "expired: security count" in tokens:
        count_expired = True
    elif "not expired: security count" in tokens:
        count_expired = False

    return AtaInfo(
        model=_field(text, "Model Number"),
        serial=_field(text, "Serial Number"),
        firmware=_field(text, "Firmware Revision"),
        rotation=rotation,
        sectors=sectors,
        logical_sector_bytes=sector_bytes,
        security_supported=_tri(tokens, "supported") if security is not None else None,
        security_enabled=_tri(tokens, "enabled") if security is not None else None,
        security_locked=_tri(tokens, "locked") if security is not None else None,
        security_frozen=_tri(tokens, "frozen") if security is not None else None,
        security_count_expired=count_expired,
        enhanced_erase_supported=enhanced,
        erase_time_min=_minutes(security_text, "SECURITY ERASE UNIT"),
        enhanced_erase_time_min=_minutes(security_text, "ENHANCED SECURITY ERASE UNIT"),
        sanitize_supported="SANITIZE feature set" in features,
        sanitize_crypto="CRYPTO_SCRAMBLE_EXT command" in features,
        sanitize_block="BLOCK_ERASE_EXT command" in features,
        sanitize_overwrite="OVERWRITE_EXT command" in features,
    )


@dataclass(frozen=True, slots=True)
class SanitizeStatus:
    state: int
    """SDn of the ATA sanitize state machine (0 idle, 1 frozen, 2 in progress)."""
    progress: float | None
    last_completed_without_error: bool


def parse_sanitize_status(text: str) -> SanitizeStatus:
    """``hdparm --sanitize-status``: state, progress and the success flag."""
    if "Sanitize status:" not in text:
        raise AtaParseError("hdparm --sanitize-status: no 'Sanitize status:' block")
    match = re.search(r"State:\s*SD(\d)", text)
    if not match:
        raise AtaParseError("hdparm --sanitize-status: no 'State: SDn' line")
    state = int(match.group(1))
    progress: float | None = None
    progress_match = re.search(r"Progress:\s*0x([0-9a-fA-F]{1,4})\b", text)
    if progress_match:
        progress = int(progress_match.group(1), 16) / 0xFFFF
    elif state == 2:
        raise AtaParseError("hdparm --sanitize-status: in progress without a Progress line")
    return SanitizeStatus(
        state=state,
        progress=progress,
        last_completed_without_error="Last Sanitize Operation Completed Without Error" in text,
    )


def identify_argv(device_path: str) -> list[str]:
    return ["hdparm", "-I", device_path]


_SANITIZE_FLAGS = {
    "ata-sanitize-crypto": ["--sanitize-crypto-scramble"],
    "ata-sanitize-block": ["--sanitize-block-erase"],
    # One pass explicitly: hdparm's default 0 means 16 passes.
    "ata-sanitize-overwrite": [
        "--sanitize-overwrite-passes",
        "1",
        "--sanitize-overwrite",
        OVERWRITE_PATTERN,
    ],
}


def sanitize_argv(device_path: str, method: str) -> list[str]:
    return ["hdparm", "--yes-i-know-what-i-am-doing", *_SANITIZE_FLAGS[method], device_path]


def sanitize_status_argv(device_path: str) -> list[str]:
    return ["hdparm", "--sanitize-status", device_path]


def set_password_argv(device_path: str, password: str) -> list[str]:
    return ["hdparm", "--user-master", "u", "--security-set-pass", password, device_path]


def security_erase_argv(device_path: str, password: str, *, enhanced: bool) -> list[str]:
    flag = "--security-erase-enhanced" if enhanced else "--security-erase"
    return ["hdparm", "--user-master", "u", flag, password, device_path]


def security_disable_argv(device_path: str, password: str) -> list[str]:
    return ["hdparm", "--user-master", "u", "--security-disable", password, device_path]


def unfreeze_command(seconds: int = 5) -> list[str]:
    """Suspend to RAM and wake ``seconds`` later: most BIOSes leave drives unfrozen after resume.

    Offered to the technician by the UI, never run automatically: a laptop that
    fails to resume loses the session.
    """
    return ["rtcwake", "-m", "mem", "-s", str(seconds)]
