"""Unit reports on disk: signed revisions of one report id, and reading any report file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.model.grade import Grade
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
    from bench_agent.model.report import UnitReport, label_print_problems
    from wipe.signing import SignatureError, parse_json, verify_envelope

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise BenchError(
            _t("Rapport illisible : {path} ({strerror})", path=path, strerror=exc.strerror)
        ) from exc
    if len(raw) > MAX_REPORT_BYTES:
        raise BenchError(_t("Rapport trop gros : {path}", path=path))
    try:
        data = parse_json(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BenchError(_t("Rapport invalide : {path} n'est pas du JSON", path=path)) from exc
    signed = False
    key_id = None
    if isinstance(data, dict) and "signature" in data:
        try:
            payload = verify_envelope(data)
        except SignatureError as exc:
            raise BenchError(
                _t("Rapport signé refusé : {path}", path=path),
                exit_code=1,
                detail=exc,
            ) from exc
        signed = True
        key_id = str(data["signature"].get("key_id"))
        data = payload
    try:
        report = msgspec.convert(data, UnitReport)
    except msgspec.ValidationError as exc:
        raise BenchError(_t("Rapport invalide : {path}", path=path), detail=exc) from exc
    problems = label_print_problems(report)
    if problems:
        raise BenchError(
            _t("Rapport invalide : {path} : étiquettes imprimées incohérentes", path=path),
            detail="; ".join(problems),
        )
    return LoadedReport(report=report, signed=signed, key_id=key_id)


def latest_revision_path(folder: Path, report_id: str) -> Path:
    return folder / f"{report_id}.json"


def revision_path(folder: Path, report_id: str, revision: int) -> Path:
    """Every revision is kept: ``<id>.r<n>.json``; ``<id>.json`` is the newest."""
    return folder / "revisions" / f"{report_id}.r{revision}.json"


# -- a report file's next revision (the command line's counterpart of Bench.save) -------


class SavedReport(msgspec.Struct, kw_only=True):
    path: Path
    """The file written: the report file given, or the bench's ``reports/<id>.json``."""
    revision: int
    signed: bool
    """A new signed revision (False: a plain JSON report updated in place)."""
    outbox_problem: Text | None = None


def kept_revisions(folder: Path, report_id: str) -> list[int]:
    """The revision numbers kept under ``<folder>/revisions/`` for this report id."""
    found = []
    for p in (folder / "revisions").glob(f"{report_id}.r*.json"):
        number = p.name[len(report_id) + 2 : -len(".json")]
        if number.isdigit():
            found.append(int(number))
    return sorted(found)


def save_revision(
    paths: BenchPaths,
    report: UnitReport,
    *,
    path: Path | None = None,
    previous: bytes | None = None,
    previous_revision: int | None = None,
) -> SavedReport:
    """Sign ``report`` with the bench key and write it (atomically, fsynced) to
    ``reports/revisions/<id>.r<n>.json``, to the bench's newest ``reports/<id>.json`` and
    to ``path`` when another file is named, then put it in the outbox.

    ``report.revision`` is the revision wanted (1 for a first save); it is raised above
    every revision already kept, so evidence is never overwritten. ``previous`` (the
    bytes of the file being replaced, revision ``previous_revision``) is kept under
    ``revisions/`` first when it is not there yet."""
    from bench_agent.bench.erasure import bench_key
    from bench_agent.bench.sending import enqueue

    folder = paths.reports
    kept = kept_revisions(folder, report.report_id)
    if previous is not None and previous_revision is not None:
        old = revision_path(folder, report.report_id, previous_revision)
        if not old.exists():
            _write(old, previous)
        kept.append(previous_revision)
    report.revision = max(report.revision, max(kept, default=0) + 1)
    key = bench_key(paths.key)
    latest = latest_revision_path(folder, report.report_id)
    target = path or latest
    try:
        envelope = sign_and_write(
            report, key, revision_path(folder, report.report_id, report.revision)
        )
        for written in dict.fromkeys([latest, target]):
            sign_and_write(report, key, written)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    return SavedReport(
        path=target, revision=report.revision, signed=True, outbox_problem=enqueue(paths, envelope)
    )


def save_report_file(paths: BenchPaths, path: Path, report: UnitReport) -> SavedReport:
    """Write ``report`` back to the report file it was read from: a signed file gets a new
    signed revision (the old one kept under ``reports/revisions/``, the new one in the
    outbox); a plain JSON file (``inventory --json``, a draft) is updated in place."""
    from bench_agent.model import to_json

    try:
        previous = path.read_bytes()
    except OSError:
        previous = None
    loaded = load_report_file(path)
    if loaded.signed:
        report.revision = loaded.report.revision + 1
        return save_revision(
            paths,
            report,
            path=path,
            previous=previous,
            previous_revision=loaded.report.revision,
        )
    try:
        _write(path, to_json(report) + b"\n")
    except OSError as exc:
        raise _write_error(path, exc) from exc
    return SavedReport(path=path, revision=report.revision, signed=False)


def _write(path: Path, data: bytes) -> None:
    write_atomic(path, data)


def _write_error(path: Path, exc: OSError) -> BenchError:
    return BenchError(
        _t("Rapport non enregistré : {path} ({strerror})", path=path, strerror=exc.strerror)
    )


def regrade(
    report: UnitReport, now: str, paths: BenchPaths | None = None
) -> tuple[Grade | None, list[Text]]:
    """The report's grade computed again (after its erasures or tests changed) with the
    same profile, technician notes and cosmetic grade; the override is kept when the
    profile still allows it. None when the report was never graded. With the sentences
    the technician must read (an override that no longer applies)."""
    from bench_agent.bench.service import Grading

    old = report.grade
    if old is None:
        return None, []
    grading = Grading.load(old.profile, paths=paths)
    grade = grading.grade(report, technical=old.technical_note, aesthetic=old.aesthetic_note)
    notes: list[Text] = []
    if old.override is not None:
        o = old.override
        try:
            grade = grading.apply_override(grade, o.category, o.reason, o.by, o.at)
        except BenchError as exc:
            notes.append(
                _t("Dérogation {category} retirée : {text}", category=o.category, text=exc.text)
            )
    return grade, notes
