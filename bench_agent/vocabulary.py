"""The words people read for the codes the bench and the central service store.

A report, a certificate and the central database keep machine codes (``NOT_DISTRIBUTABLE``,
``PRET_A_DISTRIBUER``, ``ERASED``, ``pass``, ``battery_autonomy``, ``laptop``…); every page,
PDF and screen shows words instead, from this one vocabulary, in French (the msgids) or
English (the bench's gettext catalogue). The central service reads it through
:func:`word`; the bench's own documents use the same tables.

A code this vocabulary does not know is shown as written (a newer bench's value is never
hidden), and :func:`known` says whether a code has words (tests check every code a page
can show has them).
"""

from __future__ import annotations

from collections.abc import Mapping

from bench_agent.i18n import C_, N_, translator

CATEGORY_ORDER = ("PREMIUM", "A", "B", "C", "D", "TO_REPAIR", "NOT_DISTRIBUTABLE")
"""Categories best first, as lists and dashboards show them."""

CATEGORIES: Mapping[str, str] = {
    "PREMIUM": N_("Premium"),
    "A": N_("A"),
    "B": N_("B"),
    "C": N_("C"),
    "D": N_("D"),
    "TO_REPAIR": N_("À RÉPARER"),
    "NOT_DISTRIBUTABLE": N_("NON DISTRIBUABLE"),
}

STATUSES: Mapping[str, str] = {
    "A_TRAITER": N_("À traiter"),
    "EN_COURS_DE_TRAITEMENT": N_("En cours de traitement"),
    "NON_REEMPLOYABLE": N_("Non réemployable"),
    "PRET_A_COMMANDER": N_("Prêt à commander"),
    "EN_COURS_DE_LIVRAISON": N_("En cours de livraison"),
    "PRET_A_DISTRIBUER": N_("Prêt à distribuer"),
    "DISTRIBUE": N_("Distribué"),
    "SAV": N_("En SAV"),
}
"""The network's status vocabulary (tec.tech ``statut``), in its own order."""

ERASURE_RESULTS: Mapping[str, str] = {
    "ERASED": C_("rapport", "Effacé et vérifié"),
    "UNVERIFIED": C_("rapport", "Écrit, non vérifié"),
    "FAILED": C_("rapport", "Échec de l'effacement"),
    "ABORTED": C_("rapport", "Arrêté par l'opérateur"),
    "INTERRUPTED": C_("rapport", "Interrompu (arrêt, coupure)"),
    "DRY_RUN": C_("rapport", "Simulation, rien n'a été écrit"),
}
"""A certificate's result."""

ERASURE_STATES: Mapping[str, str] = {
    "ERASED": N_("Chaque disque effacé (certificats vérifiés)"),
    "NOT_ERASED": N_("Effacement non prouvé"),
    "NO_DISK": N_("Aucun disque interne"),
}
"""A unit's erasure state as the central service computes it from certificates."""

TEST_RESULTS: Mapping[str, str] = {
    "pass": C_("test", "OK"),
    "fail": C_("test", "ÉCHEC"),
    "n/a": C_("test", "S.O."),
}
NOT_TESTED = N_("NON TESTÉ")

VERDICTS: Mapping[str, str] = {
    "OK": N_("BON"),
    "WORN": N_("USÉ"),
    "SUSPECT": N_("SUSPECT"),
    "FAIL": N_("HORS SERVICE"),
    "UNKNOWN": N_("NON ÉVALUABLE"),
}
"""A disk's health verdict."""

LEVELS: Mapping[str, str] = {
    "clear": N_("niveau Clear (NIST SP 800-88)"),
    "purge": N_("niveau Purge (NIST SP 800-88)"),
}

FORM_FACTORS: Mapping[str, str] = {
    "laptop": N_("Ordinateur portable"),
    "desktop": N_("Ordinateur de bureau"),
    "tablet": N_("Tablette"),
    "server": N_("Serveur"),
    "other": N_("Autre"),
}

MEDIA: Mapping[str, str] = {
    "hdd": N_("disque dur"),
    "ssd": N_("SSD"),
    "unknown": N_("support inconnu"),
}

TRANSPORTS: Mapping[str, str] = {
    "nvme": N_("NVMe"),
    "sata": N_("SATA"),
    "ata": N_("ATA"),
    "scsi": N_("SCSI"),
    "sas": N_("SAS"),
    "usb": N_("USB"),
    "mmc": N_("carte mémoire (MMC)"),
    "virtio": N_("disque virtuel"),
    "loop": N_("disque virtuel"),
    "unknown": N_("liaison inconnue"),
}


def _tests() -> Mapping[str, str]:
    from bench_agent.functional.catalogue import CATALOGUE

    return {spec.name: spec.title_msgid for spec in CATALOGUE}


KINDS = (
    "category",
    "status",
    "erasure_result",
    "erasure_state",
    "test",
    "test_result",
    "verdict",
    "level",
    "method",
    "form_factor",
    "media",
    "transport",
)


def table(kind: str) -> Mapping[str, str]:
    """The msgids of one kind of code (``method`` has none: methods name themselves)."""
    tables: dict[str, Mapping[str, str]] = {
        "category": CATEGORIES,
        "status": STATUSES,
        "erasure_result": ERASURE_RESULTS,
        "erasure_state": ERASURE_STATES,
        "test_result": TEST_RESULTS,
        "verdict": VERDICTS,
        "level": LEVELS,
        "form_factor": FORM_FACTORS,
        "media": MEDIA,
        "transport": TRANSPORTS,
    }
    if kind == "test":
        return _tests()
    if kind == "method":
        return {}
    try:
        return tables[kind]
    except KeyError:
        raise ValueError(f"unknown vocabulary kind {kind!r} (one of {', '.join(KINDS)})") from None


def known(kind: str, code: str) -> bool:
    return code in table(kind)


def word(kind: str, code: str | None, lang: str) -> str:
    """The words for ``code`` in ``lang`` ("fr" or "en"); "—" for no code; the code itself
    when the vocabulary does not know it. Methods ("nvme-sanitize-crypto + zero") are
    titled by the erasure engine's own catalogue."""
    if code is None or code == "":
        return "—"
    if kind == "method":
        from bench_agent.documents.unit_report_pdf import method_title

        return method_title(code, lang)
    msgid = table(kind).get(code)
    return translator(lang)(msgid) if msgid is not None else code


def choices(kind: str, lang: str) -> list[tuple[str, str]]:
    """(code, words) of every code of a kind, in the vocabulary's order (for a filter's
    options: the code is what the form sends, the words are what people read)."""
    codes = CATEGORY_ORDER if kind == "category" else tuple(table(kind))
    return [(code, word(kind, code, lang)) for code in codes]
