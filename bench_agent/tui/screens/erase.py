"""Step 3: choose the disks (Espace), confirm each serial, erase with live progress.

The erasure itself runs in the app's worker: leaving this screen never stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, SelectionList, Static
from textual.widgets.selection_list import Selection

from bench_agent.commands.erase import human_size, progress_line
from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.state import EraseRun

if TYPE_CHECKING:
    from wipe.overwrite import Progress
    from wipe.targets import Target

RESULTS = {
    "ERASED": ("EFFACÉ", "ERASED"),
    "DRY_RUN": ("SIMULATION", "DRY RUN"),
    "ABORTED": ("ABANDONNÉ", "ABORTED"),
    "FAILED": ("ÉCHEC", "FAILED"),
    "UNVERIFIED": ("NON VÉRIFIÉ", "UNVERIFIED"),
    "REFUSED": ("REFUSÉ", "REFUSED"),
}


class EraseScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "erase", show=False),
        Binding("s", "toggle_dry_run", show=False),
        Binding("a", "cancel", show=False),
        Binding("r", "refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown_targets: list[Target] | None = None
        self._shown_run: EraseRun | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.say("3  Effacement", "3  Erasure"), classes="title")
        yield Static(id="mode")
        yield SelectionList[str](id="targets")
        with VerticalScroll(id="run"):
            yield Static(id="erase-notes")
            yield Vertical(id="progress")
            yield Static(id="results")
        yield Static(
            self.say(
                "Espace : choisir   e : effacer   s : simulation   a ou Ctrl+C : arrêter   "
                "Échap : retour",
                "Space: select   e: erase   s: dry run   a or Ctrl+C: stop   Esc: back",
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()
        super().on_mount()
        if not self.sitting.erasing:
            self.bench.list_targets()

    # -- drawing ----------------------------------------------------------------------

    def state_changed(self) -> None:
        s = self.sitting
        mode = self.query_one("#mode", Static)
        mode.update(
            self.say("Mode : SIMULATION (rien n'est écrit)", "Mode: DRY RUN (nothing is written)")
            if s.dry_run
            else self.say("Mode : RÉEL", "Mode: REAL")
        )
        mode.set_class(s.dry_run, "dry-run")
        if s.targets is not self._shown_targets:
            self._fill_targets(s.targets)
        run = s.erase
        if run is not self._shown_run and run is not None:
            self._make_progress_rows(run)
        self._shown_run = run
        notes = [s.targets_error] if s.targets_error else []
        if run is not None:
            notes += run.notes
            if run.error:
                notes.append(run.error)
        self.query_one("#erase-notes", Static).update("\n".join(n for n in notes if n))
        self._show_results(run)

    def _fill_targets(self, targets: list[Target] | None) -> None:
        self._shown_targets = targets
        box = self.query_one(SelectionList)
        box.clear_options()
        if targets is None:
            return
        for t in targets:
            size = human_size(t.size_bytes)
            head = f"{t.device_path:<14} {size:>9}  {t.model or '?'} [{t.serial or '-'}]"
            if t.erasable:
                box.add_option(Selection(head, t.device_path))
            else:
                why = "; ".join(self.say(r.fr, r.en) for r in t.refusals)
                refused = self.say("REFUSÉ", "REFUSED")
                box.add_option(
                    Selection(f"{head}  → {refused} : {why}", t.device_path, disabled=True)
                )

    def _make_progress_rows(self, run: EraseRun) -> None:
        box = self.query_one("#progress", Vertical)
        box.remove_children()
        for index, device in enumerate(run.devices):
            box.mount(
                Horizontal(
                    ProgressBar(total=None, show_eta=False, id=f"bar-{index}"),
                    Label(f"{device} …", id=f"line-{index}"),
                    classes="disk-progress",
                )
            )

    def show_progress(self, p: Progress) -> None:
        run = self.sitting.erase
        if run is None or p.device not in run.devices or self._shown_run is not run:
            return
        index = run.devices.index(p.device)
        bars = self.query(f"#bar-{index}")
        if not bars:
            return
        bar = bars.first(ProgressBar)
        bar.update(total=p.bytes_total or None, progress=p.bytes_done)
        self.query_one(f"#line-{index}", Label).update(progress_line(self.bench.env, p))

    def _show_results(self, run: EraseRun | None) -> None:
        view = self.query_one("#results", Static)
        if run is None:
            view.update("")
            return
        if run.running:
            view.update(
                self.say("Arrêt demandé…", "Stop requested…")
                if run.cancel.is_set()
                else self.say("Effacement en cours…", "Erasing…")
            )
            return
        lines: list[str] = []
        for o in run.outcomes:
            label = self.say(*RESULTS.get(o.result, (o.result, o.result)))
            lines.append(f"{o.device_path} : {label} ({o.result})")
            if o.certificate_path:
                lines.append(
                    self.say(
                        f"  certificat : {o.certificate_path}",
                        f"  certificate: {o.certificate_path}",
                    )
                )
            reasons = o.reasons_en if self.bench.env.lang == "en" else o.reasons_fr
            lines += [f"  {r}" for r in reasons]
        view.update("\n".join(lines))

    # -- actions ----------------------------------------------------------------------

    def action_refresh(self) -> None:
        if not self.sitting.erasing:
            self.bench.list_targets()

    def action_toggle_dry_run(self) -> None:
        if self.sitting.erasing:
            return
        if self.bench.simulation_only:
            self.notify(
                self.say(
                    "Ordinateur enregistré : simulation seulement (les disques listés sont "
                    "ceux de cette machine-ci).",
                    "Recorded computer: dry run only (the disks listed are this machine's).",
                ),
                severity="warning",
            )
            return
        self.sitting.dry_run = not self.sitting.dry_run
        self.state_changed()

    def action_cancel(self) -> None:
        self.bench.cancel_erase()

    def action_erase(self) -> None:
        s = self.sitting
        if s.erasing:
            self.notify(
                self.say("Un effacement est déjà en cours.", "An erasure is already running.")
            )
            return
        chosen = set(self.query_one(SelectionList).selected)
        targets = [t for t in s.targets or [] if t.device_path in chosen and t.erasable]
        if not targets:
            self.notify(
                self.say("Choisissez d'abord un disque (Espace).", "Select a disk first (Space)."),
                severity="warning",
            )
            return
        if s.dry_run:
            # A dry run writes nothing: no serial to type (as `erase --dry-run`).
            self.bench.start_erase([t.device_path for t in targets], dry_run=True)
            return
        self._confirm(targets, [])

    def _confirm(self, pending: list[Target], confirmed: list[str]) -> None:
        from bench_agent.tui.screens.dialogs import ConfirmSerialScreen

        if not pending:
            self.bench.start_erase(confirmed, dry_run=False)
            return
        target, rest = pending[0], pending[1:]

        def answered(ok: bool | None) -> None:
            if ok:
                self._confirm(rest, [*confirmed, target.device_path])
            else:
                self.notify(
                    self.say(
                        f"Non confirmé : {target.device_path}. Aucun disque effacé.",
                        f"Not confirmed: {target.device_path}. No disk was erased.",
                    ),
                    severity="error",
                )

        self.app.push_screen(ConfirmSerialScreen(target), answered)
