"""dmidecode text parser over every real output in the corpus, plus broken and odd input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench_agent.host.base import CommandResult
from bench_agent.model.common import Note
from bench_agent.probes.dmidecode import parse_dmidecode, probe_dmidecode

CORPUS = Path(__file__).parent.parent / "corpus"
DMI_FILES = sorted((CORPUS / "dmidecode").glob("*.txt")) + sorted(
    (CORPUS / "battery").glob("dmidecode-*.txt")
)
_HANDLE_LINE = re.compile(r"^Handle 0x[0-9A-Fa-f]+, DMI type (\d+), \d+ bytes\r?$", re.M)


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def test_corpus_has_the_expected_files() -> None:
    assert len(DMI_FILES) == 20


@pytest.mark.parametrize("path", DMI_FILES, ids=lambda p: p.name)
def test_every_record_of_every_corpus_file_is_parsed(path: Path) -> None:
    text = _text(path)
    table = parse_dmidecode(text)
    # The record types, in order, are exactly the "Handle ..., DMI type N" lines of the file.
    assert [r.type for r in table.records] == [int(t) for t in _HANDLE_LINE.findall(text)]
    smbios = re.search(r"SMBIOS ([\d.]+) present", text)
    assert table.smbios_version == (smbios.group(1) if smbios else None)


@pytest.mark.parametrize("path", DMI_FILES, ids=lambda p: p.name)
def test_key_values_match_the_raw_lines(path: Path) -> None:
    """Every "\tKey: value" line of a record lands in that record's values."""
    text = _text(path)
    table = parse_dmidecode(text)
    chunks = re.split(r"^(?=Handle 0x)", text, flags=re.M)[1:]
    assert len(chunks) == len(table.records)
    checked = 0
    for chunk, record in zip(chunks, table.records, strict=True):
        for line in chunk.splitlines()[2:]:
            match = re.match(r"^(\t| {4}| {8})([A-Z][^:\t]*): (\S.*)$", line)
            if match and not line.startswith(("\t\t", "        " + " ")):
                key, value = match.group(2), match.group(3).strip()
                if key in record.values and record.values[key] == value:
                    checked += 1
                else:
                    # Duplicated keys keep their first value.
                    assert key in record.values, (record.handle, key)
    assert checked > 0


def test_system_and_memory_records_from_a_thinkpad() -> None:
    table = parse_dmidecode(
        _text(CORPUS / "dmidecode/Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW.txt")
    )
    system = table.first(1)
    assert system is not None
    assert system.name == "System Information"
    assert system.get("Version") == "ThinkPad X1 Carbon 5th"
    assert len(table.by_type(17)) == 2
    assert table.by_type(17)[0].get("Part Number") == "K4EBE304EB-EGCF"
    oem = table.first(222)
    assert oem is not None
    assert oem.lists["Strings"] == [
        "Memory Init Complete",
        "End of DXE Phase",
        "BIOS Boot Complete",
    ]
    bios = table.first(0)
    assert bios is not None
    assert "PCI is supported" in bios.lists["Characteristics"]


def test_record_without_a_name_line_and_eight_space_indent() -> None:
    table = parse_dmidecode(_text(CORPUS / "battery/dmidecode-type22_Dell_242WD6B.txt"))
    system, bat = table.records
    assert system.name == "" and system.values == {"key": "value"}
    assert bat.name == "Portable Battery"
    assert bat.get("Design Capacity") == "54990 mWh"
    assert bat.get("SBDS Chemistry") == "LION"


def test_old_dmidecode_with_the_type_on_its_own_line() -> None:
    text = (
        "# dmidecode 2.2\nSMBIOS 2.3 present.\n\nHandle 0x0100\n\tDMI type 1, 25 bytes.\n"
        "\tSystem Information\n\t\tManufacturer: IBM\n\t\tProduct Name: 2373G1G\n"
        "\t\tVersion: ThinkPad T40\n"
    )
    table = parse_dmidecode(text)
    system = table.first(1)
    assert system is not None
    assert system.name == "System Information"
    assert system.get("Version") == "ThinkPad T40"


@pytest.mark.parametrize("cut", [0, 1, 17, 100, 333, 1000, 4321, 9999])
def test_truncated_output_never_raises(cut: int) -> None:
    text = _text(CORPUS / "dmidecode/Dell_Latitude_E7240.txt")
    full = parse_dmidecode(text)
    part = parse_dmidecode(text[:cut])
    assert len(part.records) <= len(full.records)
    for got, want in zip(part.records[:-1], full.records, strict=False):
        assert got.type == want.type and got.values == want.values


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "\x00\x01\x02",
        "Handle",
        "Handle 0xZZ",
        "Handle 0x0001, DMI type",
        "\udcff\udcfe garbage\n\tKey: value",
        "End Of Table\n",
        ":::\n\t:\n\t\t:",
    ],
)
def test_garbage_gives_an_empty_or_partial_table(garbage: str) -> None:
    table = parse_dmidecode(garbage)
    assert all(r.type >= 0 for r in table.records)
    assert table.first(1) is None


def test_trailer_lines_end_a_record() -> None:
    text = (
        "Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: X\n"
        "End Of Table\n\tJunk: y\n"
    )
    system = parse_dmidecode(text).first(1)
    assert system is not None
    assert system.values == {"Manufacturer": "X"}


class _FakeHost:
    """Only what probe_dmidecode asks."""

    name = "fake"

    def __init__(self, root: bool, installed: bool, result: CommandResult | None = None) -> None:
        self.root, self.installed, self.result = root, installed, result
        self.ran: list[list[str]] = []

    def is_root(self) -> bool:
        return self.root

    def which(self, program: str) -> str | None:
        return f"/usr/sbin/{program}" if self.installed else None

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        self.ran.append(argv)
        assert self.result is not None
        return self.result


def test_not_root_gives_a_note_and_runs_nothing() -> None:
    host = _FakeHost(root=False, installed=True)
    notes: list[Note] = []
    assert probe_dmidecode(host, notes) is None  # type: ignore[arg-type]
    assert [n.code for n in notes] == ["dmidecode.not_root"]
    assert notes[0].message.fr and notes[0].message.en and host.ran == []


def test_not_installed_gives_a_note() -> None:
    notes: list[Note] = []
    assert probe_dmidecode(_FakeHost(root=True, installed=False), notes) is None  # type: ignore[arg-type]
    assert [n.code for n in notes] == ["dmidecode.not_installed"]


def test_timeout_without_output_gives_a_note() -> None:
    result = CommandResult(("dmidecode",), None, b"", error="timeout")
    notes: list[Note] = []
    assert probe_dmidecode(_FakeHost(True, True, result), notes) is None  # type: ignore[arg-type]
    assert [n.code for n in notes] == ["dmidecode.failed"]
    assert "timeout" in notes[0].message.en


def test_failure_with_partial_output_still_parses_it() -> None:
    text = _text(CORPUS / "dmidecode/Lenovo_G560_0679.txt")[:3000].encode()
    result = CommandResult(("dmidecode",), 1, text, b"/dev/mem: Operation not permitted")
    notes: list[Note] = []
    table = probe_dmidecode(_FakeHost(True, True, result), notes)  # type: ignore[arg-type]
    assert table is not None and table.first(0) is not None
    assert [n.code for n in notes] == ["dmidecode.failed"]
    assert "Operation not permitted" in notes[0].message.en


def test_empty_output_is_reported() -> None:
    result = CommandResult(
        ("dmidecode",), 0, b"# dmidecode 3.4\n# No SMBIOS nor DMI entry point found, sorry.\n"
    )
    notes: list[Note] = []
    assert probe_dmidecode(_FakeHost(True, True, result), notes) is None  # type: ignore[arg-type]
    assert [n.code for n in notes] == ["dmidecode.empty"]


def test_vm_without_smbios_gives_one_note() -> None:
    """This CI VM: exit 1, only comments on stdout, the reason on stderr."""
    result = CommandResult(
        ("dmidecode",),
        1,
        b"# dmidecode 3.4\nScanning /dev/mem for entry point.\n",
        b"/dev/mem: No such file or directory\n",
    )
    notes: list[Note] = []
    assert probe_dmidecode(_FakeHost(True, True, result), notes) is None  # type: ignore[arg-type]
    assert [n.code for n in notes] == ["dmidecode.failed"]
    assert notes[0].message.en == "dmidecode failed (code 1): /dev/mem: No such file or directory"
