"""The erasure certificate as a PDF a third party can check on its own.

From the signed JSON certificate (verified first), in French or English:

- every field of a sanitization record (NIST SP 800-88 sample certificate, IEEE 2883):
  the media, the computer it came from, its owner and contact, method and level,
  tool, verification, HPA/DCO, bytes written, passes and throughput, who performed it
  and when, who validated it (the countersignature, :mod:`.countersignature`) and the
  post-sanitization destination;
- the signing key's full SHA-256 fingerprint, the public verification URL and its QR
  code (``<central base URL>/verify/<certificate id>``);
- the signed JSON file itself, attached inside the PDF (PDF/A-3 style: ``/AF`` and
  ``/EmbeddedFiles``, MIME application/json), byte for byte, so the PDF alone is the
  evidence (``pdfdetach -save 1`` gives the file that ``bench-agent verify`` checks).

Text from the certificate is escaped before reportlab's Paragraph sees it (an operator
called ``<b>`` or "Tech R&D" prints exactly that) and set in DejaVu Sans, embedded, so
any Latin name prints. Codes (results, methods, levels, media types...) are translated;
numbers follow the language (French: decimal comma, non-breaking space thousands).

The document's language: ``--lang``, then the locale variables (``BENCH_AGENT_LANG``,
``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: the first one set decides). French
when it says French; English for any other language, and for ``C``/``POSIX`` (a locale
that states no language: the certificate goes to a third party, English is the common
ground); French when no variable is set at all (the bench's own default).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from bench_agent.bench.countersignature import (
    CountersignatureCheck,
    countersignature_for,
    key_fingerprint,
)
from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.bench.paths import BenchPaths
from bench_agent.i18n import C_, N_, _t, translator
from bench_agent.model.common import Text

NBSP = "\u00a0"
LOCALE_VARIABLES = ("BENCH_AGENT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
ATTACHMENT_MIME = "application/json"
WIDTH_MM = 176
"""Text width on A4 with 17 mm margins."""
LABEL_MM = 55

RESULT_WORDS = {
    "ERASED": C_("certificat", "EFFACÉ"),
    "FAILED": C_("certificat", "ÉCHEC"),
    "ABORTED": C_("certificat", "INTERROMPU (opérateur)"),
    "UNVERIFIED": C_("certificat", "ÉCRIT, NON VÉRIFIÉ"),
    "DRY_RUN": C_("certificat", "SIMULATION (rien n'a été écrit)"),
    "INTERRUPTED": C_("certificat", "INTERROMPU (arrêt, coupure)"),
}
LEVEL_WORDS = {
    "clear": C_("certificat", "Clear (effacement logique)"),
    "purge": C_("certificat", "Purge (commande de la mémoire)"),
    "destroy": C_("certificat", "Destroy (destruction physique)"),
}
MEDIA_TYPE_WORDS = {
    "magnetic": N_("magnétique (disque dur)"),
    "flash": N_("mémoire flash (SSD, NVMe)"),
    "hybrid": N_("hybride"),
    "unknown": C_("certificat", "inconnu"),
}
PATTERN_WORDS = {
    "zero": N_("zéros"),
    "one": N_("uns (0xFF)"),
    "random": N_("aléatoire"),
}
VERIFICATION_WORDS = {
    "none": N_("aucune"),
    "last": N_("relecture de la dernière passe"),
    "all": N_("relecture de chaque passe"),
}
HPA_WORDS = {
    "none": N_("aucune zone cachée"),
    "hidden": N_("zone cachée présente"),
    "unknown": C_("certificat", "inconnu"),
}
FIRMWARE_WORDS = {
    "nvme-sanitize-crypto": N_("NVMe Sanitize, effacement cryptographique"),
    "nvme-sanitize-block": N_("NVMe Sanitize, effacement de blocs"),
    "nvme-sanitize-overwrite": N_("NVMe Sanitize, réécriture par le disque"),
    "nvme-format-crypto": N_("NVMe Format, effacement cryptographique"),
    "nvme-format-user": N_("NVMe Format, effacement des données utilisateur"),
    "ata-sanitize-crypto": N_("ATA Sanitize, effacement cryptographique"),
    "ata-sanitize-block": N_("ATA Sanitize, effacement de blocs"),
    "ata-sanitize-overwrite": N_("ATA Sanitize, réécriture par le disque"),
    "ata-secure-erase-enhanced": N_("ATA Security Erase renforcé"),
    "ata-secure-erase": N_("ATA Security Erase"),
}
DESTINATION_WORDS = {
    "reuse": N_("réemploi"),
    "recycle": N_("recyclage"),
    "destroy": N_("destruction"),
}
DECISION_WORDS = {
    "approved": N_("approuvé"),
    "rejected": N_("REFUSÉ"),
}


def document_lang(environ: Mapping[str, str], explicit: str | None = None) -> str:
    """The certificate's language (see the module's docstring for the order)."""
    if explicit:
        return "en" if explicit.lower().startswith("en") else "fr"
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if not value:
            continue
        code = value.split(":")[0].split("_")[0].split(".")[0].lower()
        return "fr" if code == "fr" else "en"
    return "fr"


# -- numbers, sizes, dates in the document's language ---------------------------------


def number(value: float, lang: str, decimals: int = 0) -> str:
    """``1 234,5`` in French (non-breaking space, decimal comma), ``1,234.5`` in English."""
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", NBSP).replace(".", ",")


def decimal(value: float, lang: str, most: int = 3) -> str:
    """As few decimals as the value needs, ``most`` at most (``100``, ``0,5``, ``12,345``)."""
    text = number(value, lang, most)
    point = "." if lang == "en" else ","
    if point in text:
        text = text.rstrip("0").rstrip(point)
    return text


def size_text(size: int, lang: str) -> str:
    """``4,2 Mo (4 194 304 octets)`` / ``4.2 MB (4,194,304 bytes)``: decimal units."""
    units = ("o", "ko", "Mo", "Go", "To") if lang != "en" else ("B", "kB", "MB", "GB", "TB")
    value = float(size)
    unit = units[0]
    for unit in units:
        if value < 1000 or unit == units[-1]:
            break
        value /= 1000
    short = number(value, lang, 0 if unit == units[0] else 1)
    word = "octets" if lang != "en" else "bytes"
    return f"{short}{NBSP}{unit} ({number(size, lang)}{NBSP}{word})"


def when(value: Any, lang: str) -> str | None:
    """An ISO 8601 time as ``03/12/2026 11:57:27 UTC`` (French) or ``2026-12-03 11:57:27
    UTC``; an unreadable one as it is."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = "UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    if moment.utcoffset() and not zone:
        zone = moment.strftime("%z")
    stamp = moment.strftime("%d/%m/%Y %H:%M:%S" if lang != "en" else "%Y-%m-%d %H:%M:%S")
    return f"{stamp} {zone}".strip()


def duration(seconds: float, lang: str) -> str:
    if seconds < 60:
        return f"{decimal(seconds, lang, 3 if seconds < 10 else 1)}{NBSP}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{NBSP}h {minutes:02d}{NBSP}min {secs:02d}{NBSP}s"
    return f"{minutes}{NBSP}min {secs:02d}{NBSP}s"


def verify_url(base: str, certificate_id: str) -> str:
    """The central service's public verification page of one certificate."""
    return f"{base.rstrip('/')}/verify/{quote(certificate_id, safe='')}"


# -- the payload, read defensively (a valid signature says who signed, not that the
#    shapes are the ones this version writes: an INTERRUPTED certificate has fewer) --


def _obj(value: Any, key: str) -> dict[str, Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return None
    return str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


Row = tuple[str, str | None]
"""(label, value): None prints as a dash."""


@dataclass
class Section:
    title: str
    rows: list[Row]


@dataclass
class CertificateDocument:
    """What the PDF shows, in one language: sections of (label, value) rows."""

    lang: str
    certificate_id: str
    result_line: str
    sections: list[Section]
    verify_url: str | None
    fingerprint: str | None
    attachment_name: str


def _coded(table: Mapping[str, str], code: Any, lang: str) -> str | None:
    _ = translator(lang)
    text = _text(code)
    if text is None:
        return None
    return _(table[text]) if text in table else text


def _pattern(code: Any, lang: str) -> str:
    text = _text(code) or "?"
    return _coded(PATTERN_WORDS, text, lang) or text


def _verification_mode(mode: Any, lang: str) -> str | None:
    _ = translator(lang)
    text = _text(mode)
    if text is None:
        return None
    if text.startswith("sampled:"):
        try:
            percent = float(text.split(":", 1)[1])
        except ValueError:
            return text
        return _("échantillonnage de {percent} % du disque", percent=decimal(percent, lang))
    return _coded(VERIFICATION_WORDS, text, lang)


def _passes(method: dict[str, Any], lang: str) -> str | None:
    """The write passes, numbered, each with its pattern and throughput."""
    _ = translator(lang)
    passes = [p for p in method.get("passes") or [] if isinstance(p, dict)]
    if not isinstance(method.get("passes"), list) or not passes:
        return None
    parts = []
    unit = _("Mo/s")
    for i, p in enumerate(passes, 1):
        rate = _num(p.get("throughput_mb_s"))
        speed = f"{decimal(rate, lang, 1)}{NBSP}{unit}" if rate is not None else "—"
        parts.append(f"{i}. {_pattern(p.get('pattern'), lang)} ({speed})")
    return "; ".join(parts)


def _firmware(firmware: dict[str, Any], lang: str) -> str | None:
    _ = translator(lang)
    if not firmware:
        return None
    name = firmware.get("method") or firmware.get("requested")
    words = _coded(FIRMWARE_WORDS, name, lang) or "—"
    proof = _("prouvée") if firmware.get("completed") is True else _("non prouvée")
    return f"{words} — {proof}"


def _hpa(hpa: dict[str, Any], lang: str) -> str:
    _ = translator(lang)
    if not hpa:
        return _("non contrôlé")
    status = _coded(HPA_WORDS, hpa.get("status"), lang) or _(C_("certificat", "inconnu"))
    hidden = _int(hpa.get("hidden_bytes"))
    reason = _text(hpa.get("reason_en" if lang == "en" else "reason_fr"))
    text = status
    if hidden:
        text += " — " + _("{size} cachés", size=size_text(hidden, lang))
    if reason:
        text += f" ({reason})"
    return text


def _level(sanitization: dict[str, Any], lang: str) -> str:
    _ = translator(lang)
    level = _coded(LEVEL_WORDS, sanitization.get("level"), lang)
    if level is None:
        return _("aucun niveau revendiqué")
    standard = _text(sanitization.get("standard"))
    return f"{level} — {standard}" if standard else level


def _validation(check: CountersignatureCheck | None, lang: str) -> list[Row]:
    _ = translator(lang)
    if check is None:
        return [(_("Validation"), _("non contresigné"))]
    if not check.ok or check.document is None:
        problems = "; ".join(p.get(lang) for p in check.problems)
        return [
            (_("Validation"), _("non contresigné")),
            (
                _("Contre-signature"),
                _("présente mais NON VALABLE, ignorée : {problems}", problems=problems),
            ),
        ]
    doc = check.document
    rows: list[Row] = [
        (_("Décision"), _coded(DECISION_WORDS, doc.decision, lang)),
        (_("Validé par"), doc.validator.name),
        (_("Fonction"), doc.validator.role),
        (_("Date"), when(doc.at, lang)),
    ]
    if doc.comment:
        rows.append((_("Commentaire"), doc.comment))
    rows.append((_("Empreinte de la clé du validateur"), check.key_fingerprint))
    return rows


def build_document(
    envelope: dict[str, Any],
    lang: str,
    *,
    attachment_name: str,
    verify_base: str | None = None,
    countersignature: CountersignatureCheck | None = None,
) -> CertificateDocument:
    """Every row of the certificate in ``lang`` (pure: no file, no reportlab)."""
    _ = translator(lang)
    payload = envelope.get("payload") if isinstance(envelope.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    media = _obj(payload, "media")
    source = _obj(payload, "source_computer")
    method = _obj(payload, "method")
    overwrite = _obj(method, "overwrite")
    verification = _obj(payload, "verification")
    operator = _obj(payload, "operator")
    tool = _obj(payload, "tool")
    result = _text(payload.get("result")) or "?"
    certificate_id = _text(payload.get("certificate_id")) or "?"
    size = _int(media.get("size_bytes"))
    written = _int(payload.get("bytes_written"))
    checked = _int(verification.get("bytes_checked"))
    coverage = _num(verification.get("coverage_percent"))
    passes = _passes(method, lang)
    method_name = _text(overwrite.get("title_en" if lang == "en" else "title_fr")) or _text(
        method.get("overwrite")
    )
    if method_name is None and not _obj(method, "firmware"):
        method_name = _("aucune réécriture")
    seconds = _num(payload.get("duration_s"))
    errors = _obj(payload, "errors")
    reasons = _obj(payload, "reasons").get("en" if lang == "en" else "fr")
    reason_text = (
        "; ".join(str(r) for r in reasons if isinstance(r, str))
        if isinstance(reasons, list)
        else None
    )
    if verification:
        passed = verification.get("passed") is True
        outcome = _("réussie") if passed else _("non réussie")
        parts = [_verification_mode(verification.get("mode"), lang) or "—"]
        if coverage is not None:
            parts.append(_("{percent} % couverts", percent=decimal(coverage, lang)))
        if checked is not None:
            parts.append(_("{size} relus", size=size_text(checked, lang)))
        verification_text: str | None = f"{', '.join(parts)} — {outcome}"
    else:
        verification_text = None
    destination = _text(payload.get("destination"))
    url = verify_url(verify_base, certificate_id) if verify_base and certificate_id != "?" else None
    fingerprint = key_fingerprint(envelope.get("signature"))
    signature = envelope.get("signature") if isinstance(envelope.get("signature"), dict) else {}
    assert isinstance(signature, dict)
    sections = [
        Section(
            _("Support effacé"),
            [
                (_("Fabricant"), _text(media.get("manufacturer")) or _text(media.get("vendor"))),
                (_("Modèle"), _text(media.get("model"))),
                (_("Numéro de série"), _text(media.get("serial"))),
                (_("Type de support"), _coded(MEDIA_TYPE_WORDS, media.get("media_type"), lang)),
                (_("Capacité"), size_text(size, lang) if size is not None else None),
                (_("Interface"), _text(media.get("transport"))),
            ],
        ),
        Section(
            _("Ordinateur d'origine et propriétaire"),
            [
                (_(C_("ordinateur", "Fabricant")), _text(source.get("maker"))),
                (_("Modèle"), _text(source.get("model"))),
                (_(C_("ordinateur", "Numéro de série")), _text(source.get("serial"))),
                (_("N° d'inventaire"), _text(media.get("asset_tag"))),
                (_("Propriétaire (donateur)"), _text(operator.get("donor"))),
                (_("Contact"), _text(operator.get("contact"))),
            ],
        ),
        Section(
            _(C_("certificat", "Effacement")),
            [
                (_("Résultat"), _coded(RESULT_WORDS, result, lang)),
                (_("Niveau atteint"), _level(_obj(payload, "sanitization"), lang)),
                (_("Méthode"), method_name),
                (_("Passes (débit)"), passes),
                (_("Générateur"), _text(method.get("prng"))),
                (_("Méthode micrologicielle"), _firmware(_obj(method, "firmware"), lang)),
                (_("Octets écrits"), size_text(written, lang) if written is not None else None),
                (_("Vérification"), verification_text),
                (_("Zones cachées (HPA/DCO)"), _hpa(_obj(payload, "hpa_dco"), lang)),
                (_("Erreurs"), _text(errors.get("count"))),
                (_("Motifs"), reason_text or None),
                (_("Début"), when(payload.get("started_at"), lang)),
                (_("Fin"), when(payload.get("ended_at"), lang)),
                (_("Durée"), duration(seconds, lang) if seconds is not None else None),
                (
                    _("Outil"),
                    " ".join(t for t in (_text(tool.get("name")), _text(tool.get("version"))) if t)
                    or None,
                ),
            ],
        ),
        Section(
            _("Réalisé par"),
            [
                (_("Nom"), _text(operator.get("name"))),
                (_("Fonction"), _text(operator.get("role"))),
                (_("Structure"), _text(operator.get("organisation"))),
                (_("Lieu"), _text(operator.get("location"))),
            ],
        ),
        Section(_("Validation (contre-signature)"), _validation(countersignature, lang)),
        Section(
            _("Destination après effacement"),
            [
                (
                    _("Destination"),
                    _coded(DESTINATION_WORDS, destination, lang) or _("non indiquée"),
                )
            ],
        ),
        Section(
            _("Preuve"),
            [
                (_("Signature"), _("Ed25519, clé {key_id}", key_id=signature.get("key_id"))),
                (_("Empreinte SHA-256 de la clé"), fingerprint),
                (
                    _("Vérification publique"),
                    url or _("vérification : bench-agent verify {name}", name=attachment_name),
                ),
                (
                    _("Certificat signé"),
                    _(
                        "joint à ce PDF ({name}) : pdfdetach -save 1 puis bench-agent verify",
                        name=attachment_name,
                    ),
                ),
            ],
        ),
    ]
    return CertificateDocument(
        lang=lang,
        certificate_id=certificate_id,
        result_line=_coded(RESULT_WORDS, result, lang) or result,
        sections=sections,
        verify_url=url,
        fingerprint=fingerprint,
        attachment_name=attachment_name,
    )


# -- the PDF -------------------------------------------------------------------------


def _para(text: str | None, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text if text is not None else "—"), style)


def render_pdf(document: CertificateDocument) -> bytes:
    """The document drawn with reportlab (DejaVu Sans, embedded); no attachment yet."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from bench_agent.labels.render import BOLD, REGULAR, register_fonts

    _ = translator(document.lang)
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=8, leading=9.6)
    label = ParagraphStyle("label", parent=body, fontName=BOLD)
    heading = ParagraphStyle(
        "heading", fontName=BOLD, fontSize=10, leading=12, spaceBefore=4, spaceAfter=1.5
    )
    title = ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20, spaceAfter=2)
    result = ParagraphStyle("result", fontName=BOLD, fontSize=12, leading=15, spaceAfter=2)
    header: list[Any] = [
        _para(_("Certificat d'effacement de données"), title),
        _para(_("N° {certificate_id}", certificate_id=document.certificate_id), body),
        _para(_("Résultat : {result}", result=document.result_line), result),
    ]
    side = 30 * mm
    if document.verify_url:
        header.append(
            _para(
                _("Vérifier ce certificat en ligne (QR code) : {url}", url=document.verify_url),
                body,
            )
        )
        widget = QrCodeWidget(document.verify_url, barLevel="M", barBorder=4)
        x0, y0, x1, y1 = widget.getBounds()
        qr: Any = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
        qr.add(widget)
        # The renderer opens the drawing with Helvetica (never embedded) unless told.
        qr.initialFontName = REGULAR
    else:
        qr = ""
    story: list[Any] = [
        Table(
            [[header, qr]],
            colWidths=[WIDTH_MM * mm - side - 2 * mm, side + 2 * mm],
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                ]
            ),
        )
    ]
    grid = TableStyle(
        [
            # Cells are Paragraphs; the table still sets its default font (Helvetica,
            # never embedded) unless told otherwise.
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
    )
    for section in document.sections:
        story.append(_para(section.title, heading))
        table = Table(
            [[_para(k, label), _para(v, body)] for k, v in section.rows],
            colWidths=[LABEL_MM * mm, (WIDTH_MM - LABEL_MM) * mm],
        )
        table.setStyle(grid)
        story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=17 * mm,
        rightMargin=17 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=_("Certificat d'effacement de données") + f" {document.certificate_id}",
        author="bench-agent",
        invariant=1,
        # Otherwise every page opens with Helvetica, a font that is never embedded.
        initialFontName=REGULAR,
        initialFontSize=8,
    ).build(story)
    return buffer.getvalue()


def attach_signed_file(pdf: bytes, name: str, data: bytes) -> bytes:
    """The PDF with ``data`` attached as ``name`` (MIME application/json): in the
    ``/EmbeddedFiles`` name tree and the catalogue's ``/AF`` (PDF/A-3 associated file,
    relationship ``/Source``: the document was made from it)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    attached = writer.add_attachment(name, data)
    attached.subtype = NameObject("/" + ATTACHMENT_MIME.replace("/", "#2F"))
    attached.associated_file_relationship = NameObject("/Source")
    attached.alternative_name = TextStringObject(name)
    attached.description = TextStringObject("signed erasure certificate (bench-agent)")
    attached.size = NumberObject(len(data))
    # /CheckSum is the MD5 of the file in the PDF specification (an integrity check of
    # the attachment, not a security measure: the signature inside is the proof).
    attached.checksum = ByteStringObject(hashlib.md5(data, usedforsecurity=False).digest())
    reference = attached.pdf_object.indirect_reference
    writer.root_object[NameObject("/AF")] = ArrayObject([reference])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- the service -----------------------------------------------------------------------


@dataclass
class CertificatePdf:
    """A certificate rendered: where, in which language, and what the technician should
    know (no verification URL, a countersignature that does not hold)."""

    path: Path
    lang: str
    verify_url: str | None
    countersignature: CountersignatureCheck | None
    warnings: list[Text] = field(default_factory=list)


class CertificateInvalidError(BenchError):
    """The certificate does not verify: no PDF is made from it."""

    def __init__(self, problems: Text) -> None:
        super().__init__(problems, exit_code=1)
        self.problems = problems


def verify_base_url(
    paths: BenchPaths, environ: Mapping[str, str], given: str | None = None
) -> tuple[str | None, Text | None]:
    """``--verify-url-base``, then the bench's sync configuration (the central service's
    address); (None, warning) when that configuration cannot be read."""
    from bench_agent.bench.labels import qr_url_base

    base, problem = qr_url_base(paths, environ, given)
    if problem is not None:
        return None, _t(
            "Attention : configuration d'envoi illisible ; le PDF renvoie à bench-agent verify."
        )
    if base is not None and not base.startswith(("http://", "https://")):
        raise BenchError(
            _t("Adresse de vérification invalide (http:// ou https:// attendu) : {url}", url=base),
            exit_code=2,
        )
    return base, None


def certificate_pdf(
    certificate: Path,
    output: Path,
    *,
    lang: str,
    paths: BenchPaths,
    environ: Mapping[str, str],
    verify_url_base: str | None = None,
    countersignature: Path | None = None,
) -> CertificatePdf:
    """Verify ``certificate``, render it as a PDF with the signed file attached, write
    ``output``. CertificateInvalidError when the certificate does not verify."""
    from wipe.certificate import verify_certificate
    from wipe.signing import parse_json

    check = verify_certificate(certificate)
    if not check.ok or check.payload is None:
        raise CertificateInvalidError(
            Text(fr="\n".join(check.problems_fr), en="\n".join(check.problems_en))
        )
    raw = certificate.read_bytes()
    envelope = parse_json(raw)
    base, warning = verify_base_url(paths, environ, verify_url_base)
    warnings = [warning] if warning else []
    if base is None and warning is None:
        warnings.append(
            _t(
                "Pas d'adresse du service central (--verify-url-base ou sync configure) : "
                "le PDF n'a pas de QR code et renvoie à bench-agent verify."
            )
        )
    counter = countersignature_for(certificate, check.payload, countersignature)
    if counter is not None and not counter.ok:
        warnings.append(
            _t(
                "Contre-signature NON VALABLE, non imprimée comme validation : {problems}",
                problems=Text(
                    fr="; ".join(p.fr for p in counter.problems),
                    en="; ".join(p.en for p in counter.problems),
                ),
            )
        )
    document = build_document(
        envelope,
        lang,
        attachment_name=certificate.name,
        verify_base=base,
        countersignature=counter,
    )
    pdf = attach_signed_file(render_pdf(document), certificate.name, raw)
    try:
        write_atomic(output, pdf)
    except OSError as exc:
        raise BenchError(_t("Écriture impossible : {exc}", exc=exc.strerror or str(exc))) from exc
    return CertificatePdf(output, lang, document.verify_url, counter, warnings)
