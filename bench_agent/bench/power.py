"""Power off the computer at the end of a sitting (the bench runs on the unit itself).

The app only asks; the command runs after the app has left the screen (so the
terminal is restored first), from :func:`power_off`, called by the composition root.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence

from bench_agent.i18n import _t
from bench_agent.model.common import Text

DEFAULT_COMMANDS = (("systemctl", "poweroff"), ("poweroff",))
"""Tried in order: systemd first (the bench stick), then the classic command."""

ENV_COMMAND = "BENCH_AGENT_POWEROFF"
"""A site (or a test) can name its own command, e.g. ``sudo -n /sbin/poweroff``."""

Runner = Callable[[Sequence[str]], int]


def _run(argv: Sequence[str]) -> int:
    try:
        return subprocess.run(list(argv), check=False, timeout=30).returncode
    except (OSError, subprocess.TimeoutExpired):
        return 127


def power_off(environ: Mapping[str, str], *, simulation: bool, run: Runner = _run) -> Text:
    """Flush the disks and power off; the returned sentence says what happened.

    A recorded computer (``simulation``) is never the machine the bench runs on:
    nothing is run. When every command fails, the sentence says so (the sitting is
    saved either way, so switching off by hand loses nothing)."""
    os.sync()
    if simulation:
        return _t("Simulation : l'ordinateur n'est pas éteint (ordinateur enregistré).")
    configured = environ.get(ENV_COMMAND, "").strip()
    commands = (tuple(shlex.split(configured)),) if configured else DEFAULT_COMMANDS
    for argv in commands:
        if run(argv) == 0:
            return _t("Extinction de l'ordinateur…")
    return _t(
        "L'ordinateur n'a pas pu être éteint ({command}). Tout est enregistré : "
        "éteignez-le avec le bouton.",
        command=" ".join(commands[-1]),
    )
