"""Methods and policies are data; malformed files name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from wipe.methods import (
    MethodFileError,
    UnknownMethodError,
    available_methods,
    load_method,
    load_method_file,
    parse_verification,
)
from wipe.policy import load_policy

GOOD = """name = "custom"
title_fr = "Perso"
title_en = "Custom"
verification = "all"

[[passes]]
pattern = "0x55"

[[passes]]
pattern = "random"
"""


def test_shipped_methods() -> None:
    names = set(available_methods())
    assert {
        "zero",
        "one",
        "random",
        "dod-3pass",
        "dod-7pass",
        "hmg-is5-baseline",
        "hmg-is5-enhanced",
    } <= names
    assert [p.label for p in load_method("dod-7pass").passes] == [
        "0x00",
        "0xFF",
        "random",
        "random",
        "0x00",
        "0xFF",
        "random",
    ]
    assert load_method("hmg-is5-enhanced").verification.mode == "last"
    with pytest.raises(UnknownMethodError, match="gutmann"):
        load_method("gutmann")


def test_custom_method_file(tmp_path: Path) -> None:
    f = tmp_path / "custom.toml"
    f.write_text(GOOD)
    m = load_method(str(f))
    assert [p.label for p in m.passes] == ["0x55", "random"]
    assert m.verification.mode == "all"


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        (GOOD.replace('"0x55"', '"0x5G"'), 7, "pattern", "pass 1"),
        (GOOD.replace('pattern = "random"', "pattern = 3"), 10, "pattern", "pass 2"),
        (GOOD.replace('"all"', '"sometimes"'), 4, "verification", "sampled"),
        (GOOD.replace('"all"', '"sampled:0"'), 4, "verification", "> 0"),
        (
            GOOD.replace('title_en = "Custom"', 'title_en = "Custom"\ncolour = "red"'),
            4,
            "colour",
            "unknown field",
        ),
        (
            GOOD.replace('pattern = "random"', 'pattern = "random"\nrepeat = 2'),
            11,
            "repeat",
            "unknown field",
        ),
        (GOOD.replace('name = "custom"', 'name = "Custom Method"'), 1, "name", "lowercase"),
        (GOOD.replace('verification = "all"', 'verification = "all'), 4, "(syntax)", "TOML"),
        (GOOD.split("[[passes]]", maxsplit=1)[0], None, "passes", "missing"),
    ],
)
def test_malformed_method_names_file_line_field(
    tmp_path: Path, text: str, line: int | None, field: str, fragment: str
) -> None:
    f = tmp_path / "custom.toml"
    f.write_text(text)
    with pytest.raises(MethodFileError) as info:
        load_method_file(f)
    err = info.value
    assert err.file == str(f)
    assert err.field == field
    assert err.line == line
    assert fragment in str(err)
    assert str(f) in str(err)


def test_name_must_match_file(tmp_path: Path) -> None:
    f = tmp_path / "other.toml"
    f.write_text(GOOD)
    with pytest.raises(MethodFileError, match="differs from the file name") as info:
        load_method_file(f)
    assert info.value.line == 1


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "custom.toml"
    f.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MethodFileError, match="cannot read"):
        load_method_file(f)


@pytest.mark.parametrize(
    ("text", "mode", "percent"),
    [
        ("none", "none", None),
        ("LAST", "last", None),
        ("all", "all", None),
        ("sampled:10", "sampled", 10.0),
        ("sampled:0.5%", "sampled", 0.5),
    ],
)
def test_parse_verification(text: str, mode: str, percent: float | None) -> None:
    v = parse_verification(text)
    assert (v.mode, v.sample_percent) == (mode, percent)


@pytest.mark.parametrize("text", ["", "sampled:", "sampled:101", "sampled:x", "first"])
def test_parse_verification_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_verification(text)


def test_shipped_policy() -> None:
    p = load_policy()
    assert p.for_media("nvme").firmware is True
    assert p.for_media("hdd").firmware is False
    assert p.for_media("hdd").overwrite == "random"
    assert p.for_media("floppy") == p.for_media("unknown")
    assert p.allow_ata_security_erase is False


def test_malformed_policy(tmp_path: Path) -> None:
    from wipe.policy import default_policy_path

    text = (
        default_policy_path()
        .read_text()
        .replace("allow_ata_security_erase = false", 'allow_ata_security_erase = "yes"')
    )
    f = tmp_path / "policy.toml"
    f.write_text(text)
    with pytest.raises(MethodFileError) as info:
        load_policy(f)
    assert info.value.field == "firmware.allow_ata_security_erase"
    assert info.value.line == text.splitlines().index('allow_ata_security_erase = "yes"') + 1


def test_policy_hpa_flag(tmp_path: Path) -> None:
    from wipe.policy import default_policy_path

    assert load_policy().restore_native_max is True
    text = (
        default_policy_path()
        .read_text()
        .replace("restore_native_max = true", "restore_native_max = 1")
    )
    f = tmp_path / "policy.toml"
    f.write_text(text)
    with pytest.raises(MethodFileError) as info:
        load_policy(f)
    assert info.value.field == "hpa.restore_native_max"
