"""The only seam to the machine.

Everything that reads /sys, /proc, /dev or runs a command goes through a
:class:`Host`. Probes receive a host and get plain data back; tests hand them a
:class:`~bench_agent.host.recorded.RecordedHost` that replays a fixture folder.
"""

from bench_agent.host.base import CommandResult, FixtureMissingError, Host

__all__ = ["CommandResult", "FixtureMissingError", "Host", "open_host"]


def open_host(host_dir: str | None = None) -> Host:
    """A live host on this machine, or a recorded one replaying ``host_dir``."""
    if host_dir is not None:
        from bench_agent.host.recorded import RecordedHost

        return RecordedHost(host_dir)
    from bench_agent.host.live import LiveHost

    return LiveHost()
