"""bench-agent erase: certified erasure of selected disks (several at once)."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import Any

from bench_agent.context import Environment


def bench_home(env: Environment) -> Path:
    """Where the bench key, the journal and certificates live ($BENCH_AGENT_HOME)."""
    home = env.environ.get("BENCH_AGENT_HOME")
    if home:
        return Path(home)
    return Path(env.environ.get("HOME", "~")).expanduser() / ".local/share/bench-agent"


def key_path(env: Environment, given: str | None = None) -> Path:
    return Path(given) if given else bench_home(env) / "bench-key.pem"


def journal_path(env: Environment, given: str | None = None) -> Path:
    return Path(given) if given else bench_home(env) / "erasure-journal.jsonl"


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "erase",
        help=env.say("effacement certifié des disques", "certified disk erasure"),
        description=env.say(
            "Efface les disques choisis (en parallèle), vérifie, et écrit un certificat signé "
            "par disque. Refuse le disque de démarrage, les disques montés, en swap ou utilisés "
            "(LVM, RAID). Sans --yes-i-know, chaque disque doit être confirmé par son numéro "
            "de série.",
            "Erases the selected disks (in parallel), verifies, and writes one signed "
            "certificate per disk. Refuses the boot disk and disks that are mounted, used "
            "as swap or held (LVM, RAID). Without --yes-i-know each disk must be confirmed "
            "by its serial number.",
        ),
    )
    p.add_argument("devices", nargs="*", metavar="DEVICE", help="/dev/sdX, /dev/nvme0n1...")
    p.add_argument(
        "--list",
        action="store_true",
        help=env.say("lister les disques et les refus", "list disks and refusals"),
    )
    p.add_argument(
        "--all",
        action="store_true",
        help=env.say(
            "avec --list : montrer aussi les périphériques sans support (taille nulle)",
            "with --list: also show devices with no medium (size zero)",
        ),
    )
    p.add_argument(
        "--method",
        default="auto",
        help=env.say(
            "méthode (zero, one, random, dod-3pass, dod-7pass, hmg-is5-baseline, "
            "hmg-is5-enhanced, un fichier .toml, une méthode micrologicielle) ; "
            "auto = politique par type de support (défaut)",
            "method (zero, one, random, dod-3pass, dod-7pass, hmg-is5-baseline, "
            "hmg-is5-enhanced, a .toml file, a firmware method); "
            "auto = policy per media type (default)",
        ),
    )
    p.add_argument(
        "--verify",
        metavar="MODE",
        help=env.say(
            "vérification : none, last, all, sampled:<pourcent>",
            "verification: none, last, all, sampled:<percent>",
        ),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=env.say("simulation : rien n'est écrit", "simulation: nothing is written"),
    )
    p.add_argument(
        "--yes-i-know",
        action="store_true",
        help=env.say(
            "poste d'effacement sans surveillance : pas de confirmation",
            "unattended erasure station: no confirmation",
        ),
    )
    p.add_argument(
        "--unfreeze",
        action="store_true",
        help=env.say(
            "si un disque ATA est gelé (frozen) par le BIOS, mettre l'ordinateur en veille 5 s "
            "pour le dégeler, sans demander (sinon la question est posée)",
            "if an ATA drive is frozen by the BIOS, suspend the computer for 5 s to unfreeze "
            "it, without asking (otherwise you are asked)",
        ),
    )
    p.add_argument(
        "--abort-on-error",
        action="store_true",
        help=env.say("arrêter au premier secteur en erreur", "stop at the first failing sector"),
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help=env.say(
            "reprendre la session interrompue de ce disque (même méthode)",
            "resume this disk's interrupted session (same method)",
        ),
    )
    p.add_argument(
        "--cert-dir",
        metavar="DIR",
        help=env.say("dossier des certificats", "certificate directory"),
    )
    p.add_argument("--asset-tag", metavar="T", help=env.say("numéro d'inventaire", "asset tag"))
    p.add_argument("--operator", metavar="NAME", help=env.say("technicien·ne", "technician"))
    p.add_argument("--role", metavar="ROLE", help=env.say("fonction", "role"))
    p.add_argument("--organisation", metavar="ORG", help=env.say("structure", "organisation"))
    p.add_argument("--location", metavar="WHERE", help=env.say("lieu", "location"))
    p.add_argument("--donor", metavar="NAME", help=env.say("donateur", "donor"))
    p.add_argument(
        "--contact",
        metavar="C",
        help=env.say("contact (tél., courriel)", "contact (phone, e-mail)"),
    )
    p.add_argument("--key", metavar="FILE", help=env.say("clé du banc", "bench key"))
    p.add_argument("--journal", metavar="FILE", help=env.say("journal", "journal"))
    p.add_argument("--policy", metavar="FILE", help=env.say("politique", "policy file"))
    p.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    p.set_defaults(handler=run_erase)


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("o", "Ko", "Mo", "Go", "To"):
        if value < 1000 or unit == "To":
            return f"{value:.0f} {unit}" if unit == "o" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} o"


def _list(args: argparse.Namespace, env: Environment) -> int:
    import json

    from wipe.targets import list_targets

    targets = list_targets()
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
        env.say(
            f"{'PÉRIPHÉRIQUE':<16} {'TAILLE':>9}  {'TYPE':<7} {'BUS':<6} MODÈLE [SÉRIE]  → ÉTAT",
            f"{'DEVICE':<16} {'SIZE':>9}  {'MEDIA':<7} {'BUS':<6} MODEL [SERIAL]  → STATUS",
        )
    )
    for t in shown:
        status = (
            env.say("effaçable", "erasable")
            if t.erasable
            else "; ".join(env.say(r.fr, r.en) for r in t.refusals)
        )
        env.out(
            f"{t.device_path:<16} {human_size(t.size_bytes):>9}  {t.media:<7} "
            f"{t.transport or '?':<6} {t.model or '?'} [{t.serial or '-'}]  → {status}"
        )
    if hidden:
        env.out(
            env.say(
                f"({hidden} périphérique(s) sans support masqué(s) : --all pour les voir)",
                f"({hidden} device(s) with no medium hidden: --all shows them)",
            )
        )
    return 0


def _confirm(target: Any, env: Environment) -> bool:
    """Interactive confirmation: type the serial (or its last 4 characters)."""
    token = target.confirmation_token
    prompt = env.say(
        f"Effacer DÉFINITIVEMENT {target.device_path} ({target.model or '?'}, "
        f"série {token}) ? Tapez le numéro de série ou ses 4 derniers caractères : ",
        f"PERMANENTLY erase {target.device_path} ({target.model or '?'}, serial {token})? "
        "Type the serial number or its last 4 characters: ",
    )
    env.stdout.write(prompt)
    env.stdout.flush()
    answer = sys.stdin.readline().strip()
    return bool(answer) and (answer == token or (len(answer) >= 4 and answer == token[-4:]))


def offer_unfreeze(
    targets: list[Any], runner: Any, firmware: Any, args: argparse.Namespace, env: Environment
) -> None:
    """Find drives the BIOS froze; suspend/resume to unfreeze them if the technician agrees
    (or ``--unfreeze``). Nothing is erased yet; a drive still frozen gets the overwrite."""
    drives = [(t.device_path, t.transport) for t in targets]
    frozen = [c.device_path for c in firmware.frozen_drives(runner, drives)]
    if not frozen:
        return
    names = ", ".join(frozen)
    env.err(
        env.say(
            f"Disque gelé par le BIOS (sécurité ATA « frozen ») : {names}. L'effacement "
            "micrologiciel Security Erase est impossible tant qu'il l'est ; une mise en veille "
            "de 5 s suivie du réveil le dégèle en général.",
            f"Drive frozen by the BIOS (ATA security frozen): {names}. Firmware Security "
            "Erase is impossible while it is; a 5 s suspend and resume usually unfreezes it.",
        )
    )
    if args.dry_run:
        return
    if not args.unfreeze:
        if args.yes_i_know or not sys.stdin.isatty():
            env.err(
                env.say(
                    "Pas de mise en veille sans --unfreeze : l'écrasement sera utilisé.",
                    "No suspend without --unfreeze: the overwrite will be used.",
                )
            )
            return
        env.stdout.write(
            env.say(
                "Mettre l'ordinateur en veille 5 s maintenant ? [o/N] ",
                "Suspend for 5 s now? [y/N] ",
            )
        )
        env.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("o", "oui", "y", "yes"):
            return
    report = firmware.unfreeze(runner, [d for d in drives if d[0] in frozen])
    if not report.suspended:
        err = str(report.command.get("stderr") or report.command.get("returncode"))
        env.err(env.say(f"La mise en veille a échoué : {err}", f"Suspend failed: {err}"))
    if report.unfrozen:
        env.err(env.say("Dégelé : ", "Unfrozen: ") + ", ".join(report.unfrozen))
    if report.still_frozen or report.unknown:
        env.err(
            env.say(
                "Toujours gelé ou illisible : ",
                "Still frozen or unreadable: ",
            )
            + ", ".join(report.still_frozen + report.unknown)
            + env.say(" — l'écrasement sera utilisé.", " — the overwrite will be used.")
        )


def _source_computer() -> dict[str, Any]:
    """The computer the drives come from, as the inventory identifies it (junk DMI
    strings filtered, commercial model), for the certificate's "media source"."""
    from bench_agent.host.live import LiveHost
    from bench_agent.model.common import Note
    from bench_agent.probes.identity import probe_identity

    notes: list[Note] = []
    ident = probe_identity(LiveHost(), notes)
    return {
        "maker": ident.maker,
        "model": ident.model or ident.product_name,
        "serial": ident.serial,
        "hostname": os.uname().nodename,
    }


def run_erase(args: argparse.Namespace, env: Environment) -> int:
    import json

    if args.list:
        return _list(args, env)
    if not args.devices:
        env.err(
            env.say(
                "Indiquez au moins un disque (ou --list).", "Give at least one disk (or --list)."
            )
        )
        return 2

    from wipe.engine import (
        EraseContext,
        EraseRequest,
        Operator,
        erase_many,
        load_firmware_module,
    )
    from wipe.journal import Journal, JournalError, verify_journal
    from wipe.methods import (
        Method,
        MethodFileError,
        UnknownMethodError,
        load_method,
        parse_verification,
    )
    from wipe.policy import load_policy
    from wipe.signing import BenchKey, SignatureError
    from wipe.targets import select_targets

    try:
        policy = load_policy(args.policy)
        verification = parse_verification(args.verify) if args.verify else None
    except (MethodFileError, ValueError) as exc:
        env.err(env.say(f"Erreur : {exc}", f"Error: {exc}"))
        return 2

    firmware = load_firmware_module()
    firmware_names = set(getattr(firmware, "METHODS", {}) or {})
    fixed_method: Method | None = None
    fixed_firmware: str | None = None
    if args.method == "auto":
        pass
    elif args.method in firmware_names:
        fixed_firmware = args.method
    else:
        try:
            fixed_method = load_method(args.method)
        except (MethodFileError, UnknownMethodError) as exc:
            env.err(env.say(f"Méthode invalide : {exc}", f"Invalid method: {exc}"))
            return 2

    targets = select_targets(list(args.devices))
    refused = [t for t in targets if not t.erasable]
    if refused:
        for t in refused:
            for r in t.refusals:
                env.err(
                    env.say(f"REFUSÉ {t.device_path} : {r.fr}", f"REFUSED {t.device_path}: {r.en}")
                )
        env.err(env.say("Aucun disque n'a été effacé.", "No disk was erased."))
        return 1

    if not args.dry_run and not args.yes_i_know:
        if not sys.stdin.isatty():
            env.err(
                env.say(
                    "Confirmation requise : lancez-le dans un terminal, ou --yes-i-know (poste "
                    "sans surveillance).",
                    "Confirmation required: run it in a terminal, or --yes-i-know (unattended "
                    "station).",
                )
            )
            return 2
        for t in targets:
            if not _confirm(t, env):
                env.err(
                    env.say(
                        f"Non confirmé : {t.device_path}. Aucun disque effacé.",
                        f"Not confirmed: {t.device_path}. No disk was erased.",
                    )
                )
                return 1

    try:
        key = BenchKey.load_or_create(key_path(env, args.key))
    except (OSError, ValueError, SignatureError) as exc:
        env.err(env.say(f"Clé du banc illisible : {exc}", f"Bench key unreadable: {exc}"))
        return 3

    from bench_agent.host.live import LiveHost

    runner = LiveHost()
    if firmware is not None and hasattr(firmware, "frozen_drives"):
        wanted = [
            t
            for t in targets
            if fixed_firmware or (args.method == "auto" and policy.for_media(t.media).firmware)
        ]
        if wanted:
            offer_unfreeze(wanted, runner, firmware, args, env)
    requests: list[EraseRequest] = []
    for t in targets:
        if args.method == "auto":
            try:
                method, fw_name, policy_mode = auto_choice(policy, t.media)
            except (MethodFileError, UnknownMethodError) as exc:
                env.err(env.say(f"Politique invalide : {exc}", f"Invalid policy: {exc}"))
                return 2
            mode = verification or policy_mode
        else:
            method = fixed_method
            fw_name = fixed_firmware
            mode = verification or (
                fixed_method.verification if fixed_method else parse_verification("none")
            )
        requests.append(
            EraseRequest(
                target=t,
                method=method,
                verification=mode,
                firmware_method=fw_name,
                dry_run=args.dry_run,
                confirmed=True,  # serial typed above, or --yes-i-know
                asset_tag=args.asset_tag,
                abort_on_error=args.abort_on_error,
                hpa_dco=None if args.dry_run else hpa_status(runner, t, policy.restore_native_max),
            )
        )

    live = env.stdout.isatty() and not args.json
    lock = threading.Lock()

    def progress(p: Any) -> None:
        if not live:
            return
        with lock:
            env.out(progress_line(env, p))

    journal = Journal(journal_path(env, args.journal), key)
    ctx = EraseContext(
        key=key,
        journal=journal,
        cert_dir=Path(args.cert_dir) if args.cert_dir else bench_home(env) / "certificates",
        policy=policy,
        operator=Operator(
            name=args.operator,
            role=args.role,
            organisation=args.organisation,
            location=args.location,
            contact=args.contact,
            donor=args.donor,
        ),
        source_computer=_source_computer(),
        runner=runner,
        firmware=firmware,
        progress=progress,
    )
    try:
        for note in record_interrupted_sessions(env, journal, key, ctx):
            env.err(note)
    except (JournalError, OSError) as exc:
        env.err(env.say(f"Journal illisible : {exc}", f"Journal unreadable: {exc}"))
        return 3

    if args.resume:
        from wipe.engine import ResumeError, find_resume_point

        report = verify_journal(journal.path, key.public_raw)
        for req in requests:
            try:
                if req.method is None:
                    raise ResumeError("only an overwrite can be resumed")
                req.resume = find_resume_point(report, req.target, req.method.name)
            except ResumeError as exc:
                env.err(
                    env.say(
                        f"Reprise impossible pour {req.target.device_path} : {exc}",
                        f"Cannot resume {req.target.device_path}: {exc}",
                    )
                )
                return 1
            env.err(
                env.say(
                    f"Reprise de {req.target.device_path} : passe {req.resume.pass_index + 1}, "
                    f"à partir de {req.resume.offset_bytes} octets",
                    f"Resuming {req.target.device_path}: pass {req.resume.pass_index + 1} "
                    f"from byte {req.resume.offset_bytes}",
                )
            )

    results: list[Any] = []
    worker = threading.Thread(
        target=lambda: results.extend(erase_many(requests, ctx)), name="erase-many", daemon=True
    )

    def stop_cleanly(*_: Any) -> None:
        # Ctrl-C, the service manager's SIGTERM, a closed terminal's SIGHUP: every drive
        # stops at its next block and gets an ABORTED certificate, not a torn session.
        ctx.cancel.set()
        env.err(
            env.say(
                "Interruption demandée : arrêt propre en cours…",
                "Interrupt requested: stopping cleanly…",
            )
        )

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
    ok_results = {"ERASED", "DRY_RUN"}
    from bench_agent.commands.sync import enqueue_certificates

    for problem in enqueue_certificates(env, results):
        env.err(problem)
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
        env.out(env.say("Résumé :", "Summary:"))
        for o in results:
            env.out(
                f"  {o.device_path}: {o.result}"
                + (f" → {o.certificate_path}" if o.certificate_path else "")
            )
            for reason in o.reasons_en if env.lang == "en" else o.reasons_fr:
                env.out(f"      {reason}")
    return 0 if results and all(o.result in ok_results for o in results) else 1


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


def auto_choice(policy: Any, media: str) -> tuple[Any, str | None, Any]:
    """What `--method auto` does for a media type, per the erasure policy: the overwrite
    method (None for firmware only), ``"auto"`` firmware or None, the verification.
    Raises MethodFileError / UnknownMethodError on a policy naming a bad method."""
    from wipe.methods import load_method

    media_policy = policy.for_media(media)
    method = load_method(media_policy.overwrite) if media_policy.overwrite else None
    return method, ("auto" if media_policy.firmware else None), media_policy.verification


def record_interrupted_sessions(env: Environment, journal: Any, key: Any, ctx: Any) -> list[str]:
    """Sessions the journal shows killed mid-way get their INTERRUPTED certificate now;
    one sentence each. Raises JournalError / OSError on an unreadable journal."""
    from wipe.engine import record_interrupted
    from wipe.journal import verify_journal

    if not journal.path.exists():
        return []
    return [
        env.say(
            f"Session interrompue enregistrée : {o.device_path} → {o.certificate_path}",
            f"Interrupted session recorded: {o.device_path} → {o.certificate_path}",
        )
        for o in record_interrupted(verify_journal(journal.path, key.public_raw), ctx)
    ]


def hpa_status(runner: Any, target: Any, restore: bool) -> dict[str, Any] | None:
    """HPA/DCO status from wipe.hpa when installed; an HPA is removed when the policy says so."""
    try:
        from wipe import hpa
    except ImportError:
        return None
    try:
        status = hpa.detect_hpa(runner, target.device_path, transport=target.transport)
        data: dict[str, Any] = status.to_dict()
        if restore and (status.hpa_hidden_sectors or 0) > 0:
            outcome = hpa.restore_native_max(
                runner, target.device_path, permanent=True, transport=target.transport
            )
            after = hpa.detect_hpa(runner, target.device_path, transport=target.transport)
            data = {**after.to_dict(), "before": data, "restore": outcome.to_dict()}
        return data
    except Exception as exc:  # advisory: recorded, and the engine fails safe on hidden sectors
        return {"status": "unknown", "reason_en": f"{type(exc).__name__}: {exc}"}


PHASES = {
    "write": ("écriture", "write"),
    "verify": ("vérification", "verify"),
    "sample": ("échantillons", "samples"),
    "firmware": ("micrologiciel", "firmware"),
}


def duration_text(seconds: float) -> str:
    """``42 s``, ``12 min 05 s``, ``2 h 07 min``: what a technician reads at a glance."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def progress_line(env: Environment, p: Any) -> str:
    """One progress line: device, phase, pass, percent, rate, time left, errors."""
    fr, en = PHASES.get(p.phase, (p.phase, p.phase))
    phase = env.say(fr, en)
    mb = env.say("Mo/s", "MB/s")
    rate = f"{p.throughput_bytes_per_s / 1e6:.0f} {mb}" if p.throughput_bytes_per_s else "-"
    left = duration_text(p.eta_s) if p.eta_s is not None else "-"
    pct = 100 * p.bytes_done / p.bytes_total if p.bytes_total else 0.0
    line = (
        f"{p.device} {phase} {env.say('passe', 'pass')} {p.pass_index + 1}/{p.pass_count} "
        f"{pct:5.1f} % {rate} {env.say('reste', 'left')} {left}"
    )
    if p.error_ranges:
        line += f" — {p.error_ranges} " + env.say("zone(s) en erreur", "error range(s)")
    return line
