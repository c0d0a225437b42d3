"""`bench-agent record` captures exactly what the inventory reads: replaying the
recording gives the same inventory as the live machine."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec
import pytest

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.host.live import LiveHost
from bench_agent.host.recorded import RecordedHost
from bench_agent.inventory import collect_inventory


def _without_duration(inv: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(msgspec.json.encode(inv))
    data.pop("duration_ms")
    return data


def test_record_then_replay_gives_the_live_inventory(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"BENCH_AGENT_LANG": "en"})
    code = main(["record", str(tmp_path / "this-machine")], env=env)
    assert code == 0, err.getvalue()
    assert "Machine recorded in" in out.getvalue()
    replayed = collect_inventory(RecordedHost(tmp_path / "this-machine"))
    live = collect_inventory(LiveHost())
    assert _without_duration(replayed) == _without_duration(live)


def test_record_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("technician's notes")
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, environ={"BENCH_AGENT_LANG": "fr"})
    assert main(["record", str(tmp_path)], env=env) == 2
    assert "n'est pas vide" in err.getvalue()
    assert (tmp_path / "keep.txt").read_text() == "technician's notes"


def test_record_with_functional_replays_the_automatic_checks(tmp_path: Path) -> None:
    """`record --with-functional`: the automatic functional checks replayed on the
    recording give the live machine's results, reason for reason."""
    from bench_agent.functional import load_functional_profile, run_automatic

    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={})
    assert main(["record", str(tmp_path / "m"), "--with-functional"], env=env) == 0
    profile = load_functional_profile()

    def results(host: object) -> list[tuple[str, str, str]]:
        return [
            (o.name, o.result, o.reason.en)
            for o in run_automatic(host, profile)  # type: ignore[arg-type]
        ]

    assert results(RecordedHost(tmp_path / "m")) == results(LiveHost())
    # Without the flag the functional reads are not recorded: replaying says so.
    assert main(["record", str(tmp_path / "plain")], env=env) == 0
    with pytest.raises(LookupError, match="record"):
        run_automatic(RecordedHost(tmp_path / "plain"), profile)


def test_record_with_health_replays_the_health_check(tmp_path: Path) -> None:
    """`record --with-health`: the health check replayed on the recording gives the live
    machine's verdicts (the health module always ships: no "unavailable" path)."""
    from datetime import UTC, datetime

    from bench_agent.health import check_all

    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, environ={})
    assert main(["record", str(tmp_path / "m"), "--with-health"], env=env) == 0
    assert err.getvalue() == ""

    def now() -> datetime:
        return datetime(2026, 1, 5, tzinfo=UTC)

    replayed = check_all(RecordedHost(tmp_path / "m"), now=now)
    assert replayed == check_all(LiveHost(), now=now)
