"""Identity: placeholder DMI strings, non-UTF-8 bytes, commercial model, chassis and dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.model.inventory import Identity
from bench_agent.probes.dmi_junk import clean, is_junk
from bench_agent.probes.dmidecode import parse_dmidecode
from bench_agent.probes.identity import (
    CHASSIS_TYPES,
    DMI_ID_FILES,
    chassis_from_code,
    commercial_model,
    complete_from_dmidecode,
    iso_date,
    normalise_maker,
    probe_identity,
)

CORPUS = Path(__file__).parent.parent / "corpus"

JUNK = [
    "To Be Filled By O.E.M.",
    "to be filled by o.e.m.",
    "  To Be Filled By O.E.M.  ",
    "Default string",
    "System Serial Number",
    "System Product Name",
    "System manufacturer",
    "System SKUNumber",
    "Not Applicable",
    "Not Specified",
    "None",
    "NULL",
    "N/A",
    "INVALID",
    "<BAD INDEX>",
    "0123456789",
    "123456789",
    "xxxxx",
    "XXXXXXXXXXXX",
    "00000000",
    "0000000000000000",
    "0",
    "FFFFFFFF",
    "00000000-0000-0000-0000-000000000000",
    "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
    "03000200-0400-0500-0006-000700080009",
    "",
    "   ",
    "\t",
    "--",
    "Chassis Serial Number",
    "Base Board Serial Number",
    "Base Board Product Name",
    "Type2 - Board Serial Number",
    "serial#",
    "Type1ProductConfigId",
    "SERIAL\x07NUMBER",
    "AB\x00CD",
    "ABC\x1bDEF",
    "caf\udce9",  # b"caf\xe9" (Latin-1) read with surrogateescape
    "\udcff\udcfe",
    "A" * 201,
]
REAL = [
    "PF0QMY5N",
    "R90X1FA4",
    "$$T02XB1K9",
    "/5CQ6VY1/CN129633B700A6/",
    ".D8XD62J.CN4864363E7491.",
    "ThinkPad X1 Carbon 5th",
    "20HRCTO1WW",
    "WA017EA#ABF",
    "1.0",
    "0704",
    "4c4c4544-0043-5110-8036-b5c04f565931",
    "Café 1",
    "A",
]


@pytest.mark.parametrize("value", JUNK, ids=repr)
def test_junk_forms_are_recognised(value: str) -> None:
    assert is_junk(value)
    assert clean(value) is None


@pytest.mark.parametrize("value", REAL, ids=repr)
def test_real_values_are_kept(value: str) -> None:
    assert not is_junk(value)
    assert clean(value) == " ".join(value.split())


def _host(tmp_path: Path, files: dict[str, bytes | None], root: bool = False) -> RecordedHost:
    """A recorded host whose /sys/class/dmi/id holds ``files`` (None: absent)."""
    absent = []
    for name, _ in DMI_ID_FILES:
        path = f"/sys/class/dmi/id/{name}"
        data = files.get(name)
        if data is None:
            absent.append(path)
            continue
        target = tmp_path / "fs" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (tmp_path / "host.json").write_text(json.dumps({"root": root, "absent": absent}))
    return RecordedHost(tmp_path)


def test_non_utf8_and_placeholder_sysfs_values_become_unknown(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {
            "sys_vendor": b"LENOVO\n",
            "product_name": b"20L7S0XX00\n",
            "product_version": b"ThinkPad T480s\n",
            "product_serial": b"\xff\xfe\x81\x90\n",
            "product_uuid": b"00000000-0000-0000-0000-000000000000\n",
            "product_sku": b"To Be Filled By O.E.M.\n",
            "board_serial": b"Base Board Serial Number\n",
            "chassis_type": b"10\n",
            "bios_date": b"06/13/2019\n",
        },
    )
    notes: list[Note] = []
    ident = probe_identity(host, notes)
    assert ident.maker == "Lenovo"
    assert ident.model == "ThinkPad T480s"
    assert ident.product_name == "20L7S0XX00"
    assert ident.serial is None and ident.uuid is None and ident.sku is None
    assert ident.board_serial is None
    assert ident.junk_fields == ["serial", "sku", "uuid", "board_serial"]
    assert (ident.chassis_type, ident.form_factor) == ("Notebook", "laptop")
    assert ident.bios_date == "2019-06-13"
    assert notes == []


def test_root_only_files_absent_are_unknown_not_junk(tmp_path: Path) -> None:
    host = _host(tmp_path, {"sys_vendor": b"Dell Inc.\n", "product_name": b"Latitude 5490\n"})
    notes: list[Note] = []
    ident = probe_identity(host, notes)
    assert ident.serial is None and ident.uuid is None
    assert ident.junk_fields == []
    assert [n.code for n in notes] == ["identity.serial_unreadable"]
    assert (ident.maker, ident.model) == ("Dell", "Latitude 5490")


def test_no_dmi_at_all_is_a_note(tmp_path: Path) -> None:
    notes: list[Note] = []
    ident = probe_identity(_host(tmp_path, {}), notes)
    assert ident == Identity()
    assert [n.code for n in notes] == ["identity.no_dmi"]
    assert "DMI" in notes[0].message.fr


def test_dmidecode_fills_gaps_without_overwriting(tmp_path: Path) -> None:
    host = _host(
        tmp_path,
        {"sys_vendor": b"LENOVO\n", "product_name": b"81AX\n", "product_version": b"Custom name\n"},
    )
    ident = probe_identity(host, [])
    table = parse_dmidecode((CORPUS / "dmidecode/Lenovo_V330-15IKB_81AX.txt").read_text())
    complete_from_dmidecode(ident, table)
    assert ident.version == "Custom name"  # sysfs value kept
    assert ident.model == "Custom name"
    assert ident.serial == "R90X1FA4"  # root-only in sysfs, filled from dmidecode
    assert ident.uuid == "ea8444c5-208e-11ea-8356-803253e958ee"
    assert ident.chassis_type == "Notebook"
    complete_from_dmidecode(ident, None)  # no table: nothing changes
    assert ident.serial == "R90X1FA4"


def test_dmidecode_junk_is_listed() -> None:
    table = parse_dmidecode((CORPUS / "dmidecode/Lenovo_G560_0679.txt").read_text())
    ident = Identity()
    complete_from_dmidecode(ident, table)
    assert ident.board_model is None
    assert "board_model" in ident.junk_fields
    assert ident.maker == "Lenovo"  # chassis "Chassis Manufacturer" never used


@pytest.mark.parametrize(
    ("maker", "product", "version", "family", "sku", "model"),
    [
        ("Lenovo", "20L7S0XX00", "ThinkPad T480s", "ThinkPad T480s", None, "ThinkPad T480s"),
        ("Lenovo", "81AX", "Lenovo V330-15IKB", "V330-15IKB", None, "V330-15IKB"),
        (
            "Lenovo",
            "20HRCTO1WW",
            None,
            None,
            "LENOVO_MT_20HR_BU_Think_FM_ThinkPad X1 Carbon 5th",
            "ThinkPad X1 Carbon 5th",
        ),
        (
            "Lenovo",
            "80E5",
            "Lenovo",
            "IDEAPAD",
            "LENOVO_MT_80E5_BU_idea_FM_Lenovo G50-80",
            "G50-80",
        ),
        ("Lenovo", "20AL009CUS", "ThinkPad", "ThinkPad X240", None, "ThinkPad X240"),
        (
            "HP",
            "HP ProBook 450 G2",
            "A3009DD10303",
            "103C_5336AN G=N L=BUS B=HP S=PRO",
            None,
            "ProBook 450 G2",
        ),
        ("Dell", "Latitude E7240", None, None, None, "Latitude E7240"),
        ("ASUS", "X550CA", "1.0", "X", None, "X550CA"),
        ("Acer", "Aspire A315-53", "V2.02", "Aspire 3", None, "Aspire A315-53"),
        (
            "Microsoft",
            "Surface Pro 4",
            "124000000000000000000000D:0B:08F:1C:03P:38S:01E:0Y:0K:0U:02",
            "Surface",
            None,
            "Surface Pro 4",
        ),
        ("Lenovo", "0679", "0.1", None, None, None),
        (None, None, None, None, None, None),
    ],
)
def test_commercial_model(
    maker: str | None,
    product: str | None,
    version: str | None,
    family: str | None,
    sku: str | None,
    *,
    model: str | None,
) -> None:
    assert commercial_model(maker, product, version, family, sku) == model


@pytest.mark.parametrize(
    ("raw", "brand"),
    [
        ("LENOVO", "Lenovo"),
        ("Hewlett-Packard", "HP"),
        ("Dell Inc.", "Dell"),
        ("TOSHIBA", "Toshiba"),
        ("ASUSTeK COMPUTER INC.", "ASUS"),
        ("Apple Inc.", "Apple"),
        ("Fujitsu Siemens", "Fujitsu"),
        ("Schenker Technologies GmbH", "Schenker"),
        ("Some  New   Maker", "Some New Maker"),
    ],
)
def test_maker_normalisation(raw: str, brand: str) -> None:
    assert normalise_maker(raw) == brand


@pytest.mark.parametrize(
    ("code", "name", "form"),
    [
        ("3", "Desktop", "desktop"),
        ("8", "Portable", "laptop"),
        ("9", "Laptop", "laptop"),
        ("10", "Notebook", "laptop"),
        ("14", "Sub Notebook", "laptop"),
        ("30", "Tablet", "tablet"),
        ("31", "Convertible", "laptop"),
        ("32", "Detachable", "tablet"),
        ("23", "Rack Mount Chassis", "server"),
        ("138", "Notebook", "laptop"),
        ("Notebook", "Notebook", "laptop"),
        ("2", None, None),
        ("99", None, None),
        ("abc", None, None),
        (None, None, None),
    ],
)
def test_chassis_codes(code: str | None, name: str | None, form: str | None) -> None:
    assert chassis_from_code(code) == (name, form)


def test_chassis_table_is_complete() -> None:
    assert sorted(CHASSIS_TYPES) == list(range(1, 37))


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("06/13/2019", "2019-06-13"),
        ("1/3/2019", "2019-01-03"),
        ("08/13/02", "2002-08-13"),
        ("12/01/99", "1999-12-01"),
        ("2019-06-13", "2019-06-13"),
        ("13/45/2019", "13/45/2019"),
        (None, None),
    ],
)
def test_bios_dates(raw: str | None, iso: str | None) -> None:
    assert iso_date(raw) == iso
