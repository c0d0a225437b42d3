"""Step 6: choose the disks (Espace), see the plan per drive, confirm each serial, erase
with live progress (two lines per drive: a bar, then rate and time left).

The erasure itself runs in the app's worker: leaving this screen never stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, SelectionList, Static
from textual.widgets.selection_list import Selection

from bench_agent.bench.erasure import EraseRun, human_size, outcome_reasons, progress_text
from bench_agent.i18n import C_
from bench_agent.model.common import Text
from bench_agent.tui.screens.base import BenchScreen

if TYPE_CHECKING:
    from bench_agent.bench.erasure import DrivePlan
    from wipe.overwrite import Progress
    from wipe.targets import Target

RESULTS = {
    "ERASED": C_("effacement", "EFFACÉ"),
    "DRY_RUN": C_("effacement", "SIMULATION"),
    "ABORTED": C_("effacement", "ARRÊTÉ"),
    "FAILED": C_("effacement", "ÉCHEC"),
    "UNVERIFIED": C_("effacement", "NON VÉRIFIÉ"),
    "INTERRUPTED": C_("effacement", "INTERROMPU"),
}


class EraseScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "erase", show=False),
        Binding("s", "toggle_dry_run", show=False),
        Binding("a", "cancel", show=False),
        Binding("r", "refresh", show=False),
        Binding("v", "validate", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown_targets: list[Target] | None = None
        self._shown_run: EraseRun | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._("6  Effacement"), classes="title")
        yield Static(markup=False, id="mode")
        yield SelectionList[str](id="targets")
        yield Static(markup=False, id="refusals")
        with VerticalScroll(id="run"):
            yield Static(markup=False, id="erase-notes")
            yield Vertical(id="progress")
            yield Static(markup=False, id="results")
            yield Static(markup=False, id="validations")
        yield Static(
            self._(
                "Espace : choisir  e : effacer  s : simulation  a : arrêter  Échap : retour\n"
                "v : validation des certificats par une 2e personne"
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()
        super().on_mount()
        if not self.bench.erasing:
            self.bench.list_targets()

    # -- drawing ----------------------------------------------------------------------

    def state_changed(self) -> None:
        app = self.bench
        mode = self.query_one("#mode", Static)
        interrupted = self.service.record.erase_started and not app.erasing
        text = (
            self._("Mode : SIMULATION (rien n'est écrit)") if app.dry_run else self._("Mode : RÉEL")
        )
        if interrupted:
            text += self._(
                "\nEffacement interrompu : choisissez le disque, e le reprend où il s'était arrêté."
            )
        mode.update(text)
        mode.set_class(app.dry_run, "dry-run")
        if app.targets is not self._shown_targets:
            self._fill_targets(app.targets)
        run = app.erase_run
        if run is not self._shown_run and run is not None:
            self._make_progress_rows(run)
        self._shown_run = run
        notes = []
        problem = app.problems.get("erase")
        if problem is not None:
            notes.append(self.t(problem))
        if run is not None:
            notes += [self.t(n) for n in run.notes]
        view = self.query_one("#erase-notes", Static)
        view.update("\n".join(n for n in notes if n))
        view.set_class(problem is not None, "problem")
        self._show_results(run)

    def _fill_targets(self, targets: list[Target] | None) -> None:
        self._shown_targets = targets
        box = self.query_one(SelectionList)
        box.clear_options()
        refused_lines: list[str] = []
        for t in targets or []:
            # Rich Text, never markup: a serial like [ABC] must print as it is.
            box.add_option(
                Selection(self._prompt(t, selected=False), t.device_path, disabled=not t.erasable)
            )
            if not t.erasable:
                # The reasons on their own lines below the list: never cut at 80 columns.
                why = "; ".join(self.t(Text(fr=r.fr, en=r.en)) for r in t.refusals)
                refused_lines.append(self._("{device} : {why}", device=t.device_path, why=why))
        self.query_one("#refusals", Static).update(RichText("\n".join(refused_lines)))
        # The cursor on the first disk that can be erased: Espace works at once.
        for index, t in enumerate(targets or []):
            if t.erasable:
                box.highlighted = index
                break

    def _prompt(self, t: Target, *, selected: bool) -> RichText:
        """One row: a mark readable without colour, then size, media, model, serial."""
        # The mark column is 7 wide in French: the English keeps the width.
        unchosen = "       "
        mark = (
            self._("REFUSÉ ") if not t.erasable else (self._("CHOISI ") if selected else unchosen)
        )
        size = self.t(human_size(t.size_bytes))
        # The serial is what the technician checks against the drive: never cut; the
        # model is shortened to leave it room at 80 columns.
        serial = f"[{t.serial or '-'}]"
        model = (t.model or "?")[: max(8, 38 - len(serial))]
        row = f"{mark} {t.device_path:<11} {size:>8} {model} {serial}"
        return RichText(row, style="bold" if selected else "")

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        box = self.query_one(SelectionList)
        chosen = set(box.selected)
        for index, t in enumerate(self._shown_targets or []):
            box.replace_option_prompt_at_index(
                index, self._prompt(t, selected=t.device_path in chosen)
            )

    def _make_progress_rows(self, run: EraseRun) -> None:
        box = self.query_one("#progress", Vertical)
        box.remove_children()
        for index, device in enumerate(run.devices):
            box.mount(
                Vertical(
                    ProgressBar(total=None, show_eta=False, id=f"bar-{index}"),
                    Label(f"{device} …", id=f"line-{index}", markup=False),
                    classes="disk-progress",
                )
            )

    def show_progress(self, p: Progress) -> None:
        run = self.bench.erase_run
        if run is None or p.device not in run.devices or self._shown_run is not run:
            return
        index = run.devices.index(p.device)
        bars = self.query(f"#bar-{index}")
        if not bars:
            return
        bars.first(ProgressBar).update(total=p.bytes_total or None, progress=p.bytes_done)
        self.query_one(f"#line-{index}", Label).update(self.t(progress_text(p)))

    def _show_results(self, run: EraseRun | None) -> None:
        self.query_one("#validations", Static).update(
            "\n".join(self.t(line) for line in self.service.validations())
        )
        view = self.query_one("#results", Static)
        if run is None:
            view.update("")
            return
        if run.running:
            view.update(
                self._("Arrêt demandé…")
                if run.cancel.is_set()
                else self._("Effacement en cours… (Échap : autres étapes)")
            )
            return
        lines: list[str] = []
        for o in run.outcomes:
            label = self._(RESULTS[o.result]) if o.result in RESULTS else o.result
            lines.append(f"{o.device_path} : {label}")
            reasons = self.t(outcome_reasons(o))
            if reasons:
                lines.append(f"  {reasons}")
        view.update("\n".join(lines))

    # -- actions ----------------------------------------------------------------------

    def action_refresh(self) -> None:
        if not self.bench.erasing:
            self.bench.list_targets()

    def action_toggle_dry_run(self) -> None:
        app = self.bench
        if app.erasing:
            return
        if app.simulation_only:
            self.notify(
                self._("Ordinateur enregistré : simulation seulement."),
                severity="warning",
            )
            return
        app.dry_run = not app.dry_run
        self.state_changed()

    def action_cancel(self) -> None:
        self.bench.cancel_erase()

    def action_validate(self) -> None:
        """A second person validates this unit's certificates (a signed countersignature
        beside each, printed on its PDF)."""
        from bench_agent.bench.errors import BenchError
        from bench_agent.tui.screens.dialogs import TextScreen

        if self.bench.erasing:
            self.notify(self._("Un effacement est en cours."), severity="warning")
            return

        def validated(name: str | None) -> None:
            if not name:
                return
            try:
                count = self.service.countersign_erasures(name)
            except BenchError as exc:
                self.notify(self.t(self.service.problem(exc, "erase")), severity="error")
                return
            self.notify(self._("Certificats validés : {count}.", count=count))
            self.state_changed()

        self.app.push_screen(
            TextScreen(
                self._("Validation des certificats"),
                self._(
                    "Nom de la personne qui a vérifié les effacements (pas l'opérateur), "
                    "puis Entrée. Échap : annuler."
                ),
            ),
            validated,
        )

    def action_erase(self) -> None:
        app = self.bench
        if app.erasing:
            self.notify(self._("Un effacement est déjà en cours."))
            return
        chosen = set(self.query_one(SelectionList).selected)
        devices = [
            t.device_path for t in app.targets or [] if t.device_path in chosen and t.erasable
        ]
        if not devices:
            self.notify(
                self._("Choisissez d'abord un disque (Espace)."),
                severity="warning",
            )
            return
        app.plan_erase(devices)

    def on_screen_resume(self) -> None:
        self.state_changed()

    def planned(self, plans: list[DrivePlan], frozen: list[str]) -> None:
        """The plan is ready: show it, then confirm each serial (not for a dry run)."""
        from bench_agent.tui.screens.dialogs import PlanScreen, QuestionScreen

        app = self.bench
        dry_run = app.dry_run

        def after_plan(yes: bool | None) -> None:
            if not yes:
                return
            if dry_run:
                app.start_erase(plans, True, [])
                return
            if not frozen:
                self._confirm(plans, list(plans), [], [])
                return
            names = ", ".join(frozen)
            app.push_screen(
                QuestionScreen(
                    self._(
                        "{names} : gelé par le BIOS. Mettre en veille 5 s pour le dégeler "
                        "(sinon l'écrasement seul sera utilisé) ?  o = oui, n = non",
                        names=names,
                    )
                ),
                lambda yes: self._confirm(plans, list(plans), [], frozen if yes else []),
            )

        app.push_screen(PlanScreen(plans, dry_run), after_plan)

    def _confirm(
        self,
        plans: list[DrivePlan],
        pending: list[DrivePlan],
        confirmed: list[DrivePlan],
        unfreeze: list[str],
    ) -> None:
        from bench_agent.tui.screens.dialogs import ConfirmSerialScreen

        if not pending:
            self.bench.start_erase(confirmed, False, unfreeze)
            return
        plan, rest = pending[0], pending[1:]

        def answered(ok: bool | None) -> None:
            if ok:
                self._confirm(plans, rest, [*confirmed, plan], unfreeze)
            else:
                self.notify(
                    self._(
                        "Non confirmé : {device_path}. Aucun disque effacé.",
                        device_path=plan.target.device_path,
                    ),
                    severity="error",
                )

        self.app.push_screen(ConfirmSerialScreen(plan.target), answered)
