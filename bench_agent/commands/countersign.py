"""bench-agent countersign: a second person validates (or rejects) an erasure certificate
(see :mod:`bench_agent.bench.countersignature`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "countersign",
        help=env._("contresigner un certificat d'effacement (validateur)"),
        description=env._(
            "Un validateur, autre que la personne qui a effacé, approuve (ou refuse) un "
            "certificat valide : sa décision est signée par la clé du banc et enregistrée à "
            "côté du certificat ; le PDF du certificat l'imprime."
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument("--name", required=True, help=env._("nom du validateur"))
    p.add_argument("--role", help=env._("fonction du validateur"))
    p.add_argument(
        "--reject",
        action="store_true",
        help=env._("refuser le certificat (avec --comment : pourquoi)"),
    )
    p.add_argument("--comment", help=env._("commentaire (obligatoire pour un refus)"))
    p.add_argument("--key", metavar="FILE", help=env._("clé du banc"))
    p.set_defaults(handler=run_countersign)


def run_countersign(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import erasure
    from bench_agent.bench.countersignature import countersign
    from bench_agent.bench.paths import BenchPaths

    paths = BenchPaths.from_environ(env.environ)
    key = erasure.bench_key(Path(args.key) if args.key else paths.key)
    written = countersign(
        Path(args.certificate),
        key,
        name=args.name,
        role=args.role,
        decision="rejected" if args.reject else "approved",
        comment=args.comment,
    )
    env.out(env._("Contre-signature écrite : {path}", path=written))
    return 0
