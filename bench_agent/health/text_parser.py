"""Text output of smartctl (older versions, saved reports) to :class:`SmartData`, via pySMART.

pySMART parses smartctl's text; we hand it a replaying :class:`Smartctl` whose
``generic_call`` returns the recorded text (never its module singleton, which
would spawn smartctl). Two normalisations run first because pySMART 1.4.3 only
reads the ``-a`` layout: the ``-x`` brief attribute table (``PO--CK`` flags and
a ``FAIL`` column) is rewritten to the ``-a`` columns, and the ``-x`` self-test
log header is renamed. Numbers pySMART does not keep (the ATA error count, SCSI
power-on time) are read here with small regexes.
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

from bench_agent.health.json_parser import ata_test_outcome
from bench_agent.health.smart import (
    FLAG_ERROR_RATE,
    FLAG_EVENT_COUNT,
    FLAG_PERFORMANCE,
    AtaAttribute,
    NvmeLog,
    SelfTestEntry,
    SmartctlOutputError,
    SmartData,
    decode_output,
    power_on_hours_from_attribute,
)

_BRIEF_ROW = re.compile(
    r"^(?P<id>\s*\d+)\s+(?P<name>\S+)\s+(?P<flags>[-A-Z+]{6,})\s+(?P<value>\d+)\s+(?P<worst>\d+)"
    r"\s+(?P<thresh>\S+)\s+(?P<fail>-|NOW|Past|In_the_past|FAILING_NOW)\s+(?P<raw>.+)$"
)
_WHEN = {"-": "-", "NOW": "FAILING_NOW", "Past": "In_the_past"}
_FLAG_BITS = {"P": 0x01, "O": 0x02, "S": 0x04, "R": 0x08, "C": 0x10, "K": 0x20}
"""smartctl -x brief flags to the -a hexadecimal flag word (smartctl(8), -f brief)."""
_ERROR_COUNT = re.compile(r"^(?:ATA|Device) Error Count:\s+(\d+)", re.MULTILINE)
_SCSI_POWER_ON = re.compile(r"power on time.*?hours:minutes\s+(\d+):", re.IGNORECASE)
_SCSI_HEALTH = re.compile(r"^SMART Health Status:\s*(.+)$", re.MULTILINE)
_ATA_HEALTH = re.compile(
    r"^SMART overall-health self-assessment test result:\s*(\S+)", re.MULTILINE
)
_ROTATION = re.compile(r"^Rotation Rate:\s*(?:(\d+) rpm|(Solid State Device))", re.MULTILINE)
_SELFTEST_STATUS = re.compile(r"^Self-test execution status:\s*\(\s*(\d+)\)", re.MULTILINE)
_REMAINING = re.compile(r"(\d+)% of test remaining")
_NVME_PROGRESS = re.compile(r"^Self-test status:.*in progress \((\d+)% completed\)", re.MULTILINE)


def looks_like_smartctl_text(text: str) -> bool:
    return (
        "smartctl" in text[:400]
        or "=== START OF" in text
        or "SMART overall-health" in text
        or "SMART/Health Information" in text
    )


def normalise_for_pysmart(text: str) -> str:
    """Rewrite ``smartctl -x`` sections into the ``-a`` layout pySMART 1.4.3 reads."""
    out: list[str] = []
    in_brief_table = False
    for line in text.splitlines():
        if line.startswith("ID#") and "FLAGS" in line and "FAIL" in line:
            in_brief_table = True
            out.append(
                "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  "
                "WHEN_FAILED RAW_VALUE"
            )
            continue
        if in_brief_table:
            match = _BRIEF_ROW.match(line)
            if match is None:
                if line.lstrip().startswith(("|", "_")):
                    continue  # the legend of the flags column
                in_brief_table = False
                out.append(line)
                continue
            flags = match["flags"]
            kind = "Pre-fail" if flags.startswith("P") else "Old_age"
            updated = "Always" if len(flags) > 1 and flags[1] == "O" else "Offline"
            when = _WHEN.get(match["fail"], match["fail"])
            bits = sum(_FLAG_BITS.get(letter, 0) for letter in flags)
            out.append(
                f"{match['id']:>3} {match['name']} 0x{bits:04x} {match['value']} {match['worst']} "
                f"{match['thresh']} {kind} {updated} {when} {match['raw']}"
            )
            continue
        if line.startswith("SMART Extended Self-test Log Version"):
            out.append("SMART Self-test log structure revision number 1")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def guess_interface(text: str) -> str:
    if "NVMe" in text or "SMART/Health Information (NVMe" in text:
        return "nvme"
    if (
        "SMART Health Status" in text
        or "Transport protocol" in text
        or ("\nVendor:" in text and "\nProduct:" in text)
    ):
        return "scsi"
    return "ata"


def _import_pysmart() -> tuple[Any, Any]:
    """Import pySMART without letting its import-time ``os.environ['LANG'] = 'C'`` leak."""
    before = os.environ.get("LANG")
    try:
        from pySMART import Device
        from pySMART.smartctl import Smartctl
    finally:
        if before is None:
            os.environ.pop("LANG", None)
        else:
            os.environ["LANG"] = before
    return Device, Smartctl


def _replaying_smartctl(text: str) -> Any:
    _, smartctl_cls = _import_pysmart()

    class ReplayingSmartctl(smartctl_cls):  # type: ignore[misc,valid-type]
        """Answers pySMART's queries from one recorded text (PHY logs were not recorded)."""

        def __init__(self) -> None:
            super().__init__(smartctl_path="smartctl")
            self.calls: list[list[str]] = []

        def generic_call(
            self, params: list[str], pass_options: bool = False
        ) -> tuple[list[str], int]:
            self.calls.append(list(params))
            if any(p in params for p in ("--all", "-a", "-x", "--xall", "--info", "-i")):
                return text.splitlines(), 0
            # -l sataphy / sasphy / background: not part of the recording.
            return [], 1

    return ReplayingSmartctl()


def parse_smartctl_text(data: bytes | str, device: str = "/dev/recorded") -> SmartData:
    """Parse a smartctl text report; raise SmartctlOutputError if it is not one."""
    text = decode_output(data)
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise SmartctlOutputError("empty smartctl output", "sortie de smartctl vide")
    if not looks_like_smartctl_text(text):
        raise SmartctlOutputError(
            "not a smartctl report (no smartctl banner or SMART section)",
            "pas un rapport smartctl (ni bandeau smartctl ni section SMART)",
        )
    interface = guess_interface(text)
    normalised = normalise_for_pysmart(text)
    # pySMART skips the first four lines (banner); a bare section needs them.
    if not normalised.startswith("smartctl"):
        normalised = "smartctl (banner missing)\n\n\n\n" + normalised
    # pySMART reads the attribute table up to a blank line: a report saved without
    # smartctl's trailing blank line (an attribute table pasted last) must still read.
    normalised = normalised.rstrip("\n") + "\n\n"
    device_cls, _ = _import_pysmart()
    smartctl = _replaying_smartctl(normalised)
    try:
        dev = device_cls(device, interface=interface, smartctl=smartctl)
    except Exception as exc:
        # pySMART is a third-party text parser: besides ValueError/IndexError it raises
        # its dependencies' own exceptions (humanfriendly.InvalidSize on a cut size line).
        # Whatever it raises, the answer is "unreadable report", never a crash.
        raise SmartctlOutputError(
            f"pySMART could not read this smartctl text ({type(exc).__name__}: {exc})",
            f"pySMART n'a pas pu lire ce texte de smartctl ({type(exc).__name__} : {exc})",
        ) from None
    return _from_device(dev, text, interface)


def _from_device(dev: Any, text: str, interface: str) -> SmartData:
    data = SmartData(source="smartctl-text", device_type=interface)
    data.protocol = {"nvme": "NVMe", "scsi": "SCSI"}.get(interface, "ATA")  # type: ignore[assignment]
    data.model = _clean(dev.model)
    data.serial = _clean(dev.serial)
    data.firmware = _clean(dev.firmware)
    vendor = _clean(getattr(dev, "_vendor", None)) or ""
    data.smart_available = bool(dev.smart_capable) or bool(dev.smart_enabled) or None
    if "lacks SMART capability" in text or "does not support SMART" in text:
        data.smart_available = False
    data.smart_enabled = bool(dev.smart_enabled)
    ata_health = _ATA_HEALTH.search(text)
    scsi_health = _SCSI_HEALTH.search(text)
    if ata_health:
        data.passed = ata_health.group(1).strip() == "PASSED"
    elif scsi_health:
        data.passed = scsi_health.group(1).strip() == "OK"
    from bench_agent.health.json_parser import _is_virtual

    data.virtual_device = _is_virtual(vendor.upper(), (data.model or "").upper())
    attrs = dev.if_attributes
    kind = type(attrs).__name__
    if kind == "AtaAttributes":
        for attr in attrs.legacyAttributes:
            if attr is None:
                continue
            data.ata_attributes.append(_ata_attribute(attr))
        poh = data.attribute(9)
        if poh is not None and poh.raw is not None:
            data.power_on_hours = power_on_hours_from_attribute(poh.name, poh.raw)
    elif kind == "NvmeAttributes":
        data.nvme = NvmeLog(
            critical_warning=attrs.criticalWarning,
            available_spare=attrs.availableSpare,
            available_spare_threshold=attrs.availableSpareThreshold,
            percentage_used=attrs.percentageUsed,
            media_errors=attrs.integrityErrors,
            num_err_log_entries=attrs.errorEntries,
            unsafe_shutdowns=attrs.unsafeShutdowns,
            power_on_hours=attrs.powerOnHours,
            temperature_c=attrs.temperature,
        )
        data.power_on_hours = attrs.powerOnHours
        data.smart_available = True
        if data.passed is None and attrs.criticalWarning is not None:
            data.passed = attrs.criticalWarning == 0
    elif kind == "SCSIAttributes":
        diags = attrs.diagnostics
        if "Elements in grown defect list" in text:
            data.scsi_grown_defects = diags.Reallocated_Sector_Ct
        uncorrected = [
            v
            for v in (diags.Uncorrected_Reads, diags.Uncorrected_Writes, diags.Uncorrected_Verifies)
            if isinstance(v, int)
        ]
        data.scsi_uncorrected_errors = sum(uncorrected) if uncorrected else None
        match = _SCSI_POWER_ON.search(text)
        data.power_on_hours = int(match.group(1)) if match else diags.Power_On_Hours
    temperature = dev.temperature
    data.temperature_c = temperature if isinstance(temperature, int) and temperature > 0 else None
    if data.nvme is not None and data.nvme.temperature_c is not None:
        data.temperature_c = data.nvme.temperature_c
    rotation = _ROTATION.search(text)
    if rotation:
        data.rotation_rate = int(rotation.group(1)) if rotation.group(1) else 0
    count = _ERROR_COUNT.search(text)
    if count:
        data.ata_error_count = int(count.group(1))
    elif "No Errors Logged" in text and interface == "ata":
        data.ata_error_count = 0
    for test in dev.tests:
        status = str(test.status)
        if status == "Running":
            continue  # pySMART's synthetic entry for the NVMe test in progress
        remain = _percent(getattr(test, "remain", None))
        outcome = ata_test_outcome(status)
        data.self_tests.append(
            SelfTestEntry(
                kind=str(test.type),
                status=status,
                outcome=outcome,
                lifetime_hours=_to_int(test.hours),
                remaining_pct=remain,
                lba_first_error=_to_int(test.LBA),
            )
        )
    status_value = _SELFTEST_STATUS.search(text)
    if status_value:
        data.self_test_status_value = int(status_value.group(1))
    if dev._test_running:
        data.self_test_running = True
        progress = _to_int(dev._test_progress)
        data.self_test_remaining_pct = None if progress is None else 100 - progress
        remaining = _REMAINING.search(text)
        if remaining:
            data.self_test_remaining_pct = int(remaining.group(1))
    nvme_progress = _NVME_PROGRESS.search(text)
    if nvme_progress:
        data.self_test_running = True
        data.self_test_remaining_pct = 100 - int(nvme_progress.group(1))
    return data


def _ata_attribute(attr: Any) -> AtaAttribute:
    when = str(attr.when_failed)
    when_failed: Literal["", "now", "past"] = (
        "now" if when == "FAILING_NOW" else "past" if when == "In_the_past" else ""
    )
    flags = attr.flags if isinstance(attr.flags, int) else 0
    try:
        thresh: int | None = attr.thresh
    except ValueError:
        thresh = None
    return AtaAttribute(
        id=int(attr.num),
        name=str(attr.name),
        value=_to_int(attr.value_str),
        worst=_to_int(attr.worst),
        thresh=thresh,
        raw=_to_int(attr.raw_int),
        raw_string=str(attr.raw),
        prefailure=str(attr.type) == "Pre-fail",
        when_failed=when_failed,
        error_rate=bool(flags & FLAG_ERROR_RATE),
        performance=bool(flags & FLAG_PERFORMANCE),
        event_count=bool(flags & FLAG_EVENT_COUNT),
    )


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if value in ("", "--", "-") else value


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        digits = value.strip().replace(",", "")
        if digits.isdigit():
            return int(digits)
    return None


def _percent(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return _to_int(value.strip().rstrip("%"))
    return None
