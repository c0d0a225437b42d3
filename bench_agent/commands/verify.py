"""bench-agent verify: check an erasure certificate's signature and say what was altered."""

from __future__ import annotations

import argparse
import base64
from typing import Any

from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "verify",
        help=env._("vérifier un certificat d'effacement"),
        description=env._(
            "Vérifie la signature Ed25519 d'un certificat ; s'il a été modifié, nomme les "
            "sections touchées. Code de sortie 1 si le certificat est invalide."
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument(
        "--public-key",
        metavar="BASE64",
        help=env._("clé publique attendue du banc (sinon : la clé incluse, intégrité seulement)"),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace, env: Environment) -> int:
    import json

    from wipe.certificate import verify_certificate

    trusted = None
    if args.public_key:
        try:
            trusted = base64.b64decode(args.public_key, validate=True)
        except ValueError:
            env.err(env._("Clé publique invalide (base64 attendu)."))
            return 2
    check = verify_certificate(args.certificate, trusted)
    payload = check.payload or {}
    media = payload.get("media") or {}
    level = (payload.get("sanitization") or {}).get("level")
    if args.json:
        env.out(
            json.dumps(
                {
                    "valid": check.ok,
                    "problems": check.problems_en if env.lang == "en" else check.problems_fr,
                    "altered_sections": check.altered_sections,
                    "result": payload.get("result"),
                    "maker": media.get("vendor"),
                    "model": media.get("model"),
                    "serial": media.get("serial"),
                    "level": level,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif check.ok:
        model, serial = media.get("model") or "?", media.get("serial") or "?"
        env.out(
            env._(
                "Certificat VALIDE : {model} ({maker}) série {serial} — {result} "
                "(niveau : {level})",
                model=model,
                maker=media.get("vendor") or "?",
                serial=serial,
                result=payload.get("result"),
                level=level or env._("aucun"),
            )
        )
        if not trusted:
            env.out(env._("Intégrité prouvée ; l'origine l'est avec --public-key (clé du banc)."))
    else:
        env.out(env._("Certificat INVALIDE :"))
        for line in check.problems_en if env.lang == "en" else check.problems_fr:
            env.out(f"  - {line}")
    return 0 if check.ok else 1
