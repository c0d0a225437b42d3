"""Per-donor batch report: devices received, reused, recycled, and their erasure certificates,
as data, CSV and PDF (reportlab); then the batch's loose drives (erased on their own at
an erasure station, without their computer: each certificate names the batch).

The PDF is for people: categories, outcomes, methods and results in words (French or
English, the bench's own catalogue), the reconditioner's name and address, its date, and
per disk its serial, method, result and a QR code of the public verification page."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_inventory.db import Batch, Certificate, ReportCertificate, Tenant, Unit
from central_inventory.ingest import RECYCLED_STATUSES, REUSED_STATUSES


def outcome(status: str) -> str:
    """reused / recycled / in_progress, from the unit's status."""
    if status in REUSED_STATUSES:
        return "reused"
    if status in RECYCLED_STATUSES:
        return "recycled"
    return "in_progress"


OUTCOME_LABELS = {
    "reused": ("Réemployé", "Reused"),
    "recycled": ("Recyclé", "Recycled"),
    "in_progress": ("En cours", "In progress"),
}


@dataclass(kw_only=True)
class CertificateLine:
    """One erasure certificate received for a unit of the batch."""

    certificate_id: str
    result: str
    disk_model: str | None = None
    disk_serial: str | None = None
    method: str | None = None
    level: str | None = None
    finished_at: str | None = None


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
    certificates: list[CertificateLine] = field(default_factory=list)
    """Each erasure certificate received for the unit, with what it proves
    (``Certificate.outcome``: a dry run or an unverified erasure never reads ERASED)."""


@dataclass(kw_only=True)
class LooseDrive:
    """A drive of the batch erased on its own at a station (no source computer): its
    certificates (an INTERRUPTED one, then the resumed erasure's, ...), oldest first."""

    serial: str | None
    model: str | None
    size_bytes: int | None
    certificates: list[CertificateLine] = field(default_factory=list)

    @property
    def result(self) -> str:
        """ERASED when one of its certificates proves it, else the latest one's."""
        if any(c.result == "ERASED" for c in self.certificates):
            return "ERASED"
        return self.certificates[-1].result if self.certificates else "UNKNOWN"

    @property
    def method(self) -> str | None:
        for c in reversed(self.certificates):
            if c.result == "ERASED":
                return c.method
        return self.certificates[-1].method if self.certificates else None

    def size_words(self, lang: str) -> str:
        return size_words(self.size_bytes, lang)

    def method_words(self, lang: str) -> str:
        return method_words(self.method, lang)


@dataclass(kw_only=True)
class BatchReport:
    batch_id: int
    code: str
    donor_name: str
    tenant_name: str
    tenant_address: str | None
    created_at: datetime
    lines: list[BatchLine]
    loose_drives: list[LooseDrive] = field(default_factory=list)

    @property
    def received(self) -> int:
        return len(self.lines)

    @property
    def loose_erased(self) -> int:
        return sum(1 for d in self.loose_drives if d.result == "ERASED")

    def count(self, which: str) -> int:
        return sum(1 for line in self.lines if line.outcome == which)

    @property
    def certificates_erased(self) -> int:
        units = sum(1 for line in self.lines for c in line.certificates if c.result == "ERASED")
        return units + sum(
            1 for d in self.loose_drives for c in d.certificates if c.result == "ERASED"
        )


def build(session: Session, batch: Batch) -> BatchReport:
    tenant = session.get(Tenant, batch.tenant_id)
    assert tenant is not None
    units = list(session.scalars(select(Unit).where(Unit.batch_id == batch.id).order_by(Unit.id)))
    by_unit: dict[int, list[CertificateLine]] = {u.id: [] for u in units}
    if units:
        rows = session.execute(
            select(
                ReportCertificate.unit_id,
                Certificate.certificate_id,
                Certificate.outcome,
                Certificate.disk_model,
                Certificate.disk_serial,
                Certificate.method,
                Certificate.level,
                Certificate.finished_at,
            )
            .join(Certificate, Certificate.certificate_id == ReportCertificate.certificate_id)
            .where(
                ReportCertificate.unit_id.in_(list(by_unit)),
                Certificate.tenant_id == batch.tenant_id,
            )
            .distinct()
            .order_by(Certificate.certificate_id)
        ).all()
        for unit_id, certificate_id, result, model, serial, method, level, finished in rows:
            by_unit[unit_id].append(
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
    return BatchReport(
        loose_drives=loose_drives(session, batch),
        batch_id=batch.id,
        code=batch.code,
        donor_name=batch.donor_name,
        tenant_name=tenant.name,
        tenant_address=tenant.address,
        created_at=batch.created_at,
        lines=[
            BatchLine(
                unit_id=u.id,
                id_esn=u.id_esn,
                serial=u.serial,
                maker=u.maker,
                model=u.model,
                category=u.category,
                status=u.status,
                outcome=outcome(u.status),
                certificates=by_unit[u.id],
            )
            for u in units
        ],
    )


def _size(envelope: str) -> int | None:
    """``media.size_bytes`` of a stored certificate (its envelope, verified when it came
    in); None when it cannot be read."""
    try:
        payload = json.loads(envelope).get("payload")
        size = payload.get("media", {}).get("size_bytes") if isinstance(payload, dict) else None
    except (ValueError, AttributeError):
        return None
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None


def loose_drives(session: Session, batch: Batch) -> list[LooseDrive]:
    """The batch's loose drives: certificates naming the batch (``loose_batch``), one
    drive per serial (else per model and size), oldest certificate first."""
    rows = session.execute(
        select(
            Certificate.certificate_id,
            Certificate.outcome,
            Certificate.disk_model,
            Certificate.disk_serial,
            Certificate.method,
            Certificate.level,
            Certificate.finished_at,
            Certificate.started_at,
            Certificate.envelope,
        )
        .where(Certificate.tenant_id == batch.tenant_id, Certificate.loose_batch == batch.code)
        .order_by(Certificate.started_at, Certificate.certificate_id)
    ).all()
    drives: dict[tuple[object, ...], LooseDrive] = {}
    for cid, result, model, serial, method, level, finished, _started, envelope in rows:
        size = _size(envelope)
        key: tuple[object, ...] = ("serial", serial) if serial else ("model", model, size)
        drive = drives.setdefault(key, LooseDrive(serial=serial, model=model, size_bytes=size))
        drive.size_bytes = drive.size_bytes or size
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
    return sorted(drives.values(), key=lambda d: (d.serial or "", d.model or ""))


def size_words(size: int | None, lang: str) -> str:
    """``500,1 Go`` / ``500.1 GB`` (decimal units, as printed on drives)."""
    from bench_agent.bench.erasure import human_size

    return "—" if size is None else human_size(size).get(lang)


def _cell(value: str | None) -> str:
    # A leading = + - @ would run as a formula in a spreadsheet (CSV injection).
    text = value or ""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def to_csv(report: BatchReport, base_url: str, lang: str = "fr") -> bytes:
    """Semicolon-separated UTF-8 with BOM (what French spreadsheets open directly)."""
    fr = lang != "en"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "idEsn",
            "numero_serie",
            "marque",
            "modele",
            "categorie",
            "statut",
            "devenir",
            "certificats_effacement",
            "resultats",
            "verification_url",
            "type",
            "taille",
        ]
        if fr
        else [
            "idEsn",
            "serial",
            "maker",
            "model",
            "category",
            "status",
            "outcome",
            "erasure_certificates",
            "results",
            "verification_url",
            "type",
            "size",
        ]
    )
    for line in report.lines:
        label = OUTCOME_LABELS[line.outcome][0 if fr else 1]
        writer.writerow(
            [
                _cell(line.id_esn),
                _cell(line.serial),
                _cell(line.maker),
                _cell(line.model),
                line.category or "",
                line.status,
                label,
                " ".join(c.certificate_id for c in line.certificates),
                " ".join(c.result for c in line.certificates),
                " ".join(verify_url(base_url, c.certificate_id) for c in line.certificates),
                "ordinateur" if fr else "computer",
                "",
            ]
        )
    for drive in report.loose_drives:
        # A loose drive: no idEsn, maker, category or status of its own; its outcome is
        # its erasure's result.
        writer.writerow(
            [
                "",
                _cell(drive.serial),
                "",
                _cell(drive.model),
                "",
                "",
                result_words(drive.result, lang),
                " ".join(c.certificate_id for c in drive.certificates),
                " ".join(c.result for c in drive.certificates),
                " ".join(verify_url(base_url, c.certificate_id) for c in drive.certificates),
                "disque seul" if fr else "loose drive",
                size_words(drive.size_bytes, lang),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def verify_url(base_url: str, certificate_id: str) -> str:
    """The public verification page of a certificate (what its QR code holds)."""
    return f"{base_url.rstrip('/')}/verify/{quote(certificate_id, safe='')}"


def category_words(category: str | None, lang: str) -> str:
    """A category as people read it: "B", "Premium", "NON DISTRIBUABLE" / "NOT
    DISTRIBUTABLE", "À RÉPARER" / "TO REPAIR" (the bench's own names)."""
    from bench_agent.grading.categories import category_name

    if not category:
        return "—"
    return category_name(category).get(lang)


def result_words(result: str, lang: str) -> str:
    """An erasure certificate's result in words ("Effacé et vérifié" / "Erased and
    verified"), as on the unit's test report."""
    from bench_agent.documents.unit_report_pdf import ERASURE_RESULTS
    from bench_agent.i18n import translator

    msgid = ERASURE_RESULTS.get(result)
    return translator(lang)(msgid) if msgid else result


def level_words(level: str | None, lang: str) -> str | None:
    from bench_agent.documents.unit_report_pdf import LEVELS
    from bench_agent.i18n import translator

    msgid = LEVELS.get(level or "")
    return translator(lang)(msgid) if msgid else None


def method_words(method: str | None, lang: str) -> str:
    from bench_agent.documents.unit_report_pdf import method_title

    return method_title(method, lang)


QR_SIDE_MM = 20.0


def _loose_drives_table(
    report: BatchReport, base_url: str, lang: str, width: float
) -> list[object]:
    """The loose drives of the batch: a row per certificate (a drive interrupted then
    resumed has two), the drive's serial, model and size on its first."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Spacer, Table

    from bench_agent.documents.pdf import MM, grid_style, qr_code, styles, text

    fr = lang != "en"

    def t(fr_text: str, en_text: str) -> str:
        return fr_text if fr else en_text

    st = styles()
    rows: list[list[object]] = [
        [
            Paragraph(text(h), st.cell_bold)
            for h in (
                t("N° de série", "Serial"),
                t("Modèle", "Model"),
                t("Taille", "Size"),
                t("Méthode", "Method"),
                t("Résultat", "Result"),
                t("Certificat", "Certificate"),
            )
        ]
    ]
    style = grid_style()
    # A wider quiet zone around each QR code than the grid's padding: a scanner (and
    # zbar) reads each one alone, never confused by the grid line or the next code.
    for command in ("TOPPADDING", "BOTTOMPADDING", "LEFTPADDING", "RIGHTPADDING"):
        style.add(command, (5, 1), (5, -1), 5)
    for drive in report.loose_drives:
        serial = drive.serial or t("sans numéro de série", "no serial number")
        first = len(rows)
        style.add("BACKGROUND", (0, first), (2, first), colors.HexColor("#f3f5f8"))
        for index, c in enumerate(drive.certificates):
            url = verify_url(base_url, c.certificate_id)
            level = level_words(c.level, lang)
            head = index == 0
            rows.append(
                [
                    Paragraph(f"<b>{text(serial)}</b>" if head else "", st.cell),
                    Paragraph(text(drive.model) if head and drive.model else "", st.cell),
                    Paragraph(text(size_words(drive.size_bytes, lang)) if head else "", st.cell),
                    Paragraph(text(method_words(c.method, lang)), st.cell),
                    Paragraph(
                        f"<b>{text(result_words(c.result, lang))}</b>"
                        + (f"<br/>{text(level)}" if level else "")
                        + f"<br/><font size=6.5>{text(url)}</font>",
                        st.cell,
                    ),
                    qr_code(url, QR_SIDE_MM),
                ]
            )
    table = Table(
        rows,
        colWidths=[30 * MM, 36 * MM, 18 * MM, 30 * MM, width - 144 * MM, 30 * MM],
        repeatRows=1,
    )
    table.setStyle(style)
    return [
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
        table,
        Spacer(1, 4 * MM),
    ]


def to_pdf(
    report: BatchReport, base_url: str, lang: str = "fr", generated_at: datetime | None = None
) -> bytes:
    """An A4 report: who refurbished, for whom and when; the summary; then each device
    with its category and outcome in words and, per disk, the serial, method, result and
    the QR code of its verification page."""
    from datetime import UTC

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from bench_agent.documents.pdf import MM, grid_style, qr_code, styles, text
    from bench_agent.labels.render import REGULAR

    fr = lang != "en"

    def t(fr_text: str, en_text: str) -> str:
        return fr_text if fr else en_text

    st = styles()
    width = A4[0] - 24 * MM
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    address = "<br/>".join(text(line) for line in (report.tenant_address or "").splitlines())
    story: list[object] = [
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
        Paragraph(
            address or text(t("adresse non renseignée", "address not given")),
            st.body,
        ),
        Spacer(1, 2 * MM),
        Paragraph(
            text(
                t(
                    f"Lot ouvert le {report.created_at:%Y-%m-%d} ; rapport établi le "
                    f"{generated:%Y-%m-%d à %H:%M} UTC.",
                    f"Batch opened on {report.created_at:%Y-%m-%d}; report made on "
                    f"{generated:%Y-%m-%d at %H:%M} UTC.",
                )
            ),
            st.body,
        ),
        Spacer(1, 4 * MM),
    ]
    heads = [
        t("Reçus", "Received"),
        t("Réemployés", "Reused"),
        t("Recyclés", "Recycled"),
        t("En cours", "In progress"),
        t("Effacements certifiés", "Certified erasures"),
    ]
    counts = [
        report.received,
        report.count("reused"),
        report.count("recycled"),
        report.count("in_progress"),
        report.certificates_erased,
    ]
    if report.loose_drives:
        heads.insert(4, t("Disques seuls effacés", "Loose drives erased"))
        counts.insert(4, report.loose_erased)
    summary = Table(
        [
            [Paragraph(text(h), st.cell_bold) for h in heads],
            [Paragraph(str(n), st.cell) for n in counts],
        ],
        colWidths=[width / len(heads)] * len(heads),
    )
    summary.setStyle(grid_style())
    story += [summary, Spacer(1, 5 * MM)]

    rows: list[list[object]] = [
        [
            Paragraph(text(h), st.cell_bold)
            for h in (
                "idEsn",
                t("N° de série", "Serial"),
                t("Modèle", "Model"),
                t("Catégorie", "Category"),
                t("Devenir", "Outcome"),
            )
        ]
    ]
    commands: list[tuple[object, ...]] = []
    for line in report.lines:
        unit_row = len(rows)
        commands.append(("BACKGROUND", (0, unit_row), (-1, unit_row), colors.HexColor("#f3f5f8")))
        rows.append(
            [
                Paragraph(text(line.id_esn), st.cell_bold),
                Paragraph(text(line.serial), st.cell),
                Paragraph(
                    text(" ".join(x for x in (line.maker, line.model) if x) or None), st.cell
                ),
                Paragraph(f"<b>{text(category_words(line.category, lang))}</b>", st.cell),
                Paragraph(text(OUTCOME_LABELS[line.outcome][0 if fr else 1]), st.cell),
            ]
        )
        if not line.certificates:
            row = len(rows)
            commands.append(("SPAN", (0, row), (-1, row)))
            rows.append(
                [
                    Paragraph(
                        text(
                            t(
                                "Aucun certificat d'effacement reçu pour cet appareil.",
                                "No erasure certificate received for this device.",
                            )
                        ),
                        st.cell,
                    ),
                    "",
                    "",
                    "",
                    "",
                ]
            )
        for c in line.certificates:
            row = len(rows)
            commands.append(("SPAN", (0, row), (1, row)))
            url = verify_url(base_url, c.certificate_id)
            disk = [
                f"{text(t('Disque', 'Disk'))} <b>"
                + (
                    text(f"S/N {c.disk_serial}")
                    if c.disk_serial
                    else text(t("sans numéro de série", "no serial number"))
                )
                + "</b>",
                text(c.disk_model) if c.disk_model else "",
                f"<font size=6.5>{text(url)}</font>",
            ]
            level = level_words(c.level, lang)
            rows.append(
                [
                    Paragraph("<br/>".join(x for x in disk if x), st.cell),
                    "",
                    Paragraph(text(method_words(c.method, lang)), st.cell),
                    Paragraph(
                        f"<b>{text(result_words(c.result, lang))}</b>"
                        + (f"<br/>{text(level)}" if level else ""),
                        st.cell,
                    ),
                    qr_code(url, QR_SIDE_MM),
                ]
            )
    devices = Table(
        rows,
        colWidths=[28 * MM, 34 * MM, 52 * MM, 36 * MM, width - 150 * MM],
        repeatRows=1,
    )
    style = grid_style()
    for command in commands:
        style.add(*command)
    devices.setStyle(style)
    story += [devices, Spacer(1, 4 * MM)]
    if report.loose_drives:
        story += _loose_drives_table(report, base_url, lang, width)
    story.append(
        Paragraph(
            text(
                t(
                    "Chaque certificat est signé par le banc qui a effacé le disque ; son "
                    "authenticité se vérifie en scannant son code QR ou à l'adresse indiquée.",
                    "Each certificate is signed by the bench that erased the disk; check it by "
                    "scanning its QR code or at the address shown.",
                )
            ),
            st.small,
        )
    )
    footer = t("Rapport de lot", "Batch report") + f" {report.code} — page"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.drawString(12 * MM, 8 * MM, f"{footer} {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * MM,
        rightMargin=12 * MM,
        topMargin=14 * MM,
        bottomMargin=14 * MM,
        title=t("Rapport de lot", "Batch report") + f" {report.code}",
        author=report.tenant_name,
        initialFontName=REGULAR,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
