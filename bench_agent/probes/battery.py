"""Batteries: capacity in Wh, health and firmware sanity checks from /sys/class/power_supply.

The kernel reports either energy_* (µWh) or charge_* (µAh); charge is turned
into energy with voltage_min_design (µV), the voltage the design capacity is
rated at. Peripheral batteries (mouse, keyboard: scope "Device") are skipped.

Decisions on broken gauges (each one is an anomaly on the battery):

- full slightly above design (up to 120 %): common on new packs whose gauge
  learned a little more than the label. The raw ratio is reported as health
  (so 104 % stays visible) with a ``battery.full_above_design`` anomaly.
- full more than 120 % of design: not a plausible pack. Health is None; if the
  inverted ratio is plausible the firmware probably swapped the two fields
  (``battery.swapped_fields_suspected``), else ``battery.full_far_above_design``.
- design or full zero or missing, or outside 1-150 Wh: health is None.
- cycle_count 0: many firmwares never count; reported as unknown (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note, Text
from bench_agent.model.inventory import Battery
from bench_agent.probes.dmi_junk import clean
from bench_agent.probes.dmidecode import DmiRecord, DmiTable
from bench_agent.probes.values import parse_int

POWER_SUPPLY_DIR = "/sys/class/power_supply"
# Every attribute read per supply, in reading order (fixture builders record the same list).
SUPPLY_TYPE_FILES = ("type", "scope")
BATTERY_FILES = (
    "present",
    "status",
    "technology",
    "manufacturer",
    "model_name",
    "serial_number",
    "cycle_count",
    "energy_full_design",
    "energy_full",
    "energy_now",
    "charge_full_design",
    "charge_full",
    "charge_now",
    "voltage_min_design",
    "voltage_now",
)
# Peripheral batteries by driver name, for kernels or drivers that set no "scope".
PERIPHERAL_PREFIXES = (
    "hid-",
    "hidpp_battery",
    "wacom_battery",
    "ps-controller-battery",
    "sony_controller_battery",
    "nintendo_switch_controller_battery",
    "apple_mfi_fastcharge",
)
MIN_PLAUSIBLE_WH = 1.0
MAX_PLAUSIBLE_WH = 150.0
FULL_ABOVE_DESIGN_TOLERANCE = 1.2

_TECHNOLOGY = {
    "li-ion": "Li-ion",
    "lion": "Li-ion",
    "lithium ion": "Li-ion",
    "lithium-ion": "Li-ion",
    "li-poly": "Li-poly",
    "lip": "Li-poly",
    "lipo": "Li-poly",
    "lithium polymer": "Li-poly",
    "lithium-polymer": "Li-poly",
    "nimh": "NiMH",
    "nicd": "NiCd",
    "life": "LiFe",
    "limn": "LiMn",
}
_DMI_CAPACITY_RE = re.compile(r"^\s*(\d+)\s*mWh\s*$", re.I)
_DMI_VOLTAGE_RE = re.compile(r"^\s*(\d+)\s*mV\s*$", re.I)


def _anomaly(code: str, message: Text) -> Note:
    return Note(code=f"battery.{code}", message=message)


def technology_name(value: str | None) -> str | None:
    cleaned = clean(value)
    if cleaned is None:
        return None
    return _TECHNOLOGY.get(cleaned.lower(), cleaned)


@dataclass(slots=True)
class _Capacity:
    design_wh: float | None = None
    full_wh: float | None = None
    now_wh: float | None = None
    source: Literal["energy", "charge", "none"] = "none"
    notes: list[Note] = field(default_factory=list)
    """Approximations worth telling (present voltage used)."""
    anomalies: list[Note] = field(default_factory=list)
    """Why Wh could not be computed at all."""


def _capacity(name: str, values: dict[str, str | None]) -> _Capacity:
    cap = _Capacity()
    energy = [parse_int(values.get(k)) for k in ("energy_full_design", "energy_full", "energy_now")]
    charge = [parse_int(values.get(k)) for k in ("charge_full_design", "charge_full", "charge_now")]
    if any(v is not None for v in energy):
        cap.source = "energy"
        design, full, now = (None if v is None else v / 1e6 for v in energy)
        cap.design_wh, cap.full_wh, cap.now_wh = design, full, now
        return cap
    if not any(v is not None for v in charge):
        return cap
    cap.source = "charge"
    volts_uv = parse_int(values.get("voltage_min_design"))
    if not volts_uv:
        volts_uv = parse_int(values.get("voltage_now"))
        if volts_uv:
            # No design voltage: the present voltage varies with the charge
            # (about ±10 %), so the Wh figures are approximate.
            cap.notes.append(
                _anomaly(
                    "voltage_now_used",
                    _t(
                        "{name} : pas de tension nominale, capacité en Wh calculée avec la tension "
                        "actuelle (approximative)",
                        name=name,
                    ),
                )
            )
    if not volts_uv:
        cap.anomalies.append(
            _anomaly(
                "charge_without_voltage",
                _t(
                    "{name} : capacité en mAh sans aucune tension, "
                    "impossible de la convertir en Wh",
                    name=name,
                ),
            )
        )
        return cap
    design, full, now = (None if v is None else v * volts_uv / 1e12 for v in charge)
    cap.design_wh, cap.full_wh, cap.now_wh = design, full, now
    return cap


def assess_health(
    name: str, design_wh: float | None, full_wh: float | None
) -> tuple[float | None, list[Note]]:
    """(health_pct, anomalies) for a design/full pair; see the module docstring for the rules."""
    anomalies: list[Note] = []
    if design_wh is None:
        anomalies.append(
            _anomaly(
                "design_missing",
                _t("{name} : capacité d'origine non fournie", name=name),
            )
        )
    elif design_wh == 0:
        anomalies.append(
            _anomaly(
                "design_zero",
                _t("{name} : capacité d'origine à zéro (jauge défaillante)", name=name),
            )
        )
    elif not MIN_PLAUSIBLE_WH <= design_wh <= MAX_PLAUSIBLE_WH:
        anomalies.append(
            _anomaly(
                "design_implausible",
                _t(
                    "{name} : capacité d'origine invraisemblable ({design_wh:.1f} Wh)",
                    name=name,
                    design_wh=design_wh,
                ),
            )
        )
    if full_wh is None:
        anomalies.append(
            _anomaly(
                "full_missing",
                _t("{name} : capacité pleine charge non fournie", name=name),
            )
        )
    elif full_wh == 0:
        anomalies.append(
            _anomaly(
                "full_zero",
                _t(
                    "{name} : capacité pleine charge à zéro "
                    "(batterie morte ou jauge réinitialisée)",
                    name=name,
                ),
            )
        )
    elif full_wh > MAX_PLAUSIBLE_WH:
        anomalies.append(
            _anomaly(
                "full_implausible",
                _t(
                    "{name} : capacité pleine charge invraisemblable ({full_wh:.1f} Wh)",
                    name=name,
                    full_wh=full_wh,
                ),
            )
        )
    if anomalies or design_wh is None or full_wh is None:
        return None, anomalies
    ratio = full_wh / design_wh
    if ratio > FULL_ABOVE_DESIGN_TOLERANCE:
        if 1 / ratio >= 0.3:
            anomalies.append(
                _anomaly(
                    "swapped_fields_suspected",
                    _t(
                        "{name} : capacité pleine ({full_wh:.1f} Wh) très au-dessus de la capacité "
                        "d'origine ({design_wh:.1f} Wh) : champs probablement inversés par le "
                        "micrologiciel (santé réelle peut-être {value:.0f} %), "
                        "santé non retenue",
                        name=name,
                        full_wh=full_wh,
                        design_wh=design_wh,
                        value=100 / ratio,
                    ),
                )
            )
        else:
            anomalies.append(
                _anomaly(
                    "full_far_above_design",
                    _t(
                        "{name} : capacité pleine {ratio:.0f} % de l'origine, invraisemblable",
                        name=name,
                        ratio=ratio * 100,
                    ),
                )
            )
        return None, anomalies
    if ratio > 1.0:
        anomalies.append(
            _anomaly(
                "full_above_design",
                _t(
                    "{name} : capacité pleine supérieure à l'origine ({ratio:.1f} %), "
                    "fréquent sur une batterie neuve ; valeur brute conservée",
                    name=name,
                    ratio=ratio * 100,
                ),
            )
        )
    return round(ratio * 100, 1), anomalies


def battery_from_values(name: str, values: dict[str, str | None], notes: list[Note]) -> Battery:
    """A Battery from sysfs attribute values (file name -> text, None when absent). Pure."""
    cap = _capacity(name, values)
    bat = Battery(
        name=name,
        maker=clean(values.get("manufacturer")),
        model=clean(values.get("model_name")),
        serial=clean(values.get("serial_number")),
        technology=technology_name(values.get("technology")),
        design_wh=None if cap.design_wh is None else round(cap.design_wh, 2),
        full_wh=None if cap.full_wh is None else round(cap.full_wh, 2),
        now_wh=None if cap.now_wh is None else round(cap.now_wh, 2),
        status=clean(values.get("status")),
        capacity_source=cap.source,
    )
    notes.extend(cap.notes)
    bat.anomalies.extend(cap.anomalies)
    if cap.source != "none" and not cap.anomalies:
        bat.health_pct, anomalies = assess_health(name, cap.design_wh, cap.full_wh)
        bat.anomalies.extend(anomalies)
    elif cap.source == "none":
        bat.anomalies.append(
            _anomaly(
                "no_capacity",
                _t("{name} : aucune capacité (energy_* ni charge_*) fournie", name=name),
            )
        )
    cycles = parse_int(values.get("cycle_count"))
    if cycles == 0:
        notes.append(
            Note(
                code="battery.cycle_count_unknown",
                message=_t(
                    "{name} : nombre de cycles à 0, valeur que beaucoup de micrologiciels "
                    "donnent faute de compter ; inconnu",
                    name=name,
                ),
            )
        )
    bat.cycle_count = cycles if cycles is not None and cycles > 0 else None
    return bat


def probe_batteries(host: Host, notes: list[Note]) -> list[Battery]:
    """Every system battery in /sys/class/power_supply (BAT0 and BAT1 both when present)."""
    names = host.list_dir(POWER_SUPPLY_DIR)
    if not names:
        return []
    batteries: list[Battery] = []
    for name in sorted(names):
        base = f"{POWER_SUPPLY_DIR}/{name}"
        supply_type = host.read_text(f"{base}/type")
        if supply_type is None or supply_type.strip().lower() != "battery":
            continue
        scope = host.read_text(f"{base}/scope")
        if (scope is not None and scope.strip().lower() == "device") or name.startswith(
            PERIPHERAL_PREFIXES
        ):
            continue  # a mouse, keyboard or headset battery, not the laptop's
        values = {attr: host.read_text(f"{base}/{attr}") for attr in BATTERY_FILES}
        present = values.get("present")
        if present is not None and present.strip() == "0":
            notes.append(
                Note(
                    code="battery.not_present",
                    message=_t("{name} : emplacement de batterie vide", name=name),
                )
            )
            continue
        batteries.append(battery_from_values(name, values, notes))
    return batteries


# --- DMI type 22 (Portable Battery) -------------------------------------------------------


def _dmi_value(record: DmiRecord, *keys: str) -> str | None:
    for key in keys:
        value = clean(record.get(key))
        if value is not None:
            return value
    return None


def battery_from_dmi(record: DmiRecord) -> Battery:
    """A Battery (design data only) from a DMI type 22 record."""
    design_wh = None
    capacity = record.get("Design Capacity")
    match = _DMI_CAPACITY_RE.match(capacity) if capacity else None
    if match and int(match.group(1)) > 0:
        design_wh = int(match.group(1)) / 1000
    return Battery(
        name=_dmi_value(record, "Location") or f"DMI {record.handle}",
        maker=_dmi_value(record, "Manufacturer"),
        model=_dmi_value(record, "Name", "Device Name"),
        serial=_dmi_value(record, "Serial Number", "SBDS Serial Number"),
        technology=technology_name(_dmi_value(record, "Chemistry", "SBDS Chemistry")),
        design_wh=design_wh,
    )


def dmi_design_voltage_mv(record: DmiRecord) -> int | None:
    value = record.get("Design Voltage")
    match = _DMI_VOLTAGE_RE.match(value) if value else None
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def complete_from_dmidecode(
    batteries: list[Battery], dmi: DmiTable | None, notes: list[Note]
) -> None:
    """Fill gaps (maker, model, serial, chemistry, design capacity) from DMI type 22 records.

    Batteries are paired with records by model name, else in order when the
    counts match. A design capacity taken from DMI is said in a note, and the
    health is then computed from it.
    """
    if dmi is None:
        return
    records = dmi.by_type(22)
    if not records:
        return
    if not batteries:
        notes.append(
            Note(
                code="battery.dmi_only",
                message=_t(
                    "Le micrologiciel décrit une batterie que le système ne voit pas "
                    "(retirée ou hors service ?)"
                ),
            )
        )
        return
    dmi_batteries = [battery_from_dmi(r) for r in records]
    unpaired = list(range(len(dmi_batteries)))
    for index, bat in enumerate(batteries):
        wanted = (bat.model or "").casefold()
        match_index = next(
            (i for i in unpaired if wanted and (dmi_batteries[i].model or "").casefold() == wanted),
            None,
        )
        if match_index is None and len(batteries) == len(dmi_batteries) and index in unpaired:
            match_index = index
        if match_index is None:
            continue
        unpaired.remove(match_index)
        source = dmi_batteries[match_index]
        bat.maker = bat.maker or source.maker
        bat.model = bat.model or source.model
        bat.serial = bat.serial or source.serial
        bat.technology = bat.technology or source.technology
        if bat.design_wh in (None, 0) and source.design_wh is not None:
            bat.design_wh = source.design_wh
            notes.append(
                Note(
                    code="battery.design_from_dmi",
                    message=_t(
                        "{name} : capacité d'origine ({design_wh:.1f} Wh) lue dans la "
                        "table DMI (type 22), le système ne la donnant pas",
                        name=bat.name,
                        design_wh=source.design_wh,
                    ),
                )
            )
            kept = [
                a
                for a in bat.anomalies
                if a.code not in ("battery.design_missing", "battery.design_zero")
            ]
            health, anomalies = assess_health(bat.name, bat.design_wh, bat.full_wh)
            bat.health_pct = health
            bat.anomalies = kept + [a for a in anomalies if a.code not in {k.code for k in kept}]
