"""The bench app on the recorded X1 Carbon at 80×25, driven by keys: the unit id typed
at scanner speed, the steps and going back, a restart that keeps every result, the
category per the grading profile with an override, the label gate, saved revisions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from bench_agent.bench.erasure import DrivePlan
from bench_agent.bench.flow import STEPS
from bench_agent.bench.reports import load_report_file
from bench_agent.context import Environment
from bench_agent.grading import load_profile
from bench_agent.host.base import CommandResult
from bench_agent.host.recorded import RecordedHost
from bench_agent.model.report import ErasureSummary
from bench_agent.tui.app import BenchApp
from bench_agent.tui.screens.cosmetic import CosmeticScreen
from bench_agent.tui.screens.dialogs import (
    HelpScreen,
    LeaveScreen,
    OverrideScreen,
    QuestionScreen,
    TextScreen,
)
from bench_agent.tui.screens.erase import EraseScreen
from bench_agent.tui.screens.functional import FunctionalScreen, KeyboardScreen
from bench_agent.tui.screens.grade import GradeScreen
from bench_agent.tui.screens.health import HealthScreen
from bench_agent.tui.screens.inventory import InventoryScreen
from bench_agent.tui.screens.label import LabelScreen
from bench_agent.tui.screens.main import MainScreen
from bench_agent.tui.screens.sync import SyncScreen
from tests.tui.conftest import OPERATOR, X1_CARBON, X1_DISK, X1_SERIAL, AppFactory
from tests.tui.driving import (
    SIZE,
    back,
    burst,
    drive,
    notes,
    open_step,
    scanner,
    screen_text,
    settle,
    words,
)

UNIT_ID = "LCT-0042-7"


def step_row(app: BenchApp, number: int) -> str:
    """The main screen's row of step ``number``, as drawn."""
    title = STEPS[number - 1].title.fr
    rows = [line for line in screen_text(app).splitlines() if f"│ {number} {title}" in line]
    assert len(rows) == 1, screen_text(app)
    return rows[0]


def erase_x1_disk(app: BenchApp) -> None:
    """An ERASED certificate for the X1 Carbon's own disk (the recorded laptop's NVMe
    cannot be erased here: the erasure itself is driven on a loop device in
    test_app_erase.py)."""
    inv = app.service.record.inventory
    assert inv is not None
    (disk,) = [d for d in inv.disks if d.name == X1_DISK]
    app.service.add_summaries(
        [
            ErasureSummary(
                certificate_id="cert-x1-nvme",
                device=disk.path,
                disk_model=disk.model,
                disk_serial=disk.serial,
                method="random",
                level="clear",
                result="ERASED",
                finished_at="2026-01-01T00:00:00Z",
            )
        ]
    )
    app.state_changed()


def pass_every_test_but(app: BenchApp, *failing: str) -> None:
    for name in app.service.grading.required_tests:
        if name not in failing:
            app.service.answer_test(name, True)
    app.state_changed()


async def fail_keyboard_by_keys(app: BenchApp, pilot: Pilot[int]) -> None:
    """Step 4, k, three Échap (the keys a broken keyboard leaves), n: keyboard failed."""
    await open_step(app, pilot, "4")
    assert isinstance(app.screen, FunctionalScreen)
    await pilot.press("k", "a", "z")
    assert isinstance(app.screen, KeyboardScreen)
    await pilot.press("escape", "escape", "escape")
    assert isinstance(app.screen, QuestionScreen)
    await pilot.press("n")
    await settle(app, pilot)
    assert isinstance(app.screen, FunctionalScreen)
    await back(app, pilot)
    assert isinstance(app.screen, MainScreen)


# -- 1. the unit id ------------------------------------------------------------------


@drive
async def test_unit_id_typed_key_by_key_opens_no_step(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert isinstance(app.focused, Input) and app.focused.id == "unit-id"
        # '-' is the AZERTY 6, digits open steps: none may fire while the id is typed.
        await pilot.press(*UNIT_ID)
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one("#unit-id", Input).value == UNIT_ID
        assert app.service.record.unit_id is None, "only Entrée confirms"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.service.record.unit_id == UNIT_ID
        assert isinstance(app.focused, OptionList), "after Entrée the steps take the keys"
        row = step_row(app, 1)
        assert "fait" in row and UNIT_ID in row
        # Now a digit opens its step.
        await pilot.press("5")
        assert isinstance(app.screen, CosmeticScreen)


@drive
async def test_unit_id_at_scanner_speed(make_app: AppFactory) -> None:
    """Every key of the scan queued before the first is handled, Entrée included."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await scanner(app, pilot, UNIT_ID)
        assert isinstance(app.screen, MainScreen)
        assert app.service.record.unit_id == UNIT_ID
        assert app.service.record.cosmetic is None
        stored = json.loads((Path(app.service.paths.sittings) / "current.json").read_bytes())
        assert stored["unit_id"] == UNIT_ID
        # Rescanning from step 1 replaces the id, still without opening a step.
        await pilot.press("1")
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+u")
        await scanner(app, pilot, "LCT-0043-9")
        assert isinstance(app.screen, MainScreen)
        assert app.service.record.unit_id == "LCT-0043-9"


@drive
async def test_an_empty_unit_id_is_refused(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "enter")
        await settle(app, pilot)
        assert app.service.record.unit_id is None
        assert "Identifiant vide." in notes(app)
        assert isinstance(app.focused, Input)


@drive
async def test_a_unit_without_a_serial_asks_for_the_one_on_its_sticker(
    make_app: AppFactory,
) -> None:
    host = RecordedHost(str(X1_CARBON.parent / "HP_ProBook_450_G2"))
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        assert "N° de série : À SAISIR" in screen_text(app)
        assert "n° de série à saisir" in step_row(app, 2)
        await open_step(app, pilot, "2")
        await pilot.press("s")
        assert isinstance(app.screen, TextScreen)
        await burst(app, pilot, [*"5CG4321XYZ", "enter"])
        assert isinstance(app.screen, InventoryScreen)
        assert app.service.record.serial_entered == "5CG4321XYZ"
        await back(app, pilot)
        assert "N° de série : 5CG4321XYZ" in screen_text(app)
        assert "à saisir" not in step_row(app, 2)
        report = app.service.report()
        assert report.unit.serial == "5CG4321XYZ"


# -- the main screen and the steps ---------------------------------------------------------


@drive
async def test_main_screen_shows_the_unit_and_every_step_on_80x25(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        shown = screen_text(app)
        lines = shown.splitlines()
        assert len(lines) == 25
        assert "Lenovo ThinkPad X1 Carbon 5th" in shown
        assert f"N° de série : {X1_SERIAL}" in shown
        # Nine rows, one line each (a wrapped row pushes the list down), in bench order.
        rows = [
            i for i, line in enumerate(lines) for s in STEPS if f"│ {s.number} {s.title.fr}" in line
        ]
        assert len(rows) == 9 and rows == list(range(rows[0], rows[0] + 9))
        assert "╰───" in lines[rows[-1] + 1], "the list ends right after step 9"
        assert "fait" in step_row(app, 2)
        assert "bloqué" in step_row(app, 8) and f"disque {X1_DISK} : pas effacé" in step_row(app, 8)
        # A detail too long for its row is cut after a whole word.
        row9 = step_row(app, 9)
        assert "bloqué" in row9 and "rapport pas encore enregistré…" in row9
        assert "q : quitter" in lines[-1] or "q : quitter" in lines[-2]
        for line in lines:
            assert len(line.rstrip()) <= 80


@drive
async def test_each_step_opens_by_digit_azerty_or_arrows_and_escape_returns(
    make_app: AppFactory,
) -> None:
    app = make_app()
    screens = [InventoryScreen, HealthScreen, FunctionalScreen, CosmeticScreen, EraseScreen,
               GradeScreen, LabelScreen, SyncScreen]  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        for key, screen in zip("23456789", screens, strict=True):
            await open_step(app, pilot, key)
            assert isinstance(app.screen, screen), key
            await back(app, pilot)
            assert isinstance(app.screen, MainScreen), key
        # The unshifted AZERTY digit row: é is 2, ( is 5.
        await open_step(app, pilot, "é")
        assert isinstance(app.screen, InventoryScreen)
        await back(app, pilot)
        await open_step(app, pilot, "left_parenthesis")
        assert isinstance(app.screen, CosmeticScreen)
        await back(app, pilot)
        # ↑↓ then Entrée: from step 1, two down is step 3.
        steps = app.screen.query_one(OptionList)
        steps.focus()
        steps.highlighted = 0
        await pilot.press("down", "down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, HealthScreen)
        await back(app, pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert "unité suivante" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        # Échap on the main screen never leaves it.
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


@drive
async def test_inventory_and_health_steps_show_the_recorded_laptop(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "2")
        shown = screen_text(app)
        assert "2  Inventaire" in shown
        assert f"Numéro de série : {X1_SERIAL}" in shown
        assert "! Pas compatible Windows 11." in shown
        await back(app, pilot)
        await open_step(app, pilot, "3")
        health = app.service.record.health
        assert health, "the recording holds the disk's SMART answers"
        shown = screen_text(app)
        for disk in health:
            assert disk.device in shown
        await back(app, pilot)
        assert "fait" in step_row(app, 3)


@drive
async def test_t_runs_the_short_self_test_and_says_a_recording_has_none(
    make_app: AppFactory,
) -> None:
    """``t`` on step 3 runs a short SMART self-test on every disk; a recorded laptop has
    no self-test recording, which the disk's line says (no crash, no stuck "en cours")."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "3")
        assert app.service.record.health
        await pilot.press("t")
        await settle(app, pilot)
        record = app.service.record
        assert record.self_test is None  # finished, not left running
        assert record.health
        tested = [disk.self_test for disk in record.health]
        assert all(t is not None and t.kind == "short" for t in tested)
        assert "Autotest non enregistré" in screen_text(app)
        assert "health" not in app.running


@drive
async def test_quit_asks_and_keeps_everything(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await pilot.press("q")
        assert isinstance(app.screen, LeaveScreen)
        shown = screen_text(app)
        assert "Tout est gardé" in shown and "e : éteindre l'ordinateur" in shown
        # The unit is not finished: the dialog says what is left before anything else.
        assert "des disques ne sont pas effacés" in shown
        await pilot.press("n")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q", "o")
        await pilot.pause()
    assert app.return_code == 0
    assert app.power_off_requested is False


@drive
async def test_power_off_is_asked_on_leaving_and_left_to_the_launcher(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await pilot.press("q", "escape")  # Échap stays
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q", "e")
        await pilot.pause()
    assert app.return_code == 0
    assert app.power_off_requested is True


# -- 2. a restart keeps every result ------------------------------------------------------


@drive
async def test_restart_shows_every_result_kept(make_app: AppFactory) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await scanner(first, pilot, UNIT_ID)
        await open_step(first, pilot, "3")  # health, read in the background
        await back(first, pilot)
        await open_step(first, pilot, "5")
        await pilot.press("b")
        await settle(first, pilot)
        assert isinstance(first.screen, MainScreen)
        await fail_keyboard_by_keys(first, pilot)
        await open_step(first, pilot, "7")
        await pilot.press("enter")
        await settle(first, pilot)
        await back(first, pilot)
        rows_before = {n: step_row(first, n) for n in range(1, 10)}
        report_id = first.service.record.report_id
        await pilot.press("q", "o")
        await pilot.pause()

    again = make_app()
    assert again.service is not first.service
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        record = again.service.record
        assert record.report_id == report_id
        assert record.unit_id == UNIT_ID
        assert record.cosmetic == "B"
        assert record.functional["keyboard"].result == "fail"
        assert record.functional["keyboard"].by == OPERATOR
        assert record.saved_revision == 1
        # The screen shows them without a key pressed.
        assert screen_text(again).count(UNIT_ID) >= 2  # in the box and on row 1
        assert {n: step_row(again, n) for n in range(1, 10)} == rows_before
        assert "fait" in step_row(again, 1)
        assert "fait" in step_row(again, 3)
        assert "PROBLÈME  en échec : Clavier" in step_row(again, 4)
        assert "fait" in step_row(again, 5) and " B " in step_row(again, 5) + " "
        assert "rév. 1 signée" in step_row(again, 7)
        # The focus is on the steps: the id is not typed again, a digit opens a step.
        assert isinstance(again.focused, OptionList)


@drive
async def test_next_unit_asks_when_unfinished_then_starts_an_empty_sitting(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        first = app.service.record
        await pilot.press("n")
        assert isinstance(app.screen, QuestionScreen)
        shown = words(app)
        assert "Cette unité n'est pas terminée" in shown
        assert "des disques ne sont pas effacés" in shown
        await pilot.press("n")  # no: the unit stays
        assert isinstance(app.screen, MainScreen)
        assert app.service.record.report_id == first.report_id
        await pilot.press("n", "o")
        await settle(app, pilot)
        record = app.service.record
        assert record.report_id != first.report_id
        assert record.unit_id is None and record.cosmetic is None
        assert record.inventory is not None, "the next unit's inventory is read at once"
        assert isinstance(app.focused, Input) and app.focused.value == ""
        assert "à faire" in step_row(app, 1)
        done = app.service.paths.sittings / "done" / f"{first.sitting_id}.json"
        assert json.loads(done.read_bytes())["unit_id"] == UNIT_ID
    again = make_app()
    assert again.service.record.report_id == record.report_id


@drive
async def test_sending_without_a_configured_inventory_is_a_sentence(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "7")
        await pilot.press("enter")
        await settle(app, pilot)
        await back(app, pilot)
        await open_step(app, pilot, "9")
        assert "Boîte d'envoi : 1 en attente" in screen_text(app)
        await pilot.press("e")
        await settle(app, pilot)
        shown = screen_text(app)
        assert "Envoi non configuré : demandez au coordinateur" in shown
        assert "Traceback" not in shown and "Error" not in shown
        assert str(app.service.paths.home) not in shown
        await back(app, pilot)
        assert "fait" not in step_row(app, 9)


# -- 3. category per the profile, override with a reason --------------------------------


@drive
async def test_failed_keyboard_gives_the_profiles_category_then_an_override(
    make_app: AppFactory,
) -> None:
    effect = load_profile("network-2024").fail_effect("keyboard")
    assert effect == "TO_REPAIR"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "3")
        await back(app, pilot)
        erase_x1_disk(app)
        pass_every_test_but(app, "keyboard")
        await open_step(app, pilot, "7")
        # Before the keyboard has a result: a required test missing keeps it on the bench.
        assert "Catégorie : NON DISTRIBUABLE" in screen_text(app)
        await back(app, pilot)
        await fail_keyboard_by_keys(app, pilot)
        assert "À RÉPARER" in step_row(app, 7)
        await open_step(app, pilot, "7")
        assert isinstance(app.screen, GradeScreen)
        shown = screen_text(app)
        assert "Catégorie : À RÉPARER" in shown
        assert "profil network-2024" in shown
        grade = app.service.current_grade()
        assert grade is not None and grade.category == "TO_REPAIR"

        # An override without a reason is refused, in the dialog.
        await pilot.press("d")
        assert isinstance(app.screen, OverrideScreen)
        await pilot.press("c", "enter", "enter")
        assert isinstance(app.screen, OverrideScreen)
        assert "La raison est obligatoire." in screen_text(app)
        await pilot.press("space", "enter")
        assert isinstance(app.screen, OverrideScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, GradeScreen)
        assert app.service.record.override is None

        # With a reason: recorded with who and when, the category shown with both.
        await pilot.press("d", "c", "enter")
        await burst(app, pilot, [*"touche Fn seule HS", "enter"])
        assert isinstance(app.screen, GradeScreen)
        override = app.service.record.override
        assert override is not None
        assert (override.category, override.reason, override.by) == (
            "C",
            "touche Fn seule HS",
            OPERATOR,
        )
        assert override.at.endswith("Z")
        shown = screen_text(app)
        assert "Catégorie : C" in shown
        assert f"Dérogation de {OPERATOR} (calculée : À RÉPARER) : touche Fn seule HS" in shown

        # Saved: the signed report carries it.
        await pilot.press("enter")
        await settle(app, pilot)
        saved = load_report_file(app.service.paths.report(app.service.record.report_id))
        assert saved.signed
        assert saved.report.grade is not None
        assert saved.report.grade.category == "C"
        assert saved.report.grade.computed_category == "TO_REPAIR"
        assert saved.report.grade.override is not None
        assert saved.report.grade.override.reason == "touche Fn seule HS"

        # x cancels the override: the profile's category again.
        await pilot.press("x")
        await settle(app, pilot)
        assert app.service.record.override is None
        assert "Catégorie : À RÉPARER" in screen_text(app)


@drive
async def test_failed_battery_caps_the_category_as_the_profile_says(
    make_app: AppFactory,
) -> None:
    """Another rule of the same profile: a battery that no longer holds is a cap, not a
    repair (network-2024: battery_autonomy = "C")."""
    assert load_profile("network-2024").fail_effect("battery_autonomy") == "C"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "3")
        await back(app, pilot)
        erase_x1_disk(app)
        pass_every_test_but(app)
        uncapped = app.service.current_grade()
        assert uncapped is not None and uncapped.category in ("A", "B")
        app.service.answer_test("battery_autonomy", False)
        app.state_changed()
        await open_step(app, pilot, "7")
        grade = app.service.current_grade()
        assert grade is not None and grade.category == "C"
        assert "Catégorie : C" in screen_text(app)


@drive
async def test_an_unerased_unit_cannot_be_overridden_to_a_distributable_category(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        pass_every_test_but(app)
        await open_step(app, pilot, "7")
        assert "Catégorie : NON DISTRIBUABLE" in screen_text(app)
        await pilot.press("d", "b", "enter")
        await burst(app, pilot, [*"client pressé", "enter"])
        assert isinstance(app.screen, GradeScreen)
        assert app.service.record.override is None
        assert any("barrière d'effacement" in n for n in notes(app)), notes(app)
        assert "Catégorie : NON DISTRIBUABLE" in screen_text(app)


class FailingDiskHost(RecordedHost):
    """The X1 Carbon whose NVMe drive now answers that it is failing (SMART overall
    health FAILED, smartctl's exit bit 3)."""

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        result = super().run(argv, timeout_s)
        if argv[0] != "smartctl":
            return result
        doc = json.loads(result.stdout)
        doc["smart_status"] = {"passed": False, "nvme": {"value": 4}}
        doc.setdefault("nvme_smart_health_information_log", {})["critical_warning"] = 4
        return replace(
            result, returncode=(result.returncode or 0) | 8, stdout=json.dumps(doc).encode()
        )


@drive
async def test_a_failed_disk_stops_the_unit_whatever_else_passed(make_app: AppFactory) -> None:
    app = make_app(FailingDiskHost(str(X1_CARBON)))
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "3")
        shown = screen_text(app)
        assert f"HORS SERVICE   /dev/{X1_DISK}" in shown, shown
        await back(app, pilot)
        assert f"PROBLÈME  disque HS : /dev/{X1_DISK}" in step_row(app, 3)
        erase_x1_disk(app)
        pass_every_test_but(app)
        await open_step(app, pilot, "5")
        await pilot.press("a")
        await open_step(app, pilot, "7")
        shown = words(app)
        assert "Catégorie : NON DISTRIBUABLE" in shown
        assert f"Disque {X1_DISK} : santé FAIL" in shown
        grade = app.service.current_grade()
        assert grade is not None and grade.category == "NOT_DISTRIBUTABLE"
        assert not any(n.suitable for n in grade.needs)


# -- 4. the label gate ---------------------------------------------------------------------


@drive
async def test_label_refused_on_an_unerased_unit_with_the_reason(make_app: AppFactory) -> None:
    app = make_app()
    labels = app.service.paths.labels
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        await open_step(app, pilot, "7")
        await pilot.press("enter")  # saved: the erasure is the only reason left
        await settle(app, pilot)
        await back(app, pilot)
        assert f"disque {X1_DISK} : pas effacé" in step_row(app, 8)
        await open_step(app, pilot, "8")
        assert isinstance(app.screen, LabelScreen)
        shown = screen_text(app)
        assert "Impossible pour l'instant :" in shown
        assert f"  - disque {X1_DISK} : pas effacé" in shown
        assert "rapport pas encore enregistré" not in shown
        await pilot.press("i")
        await settle(app, pilot)
        assert f"Étiquette refusée : disque {X1_DISK} : pas effacé" in screen_text(app)
        assert not labels.exists() or not list(labels.glob("*.pdf"))
        assert app.service.record.label is None
        await back(app, pilot)
        assert "bloqué" in step_row(app, 8)

        # The same unit once its disk is erased and the report saved again: printed.
        erase_x1_disk(app)
        await open_step(app, pilot, "7")
        await pilot.press("enter")
        await settle(app, pilot)
        await back(app, pilot)
        await open_step(app, pilot, "8")
        assert "Prête à imprimer." in screen_text(app)
        await pilot.press("i")
        await settle(app, pilot)
        pdfs = list(labels.glob("*.pdf"))
        assert [p.name for p in pdfs] == [f"{app.service.record.report_id}.r2.pdf"]
        assert pdfs[0].read_bytes().startswith(b"%PDF")
        assert app.service.record.label_revision == 2
        await back(app, pilot)
        assert "fait" in step_row(app, 8)


# -- 6. save: signed revisions of one report id ----------------------------------------------


@drive
async def test_save_then_change_makes_revision_two_of_the_same_report(
    make_app: AppFactory,
) -> None:
    app = make_app()
    paths = app.service.paths
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        app.service.answer_test("keyboard", True)
        report_id = app.service.record.report_id
        await open_step(app, pilot, "7")
        assert "Pas encore enregistré : Entrée." in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Rapport enregistré et signé (révision 1)." in screen_text(app)
        first = load_report_file(paths.report(report_id))
        assert first.signed
        assert (first.report.report_id, first.report.revision) == (report_id, 1)
        assert first.report.unit.asset_tag == UNIT_ID
        keyboard = {t.name: t.result for t in first.report.functional_tests}["keyboard"]
        assert keyboard == "pass"

        # Entrée again with nothing changed: no new revision.
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Déjà enregistré (révision 1)." in screen_text(app)

        # A functional result changes: the category step says so, here and on the main screen.
        await back(app, pilot)
        await fail_keyboard_by_keys(app, pilot)
        assert "NON DISTRIBUABLE — à réenregistrer" in step_row(app, 7)
        await open_step(app, pilot, "7")
        assert "Modifié depuis la révision 1 : Entrée pour réenregistrer." in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Rapport enregistré et signé (révision 2)." in screen_text(app)

    newest = load_report_file(paths.report(report_id))
    assert newest.signed
    assert (newest.report.report_id, newest.report.revision) == (report_id, 2)
    assert {t.name: t.result for t in newest.report.functional_tests}["keyboard"] == "fail"
    revisions = sorted(p.name for p in (paths.reports / "revisions").iterdir())
    assert revisions == [f"{report_id}.r1.json", f"{report_id}.r2.json"]
    r1 = load_report_file(paths.reports / "revisions" / f"{report_id}.r1.json")
    assert r1.signed and r1.report.revision == 1
    assert {t.name: t.result for t in r1.report.functional_tests}["keyboard"] == "pass"
    assert [p.name for p in paths.reports.glob("*.json")] == [f"{report_id}.json"]


# -- language ---------------------------------------------------------------------------------


@drive
async def test_f2_switches_to_english_and_back(
    make_app: AppFactory, bench_env: Environment
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        shown = screen_text(app)
        assert f"Serial: {X1_SERIAL}" in shown
        assert "1 Unit id" in shown and "Unidentified" not in shown
        assert "q: quit" in shown
        await pilot.press("f2")
        await settle(app, pilot)
        assert f"N° de série : {X1_SERIAL}" in screen_text(app)
    assert bench_env.lang == "fr"


# -- the erasure plan's words -------------------------------------------------------------


def test_the_plan_says_where_an_interrupted_erasure_resumes() -> None:
    """Mid-pass: the pass and the offset; after the last pass: only the read-back is
    left (never "pass 2" of a one-pass method)."""
    from wipe.engine import ResumePoint
    from wipe.methods import load_method, parse_verification
    from wipe.targets import Target

    disk = Target("sda", "/dev/sda", "Disk", "S1", 500 * 10**9, "sata", True, "hdd")
    method = load_method("random")
    assert len(method.passes) == 1

    def plan_text(pass_index: int, offset: int) -> str:
        resume = ResumePoint("s", "t", "random", "00" * 32, pass_index, offset)
        plan = DrivePlan(disk, method, None, parse_verification("last"), 60.0, resume)
        return plan.text().fr

    assert plan_text(0, 120 * 10**6).endswith("(reprise passe 1 à 120,0 Mo)")
    assert plan_text(1, 0).endswith("(reprise : passes écrites, reste la vérification)")
