"""The --host-dir option and the messages for a host that cannot be read, shared by
the commands that run on this machine or on a recorded one."""

from __future__ import annotations

from typing import Any

from bench_agent.context import Environment


def add_host_dir_argument(parser: Any, env: Environment) -> None:
    parser.add_argument(
        "--host-dir",
        metavar="DIR",
        help=env.say(
            "rejouer une machine enregistrée (bench-agent record)",
            "replay a recorded machine (bench-agent record)",
        ),
    )


def host_error(exc: Exception, host_dir: str | None, env: Environment) -> str | None:
    """The technician's message for a host that could not be opened or replayed, or
    None when ``exc`` is not such an error (the caller then lets it through)."""
    from bench_agent.host import FixtureMissingError

    if isinstance(exc, FixtureMissingError):
        return env.say(f"Erreur : {exc.message_fr}", f"Error: {exc}")
    if isinstance(exc, FileNotFoundError) and host_dir is not None:
        return env.say(
            f"Erreur : {host_dir} n'est pas une machine enregistrée (pas de host.json).",
            f"Error: {exc}",
        )
    if isinstance(exc, ValueError) and host_dir is not None:
        return env.say(f"Erreur : host.json illisible — {exc}", f"Error: {exc}")
    return None
