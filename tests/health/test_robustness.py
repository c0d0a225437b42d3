"""Truncated, empty, non-JSON, half-valid and mutated smartctl outputs.

They give UNKNOWN with a reason (or a verdict), never an exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench_agent.health import assess_output, load_policy

SMARTCTL = Path(__file__).resolve().parents[1] / "corpus" / "smartctl"
POLICY = load_policy()
VERDICTS = {"OK", "WORN", "SUSPECT", "FAIL", "UNKNOWN"}
JSON_FILES = sorted((SMARTCTL / "json").glob("*.json"))
TEXT_FILES = sorted((SMARTCTL / "text").glob("*.txt"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html>502 Bad Gateway</html>", "not a smartctl report"),
        (b"\xff\xfe\x00garbage", "not a smartctl report"),
        (b'{"smartctl": {"exit_status": 0}, "device": ', "truncated"),
        (b"[1, 2, 3]", "not an object"),
        (b'{"hello": "world"}', "no smartctl"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_bad_input_is_unknown_with_reason(data: bytes, reason: str) -> None:
    health = assess_output(data, POLICY, "/dev/sdz")
    assert health.verdict == "UNKNOWN"
    assert health.reason is not None
    assert reason in health.reason.en
    assert health.reason.fr != health.reason.en


def test_half_valid_json_with_wrong_types_is_unknown() -> None:
    doc = {
        "smartctl": {"exit_status": "zero", "messages": "oops"},
        "device": ["not", "a", "dict"],
        "ata_smart_attributes": {"table": "nope"},
        "smart_status": {"passed": "yes"},
        "power_on_time": {"hours": "many"},
    }
    health = assess_output(json.dumps(doc).encode(), POLICY, "/dev/sdz")
    assert health.verdict == "UNKNOWN"
    assert health.findings[0].code == "smart.no_data"


@pytest.mark.parametrize("path", JSON_FILES[:8] + TEXT_FILES[:6], ids=lambda p: p.name)
@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.6, 0.95])
def test_truncated_corpus_file(path: Path, fraction: float) -> None:
    data = path.read_bytes()
    cut = data[: int(len(data) * fraction)]
    health = assess_output(cut, POLICY, path.name)
    assert health.verdict in VERDICTS
    if path.suffix == ".json":
        # A cut JSON document is never judged from half its fields.
        assert health.verdict == "UNKNOWN"
        assert "truncated" in health.reason.en  # type: ignore[union-attr]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            out += _paths(item, (*prefix, index))
    return out


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file_index=st.integers(min_value=0, max_value=len(JSON_FILES) - 1),
    pick=st.integers(min_value=0),
    junk=JUNK,
)
def test_mutated_json_never_raises(file_index: int, pick: int, junk: Any) -> None:
    doc = json.loads(JSON_FILES[file_index].read_bytes())
    paths = _paths(doc)
    path = paths[pick % len(paths)]
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    health = assess_output(json.dumps(doc).encode(), POLICY, "/dev/sdz")
    assert health.verdict in VERDICTS
    assert health.reason is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file_index=st.integers(min_value=0, max_value=len(TEXT_FILES) - 1),
    line=st.integers(min_value=0),
    replacement=st.text(max_size=40),
)
def test_mutated_text_never_raises(file_index: int, line: int, replacement: str) -> None:
    lines = TEXT_FILES[file_index].read_text(encoding="utf-8", errors="replace").splitlines()
    lines[line % len(lines)] = replacement
    health = assess_output("\n".join(lines), POLICY, "/dev/sdz")
    assert health.verdict in VERDICTS
    assert health.reason is not None


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    health = assess_output(data, POLICY, "/dev/sdz")
    assert health.verdict in VERDICTS


def test_pysmart_dependency_errors_are_unknown() -> None:
    """pySMART lets humanfriendly.InvalidSize escape on a cut size line: still an answer."""
    text = (SMARTCTL / "text" / "Apple_SSD_AP0512Z_nvme_macos_healthy.txt").read_text()
    cut = text.replace("499,872 [255 GB]", "499,872 [")
    assert cut != text
    health = assess_output(cut, POLICY, "/dev/nvme0")
    assert health.verdict == "UNKNOWN"
    assert "pySMART" in health.reason.en  # type: ignore[union-attr]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_files_saved_by_windows_shells(encoding: str) -> None:
    """PowerShell 5 writes UTF-16 with a BOM; Notepad adds a UTF-8 BOM."""
    for path in (JSON_FILES[0], TEXT_FILES[1]):
        original = assess_output(path.read_bytes(), POLICY, path.name)
        saved = path.read_text(encoding="utf-8").encode(encoding)
        again = assess_output(saved, POLICY, path.name)
        assert again.verdict == original.verdict != "UNKNOWN"
        assert again.model == original.model
