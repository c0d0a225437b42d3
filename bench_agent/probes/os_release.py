"""The running operating system: kernel release and distribution name.

Reads ``/proc/sys/kernel/osrelease`` and ``/etc/os-release`` (``/usr/lib/os-release``
when the former is absent, as os-release(5) says).
"""

from __future__ import annotations

import shlex

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import OperatingSystem


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines with shell quoting; malformed lines are skipped."""
    values: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw, comments=True)
        except ValueError:  # unbalanced quote
            continue
        values[key.strip()] = " ".join(parts)
    return values


def probe_os(host: Host, notes: list[Note]) -> OperatingSystem:
    """Kernel release and PRETTY_NAME of the system the bench agent runs on."""
    kernel = host.read_text("/proc/sys/kernel/osrelease") or None
    text = host.read_text("/etc/os-release")
    if text is None:
        text = host.read_text("/usr/lib/os-release")
    distribution = None
    if text is not None:
        values = parse_os_release(text)
        distribution = values.get("PRETTY_NAME") or values.get("NAME") or None
    if kernel is None or distribution is None:
        notes.append(
            Note(
                code="os.unknown",
                message=_t(
                    "Système en cours d'exécution partiellement inconnu (noyau ou os-release)"
                ),
            )
        )
    return OperatingSystem(kernel=kernel, distribution=distribution)
