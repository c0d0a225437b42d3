"""The bench's outbox: signed evidence waiting to reach the central inventory.

One SQLite file (``$BENCH_AGENT_HOME/outbox.sqlite``, WAL, ``synchronous=FULL``):
an item is on disk before anything is sent, survives a crash or a power cut, and
is sent until the server has it. Items are signed envelopes (unit reports and
erasure certificates) keyed by their own id (``report_id`` / ``certificate_id``),
which the central service deduplicates on: a resend after a lost answer is
answered "already stored", never stored twice.

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

from wipe.signing import SignatureError, canonical_json, verify_envelope

KINDS = ("report", "certificate")
ID_FIELDS = {"report": "report_id", "certificate": "certificate_id"}
MAX_BODY_BYTES = 2 << 20
"""The central service's default body limit: a larger item could never be sent."""

_SCHEMA = """
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
);
CREATE INDEX IF NOT EXISTS items_pending ON items (state, next_attempt_at);
"""


class OutboxError(ValueError):
    """An item that cannot go into the outbox (not signed, no id, another body under its id)."""


@dataclass(frozen=True, slots=True)
class Item:
    seq: int
    kind: str
    item_id: str
    body: bytes
    sha256: str
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    last_status: int | None


@dataclass(frozen=True, slots=True)
class Added:
    item_id: str
    kind: str
    new: bool
    """False when the same item was already in the outbox (nothing changed)."""


def kind_of(payload: Any) -> str:
    """``report`` or ``certificate``, from the payload's own id field."""
    if isinstance(payload, dict):
        if isinstance(payload.get("certificate_id"), str):
            return "certificate"
        if isinstance(payload.get("report_id"), str):
            return "report"
    raise OutboxError("neither a unit report (report_id) nor a certificate (certificate_id)")


class Outbox:
    """The outbox file; safe to use from several processes (SQLite locking)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Reports name technicians and donors: the file is the bench user's only.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._connect() as db:
            db.executescript(_SCHEMA)

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
        kind = kind_of(payload)
        item_id = payload[ID_FIELDS[kind]]
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
                return Added(item_id, kind, new=False)
            db.execute(
                "INSERT INTO items (kind, item_id, body, sha256, created_at) VALUES (?,?,?,?,?)",
                (kind, item_id, body, digest, time.time()),
            )
            db.execute("COMMIT")
        return Added(item_id, kind, new=True)

    def due(self, now: float | None = None, *, include_waiting: bool = False) -> list[Item]:
        """Pending items whose retry time has come (all pending with ``include_waiting``)."""
        when = time.time() if now is None else now
        query = "SELECT * FROM items WHERE state = 'pending'"
        args: tuple[Any, ...] = ()
        if not include_waiting:
            query += " AND next_attempt_at <= ?"
            args = (when,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY seq", args).fetchall()
        return [_item(r) for r in rows]

    def items(self, state: str | None = None) -> list[Item]:
        with self._connect() as db:
            if state is None:
                rows = db.execute("SELECT * FROM items ORDER BY seq").fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM items WHERE state = ? ORDER BY seq", (state,)
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
    seq, kind, item_id, body, sha, _created, state, attempts, nxt, err, status, _sent = row
    return Item(seq, kind, item_id, bytes(body), sha, state, attempts, nxt, err, status)
