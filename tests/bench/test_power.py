"""Power off at the end of a sitting: the command run, the simulation that never runs
one, and the sentence when the computer cannot be switched off."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench_agent.bench.power import DEFAULT_COMMANDS, ENV_COMMAND, power_off


def test_the_site_command_is_run_for_real(tmp_path: Path) -> None:
    marker = tmp_path / "powered off"
    text = power_off({ENV_COMMAND: f"touch '{marker}'"}, simulation=False)
    assert marker.exists()
    assert text.fr.startswith("Extinction") and text.en.startswith("Powering")


def test_a_recorded_computer_is_never_switched_off(tmp_path: Path) -> None:
    ran: list[Sequence[str]] = []
    marker = tmp_path / "powered off"

    def run(argv: Sequence[str]) -> int:
        ran.append(argv)
        return 0

    text = power_off({ENV_COMMAND: f"touch '{marker}'"}, simulation=True, run=run)
    assert ran == [] and not marker.exists()
    assert "Simulation" in text.fr and "Simulation" in text.en


def test_every_default_command_is_tried_then_the_button_is_suggested() -> None:
    ran: list[tuple[str, ...]] = []

    def refuse(argv: Sequence[str]) -> int:
        ran.append(tuple(argv))
        return 1

    text = power_off({}, simulation=False, run=refuse)
    assert ran == list(DEFAULT_COMMANDS)
    assert "bouton" in text.fr and "button" in text.en


def test_a_missing_command_is_a_sentence_not_a_crash() -> None:
    text = power_off({ENV_COMMAND: "/nonexistent/poweroff-command"}, simulation=False)
    assert "n'a pas pu être éteint" in text.fr
