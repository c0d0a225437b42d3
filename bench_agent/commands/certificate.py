"""bench-agent certificate: the erasure certificate as a PDF (French first)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment

RESULT_FR = {
    "ERASED": "EFFACÉ",
    "FAILED": "ÉCHEC",
    "ABORTED": "INTERROMPU (opérateur)",
    "UNVERIFIED": "ÉCRIT, NON VÉRIFIÉ",
    "DRY_RUN": "SIMULATION (rien n'a été écrit)",
    "INTERRUPTED": "INTERROMPU (arrêt, coupure)",
}
LEVEL_FR = {"clear": "Clear (effacement logique)", "purge": "Purge (commande de la mémoire)"}


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "certificate",
        help=env.say("certificat d'effacement en PDF", "erasure certificate as PDF"),
        description=env.say(
            "Produit le certificat d'effacement PDF à partir du certificat JSON signé, "
            "après avoir vérifié sa signature.",
            "Renders the PDF erasure certificate from the signed JSON certificate, after "
            "checking its signature.",
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument("--output", "-o", metavar="FILE.pdf", required=True)
    p.set_defaults(handler=run_certificate)


def _rows(payload: dict[str, Any], fr: bool) -> list[tuple[str, list[tuple[str, str]]]]:
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
            "Support effacé" if fr else "Media",
            [
                ("Fabricant" if fr else "Manufacturer", v(media.get("manufacturer"))),
                ("Modèle" if fr else "Model", v(media.get("model"))),
                ("Numéro de série" if fr else "Serial number", v(media.get("serial"))),
                ("N° d'inventaire" if fr else "Asset tag", v(media.get("asset_tag"))),
                ("Type de support" if fr else "Media type", v(media.get("media_type"))),
                ("Capacité" if fr else "Capacity", size_text),
                ("Interface" if fr else "Transport", v(media.get("transport"))),
            ],
        ),
        (
            "Ordinateur d'origine" if fr else "Source computer",
            [
                ("Fabricant" if fr else "Maker", v(src.get("maker"))),
                ("Modèle" if fr else "Model", v(src.get("model"))),
                ("Numéro de série" if fr else "Serial", v(src.get("serial"))),
            ],
        ),
        (
            "Effacement" if fr else "Sanitization",
            [
                ("Résultat" if fr else "Result", RESULT_FR.get(result, result) if fr else result),
                (
                    "Niveau atteint" if fr else "Level achieved",
                    (LEVEL_FR.get(level, str(level)) if fr else str(level))
                    + f" — {san.get('standard')}"
                    if level
                    else ("aucun niveau revendiqué" if fr else "no level claimed"),
                ),
                ("Méthode" if fr else "Method", v(overwrite.get("title_fr" if fr else "title_en"))),
                ("Passes", v(passes)),
                ("Générateur" if fr else "PRNG", v(method.get("prng"))),
                (
                    "Méthode micrologicielle" if fr else "Firmware method",
                    v(firmware.get("method"))
                    + (
                        (" — prouvée" if fr else " — proved")
                        if firmware.get("completed")
                        else ((" — non prouvée" if fr else " — not proved") if firmware else "")
                    ),
                ),
                (
                    "Vérification" if fr else "Verification",
                    f"{v(ver.get('mode'))}, {v(cov)} %, "
                    + (
                        ("réussie" if fr else "passed")
                        if ver.get("passed")
                        else ("non réussie" if fr else "not passed")
                    ),
                ),
                ("Erreurs" if fr else "Errors", v((payload.get("errors") or {}).get("count"))),
                (
                    "Motifs" if fr else "Reasons",
                    "; ".join((payload.get("reasons") or {}).get("fr" if fr else "en") or [])
                    or "—",
                ),
            ],
        ),
        (
            "Réalisé par" if fr else "Performed by",
            [
                ("Nom" if fr else "Name", v(op.get("name"))),
                ("Fonction" if fr else "Role", v(op.get("role"))),
                ("Structure" if fr else "Organisation", v(op.get("organisation"))),
                ("Lieu" if fr else "Location", v(op.get("location"))),
                ("Début" if fr else "Started", v(payload.get("started_at"))),
                ("Fin" if fr else "Ended", v(payload.get("ended_at"))),
                (
                    "Outil" if fr else "Tool",
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

    fr = lang != "en"
    payload = envelope["payload"]
    sig = envelope["signature"]
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(
            "Certificat d'effacement de données" if fr else "Data erasure certificate",
            styles["Title"],
        ),
        Paragraph(f"N° {payload.get('certificate_id')}", styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    for title, rows in _rows(payload, fr):
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
            (
                "Signature électronique Ed25519 du banc, clé "
                if fr
                else "Bench Ed25519 electronic signature, key "
            )
            + f"{sig.get('key_id')} — "
            + (
                "vérifiable avec « bench-agent verify » sur le fichier JSON."
                if fr
                else "verifiable with `bench-agent verify` on the JSON file."
            ),
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
        env.err(
            env.say(
                "Certificat invalide, PDF non produit :", "Invalid certificate, no PDF written:"
            )
        )
        for line in check.problems_en if env.lang == "en" else check.problems_fr:
            env.err(f"  - {line}")
        return 1
    envelope = json.loads(Path(args.certificate).read_bytes())
    try:
        render_pdf(envelope, Path(args.output), env.lang)
    except OSError as exc:
        env.err(env.say(f"Écriture impossible : {exc}", f"Cannot write: {exc}"))
        return 3
    env.out(env.say(f"PDF écrit : {args.output}", f"PDF written: {args.output}"))
    return 0
