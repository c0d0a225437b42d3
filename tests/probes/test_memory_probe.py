"""Memory: DMI types 16/17 over every corpus file, value parsers, soldered rules, /proc/meminfo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.model.inventory import Memory
from bench_agent.probes.dmidecode import parse_dmidecode
from bench_agent.probes.memory import (
    fill_from_dmi,
    manufacturer_name,
    memory_type,
    parse_size_bytes,
    parse_speed_mts,
    part_number,
    probe_memory,
)

CORPUS = Path(__file__).parent.parent / "corpus"
DMI_FILES = sorted((CORPUS / "dmidecode").glob("*.txt"))


@pytest.mark.parametrize("path", DMI_FILES, ids=lambda p: p.name)
def test_installed_memory_matches_the_raw_type17_sizes(path: Path) -> None:
    text = path.read_text(errors="replace")
    sizes = []
    for block in re.split(r"\n\s*\n", text):
        if re.search(r"DMI type 17,", block):
            match = re.search(r"^\s+Size: (\d+) (MB|GB)\s*$", block, re.M)
            if match:
                sizes.append(int(match.group(1)) << (20 if match.group(2) == "MB" else 30))
    mem = Memory()
    fill_from_dmi(mem, parse_dmidecode(text), [])
    assert mem.dimms is not None
    assert [d.size_bytes for d in mem.dimms] == sizes
    assert mem.installed_bytes == sum(sizes)
    assert mem.slots_total is not None and mem.slots_free is not None
    assert 0 <= mem.slots_free <= mem.slots_total


def test_aspire_one_hex_part_number_and_jedec_maker() -> None:
    mem = Memory()
    fill_from_dmi(
        mem, parse_dmidecode((CORPUS / "dmidecode/Acer_Aspire_One_AOHAPPY.txt").read_text()), []
    )
    assert mem.dimms is not None
    (dimm,) = mem.dimms
    assert (dimm.manufacturer, dimm.part_number, dimm.type) == (
        "SK Hynix",
        "HYMP112S64CP6-S6",
        "DDR2",
    )


def test_b570_counts_three_free_slots_and_g50_keeps_an_unknown_maker_id() -> None:
    mem = Memory()
    fill_from_dmi(
        mem, parse_dmidecode((CORPUS / "dmidecode/Lenovo_B570_HuronRiver.txt").read_text()), []
    )
    assert (mem.slots_total, mem.slots_free) == (4, 3)
    g50 = Memory()
    fill_from_dmi(
        g50, parse_dmidecode((CORPUS / "dmidecode/Lenovo_G50-80_80E5.txt").read_text()), []
    )
    assert g50.dimms is not None
    assert [d.manufacturer for d in g50.dimms] == ["Kingston", "0467"]


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        ("8192 MB", 8 << 30),
        ("4 GB", 4 << 30),
        ("512 kB", 512 << 10),
        ("1 TB", 1 << 40),
        ("No Module Installed", None),
        ("Unknown", None),
        ("", None),
        (None, None),
        ("8 GiB", None),
    ],
)
def test_sizes(raw: str | None, size: int | None) -> None:
    assert parse_size_bytes(raw) == size


@pytest.mark.parametrize(
    ("raw", "speed"),
    [
        ("1867 MT/s", 1867),
        ("1333 MHz", 1333),
        ("533 MHz (1.9 ns)", 533),
        ("Unknown", None),
        ("0 MT/s", None),
        (None, None),
    ],
)
def test_speeds(raw: str | None, speed: int | None) -> None:
    assert parse_speed_mts(raw) == speed


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("DDR4", "DDR4"),
        ("LPDDR3", "LPDDR3"),
        ("Unknown", None),
        ("Other", None),
        ("<OUT OF SPEC>", None),
    ],
)
def test_types(raw: str, kind: str | None) -> None:
    assert memory_type(raw) == kind


@pytest.mark.parametrize(
    ("raw", "maker"),
    [
        ("0x80AD", "SK Hynix"),
        ("80CE000080CE", "80CE000080CE"),
        ("CE00000000000000", "Samsung"),
        ("0x802C", "Micron"),
        ("Kingston", "Kingston"),
        ("Not Specified", None),
        ("Manufacturer00", None),
        ("0000", None),
        ("Undefined", None),
    ],
)
def test_module_makers(raw: str, maker: str | None) -> None:
    assert manufacturer_name(raw) == maker


@pytest.mark.parametrize(
    ("raw", "part"),
    [
        ("M471A5244CB0-CRC    ", "M471A5244CB0-CRC"),
        ("48594D503131325336344350362D53362020", "HYMP112S64CP6-S6"),
        ("PartNum0", None),
        ("Not Specified", None),
        ("FFFFFFFF", None),
        ("0x0000", "0x0000"),
    ],
)
def test_part_numbers(raw: str, part: str | None) -> None:
    assert part_number(raw) == part


def _table(form: str, kind: str, locator: str = "DIMM A") -> str:
    return (
        "Handle 0x0001, DMI type 16, 23 bytes\nPhysical Memory Array\n\tUse: System Memory\n"
        "\tMaximum Capacity: 32 GB\n\tNumber Of Devices: 2\n\n"
        "Handle 0x0002, DMI type 17, 40 bytes\nMemory Device\n\tArray Handle: 0x0001\n"
        f"\tSize: 8 GB\n\tForm Factor: {form}\n\tLocator: {locator}\n\tType: {kind}\n\n"
        "Handle 0x0003, DMI type 17, 40 bytes\nMemory Device\n\tArray Handle: 0x0001\n"
        "\tSize: No Module Installed\n\tForm Factor: Unknown\n\tLocator: DIMM B\n\tType: Unknown\n"
    )


@pytest.mark.parametrize(
    ("form", "kind", "locator", "soldered", "slots"),
    [
        ("SODIMM", "DDR4", "DIMM A", False, (2, 1)),
        ("Row Of Chips", "DDR4", "DIMM A", True, (1, 1)),
        ("SODIMM", "LPDDR4", "DIMM A", True, (1, 1)),
        ("Unknown", "DDR4", "Onboard Memory", True, (1, 1)),
        ("Unknown", "DDR4", "DIMM A", None, (2, 1)),
    ],
)
def test_soldered_rules_and_slots(
    form: str, kind: str, locator: str, soldered: bool | None, slots: tuple[int, int]
) -> None:
    mem = Memory()
    fill_from_dmi(mem, parse_dmidecode(_table(form, kind, locator)), [])
    assert mem.dimms is not None and mem.dimms[0].soldered is soldered
    assert (mem.slots_total, mem.slots_free) == slots
    assert mem.max_capacity_bytes == 32 << 30


def test_zero_size_record_is_an_empty_slot() -> None:
    text = _table("SODIMM", "DDR4").replace("No Module Installed", "0 B")
    mem = Memory()
    fill_from_dmi(mem, parse_dmidecode(text), [])
    assert mem.dimms is not None and len(mem.dimms) == 1
    assert (mem.slots_total, mem.slots_free) == (2, 1)


def test_unreadable_module_size_is_a_note() -> None:
    text = _table("SODIMM", "DDR4").replace("Size: 8 GB", "Size: garbage")
    notes: list[Note] = []
    mem = Memory()
    fill_from_dmi(mem, parse_dmidecode(text), notes)
    assert mem.dimms == [] and mem.installed_bytes is None
    assert [n.code for n in notes] == ["memory.unreadable_module", "memory.no_modules"]


def _host(tmp_path: Path, meminfo: str | None) -> RecordedHost:
    absent = []
    if meminfo is None:
        absent.append("/proc/meminfo")
    else:
        (tmp_path / "fs/proc").mkdir(parents=True)
        (tmp_path / "fs/proc/meminfo").write_text(meminfo)
    (tmp_path / "host.json").write_text(json.dumps({"absent": absent}))
    return RecordedHost(tmp_path)


def test_without_root_only_proc_is_used(tmp_path: Path) -> None:
    host = _host(tmp_path, "MemTotal:        8038756 kB\nMemFree:  1 kB\n")
    notes: list[Note] = []
    mem = probe_memory(host, notes, None)
    assert (mem.total_bytes, mem.source, mem.dimms, mem.installed_bytes) == (
        8038756 * 1024,
        "proc",
        None,
        None,
    )
    assert notes == []


def test_unreadable_meminfo_is_a_note(tmp_path: Path) -> None:
    notes: list[Note] = []
    mem = probe_memory(_host(tmp_path, "garbage\n"), notes, None)
    assert mem.total_bytes is None and mem.source == "none"
    assert [n.code for n in notes] == ["memory.no_meminfo"]


def test_dmi_without_memory_records_keeps_proc(tmp_path: Path) -> None:
    table = parse_dmidecode((CORPUS / "battery/dmidecode-type22_Dell_XDY9K16.txt").read_text())
    mem = probe_memory(_host(tmp_path, "MemTotal: 1024 kB\n"), [], table)
    assert mem.source == "proc" and mem.dimms is None
