"""What a label says about a unit: every field as text, in French or English.

Pure: a :class:`~bench_agent.model.report.UnitReport` in, strings out. Missing
data is shown as "—"; odd DMI strings (control characters, invalid UTF-8 kept as
surrogates) are cleaned so they print instead of crashing the renderer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote

from bench_agent.i18n import C_, N_, translator
from bench_agent.model.inventory import Disk
from bench_agent.model.report import ErasureSummary, UnitReport

MISSING = "—"

_CATEGORY_WORDS = {
    "NOT_DISTRIBUTABLE": N_("NON DISTRIBUABLE"),
    "TO_REPAIR": N_("À RÉPARER"),
    "PREMIUM": N_("Catégorie Premium"),
}
_RESULT_WORDS = {
    "FAILED": C_("étiquette", "ÉCHEC"),
    # One French word, two English ones: a context each.
    "ABORTED": C_("étiquette, arrêt demandé", "INTERROMPU"),
    "INTERRUPTED": C_("étiquette, arrêt subi", "INTERROMPU"),
    "UNVERIFIED": N_("écrit, NON VÉRIFIÉ"),
    "DRY_RUN": N_("SIMULATION, non effacé"),
}
# Worst first: the label shows the worst outcome among the unit's disks.
_RESULT_RANK = ("FAILED", "INTERRUPTED", "ABORTED", "DRY_RUN", "UNVERIFIED", "ERASED")


@dataclass(frozen=True)
class LabelContent:
    """Every field of a label, already formatted in the label's language."""

    fields: dict[str, str]
    """Field name (see :data:`bench_agent.labels.template.FIELDS`) → text."""
    note: str | None
    """Printed small after the category ("note 42"), when the unit is graded."""
    qr_payload: str
    """What the QR code encodes."""
    lang: str = "fr"
    warnings: list[str] = field(default_factory=list)


def clean_text(value: str | None, max_chars: int = 200) -> str | None:
    """A printable single-line version of a DMI or user string, or None when empty."""
    if value is None:
        return None
    out = []
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            out.append("\ufffd")  # an undecodable byte kept as a surrogate by the host
        elif unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}:
            out.append(" ")
        else:
            out.append(char)
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text or None


def short_cpu(name: str | None) -> str | None:
    """ "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz" → "i7-7500U"; "AMD Ryzen 5 3500U with
    Radeon Vega Mobile Gfx" → "Ryzen 5 3500U"."""
    text = clean_text(name)
    if text is None:
        return None
    text = re.sub(r"\((?:R|TM|tm|r)\)|®|™", " ", text)
    text = re.sub(r"@\s*[\d.]+\s*[GM]Hz", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\bwith\b.*$", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\b\d+(?:st|nd|rd|th) Gen\b", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:CPU|Processor|APU|\d+-Core)\b", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:Intel|AMD)\b", " ", text)
    # "Core i5" is said "i5" on every shop label; "Core 2 Duo" keeps its name.
    text = re.sub(r"\bCore\s+(?=(?:i[3579]|Ultra)\b)", "", text)
    text = re.sub(r"\s+", " ", text).strip(" -")
    return text or clean_text(name)


def _decimal(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang != "en" else text


def ram_text(report: UnitReport, lang: str) -> str | None:
    memory = report.inventory.memory
    size = memory.installed_bytes or memory.total_bytes
    if not size:
        return None
    _ = translator(lang)
    gib = size / 2**30
    if gib < 1:
        return _("{mib} Mo RAM", mib=round(size / 2**20))
    # MemTotal is the installed size minus what firmware and the GPU keep: round it.
    return _("{gib} Go RAM", gib=round(gib))


def size_text(capacity_bytes: int | None, lang: str) -> str | None:
    """Decimal units, as disks are sold: 1024209543168 → "1 To", 256060514304 → "256 Go"."""
    if not capacity_bytes:
        return None
    _ = translator(lang)
    if capacity_bytes >= 10**12:
        return _("{tb} To", tb=_decimal(capacity_bytes / 1e12, lang))
    return _("{gb} Go", gb=round(capacity_bytes / 1e9))


def disk_kind_text(disk: Disk, lang: str) -> str:
    if disk.transport == "nvme":
        return "SSD NVMe"
    if disk.media == "ssd":
        return "SSD"
    if disk.media == "hdd":
        return "HDD"
    _ = translator(lang)
    return _("disque")  # media unknown: say no more than we know


def internal_disks(report: UnitReport) -> list[Disk]:
    """The unit's own disks: not the live USB stick, not removable, not USB."""
    return [
        d
        for d in report.inventory.disks
        if not d.boot_medium and not d.removable and d.transport != "usb"
    ]


def disk_text(report: UnitReport, lang: str) -> str | None:
    disks = internal_disks(report)
    if not disks:
        return None
    parts = []
    for disk in disks:
        kind = disk_kind_text(disk, lang)
        parts.append(f"{kind} {size_text(disk.capacity_bytes, lang) or MISSING}")
    return " + ".join(parts)


def screen_text(report: UnitReport, lang: str) -> str | None:
    internal = [d for d in report.inventory.displays if d.internal and d.diagonal_in]
    if not internal:
        return None
    diagonal = internal[0].diagonal_in
    assert diagonal is not None
    _ = translator(lang)
    return _('écran {diagonal}"', diagonal=_decimal(diagonal, lang))


def battery_text(report: UnitReport, lang: str) -> str:
    _ = translator(lang)
    batteries = report.inventory.batteries
    if not batteries:
        # The firmware's table (DMI type 22) describes a battery the system cannot see:
        # a fault to check (dead, unplugged, removed), not an absence.
        if any(note.code == "battery.dmi_only" for note in report.inventory.notes):
            return _("Batterie non détectée : à vérifier")
        if report.inventory.identity.form_factor in {"desktop", "server"}:
            return _("Sans batterie")
        return _("Batterie absente")
    known = [b.health_pct for b in batteries if b.health_pct is not None]
    if not known:
        return _("Batterie : santé inconnue")
    # Two batteries (older ThinkPads): the worst one is what the beneficiary gets.
    worst = min(known)
    # A battery reporting full > design (firmware bug) is shown capped, never above 100 %.
    pct = round(min(worst, 100.0))
    return _("Batterie {pct} %", pct=pct)


def _day(stamp: str | None) -> str | None:
    if not stamp:
        return None
    found = re.match(r"\d{4}-\d{2}-\d{2}", stamp)
    return found.group(0) if found else None


def _covered(disk: Disk, erasures: list[ErasureSummary]) -> bool:
    for record in erasures:
        if disk.serial and record.disk_serial and disk.serial.strip() == record.disk_serial.strip():
            return True
        if record.device in (disk.path, disk.name, f"/dev/{disk.name}"):
            return True
    return False


def erasure_text(report: UnitReport, lang: str) -> str:
    """Only what the erasure summaries say: a level and a standard only when every
    record is ERASED with that level; anything else is shown plainly."""
    _ = translator(lang)
    records = report.erasures
    if not records:
        return _("Effacement : aucun")
    worst = min(records, key=lambda r: _RESULT_RANK.index(r.result))
    if worst.result != "ERASED":
        device = clean_text(worst.device) or MISSING
        return _(
            "Effacement {result} ({device})", result=_(_RESULT_WORDS[worst.result]), device=device
        )
    disks = internal_disks(report)
    missing = [d for d in disks if not _covered(d, records)]
    if missing:
        done = len(disks) - len(missing)
        return _("Effacement partiel : {done}/{n_disks} disques", done=done, n_disks=len(disks))
    levels = {r.level for r in records}
    if "none" in levels:
        standard = ""
    elif levels == {"purge"}:
        standard = " NIST Purge"
    else:
        standard = " NIST Clear"
    days = [d for d in (_day(r.finished_at) or _day(r.started_at) for r in records) if d]
    when = f" {max(days)}" if days else ""
    return _("Effacé ✓{standard}{when}", standard=standard, when=when)


def certificate_id(report: UnitReport) -> str | None:
    """The certificate the QR code points to: an ERASED one first."""
    records = sorted(report.erasures, key=lambda r: (r.result != "ERASED", r.device))
    return records[0].certificate_id if records else None


def qr_payload(report: UnitReport, base_url: str | None) -> str:
    """The public verification URL, or the unit key when no central URL is known."""
    unit = report.unit
    if base_url:
        base = base_url.rstrip("/")
        cert = certificate_id(report)
        if cert:
            return f"{base}/verify/{quote(cert, safe='')}"
        wanted = clean_text(unit.serial) or clean_text(unit.asset_tag) or clean_text(unit.key)
        return f"{base}/units?q={quote(wanted or '', safe='')}"
    if unit.basis == "none":
        return f"report:{clean_text(report.report_id)}"
    return clean_text(unit.key) or f"report:{clean_text(report.report_id)}"


def category_text(report: UnitReport, lang: str) -> tuple[str, str | None]:
    """The big line and the small note after it."""
    _ = translator(lang)
    grade = report.grade
    if grade is None:
        return _("NON CATÉGORISÉ"), None
    words = _CATEGORY_WORDS.get(grade.category)
    if words is not None:
        return _(words), f"note {grade.note}"
    return _("Catégorie {category}", category=grade.category), f"note {grade.note}"


def model_text(report: UnitReport) -> str | None:
    unit = report.unit
    ident = report.inventory.identity
    maker = clean_text(unit.maker or ident.maker)
    model = clean_text(unit.model or ident.model or ident.product_name)
    if maker and model:
        # Some firmwares repeat the maker in the product name ("HP HP Pavilion ...").
        if model.lower().startswith(maker.lower()):
            return model
        return f"{maker} {model}"
    return maker or model


def type_number(report: UnitReport) -> str | None:
    """The maker's type number: Lenovo's machine type in DMI product_name ("20HRCTO1WW")
    when the commercial model is elsewhere, else a part number in DMI sku ("WA017EA#ABF");
    placeholders and marketing strings ("LENOVO_MT_...", "NetTopSku") are not one."""
    ident = report.inventory.identity
    model = clean_text(ident.model)
    product = clean_text(ident.product_name)
    if product and model and product.casefold() != model.casefold() and " " not in product:
        return product
    sku = clean_text(ident.sku, 40)
    if (
        sku
        and " " not in sku
        and "sku" not in sku.casefold()
        and not sku.upper().startswith("LENOVO_MT")
        and (model is None or sku.casefold() != model.casefold())
    ):
        return sku
    return None


def tested_on(report: UnitReport) -> str | None:
    """The day the unit was tested: its last functional test, else its last erasure,
    else the report's date."""
    days = [d for d in (_day(t.at) for t in report.functional_tests) if d]
    if not days:
        days = [d for d in (_day(r.finished_at) for r in report.erasures) if d]
    return max(days) if days else _day(report.created_at)


def tests_text(report: UnitReport, lang: str) -> str:
    """Tests done and their result: "Tests 9/10 OK, échec : webcam"."""
    _ = translator(lang)
    done = [t for t in report.functional_tests if t.result != "n/a"]
    if not done:
        return _("Tests : aucun")
    failed = sorted(clean_text(t.name, 30) or MISSING for t in done if t.result == "fail")
    passed = len(done) - len(failed)
    if not failed:
        return _("Tests {passed}/{n_tests} OK", passed=passed, n_tests=len(done))
    return _(
        "Tests {passed}/{n_tests} OK, échec : {failed}",
        passed=passed,
        n_tests=len(done),
        failed=", ".join(failed),
    )


@dataclass(frozen=True)
class Organisation:
    """Who tested the unit, as the re-use record names them (site.toml ``[organisation]``)."""

    name: str
    address: str | None = None


def tester_text(tester: Organisation | None, lang: str) -> str:
    _ = translator(lang)
    if tester is None:
        return _("Testé par {tester}", tester=MISSING)
    name = clean_text(tester.name, 80) or MISSING
    address = clean_text(tester.address, 120)
    return _("Testé par {tester}", tester=f"{name}, {address}" if address else name)


def label_content(
    report: UnitReport,
    lang: str = "fr",
    qr_base_url: str | None = None,
    tester: Organisation | None = None,
) -> LabelContent:
    """Every field of the label for ``report``; ``tester`` is the site's organisation."""
    _ = translator(lang)
    big, note = category_text(report, lang)
    unit = report.unit
    serial = clean_text(unit.serial or report.inventory.identity.serial)
    asset = clean_text(unit.asset_tag)
    cpu = short_cpu(report.inventory.cpu.model_name)
    fields = {
        "category": big,
        "model": model_text(report) or MISSING,
        "serial": f"S/N {serial or MISSING}",
        "asset_tag": _("N° inv. {asset}", asset=asset or MISSING),
        "cpu": cpu or f"CPU {MISSING}",
        "ram": ram_text(report, lang) or f"RAM {MISSING}",
        "disk": disk_text(report, lang) or _("disque {missing}", missing=MISSING),
        "screen": screen_text(report, lang) or _("écran {missing}", missing=MISSING),
        "battery": battery_text(report, lang),
        "erasure": erasure_text(report, lang),
        "date": _("Rapport du {created_at}", created_at=_day(report.created_at) or MISSING),
        "type_number": _("Type {type_number}", type_number=type_number(report) or MISSING),
        "tests": tests_text(report, lang),
        "test_date": _("Testé le {day}", day=tested_on(report) or MISSING),
        "tester": tester_text(tester, lang),
    }
    return LabelContent(
        fields=fields, note=note, qr_payload=qr_payload(report, qr_base_url), lang=lang
    )
