"""`bench-agent` without a subcommand: the bench app (Textual), see docs/app.md.

The composition root of the app: this machine (or a recorded one), the drive runner,
the bench's folder and its sitting, handed to the app."""

from __future__ import annotations

import argparse

from bench_agent.context import Environment


def run_app(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import BenchError
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.service import Bench
    from bench_agent.bench.site import load_site
    from bench_agent.commands._host import host_error
    from bench_agent.host import open_host
    from bench_agent.host.live import LiveHost
    from bench_agent.host.recorded import RecordedHost
    from bench_agent.tui.app import create_app

    host_dir: str | None = getattr(args, "app_host_dir", None) or getattr(args, "host_dir", None)
    paths = BenchPaths.from_environ(env.environ)
    try:
        site = load_site(paths, env.environ)
    except BenchError as exc:
        env.err(env.t(exc.text))
        if exc.detail:
            env.err(env._("  détail : {detail}", detail=exc.detail))
        return exc.exit_code
    if site.unattended.enabled:
        from bench_agent.commands.unattended import run_site

        return run_site(env, site, host_dir, getattr(args, "lang", None))
    if site.lang and not getattr(args, "lang", None) and not env.environ.get("BENCH_AGENT_LANG"):
        env.lang = site.lang
    try:
        host = open_host(host_dir)
    except (LookupError, OSError, ValueError) as exc:
        message = host_error(exc, host_dir, env)
        if message is None:
            raise
        env.err(message)
        return 3
    try:
        service = Bench.open(
            paths,
            host,
            LiveHost(),
            site.environ(env.environ, unattended=False),
            # A recorded computer is not the machine whose disks the erase step lists.
            simulation_only=isinstance(host, RecordedHost),
        )
    except (BenchError, OSError) as exc:
        env.err(env._("Le banc ne peut pas démarrer : {exc}", exc=exc))
        return 3
    app = create_app(env, service)
    code = app.run()
    if app.power_off_requested:
        from bench_agent.bench.power import power_off

        env.out(env.t(power_off(env.environ, simulation=isinstance(host, RecordedHost))))
    return code if code is not None else 0
