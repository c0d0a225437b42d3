"""bench-agent verify: check an erasure certificate's signature, whether its key is
trusted, and say what was altered (the rules are :mod:`wipe.certificate` and
:mod:`wipe.trust`'s; this module reads options and prints)."""

from __future__ import annotations

import argparse
import base64
from pathlib import Path
from typing import Any

from bench_agent.commands._host import bench_paths
from bench_agent.context import Environment

EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_NOT_TRUSTED = 0, 1, 2, 3


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "verify",
        help=env._("vérifier un certificat d'effacement"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=env._(
            "Vérifie la signature Ed25519 d'un certificat et que sa clé est reconnue : "
            "déclarée par le réseau (clé du réseau reçue à la synchronisation ou --trust, "
            "déclaration de la clé du banc valable à la date de signature), ou donnée avec "
            "--public-key. S'il a été modifié, nomme les sections touchées.\n\n"
            "Codes de sortie : 0 valide et clé reconnue ; 1 certificat invalide (signature, "
            "format) ; 2 usage ou fichier de confiance illisible ; 3 signature correcte "
            "mais clé non reconnue."
        ),
    )
    p.add_argument("certificate", metavar="CERT")
    p.add_argument(
        "--public-key",
        metavar="BASE64",
        help=env._("clé publique d'un banc reconnue directement (base64)"),
    )
    p.add_argument(
        "--trust",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help=env._(
            "clé publique du réseau (PEM ou base64), ou déclaration de clé dont le "
            "signataire est reconnu comme réseau (répétable)"
        ),
    )
    p.add_argument(
        "--statement",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help=env._("déclaration de clé signée par le réseau (répétable)"),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace, env: Environment) -> int:
    import json

    from wipe.certificate import verify_certificate
    from wipe.trust import TrustCheck, TrustError, evaluate, load_anchors

    bench_keys: list[bytes] = []
    if args.public_key:
        try:
            bench_keys.append(base64.b64decode(args.public_key, validate=True))
        except ValueError:
            env.err(env._("Clé publique invalide (base64 attendu)."))
            return EXIT_USAGE
    paths = bench_paths(env)
    try:
        anchors = load_anchors(
            trust_files=args.trust,
            statement_files=args.statement,
            bench_keys=bench_keys,
            stored_network_key=paths.network_key,
            stored_statement=paths.key_statement,
        )
    except TrustError as exc:
        env.err(env._("Fichier de confiance illisible : {exc}", exc=exc))
        return EXIT_USAGE
    check = verify_certificate(args.certificate)
    trust: TrustCheck | None = None
    if check.ok and check.public_key is not None and check.certificate is not None:
        trust = evaluate(check.public_key, check.certificate.signed_at, anchors)
    en = env.lang == "en"
    cert = check.certificate
    payload = check.payload or {}
    media = payload.get("media") if isinstance(payload.get("media"), dict) else {}
    level = cert.sanitization.level if cert is not None else None
    code = (
        EXIT_INVALID
        if not check.ok
        else EXIT_VALID
        if trust and trust.trusted
        else EXIT_NOT_TRUSTED
    )
    if args.json:
        env.out(
            json.dumps(
                {
                    "valid": code == EXIT_VALID,
                    "signature_valid": check.ok,
                    "trusted": bool(trust and trust.trusted),
                    "fingerprint": check.fingerprint,
                    "problems": check.problems_en if en else check.problems_fr,
                    "trust": None
                    if trust is None
                    else {
                        "how": trust.how_en if en else trust.how_fr,
                        "problems": trust.problems_en if en else trust.problems_fr,
                        "tenant": trust.statement.tenant if trust.statement else None,
                        "bench": trust.statement.bench if trust.statement else None,
                    },
                    "altered_sections": check.altered_sections,
                    "result": cert.result if cert else payload.get("result"),
                    "maker": cert.media.vendor if cert else (media or {}).get("vendor"),
                    "model": cert.media.model if cert else (media or {}).get("model"),
                    "serial": cert.media.serial if cert else (media or {}).get("serial"),
                    "level": level,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return code
    if not check.ok:
        env.out(env._("Certificat INVALIDE :"))
        for line in check.problems_en if en else check.problems_fr:
            env.out(f"  - {line}")
        return code
    assert cert is not None and trust is not None
    what = {
        "model": cert.media.model or "?",
        "maker": cert.media.vendor or "?",
        "serial": cert.media.serial or "?",
        "result": cert.result.value,
        "level": level or env._("aucun"),
    }
    if trust.trusted:
        env.out(
            env._(
                "Certificat VALIDE : {model} ({maker}) série {serial} — {result} "
                "(niveau : {level})",
                **what,
            )
        )
        env.out(env._("Clé reconnue : {how}", how=trust.how_en if en else trust.how_fr))
    else:
        env.out(
            env._(
                "Signature correcte, clé NON RECONNUE : {model} ({maker}) série {serial} — "
                "{result} "
                "(niveau : {level})",
                **what,
            )
        )
        for line in trust.problems_en if en else trust.problems_fr:
            env.out(f"  - {line}")
    env.out(env._("Empreinte de la clé : {fingerprint}", fingerprint=trust.fingerprint))
    return code
