"""bench-agent certificate: the erasure certificate as a PDF (French first)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment
from bench_agent.i18n import C_, translator

RESULT_WORDS = {
    "ERASED": C_("certificat", "EFFACÉ"),
    "FAILED": C_("certificat", "ÉCHEC"),
    "ABORTED": C_("certificat", "INTERROMPU (opérateur)"),
    "UNVERIFIED": C_("certificat", "ÉCRIT, NON VÉRIFIÉ"),
    "DRY_RUN": C_("certificat", "SIMULATION (rien n'a été écrit)"),
    "INTERRUPTED": C_("certificat", "INTERROMPU (arrêt, coupure)"),
}
"""In English the certificate says the result's code."""
LEVEL_WORDS = {
    "clear": C_("certificat", "Clear (effacement logique)"),
    "purge": C_("certificat", "Purge (commande de la mémoire)"),
}


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "certificate",
        help=env._("certificat d'effacement en PDF"),
        description=env._(
            "Produit le certificat d'effacement PDF à partir du certificat JSON signé, "
            "après avoir vérifié sa signature."
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument("--output", "-o", metavar="FILE.pdf", required=True)
    p.set_defaults(handler=run_certificate)


def _rows(payload: dict[str, Any], lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    _ = translator(lang)
    fr = lang != "en"

    def v(value: Any) -> str:
        if value is None or value == "":
            return "—"
        return str(value)

    media = payload.get("media") or {}
    src = payload.get("source_computer") or {}
    method = payload.get("method") or {}
    overwrite = method.get("overwrite") or {}
    firmware = method.get("firmware") or {}
    ver = payload.get("verification") or {}
    san = payload.get("sanitization") or {}
    op = payload.get("operator") or {}
    size = media.get("size_bytes")
    size_text = f"{size / 1e9:.1f} Go ({size} octets)" if isinstance(size, int) else "—"
    result = str(payload.get("result"))
    level = san.get("level")
    passes = ", ".join(
        f"{p.get('pattern')} ({v(p.get('throughput_mb_s'))} Mo/s)"
        for p in method.get("passes") or []
    )
    cov = ver.get("coverage_percent")
    return [
        (
            _("Support effacé"),
            [
                (_("Fabricant"), v(media.get("manufacturer"))),
                (_("Modèle"), v(media.get("model"))),
                (_("Numéro de série"), v(media.get("serial"))),
                (_("N° d'inventaire"), v(media.get("asset_tag"))),
                (_("Type de support"), v(media.get("media_type"))),
                (_("Capacité"), size_text),
                (_("Interface"), v(media.get("transport"))),
            ],
        ),
        (
            _("Ordinateur d'origine"),
            [
                (_(C_("ordinateur", "Fabricant")), v(src.get("maker"))),
                (_("Modèle"), v(src.get("model"))),
                (_(C_("ordinateur", "Numéro de série")), v(src.get("serial"))),
            ],
        ),
        (
            _(C_("certificat", "Effacement")),
            [
                (_("Résultat"), _(RESULT_WORDS[result]) if result in RESULT_WORDS else result),
                (
                    _("Niveau atteint"),
                    (_(LEVEL_WORDS[level]) if level in LEVEL_WORDS else str(level))
                    + f" — {san.get('standard')}"
                    if level
                    else _("aucun niveau revendiqué"),
                ),
                (_("Méthode"), v(overwrite.get("title_fr" if fr else "title_en"))),
                ("Passes", v(passes)),
                (_("Générateur"), v(method.get("prng"))),
                (
                    _("Méthode micrologicielle"),
                    v(firmware.get("method"))
                    + (
                        _(" — prouvée")
                        if firmware.get("completed")
                        else (_(" — non prouvée") if firmware else "")
                    ),
                ),
                (
                    _("Vérification"),
                    f"{v(ver.get('mode'))}, {v(cov)} %, "
                    + (_("réussie") if ver.get("passed") else _("non réussie")),
                ),
                (_("Erreurs"), v((payload.get("errors") or {}).get("count"))),
                (
                    _("Motifs"),
                    "; ".join((payload.get("reasons") or {}).get("fr" if fr else "en") or [])
                    or "—",
                ),
            ],
        ),
        (
            _("Réalisé par"),
            [
                (_("Nom"), v(op.get("name"))),
                (_("Fonction"), v(op.get("role"))),
                (_("Structure"), v(op.get("organisation"))),
                (_("Lieu"), v(op.get("location"))),
                (_("Début"), v(payload.get("started_at"))),
                (_("Fin"), v(payload.get("ended_at"))),
                (
                    _("Outil"),
                    f"{v((payload.get('tool') or {}).get('name'))} "
                    f"{v((payload.get('tool') or {}).get('version'))}",
                ),
            ],
        ),
    ]


def render_pdf(envelope: dict[str, Any], output: Path, lang: str = "fr") -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _ = translator(lang)
    payload = envelope["payload"]
    sig = envelope["signature"]
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(
            _("Certificat d'effacement de données"),
            styles["Title"],
        ),
        Paragraph(f"N° {payload.get('certificate_id')}", styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    for title, rows in _rows(payload, lang):
        story.append(Paragraph(title, styles["Heading2"]))
        table = Table(
            [[Paragraph(k, styles["Normal"]), Paragraph(val, styles["Normal"])] for k, val in rows],
            colWidths=[50 * mm, 120 * mm],
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    story += [
        Spacer(1, 4 * mm),
        Paragraph(
            _("Signature électronique Ed25519 du banc, clé ")
            + f"{sig.get('key_id')} — "
            + _("vérifiable avec « bench-agent verify » sur le fichier JSON."),
            styles["Normal"],
        ),
    ]
    SimpleDocTemplate(
        str(output), pagesize=A4, title="Certificat d'effacement", author="bench-agent"
    ).build(story)


def run_certificate(args: argparse.Namespace, env: Environment) -> int:
    import json

    from wipe.certificate import verify_certificate

    check = verify_certificate(args.certificate)
    if not check.ok:
        env.err(env._("Certificat invalide, PDF non produit :"))
        for line in check.problems_en if env.lang == "en" else check.problems_fr:
            env.err(f"  - {line}")
        return 1
    envelope = json.loads(Path(args.certificate).read_bytes())
    try:
        render_pdf(envelope, Path(args.output), env.lang)
    except OSError as exc:
        env.err(env._("Écriture impossible : {exc}", exc=exc))
        return 3
    env.out(env._("PDF écrit : {output}", output=args.output))
    return 0
