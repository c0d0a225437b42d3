"""smartctl >= 7 JSON output (``smartctl --json -x`` or ``-a``) to :class:`SmartData`.

Every field is read defensively: smartctl omits what a drive or bridge does not
report, and a half-valid file (wrong types, cut in the middle) must become a
clear ``SmartctlOutputError`` or missing values, never a crash.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, cast

from bench_agent.health.smart import (
    AtaAttribute,
    NvmeLog,
    Protocol,
    SelfTestEntry,
    SelfTestOutcome,
    SmartctlOutputError,
    SmartData,
    decode_output,
    power_on_hours_from_attribute,
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def looks_like_json(data: bytes | str) -> bool:
    head = decode_output(data[:256]).lstrip()
    return head[:1] in ("{", "[")


def parse_smartctl_json(data: bytes | str) -> SmartData:
    """Parse one smartctl JSON document; raise SmartctlOutputError if it is not one."""
    text = decode_output(data)
    if not text.strip():
        raise SmartctlOutputError("empty smartctl output", "sortie de smartctl vide")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SmartctlOutputError(
            f"smartctl JSON is invalid or truncated (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})",
            f"JSON de smartctl invalide ou tronqué (ligne {exc.lineno}, colonne {exc.colno})",
        ) from None
    except RecursionError:
        raise SmartctlOutputError(
            "smartctl JSON is nested too deeply to be smartctl",
            "JSON trop imbriqué pour venir de smartctl",
        ) from None
    if not isinstance(doc, dict):
        raise SmartctlOutputError(
            "smartctl JSON is not an object", "le JSON de smartctl n'est pas un objet"
        )
    if "smartctl" not in doc and "json_format_version" not in doc and "device" not in doc:
        raise SmartctlOutputError(
            "JSON document has no smartctl, json_format_version or device",
            "document JSON sans smartctl, json_format_version ni device",
        )
    return _from_doc(doc)


def _from_doc(doc: dict[str, Any]) -> SmartData:
    smartctl = _dict(doc.get("smartctl"))
    device = _dict(doc.get("device"))
    protocol_raw = _str(device.get("protocol"))
    protocol: Protocol | None = None
    if protocol_raw is not None and protocol_raw.upper() in ("ATA", "NVME", "SCSI"):
        protocol = cast(
            Protocol, {"ATA": "ATA", "NVME": "NVMe", "SCSI": "SCSI"}[protocol_raw.upper()]
        )
    data = SmartData(
        source="smartctl-json",
        device=_str(device.get("name")),
        device_type=_str(device.get("type")),
        protocol=protocol,
        model=_str(doc.get("model_name")) or _str(doc.get("product")),
        serial=_str(doc.get("serial_number")),
        firmware=_str(doc.get("firmware_version")) or _str(doc.get("revision")),
        exit_status=_int(smartctl.get("exit_status")),
    )
    for message in _list(smartctl.get("messages")):
        line = _str(_dict(message).get("string"))
        if line is not None:
            data.messages.append(line)
    support = _dict(doc.get("smart_support"))
    data.smart_available = _bool(support.get("available"))
    data.smart_enabled = _bool(support.get("enabled"))
    status = _dict(doc.get("smart_status"))
    data.passed = _bool(status.get("passed"))
    data.power_on_hours = _int(_dict(doc.get("power_on_time")).get("hours"))
    data.temperature_c = _int(_dict(doc.get("temperature")).get("current"))
    data.rotation_rate = _int(doc.get("rotation_rate"))
    vendor = (_str(doc.get("vendor")) or "").upper()
    product = (_str(doc.get("product")) or data.model or "").upper()
    data.virtual_device = _is_virtual(vendor, product)

    _ata(doc, data)
    _nvme(doc, data)
    _scsi(doc, data)
    return data


_RAID_VENDORS = ("AVAGO", "LSI", "MEGARAID", "PERC", "ADAPTEC", "HP LOGICAL", "3WARE")


def _is_virtual(vendor: str, product: str) -> bool:
    """A RAID controller's logical drive reports the controller as vendor/product."""
    both = f"{vendor} {product}"
    return (
        any(tag in both for tag in _RAID_VENDORS)
        or product.startswith(("MR9", "LOGICAL VOLUME"))
        or "RAID" in product
        or product.endswith((" VOLUME", "VIRTUAL DISK"))
    )


def _ata(doc: dict[str, Any], data: SmartData) -> None:
    table = _list(_dict(doc.get("ata_smart_attributes")).get("table"))
    for item in table:
        row = _dict(item)
        attr_id = _int(row.get("id"))
        if attr_id is None:
            continue
        raw = _dict(row.get("raw"))
        when = row.get("when_failed")
        when_failed: Literal["", "now", "past"] = (
            "now" if when == "now" else "past" if when == "past" else ""
        )
        data.ata_attributes.append(
            AtaAttribute(
                id=attr_id,
                name=_str(row.get("name")) or f"Attribute_{attr_id}",
                value=_int(row.get("value")),
                worst=_int(row.get("worst")),
                thresh=_int(row.get("thresh")),
                raw=_int(raw.get("value")),
                raw_string=_str(raw.get("string")) or "",
                prefailure=bool(_bool(_dict(row.get("flags")).get("prefailure"))),
                when_failed=when_failed,
                error_rate=bool(_bool(_dict(row.get("flags")).get("error_rate"))),
                performance=bool(_bool(_dict(row.get("flags")).get("performance"))),
                event_count=bool(_bool(_dict(row.get("flags")).get("event_count"))),
            )
        )
    poh = data.attribute(9)
    if data.power_on_hours is None and poh is not None:
        # smartctl -A (attributes only) has no power_on_time section.
        match = re.match(r"\s*(\d+)", poh.raw_string)
        if match:
            data.power_on_hours = power_on_hours_from_attribute(poh.name, int(match.group(1)))
    error_log = _dict(doc.get("ata_smart_error_log"))
    for section in ("extended", "summary"):
        count = _int(_dict(error_log.get(section)).get("count"))
        if count is not None:
            data.ata_error_count = count
            break
    tests = _dict(doc.get("ata_smart_self_test_log"))
    for section in ("extended", "standard"):
        rows = _list(_dict(tests.get(section)).get("table"))
        if rows:
            for item in rows:
                row = _dict(item)
                st_status = _dict(row.get("status"))
                text = _str(st_status.get("string")) or "?"
                data.self_tests.append(
                    SelfTestEntry(
                        kind=_str(_dict(row.get("type")).get("string")) or "?",
                        status=text,
                        outcome=ata_test_outcome(text, _bool(st_status.get("passed"))),
                        lifetime_hours=_int(row.get("lifetime_hours")),
                        remaining_pct=_int(st_status.get("remaining_percent")),
                        lba_first_error=_int(row.get("lba")),
                    )
                )
            break
    self_test = _dict(_dict(_dict(doc.get("ata_smart_data")).get("self_test")).get("status"))
    value = _int(self_test.get("value"))
    if value is not None:
        data.self_test_status_value = value
        if value >> 4 == 0xF:
            data.self_test_running = True
            data.self_test_remaining_pct = _int(self_test.get("remaining_percent"))
            if data.self_test_remaining_pct is None:
                data.self_test_remaining_pct = (value & 0x0F) * 10


def ata_test_outcome(status: str, passed: bool | None = None) -> SelfTestOutcome:
    """Classify one ATA self-test log status line."""
    low = status.lower()
    if "without error" in low:
        return "passed"
    if "progress" in low:
        return "in_progress"
    if "abort" in low:
        return "aborted"
    if "interrupt" in low:
        return "interrupted"
    if "fail" in low or "fatal" in low or "damage" in low or passed is False:
        return "failed"
    return "unknown"


_NVME_RESULT: dict[int, SelfTestOutcome] = {
    0: "passed",
    1: "aborted",
    2: "interrupted",
    3: "aborted",
    4: "aborted",
    5: "failed",
    6: "failed",
    7: "failed",
    8: "aborted",
    9: "aborted",
}


def _nvme(doc: dict[str, Any], data: SmartData) -> None:
    log = doc.get("nvme_smart_health_information_log")
    if isinstance(log, dict):
        data.nvme = NvmeLog(
            critical_warning=_int(log.get("critical_warning")),
            available_spare=_int(log.get("available_spare")),
            available_spare_threshold=_int(log.get("available_spare_threshold")),
            percentage_used=_int(log.get("percentage_used")),
            media_errors=_int(log.get("media_errors")),
            num_err_log_entries=_int(log.get("num_err_log_entries")),
            unsafe_shutdowns=_int(log.get("unsafe_shutdowns")),
            power_on_hours=_int(log.get("power_on_hours")),
            temperature_c=_int(log.get("temperature")),
        )
        if data.protocol is None:
            data.protocol = "NVMe"
        if data.power_on_hours is None:
            data.power_on_hours = data.nvme.power_on_hours
        if data.temperature_c is None:
            data.temperature_c = data.nvme.temperature_c
        if data.passed is None and data.nvme.critical_warning is not None:
            data.passed = data.nvme.critical_warning == 0
    st_log = _dict(doc.get("nvme_self_test_log"))
    if st_log:
        current = _int(_dict(st_log.get("current_self_test_operation")).get("value"))
        if current:
            data.self_test_running = True
            done = _int(st_log.get("current_self_test_completion_percent"))
            data.self_test_remaining_pct = None if done is None else max(0, 100 - done)
        for item in _list(st_log.get("table")):
            row = _dict(item)
            result = _dict(row.get("self_test_result"))
            value = _int(result.get("value"))
            data.self_tests.append(
                SelfTestEntry(
                    kind=_str(_dict(row.get("self_test_code")).get("string")) or "?",
                    status=_str(result.get("string")) or "?",
                    outcome=_NVME_RESULT.get(value, "unknown") if value is not None else "unknown",
                    lifetime_hours=_int(row.get("power_on_hours")),
                    lba_first_error=_int(row.get("lba")),
                )
            )


_SCSI_RESULT: dict[int, SelfTestOutcome] = {
    0: "passed",
    1: "aborted",
    2: "aborted",
    3: "failed",
    4: "failed",
    5: "failed",
    6: "failed",
    7: "failed",
    15: "in_progress",
}


def _scsi(doc: dict[str, Any], data: SmartData) -> None:
    if "scsi_grown_defect_list" in doc:
        data.scsi_grown_defects = _int(doc.get("scsi_grown_defect_list"))
        if data.protocol is None:
            data.protocol = "SCSI"
    counters = _dict(doc.get("scsi_error_counter_log"))
    if counters:
        total = 0
        seen = False
        for kind in ("read", "write", "verify"):
            value = _int(_dict(counters.get(kind)).get("total_uncorrected_errors"))
            if value is not None:
                total += value
                seen = True
        data.scsi_uncorrected_errors = total if seen else None
    for index in range(20):
        row = doc.get(f"scsi_self_test_{index}")
        if not isinstance(row, dict):
            break
        result = _dict(row.get("result"))
        value = _int(result.get("value"))
        data.self_tests.append(
            SelfTestEntry(
                kind=_str(_dict(row.get("code")).get("string")) or "?",
                status=_str(result.get("string")) or "?",
                outcome=_SCSI_RESULT.get(value, "unknown") if value is not None else "unknown",
                lifetime_hours=_int(_dict(row.get("power_on_time")).get("hours")),
            )
        )
