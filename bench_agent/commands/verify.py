"""bench-agent verify: check an erasure certificate's signature and say what was altered."""

from __future__ import annotations

import argparse
import base64
from typing import Any

from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "verify",
        help=env.say("vérifier un certificat d'effacement", "check an erasure certificate"),
        description=env.say(
            "Vérifie la signature Ed25519 d'un certificat ; s'il a été modifié, nomme les "
            "sections touchées. Code de sortie 1 si le certificat est invalide.",
            "Checks a certificate's Ed25519 signature; if it was altered, names the "
            "sections changed. Exit code 1 when the certificate is invalid.",
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument(
        "--public-key",
        metavar="BASE64",
        help=env.say(
            "clé publique attendue du banc (sinon : la clé incluse, intégrité seulement)",
            "expected bench public key (else the embedded key: integrity only)",
        ),
    )
    p.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    p.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace, env: Environment) -> int:
    import json

    from wipe.certificate import verify_certificate

    trusted = None
    if args.public_key:
        try:
            trusted = base64.b64decode(args.public_key, validate=True)
        except ValueError:
            env.err(
                env.say(
                    "Clé publique invalide (base64 attendu).",
                    "Invalid public key (base64 expected).",
                )
            )
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
            env.say(
                f"Certificat VALIDE : {model} série {serial}"
                f" — {payload.get('result')} (niveau : {level or 'aucun'})",
                f"Certificate VALID: {model} serial {serial}"
                f" — {payload.get('result')} (level: {level or 'none'})",
            )
        )
        if not trusted:
            env.out(
                env.say(
                    "Intégrité prouvée ; l'origine l'est avec --public-key (clé du banc).",
                    "Integrity proved; origin needs --public-key (the bench's key).",
                )
            )
    else:
        env.out(env.say("Certificat INVALIDE :", "Certificate INVALID:"))
        for line in check.problems_en if env.lang == "en" else check.problems_fr:
            env.out(f"  - {line}")
    return 0 if check.ok else 1
