"""bench-agent certificate: the erasure certificate as a PDF (French or English), with the
signed JSON attached inside (see :mod:`bench_agent.bench.certificate_pdf`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "certificate",
        help=env._("certificat d'effacement en PDF"),
        description=env._(
            "Produit le certificat d'effacement PDF à partir du certificat JSON signé, "
            "après avoir vérifié sa signature. Le fichier signé est joint au PDF ; la "
            "contre-signature du validateur (à côté du certificat) est imprimée si elle "
            "est valable."
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument("--output", "-o", metavar="FILE.pdf", required=True)
    p.add_argument(
        "--lang",
        dest="document_lang",
        choices=["fr", "en"],
        help=env._(
            "langue du certificat (sinon : LANG et les variables de la locale ; C ou POSIX : "
            "anglais)"
        ),
    )
    p.add_argument(
        "--verify-url-base",
        metavar="URL",
        help=env._(
            "adresse publique du service central (sinon : celle de sync configure) : "
            "le QR code mène à URL/verify/<certificat>"
        ),
    )
    p.add_argument(
        "--countersignature",
        metavar="FILE",
        help=env._("contre-signature du validateur (sinon : celle à côté du certificat)"),
    )
    p.set_defaults(handler=run_certificate)


def run_certificate(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench.certificate_pdf import (
        DECISION_WORDS,
        CertificateInvalidError,
        certificate_pdf,
        document_lang,
    )
    from bench_agent.bench.paths import BenchPaths

    lang = document_lang(env.environ, args.document_lang or args.lang)
    try:
        made = certificate_pdf(
            Path(args.certificate),
            Path(args.output),
            lang=lang,
            paths=BenchPaths.from_environ(env.environ),
            environ=env.environ,
            verify_url_base=args.verify_url_base,
            countersignature=Path(args.countersignature) if args.countersignature else None,
        )
    except CertificateInvalidError as exc:
        env.err(env._("Certificat invalide, PDF non produit :"))
        for line in env.t(exc.problems).splitlines():
            env.err(f"  - {line}")
        return 1
    for warning in made.warnings:
        env.err(env.t(warning))
    env.out(env._("PDF écrit : {output}", output=made.path))
    counter = made.countersignature
    if counter is not None and counter.ok and counter.document is not None:
        env.out(
            env._(
                "Contre-signé par {name} le {at} ({decision}).",
                name=counter.document.validator.name,
                at=counter.document.at,
                decision=env._(DECISION_WORDS[counter.document.decision]),
            )
        )
    return 0
