"""The bench app: wires screens to the services of :mod:`bench_agent.tui.sitting`.

Blocking work runs in thread workers owned by the app (an erasure keeps running
when its screen is left) that post messages back; the screens only read
:class:`~bench_agent.tui.state.Sitting` and redraw in ``state_changed``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from bench_agent.context import Environment
from bench_agent.functional.catalogue import Outcome, Result
from bench_agent.tui import messages as m
from bench_agent.tui import sitting
from bench_agent.tui.state import EraseRun, Sitting, StepState

if TYPE_CHECKING:
    from bench_agent.host.base import Host
    from bench_agent.model.report import UnitReport
    from wipe.overwrite import Progress


class BenchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "bench-agent"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quitter", priority=True, show=False),
        Binding("q", "quit", "Quitter", show=False),
        Binding("f1", "help", "Aide", show=False),
        Binding("question_mark", "help", "Aide", show=False),
        Binding("ctrl+c", "cancel_erase", "Arrêter l'effacement", priority=True, show=False),
    ]

    def __init__(self, env: Environment, host: Host) -> None:
        super().__init__()
        self.env = env
        self.host = host
        self.sitting = Sitting()
        self.quit_when_erased = False
        from bench_agent.host.recorded import RecordedHost

        # A recorded computer (training, demos) is not the machine whose disks the erase
        # step lists: erasing them "for" the recorded unit would wipe the wrong machine.
        self.simulation_only = isinstance(host, RecordedHost)
        self.sitting.dry_run = self.simulation_only

    # -- life cycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        from bench_agent.tui.screens.main import MainScreen

        self.title = self.env.say("Banc de reconditionnement", "Refurbishing bench")
        self.push_screen(MainScreen())
        self.collect_inventory()

    def set_state(self, step: str, state: StepState) -> None:
        self.sitting.states[step] = state
        self.state_changed()

    def state_changed(self) -> None:
        """Every screen on the stack redraws from the sitting."""
        from bench_agent.tui.screens.base import BenchScreen

        for screen in self.screen_stack:
            if isinstance(screen, BenchScreen) and screen.is_mounted:
                screen.state_changed()

    # -- actions ----------------------------------------------------------------------

    def open_step(self, number: int) -> None:
        from bench_agent.tui.screens import STEP_SCREENS

        if 1 <= number <= len(STEP_SCREENS):
            self.push_screen(STEP_SCREENS[number - 1]())

    def action_help(self) -> None:
        from bench_agent.tui.screens.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit; while an erasure runs, ask first and stop it cleanly (ABORTED)."""
        from bench_agent.tui.screens.dialogs import QuitDuringEraseScreen

        if not self.sitting.erasing:
            self.exit(0)
            return
        if isinstance(self.screen, QuitDuringEraseScreen):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.quit_when_erased = True
                self.cancel_erase()

        self.push_screen(QuitDuringEraseScreen(), answered)

    def action_cancel_erase(self) -> None:
        if self.sitting.erasing:
            self.cancel_erase()
        else:
            self.notify(self.env.say("Pour quitter : q", "To quit: q"))

    def cancel_erase(self) -> None:
        run = self.sitting.erase
        if run is None or not run.running:
            return
        run.cancel.set()
        self.notify(
            self.env.say(
                "Arrêt propre de l'effacement en cours : certificat ABORTED.",
                "Stopping the erasure cleanly: ABORTED certificate.",
            ),
            severity="warning",
        )

    # -- inventory --------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="inventory")
    def collect_inventory(self) -> None:
        from bench_agent.summary import render_inventory

        self.call_from_thread(self.set_state, "inventory", StepState.RUNNING)
        try:
            inv = sitting.collect(self.host)
            lines = render_inventory(inv, self.env.say, self.env.lang)
        except Exception as exc:  # any probe failure reaches the technician as a sentence
            self.post_message(m.StepFailed("inventory", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.InventoryCollected(inv, lines))

    def on_inventory_collected(self, message: m.InventoryCollected) -> None:
        self.sitting.inventory = message.inventory
        self.sitting.inventory_lines = message.lines
        self.sitting.inventory_error = None
        self.set_state("inventory", StepState.DONE)

    def on_step_failed(self, message: m.StepFailed) -> None:
        s = self.sitting
        if message.step == "inventory":
            s.inventory_error = message.message
        elif message.step == "health":
            s.health_error = message.message
        elif message.step == "erase":
            s.targets_error = message.message
            if s.erase is not None and s.erase.running:
                s.erase.running = False
                s.erase.error = message.message
        elif message.step == "grade":
            s.grade_error = message.message
        elif message.step == "label":
            s.label_message = message.message
        elif message.step == "sync":
            s.outbox_error = message.message
            s.sending = False
        elif message.step == "functional":
            s.functional_note = message.message
            s.functional_busy = None
        self.set_state(message.step, StepState.PROBLEM)
        if message.step == "erase" and self.quit_when_erased:
            self.exit(1, return_code=1)

    # -- health -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="health")
    def check_health(self) -> None:
        self.call_from_thread(self.set_state, "health", StepState.RUNNING)
        try:
            disks = sitting.check_health(self.host)
        except Exception as exc:  # smartctl missing, unreadable device...: a sentence
            self.post_message(m.StepFailed("health", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.HealthChecked(disks))

    def on_health_checked(self, message: m.HealthChecked) -> None:
        self.sitting.health = message.disks
        self.sitting.health_error = None
        bad = any(d.verdict in ("FAIL", "SUSPECT") for d in message.disks)
        self.set_state("health", StepState.PROBLEM if bad else StepState.DONE)

    # -- erasure ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets")
    def list_targets(self) -> None:
        try:
            targets = sitting.list_targets()
        except Exception as exc:  # /sys unreadable: a sentence, never a traceback
            self.post_message(m.StepFailed("erase", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.TargetsListed(targets))

    def on_targets_listed(self, message: m.TargetsListed) -> None:
        self.sitting.targets = message.targets
        self.sitting.targets_error = None
        self.state_changed()

    def start_erase(self, device_paths: list[str], dry_run: bool) -> bool:
        """Start erasing the confirmed disks; False when an erasure already runs."""
        if self.sitting.erasing or not device_paths:
            return False
        run = EraseRun(devices=list(device_paths), dry_run=dry_run or self.simulation_only)
        self.sitting.erase = run
        self.set_state("erase", StepState.RUNNING)
        if run.dry_run:
            self.erase_disks(run)  # nothing is written, nothing to unfreeze
        else:
            self.check_frozen(run)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="erase")
    def check_frozen(self, run: EraseRun) -> None:
        try:
            frozen = sitting.frozen_for_erase(run.devices)
        except Exception as exc:  # asking the drives must never stop the erasure itself
            run.notes.append(sitting.failure_text(exc, self.env))
            frozen = []
        self.post_message(m.FrozenChecked(frozen))

    def on_frozen_checked(self, message: m.FrozenChecked) -> None:
        from bench_agent.tui.screens.dialogs import UnfreezeScreen

        run = self.sitting.erase
        if run is None or not run.running:
            return
        if not message.frozen or run.cancel.is_set():
            self.erase_disks(run)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.unfreeze_disks(run, message.frozen)
            else:
                self.erase_disks(run)

        self.push_screen(UnfreezeScreen(message.frozen), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="erase")
    def unfreeze_disks(self, run: EraseRun, frozen: list[str]) -> None:
        try:
            lines = sitting.unfreeze(frozen, self.env)
        except Exception as exc:  # a failed suspend is a note; the overwrite still runs
            lines = [sitting.failure_text(exc, self.env)]
        self.post_message(m.Unfrozen(lines))

    def on_unfrozen(self, message: m.Unfrozen) -> None:
        run = self.sitting.erase
        if run is None:
            return
        run.notes.extend(message.lines)
        self.state_changed()
        self.erase_disks(run)

    @work(thread=True, exclusive=True, exit_on_error=False, group="erase")
    def erase_disks(self, run: EraseRun) -> None:
        from bench_agent.commands.sync import enqueue_certificates

        inv = self.sitting.inventory
        source = sitting.identity_of(inv) if inv is not None else {}
        try:
            job = sitting.prepare_erase(
                self.env,
                run.devices,
                dry_run=run.dry_run,
                source_computer=source,
                progress=self._post_progress,
                cancel=run.cancel,
            )
            if isinstance(job, str):
                self.post_message(m.StepFailed("erase", job))
                return
            self.post_message(m.WipeStarted(job.notes))
            outcomes = sitting.run_erase_job(job)
            problems = enqueue_certificates(self.env, outcomes)
        except Exception as exc:  # the engine reports per disk; this is the unexpected rest
            self.post_message(m.StepFailed("erase", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.WipeFinished(outcomes, problems))

    def _post_progress(self, progress: Progress) -> None:
        # Called from the engine's threads; post_message is thread-safe.
        self.post_message(m.WipeProgressed(progress))

    def on_wipe_started(self, message: m.WipeStarted) -> None:
        if self.sitting.erase is not None:
            self.sitting.erase.notes.extend(message.notes)
        self.state_changed()

    def on_wipe_progressed(self, message: m.WipeProgressed) -> None:
        run = self.sitting.erase
        if run is None:
            return
        run.progress[message.progress.device] = message.progress
        from bench_agent.tui.screens.erase import EraseScreen

        for screen in self.screen_stack:
            if isinstance(screen, EraseScreen) and screen.is_mounted:
                screen.show_progress(message.progress)

    def on_wipe_finished(self, message: m.WipeFinished) -> None:
        run = self.sitting.erase
        if run is None:
            return
        run.running = False
        run.outcomes = message.outcomes
        run.notes.extend(message.problems)
        results = {o.result for o in message.outcomes}
        if run.dry_run:
            state = StepState.TODO if results <= {"DRY_RUN"} else StepState.PROBLEM
        else:
            state = StepState.DONE if results == {"ERASED"} else StepState.PROBLEM
        self.set_state("erase", state)
        if self.quit_when_erased:
            code = 0 if state is StepState.DONE else 1
            self.exit(code, return_code=code)

    # -- grade ------------------------------------------------------------------------

    def choose_cosmetic(self, code: str) -> None:
        self.sitting.cosmetic = code
        self.sitting.grade_error = None
        self.set_state("grade", StepState.RUNNING)
        self.compute_grade(code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="grade")
    def compute_grade(self, code: str) -> None:
        try:
            inv = self.sitting.inventory
            if inv is None:
                self.post_message(
                    m.StepFailed(
                        "grade",
                        self.env.say(
                            "Inventaire pas encore prêt (étape 1).",
                            "Inventory not ready yet (step 1).",
                        ),
                    )
                )
                return
            health = self.sitting.health
            if health is None:
                health = sitting.check_health(self.host)
            run = self.sitting.erase
            erasures = sitting.erasure_summaries(run.outcomes) if run is not None else []
            functional = list(self.sitting.functional.values())
            result = sitting.grade(inv, health, code, self.env, erasures, functional=functional)
        except Exception as exc:  # a grading bug must not crash the bench
            self.post_message(m.StepFailed("grade", sitting.failure_text(exc, self.env)))
            return
        if isinstance(result, str):
            self.post_message(m.StepFailed("grade", result))
            return
        self.post_message(m.GradeComputed(*result))

    def on_grade_computed(self, message: m.GradeComputed) -> None:
        self.sitting.report = message.report
        self.sitting.grade = message.grade
        self.sitting.saved_path = None
        self.sitting.save_message = ""
        self.set_state("grade", StepState.TODO)

    def save_report(self) -> bool:
        report = self.sitting.report
        if report is None or self.sitting.saved_path is not None:
            return False
        self.set_state("grade", StepState.RUNNING)
        self.save_report_worker(report)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save_report_worker(self, report: UnitReport) -> None:
        try:
            path, text = sitting.save(report, self.env)
        except Exception as exc:  # disk full, unwritable home: a sentence
            self.post_message(m.ReportSaved(None, sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.ReportSaved(path, text))

    def on_report_saved(self, message: m.ReportSaved) -> None:
        self.sitting.saved_path = message.path
        self.sitting.save_message = message.message
        grade = self.sitting.grade
        ok = message.path is not None and grade is not None
        distributable = grade is not None and grade.category != "NOT_DISTRIBUTABLE"
        self.set_state("grade", StepState.DONE if ok and distributable else StepState.PROBLEM)

    # -- label ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="label")
    def make_label(self, to_printer: bool) -> None:
        report = self.sitting.report
        path = self.sitting.saved_path
        try:
            if report is None or path is None:
                self.post_message(
                    m.LabelMade(
                        False,
                        self.env.say(
                            "Enregistrez d'abord la catégorie (étape 4).",
                            "Save the category first (step 4).",
                        ),
                    )
                )
                return
            queue = sitting.printer_queue(self.env)
            if to_printer:
                if queue is None:
                    self.post_message(
                        m.LabelMade(
                            False,
                            self.env.say(
                                f"Aucune imprimante configurée ({sitting.PRINTER_VARIABLE}).",
                                f"No printer configured ({sitting.PRINTER_VARIABLE}).",
                            ),
                        )
                    )
                    return
                ok, text = sitting.print_label(path, queue, self.env)
                self.post_message(m.LabelMade(ok, text))
                return
            pdf = sitting.render_label_pdf(report, self.env)
        except Exception as exc:  # a label problem never crashes the bench
            self.post_message(m.LabelMade(False, sitting.failure_text(exc, self.env)))
            return
        if isinstance(pdf, Path):
            self.post_message(
                m.LabelMade(True, self.env.say(f"Étiquette : {pdf}", f"Label: {pdf}"))
            )
        else:
            self.post_message(m.LabelMade(False, pdf))

    def on_label_made(self, message: m.LabelMade) -> None:
        self.sitting.label_message = message.message
        self.set_state("label", StepState.DONE if message.ok else StepState.PROBLEM)

    # -- sync -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="outbox")
    def read_outbox(self) -> None:
        try:
            state = sitting.outbox_state(self.env)
        except Exception as exc:  # unreadable outbox file: a sentence
            self.post_message(m.StepFailed("sync", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.OutboxRead(state))

    def on_outbox_read(self, message: m.OutboxRead) -> None:
        self.sitting.outbox = message.state
        self.sitting.outbox_error = None
        self.state_changed()

    def send_outbox(self) -> bool:
        if self.sitting.sending:
            return False
        self.sitting.sending = True
        self.set_state("sync", StepState.RUNNING)
        self.send_worker()
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="send")
    def send_worker(self) -> None:
        try:
            ok, lines = sitting.send_now(self.env)
            state = sitting.outbox_state(self.env)
        except Exception as exc:  # network stack or outbox trouble: a sentence
            self.post_message(m.StepFailed("sync", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.OutboxRead(state))
        self.post_message(m.OutboxSent(ok, lines))

    def on_outbox_sent(self, message: m.OutboxSent) -> None:
        self.sitting.sending = False
        self.sitting.sync_lines = message.lines
        self.set_state("sync", StepState.DONE if message.ok else StepState.PROBLEM)

    # -- functional tests -------------------------------------------------------------

    def record_functional(self, outcome: Outcome, comment: str | None = None) -> None:
        """Keep one functional test's result (who, when) and update the step's state."""
        from bench_agent.functional import CATALOGUE

        s = self.sitting
        s.functional[outcome.name] = sitting.functional_test(outcome, self.env, comment)
        results = [t.result for t in s.functional.values()]
        if "fail" in results:
            state = StepState.PROBLEM
        elif all(t.name in s.functional for t in CATALOGUE):
            state = StepState.DONE
        else:
            state = StepState.TODO
        self.set_state("functional", state)

    def start_functional(self, name: str) -> bool:
        """Run the worker of test ``name`` ("automatic" for the automatic checks)."""
        if self.sitting.functional_busy is not None:
            return False
        self.sitting.functional_busy = name
        self.sitting.functional_note = ""
        self.set_state("functional", StepState.RUNNING)
        if name == "automatic":
            self.functional_automatic()
        elif name == "speakers":
            self.functional_tone()
        elif name == "microphone":
            self.functional_microphone()
        elif name == "usb":
            self.functional_usb()
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="functional")
    def functional_automatic(self) -> None:
        try:
            outcomes = sitting.automatic_checks(self.host)
        except Exception as exc:  # a profile or host problem is a sentence
            self.post_message(m.StepFailed("functional", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.FunctionalChecked(outcomes))

    @work(thread=True, exclusive=True, exit_on_error=False, group="functional")
    def functional_tone(self) -> None:
        try:
            outcome = sitting.play_tone(self.host)
        except Exception as exc:  # sound stack trouble: a sentence
            self.post_message(m.StepFailed("functional", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.TonePlayed(outcome))

    @work(thread=True, exclusive=True, exit_on_error=False, group="functional")
    def functional_microphone(self) -> None:
        try:
            outcome = sitting.record_microphone(self.host)
        except Exception as exc:  # sound stack trouble: a sentence
            self.post_message(m.StepFailed("functional", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.FunctionalChecked([outcome]))

    @work(thread=True, exclusive=True, exit_on_error=False, group="functional")
    def functional_usb(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            # Read in the worker: a recording without a USB listing is a sentence, not
            # a crash of the app (the listing is the "before" of the plug detection).
            before = sitting.usb_devices(self.host)
            outcome = sitting.wait_usb_plug(self.host, before, lambda: worker.is_cancelled)
        except Exception as exc:  # unreadable /sys/bus/usb: a sentence
            self.post_message(m.StepFailed("functional", sitting.failure_text(exc, self.env)))
            return
        self.post_message(m.FunctionalChecked([outcome]))

    def on_functional_checked(self, message: m.FunctionalChecked) -> None:
        self.sitting.functional_busy = None
        usb = self.sitting.functional.get("usb")
        for outcome in message.outcomes:
            if outcome.name == "usb" and usb is not None and outcome.result == "pass":
                # One pass per port tried: keep the ports seen so far; an earlier fail stays.
                ports = f"{usb.data.get('ports') or ''} {outcome.data.get('port')}".strip()
                data = {**outcome.data, "ports": ports}
                result: Result = "fail" if usb.result == "fail" else "pass"
                outcome = Outcome(outcome.name, result, outcome.reason, data)  # noqa: PLW2901
            self.record_functional(outcome)

    def on_tone_played(self, message: m.TonePlayed) -> None:
        from bench_agent.tui.screens.functional import AnswerScreen

        self.sitting.functional_busy = None
        if message.outcome is not None:
            self.record_functional(message.outcome)
            return
        self.push_screen(
            AnswerScreen(
                self.env.say(
                    "Avez-vous entendu le son des deux côtés ? o / n",
                    "Did you hear the tone from both sides? y / n",
                )
            ),
            lambda yes: self.answered("speakers", yes),
        )

    def answered(self, name: str, yes: bool | None, data: dict[str, Any] | None = None) -> None:
        """The technician's answer to a yes/no test (None: the question was left)."""
        from bench_agent.i18n import tr

        if yes is None:
            self.set_state("functional", self.sitting.states["functional"])
            if self.sitting.states["functional"] is StepState.RUNNING:
                self.set_state("functional", StepState.TODO)
            return
        reason = (
            tr("confirmé par le technicien", "confirmed by the technician")
            if yes
            else tr("défaut constaté par le technicien", "defect seen by the technician")
        )
        self.record_functional(Outcome(name, "pass" if yes else "fail", reason, dict(data or {})))


def create_app(
    env: Environment | None = None,
    host: Host | None = None,
    *,
    simulation_only: bool | None = None,
) -> BenchApp:
    """The one factory of the CLI and the tests: a recorded host and an Environment
    pointing at a temporary $BENCH_AGENT_HOME make a test bench.

    ``simulation_only`` defaults to "the host is a recorded computer": its erase step
    lists this machine's disks, so only a dry run is allowed. Tests that erase a real
    loop device beside a recorded unit say ``simulation_only=False``.
    """
    from bench_agent.host import open_host

    env = env or Environment()
    app = BenchApp(env, host if host is not None else open_host(None))
    if simulation_only is not None:
        app.simulation_only = simulation_only
        app.sitting.dry_run = simulation_only
    return app


def run(args: argparse.Namespace, env: Environment) -> int:
    """``bench-agent`` without a subcommand."""
    from bench_agent.commands._host import host_error
    from bench_agent.host import open_host

    host_dir: str | None = getattr(args, "app_host_dir", None) or getattr(args, "host_dir", None)
    try:
        host = open_host(host_dir)
    except (LookupError, OSError, ValueError) as exc:
        message = host_error(exc, host_dir, env)
        if message is None:
            raise
        env.err(message)
        return 3
    app = create_app(env, host)
    code = app.run()
    return code if code is not None else 0
