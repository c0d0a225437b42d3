"""bench-agent report-pdf: the unit's test report as a PDF (décret 2022-190 evidence),
from a unit report file, plain or signed (the signature is checked first)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "report-pdf",
        help=env._("rapport de tests de l'unité en PDF"),
        description=env._(
            "Produit le rapport de tests de l'unité en PDF (fonctions testées avec résultat, "
            "auteur et date ; inventaire ; santé des disques ; effacement de chaque disque ; "
            "catégorie et explication) à partir d'un rapport d'unité JSON, simple ou signé "
            "(signature vérifiée d'abord). Code de sortie 1 pour une signature qui ne se "
            "vérifie pas, 3 pour un rapport illisible ou un PDF impossible à écrire."
        ),
    )
    p.add_argument("report", metavar="REPORT", type=Path)
    p.add_argument("--output", "-o", metavar="FILE.pdf", type=Path, required=True)
    p.add_argument(
        "--lang",
        dest="pdf_lang",
        choices=["fr", "en"],
        help=env._("langue du PDF (par défaut celle des messages)"),
    )
    p.set_defaults(handler=run_report_pdf)


def run_report_pdf(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench.files import write_atomic
    from bench_agent.bench.reports import load_report_file
    from bench_agent.documents.unit_report_pdf import Provenance, render_unit_report

    loaded = load_report_file(args.report)  # BenchError: printed by the CLI with its code
    lang = args.pdf_lang or env.lang
    pdf = render_unit_report(
        loaded.report,
        lang,
        provenance=Provenance(signed=loaded.signed, key_id=loaded.key_id),
    )
    try:
        write_atomic(args.output, pdf)  # 0600: names and serials are personal data
    except OSError as exc:
        env.err(env._("Écriture impossible : {exc}", exc=exc))
        return EXIT_ENVIRONMENT
    if not loaded.signed:
        env.err(env._("Attention : rapport non signé, le PDF le dit."))
    env.out(env._("PDF écrit : {output}", output=args.output))
    return EXIT_OK
