"""bench-agent unattended: the whole unit with no keyboard (erasure station, the stick).

The console skin of :mod:`bench_agent.bench.unattended`: plain lines (80 columns, French
unless the site or ``--lang`` says English) on the console and in the bench log, then
what the site says to do at the end (power off, wait, exit). ``bench-agent`` without a
subcommand comes here when the site's settings say ``[unattended] enabled = true``.
See docs/unattended.md."""

from __future__ import annotations

import signal
import textwrap
import threading
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import add_host_dir_argument, bench_paths, host_error, this_machine
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.bench.service import Bench
    from bench_agent.bench.site import Site
    from bench_agent.bench.unattended import Summary
    from bench_agent.model.common import Text

WIDTH = 80


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "unattended",
        help=env._("l'unité entière sans clavier (poste d'effacement)"),
        description=env._(
            "Inventaire, santé des disques, effacement des disques de l'unité selon la "
            "politique du site (sans confirmation : les réglages du site l'autorisent), "
            "tests automatiques, catégorie, rapport signé, étiquette, envoi ; puis "
            "extinction, attente ou sortie selon le site (site.toml, ligne de commande du "
            "noyau). Codes de sortie : 0 tout effacé et envoyé ou en attente d'envoi, "
            "1 un disque non effacé ou un problème, 2 réglages invalides, 3 environnement."
        ),
    )
    add_host_dir_argument(p, env)
    p.set_defaults(handler=lambda args, env: run_unattended(env, args.host_dir, args.lang))


class Console:
    """Each line on the console (wrapped at 80 columns) and in the bench log."""

    def __init__(self, env: Environment, log_path: Any) -> None:
        self.env = env
        self.log_path = log_path
        self.lock = threading.Lock()

    def __call__(self, text: Text) -> None:
        from bench_agent.bench.log import log_problem

        line = self.env.t(text)
        wrapped = [
            piece
            for part in line.splitlines() or [""]
            for piece in textwrap.wrap(part, WIDTH, subsequent_indent="  ") or [""]
        ]
        with self.lock:
            for piece in wrapped:
                self.env.out(piece)
            self.env.stdout.flush()
            log_problem(self.log_path, "unattended", None, line)


def run_unattended(env: Environment, host_dir: str | None, lang: str | None = None) -> int:
    from bench_agent.bench.errors import BenchError
    from bench_agent.bench.site import load_site

    paths = bench_paths(env)
    try:
        site = load_site(paths, env.environ)
    except BenchError as exc:
        env.err(env.t(exc.text))
        if exc.detail:
            env.err(env._("  détail : {detail}", detail=exc.detail))
        return exc.exit_code
    return run_site(env, site, host_dir, lang)


def run_site(env: Environment, site: Site, host_dir: str | None, lang: str | None) -> int:
    """The unattended run with the site's settings already read."""
    from bench_agent.bench import BenchError
    from bench_agent.bench import unattended as driver
    from bench_agent.bench.service import Bench
    from bench_agent.host import open_host
    from bench_agent.host.recorded import RecordedHost

    if site.lang and not lang and not env.environ.get("BENCH_AGENT_LANG"):
        env.lang = site.lang
    paths = bench_paths(env)
    say = Console(env, paths.log)
    try:
        host = open_host(host_dir) if host_dir else this_machine(env)
    except (LookupError, OSError, ValueError) as exc:
        message = host_error(exc, host_dir, env)
        if message is None:
            raise
        env.err(message)
        return driver.EXIT_ENVIRONMENT
    recorded = isinstance(host, RecordedHost)
    try:
        bench = Bench.open(
            paths,
            host,
            this_machine(env),
            site.environ(env.environ, unattended=True),
            # The site names the drives to erase (erase_only) when the inventory is a
            # recorded computer's: those are real drives of this machine.
            simulation_only=False,
        )
    except (BenchError, OSError) as exc:
        text = exc.text if isinstance(exc, BenchError) else None
        env.err(env._("Le banc ne peut pas démarrer : {exc}", exc=text or exc))
        return driver.EXIT_ENVIRONMENT
    bench.policy_path = site.policy_path(paths)
    for note in bench.notes:
        say(note)

    cancel = threading.Event()
    restore = _on_signals(cancel)
    try:
        summary = driver.run(bench, site, live=not recorded, lang=env.lang, say=say, cancel=cancel)
        _conclude(summary, say)
        return _after(bench, site, summary, say, cancel, recorded=recorded, env=env)
    finally:
        restore()


def _on_signals(cancel: threading.Event) -> Any:
    """SIGTERM and SIGINT stop the erasure cleanly (ABORTED, resumed next run) and end
    a wait; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(_signum: int, _frame: object) -> None:
        cancel.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for s, handler in previous.items():
            signal.signal(s, handler)

    return restore


def _conclude(summary: Summary, say: Any) -> None:
    from bench_agent.bench.flow import category_text
    from bench_agent.i18n import _t

    for problem in summary.problems:
        say(_t("PROBLÈME : {problem}", problem=problem))
    erased = sum(1 for r in summary.erasures.values() if r == "ERASED")
    if summary.sent:
        where = _t("envoyé au service central")
    else:
        where = _t("en attente d'envoi ({n} document(s))", n=summary.pending)
    say(
        _t(
            "Terminé (code {code}) : {erased} disque(s) effacé(s), catégorie {category}, {where}.",
            code=summary.code,
            erased=erased,
            category=category_text(summary.category or "?"),
            where=where,
        )
    )


def _after(
    bench: Bench,
    site: Site,
    summary: Summary,
    say: Any,
    cancel: threading.Event,
    *,
    recorded: bool,
    env: Environment,
) -> int:
    from bench_agent.bench.power import power_off
    from bench_agent.i18n import _t

    after = site.unattended.after
    if after == "poweroff" and not cancel.is_set():
        say(power_off(bench.environ, simulation=recorded))
    elif after == "wait":
        from bench_agent.bench.sending import start_sender
        from bench_agent.commands._host import this_machine

        say(_t("En attente : éteignez l'ordinateur ou passez à l'unité suivante."))
        # What is still waiting goes by itself: when a network link comes up, when a
        # backoff ends (retry_s at most between two attempts).
        sender = start_sender(
            bench.paths, bench.environ, host=this_machine(env), cap_s=site.unattended.retry_s
        )
        try:
            cancel.wait()
        finally:
            sender.stop()
    return summary.code
