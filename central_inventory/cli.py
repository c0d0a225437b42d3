"""``central-inventory``: serve, migrate and administer the central service.

Exit codes: 0 done, 1 refused (the message says why), 2 usage, 3 environment
(configuration or database unreachable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from central_inventory.i18n import detect_lang


@dataclass
class Console:
    """Streams and language of one run (tests pass StringIO)."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    lang: str = ""

    def __post_init__(self) -> None:
        if not self.lang:
            self.lang = detect_lang(self.environ)

    def say(self, fr: str, en: str) -> str:
        return en if self.lang == "en" else fr

    def out(self, line: str) -> None:
        self.stdout.write(line + "\n")

    def err(self, line: str) -> None:
        self.stderr.write(line + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="central-inventory",
        description="Inventaire central LaCollecte.tech / LaCollecte.tech central inventory",
    )
    parser.add_argument("--json", action="store_true", help="sortie JSON / JSON output")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="lancer le service HTTP (migre d'abord) / run the HTTP service (migrates first)",
    )
    serve.add_argument("--host", help="adresse d'écoute / listen address (CENTRAL_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (CENTRAL_PORT, 8080)")
    serve.add_argument(
        "--workers", type=int, help="processus / worker processes (CENTRAL_WORKERS, 1)"
    )
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="ne pas migrer le schéma / do not upgrade the schema",
    )
    sub.add_parser("migrate", help="créer ou migrer le schéma / create or upgrade the schema")
    tenant = sub.add_parser(
        "create-tenant", help="ajouter un reconditionneur / add a reconditioner (tenant)"
    )
    tenant.add_argument("slug")
    tenant.add_argument("name")
    tenant.add_argument(
        "--address",
        help="adresse postale (rapports de lot), lignes séparées par « \\n » / "
        "postal address (batch reports), lines separated by \\n",
    )
    set_tenant = sub.add_parser(
        "set-tenant", help="modifier un reconditionneur / change a reconditioner (tenant)"
    )
    set_tenant.add_argument("slug")
    set_tenant.add_argument(
        "--address",
        required=True,
        help="adresse postale, lignes séparées par « \\n » ; vide pour l'effacer / "
        "postal address, lines separated by newlines; empty to clear it",
    )
    bench = sub.add_parser(
        "register-bench",
        help="enregistrer un banc et sa clé publique Ed25519 / register a bench and its key",
    )
    bench.add_argument("--tenant", required=True)
    bench.add_argument(
        "--name", required=True, help="identifiant du banc / bench id (BenchInfo.bench_id)"
    )
    bench.add_argument(
        "--public-key",
        required=True,
        help="clé brute en base64, bloc PEM ou @FICHIER / base64 raw key, PEM block or @FILE",
    )
    bench.add_argument("--site", help="code du site / site code (GR, LY, ...)")
    bench.add_argument(
        "--statement-out",
        type=Path,
        help="écrire la déclaration de clé signée / write the signed key statement (FILE)",
    )
    sub.add_parser(
        "init-network-key",
        help="créer la clé du réseau (CENTRAL_NETWORK_KEY, 0600) qui signe les déclarations "
        "de clé des bancs / create the network key that signs the benches' key statements",
    )
    token = sub.add_parser(
        "create-token", help="émettre un jeton (affiché une fois) / issue a token (shown once)"
    )
    token.add_argument("--role", required=True, choices=["bench", "staff", "coordinator"])
    token.add_argument("--bench", help="nom du banc (rôle bench) / bench name (role bench)")
    token.add_argument("--tenant", help="reconditionneur (rôle staff) / tenant slug (role staff)")
    token.add_argument("--label")
    token.add_argument(
        "--days",
        type=int,
        help="validité en jours (défaut : banc 365, staff 180, coordinator 90 ; 0 = sans "
        "fin) / lifetime in days (default: bench 365, staff 180, coordinator 90; 0 = never)",
    )
    rotate = sub.add_parser(
        "rotate-token",
        help="remplacer un jeton par un nouveau (affiché une fois) / replace a token with a "
        "new one (shown once)",
    )
    rotate.add_argument("token_id", type=int)
    rotate.add_argument(
        "--overlap-hours",
        type=int,
        default=0,
        help="l'ancien jeton reste valable N heures (défaut 0 : révoqué tout de suite) / "
        "the old token stays valid N hours (default 0: revoked at once)",
    )
    rotate.add_argument("--days", type=int, help="validité du nouveau jeton / new token's lifetime")
    revoke = sub.add_parser(
        "revoke-token", help="révoquer un jeton par son numéro / revoke a token by its id"
    )
    revoke.add_argument("token_id", type=int)
    revoke_bench = sub.add_parser(
        "revoke-bench", help="désactiver un banc / deactivate a bench (key and tokens)"
    )
    revoke_bench.add_argument("name")
    revoke_bench.add_argument(
        "--at",
        metavar="ISO-DATE",
        help="révoquée depuis (défaut : maintenant) ; ce qui a été signé avant reste valide / "
        "revoked from (default: now); what was signed before stays valid",
    )
    revoke_bench.add_argument(
        "--statement-out",
        type=Path,
        help="écrire la nouvelle déclaration de clé / write the new key statement (FILE)",
    )
    batch = sub.add_parser(
        "create-batch", help="créer un lot donateur et son lien / create a donor batch and its link"
    )
    batch.add_argument("--tenant", required=True)
    batch.add_argument("--code", required=True)
    batch.add_argument("--donor", required=True)
    export = sub.add_parser(
        "export", help="exporter rapports et certificats (JSON lines) / export evidence"
    )
    export.add_argument("--tenant")
    export.add_argument(
        "--output", "-o", help="fichier (défaut : sortie standard) / file (default: stdout)"
    )
    return parser


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    con = console or Console()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    from sqlalchemy.exc import SQLAlchemyError

    from central_inventory.admin import AdminError
    from central_inventory.config import ConfigError, Settings

    try:
        settings = Settings.from_env(con.environ)
        handler = _HANDLERS[args.command]
        return handler(args, settings, con)
    except ConfigError as exc:
        con.err(con.say(f"Configuration invalide : {exc}", f"Invalid configuration: {exc}"))
        return 3
    except AdminError as exc:
        fr, en = (exc.message["fr"], exc.message["en"]) if exc.message else (str(exc), str(exc))
        con.err(con.say(f"Refusé : {fr}", f"Refused: {en}"))
        return 1
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0][:300]
        con.err(
            con.say(
                f"Base de données inaccessible ou non migrée ({reason}). "
                "Vérifiez CENTRAL_DATABASE_URL et lancez « central-inventory migrate ».",
                f"Database unreachable or not migrated ({reason}). "
                "Check CENTRAL_DATABASE_URL and run `central-inventory migrate`.",
            )
        )
        return 3
    finally:
        while _ENGINES:
            _ENGINES.popitem()[1].dispose()


_ENGINES: dict[str, Any] = {}
"""Engines opened by this run, disposed when it ends (no connection left open)."""


def _engine(settings: Any) -> Any:
    from central_inventory.db import make_engine

    if settings.database_url not in _ENGINES:
        _ENGINES[settings.database_url] = make_engine(settings.database_url)
    return _ENGINES[settings.database_url]


def _sessions(settings: Any) -> Any:
    from central_inventory.db import make_sessionmaker

    return make_sessionmaker(_engine(settings))


def _emit(con: Console, args: argparse.Namespace, data: dict[str, Any], human: str) -> None:
    con.out(json.dumps(data, ensure_ascii=False) if args.json else human)


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def cmd_migrate(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.migrate import current_revision, upgrade

    engine = _engine(settings)
    upgrade(engine)
    revision = current_revision(engine)
    _emit(
        con,
        args,
        {"database": _redacted(settings.database_url), "revision": revision},
        con.say(
            f"Schéma à jour (révision {revision}) : {_redacted(settings.database_url)}",
            f"Schema up to date (revision {revision}): {_redacted(settings.database_url)}",
        ),
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Any, con: Console) -> int:
    import uvicorn

    from central_inventory.logs import log_config

    if not args.no_migrate:
        from central_inventory.migrate import upgrade

        # Once, here, before the workers start: several workers must not race to migrate.
        engine = _engine(settings)
        upgrade(engine)
        engine.dispose()
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    workers = args.workers or settings.workers
    con.err(
        con.say(
            f"Service sur http://{host}:{port} ({workers} processus)",
            f"Serving on http://{host}:{port} ({workers} workers)",
        )
    )
    uvicorn.run(
        "central_inventory.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(settings.log_level),
        access_log=False,
        server_header=False,
        ws="none",
        lifespan="off",
        # A worker busy with a burst of reports must not be killed as "hung": uvicorn's
        # default 5 s health check did so on a loaded 2-core machine.
        timeout_worker_healthcheck=30,
    )
    return 0


def cmd_create_tenant(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import create_tenant

    address = args.address.replace("\\n", "\n") if args.address is not None else None
    tenant_id = create_tenant(_sessions(settings), args.slug, args.name, address)
    _emit(
        con,
        args,
        {"tenant_id": tenant_id, "slug": args.slug.lower()},
        con.say(
            f"Reconditionneur créé : {args.slug} (id {tenant_id})",
            f"Tenant created: {args.slug} (id {tenant_id})",
        ),
    )
    return 0


def cmd_set_tenant(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import set_tenant_address

    address = args.address.replace("\\n", "\n")
    set_tenant_address(_sessions(settings), args.slug, address if address.strip() else None)
    _emit(
        con,
        args,
        {"slug": args.slug.lower(), "address": address.strip() or None},
        con.say(
            f"Reconditionneur modifié : {args.slug}",
            f"Tenant updated: {args.slug}",
        ),
    )
    return 0


def cmd_register_bench(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import AdminError, parse_public_key, register_bench
    from wipe.signing import fingerprint, key_id

    text = args.public_key
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AdminError(f"public key file {text[1:]!r}: {exc}") from None
    raw = parse_public_key(text)
    bench_pk = register_bench(_sessions(settings), args.tenant, args.name, raw, args.site)
    statement = _issue_statement(args, settings, con)
    _emit(
        con,
        args,
        {
            "bench_id": bench_pk,
            "name": args.name,
            "key_id": key_id(raw),
            "fingerprint": fingerprint(raw),
            "statement": statement,
        },
        con.say(
            f"Banc enregistré : {args.name} (clé {fingerprint(raw)})",
            f"Bench registered: {args.name} (key {fingerprint(raw)})",
        ),
    )
    return 0


def _issue_statement(
    args: argparse.Namespace, settings: Any, con: Console
) -> dict[str, Any] | None:
    """The bench's signed key statement (written to --statement-out), None without a
    network key (said on stderr: benches will get it once the key exists)."""
    import json

    from central_inventory.admin import AdminError, bench_statement
    from central_inventory.trust import NetworkKeyError, load_network_key

    try:
        network = load_network_key(settings.network_key)
    except NetworkKeyError as exc:
        raise AdminError(f"network key: {exc}") from None
    if network is None:
        con.err(
            con.say(
                "Pas de clé du réseau : aucune déclaration de clé émise "
                "(central-inventory init-network-key).",
                "No network key: no key statement issued (central-inventory init-network-key).",
            )
        )
        return None
    statement = bench_statement(_sessions(settings), args.name, network)
    if args.statement_out is not None:
        try:
            args.statement_out.write_text(
                json.dumps(statement, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise AdminError(f"{args.statement_out}: {exc.strerror or exc}") from None
    return statement


def cmd_init_network_key(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import AdminError
    from central_inventory.trust import NetworkKeyError, create_network_key
    from wipe.signing import public_key_pem

    if settings.network_key is None:
        raise AdminError("no network key path (CENTRAL_NETWORK_KEY)")
    try:
        key, created = create_network_key(settings.network_key)
    except NetworkKeyError as exc:
        raise AdminError(str(exc)) from None
    pem = public_key_pem(key.public_raw)
    _emit(
        con,
        args,
        {
            "path": str(settings.network_key),
            "created": created,
            "fingerprint": key.fingerprint,
            "public_key": key.public_b64,
            "public_key_pem": pem,
        },
        con.say(
            f"Clé du réseau {'créée' if created else 'existante'} : {settings.network_key}\n"
            f"Empreinte : {key.fingerprint}\n{pem}",
            f"Network key {'created' if created else 'already there'}: {settings.network_key}\n"
            f"Fingerprint: {key.fingerprint}\n{pem}",
        ).rstrip("\n"),
    )
    return 0


def cmd_create_token(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import create_token

    issued = create_token(
        _sessions(settings),
        args.role,
        tenant=args.tenant,
        bench=args.bench,
        label=args.label,
        valid_days=settings.token_days[args.role] if args.days is None else args.days,
    )
    _emit_token(con, args, issued)
    return 0


def _emit_token(con: Console, args: argparse.Namespace, issued: Any) -> None:
    expires = issued.expires_at.isoformat(timespec="seconds") if issued.expires_at else None
    _emit(
        con,
        args,
        {
            "token_id": issued.token_pk,
            "role": issued.role,
            "token": issued.token,
            "expires_at": expires,
        },
        issued.token,
    )
    until_fr = f"valable jusqu'au {expires}" if expires else "sans date d'expiration"
    until_en = f"valid until {expires}" if expires else "never expires"
    con.err(
        con.say(
            f"Jeton n° {issued.token_pk} ({issued.role}, {until_fr}) : conservez-le, "
            "il ne sera plus affiché.",
            f"Token #{issued.token_pk} ({issued.role}, {until_en}): keep it, "
            "it will not be shown again.",
        )
    )


def cmd_rotate_token(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import rotate_token
    from central_inventory.db import ApiToken

    sessions = _sessions(settings)
    with sessions() as session:
        row = session.get(ApiToken, args.token_id)
        role = row.role if row is not None else "bench"
    issued = rotate_token(
        sessions,
        args.token_id,
        overlap_hours=args.overlap_hours,
        valid_days=settings.token_days.get(role) if args.days is None else args.days,
    )
    _emit_token(con, args, issued)
    con.err(
        con.say(
            f"Ancien jeton n° {args.token_id} : révoqué."
            if args.overlap_hours == 0
            else f"Ancien jeton n° {args.token_id} : encore valable {args.overlap_hours} h.",
            f"Old token #{args.token_id}: revoked."
            if args.overlap_hours == 0
            else f"Old token #{args.token_id}: still valid for {args.overlap_hours} h.",
        )
    )
    return 0


def cmd_revoke_token(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import revoke_token

    revoke_token(_sessions(settings), args.token_id)
    _emit(
        con,
        args,
        {"token_id": args.token_id, "revoked": True},
        con.say(f"Jeton n° {args.token_id} révoqué.", f"Token #{args.token_id} revoked."),
    )
    return 0


def cmd_revoke_bench(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import AdminError, revoke_bench
    from wipe.trust import TrustError, parse_time

    at = None
    if args.at:
        try:
            at = parse_time(args.at)
        except TrustError as exc:
            raise AdminError(f"--at: {exc}") from None
    revoke_bench(_sessions(settings), args.name, at)
    statement = _issue_statement(args, settings, con)
    _emit(
        con,
        args,
        {"bench": args.name, "revoked": True, "statement": statement},
        con.say(f"Banc {args.name} désactivé.", f"Bench {args.name} deactivated."),
    )
    return 0


def cmd_create_batch(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import create_batch

    batch_id, token = create_batch(_sessions(settings), args.tenant, args.code, args.donor)
    url = f"{settings.link_base()}/donor/{token}"
    _emit(con, args, {"batch_id": batch_id, "code": args.code, "donor_url": url}, url)
    return 0


def cmd_export(args: argparse.Namespace, settings: Any, con: Console) -> int:
    from central_inventory.admin import AdminError, export

    sessions = _sessions(settings)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                counts = export(sessions, fh, args.tenant)
        except OSError as exc:
            raise AdminError(f"cannot write {args.output!r}: {exc}") from None
    else:
        counts = export(sessions, con.stdout, args.tenant)
    con.err(
        con.say(
            f"Exporté : {counts['reports']} rapport(s), {counts['certificates']} certificat(s).",
            f"Exported: {counts['reports']} report(s), {counts['certificates']} certificate(s).",
        )
    )
    return 0


_HANDLERS: dict[str, Callable[[argparse.Namespace, Any, Console], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "create-tenant": cmd_create_tenant,
    "set-tenant": cmd_set_tenant,
    "register-bench": cmd_register_bench,
    "create-token": cmd_create_token,
    "rotate-token": cmd_rotate_token,
    "revoke-token": cmd_revoke_token,
    "revoke-bench": cmd_revoke_bench,
    "init-network-key": cmd_init_network_key,
    "create-batch": cmd_create_batch,
    "export": cmd_export,
}


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
