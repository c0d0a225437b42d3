"""Per-donor batch report: devices received, reused, recycled, and their erasure certificates,
as data, CSV and PDF (reportlab)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

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
class BatchLine:
    unit_id: int
    id_esn: str | None
    serial: str | None
    maker: str | None
    model: str | None
    category: str | None
    status: str
    outcome: str
    certificates: list[tuple[str, str]] = field(default_factory=list)
    """(certificate_id, outcome) of each erasure certificate received for the unit: what
    it proves (``Certificate.outcome``), so a dry run or an unverified erasure never
    reads ERASED."""


@dataclass(kw_only=True)
class BatchReport:
    batch_id: int
    code: str
    donor_name: str
    tenant_name: str
    created_at: datetime
    lines: list[BatchLine]

    @property
    def received(self) -> int:
        return len(self.lines)

    def count(self, which: str) -> int:
        return sum(1 for line in self.lines if line.outcome == which)

    @property
    def certificates_erased(self) -> int:
        return sum(1 for line in self.lines for _, r in line.certificates if r == "ERASED")


def build(session: Session, batch: Batch) -> BatchReport:
    tenant = session.get(Tenant, batch.tenant_id)
    assert tenant is not None
    units = list(session.scalars(select(Unit).where(Unit.batch_id == batch.id).order_by(Unit.id)))
    by_unit: dict[int, list[tuple[str, str]]] = {u.id: [] for u in units}
    if units:
        rows = session.execute(
            select(ReportCertificate.unit_id, Certificate.certificate_id, Certificate.outcome)
            .join(Certificate, Certificate.certificate_id == ReportCertificate.certificate_id)
            .where(
                ReportCertificate.unit_id.in_(list(by_unit)),
                Certificate.tenant_id == batch.tenant_id,
            )
            .distinct()
            .order_by(Certificate.certificate_id)
        ).all()
        for unit_id, certificate_id, result in rows:
            by_unit[unit_id].append((certificate_id, result))
    return BatchReport(
        batch_id=batch.id,
        code=batch.code,
        donor_name=batch.donor_name,
        tenant_name=tenant.name,
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
                " ".join(c for c, _ in line.certificates),
                " ".join(r for _, r in line.certificates),
                " ".join(f"{base_url}/verify/{c}" for c, _ in line.certificates),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_pdf(report: BatchReport, base_url: str, lang: str = "fr") -> bytes:
    """An A4 report: summary, then one line per device with its certificates."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    fr = lang != "en"

    def t(fr_text: str, en_text: str) -> str:
        return fr_text if fr else en_text

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=t("Rapport de lot", "Batch report") + f" {report.code}",
        author=report.tenant_name,
    )
    story: list[object] = [
        Paragraph(t("Rapport de lot donateur", "Donor batch report"), styles["Title"]),
        Paragraph(
            f"{t('Lot', 'Batch')} <b>{_xml(report.code)}</b> — {t('Donateur', 'Donor')} "
            f"<b>{_xml(report.donor_name)}</b> — {t('Reconditionneur', 'Reconditioner')} "
            f"<b>{_xml(report.tenant_name)}</b>",
            styles["BodyText"],
        ),
        Spacer(1, 4 * mm),
    ]
    summary = [
        [
            t("Reçus", "Received"),
            t("Réemployés", "Reused"),
            t("Recyclés", "Recycled"),
            t("En cours", "In progress"),
            t("Effacements certifiés", "Certified erasures"),
        ],
        [
            str(report.received),
            str(report.count("reused")),
            str(report.count("recycled")),
            str(report.count("in_progress")),
            str(report.certificates_erased),
        ],
    ]
    table = Table(summary)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("ALIGN", (0, 1), (-1, 1), "CENTER"),
            ]
        )
    )
    story += [table, Spacer(1, 5 * mm)]
    rows: list[list[object]] = [
        [
            t("idEsn", "idEsn"),
            t("N° de série", "Serial"),
            t("Modèle", "Model"),
            t("Cat.", "Cat."),
            t("Devenir", "Outcome"),
            t("Certificats d'effacement", "Erasure certificates"),
        ]
    ]
    for line in report.lines:
        certs = "<br/>".join(
            f"{_xml(c)} — {_xml(r)}<br/><font size=6>{_xml(base_url)}/verify/{_xml(c)}</font>"
            for c, r in line.certificates
        ) or t("aucun reçu", "none received")
        rows.append(
            [
                Paragraph(_xml(line.id_esn or "—"), small),
                Paragraph(_xml(line.serial or "—"), small),
                Paragraph(_xml(" ".join(x for x in (line.maker, line.model) if x) or "—"), small),
                Paragraph(_xml(line.category or "—"), small),
                Paragraph(OUTCOME_LABELS[line.outcome][0 if fr else 1], small),
                Paragraph(certs, small),
            ]
        )
    devices = Table(
        rows, colWidths=[24 * mm, 28 * mm, 38 * mm, 12 * mm, 18 * mm, 66 * mm], repeatRows=1
    )
    devices.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTSIZE", (0, 0), (-1, 0), 8),
            ]
        )
    )
    story.append(devices)
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            t(
                "Chaque certificat est signé par le banc qui a effacé le disque ; son authenticité "
                "se vérifie à l'adresse indiquée.",
                "Each certificate is signed by the bench that erased the disk; check it at the "
                "address shown.",
            ),
            small,
        )
    )
    doc.build(story)
    return buffer.getvalue()


def _xml(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
