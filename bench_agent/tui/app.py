"""The bench app: wires screens to the services of :mod:`bench_agent.bench`.

Blocking work runs in thread workers owned by the app (an erasure keeps running when
its screen is left); they call the :class:`~bench_agent.bench.service.Bench` service,
which writes the sitting at every change, and post messages back. Screens only draw
the service's record and the pure step rules of :mod:`bench_agent.bench.flow`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from bench_agent.bench import BenchError
from bench_agent.bench.erasure import DrivePlan, EraseRun
from bench_agent.bench.flow import StepView
from bench_agent.context import Environment
from bench_agent.i18n import _t, join
from bench_agent.model.common import Text
from bench_agent.tui import messages as m

if TYPE_CHECKING:
    from bench_agent.bench.service import Bench
    from bench_agent.bench.station import Station
    from wipe.overwrite import Progress
    from wipe.targets import Target


class BenchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "bench-agent"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quitter", priority=True, show=False),
        Binding("q", "quit", "Quitter", show=False),
        Binding("f1", "help", "Aide", show=False),
        Binding("question_mark", "help", "Aide", show=False),
        Binding("f2", "toggle_language", "Langue", show=False),
        Binding("ctrl+c", "cancel_erase", "Arrêter l'effacement", priority=True, show=False),
    ]

    def __init__(self, env: Environment, service: Bench) -> None:
        from bench_agent.tui.glyphs import use_console_glyphs

        use_console_glyphs()
        super().__init__()
        self.env = env
        self.service = service
        self.running: set[str] = set()
        """Steps a worker is busy with now (not persisted: a restart starts none)."""
        self.problems: dict[str, Text] = {}
        """The last problem of each step, for its screen."""
        self.messages: dict[str, Text] = {}
        """The last result sentence of each step (saved, printed, sent...)."""
        self.targets: list[Target] | None = None
        self.erase_run: EraseRun | None = None
        self.dry_run = service.simulation_only
        self.busy_test: str | None = None
        self.quit_when_erased = False
        self.power_off_requested = False
        """Set when the technician chose to power off on leaving (launch does it once
        the screen is restored)."""
        self.station: Station | None = None
        """The erasure station, once its screen was opened (it runs until the app ends)."""
        self.station_stop = threading.Event()
        self.station_changed = threading.Event()
        """Set by the station's threads on any change; the station screen redraws then
        (at most twice a second: progress never waits for the screen)."""

    @property
    def simulation_only(self) -> bool:
        return self.service.simulation_only

    # -- text --------------------------------------------------------------------------

    def t(self, text: Text | None) -> str:
        return "" if text is None else text.get(self.env.lang)

    def _(self, msgid: str, /, **fields: object) -> str:
        """The message (a French msgid) in the language shown now (F2 switches it)."""
        return self.env._(msgid, **fields)

    # -- life cycle --------------------------------------------------------------------

    def on_mount(self) -> None:
        from bench_agent.tui.screens.main import MainScreen

        self.title = self._("Banc de reconditionnement")
        self.push_screen(MainScreen())
        for note in self.service.notes:
            self.notify(self.t(note), severity="warning", timeout=10)
        if self.service.record.erase_started:
            self.notify(
                self._("Un effacement a été interrompu : étape 6 pour le reprendre."),
                severity="warning",
                timeout=15,
            )
        if self.service.record.inventory is None:
            self.collect_inventory()

    def views(self) -> dict[str, StepView]:
        return self.service.step_views(frozenset(self.running))

    def state_changed(self) -> None:
        """Every screen on the stack redraws from the service."""
        from bench_agent.tui.screens.base import BenchScreen

        for screen in self.screen_stack:
            if isinstance(screen, BenchScreen) and screen.is_mounted:
                screen.state_changed()

    def begin(self, step: str) -> None:
        self.running.add(step)
        self.problems.pop(step, None)
        self.state_changed()

    def end(self, step: str) -> None:
        self.running.discard(step)
        self.state_changed()

    def on_step_failed(self, message: m.StepFailed) -> None:
        self.problems[message.step] = message.text
        if message.step == "erase" and self.erase_run is not None and self.erase_run.running:
            self.erase_run.running = False
            self.erase_run.error = message.text
        if message.step == "functional":
            self.busy_test = None
        self.end(message.step)
        if message.step == "erase" and self.quit_when_erased:
            self.exit(1, return_code=1)

    def on_step_finished(self, message: m.StepFinished) -> None:
        if message.text is not None:
            self.messages[message.step] = message.text
        self.end(message.step)

    def fail(self, step: str, exc: BaseException) -> None:
        """From a worker: the step stopped; the technician reads a sentence, the detail
        goes to the bench log."""
        self.post_message(m.StepFailed(step, self.service.problem(exc, step)))

    # -- navigation --------------------------------------------------------------------

    def open_step(self, number: int) -> None:
        from bench_agent.tui.screens import STEP_SCREENS
        from bench_agent.tui.screens.main import MainScreen

        if number == 1:
            if isinstance(self.screen, MainScreen):
                self.screen.focus_unit_id()
            return
        screen_type = STEP_SCREENS.get(number)
        if screen_type is not None:
            self.push_screen(screen_type())

    def action_help(self) -> None:
        from bench_agent.tui.screens.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_toggle_language(self) -> None:
        from bench_agent.tui.screens.base import BenchScreen

        self.env.lang = "en" if self.env.lang == "fr" else "fr"
        self.title = self._("Banc de reconditionnement")
        for screen in self.screen_stack:
            if isinstance(screen, BenchScreen) and screen.is_mounted:
                await screen.recompose()
        self.state_changed()

    async def action_quit(self) -> None:
        """Quit (the sitting is kept for the restart); during an erasure, ask first and
        stop it cleanly (ABORTED)."""
        from bench_agent.tui.screens.dialogs import (
            LeaveScreen,
            QuestionScreen,
            QuitDuringEraseScreen,
        )

        if isinstance(self.screen, QuitDuringEraseScreen | QuestionScreen | LeaveScreen):
            return
        if self.erasing or self.station_erasing:

            def stop(yes: bool | None) -> None:
                if yes:
                    self.quit_when_erased = True
                    self.cancel_erase()
                    self.stop_station()

            self.push_screen(QuitDuringEraseScreen(), stop)
            return

        def leave(choice: str | None) -> None:
            if choice == "poweroff":
                self.power_off_requested = True
            if choice is not None:
                self.exit(0)

        unfinished = [self.t(w) for w in self.service.leave_warnings()]
        self.push_screen(LeaveScreen(unfinished), leave)

    # -- unit id, inventory, health ------------------------------------------------------

    def set_unit_id(self, value: str) -> bool:
        try:
            self.service.set_unit_id(value)
        except BenchError as exc:
            self.notify(self.t(self.service.problem(exc, "unit_id")), severity="error")
            return False
        self.state_changed()
        return True

    def set_serial(self, value: str) -> bool:
        try:
            self.service.set_serial(value)
        except BenchError as exc:
            self.notify(self.t(self.service.problem(exc, "unit_id")), severity="error")
            return False
        self.state_changed()
        return True

    def collect_inventory(self) -> None:
        self.begin("inventory")
        self._inventory_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="inventory")
    def _inventory_worker(self) -> None:
        try:
            self.service.collect_inventory()
        except Exception as exc:  # any probe failure reaches the technician as a sentence
            self.fail("inventory", exc)
            return
        self.post_message(m.StepFinished("inventory"))
        if self.service.record.health is None:
            # SMART is read right away: step 3 is ready when the technician gets there.
            self.call_from_thread(self.check_health)

    def check_health(self, self_test: bool = False) -> None:
        if "health" in self.running:
            return
        self.begin("health")
        self._health_worker(self_test)

    @work(thread=True, exclusive=True, exit_on_error=False, group="health")
    def _health_worker(self, self_test: bool) -> None:
        try:
            self.service.check_health("short" if self_test else None)
        except Exception as exc:  # smartctl missing, unreadable device: a sentence
            self.fail("health", exc)
            return
        self.post_message(m.StepFinished("health"))

    # -- functional tests ----------------------------------------------------------------

    def start_test(self, name: str) -> bool:
        """Run the machine side of test ``name`` ("automatic" for the automatic checks)."""
        if self.busy_test is not None:
            return False
        self.busy_test = name
        self.begin("functional")
        self._test_worker(name)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="functional")
    def _test_worker(self, name: str) -> None:
        from textual.worker import get_current_worker

        from bench_agent.bench import functional as f

        host = self.service.host
        worker = get_current_worker()
        try:
            if name == "automatic":
                outcomes = f.automatic_checks(
                    host, lambda test, exc: self.service.problem(exc, f"functional {test}")
                )
            elif name == "speakers":
                tone = f.play_tone(host)
                if tone is None:
                    self.post_message(m.ToneDone())
                    return
                outcomes = [tone]
            elif name == "microphone":
                outcomes = [f.record_microphone(host)]
            elif name == "usb":
                before = f.usb_devices(host)
                outcomes = [f.wait_usb_plug(host, before, lambda: worker.is_cancelled)]
            else:
                return
            self.service.record_outcomes(outcomes)
        except Exception as exc:  # sound stack, USB listing, profile trouble: a sentence
            self.fail("functional", exc)
            return
        self.post_message(m.TestsRecorded())

    def on_tests_recorded(self, _message: m.TestsRecorded) -> None:
        self.busy_test = None
        self.end("functional")

    def on_tone_done(self, _message: m.ToneDone) -> None:
        from bench_agent.tui.screens.dialogs import QuestionScreen

        self.busy_test = None
        self.end("functional")
        self.push_screen(
            QuestionScreen(self._("Avez-vous entendu le son des deux côtés ?  o = oui, n = non")),
            lambda yes: self.answer_test("speakers", yes),
        )

    def answer_test(self, name: str, yes: bool | None, data: dict[str, Any] | None = None) -> None:
        """The technician's answer to a yes/no test (None: left without answering)."""
        if yes is None:
            return
        self.service.answer_test(name, yes, data)
        self.state_changed()

    def untested_reason(self, name: str) -> Text | None:
        return self.service.untested.get(name)

    def confirm_absent(self, name: str) -> None:
        self.service.confirm_absent(name)
        self.state_changed()

    # -- cosmetic grade ------------------------------------------------------------------

    def set_cosmetic(self, code: str) -> None:
        try:
            self.service.set_cosmetic(code)
        except BenchError as exc:
            self.notify(self.t(self.service.problem(exc, "cosmetic")), severity="error")
        self.state_changed()

    # -- erasure -------------------------------------------------------------------------

    @property
    def erasing(self) -> bool:
        return self.erase_run is not None and self.erase_run.running

    def list_targets(self) -> None:
        self._targets_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets")
    def _targets_worker(self) -> None:
        try:
            targets = self.service.erase_candidates()
        except Exception as exc:  # /sys unreadable: a sentence, never a traceback
            self.fail("erase", exc)
            return
        self.post_message(m.TargetsListed(targets))

    def on_targets_listed(self, message: m.TargetsListed) -> None:
        self.targets = message.targets
        self.state_changed()

    def plan_erase(self, device_paths: list[str]) -> None:
        self._plan_worker(device_paths)

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets")
    def _plan_worker(self, device_paths: list[str]) -> None:
        try:
            plans = self.service.erase_plans(device_paths)
            frozen = [] if self.dry_run else self.service.frozen(plans)
        except Exception as exc:  # refusals, unreadable policy or key: a sentence
            self.fail("erase", exc)
            return
        self.post_message(m.ErasePlanned(plans, frozen))

    def on_erase_planned(self, message: m.ErasePlanned) -> None:
        from bench_agent.tui.screens.erase import EraseScreen

        if isinstance(self.screen, EraseScreen):
            self.screen.planned(message.plans, message.frozen)

    def start_erase(self, plans: list[DrivePlan], dry_run: bool, unfreeze: list[str]) -> bool:
        if self.erasing or not plans:
            return False
        run = EraseRun(devices=[p.target.device_path for p in plans], dry_run=dry_run)
        self.erase_run = run
        self.begin("erase")
        self._erase_worker(run, plans, unfreeze)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="erase")
    def _erase_worker(self, run: EraseRun, plans: list[DrivePlan], unfreeze: list[str]) -> None:
        try:
            if unfreeze:
                run.notes.extend(self.service.unfreeze(plans, unfreeze))
            outcomes, notes = self.service.erase(
                plans, dry_run=run.dry_run, progress=self._post_progress, cancel=run.cancel
            )
        except Exception as exc:  # the engine reports per disk; this is the unexpected rest
            self.fail("erase", exc)
            return
        self.post_message(m.WipeFinished(outcomes, notes))

    def _post_progress(self, progress: Progress) -> None:
        # Called from the engine's threads; post_message is thread-safe.
        self.post_message(m.WipeProgressed(progress))

    def on_wipe_progressed(self, message: m.WipeProgressed) -> None:
        run = self.erase_run
        if run is None:
            return
        run.progress[message.progress.device] = message.progress
        from bench_agent.tui.screens.erase import EraseScreen

        for screen in self.screen_stack:
            if isinstance(screen, EraseScreen) and screen.is_mounted:
                screen.show_progress(message.progress)

    def on_wipe_finished(self, message: m.WipeFinished) -> None:
        run = self.erase_run
        if run is None:
            return
        run.running = False
        run.outcomes = message.outcomes
        run.notes.extend(message.notes)
        self.end("erase")
        if self.quit_when_erased:
            ok = {o.result for o in message.outcomes} <= {"ERASED", "DRY_RUN"}
            self.exit(0 if ok else 1, return_code=0 if ok else 1)

    def action_cancel_erase(self) -> None:
        if self.erasing or self.station_erasing:
            self.cancel_erase()
            self.stop_station()
        else:
            self.notify(self._("Pour quitter : q"))

    def cancel_erase(self) -> None:
        run = self.erase_run
        if run is None or not run.running:
            return
        run.cancel.set()
        self.notify(
            self._("Arrêt propre de l'effacement en cours : certificat ABORTED."),
            severity="warning",
        )

    # -- erasure station -------------------------------------------------------------------

    @property
    def station_erasing(self) -> bool:
        return self.station is not None and self.station.erasing()

    def open_station(self) -> None:
        """The station screen; the station itself starts the first time (site.toml's
        ``[station]``) and keeps running when the screen is left."""
        from bench_agent.tui.screens.station import StationScreen

        if not isinstance(self.screen, StationScreen):
            self.push_screen(StationScreen())
        if self.station is None and "station" not in self.running:
            self.begin("station")
            threading.Thread(target=self._run_station, name="station-watch", daemon=True).start()

    def _run_station(self) -> None:
        """The station's thread: open it (the site's settings, key, journal), then watch
        udev's events until the app ends. Its own thread, not a Textual worker: the
        erasures it runs are stopped cleanly (ABORTED) when the app ends."""
        from bench_agent.bench.site import load_site
        from bench_agent.bench.station import open_station, watch
        from bench_agent.host.live import LiveHost

        service = self.service
        try:
            if service.runner is None:
                raise BenchError(
                    _t("Ordinateur enregistré (démonstration) : aucun disque n'est effacé ici.")
                )
            site = load_site(service.paths, service.environ)
            runner = service.runner
            opened = open_station(
                service.paths,
                runner,
                site,
                host=runner if isinstance(runner, LiveHost) else None,
                on_change=self.station_changed.set,
            )
        except Exception as exc:  # bad settings, unreadable key or journal: a sentence
            self.post_message(m.StepFailed("station", service.problem(exc, "station")))
            return
        self.station = opened.station
        self.call_from_thread(self.end, "station")
        for o in opened.interrupted:
            self.call_from_thread(
                self.notify,
                self._("INTERRUPTED {device} (session précédente)", device=o.device_path),
                severity="warning",
            )
        try:
            watch(opened.station, self.station_stop)
        except (ImportError, OSError) as exc:
            text = _t("Surveillance des disques impossible (pyudev) : {exc}", exc=str(exc))
            self.post_message(m.StepFailed("station", text))
            return
        self.post_message(m.StationStopped())

    def stop_station(self) -> None:
        """Every running station erasure stops (ABORTED), then the station's watch."""
        if self.station is not None:
            self.station.cancel_all()
        self.station_stop.set()

    def on_station_stopped(self, _message: m.StationStopped) -> None:
        self.state_changed()
        if self.quit_when_erased and not self.erasing:
            self.exit(1, return_code=1)

    def on_unmount(self) -> None:
        self.stop_station()

    # -- category, save --------------------------------------------------------------------

    def override(self, category: str, reason: str) -> bool:
        try:
            self.service.override(category, reason)
        except BenchError as exc:
            self.notify(self.t(self.service.problem(exc, "grade")), severity="error", timeout=10)
            return False
        self.state_changed()
        return True

    def save_report(self) -> None:
        if "grade" in self.running:
            return
        self.begin("grade")
        self._save_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save_worker(self) -> None:
        try:
            saved = self.service.save()
        except Exception as exc:  # disk full, unwritable home: a sentence
            self.fail("grade", exc)
            return
        rev = saved.revision
        text = (
            _t("Rapport enregistré et signé (révision {rev}).", rev=rev)
            if saved.new
            else _t("Déjà enregistré (révision {rev}).", rev=rev)
        )
        if saved.outbox_problem is not None:
            text = _t("{text} {outbox_problem}", text=text, outbox_problem=saved.outbox_problem)
        self.post_message(m.StepFinished("grade", text))

    # -- label -------------------------------------------------------------------------

    def make_label(self) -> None:
        if "label" in self.running:
            return
        self.begin("label")
        self._label_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="label")
    def _label_worker(self) -> None:
        from bench_agent.bench.labels import printer_queue

        try:
            text = self.service.make_label(
                lang=self.env.lang, printer=printer_queue(self.service.environ)
            )
        except Exception as exc:  # refused, printer off, font missing: a sentence
            self.fail("label", exc)
            return
        self.post_message(m.StepFinished("label", text))

    # -- sending -----------------------------------------------------------------------

    def send(self) -> None:
        if "sync" in self.running:
            return
        self.begin("sync")
        self._send_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="send")
    def _send_worker(self) -> None:
        try:
            result = self.service.send()
        except Exception as exc:  # not configured, network down: a sentence
            self.fail("sync", exc)
            return
        lines = result.lines()
        text = join("\n", lines)
        if result.ok:
            self.post_message(m.StepFinished("sync", text))
        else:
            self.post_message(m.StepFailed("sync", text))

    # -- next unit, power off ------------------------------------------------------------

    def next_unit(self) -> None:
        from bench_agent.tui.screens.dialogs import QuestionScreen

        if self.erasing:
            self.notify(
                self._("Un effacement est en cours."),
                severity="warning",
            )
            return
        warnings = self.service.leave_warnings()

        def go(yes: bool | None) -> None:
            if not yes:
                return
            self.service.next_unit()
            self.running.clear()
            self.problems.clear()
            self.messages.clear()
            self.erase_run = None
            self.targets = None
            while len(self.screen_stack) > 2:
                self.pop_screen()
            self.collect_inventory()
            self.state_changed()
            from bench_agent.tui.screens.main import MainScreen

            if isinstance(self.screen, MainScreen):
                self.screen.focus_unit_id()

        if not warnings:
            go(True)
            return
        listed = "\n".join(f"  - {self.t(w)}" for w in warnings)
        self.push_screen(
            QuestionScreen(
                self._(
                    "Cette unité n'est pas terminée :\n{listed}\n"
                    "Passer quand même à la suivante ?  o = oui, n = non",
                    listed=listed,
                ),
                danger=True,
            ),
            go,
        )


def create_app(env: Environment, service: Bench) -> BenchApp:
    """The one factory of the CLI and the tests."""
    return BenchApp(env, service)
