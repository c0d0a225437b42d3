"""`bench-agent record` captures exactly what the inventory reads: replaying the
recording gives the same inventory as the live machine."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec

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
