"""An erasure killed mid-pass (a real SIGKILL, a real loop device) is seen as interrupted
when the bench starts again, offered for resume from its checkpoint, and the resumed run
ends ERASED with nothing of the donor's data left."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench_agent.bench import flow
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Bench
from bench_agent.host.live import LiveHost
from tests.wipe.wipe_helpers import Loop, loop_factory, surviving_canaries

__all__ = ["loop_factory"]  # the fixture, used by name below

REPO = Path(__file__).resolve().parents[2]

KILLED = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.service import Bench
    from bench_agent.host.live import LiveHost

    host = LiveHost()
    bench = Bench.open(BenchPaths.from_environ({{"BENCH_AGENT_HOME": {home!r}}}), host, host, {{}})

    plans = bench.erase_plans([{device!r}])
    bench.erase(plans, dry_run=False)
    """
)


@pytest.mark.root
@pytest.mark.loop
def test_a_killed_erasure_resumes_from_its_checkpoint(
    tmp_path: Path, loop_factory: Callable[..., Loop]
) -> None:
    loop = loop_factory(1 << 30, name="donor")
    home = tmp_path / "home"
    script = KILLED.format(repo=str(REPO), home=str(home), device=loop.device)
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    journal = home / "erasure-journal.jsonl"
    deadline = time.monotonic() + 120
    # Power cut right after the first checkpoint of the write pass reached the journal.
    while time.monotonic() < deadline and child.poll() is None:
        if journal.exists() and b'"checkpoint"' in journal.read_bytes():
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == -9, err.decode()[-2000:]

    host = LiveHost()
    bench = Bench.open(BenchPaths(home), host, host, {})
    assert bench.record.erase_started == [loop.device]
    view = bench.step_views()["erase"]
    assert view.state is flow.StepState.PROBLEM and view.detail is not None
    assert "reprise" in view.detail.fr

    plans = bench.erase_plans([loop.device])
    resume = plans[0].resume
    assert resume is not None
    # Killed after its first checkpoint: some of the work is never done twice (on a fast
    # disk the write pass may even have ended before the kill: only the read-back is left).
    assert resume.offset_bytes > 0 or resume.pass_index > 0

    outcomes, _notes = bench.erase(plans, dry_run=False)
    assert [o.result for o in outcomes] == ["ERASED"]
    assert surviving_canaries(loop.backing) == []
    assert bench.record.erase_started == []
    assert [e.result for e in bench.record.erasures] == ["ERASED"]
    # The interrupted session got its own certificate before the resume.
    results = sorted(p.name for p in (home / "certificates").iterdir())
    assert len(results) == 2
