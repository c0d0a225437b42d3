"""The per-unit test report as a PDF: what décret 2022-190 asks a reconditioner to keep
for a unit sold or given as refurbished — every function tested with its result, who and
when; the inventory; the disks' health; the erasure of each disk; the category with its
explanation.

One renderer for the bench (``bench-agent report-pdf``, from a signed report file) and
the central service (a unit page's download, erasures taken from the stored verified
certificates). French or English, every code translated through the bench's catalogue.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench_agent.documents.pdf import MISSING, MM, grid_style, readable_time, styles, text, when
from bench_agent.i18n import C_, N_, Gettext, translate, translator
from bench_agent.vocabulary import (  # the shared words (central reads them from here too)
    ERASURE_RESULTS,
    LEVELS,
    NOT_TESTED,
    TEST_RESULTS,
    VERDICTS,
)

if TYPE_CHECKING:
    from bench_agent.model.report import ErasureSummary, UnitReport

NO_CERTIFICATE = N_("Aucun certificat d'effacement")
PENDING_CERTIFICATE = N_("Annoncé par le rapport, certificat pas encore reçu")
BROKEN_CERTIFICATE = N_("Certificat dont la signature ne se vérifie pas")

VERIFICATION_MODES = {
    "none": N_("sans relecture"),
    "last": N_("relecture de la dernière passe"),
    "all": N_("relecture de chaque passe"),
    "sample": N_("relecture par échantillons"),
    "sampled": N_("relecture par échantillons"),
    "firmware": N_("contrôle du micrologiciel"),
}
VERIFICATION_OUTCOMES = {
    "passed": N_("réussie"),
    "failed": N_("échouée"),
    "not run": N_("non faite"),
}


@dataclass(frozen=True, kw_only=True)
class ErasureLine:
    """One erasure shown on the report: a certificate's facts, or a disk with none."""

    disk_model: str | None
    disk_serial: str | None
    device: str | None
    certificate_id: str | None = None
    summary: ErasureSummary | None = None
    """The certificate's key facts; None when there is no usable certificate."""
    state: str | None = None
    """When ``summary`` is None: a msgid saying why (no certificate, not received yet,
    signature broken)."""


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where the report printed comes from, said at the top of the document."""

    signed: bool
    key_id: str | None = None
    source: str | None = None
    """Who holds the document (a bench's file, the central service), for the footer."""


def erasure_lines_from_report(report: UnitReport) -> list[ErasureLine]:
    """The report's own erasure summaries (signed with the report on the bench), then
    each internal disk of the inventory no certificate covers."""
    lines = [
        ErasureLine(
            disk_model=e.disk_model,
            disk_serial=e.disk_serial,
            device=e.device,
            certificate_id=e.certificate_id,
            summary=e,
        )
        for e in report.erasures
    ]
    return lines + uncovered_disks(report, lines)


def uncovered_disks(report: UnitReport, lines: list[ErasureLine]) -> list[ErasureLine]:
    """Internal disks of the inventory that no erasure line names (by serial, else path)."""
    serials = {line.disk_serial for line in lines if line.disk_serial}
    devices = {line.device for line in lines if line.device}
    return [
        ErasureLine(disk_model=d.model, disk_serial=d.serial, device=d.path, state=NO_CERTIFICATE)
        for d in report.inventory.disks
        if not d.boot_medium
        and not (d.serial and d.serial in serials)
        and not (not d.serial and d.path in devices)
    ]


_METHOD_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@functools.cache
def _method_titles(name: str) -> tuple[str, str] | None:
    """(French, English) title of an erasure method by name: firmware methods, then the
    shipped overwrite methods; None for a name neither knows."""
    from wipe.firmware.model import METHODS

    spec = METHODS.get(name)
    if spec is not None:
        return spec.label_fr, spec.label_en
    from wipe.methods import MethodFileError, load_method

    try:
        method = load_method(name)
    except (MethodFileError, LookupError, OSError, ValueError):
        return None
    return method.title_fr, method.title_en


def method_title(method: str | None, lang: str) -> str:
    """A method as people read it ("NVMe Sanitize, crypto erase + Zero fill"); a name
    no catalogue knows stays as written."""
    if not method or method == "unknown":
        return translator(lang)("inconnue")
    titles = []
    for part in method.split(" + "):
        name = part.strip()
        # Only a plain method name is looked up (a path would make load_method read a file).
        found = _method_titles(name) if _METHOD_NAME.fullmatch(name) else None
        titles.append(found[1 if lang == "en" else 0] if found else name)
    return " + ".join(titles)


def verification_text(value: str | None, _: Gettext) -> str:
    """``"sample: passed"`` (the summary's form) in words."""
    if not value:
        return MISSING
    mode, _sep, outcome = value.partition(":")
    mode_words = VERIFICATION_MODES.get(mode.strip())
    outcome_words = VERIFICATION_OUTCOMES.get(outcome.strip())
    if mode_words is None or outcome_words is None:
        return value
    return _("{mode} : {outcome}", mode=_(mode_words), outcome=_(outcome_words))


def render_unit_report(
    report: UnitReport,
    lang: str = "fr",
    *,
    provenance: Provenance,
    erasures: list[ErasureLine] | None = None,
    generated_at: str | None = None,
) -> bytes:
    """The unit's test report as PDF bytes (A4). ``erasures`` defaults to the report's
    own summaries; the central service passes the certificates it verified."""
    from datetime import UTC, datetime

    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from bench_agent import __version__
    from bench_agent.labels.render import REGULAR

    _ = translator(lang)
    st = styles()
    generated = readable_time(generated_at or datetime.now(UTC).isoformat(timespec="seconds"))
    lines = erasures if erasures is not None else erasure_lines_from_report(report)
    width = A4[0] - 24 * MM

    def p(markup: str, style: Any = None) -> Any:
        return Paragraph(markup, style or st.cell)

    def facts(rows: list[tuple[str, str]]) -> Any:
        table = Table(
            [[p(escape_label(k), st.cell_bold), p(v)] for k, v in rows],
            colWidths=[45 * MM, width - 45 * MM],
        )
        table.setStyle(grid_style(header=False))
        return table

    def escape_label(label: str) -> str:
        return text(label)

    unit = report.unit
    ident = report.inventory.identity
    title_model = " ".join(
        x for x in (unit.maker or ident.maker, unit.model or ident.model or ident.product_name) if x
    )
    story: list[Any] = [
        Paragraph(text(_("Rapport de tests de l'unité reconditionnée")), st.title),
        Paragraph(text(title_model) if title_model else MISSING, st.heading),
    ]
    signature = (
        _(
            "Rapport signé par la clé du banc {key_id} ; signature vérifiée.",
            key_id=provenance.key_id,
        )
        if provenance.signed
        else _("Rapport non signé : ce document n'a pas valeur de preuve.")
    )
    story.append(
        facts(
            [
                (_("N° d'inventaire (idEsn)"), text(unit.asset_tag)),
                (_("Numéro de série"), text(unit.serial or ident.serial)),
                (_("Rapport"), text(f"{report.report_id} · r{report.revision}")),
                (_("Établi le"), when(report.created_at)),
                (_("Banc"), text(report.bench.bench_id)),
                (_("Site"), text(report.bench.site)),
                (_("Technicien"), text(report.bench.technician)),
                (_("Signature"), text(signature)),
            ]
        )
    )

    # -- functional tests -------------------------------------------------------------
    story.append(Paragraph(text(_("Tests fonctionnels")), st.heading))
    story.append(_functional_table(report, lang, st, width))

    # -- inventory ----------------------------------------------------------------------
    from bench_agent.summary import render_health, render_inventory

    story.append(Paragraph(text(_("Inventaire")), st.heading))
    for line in render_inventory(report.inventory, _, lang, with_duration=False):
        if line.startswith(" "):  # a detail of the line above
            story.append(Paragraph("&nbsp;" * 4 + text(line.strip()), st.small))
        else:
            story.append(Paragraph(text(line), st.body))

    # -- disk health --------------------------------------------------------------------
    story.append(Paragraph(text(_("Santé des disques")), st.heading))
    if not report.health:
        story.append(Paragraph(text(_("Pas de contrôle de santé enregistré.")), st.body))
    rows: list[list[Any]] = (
        [[p(text(_(h)), st.cell_bold) for h in (N_("Disque"), N_("Verdict"), N_("Détail"))]]
        if report.health
        else []
    )
    for h in report.health:
        verdict = _(VERDICTS[h.verdict]) if h.verdict in VERDICTS else h.verdict
        disk = " ".join(x for x in (h.model, h.serial and f"S/N {h.serial}") if x)
        detail = render_health(h, _, lang)[2:]
        reason = h.reason.get(lang) if h.reason else None
        rows.append(
            [
                p(text(h.device) + "<br/>" + text(disk or None)),
                p(f"<b>{text(verdict)}</b>"),
                p(
                    "<br/>".join(
                        text(x) for x in ([reason] if reason else []) + [d.strip() for d in detail]
                    )
                    or MISSING
                ),
            ]
        )
    if rows:
        table = Table(rows, colWidths=[55 * MM, 28 * MM, width - 83 * MM], repeatRows=1)
        table.setStyle(grid_style())
        story.append(table)

    # -- erasure --------------------------------------------------------------------------
    story.append(Paragraph(text(_("Effacement des données, disque par disque")), st.heading))
    story.append(_erasure_table(lines, lang, st, width))

    # -- category -------------------------------------------------------------------------
    story.append(Paragraph(text(_("Catégorie et explication")), st.heading))
    story.extend(_grade_story(report, lang, st, width))

    if report.comments:
        story.append(Paragraph(text(_("Remarques")), st.heading))
        story.extend(Paragraph(text(c.get(lang)), st.body) for c in report.comments)

    story.append(Spacer(1, 4 * MM))
    story.append(
        Paragraph(
            text(
                _(
                    "Document établi par bench-agent {version} le {date}, à partir du rapport "
                    "d'unité {report_id} (révision {revision}).",
                    version=__version__,
                    date=generated,
                    report_id=report.report_id,
                    revision=report.revision,
                )
            )
            + (f" {text(provenance.source)}" if provenance.source else ""),
            st.small,
        )
    )

    footer = _("Rapport de tests {report_id} — page", report_id=report.report_id)

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
        topMargin=12 * MM,
        bottomMargin=14 * MM,
        title=_("Rapport de tests de l'unité reconditionnée"),
        author="bench-agent",
        invariant=1,
        initialFontName=REGULAR,  # no unembedded Helvetica in the page resources
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _functional_table(report: UnitReport, lang: str, st: Any, width: float) -> Any:
    """Every test of the catalogue (the law wants all functions tested): its result,
    who and when; "not tested" for one the report lacks; any other test recorded after."""
    from reportlab.platypus import Paragraph, Table

    from bench_agent.functional.catalogue import CATALOGUE

    _ = translator(lang)
    recorded = {t.name: t for t in report.functional_tests}
    rows: list[list[Any]] = [
        [
            Paragraph(text(_(h)), st.cell_bold)
            for h in (
                C_("rapport", "Fonction"),
                C_("rapport", "Résultat"),
                C_("rapport", "Par"),
                C_("rapport", "Quand"),
                C_("rapport", "Commentaire"),
            )
        ]
    ]
    names = [spec.name for spec in CATALOGUE]
    titles = {spec.name: spec.title.get(lang) for spec in CATALOGUE}
    names += [t.name for t in report.functional_tests if t.name not in titles]
    for name in names:
        test = recorded.get(name)
        if test is None:
            result, by, at, comment = _(NOT_TESTED), None, None, None
        else:
            result = _(TEST_RESULTS[test.result]) if test.result in TEST_RESULTS else test.result
            by, at = test.by, test.at
            # A comment is free text, often one of the bench's French sentences: the
            # catalogue gives its English when it knows it.
            comment = translate(test.comment, lang) if test.comment else None
        rows.append(
            [
                Paragraph(text(titles.get(name, name)), st.cell),
                Paragraph(f"<b>{text(result)}</b>", st.cell),
                Paragraph(text(by), st.cell),
                Paragraph(when(at), st.cell),
                Paragraph(text(comment), st.cell),
            ]
        )
    table = Table(
        rows,
        colWidths=[42 * MM, 22 * MM, 32 * MM, 30 * MM, width - 126 * MM],
        repeatRows=1,
    )
    table.setStyle(grid_style())
    return table


def _erasure_table(lines: list[ErasureLine], lang: str, st: Any, width: float) -> Any:
    from reportlab.platypus import Paragraph, Table

    _ = translator(lang)

    def cell(markup: str) -> Any:
        return Paragraph(markup, st.cell)

    def certificate(certificate_id: str | None) -> str:
        if not certificate_id:
            return ""
        return "<br/>" + text(_("Certificat n° {id}", id=certificate_id))

    rows: list[list[Any]] = [
        [
            Paragraph(text(_(h)), st.cell_bold)
            for h in (
                N_("Disque"),
                N_("Méthode"),
                C_("rapport", "Résultat"),
                C_("rapport", "Fin"),
            )
        ]
    ]
    for line in lines:
        disk = "<br/>".join(
            x
            for x in (
                text(line.disk_model) if line.disk_model else None,
                text(f"S/N {line.disk_serial}")
                if line.disk_serial
                else text(_("sans numéro de série")),
                text(line.device) if line.device else None,
            )
            if x
        )
        s = line.summary
        if s is None:
            result = f"<b>{text(_(line.state or NO_CERTIFICATE))}</b>"
            result += certificate(line.certificate_id)
            rows.append([cell(disk), cell(MISSING), cell(result), cell(MISSING)])
            continue
        level = _(LEVELS[s.level]) if s.level in LEVELS else _("aucun niveau revendiqué")
        result_words = _(ERASURE_RESULTS[s.result]) if s.result in ERASURE_RESULTS else s.result
        result = f"<b>{text(result_words)}</b><br/>{text(level)}"
        verification = verification_text(s.verification, _)
        if verification != MISSING:
            result += "<br/>" + text(_("Vérification : {text}", text=verification))
        if s.reason is not None and s.reason.get(lang):
            result += "<br/>" + text(s.reason.get(lang))
        result += certificate(s.certificate_id)
        rows.append(
            [
                cell(disk),
                cell(text(method_title(s.method, lang))),
                cell(result),
                cell(when(s.finished_at)),
            ]
        )
    table = Table(
        rows,
        colWidths=[48 * MM, 42 * MM, width - 116 * MM, 26 * MM],
        repeatRows=1,
    )
    table.setStyle(grid_style())
    return table


def _grade_story(report: UnitReport, lang: str, st: Any, width: float) -> list[Any]:
    from reportlab.platypus import Paragraph, Table

    from bench_agent.grading.categories import category_name

    _ = translator(lang)
    grade = report.grade
    if grade is None:
        return [Paragraph(text(_("Unité pas encore catégorisée.")), st.body)]
    story: list[Any] = [
        Paragraph(
            text(_("Catégorie :")) + f" <b>{text(category_name(grade.category).get(lang))}</b>",
            st.body,
        ),
        Paragraph(
            text(
                _(
                    "Note {note}, profil {profile} {version}",
                    note=grade.note,
                    profile=grade.profile,
                    version=grade.profile_version,
                )
            ),
            st.body,
        ),
    ]
    cosmetic = grade.cosmetic or report.cosmetic_grade
    if cosmetic:
        story.append(Paragraph(text(_("Esthétique : {cosmetic}", cosmetic=cosmetic)), st.body))
    if grade.override is not None:
        o = grade.override
        story.append(
            Paragraph(
                text(
                    _(
                        "Dérogation : {category} au lieu de {computed}, par {by} le {at} : "
                        "{reason}",
                        category=category_name(o.category).get(lang),
                        computed=category_name(grade.computed_category).get(lang),
                        by=o.by,
                        at=o.at,
                        reason=o.reason,
                    )
                ),
                st.body,
            )
        )
    if grade.rules:
        rows = [
            [Paragraph(text(_(h)), st.cell_bold) for h in (N_("Points"), N_("Règle appliquée"))]
        ] + [
            [
                Paragraph(f"{hit.contribution:+d}", st.cell),
                Paragraph(text(hit.message.get(lang)), st.cell),
            ]
            for hit in grade.rules
        ]
        rows.append([Paragraph(f"<b>= {grade.note}</b>", st.cell), Paragraph("", st.cell)])
        table = Table(rows, colWidths=[18 * MM, width - 18 * MM], repeatRows=1)
        table.setStyle(grid_style())
        story.append(table)
    if grade.actions:
        story.append(Paragraph(text(_("Actions nécessaires :")), st.body))
        story.extend(
            Paragraph("&nbsp;" * 4 + "– " + text(a.get(lang)), st.body) for a in grade.actions
        )
    suited = [m.name.get(lang) for m in grade.needs if m.suitable]
    story.append(
        Paragraph(
            text(_("Convient pour : ") + (", ".join(suited) if suited else _("aucun besoin"))),
            st.body,
        )
    )
    return story
