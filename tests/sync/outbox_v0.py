"""An outbox file as bench-agent wrote it before report revisions (PRAGMA user_version 0),
for the migration tests of tests/sync and tests/central."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from wipe.signing import canonical_json

# The outbox file as bench-agent wrote it before revisions (PRAGMA user_version 0).
V0_SCHEMA = """
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


def write_v0_outbox(path: Path, documents: list[tuple[dict[str, Any], str]]) -> None:
    """A pre-revision outbox holding (envelope, state) items keyed by their plain id."""
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(V0_SCHEMA)
        for envelope, state in documents:
            payload = envelope["payload"]
            kind = "certificate" if "certificate_id" in payload else "report"
            db.execute(
                "INSERT INTO items (kind, item_id, body, sha256, created_at, state) "
                "VALUES (?,?,?,?,?,?)",
                (
                    kind,
                    payload.get("certificate_id") or payload["report_id"],
                    json.dumps(envelope).encode(),
                    hashlib.sha256(canonical_json(envelope)).hexdigest(),
                    time.time(),
                    state,
                ),
            )
