"""The journal detects edited, deleted, reordered and truncated entries; hostile lines are
reported, never raised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wipe.engine import EraseContext, record_interrupted
from wipe.journal import Journal, JournalError, entry_hash, verify_journal
from wipe.policy import load_policy
from wipe.signing import BenchKey


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.jsonl", BenchKey.generate())
    for i in range(6):
        j.append("pass-end", {"session_id": "s1", "index": i, "ok": True})
    return j


def _lines(j: Journal) -> list[str]:
    return j.path.read_text().splitlines()


def _write(j: Journal, lines: list[str]) -> None:
    j.path.write_text("\n".join(lines) + "\n")


def test_intact_journal_verifies(journal: Journal) -> None:
    report = verify_journal(journal.path)
    assert report.ok, report.problems
    assert report.entries == 6
    assert [p["seq"] for p in report.payloads] == list(range(1, 7))


def test_edited_entry_is_found(journal: Journal) -> None:
    lines = _lines(journal)
    doc = json.loads(lines[2])
    doc["payload"]["data"]["ok"] = False
    lines[2] = json.dumps(doc, sort_keys=True)
    _write(journal, lines)
    report = verify_journal(journal.path)
    assert not report.ok
    assert any(p.startswith("line 3: entry was edited") for p in report.problems)


def test_deleted_entry_is_found(journal: Journal) -> None:
    lines = _lines(journal)
    del lines[3]
    _write(journal, lines)
    problems = verify_journal(journal.path).problems
    assert any("entries 4..4 are missing" in p for p in problems)
    assert any("hash chain broken" in p for p in problems)


def test_reordered_entries_are_found(journal: Journal) -> None:
    lines = _lines(journal)
    lines[1], lines[4] = lines[4], lines[1]
    _write(journal, lines)
    problems = verify_journal(journal.path).problems
    assert any("reordered" in p or "missing" in p for p in problems)
    assert any("hash chain broken" in p for p in problems)


def test_truncated_tail_is_found_by_the_signed_head(journal: Journal) -> None:
    _write(journal, _lines(journal)[:-2])
    problems = verify_journal(journal.path).problems
    assert len(problems) == 1
    assert "signed head says 6" in problems[0]


def test_stopped_between_an_entry_and_its_head_is_not_tampering(journal: Journal) -> None:
    # A kill or a power cut after the entry's fsync and before the head's rename: the
    # head still names the entry before the last one.
    head_before = journal.head_path.read_bytes()
    journal.append("checkpoint", {"session_id": "s1", "index": 0, "bytes_done": 4096})
    journal.head_path.write_bytes(head_before)
    report = verify_journal(journal.path)
    assert report.ok, report.problems
    assert report.unconfirmed_last_entry and report.entries == 7
    # The next append confirms it.
    journal.append("session-end", {"session_id": "s1", "result": "INTERRUPTED"})
    again = verify_journal(journal.path)
    assert again.ok and not again.unconfirmed_last_entry


def test_a_head_two_entries_behind_is_still_found(journal: Journal) -> None:
    head_before = journal.head_path.read_bytes()
    journal.append("checkpoint", {"session_id": "s1", "index": 0, "bytes_done": 1})
    journal.append("checkpoint", {"session_id": "s1", "index": 0, "bytes_done": 2})
    journal.head_path.write_bytes(head_before)
    report = verify_journal(journal.path)
    assert not report.ok and "signed head says 6" in report.problems[0]


def test_a_last_entry_replaced_after_a_stale_head_is_found(journal: Journal) -> None:
    head_before = journal.head_path.read_bytes()
    journal.append("session-end", {"session_id": "s1", "result": "FAILED"})
    journal.head_path.write_bytes(head_before)
    lines = _lines(journal)
    envelope = json.loads(lines[-1])
    envelope["payload"]["data"]["result"] = "ERASED"  # the signature no longer verifies
    _write(journal, [*lines[:-1], json.dumps(envelope)])
    assert not verify_journal(journal.path).ok


def test_garbage_line_is_reported_not_raised(journal: Journal) -> None:
    lines = _lines(journal)
    lines[0] = lines[0][:40]
    _write(journal, lines)
    report = verify_journal(journal.path)
    assert "line 1: not valid JSON" in report.problems[0]
    with pytest.raises(JournalError, match="damaged"):
        journal.path.write_text(lines[0] + "\n")
        journal.append("x", {})


def test_entries_signed_by_another_key_are_found(journal: Journal) -> None:
    other = Journal(journal.path, BenchKey.generate())
    other.append("pass-end", {"session_id": "s1"})
    problems = verify_journal(journal.path).problems
    assert any("signed by another key" in p for p in problems)


def test_trusted_key_rejects_foreign_journal(journal: Journal) -> None:
    stranger = BenchKey.generate()
    report = verify_journal(journal.path, trusted_public_key=stranger.public_raw)
    assert not report.ok


def test_interrupted_session_gets_an_interrupted_certificate(tmp_path: Path) -> None:
    key = BenchKey.generate()
    j = Journal(tmp_path / "journal.jsonl", key)
    j.append("session-start", {"session_id": "done", "device": {"device_path": "/dev/sdb"}})
    j.append("session-end", {"session_id": "done", "result": "ERASED"})
    j.append(
        "session-start",
        {"session_id": "killed", "device": {"device_path": "/dev/sdc", "serial": "S3Z1NB0K"}},
    )
    j.append("pass-start", {"session_id": "killed", "index": 0})
    ctx = EraseContext(key=key, journal=j, cert_dir=tmp_path / "certs", policy=load_policy())
    outcomes = record_interrupted(verify_journal(j.path), ctx)
    assert [o.result for o in outcomes] == ["INTERRUPTED"]
    payload = outcomes[0].envelope["payload"]
    assert payload["media"]["serial"] == "S3Z1NB0K"
    assert payload["last_journal_event"]["event"] == "pass-start"
    assert payload["sanitization"]["level"] is None
    # Recorded once: the journal now closes that session.
    assert record_interrupted(verify_journal(j.path), ctx) == []
    assert verify_journal(j.path).ok


def test_power_cut_mid_line_is_acknowledged_not_hidden(journal: Journal) -> None:
    whole = journal.path.read_bytes()
    journal.path.write_bytes(whole + b'{"payload": {"data": {"session_id": "s1", "ind')
    report = verify_journal(journal.path)
    assert not report.ok and "line 7: not valid JSON" in report.problems[0]

    entry = journal.append("session-start", {"session_id": "s2"})  # the next run goes on
    assert entry["seq"] == 8  # 6 entries, the torn-entry acknowledgement, this one
    report = verify_journal(journal.path)
    assert report.ok, report.problems
    assert report.torn_lines == [7]
    assert [p["event"] for p in report.payloads][-2:] == ["torn-entry", "session-start"]

    # The torn bytes are covered by the acknowledgement's hash: editing them is caught.
    raw = journal.path.read_bytes().replace(b'"ind\n', b'"inx\n')
    journal.path.write_bytes(raw)
    assert not verify_journal(journal.path).ok


def test_hostile_deeply_nested_line(journal: Journal) -> None:
    journal.path.write_bytes(journal.path.read_bytes() + b"[" * 200_000 + b"\n")
    report = verify_journal(journal.path)
    assert not report.ok


def test_short_writes_still_give_whole_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.write may write part of a line (signals, a nearly full disk): the journal
    writes the rest, and every entry verifies."""
    import os

    real = os.write

    def dribble(fd: int, data: bytes) -> int:
        return real(fd, bytes(data[:7]))

    key = BenchKey.generate()
    j = Journal(tmp_path / "short.jsonl", key)
    monkeypatch.setattr(os, "write", dribble)
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    monkeypatch.undo()
    report = verify_journal(tmp_path / "short.jsonl")
    assert report.ok, report.problems
    assert report.entries == 3


def test_journal_line_with_a_non_object_signature_is_reported(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    lines = j.path.read_text().splitlines()
    doc = json.loads(lines[1])
    doc["signature"] = "forged"
    lines[1] = json.dumps(doc)
    j.path.write_text("\n".join(lines) + "\n")
    report = verify_journal(j.path)
    assert not report.ok
    assert any(p.startswith("line 2:") for p in report.problems)


def test_journal_line_with_nan_is_reported(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    lines = j.path.read_text().splitlines()
    lines[1] = lines[1].replace('"index": 1', '"index": NaN')
    assert "NaN" in lines[1]
    j.path.write_text("\n".join(lines) + "\n")
    report = verify_journal(j.path)
    assert not report.ok
    assert any(p.startswith("line 2:") for p in report.problems)


def test_cut_tail_with_a_head_signed_by_another_key_is_found(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(4):
        j.append("pass-end", {"session_id": "s", "index": i})
    lines = j.path.read_text().splitlines()[:2]
    j.path.write_text("\n".join(lines) + "\n")
    forged = BenchKey.generate().sign({"seq": 2, "hash": entry_hash(json.loads(lines[-1]))})
    j.head_path.write_text(json.dumps(forged))
    report = verify_journal(j.path)
    assert not report.ok
    assert any("head" in p for p in report.problems)


def test_line_missing_only_its_newline_stays_in_the_chain(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    raw = j.path.read_bytes()
    j.path.write_bytes(raw[:-1])
    j.append("session-end", {"session_id": "s", "result": "ERASED"})
    report = verify_journal(j.path)
    assert report.ok, report.problems
    assert [p["seq"] for p in report.payloads] == [1, 2, 3, 4]
    # A line really torn mid-way is still acknowledged by a torn-entry.
    raw = j.path.read_bytes()
    j.path.write_bytes(raw[:-40])
    j.append("session-end", {"session_id": "t", "result": "ERASED"})
    report = verify_journal(j.path)
    assert report.ok, report.problems
    assert report.torn_lines == [4]
    assert [p["event"] for p in report.payloads][-2:] == ["torn-entry", "session-end"]
