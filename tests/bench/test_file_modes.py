"""Every file a bench writes is evidence or names people: after a real sitting (a real
erasure of a loop device, a saved report, a label, the outbox, the log, the sending
configuration, the archived sitting) every file under the bench home is 0600 and every
folder 0700, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench_agent.bench import sending
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Bench
from bench_agent.host import open_host
from bench_agent.host.live import LiveHost
from tests.bench.test_flow import X1, clock, complete
from tests.wipe.wipe_helpers import Loop, loop_factory

__all__ = ["loop_factory"]  # the fixture, used by name below


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave files 0666 and folders 0777 if the code relied on it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(home: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(home.stat().st_mode)}
    for path in home.rglob("*"):
        found[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return found


@pytest.mark.root
@pytest.mark.loop
def test_every_file_of_a_sitting_is_private(
    tmp_path: Path, loop_factory: Callable[..., Loop], loose_umask: None
) -> None:
    home = tmp_path / "persistent" / "bench-home"
    paths = BenchPaths(home)
    loop = loop_factory(8 << 20, name="donor")
    live = LiveHost()
    eraser = Bench.open(paths, live, live, {})
    outcomes, _notes = eraser.erase(eraser.erase_plans([loop.device]), dry_run=False)
    assert [o.result for o in outcomes] == ["ERASED"]

    bench = Bench.open(
        paths, open_host(str(X1)), None, {"BENCH_AGENT_OPERATOR": "Amina"},
        clock=clock, simulation_only=True,
    )  # fmt: skip
    bench.collect_inventory()
    complete(bench)
    saved = bench.save()
    assert saved.new and saved.outbox_problem is None
    bench.make_label(lang="fr")
    bench.problem(RuntimeError("disk vanished"), "test")  # goes to the bench log
    sending.configure(paths, "https://inventaire.example.org", "cit_" + "a" * 43)
    bench.next_unit()

    modes = _modes(home)
    names = set(modes)
    # The flow wrote every kind of evidence (else this test would prove nothing).
    for expected in (
        "bench-key.pem",
        "erasure-journal.jsonl",
        "erasure-journal.jsonl.head",
        "outbox.sqlite",
        "bench.log",
        "central-token",
        "sync.toml",
    ):
        assert expected in names, sorted(names)
    for folder in ("certificates", "reports", "labels", "sittings/done"):
        assert any(n.startswith(folder + "/") and not n.endswith("/") for n in names), folder
    assert any(n.startswith("certificates/") and n.endswith(".json") for n in names)
    assert any(n.startswith("labels/") and n.endswith(".pdf") for n in names)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (home / name).is_dir() else 0o600)
    }
    assert wrong == {}
    # The folder above the home was created for it too: private as well.
    assert stat.S_IMODE((tmp_path / "persistent").stat().st_mode) == 0o700
