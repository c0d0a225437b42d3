"""The outbox file: idempotent, refuses what is not signed evidence, survives a kill -9."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from bench_agent.sync.outbox import MAX_BODY_BYTES, Outbox, OutboxError
from bench_agent.sync.sender import backoff_s, drain
from bench_agent.sync.sinks.central import CentralConfig
from tests.sync.scripted_sink import ALREADY, SENT, ScriptedSink, rejected, retry
from wipe.signing import BenchKey

REPO = Path(__file__).resolve().parents[2]
KEY = BenchKey.generate()


def _report(**extra: object) -> dict[str, object]:
    return {"report_id": str(uuid.uuid4()), "created_at": "2026-11-26T10:00:00Z", **extra}


def test_same_document_twice_is_one_item(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    envelope = KEY.sign(_report())
    first, second = box.add(envelope), box.add(json.loads(json.dumps(envelope)))
    assert first.new and not second.new and first.item_id == second.item_id
    assert box.counts() == {"pending": 1, "sent": 0, "rejected": 0}
    assert (tmp_path / "outbox.sqlite").stat().st_mode & 0o777 == 0o600


def test_other_content_under_the_same_id_is_refused(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    payload = _report()
    box.add(KEY.sign(payload))
    with pytest.raises(OutboxError, match="already in the outbox with another content"):
        box.add(KEY.sign({**payload, "created_at": "2027-01-01T00:00:00Z"}))
    assert box.counts()["pending"] == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"report_id": "x"}, "not a valid signed document"),
        ({"payload": {"report_id": "x"}, "signature": {"alg": "rsa"}}, "not a valid signed"),
        (KEY.sign({"something": "else"}), "neither a unit report"),
        ("just a string", "not a valid signed document"),
    ],
)
def test_what_is_not_signed_evidence_never_waits(
    tmp_path: Path, document: object, message: str
) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    with pytest.raises(OutboxError, match=message):
        box.add(document)
    assert box.counts()["pending"] == 0


def test_tampered_and_oversize_documents_are_refused(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    envelope = KEY.sign(_report())
    envelope["payload"]["created_at"] = "1999-01-01T00:00:00Z"
    with pytest.raises(OutboxError, match="altered"):
        box.add(envelope)
    with pytest.raises(OutboxError, match="over"):
        box.add(KEY.sign(_report(padding="x" * MAX_BODY_BYTES)))
    assert box.counts()["pending"] == 0


def test_answers_decide_the_state_and_retries_wait(tmp_path: Path) -> None:
    """sent (201/200), rejected with the sink's words, retry waits (growing delay) and
    ends the sink's pass: the item after it is not tried."""
    box = Outbox(tmp_path / "outbox.sqlite")
    ids = [box.add(KEY.sign(_report())).item_id for _ in range(5)]
    sink = ScriptedSink(SENT, ALREADY, rejected("HTTP 409 conflict: autre contenu"), retry())
    report = drain(box, [sink])
    assert [f"{rid}#1" for rid, _ in sink.got] == ids[:4]
    assert report.sent == ids[:1] and report.already == ids[1:2]
    assert report.rejected == [
        (ids[2], "Refusé par le service central : HTTP 409 conflict: autre contenu")
    ]
    assert report.retry == [(ids[3], "Service central indisponible")]
    assert box.counts() == {"pending": 2, "sent": 2, "rejected": 1}
    again = ScriptedSink()
    assert drain(box, [again]).sent == ids[4:]  # the retried one is not due yet
    (waiting,) = box.items("pending")
    assert waiting.item_id == ids[3]
    assert waiting.attempts == 1 and waiting.next_attempt_at > time.time() + 10
    # Sent items keep their id and hash, not their body (the evidence is in reports/).
    assert all(i.compacted and i.body == b"" for i in box.items("sent"))
    assert not box.items("rejected")[0].compacted


def test_backoff_grows_is_capped_and_jittered() -> None:
    low = [backoff_s(n, rng=lambda: 0.0) for n in (0, 1, 2, 10)]
    high = [backoff_s(n, rng=lambda: 1.0) for n in (0, 1, 2, 10)]
    assert low == [15.0, 30.0, 60.0, 1800.0]
    assert high == [30.0, 60.0, 120.0, 3600.0]
    assert backoff_s(10_000, base_s=0.1, cap_s=2.0, rng=lambda: 1.0) == 2.0


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        CentralConfig("ftp://x", "tok")
    with pytest.raises(ValueError, match="token"):
        CentralConfig("https://x", "to k")


CHILD = """
import sys, uuid
sys.path.insert(0, {repo!r})
from bench_agent.sync.outbox import Outbox
from wipe.signing import BenchKey
key = BenchKey.generate()
box = Outbox(sys.argv[1])
i = 0
while True:
    box.add(key.sign({{"report_id": f"r-{{i:06d}}", "n": i}}))
    print(i, flush=True)
    i += 1
"""


def test_a_kill_9_mid_way_leaves_every_item_whole(tmp_path: Path) -> None:
    """SIGKILL while adding in a loop: every item the child reported as added is there,
    intact (its signature verifies), no partial row, and the file is usable at once."""
    path = tmp_path / "outbox.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(repo=str(REPO)), str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    acknowledged = -1
    while acknowledged < 40:
        acknowledged = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    box = Outbox(path)
    items = box.items()
    assert len(items) >= acknowledged + 1
    assert [i.item_id for i in items] == [f"r-{n:06d}#1" for n in range(len(items))]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    from wipe.signing import verify_envelope

    for item in items:
        verify_envelope(json.loads(item.body))
    assert box.add(KEY.sign(_report())).new
