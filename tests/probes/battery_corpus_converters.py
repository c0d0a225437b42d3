"""Turn the corpus battery outputs of other tools into sysfs power_supply attribute values.

The corpus holds real battery readings as ``upower -i``, FreeBSD ``acpiconf -i``
and macOS ``system_profiler SPPowerDataType`` text. The probe reads Linux
sysfs, so each is converted to the attribute values the kernel would show for
the same reading, in its units (µWh, µAh, µV):

- upower: see ``upower_to_sysfs`` in tests/fixtures/build_hosts.py.
- acpiconf: "Design capacity: 7236 mAh" -> charge_full_design 7236000;
  "Design voltage: 7600 mV" -> voltage_min_design 7600000; "Present voltage"
  -> voltage_now; "Remaining capacity: 100%" -> charge_now as that share of
  the last full capacity; "Type: LION" -> technology; "OEM info" ->
  manufacturer; "Model number" -> model_name.
- macOS: "Full Charge Capacity (mAh)" -> charge_full, "Charge Remaining
  (mAh)" -> charge_now, "Voltage (mV)" -> voltage_now (no design capacity
  nor design voltage: macOS does not print them), "Cycle Count", "Device
  Name" -> model_name.
"""

from __future__ import annotations

import re

from bench_agent.probes.battery import BATTERY_FILES
from tests.fixtures.build_hosts import upower_to_sysfs

__all__ = ["acpiconf_to_sysfs", "macos_to_sysfs", "upower_to_sysfs"]


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and value.strip():
            out.setdefault(key.strip(), value.strip())
    return out


def _number(value: str | None, unit: str) -> int | None:
    if value is None:
        return None
    match = re.match(rf"^(-?\d+)\s*{unit}$", value)
    return int(match.group(1)) if match else None


def acpiconf_to_sysfs(text: str) -> dict[str, str | None]:
    fields = _fields(text)
    values: dict[str, str | None] = {attr: None for attr in BATTERY_FILES}
    design = _number(fields.get("Design capacity"), "mAh")
    full = _number(fields.get("Last full capacity"), "mAh")
    percent = _number(fields.get("Remaining capacity"), "%")
    design_mv = _number(fields.get("Design voltage"), "mV")
    present_mv = _number(fields.get("Present voltage"), "mV")
    values.update(
        {
            "type": "Battery",
            "scope": None,
            "present": "1",
            "technology": fields.get("Type"),
            "manufacturer": fields.get("OEM info"),
            "model_name": fields.get("Model number"),
            "serial_number": fields.get("Serial number"),
            "charge_full_design": None if design is None else str(design * 1000),
            "charge_full": None if full is None else str(full * 1000),
            "charge_now": None if full is None or percent is None else str(full * 10 * percent),
            "voltage_min_design": None if design_mv is None else str(design_mv * 1000),
            "voltage_now": None if present_mv is None else str(present_mv * 1000),
        }
    )
    return values


def macos_to_sysfs(text: str) -> dict[str, str | None]:
    fields = _fields(text)
    values: dict[str, str | None] = {attr: None for attr in BATTERY_FILES}

    def micro(key: str) -> str | None:
        raw = fields.get(key)
        return str(int(raw) * 1000) if raw is not None and raw.lstrip("-").isdigit() else None

    charging = fields.get("Charging")
    values.update(
        {
            "type": "Battery",
            "present": "1" if fields.get("Battery Installed") == "Yes" else "0",
            "status": "Charging" if charging == "Yes" else "Discharging",
            "manufacturer": fields.get("Manufacturer"),
            "model_name": fields.get("Device Name"),
            "serial_number": fields.get("Serial Number"),
            "cycle_count": fields.get("Cycle Count"),
            "charge_full": micro("Full Charge Capacity (mAh)"),
            "charge_now": micro("Charge Remaining (mAh)"),
            "voltage_now": micro("Voltage (mV)"),
        }
    )
    return values
