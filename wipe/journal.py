"""Tamper-evident local journal of erasure events: append-only signed JSON lines.

Each line is a signed envelope (:mod:`wipe.signing`) of ``{"seq", "time",
"prev", "event", "data"}`` where ``prev`` is the SHA-256 of the previous line's
canonical JSON. A signed head file (``<journal>.head``) records the last
sequence number and hash, so cutting the tail is detected too. Editing a line
breaks its signature; deleting or reordering lines breaks the sequence or the
chain.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wipe.private import make_private_dir, open_private
from wipe.signing import BenchKey, SignatureError, canonical_json, parse_json, verify_envelope

GENESIS = "0" * 64


class JournalError(OSError):
    """The journal could not be read or appended to."""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry_hash(envelope: Any) -> str:
    return hashlib.sha256(canonical_json(envelope)).hexdigest()


class Journal:
    """Appends signed, chained entries; safe across threads and processes (flock)."""

    def __init__(self, path: str | Path, key: BenchKey, now: Callable[[], str] = _now_iso) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.key = key
        self.now = now
        self._lock = threading.Lock()
        self._last_payload: dict[str, Any] = {}

    def append(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Append one entry and return its payload (with ``seq`` and ``hash``)."""
        with self._lock:
            make_private_dir(self.path.parent)
            fd = open_private(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                seq, prev, torn = self._tail(fd)
                whole = self._whole_entry(torn, seq, prev) if torn is not None else None
                if whole is not None:
                    # Only the newline was lost: the entry is whole, ours, and next in the
                    # chain. Ending its line keeps it (a torn-entry would repeat its seq).
                    os.write(fd, b"\n")
                    seq, prev = whole
                elif torn is not None:
                    # A power cut tore the last line: keep its bytes (evidence), end the line,
                    # and say so in a signed entry chained to the last whole one.
                    os.write(fd, b"\n")
                    seq, prev = self._write(
                        fd,
                        seq,
                        prev,
                        "torn-entry",
                        {
                            "sha256": hashlib.sha256(torn).hexdigest(),
                            "length_bytes": len(torn),
                        },
                    )
                seq, digest = self._write(fd, seq, prev, event, data)
            except OSError as exc:
                raise JournalError(
                    exc.errno, f"cannot append to journal {self.path}: {exc}"
                ) from exc
            finally:
                os.close(fd)
        return {**self._last_payload, "hash": digest}

    def _write(
        self, fd: int, seq: int, prev: str, event: str, data: dict[str, Any]
    ) -> tuple[int, str]:
        payload = {"seq": seq + 1, "time": self.now(), "prev": prev, "event": event, "data": data}
        envelope = self.key.sign(payload)
        line = json.dumps(envelope, sort_keys=True, ensure_ascii=False) + "\n"
        _write_all(fd, line.encode("utf-8"))
        os.fsync(fd)
        digest = entry_hash(envelope)
        head = self.key.sign({"seq": seq + 1, "hash": digest})
        tmp = self.head_path.with_name(self.head_path.name + ".tmp")
        head_fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(head_fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(head, sort_keys=True))
        os.replace(tmp, self.head_path)
        self._last_payload = payload
        return seq + 1, digest

    def _whole_entry(self, line: bytes, seq: int, prev: str) -> tuple[int, str] | None:
        """(seq, hash) of ``line`` when it is this key's complete entry following ``prev``."""
        try:
            envelope = parse_json(line)
            payload = verify_envelope(envelope, self.key.public_raw)
        except (ValueError, SignatureError, RecursionError):
            return None
        if not isinstance(payload, dict) or payload.get("seq") != seq + 1:
            return None
        if payload.get("prev") != prev:
            return None
        return seq + 1, entry_hash(envelope)

    def _tail(self, fd: int) -> tuple[int, str, bytes | None]:
        """Sequence number and hash of the last whole entry, and a torn last line if any."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, GENESIS, None
        chunk = 1 << 16
        start = max(0, size - chunk)
        data = os.pread(fd, size - start, start)
        while start > 0 and data.count(b"\n") < 2:
            start = max(0, start - chunk)
            data = os.pread(fd, size - start, start)
        torn: bytes | None = None
        if not data.endswith(b"\n"):
            head, _, torn = data.rpartition(b"\n")
            data = head + b"\n"
            if not head and start == 0:
                return 0, GENESIS, torn
        last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        try:
            envelope = json.loads(last)
            return int(envelope["payload"]["seq"]), entry_hash(envelope), torn
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalError(
                0, f"journal {self.path} ends with a damaged line; run `journal verify`: {exc}"
            ) from exc


@dataclass(slots=True)
class JournalReport:
    """What ``verify_journal`` found."""

    path: str
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    torn_lines: list[int] = field(default_factory=list)
    """Lines a power cut tore, each acknowledged by the signed ``torn-entry`` after it."""
    unconfirmed_last_entry: bool = False
    """The last entry is whole, signed and chained but the signed head still names the
    one before: the bench stopped between writing an entry and its head (a kill or a power
    cut). Not a problem: removing entries makes the head name a LATER entry, never this."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def interrupted_sessions(self) -> list[dict[str, Any]]:
        """Sessions with a ``session-start`` and no ``session-end``: killed mid-way."""
        open_sessions: dict[str, dict[str, Any]] = {}
        for p in self.payloads:
            data = p.get("data") or {}
            sid = data.get("session_id")
            if not isinstance(sid, str):
                continue
            if p.get("event") == "session-start":
                open_sessions[sid] = {"start": p, "last": p}
            elif sid in open_sessions:
                if p.get("event") == "session-end":
                    del open_sessions[sid]
                else:
                    open_sessions[sid]["last"] = p
        return list(open_sessions.values())


def _is_acknowledged_tear(line: bytes, following: bytes) -> bool:
    """A torn line is accepted only when the next entry is a torn-entry naming its hash."""
    try:
        payload = parse_json(following)["payload"]
    except (ValueError, KeyError, TypeError):
        return False
    data = payload.get("data") if isinstance(payload, dict) else None
    return (
        payload.get("event") == "torn-entry"
        and isinstance(data, dict)
        and data.get("sha256") == hashlib.sha256(line).hexdigest()
    )


def _write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a short write must not tear an entry silently);
    an error (disk full) propagates: the erasure does not go on unjournaled."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "journal write made no progress")
        view = view[written:]


def verify_journal(path: str | Path, trusted_public_key: bytes | None = None) -> JournalReport:
    """Check every signature, the sequence, the hash chain and the signed head."""
    try:
        return _verify_journal(path, trusted_public_key)
    except RecursionError:
        report = JournalReport(str(path))
        report.problems.append("an entry is nested too deeply to be a journal entry (forged)")
        return report


def _verify_journal(path: str | Path, trusted_public_key: bytes | None) -> JournalReport:
    p = Path(path)
    report = JournalReport(str(p))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        report.problems.append(f"cannot read {p}: {exc.strerror or exc}")
        return report
    prev = GENESIS
    before_last = GENESIS
    expected_seq = 1
    signer: str | None = None
    lines = raw.split(b"\n")
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            envelope = parse_json(line)
        except ValueError:
            if _is_acknowledged_tear(line, lines[lineno] if lineno < len(lines) else b""):
                report.torn_lines.append(lineno)
                continue  # the chain goes on from the last whole entry
            report.problems.append(f"line {lineno}: not valid JSON (edited or truncated)")
            prev = "?"
            continue
        try:
            payload = verify_envelope(envelope, trusted_public_key)
        except SignatureError as exc:
            report.problems.append(f"line {lineno}: entry was edited ({exc})")
            payload = envelope.get("payload") if isinstance(envelope, dict) else None
            if not isinstance(payload, dict):
                prev = "?"
                continue
        sig = envelope.get("signature")
        key_id = sig.get("key_id") if isinstance(sig, dict) else None
        if signer is None:
            signer = key_id
        elif key_id != signer:
            report.problems.append(f"line {lineno}: signed by another key ({key_id})")
        seq = payload.get("seq")
        if seq != expected_seq:
            if isinstance(seq, int) and seq > expected_seq:
                report.problems.append(
                    f"line {lineno}: entries {expected_seq}..{seq - 1} are missing (deleted)"
                )
            else:
                report.problems.append(
                    f"line {lineno}: sequence {seq} where {expected_seq} was expected (reordered)"
                )
        if prev != "?" and payload.get("prev") != prev:
            report.problems.append(
                f"line {lineno}: hash chain broken (previous entry removed, changed or moved)"
            )
        before_last = prev
        prev = entry_hash(envelope)
        expected_seq = (seq if isinstance(seq, int) else expected_seq) + 1
        report.entries += 1
        report.payloads.append(payload)
    head_path = p.with_name(p.name + ".head")
    if head_path.exists():
        try:
            head_envelope = parse_json(head_path.read_text(encoding="utf-8"))
            head = verify_envelope(head_envelope, trusted_public_key)
        except (ValueError, SignatureError) as exc:
            report.problems.append(f"{head_path.name}: head record invalid ({exc})")
        else:
            head_key = head_envelope["signature"].get("key_id")
            if signer is not None and head_key != signer:
                # Anyone can sign a head with a key of their own: only the journal's counts.
                report.problems.append(
                    f"{head_path.name}: signed by another key ({head_key}) than the entries"
                )
            if not isinstance(head, dict):
                head = {}
            if (
                head.get("seq") == expected_seq - 2
                and head.get("hash") == before_last
                and report.entries
                and not report.problems
            ):
                # Stopped between an entry's fsync and its head's rename (Journal._write).
                report.unconfirmed_last_entry = True
            elif head.get("seq") != expected_seq - 1 or head.get("hash") != prev:
                report.problems.append(
                    f"journal ends at entry {expected_seq - 1} but its signed head says "
                    f"{head.get('seq')}: entries were removed from the end or replaced"
                )
    elif report.entries:
        report.problems.append(f"{head_path.name} is missing: the end cannot be checked")
    return report
