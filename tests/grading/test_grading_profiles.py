"""Profiles: shipped ones load; broken ones fail with the exact message (file, line, field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench_agent.grading import ProfileError, load_cosmetic_scale, load_needs, load_profile
from bench_agent.grading.profile import list_profiles, load_need

BASE = """\
name = "test-base"
version = "1"
valid_from = "2025-01-01"

[criteria.ram]
thresholds = [4, 8]
notes = [0, 1, 2]

[[bands]]
category = "D"
min = 0
max = 1

[[bands]]
category = "A"
min = 2
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    return caught.value


def test_shipped_profiles_load_and_differ_as_documented() -> None:
    names = [p.stem for p in list_profiles()]
    assert names == ["network-2022", "network-2024"]
    current = load_profile("network-2024")
    previous = load_profile("network-2022")
    assert previous.chain[1].endswith("network-2024.toml")
    assert previous.spec.extends == "network-2024" and current.spec.extends is None
    for key in ("ram", "ssd", "hdd"):
        assert current.criterion(key).tolerance_pct == 0  # type: ignore[union-attr]
        assert previous.criterion(key).tolerance_pct == 6  # type: ignore[union-attr]
    assert current.spec.caps["cpu_below_3500"].enabled
    assert not previous.spec.caps["cpu_below_3500"].enabled
    # Everything else is inherited unchanged.
    assert previous.spec.bands == current.spec.bands
    assert previous.spec.modifiers == current.spec.modifiers
    assert previous.criterion("cpu") == current.criterion("cpu")


def test_shipped_needs_and_cosmetic_scale() -> None:
    needs = {n.id: n for n in load_needs()}
    assert set(needs) == {
        "first-steps",
        "office-admin",
        "student",
        "graphic-design-video",
        "development",
    }
    for need in needs.values():
        fields = ("ram", "storage", "cpu", "screen", "battery", "webcam")
        reqs = [getattr(need.requires, f) for f in fields if getattr(need.requires, f)]
        assert reqs, need.id
        assert all(r.why_fr and r.why_en for r in reqs), need.id
    scale = load_cosmetic_scale()
    assert [g.code for g in scale.grades] == ["Z", "A", "B", "C", "D", "E"]
    assert scale.grades[2].fr == "Très bon état : petites marques à des endroits difficiles à voir."


def test_bad_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", 'name = "bad"\nversion = "1\nvalid_from = "2025-01-01"\n')
    error = error_of(path)
    assert str(error) == (
        f"{path}:2: (syntax): invalid TOML: Illegal character '\\n'; "
        "expected valid TOML syntax (https://toml.io)"
    )
    assert error.text.fr == (
        f"{path}:2 : (syntax) : TOML invalide : Illegal character '\\n' ; "
        "attendu : une syntaxe TOML valide (https://toml.io)"
    )


def test_unknown_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, "unknown", BASE.replace("notes = [0, 1, 2]", 'notes = [0, 1, 2]\ncolour = "red"')
    )
    error = error_of(path)
    assert (error.line, error.field) == (8, "criteria.ram.colour")
    assert str(error) == (
        f"{path}:8: criteria.ram.colour: unknown field; expected one of: thresholds, notes, "
        "tolerance_pct, unknown_note, enabled"
    )
    assert error.text.fr == (
        f"{path}:8 : criteria.ram.colour : champ inconnu ; attendu : un de : thresholds, notes, "
        "tolerance_pct, unknown_note, enabled"
    )


def test_unknown_criterion(tmp_path: Path) -> None:
    path = write(tmp_path, "gpu", BASE + "\n[criteria.gpu]\nthresholds = [1]\nnotes = [0, 1]\n")
    assert str(error_of(path)) == (
        f"{path}:18: criteria.gpu: unknown field; expected one of: ram, ssd, hdd, cpu, screen, "
        "battery"
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "wrongtype", BASE.replace("[4, 8]", '[4, "eight"]'))
    assert str(error_of(path)) == (
        f"{path}:6: criteria.ram.thresholds[1]: wrong type (a quoted string); expected a number"
    )


def test_overlapping_bands(tmp_path: Path) -> None:
    path = write(tmp_path, "overlap", BASE.replace("min = 2", "min = 1"))
    assert str(error_of(path)) == (
        f"{path}:16: bands[1].min: overlapping bands: note 1 is in both D and A; expected min = 2"
    )


def test_gapped_bands(tmp_path: Path) -> None:
    path = write(tmp_path, "gap", BASE.replace("min = 2", "min = 4"))
    error = error_of(path)
    assert str(error) == (
        f"{path}:16: bands[1].min: gap between bands: notes 2 to 3 have no category; "
        "expected min = 2"
    )
    assert error.text.fr == (
        f"{path}:16 : bands[1].min : trou entre les tranches : les notes 2 à 3 sans catégorie ; "
        "attendu : min = 2"
    )


def test_bad_category_name(tmp_path: Path) -> None:
    path = write(tmp_path, "badcat", BASE.replace('category = "A"', 'category = "Z"'))
    assert str(error_of(path)) == (
        f"{path}:15: bands[1].category: invalid value 'Z'; expected one of: D, C, B, A, PREMIUM"
    )


def test_notes_count(tmp_path: Path) -> None:
    path = write(tmp_path, "notes", BASE.replace("notes = [0, 1, 2]", "notes = [0, 1]"))
    assert str(error_of(path)) == (
        f"{path}:7: criteria.ram.notes: 2 notes for 2 thresholds; expected 3 notes (one per "
        "threshold, plus one above the last)"
    )


def test_cyclic_inheritance(tmp_path: Path) -> None:
    head = 'version = "1"\nvalid_from = "2025-01-01"\n'
    a = write(tmp_path, "cyc-a", f'name = "cyc-a"\n{head}extends = "cyc-b"\n')
    write(tmp_path, "cyc-b", f'name = "cyc-b"\n{head}extends = "cyc-a"\n')
    assert str(error_of(a)) == (
        f"{a}:4: extends: cyclic inheritance: cyc-a → cyc-b → cyc-a; expected a chain that "
        "ends with a profile without 'extends'"
    )


def test_missing_parent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "orphan",
        'name = "orphan"\nversion = "1"\nvalid_from = "2025-01-01"\nextends = "nowhere"\n',
    )
    assert str(error_of(path)) == (
        f"{path}:4: extends: parent profile 'nowhere' not found; expected one of: network-2022, "
        "network-2024"
    )


def test_error_in_child_names_the_child_file(tmp_path: Path) -> None:
    write(tmp_path, "test-base", BASE)
    child = write(
        tmp_path,
        "child",
        'extends = "test-base"\nname = "child"\nversion = "2"\nvalid_from = "2025-06-01"\n\n'
        '[criteria.ram]\ntolerance_pct = "six"\n',
    )
    assert str(error_of(child)) == (
        f"{child}:7: criteria.ram.tolerance_pct: wrong type (a quoted string); expected a number"
    )


def test_error_in_parent_names_the_parent_file(tmp_path: Path) -> None:
    parent = write(tmp_path, "test-base", BASE.replace("min = 2", "min = 3"))
    child = write(
        tmp_path,
        "child",
        'extends = "test-base"\nname = "child"\nversion = "2"\nvalid_from = "2025-06-01"\n',
    )
    assert str(error_of(child)) == (
        f"{parent}:16: bands[1].min: gap between bands: note 2 has no category; expected min = 2"
    )


def test_reconditioner_overrides_a_few_rules(tmp_path: Path) -> None:
    # A reconditioner keeps the network's rules but asks for 8 GiB for the top RAM note
    # and drops the Windows 11 cap (it installs Linux on everything).
    site = write(
        tmp_path,
        "site-grenoble",
        'name = "site-grenoble"\nversion = "2025.1"\nvalid_from = "2025-03-01"\n'
        'extends = "network-2024"\n\n[criteria.ram]\nthresholds = [4, 5, 6, 8]\n\n'
        "[caps.not_windows11]\nenabled = false\n",
    )
    profile = load_profile(site)
    assert profile.chain[0] == str(site)
    assert profile.criterion("ram").thresholds == [4, 5, 6, 8]  # type: ignore[union-attr]
    assert profile.criterion("ram").notes == [0, 1, 2, 3, 4]  # type: ignore[union-attr]
    assert not profile.spec.caps["not_windows11"].enabled
    assert profile.spec.caps["hdd"].enabled


def test_bad_need_file(tmp_path: Path) -> None:
    folder = tmp_path / "needs"
    folder.mkdir()
    path = write(
        folder,
        "x",
        'id = "x"\nname_fr = "X"\nname_en = "X"\n\n[requires.ram]\nmin_gib = "lots"\n'
        'why_fr = "a"\nwhy_en = "b"\n',
    )
    with pytest.raises(ProfileError) as caught:
        load_need(path)
    assert (
        str(caught.value)
        == f"{path}:6: requires.ram.min_gib: wrong type (a quoted string); expected a number"
    )


def test_invalid_date_and_non_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "date", BASE.replace("2025-01-01", "2025-13-45"))
    assert str(error_of(path)) == (
        f"{path}:3: valid_from: invalid date '2025-13-45'; expected a date YYYY-MM-DD"
    )
    raw = tmp_path / "latin1.toml"
    raw.write_bytes(b'name = "x"\ndescription_fr = "\xe9t\xe9"\n')
    assert (
        str(error_of(raw)) == f"{raw}:2: (encoding): bytes that are not UTF-8; expected UTF-8 text"
    )


@pytest.mark.parametrize("value", ["[" * 50_000 + "]" * 50_000, "{a=" * 5_000 + "1" + "}" * 5_000])
def test_hostile_nesting_is_a_clear_error(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "deep", f"name = {value}\n")
    assert str(error_of(path)) == (
        f"{path}: (syntax): nesting too deep; expected a profile file of reasonable depth"
    )


def test_bad_value_in_a_named_table_names_its_key(tmp_path: Path) -> None:
    # msgspec reports "caps[...]" without the key: the error must still name caps.hdd.
    site = write(
        tmp_path,
        "site",
        'name = "site"\nversion = "1"\nvalid_from = "2025-01-01"\nextends = "network-2024"\n'
        '\n[caps.hdd]\nwhen = { storage = "floppy" }\n',
    )
    assert str(error_of(site)) == (
        f"{site}:7: caps.hdd.when.storage: invalid value 'floppy'; expected one of: hdd, ssd, nvme"
    )
