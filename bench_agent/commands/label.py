"""bench-agent label: render the unit's label as a PDF, or print it through CUPS.

The label is the bench's (:mod:`bench_agent.bench.labels`): from a saved report
(``--report``), the unit on the bench (``--sitting``, refused while a disk is not
erased) or a machine read now; this module reads the options and prints."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import (
    add_host_dir_argument,
    bench_paths,
    host_error,
    open_machine,
    open_sitting,
    this_machine,
)
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.model.report import UnitReport

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3


def register(sub: Any, env: Environment) -> None:
    from bench_agent.bench.labels import MAX_COPIES
    from bench_agent.labels.template import DEFAULT_TEMPLATE

    p = sub.add_parser(
        "label",
        help=env._("étiquette de l'unité (PDF ou imprimante)"),
        description=env._(
            "Produit l'étiquette de l'unité (catégorie, caractéristiques, batterie, "
            "effacement, QR code) en PDF ou l'envoie à une file CUPS : d'un rapport "
            "enregistré (--report), de l'unité en cours sur le banc (--sitting : refusée "
            "tant qu'un disque n'est pas effacé) ou de la machine lue maintenant."
        ),
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help=env._(
            "rapport d'unité JSON, simple ou signé (inventory --save, grade --save, erase --report)"
        ),
    )
    source.add_argument(
        "--sitting",
        action="store_true",
        help=env._(
            "l'unité en cours sur le banc (sa dernière révision enregistrée) ; sans --output "
            "ni --printer, le PDF va dans le dossier des étiquettes du banc"
        ),
    )
    add_host_dir_argument(p, env)
    p.add_argument(
        "--template",
        default=None,
        metavar="NAME",
        help=env._(
            "modèle d'étiquette (nom ou fichier .toml ; défaut : celui de l'imprimante du "
            "site, sinon {default_template})",
            default_template=DEFAULT_TEMPLATE,
        ),
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE.pdf",
        help=env._("PDF à écrire"),
    )
    target.add_argument("--printer", metavar="QUEUE", help=env._("file d'impression CUPS"))
    p.add_argument(
        "--copies",
        type=int,
        default=1,
        metavar="N",
        help=env._("nombre d'exemplaires (1 à {max_copies})", max_copies=MAX_COPIES),
    )
    p.add_argument(
        "--qr-url-base",
        metavar="URL",
        help=env._(
            "adresse du service central pour le QR code (défaut : BENCH_AGENT_CENTRAL_URL, "
            "puis sync.toml)"
        ),
    )
    p.add_argument(
        "--server",
        metavar="HOST[:PORT]",
        help=env._("serveur CUPS (défaut : celui de la machine)"),
    )
    p.add_argument(
        "--list-templates",
        action="store_true",
        help=env._("lister les modèles d'étiquette"),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.set_defaults(handler=run_label)


def run_label(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import labels
    from bench_agent.bench.reports import load_report_file

    if args.list_templates:
        return _list_templates(args, env)
    if not 1 <= args.copies <= labels.MAX_COPIES:
        env.err(
            env._(
                "--copies : entre 1 et {max_copies}, pas {copies}",
                max_copies=labels.MAX_COPIES,
                copies=args.copies,
            )
        )
        return EXIT_USAGE
    if args.sitting:
        return _label_sitting(args, env)
    from bench_agent.bench.site import load_site
    from bench_agent.labels.template import DEFAULT_TEMPLATE

    site = load_site(bench_paths(env), env.environ)
    site_printer = site.printer if args.output is None and args.printer is None else None
    if args.output is None and args.printer is None and site_printer is None:
        env.err(
            env._(
                "Indiquez --output FICHIER.pdf ou --printer FILE_CUPS (ou une imprimante "
                "[printer] dans site.toml)"
            )
        )
        return EXIT_USAGE
    if args.template is None:
        args.template = labels.default_template(site_printer) if site_printer else DEFAULT_TEMPLATE
    template = labels.load_template(args.template)
    if args.report is not None:
        report = load_report_file(args.report).report
    else:
        loaded = _report_from_host(args, env)
        if isinstance(loaded, int):
            return loaded
        report = loaded
    base_url, warning = labels.qr_url_base(bench_paths(env), env.environ, args.qr_url_base)
    if warning:
        env.err(env.t(warning))
    rendered = labels.render(report, template, env.lang, base_url, site.organisation)
    result: dict[str, Any] = {
        "template": template.name,
        "page_mm": [template.spec.width_mm, template.spec.height_mm],
        "qr": rendered.qr,
        "lines": rendered.lines,
        "copies": args.copies,
    }
    if args.output is not None:
        labels.write_pdf(args.output, rendered.pdf)
        result["output"] = str(args.output)
        if not args.json:
            env.out(
                env._(
                    "Étiquette écrite : {output} ({name})", output=args.output, name=template.name
                )
            )
    elif site_printer is not None:
        done = labels.print_label(this_machine(env), rendered, site_printer, copies=args.copies)
        for w in done.warnings:
            env.err(env.t(w))
        result.update(printer=done.printer, kind=done.kind, job_id=done.job)
        if not args.json:
            env.out(
                env._(
                    "Étiquette envoyée à l'imprimante {printer} ({kind}, {copies} ex., {template})",
                    printer=done.printer,
                    kind=done.kind,
                    copies=args.copies,
                    template=template.name,
                )
            )
    else:
        job_id, warnings = labels.print_pdf(
            this_machine(env),
            rendered,
            args.printer,
            copies=args.copies,
            server=args.server,
        )
        for w in warnings:
            env.err(env.t(w))
        result.update(printer=args.printer, job_id=job_id)
        if not args.json:
            env.out(
                env._(
                    "Étiquette envoyée à {printer} : tâche {job_id} "
                    "({copies} exemplaires, {template})",
                    printer=args.printer,
                    job_id=job_id,
                    copies=args.copies,
                    template=template.name,
                )
                if args.copies > 1
                else env._(
                    "Étiquette envoyée à {printer} : tâche {job_id} "
                    "({copies} exemplaire, {template})",
                    printer=args.printer,
                    job_id=job_id,
                    copies=args.copies,
                    template=template.name,
                )
            )
    if args.json:
        env.out(json.dumps(result, ensure_ascii=False, indent=2))
    return EXIT_OK


def _label_sitting(args: argparse.Namespace, env: Environment) -> int:
    """The label of the unit on the bench, from its saved revision (Bench.make_label:
    refused, with the reasons, while the unit may not be labelled)."""
    from bench_agent.bench import labels

    if args.copies != 1 or args.server:
        env.err(
            env._(
                "--sitting imprime un exemplaire sur le serveur CUPS de la machine : sans "
                "--copies ni --server (ou --report avec le rapport de l'unité)."
            )
        )
        return EXIT_USAGE
    environ = dict(env.environ)
    if args.qr_url_base:
        environ["BENCH_AGENT_CENTRAL_URL"] = args.qr_url_base
    bench = open_sitting(env, this_machine(env), None, environ)
    text = bench.make_label(lang=env.lang, printer=args.printer, template=args.template)
    record = bench.record
    assert record.label is not None and record.label.output is not None
    pdf = Path(record.label.output)
    if args.output is not None:
        labels.write_pdf(args.output, pdf.read_bytes())
        pdf = args.output
    if args.json:
        env.out(
            json.dumps(
                {
                    "report_id": record.report_id,
                    "revision": record.label_revision,
                    "report_revision": record.saved_revision,
                    "copy": record.label.copy,
                    "reprint": record.label.reprint,
                    "template": record.label.template,
                    "output": str(pdf),
                    "printer": args.printer,
                    "message": env.t(text),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif args.output is not None:
        env.out(
            env._(
                "Étiquette écrite : {pdf} (révision {label_revision})",
                pdf=pdf,
                label_revision=record.label_revision,
            )
        )
    else:
        env.out(env.t(text))
    return EXIT_OK


def _list_templates(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import labels
    from bench_agent.labels.template import DEFAULT_TEMPLATE

    rows: list[dict[str, Any]] = []
    code = EXIT_OK
    for template, problem in labels.templates():
        if template is None:
            assert problem is not None
            env.err(env.t(problem))
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
        default = env._(" (défaut)") if row["default"] else ""
        env.out(
            f"{row['name']:<20} {row['width_mm']:g} × {row['height_mm']:g} mm  "
            f"{row['description']}{default} — {row['stock']}"
        )
    return code


def _report_from_host(args: argparse.Namespace, env: Environment) -> UnitReport | int:
    from bench_agent.inventory import collect_inventory
    from bench_agent.unit import build_report

    try:
        host = open_machine(env, args.host_dir)
        return build_report(collect_inventory(host))
    except (LookupError, OSError, ValueError) as exc:  # FixtureMissingError is a LookupError
        message = host_error(exc, args.host_dir, env)
        env.err(message or env._("Inventaire impossible : {exc}", exc=exc))
        return EXIT_ENVIRONMENT
