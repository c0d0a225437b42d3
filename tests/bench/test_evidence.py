"""Evidence that could say two things is refused: a signed report or certificate with a
key twice reads one way here (last value) and another way in other tools (first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench_agent.bench.errors import BenchError
from bench_agent.bench.reports import load_report_file, sign_and_write
from bench_agent.host.recorded import RecordedHost
from bench_agent.inventory import collect_inventory
from bench_agent.unit import build_report
from wipe.certificate import verify_certificate
from wipe.signing import BenchKey, parse_json

X1 = Path(__file__).parents[1] / "fixtures/hosts/Lenovo_ThinkPad_X1_Carbon_5th_live"


def test_parse_json_refuses_a_duplicated_key_at_any_depth() -> None:
    assert parse_json('{"a": {"b": 1}}') == {"a": {"b": 1}}
    for raw in ('{"a": 1, "a": 2}', '{"x": {"result": "FAILED", "result": "ERASED"}}'):
        with pytest.raises(ValueError, match="duplicate key"):
            parse_json(raw)


def test_a_signed_report_with_a_duplicated_field_is_refused(tmp_path: Path) -> None:
    key = BenchKey.generate()
    report = build_report(collect_inventory(RecordedHost(str(X1))))
    path = tmp_path / "report.json"
    sign_and_write(report, key, path)
    assert load_report_file(path).signed  # the honest file loads
    text = path.read_text()
    # A second "revision" before the signed one: readers keeping the first value and
    # readers keeping the last would see two different documents.
    doubled = text.replace('"revision":', '"revision":99,"revision":', 1)
    assert doubled != text
    path.write_text(doubled)
    with pytest.raises(BenchError) as refused:
        load_report_file(path)
    assert "JSON" in refused.value.text.en


def test_a_certificate_with_a_duplicated_result_is_refused(tmp_path: Path) -> None:
    key = BenchKey.generate()
    payload = {"certificate_id": "c1", "result": "FAILED"}
    envelope = key.sign(payload)
    body = json.dumps(envelope)
    assert parse_json(body)["payload"] == payload
    # The signed value last: a last-value-wins reader verifies it, a first-value one
    # reads ERASED.
    forged = body.replace('"result": "FAILED"', '"result": "ERASED", "result": "FAILED"')
    # A reader keeping the first value sees FAILED, one keeping the last sees ERASED:
    # the document is ambiguous and must not be read at all.
    path = tmp_path / "cert.json"
    path.write_text(forged)
    assert not verify_certificate(path).ok
