"""The bench's outbox: signed evidence waiting to reach the central inventory.

One SQLite file (``$BENCH_AGENT_HOME/outbox.sqlite``, WAL, ``synchronous=FULL``):
an item is on disk before anything is sent, survives a crash or a power cut, and
is sent until the server has it. Items are signed envelopes (unit reports and
erasure certificates) keyed by their own identity, which the central service
deduplicates on: a resend after a lost answer is answered "already stored", never
stored twice.

- A certificate's item id is its ``certificate_id``.
- A unit report's is ``<report_id>#<revision>``: the bench keeps one report id per
  unit and re-signs revision n + 1 when something changes, so two revisions are two
  items, both sent, the older first (a later revision waits while an earlier one of
  the same report is still to be retried). The same revision with another content
  is refused, as any other id is.

Files written before revisions (report items keyed by the plain report id) are
migrated when opened, in one transaction (``PRAGMA user_version`` 0 → 1).

States: ``pending`` (to send; ``next_attempt_at`` spaces out retries),
``sent`` (the server has it: 201 or 200), ``rejected`` (the server refused the
content itself — 400, 409, 413, 422 — kept with the reason for a human, never
retried nor dropped).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wipe.private import make_private_dir, open_private
from wipe.signing import SignatureError, canonical_json, verify_envelope

KINDS = ("report", "certificate")
ID_FIELDS = {"report": "report_id", "certificate": "certificate_id"}
MAX_BODY_BYTES = 2 << 20
"""The central service's default body limit: a larger item could never be sent."""
MAX_REVISION = 2**31 - 1
"""The central service stores a revision as a 32-bit integer and refuses anything larger."""
SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of an outbox file: 0 before report revisions, 1 since."""

_COLUMNS = (
    "seq, kind, item_id, body, sha256, state, attempts, next_attempt_at, last_error, "
    "last_status, document_id, revision"
)
_TABLE_V0 = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'certificate')),
    item_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status INTEGER,
    sent_at REAL
)
"""
_MIGRATIONS = (
    # 0 → 1: report revisions. The document's own id and its revision get columns; report
    # items are renamed <report_id>#<revision> by _identify_v0_items.
    (
        "ALTER TABLE items ADD COLUMN document_id TEXT",
        "ALTER TABLE items ADD COLUMN revision INTEGER",
        "CREATE INDEX IF NOT EXISTS items_document ON items (kind, document_id, revision)",
    ),
)


class OutboxError(ValueError):
    """An item that cannot go into the outbox (not signed, no id, another body under its id)."""


@dataclass(frozen=True, slots=True)
class Item:
    seq: int
    kind: str
    item_id: str
    """``<report_id>#<revision>`` for a report, the ``certificate_id`` for a certificate."""
    body: bytes
    sha256: str
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    last_status: int | None
    document_id: str
    """The document's own id: ``report_id`` or ``certificate_id``."""
    revision: int | None
    """A report's revision (None for a certificate)."""


@dataclass(frozen=True, slots=True)
class Added:
    item_id: str
    kind: str
    new: bool
    """False when the same item was already in the outbox (nothing changed)."""
    revision: int | None = None


def kind_of(payload: Any) -> str:
    """``report`` or ``certificate``, from the payload's own id field."""
    if isinstance(payload, dict):
        if isinstance(payload.get("certificate_id"), str):
            return "certificate"
        if isinstance(payload.get("report_id"), str):
            return "report"
    raise OutboxError("neither a unit report (report_id) nor a certificate (certificate_id)")


def revision_of(payload: dict[str, Any]) -> int:
    """A report's revision: 1 when absent (reports signed before revisions existed)."""
    revision = payload.get("revision", 1)
    # bool is an int in Python, not in the report's schema: True is not revision 1.
    if type(revision) is not int or not 1 <= revision <= MAX_REVISION:
        raise OutboxError(
            f"report {payload.get('report_id')}: revision must be an integer from 1 to "
            f"{MAX_REVISION}, not {json.dumps(revision)[:40]}"
        )
    return revision


def identity(payload: Any) -> tuple[str, str, int | None, str]:
    """(kind, document id, revision, item id) of a verified payload."""
    kind = kind_of(payload)
    document_id: str = payload[ID_FIELDS[kind]]
    if kind == "certificate":
        return kind, document_id, None, document_id
    revision = revision_of(payload)
    return kind, document_id, revision, f"{document_id}#{revision}"


class Outbox:
    """The outbox file; safe to use from several processes (SQLite locking)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        make_private_dir(self.path.parent)
        if not self.path.exists():
            # Reports name technicians and donors: the file is the bench user's only (SQLite
            # gives its -wal and -shm files the mode of the database file).
            os.close(open_private(self.path, os.O_WRONLY | os.O_CREAT))
        with self._connect() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                _migrate(db, self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    def add(self, envelope: Any) -> Added:
        """Put a signed envelope in the outbox (idempotent on its id).

        The signature is checked first (integrity, with its embedded key): a broken
        document never waits in the outbox for a server to refuse it. The same id
        with another content is refused: evidence is never silently replaced.
        """
        try:
            payload = verify_envelope(envelope)
        except SignatureError as exc:
            raise OutboxError(f"not a valid signed document: {exc}") from exc
        kind, document_id, revision, item_id = identity(payload)
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(body) > MAX_BODY_BYTES:
            raise OutboxError(f"{kind} {item_id}: {len(body)} bytes, over {MAX_BODY_BYTES}")
        digest = hashlib.sha256(canonical_json(envelope)).hexdigest()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT sha256 FROM items WHERE item_id = ?", (item_id,)).fetchone()
            if row is not None:
                db.execute("COMMIT")
                if row[0] != digest:
                    raise OutboxError(
                        f"{kind} {item_id} is already in the outbox with another content"
                    )
                return Added(item_id, kind, new=False, revision=revision)
            db.execute(
                "INSERT INTO items (kind, item_id, body, sha256, created_at, document_id, "
                "revision) VALUES (?,?,?,?,?,?,?)",
                (kind, item_id, body, digest, time.time(), document_id, revision),
            )
            db.execute("COMMIT")
        return Added(item_id, kind, new=True, revision=revision)

    def due(self, now: float | None = None, *, include_waiting: bool = False) -> list[Item]:
        """Pending items whose retry time has come (all pending with ``include_waiting``),
        oldest first, and the revisions of one report in ascending order: a revision
        waits while an earlier one of its report is pending and not due yet."""
        when = time.time() if now is None else now
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE state = 'pending' ORDER BY seq"
            ).fetchall()
        pending = [_item(r) for r in rows]
        if include_waiting:
            return _revisions_in_order(pending)
        # report id → its lowest revision still waiting for its retry time
        blocked: dict[str, int] = {}
        for item in pending:
            if item.revision is not None and item.next_attempt_at > when:
                lowest = blocked.get(item.document_id, item.revision)
                blocked[item.document_id] = min(lowest, item.revision)
        return _revisions_in_order(
            [
                item
                for item in pending
                if item.next_attempt_at <= when
                and (
                    item.revision is None
                    or item.revision < blocked.get(item.document_id, item.revision + 1)
                )
            ]
        )

    def items(self, state: str | None = None) -> list[Item]:
        with self._connect() as db:
            if state is None:
                rows = db.execute(f"SELECT {_COLUMNS} FROM items ORDER BY seq").fetchall()
            else:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM items WHERE state = ? ORDER BY seq", (state,)
                ).fetchall()
        return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall()
        return {"pending": 0, "sent": 0, "rejected": 0, **{s: n for s, n in rows}}

    def mark_sent(self, seq: int, status: int) -> None:
        self._update(
            seq,
            "state = 'sent', sent_at = ?, last_status = ?, last_error = NULL",
            (time.time(), status),
        )

    def mark_rejected(self, seq: int, status: int, reason: str) -> None:
        self._update(seq, "state = 'rejected', last_status = ?, last_error = ?", (status, reason))

    def mark_retry(self, seq: int, reason: str, status: int | None, delay_s: float) -> None:
        self._update(
            seq,
            "attempts = attempts + 1, next_attempt_at = ?, last_error = ?, last_status = ?",
            (time.time() + delay_s, reason, status),
        )

    def requeue(self, seq: int) -> None:
        """A rejected item back to pending (after a human fixed the cause on the server)."""
        self._update(seq, "state = 'pending', next_attempt_at = 0", ())

    def _update(self, seq: int, assignments: str, args: tuple[Any, ...]) -> None:
        with self._connect() as db:
            db.execute(f"UPDATE items SET {assignments} WHERE seq = ?", (*args, seq))


def _item(row: tuple[Any, ...]) -> Item:
    seq, kind, item_id, body, sha, state, attempts, nxt, err, status, document_id, rev = row
    return Item(
        seq,
        kind,
        item_id,
        bytes(body),
        sha,
        state,
        attempts,
        nxt,
        err,
        status,
        document_id if document_id is not None else item_id,
        rev,
    )


def _revisions_in_order(items: list[Item]) -> list[Item]:
    """The same items and slots, each report's revisions moved into ascending order (a
    revision added before an earlier one, e.g. by a USB import, is still sent after it)."""
    slots: dict[str, list[Item]] = {}
    for item in items:
        if item.revision is not None:
            slots.setdefault(item.document_id, []).append(item)
    ordered = {
        key: iter(sorted(group, key=lambda i: i.revision or 0)) for key, group in slots.items()
    }
    return [
        next(ordered[item.document_id]) if item.revision is not None else item for item in items
    ]


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction: a crash leaves it as it was,
    and a second process opening it meanwhile waits, then finds it done."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutboxError(
                f"{path}: outbox format {version} is newer than this bench-agent's "
                f"({SCHEMA_VERSION}); update bench-agent"
            )
        db.execute(_TABLE_V0)
        db.execute("CREATE INDEX IF NOT EXISTS items_pending ON items (state, next_attempt_at)")
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                db.execute(statement)
            if step == 0:
                _identify_v0_items(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _identify_v0_items(db: sqlite3.Connection) -> None:
    """Items of a file written before revisions: certificates keep their id; a report,
    keyed by its plain report id, becomes <report_id>#<revision> (its body was verified
    when it was added; a body that cannot be read keeps its id and counts as revision 1)."""
    rows = db.execute("SELECT seq, kind, item_id, body FROM items").fetchall()
    for seq, kind, item_id, body in rows:
        if kind != "report":
            db.execute("UPDATE items SET document_id = ? WHERE seq = ?", (item_id, seq))
            continue
        try:
            revision = revision_of(json.loads(body)["payload"])
            new_id = f"{item_id}#{revision}"
        except (ValueError, KeyError, TypeError, OutboxError):
            revision, new_id = 1, item_id
        db.execute(
            "UPDATE items SET item_id = ?, document_id = ?, revision = ? WHERE seq = ?",
            (new_id, item_id, revision, seq),
        )
