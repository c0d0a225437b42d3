"""Per-donor batch report: each laptop received, what became of it, and each of its disks
with the erasure certificate that proves it, as data, CSV and PDF (reportlab).

People read words (categories, outcomes, methods and results from the shared vocabulary,
French or English), dates with their time zone, one line per laptop sorted by asset tag
and one sub-line per disk with its masked serial, method, result and a QR code of its
public verification page. The CSV keeps the machine codes in extra columns next to the
words.

A batch's loose drives (erased on their own at an erasure station, their certificates
naming the batch) follow its laptops everywhere: one line per drive with its masked
serial, model, size (decimal units), method and result in words and its certificates
(an interrupted pass then the resumed one is one drive with two certificates).

Sections of this module: outcomes and dates; the data (:func:`build`,
:func:`loose_drives`); CSV; PDF (QR codes drawn from a cached encoder, page numbers
"page 3 / 12").
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from central_inventory.db import (
    Batch,
    Certificate,
    Report,
    ReportCertificate,
    ReportDisk,
    Tenant,
    Unit,
    as_utc,
)
from central_inventory.evidence import mask_serial
from central_inventory.formatting import disk_size
from central_inventory.ingest import RECYCLED_STATUSES, REUSED_STATUSES

# --- Outcomes and dates ---------------------------------------------------------------


def word(kind: str, code: str | None, lang: str) -> str:
    """:func:`bench_agent.vocabulary.word` (imported when first used: the service loads
    the bench's catalogues only for pages and documents)."""
    from bench_agent.vocabulary import word as vocabulary_word

    return vocabulary_word(kind, code, lang)


ACTUALLY_REUSED_STATUSES = frozenset({"DISTRIBUE", "SAV"})
"""Handed to a beneficiary (SAV: handed, back for after-sales service). The rest of
``REUSED_STATUSES`` (ready to order, ready to hand out, being delivered) is "ready for
reuse", never counted as reused."""


def outcome(status: str) -> str:
    """reused / ready / recycled / in_progress, from the unit's status."""
    if status in ACTUALLY_REUSED_STATUSES:
        return "reused"
    if status in REUSED_STATUSES:
        return "ready"
    if status in RECYCLED_STATUSES:
        return "recycled"
    return "in_progress"


OUTCOMES = ("reused", "ready", "recycled", "in_progress")
OUTCOME_LABELS = {
    "reused": ("Réemployé", "Reused"),
    "ready": ("Prêt au réemploi", "Ready for reuse"),
    "recycled": ("Recyclé", "Recycled"),
    "in_progress": ("En cours", "In progress"),
}
OUTCOME_COUNTS = {
    "reused": ("réemployés", "reused"),
    "ready": ("prêts au réemploi", "ready for reuse"),
    "recycled": ("recyclés", "recycled"),
    "in_progress": ("en cours", "in progress"),
}

TIME_ZONE = "Europe/Paris"
_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return as_utc(value)


def format_day(value: datetime | str | None, lang: str) -> str:
    """ "3 décembre 2026" / "3 December 2026" (the day in Paris); "—" for nothing."""
    from zoneinfo import ZoneInfo

    moment = _moment(value)
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(TIME_ZONE))
    months = _MONTHS_EN if lang == "en" else _MONTHS_FR
    return f"{local.day} {months[local.month - 1]} {local.year}"


def format_moment(value: datetime | str | None, lang: str) -> str:
    """ "3 décembre 2026 à 16:06 (heure de Paris)" / "3 December 2026, 16:06 (Paris
    time)": the time zone is always stated; "—" for nothing; an unreadable time as
    written."""
    from zoneinfo import ZoneInfo

    moment = _moment(value)
    if moment is None:
        return value if isinstance(value, str) and value else "—"
    local = moment.astimezone(ZoneInfo(TIME_ZONE))
    if lang == "en":
        return f"{format_day(moment, lang)}, {local:%H:%M} (Paris time)"
    return f"{format_day(moment, lang)} à {local:%H:%M} (heure de Paris)"


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# --- The data -------------------------------------------------------------------------


@dataclass(kw_only=True)
class CertificateLine:
    """One erasure certificate received for a disk of a unit of the batch."""

    certificate_id: str
    result: str
    """What it proves (``Certificate.outcome``: only ERASED means erased)."""
    disk_model: str | None = None
    disk_serial: str | None = None
    method: str | None = None
    level: str | None = None
    finished_at: str | None = None


@dataclass(kw_only=True)
class DiskLine:
    """One disk of the laptop's current report (or a certificate whose disk that report
    does not list), with the certificate that decides its result."""

    serial: str
    serial_masked: str
    model: str | None
    certificate: CertificateLine | None
    """The deciding certificate: the latest ERASED one, else the latest received."""
    attempts: int = 0
    """Certificates received for this disk (several: earlier attempts failed)."""
    in_inventory: bool = True

    @property
    def erased(self) -> bool:
        return self.certificate is not None and self.certificate.result == "ERASED"

    @property
    def result(self) -> str | None:
        return self.certificate.result if self.certificate else None


@dataclass(kw_only=True)
class BatchLine:
    unit_id: int
    id_esn: str | None
    serial: str | None
    maker: str | None
    model: str | None
    category: str | None
    status: str
    outcome: str
    erasure_state: str | None
    disks: list[DiskLine] = field(default_factory=list)

    @property
    def certificates(self) -> list[CertificateLine]:
        return [d.certificate for d in self.disks if d.certificate is not None]

    @property
    def all_erased(self) -> bool:
        """Every disk proven erased, as the service computed it from certificates."""
        return self.erasure_state == "ERASED"


@dataclass(kw_only=True)
class LooseDrive:
    """A drive of the batch erased on its own at an erasure station (no computer): its
    certificates, oldest first (an INTERRUPTED one, then the resumed erasure's...)."""

    serial: str | None
    model: str | None
    size_bytes: int | None
    certificates: list[CertificateLine] = field(default_factory=list)

    @property
    def serial_masked(self) -> str:
        return mask_serial(self.serial) or "—"

    @property
    def certificate(self) -> CertificateLine | None:
        """The deciding certificate: the latest ERASED one, else the latest received."""
        erased = [c for c in self.certificates if c.result == "ERASED"]
        return (erased or self.certificates or [None])[-1]

    @property
    def erased(self) -> bool:
        return self.result == "ERASED"

    @property
    def result(self) -> str | None:
        """ERASED when one of its certificates proves it, else the latest one's result."""
        deciding = self.certificate
        return deciding.result if deciding else None

    @property
    def method(self) -> str | None:
        deciding = self.certificate
        return deciding.method if deciding else None

    def size_words(self, lang: str) -> str:
        return disk_size(self.size_bytes, lang)


@dataclass(kw_only=True)
class BatchReport:
    batch_id: int
    code: str
    donor_name: str
    tenant_name: str
    tenant_address: str | None
    created_at: datetime
    first_received_at: datetime | None
    last_received_at: datetime | None
    lines: list[BatchLine]
    loose_drives: list[LooseDrive] = field(default_factory=list)

    @property
    def received(self) -> int:
        return len(self.lines)

    @property
    def loose_erased(self) -> int:
        """Loose drives proven erased (counted in drives, not certificates)."""
        return sum(1 for d in self.loose_drives if d.erased)

    def loose_summary(self, lang: str) -> str | None:
        """Counted in drives: "12 disques seuls : 11 effacés, 1 non prouvé"; None when the
        batch has no loose drive."""
        total = len(self.loose_drives)
        if not total:
            return None
        erased = self.loose_erased
        unproven = total - erased
        if lang == "en":
            parts = [f"{erased} erased"] if erased else []
            if unproven:
                parts.append(f"{unproven} not proven")
            return plural(total, "loose drive", "loose drives") + ": " + ", ".join(parts)
        parts = [plural(erased, "effacé", "effacés")] if erased else []
        if unproven:
            parts.append(plural(unproven, "non prouvé", "non prouvés"))
        return plural(total, "disque seul", "disques seuls") + " : " + ", ".join(parts)

    def count(self, which: str) -> int:
        return sum(1 for line in self.lines if line.outcome == which)

    @property
    def certificates_erased(self) -> int:
        return sum(1 for line in self.lines for d in line.disks if d.erased)

    @property
    def units_erased(self) -> int:
        return sum(1 for line in self.lines if line.all_erased)

    @property
    def units_without_disk(self) -> int:
        return sum(1 for line in self.lines if line.erasure_state == "NO_DISK")

    def summary(self, lang: str) -> str:
        """Counted in laptops: "3 ordinateurs, disques tous effacés"."""
        fr = lang != "en"
        total = self.received
        head = plural(total, *(("ordinateur", "ordinateurs") if fr else ("computer", "computers")))
        erased, no_disk = self.units_erased, self.units_without_disk
        unproven = total - erased - no_disk
        if total == 0:
            return "Aucun ordinateur enregistré." if fr else "No computer recorded."
        if unproven == 0 and erased == total:
            return f"{head}, " + ("disques tous effacés" if fr else "every disk erased")
        parts = []
        if erased:
            parts.append(
                f"disques tous effacés pour {erased}" if fr else f"every disk erased for {erased}"
            )
        if unproven:
            parts.append(
                f"effacement non prouvé pour {unproven}"
                if fr
                else f"erasure not proven for {unproven}"
            )
        if no_disk:
            parts.append(f"sans disque : {no_disk}" if fr else f"without a disk: {no_disk}")
        return f"{head} : " + ", ".join(parts) if fr else f"{head}: " + ", ".join(parts)


def _natural(value: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", value)]


def sort_key(line: BatchLine) -> tuple[Any, ...]:
    """By asset tag in natural order ("PC-9" before "PC-10"); untagged laptops last, by
    serial."""
    if line.id_esn:
        return (0, _natural(line.id_esn), line.unit_id)
    return (1, _natural(line.serial or ""), line.unit_id)


def build(session: Session, batch: Batch) -> BatchReport:
    """The batch's laptops with, per disk of each one's current report, the certificates
    that report lists (of the tenant, as received): four queries whatever the size."""
    tenant = session.get(Tenant, batch.tenant_id)
    assert tenant is not None
    units = list(session.scalars(select(Unit).where(Unit.batch_id == batch.id)))
    current = and_(
        Report.unit_id == Unit.id,
        Report.version == Unit.latest_version,
        Unit.batch_id == batch.id,
    )
    inventory: dict[int, list[tuple[str, bool]]] = {u.id: [] for u in units}
    certificates: dict[int, list[CertificateLine]] = {u.id: [] for u in units}
    if units:
        for unit_id, serial, required in session.execute(
            select(Unit.id, ReportDisk.serial, ReportDisk.required)
            .join(Report, Report.id == ReportDisk.report_pk)
            .join(Unit, current)
            .order_by(ReportDisk.required.desc(), ReportDisk.serial)
        ):
            inventory[unit_id].append((serial, required))
        for row in session.execute(
            select(
                Unit.id,
                Certificate.certificate_id,
                Certificate.outcome,
                Certificate.disk_model,
                Certificate.disk_serial,
                Certificate.method,
                Certificate.level,
                Certificate.finished_at,
            )
            .select_from(ReportCertificate)
            .join(Report, Report.id == ReportCertificate.report_pk)
            .join(Unit, current)
            .join(
                Certificate,
                and_(
                    Certificate.certificate_id == ReportCertificate.certificate_id,
                    Certificate.tenant_id == Unit.tenant_id,
                ),
            )
            .order_by(Certificate.finished_at, Certificate.certificate_id)
        ):
            unit_id, certificate_id, result, model, serial, method, level, finished = row
            certificates[unit_id].append(
                CertificateLine(
                    certificate_id=certificate_id,
                    result=result,
                    disk_model=model,
                    disk_serial=serial,
                    method=method,
                    level=level,
                    finished_at=finished,
                )
            )
    first, last = session.execute(
        select(func.min(Unit.first_seen_at), func.max(Unit.last_report_at)).where(
            Unit.batch_id == batch.id
        )
    ).one()
    lines = [
        BatchLine(
            unit_id=u.id,
            id_esn=u.id_esn,
            serial=u.serial,
            maker=u.maker,
            model=u.model,
            category=u.category,
            status=u.status,
            outcome=outcome(u.status),
            erasure_state=u.erasure_state,
            disks=_disks(inventory[u.id], certificates[u.id]),
        )
        for u in units
    ]
    lines.sort(key=sort_key)
    return BatchReport(
        batch_id=batch.id,
        code=batch.code,
        donor_name=batch.donor_name,
        tenant_name=tenant.name,
        tenant_address=tenant.address,
        created_at=as_utc(batch.created_at),
        first_received_at=as_utc(first) if first is not None else None,
        last_received_at=as_utc(last) if last is not None else None,
        lines=lines,
        loose_drives=loose_drives(session, batch),
    )


def _size(envelope: str) -> int | None:
    """``media.size_bytes`` of a stored certificate (its envelope, verified when it came
    in); None when it cannot be read."""
    try:
        payload = json.loads(envelope).get("payload")
        media = payload.get("media") if isinstance(payload, dict) else None
        size = media.get("size_bytes") if isinstance(media, dict) else None
    except (ValueError, AttributeError):
        return None
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None


def loose_drives(session: Session, batch: Batch) -> list[LooseDrive]:
    """The batch's loose drives: the tenant's certificates naming the batch
    (``loose_batch``), one drive per serial (else per model and size), its certificates
    oldest first; drives in natural order of serial. One query."""
    rows = session.execute(
        select(
            Certificate.certificate_id,
            Certificate.outcome,
            Certificate.disk_model,
            Certificate.disk_serial,
            Certificate.method,
            Certificate.level,
            Certificate.finished_at,
            Certificate.envelope,
        )
        .where(Certificate.tenant_id == batch.tenant_id, Certificate.loose_batch == batch.code)
        .order_by(Certificate.started_at, Certificate.certificate_id)
    ).all()
    drives: dict[tuple[object, ...], LooseDrive] = {}
    for cid, result, model, raw_serial, method, level, finished, envelope in rows:
        size = _size(envelope)
        serial = (raw_serial or "").strip() or None
        key: tuple[object, ...] = ("serial", serial) if serial else ("model", model, size)
        drive = drives.setdefault(key, LooseDrive(serial=serial, model=model, size_bytes=size))
        drive.size_bytes = drive.size_bytes or size
        drive.model = drive.model or model
        drive.certificates.append(
            CertificateLine(
                certificate_id=cid,
                result=result,
                disk_model=model,
                disk_serial=serial,
                method=method,
                level=level,
                finished_at=finished,
            )
        )
    return sorted(
        drives.values(), key=lambda d: (d.serial is None, _natural(d.serial or d.model or ""))
    )


def _disks(inventory: list[tuple[str, bool]], received: list[CertificateLine]) -> list[DiskLine]:
    """One line per inventoried disk (its certificates matched by serial), then one per
    certificate whose disk the inventory does not list."""
    by_serial: dict[str, list[CertificateLine]] = {}
    for certificate in received:
        by_serial.setdefault((certificate.disk_serial or "").strip(), []).append(certificate)
    lines = []
    for serial, _required in inventory:
        found = by_serial.pop(serial, []) if serial else []
        lines.append(_disk_line(serial, found, in_inventory=True))
    for serial, found in by_serial.items():
        lines.append(_disk_line(serial, found, in_inventory=False))
    return lines


def _disk_line(serial: str, found: list[CertificateLine], *, in_inventory: bool) -> DiskLine:
    erased = [c for c in found if c.result == "ERASED"]
    deciding = (erased or found or [None])[-1]
    return DiskLine(
        serial=serial,
        serial_masked=mask_serial(serial) or "—",
        model=next((c.disk_model for c in reversed(found) if c.disk_model), None),
        certificate=deciding,
        attempts=len(found),
        in_inventory=in_inventory,
    )


def disk_fate(line: BatchLine, disk: DiskLine, lang: str) -> str | None:
    """What became of a recycled laptop's disk ("effacé avant recyclage" / "à détruire");
    None for a laptop that is not recycled."""
    if line.outcome != "recycled":
        return None
    fr = lang != "en"
    if disk.erased:
        return "effacé avant recyclage" if fr else "erased before recycling"
    return (
        "effacement non prouvé : disque à détruire"
        if fr
        else "erasure not proven: disk to be destroyed"
    )


def filter_lines(report: BatchReport, query: str) -> list[BatchLine]:
    """Laptops whose asset tag, serial, maker, model, disk serial or certificate id holds
    ``query`` (any part, case ignored): the donor page's search."""
    needle = query.strip().lower()
    if not needle:
        return report.lines
    found = []
    for line in report.lines:
        haystack = [line.id_esn, line.serial, line.maker, line.model]
        haystack += [d.serial for d in line.disks]
        haystack += [c.certificate_id for c in line.certificates]
        if any(needle in (value or "").lower() for value in haystack):
            found.append(line)
    return found


def filter_loose(report: BatchReport, query: str) -> list[LooseDrive]:
    """Loose drives whose serial, model or certificate id holds ``query`` (any part, case
    ignored): the donor page's search."""
    needle = query.strip().lower()
    if not needle:
        return report.loose_drives
    return [
        d
        for d in report.loose_drives
        if any(
            needle in (value or "").lower()
            for value in (d.serial, d.model, *(c.certificate_id for c in d.certificates))
        )
    ]


# --- CSV ------------------------------------------------------------------------------


def _cell(value: str | None) -> str:
    # A leading = + - @ would run as a formula in a spreadsheet (CSV injection).
    text = value or ""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


CSV_COLUMNS = {
    "fr": (
        "idEsn",
        "numero_serie",
        "marque",
        "modele",
        "categorie",
        "categorie_code",
        "statut",
        "statut_code",
        "devenir",
        "devenir_code",
        "disques",
        "disques_effaces",
        "disques_numeros_masques",
        "certificats_effacement",
        "resultats",
        "resultats_codes",
        "verification_url",
        "type",
        "type_code",
        "taille",
    ),
    "en": (
        "idEsn",
        "serial",
        "maker",
        "model",
        "category",
        "category_code",
        "status",
        "status_code",
        "outcome",
        "outcome_code",
        "disks",
        "disks_erased",
        "disk_serials_masked",
        "erasure_certificates",
        "results",
        "result_codes",
        "verification_url",
        "type",
        "type_code",
        "size",
    ),
}


def to_csv(report: BatchReport, base_url: str, lang: str = "fr") -> bytes:
    """Semicolon-separated UTF-8 with BOM (what French spreadsheets open directly): one
    row per laptop, then one per loose drive (``type``: "ordinateur" / "disque seul",
    ``type_code``: laptop / loose_drive), words and, in the ``*_code`` columns, the
    machine codes; lists (one item per disk or certificate) separated by " | "."""
    lang = "en" if lang == "en" else "fr"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS[lang])
    for line in report.lines:
        certificates = line.certificates
        writer.writerow(
            [
                _cell(line.id_esn),
                _cell(line.serial),
                _cell(line.maker),
                _cell(line.model),
                word("category", line.category, lang),
                line.category or "",
                word("status", line.status, lang),
                line.status,
                OUTCOME_LABELS[line.outcome][1 if lang == "en" else 0],
                line.outcome,
                str(len(line.disks)),
                str(sum(1 for d in line.disks if d.erased)),
                " | ".join(d.serial_masked for d in line.disks),
                " ".join(c.certificate_id for c in certificates),
                " | ".join(word("erasure_result", c.result, lang) for c in certificates),
                " ".join(c.result for c in certificates),
                " ".join(verify_url(base_url, c.certificate_id) for c in certificates),
                "ordinateur" if lang == "fr" else "laptop",
                "laptop",
                "",
            ]
        )
    for drive in report.loose_drives:
        # No asset tag, serial of a computer, maker, category or status of its own: its
        # outcome is its erasure's result (words, and the result code).
        certificates = drive.certificates
        writer.writerow(
            [
                "",
                "",
                "",
                _cell(drive.model),
                "",
                "",
                "",
                "",
                result_words(drive.result, lang),
                drive.result or "",
                "1",
                "1" if drive.erased else "0",
                drive.serial_masked,
                " ".join(c.certificate_id for c in certificates),
                " | ".join(word("erasure_result", c.result, lang) for c in certificates),
                " ".join(c.result for c in certificates),
                " ".join(verify_url(base_url, c.certificate_id) for c in certificates),
                "disque seul" if lang == "fr" else "loose drive",
                "loose_drive",
                drive.size_words(lang),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def verify_url(base_url: str, certificate_id: str) -> str:
    """The public verification page of a certificate (what its QR code holds)."""
    return f"{base_url.rstrip('/')}/verify/{quote(certificate_id, safe='')}"


def category_words(category: str | None, lang: str) -> str:
    return word("category", category, lang)


def result_words(result: str | None, lang: str) -> str:
    return word("erasure_result", result, lang)


def level_words(level: str | None, lang: str) -> str | None:
    return word("level", level, lang) if level else None


def method_words(method: str | None, lang: str) -> str:
    return word("method", method, lang)


# --- PDF ------------------------------------------------------------------------------

QR_SIDE_MM = 20.0
_QR_MASK = 2
"""Every code uses one mask pattern (valid for any decoder): trying all eight for the
"best" one cost 85 % of the encoding time (15 ms of 17 per code, 500 codes a batch)."""


_QR_PLACES: dict[tuple[int, int], list[tuple[int, int, bool]]] = {}


def qr_modules(payload: str) -> list[list[bool]]:
    """The dark modules of ``payload``'s QR code (error level M), laid out by reportlab's
    own encoder with mask :data:`_QR_MASK`; its error-correction bytes are computed here
    (reportlab's recursive polynomial division was most of the encoding time)."""
    from reportlab.graphics.barcode import qrencoder

    class _Fast(qrencoder.QRCode):  # type: ignore[misc]
        def getBestMaskPattern(self) -> int:
            return _QR_MASK

        def makeImpl(self, test: bool, mask_pattern: int) -> None:
            if self.dataCache is None:
                self.dataCache = _qr_codewords(self.version, self.errorCorrectLevel, self.dataList)
            super().makeImpl(test, mask_pattern)

        def mapData(self, data: list[int], mask_pattern: int) -> None:
            # reportlab's placement, its positions and mask bits computed once per version.
            key = (self.version, mask_pattern)
            places = _QR_PLACES.get(key)
            if places is None:
                mask = qrencoder.QRUtil.getMask(mask_pattern)
                places = [(col, row, bool(mask(row, col))) for col, row in self._dataPosIterator()]
                _QR_PLACES[key] = places
            bits = [bool((byte >> shift) & 1) for byte in data for shift in range(7, -1, -1)]
            bits += [False] * (len(places) - len(bits))
            modules = self.modules
            for (col, row, masked), dark in zip(places, bits, strict=False):
                modules[row][col] = dark ^ masked

    code = _Fast(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    return [[bool(m) for m in row] for row in code.modules]


def qr_modules_reference(payload: str) -> list[list[bool]]:
    """The same code by reportlab's encoder alone (same mask): what tests compare with."""
    from reportlab.graphics.barcode import qrencoder

    class _Reference(qrencoder.QRCode):  # type: ignore[misc]
        def getBestMaskPattern(self) -> int:
            return _QR_MASK

    code = _Reference(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    return [[bool(m) for m in row] for row in code.modules]


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 512
    log = [0] * 256
    value = 1
    for i in range(255):
        exp[i] = value
        log[value] = i
        value <<= 1
        if value & 0x100:
            value ^= 0x11D  # QR's field polynomial
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


_GF_EXP, _GF_LOG = _gf_tables()
_GENERATORS: dict[int, list[int]] = {}


def _generator_logs(ec_count: int) -> list[int]:
    """Logs of the Reed-Solomon generator's coefficients after the leading 1 (-1 for 0)."""
    found = _GENERATORS.get(ec_count)
    if found is None:
        poly = [1]
        for i in range(ec_count):
            factor = _GF_EXP[i]
            nxt = [0] * (len(poly) + 1)
            for j, coefficient in enumerate(poly):
                nxt[j] ^= coefficient
                if coefficient:
                    nxt[j + 1] ^= _GF_EXP[_GF_LOG[coefficient] + _GF_LOG[factor]]
            poly = nxt
        found = [_GF_LOG[c] if c else -1 for c in poly[1:]]
        _GENERATORS[ec_count] = found
    return found


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    generator = _generator_logs(ec_count)
    remainder = [0] * ec_count
    for byte in data:
        factor = byte ^ remainder[0]
        remainder = [*remainder[1:], 0]
        if factor:
            shift = _GF_LOG[factor]
            for i, g in enumerate(generator):
                if g >= 0:
                    remainder[i] ^= _GF_EXP[g + shift]
    return remainder


def _qr_codewords(version: int, level: int, data_list: list[Any]) -> list[int]:
    """reportlab's ``QRCode.createData`` (bit buffer, terminator, padding, interleaving)
    with a table-driven Reed-Solomon remainder."""
    from itertools import chain, zip_longest

    from reportlab.graphics.barcode import qrencoder

    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
    buffer = qrencoder.QRBitBuffer()
    for data in data_list:
        data.write(buffer, version)
    capacity = sum(block.dataCount for block in blocks) * 8
    if buffer.getLengthInBits() > capacity:
        raise ValueError(f"QR code too long ({buffer.getLengthInBits()} > {capacity} bits)")
    if buffer.getLengthInBits() + 4 <= capacity:
        buffer.put(0, 4)
    while buffer.getLengthInBits() % 8:
        buffer.putBit(False)
    pads = (0xEC, 0x11)
    n = 0
    while buffer.getLengthInBits() < capacity:
        buffer.put(pads[n % 2], 8)
        n += 1
    offset = 0
    data_blocks: list[list[int]] = []
    ec_blocks: list[list[int]] = []
    for block in blocks:
        chunk = list(buffer.buffer[offset : offset + block.dataCount])
        offset += block.dataCount
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.totalCount - block.dataCount))
    return [
        d
        for group in chain(zip_longest(*data_blocks), zip_longest(*ec_blocks))
        for d in group
        if d is not None
    ]


def _qr_flowable(payload: str, side_mm: float) -> Any:
    """A QR code flowable ``side_mm`` wide (two modules of quiet zone): one filled path
    of horizontal runs written in module units (integers: no float formatting per
    rectangle, which cost more than the encoding itself)."""
    from reportlab.platypus import Flowable

    from bench_agent.documents.pdf import MM

    modules = qr_modules(payload)
    side = side_mm * MM
    count = len(modules)
    border = 2
    box = side / (count + 2 * border)
    ops: list[str] = []
    for r, row in enumerate(modules):
        y = count - 1 - r + border
        c = 0
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                ops.append(f"{start + border} {y} {c - start} 1 re")
            else:
                c += 1
    ops.append("f")
    literal = "\n".join(ops)

    class QrMark(Flowable):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.width = self.height = side
            self.payload = payload

        def wrap(self, _width: float, _height: float) -> tuple[float, float]:
            return side, side

        def draw(self) -> None:
            canvas = self.canv
            canvas.saveState()
            canvas.setFillColorRGB(0, 0, 0)
            canvas.transform(box, 0, 0, box, 0, 0)
            canvas.addLiteral(literal)
            canvas.restoreState()

    return QrMark()


def _numbered_canvas(footer: str, generated: str) -> Any:
    """A canvas that writes "page n / total" on every page once the total is known."""
    from reportlab.pdfgen.canvas import Canvas

    from bench_agent.documents.pdf import MM
    from bench_agent.labels.render import REGULAR

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(REGULAR, 7)
                self.drawString(12 * MM, 8 * MM, footer)
                self.drawRightString(
                    self._pagesize[0] - 12 * MM, 8 * MM, f"page {self._pageNumber} / {total}"
                )
                self.drawCentredString(self._pagesize[0] / 2, 8 * MM, generated)
                super().showPage()
            super().save()

    return NumberedCanvas


CELL_PAD = 3.0
"""Left and right padding of the table cells (``grid_style``), in points."""


def _plain(value: object) -> str:
    """A value as one printable line (control characters removed); "—" for nothing."""
    from bench_agent.labels.content import clean_text

    cleaned = clean_text(str(value), max_chars=300) if value is not None else None
    return cleaned or "—"


def _lines(value: str, font: str, size: float, width: float) -> list[str]:
    """``value`` wrapped at spaces to ``width`` points; a word wider than that is cut at
    characters (a long address wraps, it never runs out of its cell)."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[str] = []
    for split in simpleSplit(value, font, size, width):
        rest = split
        while stringWidth(rest, font, size) > width and len(rest) > 1:
            cut = len(rest) - 1
            while cut > 1 and stringWidth(rest[:cut], font, size) > width:
                cut -= 1
            out.append(rest[:cut])
            rest = rest[cut:]
        out.append(rest)
    return out or [""]


def _fitter(widths: list[float]) -> Any:
    """``fit(value, column, size, font)``: the value broken into the lines its column
    holds (plain strings: a 500-laptop report must not lay out paragraphs)."""
    from bench_agent.labels.render import REGULAR

    def fit(value: str, column: int, size: float = 8, font: str = REGULAR) -> str:
        return "\n".join(_lines(value, font, size, widths[column] - 2 * CELL_PAD))

    return fit


def _head_row_commands() -> list[tuple[Any, ...]]:
    """The table style a laptop's or a loose drive's rows start from (its first row's
    tag and result in bold)."""
    from bench_agent.labels.render import BOLD

    return [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("FONTNAME", (0, 0), (0, 0), BOLD),
        ("FONTNAME", (3, 0), (3, 0), BOLD),
    ]


def _unit_rows(
    line: BatchLine, *, widths: list[float], base_url: str, lang: str
) -> tuple[list[list[Any]], list[tuple[Any, ...]]]:
    """A laptop's line and one sub-line per disk (masked serial, model and the whole
    verification address, broken after "/verify/", never inside the id; method; result in
    words; QR code) as table rows of plain strings (no markup to parse: a 500-laptop
    report spent most of its time laying out paragraphs), with their style commands."""
    from bench_agent.labels.render import BOLD, REGULAR

    fr = lang != "en"

    def t(fr_text: str, en_text: str) -> str:
        return fr_text if fr else en_text

    fit = _fitter(widths)
    commands = _head_row_commands()
    maker_model = " ".join(x for x in (line.maker, line.model) if x) or None
    rows: list[list[Any]] = [
        [
            fit(_plain(line.id_esn), 0, font=BOLD),
            fit(_plain(line.serial), 1),
            fit(_plain(maker_model), 2),
            fit(category_words(line.category, lang), 3, font=BOLD),
            fit(OUTCOME_LABELS[line.outcome][0 if fr else 1], 4),
        ]
    ]
    if not line.disks:
        commands.append(("SPAN", (0, 1), (-1, 1)))
        rows.append(
            [
                t(
                    "Aucun disque inventorié ni certificat d'effacement reçu.",
                    "No disk inventoried and no erasure certificate received.",
                ),
                "",
                "",
                "",
                "",
            ]
        )
    disk_width = widths[0] + widths[1]
    for disk in line.disks:
        row = len(rows)
        commands.append(("SPAN", (0, row), (1, row)))
        certificate = disk.certificate
        first = (
            t("Disque", "Disk")
            + " "
            + (
                f"S/N {disk.serial_masked}"
                if disk.serial
                else t("sans numéro de série", "no serial number")
            )
        )
        parts = _lines(first, BOLD, 8, disk_width - 2 * CELL_PAD)
        if disk.model:
            parts += _lines(_plain(disk.model), REGULAR, 7, disk_width - 2 * CELL_PAD)
        fate = disk_fate(line, disk, lang)
        result = [t("Aucun certificat", "No certificate")] if certificate is None else []
        qr: Any = ""
        method = ""
        if certificate is not None:
            url = verify_url(base_url, certificate.certificate_id)
            head, _, tail = url.rpartition("/")
            parts.append(t("Vérifier :", "Check:"))
            parts += _lines(head + "/", REGULAR, 7, disk_width - 2 * CELL_PAD)
            parts += _lines(tail, REGULAR, 7, disk_width - 2 * CELL_PAD)
            method = fit(method_words(certificate.method, lang), 2)
            result.append(result_words(certificate.result, lang))
            level = level_words(certificate.level, lang)
            if level:
                result.append(level)
            if disk.attempts > 1:
                result.append(
                    t(
                        f"{disk.attempts} certificats reçus pour ce disque",
                        f"{disk.attempts} certificates received for this disk",
                    )
                )
            if not disk.in_inventory:
                result.append(t("disque absent de l'inventaire", "disk not in the inventory"))
            qr = _qr_flowable(url, QR_SIDE_MM)
        if fate:
            result.append(fate)
        commands += [
            ("FONTSIZE", (0, row), (1, row), 7),
            ("LEADING", (0, row), (1, row), 8.5),
            ("FONTNAME", (3, row), (3, row), BOLD),
        ]
        rows.append(
            [
                "\n".join(parts),
                "",
                method,
                "\n".join(fit(r, 3, font=BOLD) for r in result),
                qr,
            ]
        )
    return rows, commands


def _loose_rows(
    drive: LooseDrive, *, widths: list[float], base_url: str, lang: str
) -> tuple[list[list[Any]], list[tuple[Any, ...]]]:
    """A loose drive's line (masked serial, size, model, its result in words) and one
    sub-line per certificate (when it finished, the verification address, method, result
    in words, QR code), as :func:`_unit_rows` lays out a laptop and its disks."""
    from bench_agent.labels.render import BOLD, REGULAR

    fr = lang != "en"

    def t(fr_text: str, en_text: str) -> str:
        return fr_text if fr else en_text

    fit = _fitter(widths)
    commands = _head_row_commands()
    serial = (
        f"S/N {drive.serial_masked}" if drive.serial else t("sans numéro de série", "no serial")
    )
    disk_width = widths[0] + widths[1]
    commands.append(("SPAN", (0, 0), (1, 0)))
    head = _lines(serial, BOLD, 8, disk_width - 2 * CELL_PAD)
    head += _lines(drive.size_words(lang), REGULAR, 8, disk_width - 2 * CELL_PAD)
    rows: list[list[Any]] = [
        [
            "\n".join(head),
            "",
            fit(_plain(drive.model), 2),
            fit(result_words(drive.result, lang), 3, font=BOLD),
            "",
        ]
    ]
    for certificate in drive.certificates:
        row = len(rows)
        commands += [
            ("SPAN", (0, row), (1, row)),
            ("FONTSIZE", (0, row), (1, row), 7),
            ("LEADING", (0, row), (1, row), 8.5),
            ("FONTNAME", (3, row), (3, row), BOLD),
        ]
        url = verify_url(base_url, certificate.certificate_id)
        head, _, tail = url.rpartition("/")
        parts = _lines(
            t("Certificat du ", "Certificate of ") + format_moment(certificate.finished_at, lang),
            REGULAR,
            7,
            disk_width - 2 * CELL_PAD,
        )
        parts.append(t("Vérifier :", "Check:"))
        parts += _lines(head + "/", REGULAR, 7, disk_width - 2 * CELL_PAD)
        parts += _lines(tail, REGULAR, 7, disk_width - 2 * CELL_PAD)
        result = [result_words(certificate.result, lang)]
        # The level reached: only an erasure that is proven reached one.
        level = level_words(certificate.level, lang) if certificate.result == "ERASED" else None
        if level:
            result.append(level)
        rows.append(
            [
                "\n".join(parts),
                "",
                fit(method_words(certificate.method, lang), 2),
                "\n".join(fit(r, 3, font=BOLD) for r in result),
                _qr_flowable(url, QR_SIDE_MM),
            ]
        )
    return rows, commands


def to_pdf(
    report: BatchReport, base_url: str, lang: str = "fr", generated_at: datetime | None = None
) -> bytes:
    """An A4 report: who refurbished, for whom and when; the summary in laptops; then
    each laptop (sorted by asset tag) with its category and outcome in words and, per
    disk, the masked serial, method, result and the QR code of its verification page;
    then the batch's loose drives (a line per drive, a sub-line and QR code per
    certificate). Pages say "page n / total" and the report's date."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        KeepTogether,
        NextPageTemplate,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
    )

    from bench_agent.documents.pdf import MM, grid_style, styles, text

    fr = lang != "en"
    lang = "fr" if fr else "en"

    def t(fr_text: str, en_text: str) -> str:
        return fr_text if fr else en_text

    st = styles()
    width = A4[0] - 24 * MM
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    address = "<br/>".join(text(line) for line in (report.tenant_address or "").splitlines())
    received = ""
    if report.first_received_at is not None and report.last_received_at is not None:
        received = t(
            f" ; appareils reçus du {format_day(report.first_received_at, lang)} au "
            f"{format_day(report.last_received_at, lang)}",
            f"; devices received from {format_day(report.first_received_at, lang)} to "
            f"{format_day(report.last_received_at, lang)}",
        )
    story: list[Any] = [
        Paragraph(text(t("Rapport de lot donateur", "Donor batch report")), st.title),
        Paragraph(
            f"{text(t('Lot', 'Batch'))} <b>{text(report.code)}</b> — "
            f"{text(t('Donateur', 'Donor'))} <b>{text(report.donor_name)}</b>",
            st.body,
        ),
        Spacer(1, 2 * MM),
        Paragraph(
            f"{text(t('Reconditionneur :', 'Reconditioner:'))} <b>{text(report.tenant_name)}</b>",
            st.body,
        ),
        Paragraph(address or text(t("adresse non renseignée", "address not given")), st.body),
        Spacer(1, 2 * MM),
        Paragraph(
            text(
                t(
                    f"Lot ouvert le {format_day(report.created_at, lang)}{received}. "
                    f"Rapport établi le {format_moment(generated, lang)}.",
                    f"Batch opened on {format_day(report.created_at, lang)}{received}. "
                    f"Report made on {format_moment(generated, lang)}.",
                )
            ),
            st.body,
        ),
        Spacer(1, 4 * MM),
    ]
    heads = [
        t("Reçus", "Received"),
        *(OUTCOME_COUNTS[o][0 if fr else 1].capitalize() for o in OUTCOMES),
    ]
    counts = [report.received, *(report.count(o) for o in OUTCOMES)]
    if report.loose_drives:
        heads.append(t("Disques seuls effacés", "Loose drives erased"))
        counts.append(report.loose_erased)
    summary = Table(
        [
            [Paragraph(text(h), st.cell_bold) for h in heads],
            [Paragraph(str(n), st.cell) for n in counts],
        ],
        colWidths=[width / len(heads)] * len(heads),
    )
    summary.setStyle(grid_style())
    story += [
        summary,
        Spacer(1, 2 * MM),
        Paragraph(f"<b>{text(report.summary(lang))}</b>", st.body),
    ]
    loose_summary = report.loose_summary(lang)
    if loose_summary:
        story.append(Paragraph(f"<b>{text(loose_summary)}</b>", st.body))
    story.append(Spacer(1, 4 * MM))

    titles = (
        t("N° d'inventaire", "Asset tag"),
        t("N° de série", "Serial"),
        t("Modèle", "Model"),
        t("Catégorie", "Category"),
        t("Devenir", "Outcome"),
    )
    widths = [30 * MM, 36 * MM, 50 * MM, 34 * MM, width - 150 * MM]
    header = Table([[Paragraph(text(h), st.cell_bold) for h in titles]], colWidths=widths)
    header.setStyle(grid_style())
    shade = colors.HexColor("#f3f5f8")
    if report.lines or not report.loose_drives:
        story.append(NextPageTemplate("later"))
        story.append(header)
    # One small table per laptop (its line and its disks' sub-lines, never split across
    # pages): one table of 1,000 rows cost quadratic time to split into pages.
    for line in report.lines:
        rows, commands = _unit_rows(line, widths=widths, base_url=base_url, lang=lang)
        style = grid_style(header=False)
        style.add("BACKGROUND", (0, 0), (-1, 0), shade)
        for command in commands:
            style.add(*command)
        # A laptop and its disks stay on one page.
        story.append(KeepTogether([Table(rows, colWidths=widths, style=style)]))
    if not report.lines and not report.loose_drives:
        story.append(
            Paragraph(
                text(t("Aucun appareil enregistré pour ce lot.", "No device recorded yet.")),
                st.body,
            )
        )
    if report.loose_drives:
        # Pages of loose drives carry no laptop column titles ("loose" template).
        story += [
            NextPageTemplate("loose"),
            Spacer(1, 4 * MM),
            Paragraph(
                text(
                    t(
                        "Disques seuls (effacés sans leur ordinateur)",
                        "Loose drives (erased without their computer)",
                    )
                ),
                st.heading,
            ),
            Spacer(1, 2 * MM),
        ]
        loose_header = Table(
            [
                [
                    Paragraph(text(h), st.cell_bold)
                    for h in (
                        t("Disque : n° de série masqué, taille", "Drive: masked serial, size"),
                        "",
                        t("Modèle ; méthode", "Model; method"),
                        t("Résultat", "Result"),
                        t("Preuve", "Proof"),
                    )
                ]
            ],
            colWidths=widths,
        )
        loose_style = grid_style()
        loose_style.add("SPAN", (0, 0), (1, 0))
        loose_header.setStyle(loose_style)
        story.append(loose_header)
        for drive in report.loose_drives:
            rows, commands = _loose_rows(drive, widths=widths, base_url=base_url, lang=lang)
            style = grid_style(header=False)
            style.add("BACKGROUND", (0, 0), (-1, 0), shade)
            for command in commands:
                style.add(*command)
            story.append(KeepTogether([Table(rows, colWidths=widths, style=style)]))
    story.append(Spacer(1, 4 * MM))
    story.append(
        Paragraph(
            text(
                t(
                    "Chaque certificat est signé par le banc qui a effacé le disque. Scannez son "
                    "code QR : la page de vérification montre la signature, la clé du banc et "
                    "la déclaration du réseau, et comment les vérifier vous-même. Les numéros "
                    "de série des disques sont masqués en partie.",
                    "Each certificate is signed by the bench that erased the disk. Scan its QR "
                    "code: the verification page shows the signature, the bench's key and the "
                    "network's statement, and how to check them yourself. Disk serial numbers "
                    "are partly masked.",
                )
            ),
            st.small,
        )
    )
    footer = f"{t('Rapport de lot', 'Batch report')} {report.code}"
    stamp = t("établi le ", "made on ") + format_moment(generated, lang)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * MM,
        rightMargin=12 * MM,
        topMargin=14 * MM,
        bottomMargin=14 * MM,
        title=f"{footer}",
        author=report.tenant_name,
        initialFontName=st.body.fontName,
    )
    header_height = header.wrap(width, A4[1])[1]

    def column_titles(canvas: Any, document: Any) -> None:
        # Later pages start with the column titles, drawn above their frame.
        header.drawOn(canvas, document.leftMargin, A4[1] - document.topMargin - header_height)

    body = A4[1] - 28 * MM
    doc.addPageTemplates(
        [
            PageTemplate("first", [Frame(12 * MM, 14 * MM, width, body, id="first")]),
            PageTemplate(
                "later",
                [Frame(12 * MM, 14 * MM, width, body - header_height, id="later")],
                onPage=column_titles,
            ),
            PageTemplate("loose", [Frame(12 * MM, 14 * MM, width, body, id="loose")]),
        ]
    )
    from reportlab import rl_config

    # Streams Flate-compressed only: ASCII85 on top made the file a quarter larger and
    # cost a fifth of the rendering time in pure Python.
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc.build(story, canvasmaker=_numbered_canvas(footer, stamp))
    finally:
        rl_config.useA85 = a85
    return buffer.getvalue()
