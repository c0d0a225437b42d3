"""Batteries: every corpus sample, broken gauges, peripherals, two batteries, DMI type 22."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.model.inventory import Battery
from bench_agent.probes.battery import (
    BATTERY_FILES,
    POWER_SUPPLY_DIR,
    battery_from_dmi,
    battery_from_values,
    complete_from_dmidecode,
    probe_batteries,
)
from bench_agent.probes.dmidecode import parse_dmidecode

BATTERY_CORPUS = Path(__file__).parent.parent / "corpus" / "battery"


def _load_converters() -> ModuleType:
    """The converters module, by path (works whatever pytest's import mode)."""
    path = Path(__file__).parent / "battery_corpus_converters.py"
    spec = importlib.util.spec_from_file_location("battery_corpus_converters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CONVERTERS = _load_converters()
acpiconf_to_sysfs = _CONVERTERS.acpiconf_to_sysfs
macos_to_sysfs = _CONVERTERS.macos_to_sysfs
upower_to_sysfs = _CONVERTERS.upower_to_sysfs


def _codes(notes: list[Note]) -> list[str]:
    return [n.code for n in notes]


def _host(tmp_path: Path, supplies: dict[str, dict[str, str | None]]) -> RecordedHost:
    """A recorded host whose /sys/class/power_supply holds ``supplies`` (attr -> text or None)."""
    absent: list[str] = []
    for name, values in supplies.items():
        for attr in ("type", "scope", *BATTERY_FILES):
            path = f"{POWER_SUPPLY_DIR}/{name}/{attr}"
            value = values.get(attr)
            if value is None:
                absent.append(path)
                continue
            target = tmp_path / "fs" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(value + "\n")
    meta = {"listings": {POWER_SUPPLY_DIR: sorted(supplies)}, "absent": absent}
    (tmp_path / "host.json").write_text(json.dumps(meta))
    return RecordedHost(tmp_path)


# --- every corpus file --------------------------------------------------------------------

# file -> (maker, model, serial, technology, design_wh, full_wh, health_pct, status)
UPOWER_EXPECTED = {
    "upower_ASUS_G750-59.txt": (
        "ASUSTeK",
        "G750-59",
        None,
        "Li-ion",
        89.21,
        74.5,
        83.5,
        "Charging",
    ),
    # upower itself prints 88.2 % here although full == design: we trust the two energies.
    "upower_Dell_XDY9K16.txt": (
        "SMP-COS3.66",
        "DELL XDY9K16",
        "3829",
        "Li-poly",
        54.0,
        54.0,
        100.0,
        "Discharging",
    ),
    "upower_Dell_XPS13_9350_JHXPY53.txt": (
        "SMP",
        "DELL JHXPY53",
        "3682",
        "Li-poly",
        57.53,
        53.41,
        92.8,
        "Charging",
    ),
    # French locale (comma decimals); serial "0" is a placeholder.
    "upower_Toshiba_G71C000G7210.txt": (
        None,
        "G71C000G7210",
        None,
        "Li-ion",
        51.5,
        39.26,
        76.2,
        "Full",
    ),
}


@pytest.mark.parametrize("file_name", sorted(UPOWER_EXPECTED))
def test_upower_samples(file_name: str) -> None:
    name, values = upower_to_sysfs((BATTERY_CORPUS / file_name).read_text(encoding="utf-8"))
    notes: list[Note] = []
    bat = battery_from_values(name, values, notes)
    maker, model, serial, tech, design, full, health, status = UPOWER_EXPECTED[file_name]
    assert (bat.maker, bat.model, bat.serial, bat.technology) == (maker, model, serial, tech)
    assert (bat.design_wh, bat.full_wh, bat.health_pct, bat.status) == (
        design,
        full,
        health,
        status,
    )
    assert bat.capacity_source == "energy" and bat.anomalies == [] and bat.cycle_count is None


def test_upower_peripheral_battery_is_skipped(tmp_path: Path) -> None:
    """The second device of the Dell machine is a Logitech keyboard (hidpp): not the laptop's."""
    main_name, main = upower_to_sysfs((BATTERY_CORPUS / "upower_Dell_XDY9K16.txt").read_text())
    kb_name, keyboard = upower_to_sysfs(
        (BATTERY_CORPUS / "upower_second_battery_4.2.txt").read_text()
    )
    assert keyboard["scope"] == "Device"
    batteries = probe_batteries(_host(tmp_path, {main_name: main, kb_name: keyboard}), [])
    assert [b.model for b in batteries] == ["DELL XDY9K16"]


def test_upower_enumeration_keeps_only_the_system_battery(tmp_path: Path) -> None:
    """upower -e lists a mains adapter, BAT1 and a mouse; BAT1's values are infos_1 (same set)."""
    supplies: dict[str, dict[str, str | None]] = {}
    for line in (BATTERY_CORPUS / "upower_enumerate_1.txt").read_text().split():
        kind, _, ident = line.rsplit("/", 1)[-1].partition("_")
        if kind == "line":
            supplies["ADP1"] = {"type": "Mains"}
        elif kind == "battery":
            name, values = upower_to_sysfs(
                (BATTERY_CORPUS / "upower_Toshiba_G71C000G7210.txt").read_text()
            )
            assert name == ident
            supplies[name] = values
        elif kind == "mouse":
            supplies[f"hid-{ident}-battery"] = {
                "type": "Battery",
                "scope": "Device",
                "capacity": "40",
            }
    assert len(supplies) == 3
    batteries = probe_batteries(_host(tmp_path, supplies), [])
    assert [(b.name, b.health_pct) for b in batteries] == [("BAT1", 76.2)]


def test_acpiconf_sample_in_mah_agrees_with_dmi() -> None:
    values = acpiconf_to_sysfs((BATTERY_CORPUS / "freebsd_acpiconf_Dell_242WD6B.txt").read_text())
    notes: list[Note] = []
    bat = battery_from_values("BAT0", values, notes)
    assert bat.capacity_source == "charge"
    assert (bat.design_wh, bat.full_wh, bat.health_pct) == (54.99, 52.29, 95.1)
    assert (bat.model, bat.serial, bat.technology) == ("DELL 242WD6B", "58167", "Li-ion")
    assert notes == [] and bat.anomalies == []
    # The same pack's DMI record (dmidecode-type22_Dell_242WD6B) says 54990 mWh.
    dmi = parse_dmidecode((BATTERY_CORPUS / "dmidecode-type22_Dell_242WD6B.txt").read_text())
    assert battery_from_dmi(dmi.by_type(22)[0]).design_wh == bat.design_wh


@pytest.mark.parametrize(
    ("file_name", "full_wh", "cycles", "serial", "maker"),
    [
        ("macos_SPPowerDataType_cycle125.txt", 52.88, 125, "HD2J77", "SMP"),
        ("macos_SPPowerDataType_cycle552.txt", 48.14, 552, "C01437408B3F90MA2", "DP"),
    ],
)
def test_macos_samples_without_design_capacity(
    file_name: str, full_wh: float, cycles: int, serial: str, maker: str
) -> None:
    values = macos_to_sysfs((BATTERY_CORPUS / file_name).read_text())
    notes: list[Note] = []
    bat = battery_from_values("BAT0", values, notes)
    assert (bat.full_wh, bat.cycle_count, bat.serial, bat.maker) == (full_wh, cycles, serial, maker)
    assert bat.design_wh is None and bat.health_pct is None
    assert _codes(bat.anomalies) == ["battery.design_missing"]
    assert _codes(notes) == ["battery.voltage_now_used"]


# file -> [(name, maker, model, serial, technology, design_wh)]
DMI_EXPECTED = {
    "dmidecode-type22_Dell_242WD6B.txt": [
        ("Sys. Battery Bay", "LG", "DELL 242WD6B", "E337", "Li-ion", 54.99)
    ],
    "dmidecode-type22_Dell_XDY9K16.txt": [
        ("Battery Bay", "SMP-COS3.66", "DELL XDY9K16", "3829", "Li-ion", 54.0)
    ],
    "dmidecode-type22_Toshiba_unknown-capacity.txt": [
        ("1st Battery", "TOSHIBA", None, None, "Li-ion", None)
    ],
    "dmidecode-type22_macos.txt": [("DMI 0x0014", None, None, None, None, None)],
    "dmidecode-type22_two-batteries_Lenovo_00HW023_01AV406.txt": [
        ("Front", "SMP", "00HW023", "021D", "Li-poly", 23.54),
        ("Rear", "SMP", "01AV406", "0CF7", "Li-poly", 26.06),
    ],
    "dmidecode-type22_win10-dell-xps.txt": [
        ("Sys. Battery Bay", "SMP", "DELL JHXPY53", "0A75", "Li-poly", 57.53)
    ],
}


def test_every_battery_corpus_file_is_covered() -> None:
    covered = (
        set(UPOWER_EXPECTED)
        | set(DMI_EXPECTED)
        | {
            "upower_second_battery_4.2.txt",
            "upower_enumerate_1.txt",
            "freebsd_acpiconf_Dell_242WD6B.txt",
            "macos_SPPowerDataType_cycle125.txt",
            "macos_SPPowerDataType_cycle552.txt",
        }
    )
    assert covered == {p.name for p in BATTERY_CORPUS.iterdir()}


@pytest.mark.parametrize("file_name", sorted(DMI_EXPECTED))
def test_dmi_type22_samples(file_name: str) -> None:
    dmi = parse_dmidecode((BATTERY_CORPUS / file_name).read_text())
    got = [
        (b.name, b.maker, b.model, b.serial, b.technology, b.design_wh)
        for b in map(battery_from_dmi, dmi.by_type(22))
    ]
    assert got == DMI_EXPECTED[file_name]


# --- broken gauges ------------------------------------------------------------------------


def _energy(design: int | None, full: int | None, **extra: str | None) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "energy_full_design": None if design is None else str(design),
        "energy_full": None if full is None else str(full),
    }
    values.update(extra)
    return values


def test_full_slightly_above_design_keeps_the_raw_ratio_with_an_anomaly() -> None:
    bat = battery_from_values("BAT0", _energy(50_000_000, 52_000_000), [])
    assert bat.health_pct == 104.0
    assert _codes(bat.anomalies) == ["battery.full_above_design"]
    assert "104.0" in bat.anomalies[0].message.fr


def test_swapped_full_and_design_is_suspected_and_health_withheld() -> None:
    bat = battery_from_values("BAT0", _energy(40_000_000, 50_000_000), [])
    assert bat.health_pct is None
    assert _codes(bat.anomalies) == ["battery.swapped_fields_suspected"]
    assert "80 %" in bat.anomalies[0].message.en


def test_full_far_above_design_is_implausible() -> None:
    bat = battery_from_values("BAT0", _energy(5_000_000, 50_000_000), [])
    assert bat.health_pct is None
    assert _codes(bat.anomalies) == ["battery.full_far_above_design"]


@pytest.mark.parametrize(
    ("design", "full", "codes"),
    [
        (0, 40_000_000, ["battery.design_zero"]),
        (50_000_000, 0, ["battery.full_zero"]),
        (0, 0, ["battery.design_zero", "battery.full_zero"]),
        (None, 40_000_000, ["battery.design_missing"]),
        (50_000_000, None, ["battery.full_missing"]),
        (500_000_000, 400_000_000, ["battery.design_implausible", "battery.full_implausible"]),
        (500_000, 400_000, ["battery.design_implausible"]),
    ],
)
def test_zero_missing_and_absurd_capacities(
    design: int | None, full: int | None, codes: list[str]
) -> None:
    bat = battery_from_values("BAT0", _energy(design, full), [])
    assert bat.health_pct is None
    assert _codes(bat.anomalies) == codes


def test_charge_without_any_voltage_cannot_give_wh() -> None:
    values = {"charge_full_design": "4400000", "charge_full": "4000000"}
    notes: list[Note] = []
    bat = battery_from_values("BAT0", values, notes)  # type: ignore[arg-type]
    assert bat.capacity_source == "charge"
    assert (bat.design_wh, bat.full_wh, bat.health_pct) == (None, None, None)
    assert _codes(bat.anomalies) == ["battery.charge_without_voltage"]


def test_charge_with_design_voltage() -> None:
    values = {
        "charge_full_design": "4400000",
        "charge_full": "3960000",
        "voltage_min_design": "11100000",
    }
    notes: list[Note] = []
    bat = battery_from_values("BAT0", values, notes)  # type: ignore[arg-type]
    assert (bat.design_wh, bat.full_wh, bat.health_pct) == (48.84, 43.96, 90.0)
    assert notes == [] and bat.anomalies == []


def test_cycle_count_zero_is_unknown_with_a_note() -> None:
    notes: list[Note] = []
    bat = battery_from_values("BAT0", _energy(50_000_000, 45_000_000, cycle_count="0"), notes)
    assert bat.cycle_count is None
    assert _codes(notes) == ["battery.cycle_count_unknown"]
    assert battery_from_values("BAT0", _energy(1, 1, cycle_count="312"), []).cycle_count == 312
    assert battery_from_values("BAT0", _energy(1, 1, cycle_count="-1"), []).cycle_count is None


@pytest.mark.parametrize("garbage", ["abc", "", "-", "12.5.3", "\udcff"])
def test_garbage_values_are_absent_not_numbers(garbage: str) -> None:
    bat = battery_from_values(
        "BAT0", {"energy_full_design": garbage, "energy_full": "40000000"}, []
    )
    assert bat.design_wh is None and bat.health_pct is None
    assert "battery.design_missing" in _codes(bat.anomalies)


def test_no_capacity_at_all() -> None:
    bat = battery_from_values("BAT0", {"status": "Unknown", "technology": "Unknown"}, [])
    assert bat.capacity_source == "none" and bat.technology is None
    assert _codes(bat.anomalies) == ["battery.no_capacity"]


# --- host level: two batteries, empty bay, no supply --------------------------------------


def test_thinkpad_with_two_batteries_reports_both(tmp_path: Path) -> None:
    supplies: dict[str, dict[str, str | None]] = {
        "AC": {"type": "Mains"},
        "BAT0": {
            "type": "Battery",
            "present": "1",
            "energy_full_design": "23540000",
            "energy_full": "20000000",
            "manufacturer": "SMP",
            "model_name": "00HW023",
            "cycle_count": "187",
            "technology": "Li-poly",
        },
        "BAT1": {
            "type": "Battery",
            "present": "1",
            "energy_full_design": "26060000",
            "energy_full": "25800000",
            "manufacturer": "SMP",
            "model_name": "01AV406",
            "cycle_count": "0",
            "technology": "Li-poly",
        },
    }
    notes: list[Note] = []
    batteries = probe_batteries(_host(tmp_path, supplies), notes)
    assert [(b.name, b.health_pct, b.cycle_count) for b in batteries] == [
        ("BAT0", 85.0, 187),
        ("BAT1", 99.0, None),
    ]
    assert _codes(notes) == ["battery.cycle_count_unknown"]


def test_peripheral_without_scope_is_skipped_by_name(tmp_path: Path) -> None:
    supplies: dict[str, dict[str, str | None]] = {
        "hidpp_battery_0": {"type": "Battery", "energy_full": "1000000"},
        "BAT0": {"type": "Battery", "energy_full_design": "45000000", "energy_full": "36000000"},
    }
    batteries = probe_batteries(_host(tmp_path, supplies), [])
    assert [(b.name, b.health_pct) for b in batteries] == [("BAT0", 80.0)]


def test_empty_bay_is_a_note_not_a_battery(tmp_path: Path) -> None:
    notes: list[Note] = []
    host = _host(tmp_path, {"BAT1": {"type": "Battery", "present": "0"}})
    assert probe_batteries(host, notes) == []
    assert _codes(notes) == ["battery.not_present"]


def test_no_power_supply_directory(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"listings": {POWER_SUPPLY_DIR: None}}))
    assert probe_batteries(RecordedHost(tmp_path), []) == []


# --- DMI type 22 complements sysfs --------------------------------------------------------


def test_dmi_fills_a_missing_design_capacity_and_says_so() -> None:
    dmi = parse_dmidecode(
        (BATTERY_CORPUS / "dmidecode-type22_two-batteries_Lenovo_00HW023_01AV406.txt").read_text()
    )
    notes: list[Note] = []
    bat0 = battery_from_values("BAT0", {"energy_full": "21186000"}, notes)
    bat1 = battery_from_values("BAT1", {"energy_full": "26060000", "technology": "Li-ion"}, notes)
    assert bat0.health_pct is None
    complete_from_dmidecode([bat0, bat1], dmi, notes)
    assert (bat0.design_wh, bat0.health_pct, bat0.model, bat0.serial) == (
        23.54,
        90.0,
        "00HW023",
        "021D",
    )
    assert (bat1.design_wh, bat1.health_pct, bat1.technology) == (26.06, 100.0, "Li-ion")
    assert bat0.anomalies == [] and bat1.anomalies == []
    assert _codes(notes) == ["battery.design_from_dmi", "battery.design_from_dmi"]
    assert "DMI" in notes[0].message.fr


def test_dmi_pairs_by_model_name_before_order() -> None:
    dmi = parse_dmidecode(
        (BATTERY_CORPUS / "dmidecode-type22_two-batteries_Lenovo_00HW023_01AV406.txt").read_text()
    )
    rear = Battery(name="BAT0", model="01AV406")
    complete_from_dmidecode([rear], dmi, [])
    assert rear.serial == "0CF7"


def test_dmi_battery_without_a_system_battery_is_a_note() -> None:
    dmi = parse_dmidecode((BATTERY_CORPUS / "dmidecode-type22_win10-dell-xps.txt").read_text())
    notes: list[Note] = []
    complete_from_dmidecode([], dmi, notes)
    assert _codes(notes) == ["battery.dmi_only"]
    complete_from_dmidecode([], None, notes)
    assert len(notes) == 1
