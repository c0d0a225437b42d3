"""Bench app fixtures: the recorded X1 Carbon and a bench home in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench_agent.context import Environment
from bench_agent.host.recorded import RecordedHost

X1_CARBON = Path(__file__).parents[1] / "fixtures" / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"


@pytest.fixture
def bench_env(tmp_path: Path) -> Environment:
    home = tmp_path / "bench-home"
    return Environment(
        environ={"BENCH_AGENT_HOME": str(home), "HOME": str(tmp_path), "LANG": "fr_FR.UTF-8"},
        lang="fr",
    )


@pytest.fixture
def x1_host() -> RecordedHost:
    return RecordedHost(str(X1_CARBON))
