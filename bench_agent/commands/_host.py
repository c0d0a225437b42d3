"""What the commands share: the machine they run on (the one place a live host is
built), the bench's folder, the current sitting, the --host-dir option and the
messages for a host that cannot be read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bench_agent.context import Environment
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.service import Bench
    from bench_agent.host.base import Host, Recording
    from wipe.runner_protocol import Runner


def this_machine(env: Environment, recording: Recording | None = None) -> Host:
    """The machine the bench runs on: it erases, prints and is inventoried when no
    recorded one is named. The composition root of the commands: the only place a live
    host is constructed (``env.host`` replaces it in tests)."""
    if env.host is not None and recording is None:
        return env.host
    from bench_agent.host.live import LiveHost

    return LiveHost(recording)


def open_machine(env: Environment, host_dir: str | None) -> Host:
    """A recorded machine (``--host-dir``) or this one."""
    if host_dir is not None:
        from bench_agent.host.recorded import RecordedHost

        return RecordedHost(host_dir)
    return this_machine(env)


def bench_paths(env: Environment) -> BenchPaths:
    from bench_agent.bench.paths import BenchPaths

    return BenchPaths.from_environ(env.environ)


def open_sitting(
    env: Environment,
    host: Host,
    runner: Runner | None,
    environ: Mapping[str, str] | None = None,
) -> Bench:
    """The unit on the bench (the one the app shows): BenchError (usage) when there is
    none, so a command never starts an empty one by mistake."""
    from bench_agent.bench.errors import BenchError
    from bench_agent.bench.record import SittingStore
    from bench_agent.bench.service import Bench

    paths = bench_paths(env)
    if not SittingStore(paths.sittings).current_path.exists():
        raise BenchError(
            _t(
                "Aucune unité en cours sur ce banc : commencez-la dans l'application "
                "(bench-agent sans sous-commande), ou donnez --report FICHIER."
            ),
            exit_code=2,
        )
    bench = Bench.open(paths, host, runner, environ if environ is not None else env.environ)
    for note in bench.notes:
        env.err(env.t(note))
    return bench


def add_host_dir_argument(parser: Any, env: Environment) -> None:
    parser.add_argument(
        "--host-dir",
        metavar="DIR",
        help=env._("rejouer une machine enregistrée (bench-agent record)"),
    )


def host_error(exc: Exception, host_dir: str | None, env: Environment) -> str | None:
    """The technician's message for a host that could not be opened or replayed, or
    None when ``exc`` is not such an error (the caller then lets it through)."""
    from bench_agent.host import FixtureMissingError

    if isinstance(exc, FixtureMissingError):
        return env._("Erreur : {problem}", problem=Text(fr=exc.message_fr, en=str(exc)))
    if isinstance(exc, FileNotFoundError) and host_dir is not None:
        return env._(
            "Erreur : {host_dir} n'est pas une machine enregistrée (pas de host.json).",
            host_dir=host_dir,
        )
    if isinstance(exc, ValueError) and host_dir is not None:
        return env._("Erreur : host.json illisible — {exc}", exc=exc)
    return None
