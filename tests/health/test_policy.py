"""The health policy file: defaults load, bad files name the file and the line or field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench_agent.health.policy import PolicyError, default_policy_text, load_policy, parse_policy


def test_default_policy_loads_with_every_rule() -> None:
    policy = load_policy()
    codes = {c.code for c in policy.ata_counter}
    assert {
        "ata.reallocated_sectors",
        "ata.pending_sectors",
        "ata.offline_uncorrectable",
        "ata.reported_uncorrectable",
        "ata.reallocation_events",
        "ata.spin_retries",
        "ata.command_timeouts",
        "ata.udma_crc_errors",
        "ata.load_cycles",
    } <= codes
    assert {c.id for c in policy.ata_counter} >= {5, 10, 187, 188, 196, 197, 198, 199, 193}
    assert {w.id for w in policy.wear.ata_attribute} >= {169, 173, 177, 202, 230, 231, 233}
    assert all(w.vendor for w in policy.wear.ata_attribute)
    assert {c.code: c.media for c in policy.ata_counter}["ata.reallocated_sectors"] == ["hdd"]
    assert policy.power_on.worn_min_hours is not None
    assert {b.bit for b in policy.nvme.critical_warning_bits} == set(range(6))
    assert policy.source.endswith("default.toml")


def test_custom_policy_file(tmp_path: Path) -> None:
    text = default_policy_text().replace("worn_min_hours = 30000", "worn_min_hours = 1000")
    file = tmp_path / "strict.toml"
    file.write_text(text, encoding="utf-8")
    assert load_policy(file).power_on.worn_min_hours == 1000


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('name = "x"\n[power_on]\nworn_min_hours 30000\n', encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(file)
    assert str(file) in str(err.value)
    assert "line 3" in str(err.value)


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    text = default_policy_text().replace("suspect_min = 10\n", 'suspect_min = "ten"\n', 1)
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "mine.toml")
    message = str(err.value)
    assert message.startswith("mine.toml (line ")
    assert "ata_counter[7].suspect_min" in message
    line = text.splitlines().index('suspect_min = "ten"') + 1
    assert f"(line {line})" in message


def test_unknown_key_is_refused() -> None:
    text = default_policy_text().replace("[power_on]\n", "[power_on]\nworn_min_hour = 3\n")
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "typo.toml")
    assert "worn_min_hour" in str(err.value)


def test_bad_severity_is_refused() -> None:
    text = default_policy_text().replace(
        'failing_now_prefail = "FAIL"', 'failing_now_prefail = "BAD"'
    )
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "sev.toml")
    assert "attribute_threshold.failing_now_prefail" in str(err.value)


def test_inconsistent_levels_are_refused() -> None:
    text = default_policy_text().replace("fail_min = 50\n", "fail_min = 0\n", 1)
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "levels.toml")
    assert "ata_counter[0] (id 5).fail_min" in str(err.value)
    line = text.splitlines().index("fail_min = 0") + 1
    assert f"(line {line})" in str(err.value)


def test_bad_regex_is_refused() -> None:
    text = default_policy_text().replace('"(?i)reserv|rsvd|resrvd|spare"', '"(unclosed"')
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "re.toml")
    assert "reserve.ata_reserve_name_pattern" in str(err.value)
    text = default_policy_text().replace('"^SSD_Life_Left$"', '"(unclosed"')
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "re.toml")
    assert "wear.ata_attribute[5].name_pattern" in str(err.value)


def test_unknown_medium_is_refused() -> None:
    text = default_policy_text().replace('media = ["hdd"]', 'media = ["tape"]', 1)
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "media.toml")
    assert "ata_counter[0].media" in str(err.value)


def test_older_policy_with_life_ids_still_loads() -> None:
    """A reconditioner's copy written before the vendor table keeps working."""
    text = default_policy_text().replace(
        "fail_min_pct = 95\n",
        'fail_min_pct = 95\nata_life_ids = [231]\nata_life_name_pattern = "(?i)life"\n',
        1,
    )
    policy = parse_policy(text, "old.toml")
    assert policy.wear.ata_life_ids == [231]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "missing.toml")
    assert "missing.toml" in str(err.value)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(binary)


def test_counter_needs_id_or_ids() -> None:
    text = default_policy_text().replace("id = 199\n", "", 1)
    text = text.replace('code = "ata.udma_crc_errors"', 'code = "ata.udma_crc_errors"\nids = []')
    with pytest.raises(PolicyError, match="give either id or ids"):
        parse_policy(text, "ids.toml")
