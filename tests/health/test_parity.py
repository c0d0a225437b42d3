"""The JSON path and the pySMART text path give the same DiskHealth for the same drive."""

from __future__ import annotations

from pathlib import Path

from bench_agent.health import assess_output, load_policy

HERE = Path(__file__).resolve().parent
JSON = HERE.parent / "corpus" / "smartctl" / "json" / "WD_BLACK_SN770_500GB_healthy.json"
TEXT = HERE / "fixtures" / "pairs" / "WD_BLACK_SN770_500GB_smartctl73_all.txt"


def test_same_drive_same_health() -> None:
    policy = load_policy()
    from_json = assess_output(JSON.read_bytes(), policy, "/dev/nvme0")
    from_text = assess_output(TEXT.read_bytes(), policy, "/dev/nvme0")
    assert from_json.source == "smartctl-json" and from_text.source == "smartctl-text"
    same = (
        "verdict",
        "model",
        "serial",
        "firmware",
        "protocol",
        "percentage_used",
        "temperature_c",
        "reason",
    )
    for field in same:
        assert getattr(from_json, field) == getattr(from_text, field), field
    assert [(f.code, f.severity, f.value) for f in from_json.findings] == [
        (f.code, f.severity, f.value) for f in from_text.findings
    ]
    # The text was captured about an hour before the JSON.
    assert from_json.power_on_hours == 670 and from_text.power_on_hours == 669


def test_same_rules_after_the_same_edit() -> None:
    """Edit the same value in both formats: both paths reach the same new verdict."""
    policy = load_policy()
    json_text = JSON.read_text().replace('"media_errors": 0', '"media_errors": 3')
    text = TEXT.read_text().replace(
        "Media and Data Integrity Errors:    0", "Media and Data Integrity Errors:    3"
    )
    a = assess_output(json_text, policy, "x")
    b = assess_output(text, policy, "x")
    assert a.verdict == b.verdict == "FAIL"
    assert a.findings[0].code == b.findings[0].code == "nvme.media_errors"
    assert a.findings[0].value == b.findings[0].value == 3
