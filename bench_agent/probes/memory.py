"""Memory: usable total from /proc/meminfo, modules and slots from DMI types 16 and 17.

``slots_total`` / ``slots_free`` count sockets a technician can fill: soldered
memory (form factor "Row Of Chips"/"Chip", or any LPDDR type) is listed in
``dimms`` and counted in ``installed_bytes`` but occupies no slot.
"""

from __future__ import annotations

import re

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Dimm, Memory
from bench_agent.probes.dmi_junk import clean
from bench_agent.probes.dmidecode import DmiRecord, DmiTable
from bench_agent.probes.values import parse_int

MEMINFO_PATH = "/proc/meminfo"

_UNITS = {"b": 1, "bytes": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?b|bytes)\s*$", re.I)
_SPEED_RE = re.compile(r"^\s*(\d+)\s*(mt/s|mhz)", re.I)
_EMPTY_SIZES = ("no module installed", "not installed", "0 mb", "0 gb", "0 kb")
_SOLDERED_FORMS = ("row of chips", "chip", "die")
_SOCKETED_FORMS = ("sodimm", "dimm", "simm", "rimm", "fb-dimm", "camm")
# Locators saying the module is on the board ("System Board Memory", "Onboard").
_ONBOARD_LOCATOR_RE = re.compile(r"on[- ]?board|system board memory|soldered|memory down", re.I)
# JEDEC JEP106 manufacturer ids as firmware prints them ("0x80AD", "AD00000000000000").
_JEDEC = {
    "ad": "SK Hynix",
    "ce": "Samsung",
    "2c": "Micron",
    "98": "Kingston",
    "0b": "Nanya",
    "c1": "Infineon",
    "51": "Qimonda",
    "fe": "Elpida",
    "9e": "Corsair",
    "cb": "A-DATA",
    "4f": "Transcend",
    "ef": "Team Group",
    "43": "Ramaxel",
    "b3": "Inphi",
    "94": "Mushkin",
}
_HEX_ID_RE = re.compile(r"^(?:0x)?(?:80)?([0-9a-f]{2})(?:0{2})*$", re.I)
_HEX_PART_RE = re.compile(r"^(?:[0-9A-F]{2}){4,}$")
_MEMTOTAL_RE = re.compile(r"^MemTotal:\s*(\d+)\s*kB", re.M)


def parse_size_bytes(value: str | None) -> int | None:
    """ "8192 MB", "4 GB", "512 kB" -> bytes (binary units, as dmidecode means them)."""
    if value is None:
        return None
    match = _SIZE_RE.match(value)
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_speed_mts(value: str | None) -> int | None:
    """ "1867 MT/s", "1333 MHz", "533 MHz (1.9 ns)" -> 1867, 1333, 533; "Unknown" -> None."""
    if value is None:
        return None
    match = _SPEED_RE.match(value)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def memory_type(value: str | None) -> str | None:
    """DDR3, DDR4, LPDDR3...; None for "Unknown", "Other", "<OUT OF SPEC>"."""
    cleaned = clean(value)
    if cleaned is None or cleaned.lower() in ("other", "unknown") or cleaned.startswith("<"):
        return None
    return cleaned


def manufacturer_name(value: str | None) -> str | None:
    """Module maker with placeholders removed and bare JEDEC ids ("0x80AD") named."""
    cleaned = clean(value)
    if cleaned is None:
        return None
    match = _HEX_ID_RE.match(cleaned)
    if match and any(ch.isdigit() for ch in cleaned):
        name = _JEDEC.get(match.group(1).lower())
        if name is not None:
            return name
    if cleaned.lower() in (
        "manufacturer00",
        "manufacturer0",
        "undefined",
    ) or cleaned.lower().startswith("manufacturer"):
        return None
    return cleaned


def part_number(value: str | None) -> str | None:
    """Part number trimmed; a hex-encoded ASCII part number ("48594D50...") decoded."""
    cleaned = clean(value)
    if cleaned is None or cleaned.lower().startswith(("partnum", "module part")):
        return None
    if _HEX_PART_RE.match(cleaned):
        try:
            decoded = bytes.fromhex(cleaned).decode("ascii").strip()
        except (ValueError, UnicodeDecodeError):
            return cleaned
        if decoded and decoded.isprintable():
            return clean(decoded)
    return cleaned


def _soldered(form: str | None, mem_type: str | None, locator: str | None) -> bool | None:
    if mem_type is not None and mem_type.upper().startswith("LPDDR"):
        return True  # LPDDR is never socketed on laptops (LPCAMM aside, not yet on benches)
    if form is not None and form.lower() in _SOLDERED_FORMS:
        return True
    if locator is not None and _ONBOARD_LOCATOR_RE.search(locator):
        return True
    if form is not None and form.lower() in _SOCKETED_FORMS:
        return False
    return None


def _dimm(record: DmiRecord) -> Dimm:
    form = clean(record.get("Form Factor"))
    if form is not None and form.lower() in ("unknown", "other"):
        form = None
    mem_type = memory_type(record.get("Type"))
    locator = clean(record.get("Locator"))
    configured = record.get("Configured Memory Speed") or record.get("Configured Clock Speed")
    return Dimm(
        locator=locator,
        bank_locator=clean(record.get("Bank Locator")),
        size_bytes=parse_size_bytes(record.get("Size")),
        type=mem_type,
        speed_mts=parse_speed_mts(record.get("Speed")),
        configured_speed_mts=parse_speed_mts(configured),
        form_factor=form,
        soldered=_soldered(form, mem_type, locator),
        manufacturer=manufacturer_name(record.get("Manufacturer")),
        part_number=part_number(record.get("Part Number")),
    )


def _is_empty_slot(record: DmiRecord) -> bool:
    size = (record.get("Size") or "").strip().lower()
    return size in _EMPTY_SIZES or size.startswith("no module") or parse_size_bytes(size) == 0


def _system_arrays(dmi: DmiTable) -> list[DmiRecord]:
    """Type 16 arrays holding system memory (not cache, not video memory)."""
    arrays = dmi.by_type(16)
    system = [a for a in arrays if (a.get("Use") or "").lower() == "system memory"]
    return system or arrays


def fill_from_dmi(mem: Memory, dmi: DmiTable, notes: list[Note]) -> None:
    """Modules, slots and max capacity from DMI types 16 and 17."""
    arrays = _system_arrays(dmi)
    array_handles = {a.handle for a in arrays}
    devices = [
        r
        for r in dmi.by_type(17)
        if not array_handles
        or (r.get("Array Handle") or "").lower() in array_handles
        or r.get("Array Handle") is None
    ]
    max_bytes = [parse_size_bytes(a.get("Maximum Capacity")) for a in arrays]
    if max_bytes and all(b is not None for b in max_bytes):
        mem.max_capacity_bytes = sum(b for b in max_bytes if b is not None)
    declared_values = [parse_int(a.get("Number Of Devices")) for a in arrays]
    declared = (
        sum(v for v in declared_values if v is not None)
        if declared_values and all(v is not None for v in declared_values)
        else None
    )
    populated: list[Dimm] = []
    empty_records = 0
    unreadable = 0
    for record in devices:
        if _is_empty_slot(record):
            empty_records += 1
            continue
        dimm = _dimm(record)
        if dimm.size_bytes is None:
            unreadable += 1
            continue
        populated.append(dimm)
    mem.dimms = populated
    mem.installed_bytes = sum(d.size_bytes or 0 for d in populated) if populated else None
    socketed = sum(1 for d in populated if d.soldered is not True)
    empty = empty_records
    if declared is not None:
        if len(populated) > declared:
            notes.append(
                Note(
                    code="memory.device_count_mismatch",
                    message=_t(
                        "La table DMI annonce {declared} emplacement(s) mémoire mais décrit "
                        "{n_populated} barrette(s) installée(s)",
                        declared=declared,
                        n_populated=len(populated),
                    ),
                )
            )
        # Some firmwares list more empty records than the board has sockets
        # (Lenovo G560: 4 records, "Number Of Devices: 2", both populated).
        empty = min(empty_records, max(0, declared - len(populated)))
    if devices:
        mem.slots_total = socketed + empty
        mem.slots_free = empty
    elif declared is not None:
        mem.slots_total = declared
    if unreadable:
        notes.append(
            Note(
                code="memory.unreadable_module",
                message=_t(
                    "{unreadable} barrette(s) mémoire de taille illisible dans la table DMI",
                    unreadable=unreadable,
                ),
            )
        )
    if not populated:
        notes.append(
            Note(
                code="memory.no_modules",
                message=_t("La table DMI ne décrit aucune barrette mémoire installée"),
            )
        )


def probe_memory(host: Host, notes: list[Note], dmi: DmiTable | None) -> Memory:
    """Total RAM seen by the OS, and modules/slots when a DMI table is available."""
    mem = Memory()
    text = host.read_text(MEMINFO_PATH)
    match = _MEMTOTAL_RE.search(text) if text is not None else None
    if match:
        mem.total_bytes = int(match.group(1)) * 1024
        mem.source = "proc"
    else:
        notes.append(
            Note(
                code="memory.no_meminfo",
                message=_t("/proc/meminfo illisible : quantité de mémoire inconnue"),
            )
        )
    if dmi is not None and (dmi.by_type(17) or dmi.by_type(16)):
        fill_from_dmi(mem, dmi, notes)
        mem.source = "dmidecode"
    return mem
