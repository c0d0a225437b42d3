"""Unit reports on disk: signed revisions of one report id, and reading any report file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.model.report import UnitReport
    from wipe.signing import BenchKey

MAX_REPORT_BYTES = 32 << 20
"""A unit report is a few hundred kB at most; anything larger is not one."""


def sign_and_write(report: UnitReport, key: BenchKey, path: Path) -> dict[str, Any]:
    """Sign ``report`` and write the envelope atomically (fsynced); the envelope."""
    from bench_agent.model import to_json

    envelope = key.sign(json.loads(to_json(report)))
    write_atomic(path, json.dumps(envelope, ensure_ascii=False).encode("utf-8"))
    return envelope


class LoadedReport(msgspec.Struct, kw_only=True):
    report: UnitReport
    signed: bool
    """The file was a signed envelope whose signature verified."""
    key_id: str | None = None


def load_report_file(path: Path) -> LoadedReport:
    """A UnitReport from a plain JSON file or a signed envelope (signature checked).
    BenchError (exit 3 unreadable/invalid, 1 a signature that does not verify)."""
    from bench_agent.model.report import UnitReport
    from wipe.signing import SignatureError, verify_envelope

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise BenchError(
            Text(
                fr=f"Rapport illisible : {path} ({exc.strerror})",
                en=f"Report not readable: {path} ({exc.strerror})",
            )
        ) from exc
    if len(raw) > MAX_REPORT_BYTES:
        raise BenchError(Text(fr=f"Rapport trop gros : {path}", en=f"Report too large: {path}"))
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BenchError(
            Text(
                fr=f"Rapport invalide : {path} n'est pas du JSON",
                en=f"Invalid report: {path} is not JSON",
            )
        ) from exc
    signed = False
    key_id = None
    if isinstance(data, dict) and "signature" in data:
        try:
            payload = verify_envelope(data)
        except SignatureError as exc:
            raise BenchError(
                Text(
                    fr=f"Rapport signé refusé : {path} : {exc}",
                    en=f"Signed report refused: {path}: {exc}",
                ),
                exit_code=1,
            ) from exc
        signed = True
        key_id = str(data["signature"].get("key_id"))
        data = payload
    try:
        report = msgspec.convert(data, UnitReport)
    except msgspec.ValidationError as exc:
        raise BenchError(
            Text(fr=f"Rapport invalide : {path} : {exc}", en=f"Invalid report: {path}: {exc}")
        ) from exc
    return LoadedReport(report=report, signed=signed, key_id=key_id)


def latest_revision_path(folder: Path, report_id: str) -> Path:
    return folder / f"{report_id}.json"


def revision_path(folder: Path, report_id: str, revision: int) -> Path:
    """Every revision is kept: ``<id>.r<n>.json``; ``<id>.json`` is the newest."""
    return folder / "revisions" / f"{report_id}.r{revision}.json"
