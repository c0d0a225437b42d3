"""Bench app fixtures: the recorded X1 Carbon, a bench home in tmp_path, and the app
built the way ``bench-agent`` builds it (a Bench service opened on that home)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Bench
from bench_agent.context import Environment
from bench_agent.host.base import Host
from bench_agent.host.live import LiveHost
from bench_agent.host.recorded import RecordedHost
from bench_agent.tui.app import BenchApp, create_app
from tests.tui.loops import random_loop

X1_CARBON = Path(__file__).parents[1] / "fixtures" / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"
X1_SERIAL = "PF0QMY5N"
X1_DISK = "nvme0n1"
OPERATOR = "Samia"


@pytest.fixture
def bench_home(tmp_path: Path) -> Path:
    return tmp_path / "bench-home"


@pytest.fixture
def bench_env(tmp_path: Path, bench_home: Path) -> Environment:
    return Environment(
        environ={
            "BENCH_AGENT_HOME": str(bench_home),
            "HOME": str(tmp_path),
            "LANG": "fr_FR.UTF-8",
            "BENCH_AGENT_OPERATOR": OPERATOR,
        },
        lang="fr",
    )


@pytest.fixture
def x1_host() -> RecordedHost:
    return RecordedHost(str(X1_CARBON))


def open_bench(
    env: Environment,
    host: Host,
    *,
    runner: object | None = None,
    simulation_only: bool = True,
) -> Bench:
    """The sitting on ``env``'s bench home, as ``bench-agent`` opens it at start."""
    return Bench.open(
        BenchPaths.from_environ(env.environ),
        host,
        runner,  # type: ignore[arg-type]
        env.environ,
        simulation_only=simulation_only,
    )


AppFactory = Callable[..., BenchApp]


@pytest.fixture
def make_app(bench_env: Environment, x1_host: RecordedHost) -> AppFactory:
    """A new app on the same bench home each call (a restart of the bench), on the
    recorded X1 Carbon unless another host is given."""

    def make(
        host: Host | None = None, *, runner: object | None = None, simulation_only: bool = True
    ) -> BenchApp:
        service = open_bench(
            bench_env,
            host or x1_host,
            # As bench-agent does: the drives of this machine through the live runner;
            # a recorded computer makes that dry runs only.
            runner=runner if runner is not None else LiveHost(),
            simulation_only=simulation_only,
        )
        return create_app(bench_env, service)

    return make


__all__ = ["random_loop"]
