"""bench-agent label: render the unit's label as a PDF, or print it through CUPS."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import add_host_dir_argument, host_error
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.host.base import Host
    from bench_agent.labels import LabelTemplate
    from bench_agent.model.report import UnitReport

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3
MAX_REPORT_BYTES = 32 << 20
"""A unit report is a few hundred kB at most; anything larger is not one."""
LP_TIMEOUT_S = 30.0
MAX_COPIES = 99


def register(sub: Any, env: Environment) -> None:
    from bench_agent.labels.template import DEFAULT_TEMPLATE

    p = sub.add_parser(
        "label",
        help=env.say(
            "étiquette de l'unité (PDF ou imprimante)", "the unit's label (PDF or printer)"
        ),
        description=env.say(
            "Produit l'étiquette de l'unité (catégorie, caractéristiques, batterie, "
            "effacement, QR code) en PDF ou l'envoie à une file CUPS.",
            "Renders the unit's label (category, specs, battery, erasure, QR code) as a PDF "
            "or sends it to a CUPS queue.",
        ),
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help=env.say(
            "rapport d'unité JSON, simple ou signé (inventory --save)",
            "UnitReport JSON, plain or signed (inventory --save)",
        ),
    )
    add_host_dir_argument(p, env)
    p.add_argument(
        "--template",
        default=DEFAULT_TEMPLATE,
        metavar="NAME",
        help=env.say(
            f"modèle d'étiquette (nom ou fichier .toml ; défaut {DEFAULT_TEMPLATE})",
            f"label template (name or .toml file; default {DEFAULT_TEMPLATE})",
        ),
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE.pdf",
        help=env.say("PDF à écrire", "PDF to write"),
    )
    target.add_argument(
        "--printer", metavar="QUEUE", help=env.say("file d'impression CUPS", "CUPS print queue")
    )
    p.add_argument(
        "--copies",
        type=int,
        default=1,
        metavar="N",
        help=env.say("nombre d'exemplaires", "number of copies"),
    )
    p.add_argument(
        "--qr-url-base",
        metavar="URL",
        help=env.say(
            "adresse du service central pour le QR code (défaut : BENCH_AGENT_CENTRAL_URL, "
            "puis sync.toml)",
            "central service URL for the QR code (default: BENCH_AGENT_CENTRAL_URL, "
            "then sync.toml)",
        ),
    )
    p.add_argument(
        "--server",
        metavar="HOST[:PORT]",
        help=env.say(
            "serveur CUPS (défaut : celui de la machine)", "CUPS server (default: this machine's)"
        ),
    )
    p.add_argument(
        "--list-templates",
        action="store_true",
        help=env.say("lister les modèles d'étiquette", "list the label templates"),
    )
    p.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    p.set_defaults(handler=run_label)


def run_label(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.grading.toml_source import ProfileError
    from bench_agent.labels import FontMissingError, label_content, load_template, render_label

    if args.list_templates:
        return _list_templates(args, env)
    if args.output is None and args.printer is None:
        env.err(
            env.say(
                "Indiquez --output FICHIER.pdf ou --printer FILE_CUPS",
                "Give --output FILE.pdf or --printer CUPS_QUEUE",
            )
        )
        return EXIT_USAGE
    if not 1 <= args.copies <= MAX_COPIES:
        env.err(
            env.say(
                f"--copies : entre 1 et {MAX_COPIES}, pas {args.copies}",
                f"--copies: between 1 and {MAX_COPIES}, not {args.copies}",
            )
        )
        return EXIT_USAGE
    try:
        template = load_template(args.template)
    except ProfileError as exc:
        env.err(
            env.say("Modèle d'étiquette invalide : ", "Invalid label template: ") + env.t(exc.text)
        )
        return EXIT_USAGE
    loaded = _load_report(args, env)
    if isinstance(loaded, int):
        return loaded
    report = loaded
    base_url, warning = qr_url_base(args.qr_url_base, env)
    if warning:
        env.err(warning)
    content = label_content(report, env.lang, base_url)
    title = label_title(report)
    try:
        rendered = render_label(content, template, title=title)
    except FontMissingError as exc:
        env.err(env.say(f"Police introuvable : {exc}", f"Font not found: {exc}"))
        return EXIT_ENVIRONMENT
    result: dict[str, Any] = {
        "template": template.name,
        "page_mm": [template.spec.width_mm, template.spec.height_mm],
        "qr": content.qr_payload,
        "lines": rendered.lines,
        "copies": args.copies,
    }
    if args.output is not None:
        code = _write_pdf(args.output, rendered.pdf, env)
        if code:
            return code
        result["output"] = str(args.output)
        if not args.json:
            env.out(
                env.say(
                    f"Étiquette écrite : {args.output} ({template.name})",
                    f"Label written: {args.output} ({template.name})",
                )
            )
    else:
        code, job_id = _print(args, env, rendered.pdf, template, title)
        if code:
            return code
        result.update(printer=args.printer, job_id=job_id)
        if not args.json:
            env.out(
                env.say(
                    f"Étiquette envoyée à {args.printer} : tâche {job_id} "
                    f"({args.copies} exemplaire{'s' if args.copies > 1 else ''}, {template.name})",
                    f"Label sent to {args.printer}: job {job_id} "
                    f"({args.copies} cop{'ies' if args.copies > 1 else 'y'}, {template.name})",
                )
            )
    if args.json:
        env.out(json.dumps(result, ensure_ascii=False, indent=2))
    return EXIT_OK


def label_title(report: UnitReport) -> str:
    """The job title (cups-pdf names its file after it): the serial and the report id."""
    from bench_agent.labels.content import clean_text

    serial = clean_text(report.unit.serial, 40) or clean_text(report.unit.asset_tag, 40) or "unit"
    return f"etiquette {serial} {report.report_id[:8]}"


def _list_templates(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.grading.toml_source import ProfileError
    from bench_agent.labels import list_templates, load_template
    from bench_agent.labels.template import DEFAULT_TEMPLATE

    rows: list[dict[str, Any]] = []
    code = EXIT_OK
    for path in list_templates():
        try:
            template = load_template(path)
        except ProfileError as exc:
            env.err(env.t(exc.text))
            code = EXIT_USAGE
            continue
        spec = template.spec
        rows.append(
            {
                "name": template.name,
                "width_mm": spec.width_mm,
                "height_mm": spec.height_mm,
                "stock": spec.stock,
                "description": env.t(template.description),
                "default": template.name == DEFAULT_TEMPLATE,
            }
        )
    if args.json:
        env.out(json.dumps(rows, ensure_ascii=False, indent=2))
        return code
    for row in rows:
        default = env.say(" (défaut)", " (default)") if row["default"] else ""
        env.out(
            f"{row['name']:<20} {row['width_mm']:g} × {row['height_mm']:g} mm  "
            f"{row['description']}{default} — {row['stock']}"
        )
    return code


def qr_url_base(given: str | None, env: Environment) -> tuple[str | None, str | None]:
    """--qr-url-base, then BENCH_AGENT_CENTRAL_URL, then ``[central] url`` in
    ``$BENCH_AGENT_HOME/sync.toml``; with a warning when sync.toml is unreadable."""
    import tomllib

    from bench_agent.commands.erase import bench_home

    if given:
        return given, None
    if env.environ.get("BENCH_AGENT_CENTRAL_URL"):
        return env.environ["BENCH_AGENT_CENTRAL_URL"], None
    path = bench_home(env) / "sync.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, env.say(
            f"Attention : {path} illisible ({exc}) ; le QR code porte la clé de l'unité.",
            f"Warning: {path} unreadable ({exc}); the QR code carries the unit key.",
        )
    central = data.get("central")
    url = central.get("url") if isinstance(central, dict) else None
    return (url, None) if isinstance(url, str) and url else (None, None)


def _load_report(args: argparse.Namespace, env: Environment) -> UnitReport | int:
    if args.report is None:
        return _report_from_host(args, env)
    return load_report_file(args.report, env)


def load_report_file(path: Path, env: Environment) -> UnitReport | int:
    """A UnitReport from a plain JSON file or a signed envelope (signature checked)."""
    import msgspec

    from bench_agent.model.report import UnitReport
    from wipe.signing import SignatureError, verify_envelope

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        env.err(
            env.say(
                f"Rapport illisible : {path} ({exc.strerror})",
                f"Report not readable: {path} ({exc.strerror})",
            )
        )
        return EXIT_ENVIRONMENT
    if len(raw) > MAX_REPORT_BYTES:
        env.err(
            env.say(
                f"Rapport trop gros : {path} (plus de {MAX_REPORT_BYTES >> 20} Mio)",
                f"Report too large: {path} (over {MAX_REPORT_BYTES >> 20} MiB)",
            )
        )
        return EXIT_ENVIRONMENT
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        env.err(
            env.say(
                f"Rapport invalide : {path} n'est pas du JSON ({exc})",
                f"Invalid report: {path} is not JSON ({exc})",
            )
        )
        return EXIT_ENVIRONMENT
    if isinstance(data, dict) and "signature" in data:
        try:
            data = verify_envelope(data)
        except SignatureError as exc:
            env.err(
                env.say(
                    f"Rapport signé refusé : {path} : {exc}. Aucune étiquette produite.",
                    f"Signed report refused: {path}: {exc}. No label produced.",
                )
            )
            return EXIT_PROBLEM
    try:
        return msgspec.convert(data, UnitReport)
    except msgspec.ValidationError as exc:
        env.err(
            env.say(
                f"Rapport invalide : {path} : {exc}",
                f"Invalid report: {path}: {exc}",
            )
        )
        return EXIT_ENVIRONMENT


def _report_from_host(args: argparse.Namespace, env: Environment) -> UnitReport | int:
    from bench_agent.host import open_host
    from bench_agent.inventory import collect_inventory
    from bench_agent.unit import build_report

    try:
        host = open_host(args.host_dir)
        return build_report(collect_inventory(host))
    except (LookupError, OSError, ValueError) as exc:  # FixtureMissingError is a LookupError
        message = host_error(exc, args.host_dir, env)
        env.err(message or env.say(f"Inventaire impossible : {exc}", f"Inventory failed: {exc}"))
        return EXIT_ENVIRONMENT


def _write_pdf(path: Path, pdf: bytes, env: Environment) -> int:
    """Write atomically: a half-written label never reaches a printer's hot folder."""
    import os

    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(pdf)
        os.replace(tmp, path)
    except OSError as exc:
        env.err(
            env.say(
                f"Écriture impossible : {path} ({exc.strerror})",
                f"Cannot write: {path} ({exc.strerror})",
            )
        )
        return EXIT_ENVIRONMENT
    return EXIT_OK


def printer_host() -> Host:
    """The host that runs lp (a seam tests replace)."""
    from bench_agent.host.live import LiveHost

    return LiveHost()


def _print(
    args: argparse.Namespace, env: Environment, pdf: bytes, template: LabelTemplate, title: str
) -> tuple[int, str | None]:
    import os
    import tempfile

    from bench_agent.labels import printing

    host = printer_host()
    queue, server = args.printer, args.server
    running = printing.scheduler_running(host.run(printing.scheduler_argv(server), 10.0))
    if running is None and host.which("lpstat") is None:
        env.err(
            env.say(
                "Commandes CUPS introuvables (lpstat, lp) : installez cups-client.",
                "CUPS commands not found (lpstat, lp): install cups-client.",
            )
        )
        return EXIT_ENVIRONMENT, None
    if running is False:
        env.err(
            env.say(
                "Le service d'impression CUPS n'est pas démarré"
                + (f" sur {server}" if server else "")
                + " : lancez-le (systemctl start cups) puis réessayez.",
                "The CUPS print service is not running"
                + (f" on {server}" if server else "")
                + ": start it (systemctl start cups) and try again.",
            )
        )
        return EXIT_ENVIRONMENT, None
    fd, name = tempfile.mkstemp(prefix="bench-label-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
        argv = printing.lp_argv(
            queue, name, copies=args.copies, media=template.media, title=title, server=server
        )
        # lp has sent the file to the spooler when it returns: the temporary file can go.
        outcome = printing.parse_lp_result(host.run(argv, LP_TIMEOUT_S))
    except OSError as exc:
        env.err(
            env.say(f"Fichier temporaire impossible : {exc}", f"Cannot write a temp file: {exc}")
        )
        return EXIT_ENVIRONMENT, None
    finally:
        Path(name).unlink(missing_ok=True)
    if outcome.ok:
        if printing.queue_disabled(host.run(printing.queue_state_argv(queue, server), 10.0)):
            env.err(
                env.say(
                    f"Attention : la file {queue} est arrêtée ; la tâche {outcome.job_id} attend "
                    f"(cupsenable {queue} pour la relancer).",
                    f"Warning: queue {queue} is stopped; job {outcome.job_id} is waiting "
                    f"(cupsenable {queue} restarts it).",
                )
            )
        return EXIT_OK, outcome.job_id
    if outcome.problem == "not-installed":
        env.err(
            env.say(
                "Commande lp introuvable : installez cups-client.",
                "lp not found: install cups-client.",
            )
        )
        return EXIT_ENVIRONMENT, None
    if outcome.problem == "timeout":
        env.err(
            env.say(
                f"lp n'a pas répondu en {LP_TIMEOUT_S:g} s : le service CUPS est-il bloqué ?",
                f"lp did not answer within {LP_TIMEOUT_S:g} s: is the CUPS service stuck?",
            )
        )
        return EXIT_ENVIRONMENT, None
    if outcome.problem == "no-queue":
        known = printing.queue_names(host.run(printing.queues_argv(server), 10.0))
        listed = ", ".join(known) if known else env.say("aucune", "none")
        env.err(
            env.say(
                f"File d'impression inconnue : {queue}. Files disponibles : {listed}.",
                f"Unknown print queue: {queue}. Available queues: {listed}.",
            )
        )
        return EXIT_PROBLEM, None
    if outcome.problem == "not-accepting":
        env.err(
            env.say(
                f"La file {queue} refuse les tâches (cupsaccept {queue} pour la rouvrir).",
                f"Queue {queue} is not accepting jobs (cupsaccept {queue} reopens it).",
            )
        )
        return EXIT_PROBLEM, None
    env.err(
        env.say(f"L'impression a échoué : {outcome.detail}", f"Printing failed: {outcome.detail}")
    )
    return EXIT_PROBLEM, None
