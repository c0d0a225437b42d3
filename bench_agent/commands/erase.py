"""bench-agent erase: certified erasure of selected disks (several at once).

The flow is the bench's (:mod:`bench_agent.bench.erasure`): refusals, the plan per drive,
frozen drives, resume, the run, the outbox; this module reads the options, asks the
technician and prints. With ``--report`` or ``--sitting`` the certificates are attached
to that unit."""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import bench_paths, open_sitting, this_machine
from bench_agent.context import Environment
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.erasure import DrivePlan
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.service import Bench
    from bench_agent.model.report import UnitReport
    from wipe.engine import EraseOutcome
    from wipe.runner_protocol import Runner

OK_RESULTS = frozenset({"ERASED", "DRY_RUN"})


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "erase",
        help=env._("effacement certifié des disques"),
        description=env._(
            "Efface les disques choisis (en parallèle), vérifie, et écrit un certificat signé "
            "par disque. Refuse le disque de démarrage, les disques montés, en swap ou utilisés "
            "(LVM, RAID). Sans --yes-i-know, chaque disque doit être confirmé par son numéro "
            "de série."
        ),
    )
    p.add_argument("devices", nargs="*", metavar="DEVICE", help="/dev/sdX, /dev/nvme0n1...")
    p.add_argument(
        "--list",
        action="store_true",
        help=env._("lister les disques et les refus"),
    )
    p.add_argument(
        "--all",
        action="store_true",
        help=env._("avec --list : montrer aussi les périphériques sans support (taille nulle)"),
    )
    p.add_argument(
        "--method",
        default="auto",
        help=env._(
            "méthode (zero, one, random, dod-3pass, dod-7pass, hmg-is5-baseline, "
            "hmg-is5-enhanced, un fichier .toml, une méthode micrologicielle) ; "
            "auto = politique par type de support (défaut)"
        ),
    )
    p.add_argument(
        "--verify",
        metavar="MODE",
        help=env._("vérification : none, last, all, sampled:<pourcent>"),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=env._("simulation : rien n'est écrit"),
    )
    p.add_argument(
        "--yes-i-know",
        action="store_true",
        help=env._("poste d'effacement sans surveillance : pas de confirmation"),
    )
    p.add_argument(
        "--unfreeze",
        action="store_true",
        help=env._(
            "si un disque ATA est gelé (frozen) par le BIOS, mettre l'ordinateur en veille 5 s "
            "pour le dégeler, sans demander (sinon la question est posée)"
        ),
    )
    p.add_argument(
        "--abort-on-error",
        action="store_true",
        help=env._("arrêter au premier secteur en erreur"),
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help=env._("reprendre la session interrompue de ce disque (même méthode)"),
    )
    p.add_argument(
        "--cert-dir",
        metavar="DIR",
        help=env._("dossier des certificats"),
    )
    p.add_argument("--asset-tag", metavar="T", help=env._("numéro d'inventaire"))
    p.add_argument("--operator", metavar="NAME", help=env._("technicien·ne"))
    p.add_argument("--role", metavar="ROLE", help=env._("fonction"))
    p.add_argument("--organisation", metavar="ORG", help=env._("structure"))
    p.add_argument("--location", metavar="WHERE", help=env._("lieu"))
    p.add_argument("--donor", metavar="NAME", help=env._("donateur"))
    p.add_argument(
        "--destination",
        choices=["reuse", "recycle", "destroy"],
        default="reuse",
        help=env._(
            "destination des disques après effacement : reuse (réemploi, défaut), "
            "recycle (recyclage), destroy (destruction)"
        ),
    )
    p.add_argument(
        "--contact",
        metavar="C",
        help=env._("contact (tél., courriel)"),
    )
    p.add_argument("--key", metavar="FILE", help=env._("clé du banc"))
    p.add_argument("--journal", metavar="FILE", help=env._("journal"))
    p.add_argument("--policy", metavar="FILE", help=env._("politique"))
    unit = p.add_mutually_exclusive_group()
    unit.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help=env._(
            "rapport de l'unité dont viennent les disques (inventory --save) : les certificats "
            "y sont joints, dans une nouvelle révision signée (l'étiquette dit alors ce "
            "qu'ils disent)"
        ),
    )
    unit.add_argument(
        "--sitting",
        action="store_true",
        help=env._(
            "joindre les certificats à l'unité en cours sur le banc (celle de l'application)"
        ),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.set_defaults(handler=run_erase)


def _list(args: argparse.Namespace, env: Environment) -> int:
    import json

    from bench_agent.bench import erasure

    targets = erasure.list_targets(with_empty=True)
    if args.json:
        env.out(
            json.dumps(
                [
                    {
                        **t.identity(),
                        "erasable": t.erasable,
                        "refusals": [r.as_dict() for r in t.refusals],
                    }
                    for t in targets
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    shown = [t for t in targets if args.all or t.size_bytes]
    hidden = len(targets) - len(shown)
    env.out(
        # Columns aligned by spaces: the translation keeps the same widths.
        env._("PÉRIPHÉRIQUE        TAILLE  TYPE    BUS    MODÈLE [SÉRIE]  → ÉTAT")
    )
    for t in shown:
        status = (
            env._("effaçable")
            if t.erasable
            else "; ".join(env.t(Text(fr=r.fr, en=r.en)) for r in t.refusals)
        )
        env.out(
            f"{t.device_path:<16} {env.t(erasure.human_size(t.size_bytes)):>9}  {t.media:<7} "
            f"{t.transport or '?':<6} {t.model or '?'} [{t.serial or '-'}]  → {status}"
        )
    if hidden:
        env.out(
            env._(
                "({hidden} périphérique(s) sans support masqué(s) : --all pour les voir)",
                hidden=hidden,
            )
        )
    return 0


def _confirm(target: Any, env: Environment) -> bool:
    """Interactive confirmation: type the serial (or its last 4 characters)."""
    from bench_agent.bench import erasure

    token = target.confirmation_token
    prompt = env._(
        "Effacer DÉFINITIVEMENT {device_path} ({model}, "
        "série {token}) ? Tapez le numéro de série ou ses 4 derniers caractères : ",
        device_path=target.device_path,
        model=target.model or "?",
        token=token,
    )
    env.stdout.write(prompt)
    env.stdout.flush()
    return erasure.confirmation_ok(target, sys.stdin.readline())


def offer_unfreeze(
    plans: list[DrivePlan], runner: Runner, args: argparse.Namespace, env: Environment
) -> None:
    """Find drives the BIOS froze among those about to get a firmware method; suspend
    and resume to unfreeze them if the technician agrees (or ``--unfreeze``). Nothing is
    erased yet; a drive still frozen gets the overwrite."""
    from bench_agent.bench import erasure

    frozen = erasure.frozen_drives(plans, runner)
    if not frozen:
        return
    names = ", ".join(frozen)
    env.err(
        env._(
            "Disque gelé par le BIOS (sécurité ATA « frozen ») : {names}. L'effacement "
            "micrologiciel Security Erase est impossible tant qu'il l'est ; une mise en veille "
            "de 5 s suivie du réveil le dégèle en général.",
            names=names,
        )
    )
    if args.dry_run:
        return
    if not args.unfreeze:
        if args.yes_i_know or not sys.stdin.isatty():
            env.err(env._("Pas de mise en veille sans --unfreeze : l'écrasement sera utilisé."))
            return
        env.stdout.write(env._("Mettre l'ordinateur en veille 5 s maintenant ? [o/N] "))
        env.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("o", "oui", "y", "yes"):
            return
    for line in erasure.unfreeze(frozen, [p.target for p in plans], runner):
        env.err(env.t(line))


# -- the unit the erased drives belong to ------------------------------------------------


@dataclass
class _Unit:
    """Where the certificates go besides the outbox: nowhere (plain ``erase``), a saved
    report (``--report``) or the bench's sitting (``--sitting``)."""

    source: dict[str, Any] | None = None
    """The computer the drives are in, when the unit says it."""
    asset_tag: str | None = None
    report_path: Path | None = None
    report: UnitReport | None = None
    bench: Bench | None = None
    notes: list[Text] = field(default_factory=list)

    def attach(self, paths: BenchPaths, outcomes: list[EraseOutcome], now: str) -> list[Text]:
        """Attach the real certificates to the unit; the sentences to print."""
        from bench_agent.bench import erasure, reports
        from bench_agent.bench.errors import BenchError

        found = erasure.summaries(outcomes)
        if not found:
            return []
        if self.bench is not None:
            self.bench.add_certificates(outcomes)
            name = self.bench.record.unit_id or self.bench.record.report_id[:8]
            return [_t("Certificats joints à l'unité en cours ({name}).", name=name)]
        if self.report is None or self.report_path is None:
            return []
        report = self.report
        report.erasures = erasure.merge_summaries(report.erasures, found)
        report.created_at = now
        notes: list[Text] = []
        if report.grade is not None:
            try:
                grade, notes = reports.regrade(report, now, paths)
                report.grade = grade
                if grade is not None and grade.cosmetic:
                    report.cosmetic_grade = grade.cosmetic
            except BenchError as exc:
                notes.append(_t("Catégorie non recalculée : {text}", text=exc.text))
        saved = reports.save_report_file(paths, self.report_path, report)
        if saved.signed:
            notes.append(
                _t(
                    "Certificats joints au rapport : {path} (révision {revision})",
                    path=saved.path,
                    revision=saved.revision,
                )
            )
        else:
            notes.append(_t("Certificats joints au rapport : {path}", path=saved.path))
        if saved.outbox_problem is not None:
            notes.append(saved.outbox_problem)
        return notes


def _unit(args: argparse.Namespace, env: Environment, runner: Runner | None) -> _Unit:
    """The unit named by --report or --sitting, read before anything is erased (a
    tampered report or a missing sitting stops the command here)."""
    from bench_agent.bench import erasure, reports

    if args.report is not None:
        report = reports.load_report_file(args.report).report
        return _Unit(
            source=erasure.source_computer(report.inventory),
            asset_tag=report.unit.asset_tag,
            report_path=args.report,
            report=report,
        )
    if args.sitting:
        bench = open_sitting(env, this_machine(env), runner)
        record = bench.record
        return _Unit(
            source=erasure.source_computer(record.inventory) if record.inventory else None,
            asset_tag=record.unit_id,
            bench=bench,
        )
    return _Unit()


# -- the command -----------------------------------------------------------------------


def run_erase(args: argparse.Namespace, env: Environment) -> int:
    import json

    from bench_agent.bench import erasure
    from bench_agent.bench.errors import BenchError

    if args.list:
        return _list(args, env)
    if not args.devices:
        env.err(env._("Indiquez au moins un disque (ou --list)."))
        return 2

    paths = bench_paths(env)
    # Usage first: a bad method, verification or policy is refused before any disk is read.
    policy = erasure.load_policy(args.policy)
    verification = erasure.parse_verification(args.verify) if args.verify else None
    method, firmware = (None, None) if args.method == "auto" else erasure.chosen_method(args.method)
    runner = this_machine(env)
    # The unit next: a tampered report or a missing sitting stops before any disk is read.
    unit = _unit(args, env, runner)

    targets = erasure.select(list(args.devices))
    refused = erasure.refusal_lines(targets)
    if refused:
        for line in refused:
            env.err(env.t(line))
        env.err(env._("Aucun disque n'a été effacé."))
        return 1

    if not args.dry_run and not args.yes_i_know:
        if not sys.stdin.isatty():
            env.err(
                env._(
                    "Confirmation requise : lancez-le dans un terminal, ou --yes-i-know (poste "
                    "sans surveillance)."
                )
            )
            return 2
        for t in targets:
            if not _confirm(t, env):
                env.err(
                    env._(
                        "Non confirmé : {device_path}. Aucun disque effacé.",
                        device_path=t.device_path,
                    )
                )
                return 1

    setup = erasure.EraseSetup(
        paths,
        erasure.bench_key(Path(args.key) if args.key else paths.key),
        policy,
        runner,
        Path(args.cert_dir) if args.cert_dir else paths.certificates,
        Path(args.journal) if args.journal else paths.journal,
    )
    plans = erasure.plan(
        targets, policy, method=method, firmware=firmware, verification=verification
    )
    offer_unfreeze(plans, runner, args, env)

    live = env.stdout.isatty() and not args.json
    lock = threading.Lock()

    def progress(p: Any) -> None:
        if live:
            with lock:
                env.out(env.t(erasure.progress_text(p)))

    ctx = setup.context(
        operator=erasure.operator(
            args.operator,
            role=args.role,
            organisation=args.organisation,
            location=args.location,
            contact=args.contact,
            donor=args.donor,
        ),
        source=unit.source or erasure.probed_source_computer(runner),
        progress=progress,
    )
    for o in setup.record_interrupted(ctx):
        env.err(
            env._(
                "Session interrompue enregistrée : {device_path} → {certificate_path}",
                device_path=o.device_path,
                certificate_path=o.certificate_path,
            )
        )

    if args.resume:
        resumes = {}
        for p in plans:
            point = setup.resume_point(p.target, p.method)
            resumes[p.target.device_path] = point
            env.err(
                env._(
                    "Reprise de {device_path} : passe {pass_index}, "
                    "à partir de {offset_bytes} octets",
                    device_path=p.target.device_path,
                    pass_index=point.pass_index + 1,
                    offset_bytes=point.offset_bytes,
                )
            )
        plans = erasure.plan(
            targets,
            policy,
            resumes=resumes,
            method=method,
            firmware=firmware,
            verification=verification,
        )

    requests = erasure.requests_for(
        setup,
        plans,
        dry_run=args.dry_run,
        asset_tag=args.asset_tag or unit.asset_tag,
        abort_on_error=args.abort_on_error,
        destination=args.destination,
    )
    results = _run_until_done(requests, ctx, env)
    for problem in erasure.enqueue_certificates(paths, results):
        env.err(env.t(problem))
    attach_code = 0
    try:
        for note in unit.attach(paths, results, _now()):
            env.err(env.t(note))
    except BenchError as exc:  # the certificates are written and in the outbox
        env.err(env.t(exc.text))
        attach_code = exc.exit_code

    if args.json:
        env.out(
            json.dumps(
                [
                    {
                        "device": o.device_path,
                        "result": o.result,
                        "certificate": str(o.certificate_path) if o.certificate_path else None,
                        "reasons": o.reasons_fr if env.lang != "en" else o.reasons_en,
                    }
                    for o in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        env.out(env._("Résumé :"))
        for o in results:
            env.out(
                f"  {o.device_path}: {o.result}"
                + (f" → {o.certificate_path}" if o.certificate_path else "")
            )
            for reason in o.reasons_en if env.lang == "en" else o.reasons_fr:
                env.out(f"      {reason}")
    erased = bool(results) and all(o.result in OK_RESULTS for o in results)
    return attach_code or (0 if erased else 1)


def _now() -> str:
    from bench_agent.bench.service import utc_now

    return utc_now()


def _run_until_done(requests: list[Any], ctx: Any, env: Environment) -> list[EraseOutcome]:
    """Erase in a worker thread; Ctrl-C, SIGTERM and SIGHUP stop every drive cleanly."""
    from bench_agent.bench import erasure

    results: list[EraseOutcome] = []
    worker = threading.Thread(
        target=lambda: results.extend(erasure.run(requests, ctx)), name="erase-many", daemon=True
    )

    def stop_cleanly(*_: Any) -> None:
        # Ctrl-C, the service manager's SIGTERM, a closed terminal's SIGHUP: every drive
        # stops at its next block and gets an ABORTED certificate, not a torn session.
        ctx.cancel.set()
        env.err(env._("Interruption demandée : arrêt propre en cours…"))

    previous = _install_stop_handlers(stop_cleanly)
    try:
        worker.start()
        while worker.is_alive():
            try:
                worker.join(timeout=0.5)
            except KeyboardInterrupt:
                stop_cleanly()
    finally:
        _restore_handlers(previous)
    return results


def _install_stop_handlers(handler: Any) -> dict[int, Any]:
    """SIGTERM and SIGHUP call ``handler`` (main thread only; elsewhere nothing changes)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    import signal

    for sig, old in previous.items():
        signal.signal(sig, old)
