"""bench-agent station: the erasure station's console skin (plain slot lines).

The service is :mod:`bench_agent.bench.station`; the settings are site.toml's
``[station]`` (docs/station.md). A line is printed for a slot when its state, result
or (at most every ``--every`` seconds) its progress changes."""

from __future__ import annotations

import signal
import threading
from typing import Any

from bench_agent.commands._host import bench_paths, this_machine
from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "station",
        help=env._("poste d'effacement : disques branchés sur des stations d'accueil"),
        description=env._(
            "Surveille les disques branchés sur les emplacements nommés dans site.toml "
            "([station]) et les efface selon la politique après le délai, un certificat "
            "par disque (sans ordinateur d'origine, avec le lot). Un disque débranché "
            "pendant l'effacement est INTERRUPTED ; rebranché, il reprend. Codes de "
            "sortie : 0 tout effacé, 1 un disque non effacé, 2 réglages invalides, "
            "3 environnement."
        ),
    )
    p.add_argument(
        "--once",
        action="store_true",
        help=env._("effacer les disques présents maintenant, puis sortir"),
    )
    p.add_argument(
        "--exit-when-idle",
        action="store_true",
        help=env._("sortir quand plus rien n'attend ni ne s'efface"),
    )
    p.add_argument("--delay", type=float, metavar="S", help=env._("délai avant effacement (s)"))
    p.add_argument("--batch", metavar="CODE", help=env._("code du lot de donateur"))
    p.add_argument(
        "--every",
        type=float,
        default=5.0,
        metavar="S",
        help=env._("progression toutes les S secondes"),
    )
    p.set_defaults(handler=run_station)


def run_station(args: Any, env: Environment) -> int:
    from bench_agent.bench.errors import BenchError
    from bench_agent.bench.site import load_site
    from bench_agent.bench.station import open_station, watch

    paths = bench_paths(env)
    printer = _Printer(env, args.every)
    try:
        site = load_site(paths, env.environ)
        if site.lang and not args.lang and not env.environ.get("BENCH_AGENT_LANG"):
            env.lang = site.lang
        machine = this_machine(env)
        opened = open_station(
            paths,
            machine,
            site,
            host=machine,
            delay_s=args.delay,
            batch=args.batch,
            on_change=lambda: printer.show(opened.station),
        )
        for o in opened.interrupted:
            env.out(env._("INTERRUPTED {device} (session précédente)", device=o.device_path))
    except BenchError as exc:
        env.err(env.t(exc.text))
        if exc.detail:
            env.err(env._("  détail : {detail}", detail=exc.detail))
        return exc.exit_code

    station = opened.station
    settings = station.settings
    stop = threading.Event()
    restore = _on_signals(stop, station)
    try:
        env.out(
            env._(
                "Poste d'effacement : {n} emplacement(s), délai {delay} s, lot {batch}",
                n=len(settings.slots),
                delay=f"{settings.delay_s:g}",
                batch=settings.batch or "-",
            )
        )
        try:
            watch(station, stop, exit_when_idle=args.exit_when_idle, once=args.once)
        except (ImportError, OSError) as exc:
            env.err(env._("Surveillance des disques impossible (pyudev) : {exc}", exc=exc))
            return 3
    finally:
        restore()
    results = [o.result for o in station.outcomes()] + [v.result or "" for v in station.departed()]
    for view in [*station.departed(), *station.slots()]:
        env.out(env.t(view.text()))
    stuck = station.abandoned()
    if stuck:
        env.err(
            env._(
                "{n} disque(s) abandonné(s) sans réponse ({slots}) : le processus peut "
                "rester jusqu'à ce qu'ils répondent ou soient débranchés.",
                n=len(stuck),
                slots=", ".join(v.slot for v in stuck),
            )
        )
    return 0 if results and all(r == "ERASED" for r in results) else 1


class _Printer:
    """A line per slot change; progress at most every ``every`` seconds per slot."""

    def __init__(self, env: Environment, every: float) -> None:
        import time

        self.env = env
        self.every = every
        self.clock = time.monotonic
        self.last: dict[str, tuple[str, str | None, bool, float]] = {}
        self.lock = threading.Lock()

    def show(self, station: Any) -> None:
        with self.lock:
            now = self.clock()
            for view in station.slots():
                key = (view.state, view.result, view.stalled_s is not None)
                before = self.last.get(view.slot)
                if before is not None and before[:3] == key and now - before[3] < self.every:
                    continue
                if before is not None and before[:3] == key and view.state != "erasing":
                    continue
                self.last[view.slot] = (*key, now)
                self.env.out(self.env.t(view.text()))
                self.env.stdout.flush()


def _on_signals(stop: threading.Event, station: Any) -> Any:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(_signum: int, _frame: object) -> None:
        station.cancel_all()
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)

    return restore
