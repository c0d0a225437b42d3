"""The real ``bench-agent`` in tmux, TERM=linux, 80×25: the first steps walked by reading
the screen, and ``kill -9`` at several steps followed by a restart that shows every
result kept."""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench_agent.bench.flow import STATE_WORDS, STEPS
from bench_agent.host.recorded import RecordedHost
from tests.tui.conftest import X1_CARBON, X1_SERIAL
from tests.tui.loops import MakeLoop, zero_sectors
from tests.tui.terminal import (
    HEIGHT,
    WIDTH,
    Terminal,
    bench_command,
    bench_environ,
    bench_live_command,
    developer_text,
    sitting,
    step_row,
    wait_sitting,
)

UNIT_ID = "LCT-0042-7"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "bench-home"


@pytest.fixture
def terminal(tmp_path: Path, home: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path, bench_environ(home, tmp_path), bench_command(X1_CARBON))
    term.start()
    try:
        yield term
    finally:
        term.close()


def main_screen(term: Terminal) -> str:
    """Wait for the main screen with the inventory done."""
    return term.wait_for(
        lambda s: f"N° de série : {X1_SERIAL}" in s and "fait" in _row(s, 2),
        "the main screen after the inventory",
    )


def _row(screen: str, number: int) -> str:
    try:
        return step_row(screen, number)
    except AssertionError:
        return ""


def full_details(home: Path) -> set[str]:
    """Every word of the steps' texts as the flow gives them, uncut."""
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.service import Bench

    environ = {"BENCH_AGENT_HOME": str(home)}
    bench = Bench.open(BenchPaths(home), RecordedHost(str(X1_CARBON)), None, environ)
    words: set[str] = set()
    for view in bench.step_views().values():
        if view.detail is not None:
            words.update(view.detail.fr.split())
    for step in STEPS:
        words.update(step.title.fr.split())
    for state in STATE_WORDS.values():
        # A Text, or a French msgid translated where it is shown.
        words.update(getattr(state, "fr", str(state)).split())
    return words


def cut_mid_word(screen: str, vocabulary: set[str]) -> list[str]:
    """Words cut by an ellipsis that are not whole words of the texts, and words folded
    at the right edge onto the next line."""
    cut = [
        token
        for line in screen.splitlines()
        for token in line.replace("│", " ").replace("║", " ").split()
        if token.endswith("…") and token[:-1] not in vocabulary
    ]
    lines = screen.splitlines()
    for above, below in itertools.pairwise(lines):
        text = above.rstrip(" │║")
        if len(text) >= WIDTH - 2 and text[-1:].isalnum() and below.lstrip(" │║")[:1].isalnum():
            cut.append(f"{text.split()[-1]}|{below.split()[0]}")
    return cut


def test_first_steps_walked_by_reading_the_screen(terminal: Terminal, home: Path) -> None:
    shown = main_screen(terminal)
    assert len(shown.splitlines()) <= HEIGHT
    assert "Identifiant" in _row(shown, 1) and "à faire" in _row(shown, 1)
    assert developer_text(shown) == []

    # A scanner: every character in one write, then Entrée. No step may open.
    terminal.type(UNIT_ID)
    terminal.keys("Enter")
    shown = terminal.wait_for(lambda s: UNIT_ID in _row(s, 1), "the unit id on step 1")
    assert "fait" in _row(shown, 1)
    assert "2  Inventaire" not in shown and "6  Effacement" not in shown
    assert wait_sitting(home, lambda r: r.get("unit_id") == UNIT_ID, "the unit id")

    # Step 2 by its number, read from the screen.
    number = _row(shown, 2).split("│", 1)[1].split()[0]
    assert number == "2"
    terminal.keys(number)
    shown = terminal.wait_text("2  Inventaire", "Numéro de série")
    assert X1_SERIAL in shown
    assert "Lenovo ThinkPad X1 Carbon 5th" in shown
    assert developer_text(shown) == [], developer_text(shown)
    terminal.keys("Escape")
    main_screen(terminal)

    # Step 5: one key gives the grade and goes back to the main screen.
    terminal.keys("5")
    shown = terminal.wait_text("5  Aspect", "Comme neuf")
    assert developer_text(shown) == []
    terminal.keys("b")
    shown = terminal.wait_for(lambda s: "fait" in _row(s, 5), "step 5 done")
    assert " B " in _row(shown, 5) + " "
    assert wait_sitting(home, lambda r: r.get("cosmetic") == "B", "the cosmetic grade")

    # The main screen at 80×25 on the Linux console: every step on one row, nothing cut
    # mid-word, nothing for developers.
    shown = main_screen(terminal)
    lines = shown.splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    rows = [
        i
        for i, line in enumerate(lines)
        for n in range(1, 10)
        if line.lstrip().startswith(f"│ {n} ")
    ]
    assert rows == list(range(rows[0], rows[0] + 9)), shown
    assert cut_mid_word(shown, full_details(home)) == [], shown
    assert developer_text(shown) == []
    assert "q : quitter" in shown

    # q asks (n stays); o quits, everything kept.
    terminal.keys("q")
    terminal.wait_text("e : éteindre l'ordinateur")
    terminal.keys("n")
    main_screen(terminal)
    terminal.keys("q")
    terminal.wait_text("Quitter le banc")
    terminal.keys("o")
    terminal.wait_for(lambda _s: terminal.dead, "the bench quit")
    kept = sitting(home)
    assert (kept["unit_id"], kept["cosmetic"]) == (UNIT_ID, "B")


def test_the_cut_check_finds_a_word_cut_in_the_middle() -> None:
    """The check above can fail: the row the app drew before its fix."""
    row = " │ 9 Envoi                       bloqué    rapport pas encore enregistré (étap…  │"
    assert cut_mid_word(row, {"rapport", "pas", "encore", "enregistré", "(étape", "7)"}) == [
        "(étap…"
    ]
    whole = " │ 9 Envoi                       bloqué    rapport pas encore enregistré…        │"
    assert cut_mid_word(whole, {"rapport", "pas", "encore", "enregistré"}) == []
    assert developer_text("Erreur : /tmp/x/central-token") == ["Erreur : /tmp/x/central-token"]


def test_kill_9_at_each_step_then_restart_keeps_every_result(
    terminal: Terminal, home: Path
) -> None:
    main_screen(terminal)
    report_id = wait_sitting(home, lambda r: bool(r.get("inventory")), "the inventory")["report_id"]

    def kill_and_restart() -> str:
        before = terminal.pid
        terminal.kill9()
        terminal.restart()
        shown = main_screen(terminal)
        assert terminal.pid != before
        return shown

    # Step 1, then killed.
    terminal.type(UNIT_ID)
    terminal.keys("Enter")
    wait_sitting(home, lambda r: r.get("unit_id") == UNIT_ID, "the unit id")
    shown = kill_and_restart()
    assert UNIT_ID in _row(shown, 1) and "fait" in _row(shown, 1)

    # Step 5, then killed: steps 1 and 5 kept.
    terminal.keys("5")
    terminal.wait_text("5  Aspect")
    terminal.keys("c")
    wait_sitting(home, lambda r: r.get("cosmetic") == "C", "the cosmetic grade")
    shown = kill_and_restart()
    assert UNIT_ID in _row(shown, 1)
    assert "fait" in _row(shown, 5) and " C " in _row(shown, 5) + " "

    # Step 3 (the disk health), then killed.
    terminal.keys("3")
    terminal.wait_text("3  Santé des disques", "BON")
    wait_sitting(home, lambda r: r.get("health") is not None, "the disk health")
    shown = kill_and_restart()
    assert "fait" in _row(shown, 3)

    # Step 7: saved, then killed: revision 1 of the same report, still saved.
    terminal.keys("7")
    terminal.wait_text("7  Catégorie")
    terminal.keys("Enter")
    terminal.wait_text("révision 1")
    wait_sitting(home, lambda r: r.get("saved_revision") == 1, "the save")
    shown = kill_and_restart()
    assert "rév. 1 signée" in _row(shown, 7), shown
    for n in (1, 3, 5):
        assert "fait" in _row(shown, n)
    record = sitting(home)
    assert record["report_id"] == report_id
    assert (record["unit_id"], record["cosmetic"], record["saved_revision"]) == (UNIT_ID, "C", 1)
    assert (home / "reports" / f"{report_id}.json").exists()
    assert not list((home / "sittings").glob("current.damaged-*"))
    assert developer_text(shown) == []


def choose_disk(terminal: Terminal, device: str) -> str:
    """On step 6: select ``device`` as a technician does, by what the screen says (other
    disks may come and go in the list: loop devices of other programs), then e; the plan
    dialog then. Espace marks the highlighted disk CHOISI; on another disk, Espace again
    unmarks it and ↓ moves on."""
    terminal.wait_text(device)
    for _ in range(40):
        terminal.keys("Space")
        shown = terminal.wait_text("CHOISI")
        chosen = [line for line in shown.splitlines() if "CHOISI" in line]
        if len(chosen) == 1 and f" {device} " in chosen[0]:
            terminal.keys("e")
            return terminal.wait_text("Continuer ? o = oui, n = non")
        terminal.keys("Space")
        terminal.wait_for(lambda s: "CHOISI" not in s, "the disk unmarked")
        terminal.keys("Down")
    raise AssertionError(f"{device} never highlighted on step 6")


@pytest.mark.root
@pytest.mark.loop
def test_kill_9_during_erasure_then_resume_from_the_checkpoint(
    tmp_path: Path, home: Path, random_loop: MakeLoop
) -> None:
    """The live bench (this machine's disks), a loop device of 1 GiB: killed after the
    first checkpoints, restarted, step 6 offers the resume, the plan says where it
    resumes, and the erasure ends ERASED."""
    loop = random_loop(1 << 30, "tui-resume")
    journal = home / "erasure-journal.jsonl"
    term = Terminal(tmp_path, bench_environ(home, tmp_path), bench_live_command())
    term.start()
    try:
        term.wait_text("Scannez ou tapez")
        term.type(UNIT_ID)
        term.keys("Enter")
        wait_sitting(home, lambda r: r.get("unit_id") == UNIT_ID, "the unit id")
        term.keys("6")
        term.wait_text("6  Effacement", "Mode : RÉEL")
        plan = choose_disk(term, loop.device)
        assert f"{loop.device}  loop device" in plan, plan
        term.keys("o")
        term.wait_text(f"Effacer DÉFINITIVEMENT {loop.device} ?")
        term.type(loop.name)
        term.keys("Enter")
        # Killed mid-pass, right after its first checkpoint (one every tenth of the disk).
        pid = term.pid
        deadline = time.monotonic() + 30
        while not journal.exists() or '"checkpoint"' not in journal.read_text():
            assert time.monotonic() < deadline, "no checkpoint written"
            time.sleep(0.002)  # polling the journal another process writes
        os.kill(pid, signal.SIGKILL)
        term.wait_for(lambda _s: term.dead, "the bench killed")
        assert sitting(home)["erase_started"] == [loop.device]

        term.restart()
        shown = term.wait_for(lambda s: "effacement interrompu" in _row(s, 6), "the interruption")
        assert "PROBLÈME" in _row(shown, 6)
        assert UNIT_ID in _row(shown, 1)
        term.keys("6")
        term.wait_text("Effacement interrompu : choisissez le disque")
        plan = " ".join(choose_disk(term, loop.device).split())
        resumed = re.search(r"\(reprise passe 1 à ([\d,]+) (Mo|Go)\)", plan)
        # The kill may land after the write pass ended on a fast disk: then the plan
        # says only the read-back is left. Either way it resumes, never from 0.
        written = "reprise : passes écrites, reste la vérification" in plan
        assert resumed is not None or written, plan
        assert written or float(resumed.group(1).replace(",", ".")) > 0  # type: ignore[union-attr]
        term.keys("o")
        term.wait_text(f"Effacer DÉFINITIVEMENT {loop.device} ?")
        term.type(loop.name)
        term.keys("Enter")
        shown = term.wait_text(f"{loop.device} : EFFACÉ", timeout=120)
        assert developer_text(re.sub(r"/dev/\w+", "DISK", shown)) == []
    finally:
        term.close()
    record = sitting(home)
    results = [(e["device"], e["result"]) for e in record["erasures"]]
    assert results[-1] == (loop.device, "ERASED"), results
    assert record["erase_started"] == []
    # The first session wrote up to its checkpoint, the resumed one the rest: no sector
    # of the (sparse, all zero) image is left unwritten.
    assert zero_sectors(loop.backing) == 0
