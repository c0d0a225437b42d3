"""Report revisions in the outbox: a report's identity is (report_id, revision), two
revisions are two items sent older first, hostile revision numbers never wait, and files
written before revisions are migrated in one transaction."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bench_agent.sync import outbox as outbox_module
from bench_agent.sync.central import Answer, CentralConfig, send_due
from bench_agent.sync.outbox import MAX_REVISION, Outbox, OutboxError
from tests.sync.outbox_v0 import write_v0_outbox
from wipe.signing import BenchKey

KEY = BenchKey.generate()
CONFIG = CentralConfig("http://127.0.0.1:9", "tok")


def _report(report_id: str, revision: int | None, **extra: object) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "report_id": report_id,
        "created_at": "2026-11-26T10:00:00Z",
        **extra,
    }
    if revision is not None:
        payload["revision"] = revision
    return payload


class Server:
    """A stand-in for the central service: records what it got, answers from a script."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.got: list[tuple[str, int | None]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        payload = json.loads(body)["payload"]
        self.got.append(
            (payload.get("report_id", payload.get("certificate_id")), payload.get("revision"))
        )
        return self.answers.pop(0) if self.answers else Answer(201)


def test_two_revisions_are_two_items_sent_older_first(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    rid = str(uuid.uuid4())
    first = box.add(KEY.sign(_report(rid, 1)))
    second = box.add(KEY.sign(_report(rid, 2, grade="A")))
    assert (first.item_id, first.revision, first.new) == (f"{rid}#1", 1, True)
    assert (second.item_id, second.revision, second.new) == (f"{rid}#2", 2, True)
    # The same revision again: nothing new; with another content: refused, as any id.
    assert not box.add(KEY.sign(_report(rid, 2, grade="A"))).new
    with pytest.raises(OutboxError, match=f"report {rid}#2 is already in the outbox"):
        box.add(KEY.sign(_report(rid, 2, grade="B")))
    server = Server()
    report = send_due(box, CONFIG, post=server)
    assert server.got == [(rid, 1), (rid, 2)]
    assert report.sent == [f"{rid}#1", f"{rid}#2"]
    assert [(i.document_id, i.revision) for i in box.items("sent")] == [(rid, 1), (rid, 2)]


def test_a_revision_added_before_an_earlier_one_is_still_sent_after_it(tmp_path: Path) -> None:
    """A USB import or a late `sync add` can put revision 3 in before revision 2: the
    revisions of one report go in ascending order, other items keep their place."""
    box = Outbox(tmp_path / "outbox.sqlite")
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    box.add(KEY.sign(_report(rid, 3)))
    box.add(KEY.sign({"certificate_id": "cert-1", "result": "ERASED"}))
    box.add(KEY.sign(_report(other, 1)))
    box.add(KEY.sign(_report(rid, 2)))
    box.add(KEY.sign(_report(rid, 1)))
    server = Server()
    send_due(box, CONFIG, post=server)
    assert server.got == [(rid, 1), ("cert-1", None), (other, 1), (rid, 2), (rid, 3)]


def test_a_revision_waits_while_an_earlier_one_waits_for_its_retry(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    box.add(KEY.sign(_report(rid, 1)))
    box.add(KEY.sign(_report(rid, 2)))
    box.add(KEY.sign(_report(other, 1)))
    server = Server(Answer(503, b"busy"))
    first_run = send_due(box, CONFIG, post=server)
    assert first_run.retry and server.got == [(rid, 1)]
    # Within the delay: revision 2 is held back, the unrelated report is not.
    assert [i.item_id for i in box.due()] == [f"{other}#1"]
    later = time.time() + 3600 * 2
    assert [i.item_id for i in box.due(later)] == [f"{rid}#1", f"{rid}#2", f"{other}#1"]
    assert [i.item_id for i in box.due(include_waiting=True)][:2] == [f"{rid}#1", f"{rid}#2"]
    # A rejected earlier revision does not hold the next one back.
    server = Server(Answer(409, b'{"error": {"code": "conflict", "message": "x"}}'))
    send_due(box, CONFIG, include_waiting=True, post=server)
    assert server.got == [(rid, 1), (rid, 2), (other, 1)]
    assert box.counts() == {"pending": 0, "sent": 2, "rejected": 1}


# 2**53 - 1: the largest integer canonical JSON signs; 2.5: a float (2.0 is signed as 2).
@pytest.mark.parametrize("value", [0, -1, MAX_REVISION + 1, 2**53 - 1, "2", True, 2.5, None, [1]])
def test_hostile_revisions_never_wait_in_the_outbox(tmp_path: Path, value: object) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    payload = _report(str(uuid.uuid4()), None)
    payload["revision"] = value
    with pytest.raises(OutboxError, match="revision must be an integer from 1 to 2147483647"):
        box.add(KEY.sign(payload))
    assert box.counts()["pending"] == 0


def test_a_report_without_revision_is_revision_1(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    rid = str(uuid.uuid4())
    assert box.add(KEY.sign(_report(rid, None))).item_id == f"{rid}#1"
    assert box.add(KEY.sign(_report(rid, MAX_REVISION))).item_id == f"{rid}#{MAX_REVISION}"


def _plain_rows(path: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT seq, kind, item_id, state FROM items ORDER BY seq").fetchall()


def test_an_outbox_written_before_revisions_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    sent_id, pending_id, numbered_id = (str(uuid.uuid4()) for _ in range(3))
    pending = KEY.sign(_report(pending_id, None))  # signed before reports had a revision
    write_v0_outbox(
        path,
        [
            (KEY.sign(_report(sent_id, 1)), "sent"),
            (pending, "pending"),
            (KEY.sign({"certificate_id": "cert-9", "result": "ERASED"}), "pending"),
            (KEY.sign(_report(numbered_id, 4)), "rejected"),
        ],
    )
    box = Outbox(path)
    assert [(i.item_id, i.state, i.document_id, i.revision) for i in box.items()] == [
        (f"{sent_id}#1", "sent", sent_id, 1),
        (f"{pending_id}#1", "pending", pending_id, 1),
        ("cert-9", "pending", "cert-9", None),
        (f"{numbered_id}#4", "rejected", numbered_id, 4),
    ]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The document already inside is recognised under its new id; its next revision is new.
    assert not box.add(pending).new
    assert box.add(KEY.sign(_report(pending_id, 2))).new
    server = Server()
    send_due(box, CONFIG, post=server)
    assert server.got == [(pending_id, None), ("cert-9", None), (pending_id, 2)]
    assert Outbox(path).counts() == {"pending": 0, "sent": 4, "rejected": 1}  # reopened: as is


def test_a_migration_that_fails_half_way_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration is one transaction (the columns, the renamed ids, user_version): a
    failure after some rows were renamed leaves the old file intact, usable next time."""
    path = tmp_path / "outbox.sqlite"
    ids = [str(uuid.uuid4()) for _ in range(3)]
    write_v0_outbox(path, [(KEY.sign(_report(i, 1)), "pending") for i in ids])
    before = _plain_rows(path)
    real = outbox_module._identify_v0_items

    def crash(db: sqlite3.Connection) -> None:
        real(db)  # every row renamed inside the transaction...
        raise OSError("power cut")  # ...then the process dies before COMMIT

    monkeypatch.setattr(outbox_module, "_identify_v0_items", crash)
    with pytest.raises(OSError, match="power cut"):
        Outbox(path)
    assert _plain_rows(path) == before
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(items)")]
    assert "revision" not in columns
    monkeypatch.setattr(outbox_module, "_identify_v0_items", real)
    assert [i.item_id for i in Outbox(path).items()] == [f"{i}#1" for i in ids]


def test_an_outbox_from_a_newer_bench_agent_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    Outbox(path)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(OutboxError, match="newer than this bench-agent"):
        Outbox(path)
