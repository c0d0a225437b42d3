"""The erasure station (issue 15): loose drives plugged into docks, erased by the
site's policy as they arrive — the app's skin over :mod:`bench_agent.bench.station`
(the console skin is ``bench-agent station``; the behaviour is the service's).

One row per slot the site names (``[station.slots]``), then the drives in ports no
slot names (never erased). Entrée starts (or resumes) the highlighted drive now,
Espace holds it, l chooses the donor batch. The station keeps running when this
screen is left (Échap); the screen redraws from the service at most twice a second,
so an erasure's progress never waits for the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bench_agent.bench.erasure import duration_text, human_size, progress_text
from bench_agent.bench.station import STATES
from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.screens.erase import RESULTS
from bench_agent.tui.screens.health import VERDICTS
from bench_agent.tui.screens.main import clip

if TYPE_CHECKING:
    from bench_agent.bench.station import SlotView

REDRAW_S = 0.5
"""How often the screen reads the service (the erasure threads only set a flag)."""

BAR = 16
"""The width of a drive's progress bar (full blocks and box lines: the console font)."""

STATE_STYLES = {
    "waiting": "bold yellow",
    "held": "bold magenta",
    "erasing": "bold yellow",
    "done": "bold green",
    "refused": "bold red",
    "ignored": "",
    "empty": "",
}

VERDICT_STYLES = {
    "OK": "green",
    "WORN": "yellow",
    "SUSPECT": "dark_orange",
    "FAIL": "bold red",
    "UNKNOWN": "",
}


def short_serial(serial: str | None, room: int = 14) -> str:
    """The serial's end (what a drive's label shows last), "…" before it when cut."""
    if not serial:
        return "-"
    return serial if len(serial) <= room else "…" + serial[-(room - 1) :]


def bar(done: int, total: int | None) -> str:
    if not total:
        return "─" * BAR
    filled = min(BAR, BAR * done // total)
    return "█" * filled + "─" * (BAR - filled)


class StationScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "hold", show=False),
        Binding("l", "batch", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._keys: list[str | None] = []
        """The slot of each row of the list (None: a heading)."""
        self._cursor: str | None = None
        """The highlighted slot (kept when the rows change or F2 rebuilds the list)."""

    def compose(self) -> ComposeResult:
        self._keys = []  # a new, empty list (F2 composes the screen again)
        yield Static(self._("Poste d'effacement — disques seuls"), classes="title")
        yield Static(markup=False, id="station-head")
        yield OptionList(id="slots")
        yield Static(markup=False, id="slot-detail")
        yield Static(
            self._(
                "↑↓ : emplacement  Entrée : effacer ou reprendre maintenant  Espace : retenir\n"
                "l : lot du donateur  Échap : retour (le poste continue)  q : quitter"
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        super().on_mount()
        self.set_interval(REDRAW_S, self._tick)

    def on_screen_resume(self) -> None:
        self.state_changed()

    def _tick(self) -> None:
        station = self.bench.station
        if station is None:
            return
        # Redrawn when the service said something changed, or to count a delay down.
        if self.bench.station_changed.is_set() or station.busy():
            self.state_changed()

    # -- drawing ------------------------------------------------------------------------

    def state_changed(self) -> None:
        app = self.bench
        app.station_changed.clear()
        head = self.query_one("#station-head", Static)
        station = app.station
        problem = app.problems.get("station")
        if station is None:
            head.update(self.t(problem) if problem else self._("Démarrage du poste…"))
            head.set_class(problem is not None, "problem")
            return
        settings = station.settings
        line = self._(
            "Lot : {batch}   Délai : {delay} s   Opérateur : {operator}",
            batch=settings.batch or self._("aucun (l pour le choisir)"),
            delay=f"{settings.delay_s:g}",
            operator=settings.operator,
        )
        if problem is not None:
            line += "\n" + self.t(problem)
        head.update(line)
        head.set_class(problem is not None, "problem")
        self._fill(station.board())

    def _fill(self, views: list[SlotView]) -> None:
        box = self.query_one(OptionList)
        width = box.scrollable_content_region.width or 74
        keys: list[str | None] = []
        options: list[Option | None] = []
        other = False
        for view in views:
            if view.state == "ignored" and not other:
                other = True
                keys.append(None)
                options.append(
                    Option(
                        RichText(self._("Autres ports (non effacés) :"), style="italic"),
                        disabled=True,
                    )
                )
            keys.append(view.slot)
            options.append(Option(self._rows(view, width)))
        if keys == self._keys:
            # The same rows: their text changes, the cursor and the scroll stay.
            for row, option in enumerate(options):
                if option is not None and keys[row] is not None:
                    box.replace_option_prompt_at_index(row, option.prompt)
        else:
            before = self._cursor
            self._keys = keys
            box.set_options(options)
            index = keys.index(before) if before is not None and before in keys else None
            if index is None:
                index = next((i for i, k in enumerate(keys) if k is not None), None)
            box.highlighted = index
        self._show_detail(views)

    def _rows(self, view: SlotView, width: int) -> RichText:
        """Two lines: slot, state, model [serial], size; then what is happening."""
        ident = view.identity
        state = self._(STATES.get(view.state, view.state))
        if view.state == "ignored":
            state = ""  # under the heading "Other ports (not erased)"
        if view.left:
            state = self._("débranché")
        text = RichText.assemble(
            (f"{clip(view.slot, 12):<12} ", "bold"),
            (f"{clip(state, 12):<12} ", STATE_STYLES.get(view.state, "")),
        )
        if view.state == "empty":
            text.append(self._("aucun disque"), style="dim")
            return text
        size = self.t(human_size(ident.get("size_bytes")))
        serial = f"[{short_serial(ident.get('serial'))}]"
        room = max(8, width - 26 - len(serial) - len(size) - 2)
        text.append(f"{clip(str(ident.get('model') or '?'), room)} {serial} {size}")
        second = self._second_line(view)
        if second is not None:
            second.truncate(max(10, width - 2), overflow="ellipsis")
            text.append("\n  ")
            text.append_text(second)
        return text

    def _health(self, view: SlotView) -> RichText:
        verdict = view.health or "…"
        word = self._(VERDICTS[verdict]) if verdict in VERDICTS else verdict
        return RichText.assemble(self._("santé "), (word, VERDICT_STYLES.get(verdict, "")), "  ")

    def _second_line(self, view: SlotView) -> RichText | None:
        if view.state == "ignored":
            return None
        if view.state == "refused":
            return RichText(self._("refusé : {why}", why=self.t(view.reasons)), style="red")
        if view.left and view.result is None:
            # Pulled: its thread is stopping the session (the certificate comes next).
            return RichText(self._("débranché : arrêt de l'effacement…"), style="bold red")
        if view.left:
            return RichText(self._("INTERROMPU : rebranchez-le pour reprendre"), style="bold red")
        if view.abandoned:
            return RichText(
                self._("BLOQUÉ : abandonné, NON effacé (débranchez-le)"), style="bold red"
            )
        if view.state == "erasing" and view.stalled_s is not None:
            return RichText(
                self._(
                    "BLOQUÉ : aucune progression depuis {seconds} s", seconds=int(view.stalled_s)
                ),
                style="bold red",
            )
        if view.state == "erasing":
            # The progress alone: its time left must never be cut (health is in the detail).
            p = view.progress
            if p is None:
                return RichText(self._("préparation…"))
            return RichText(
                bar(p.bytes_done, p.bytes_total) + " " + self.t(progress_text(p, with_device=False))
            )
        line = self._health(view)
        if view.state == "waiting":
            seconds = duration_text(view.starts_in_s or 0.0)
            line.append(
                self._("reprise dans {seconds} — Entrée : reprendre", seconds=seconds)
                if view.resumed
                else self._("début dans {seconds} — Entrée : maintenant", seconds=seconds)
            )
        elif view.state == "held":
            line.append(
                self._("reprise retenue — Entrée : reprendre")
                if view.resumed
                else self._("retenu — Entrée : effacer")
            )
        elif view.result is not None:
            label = self._(RESULTS[view.result]) if view.result in RESULTS else view.result
            style = "bold green" if view.result == "ERASED" else "bold red"
            line.append(label, style=style)
            reasons = self.t(view.reasons)
            if reasons and view.result != "ERASED":
                line.append(" : " + reasons)
        return line

    def _show_detail(self, views: list[SlotView]) -> None:
        """The highlighted drive in full: device, serial, health reason, plan or result,
        certificate."""
        box = self.query_one(OptionList)
        index = box.highlighted
        slot = self._keys[index] if index is not None and index < len(self._keys) else None
        view = next((v for v in views if v.slot == slot), None)
        detail = self.query_one("#slot-detail", Static)
        if view is None or view.state == "empty":
            detail.update("")
            return
        ident = view.identity
        lines = [
            self._(
                "{slot} : {device}  {model}  n° de série {serial}",
                slot=view.slot,
                device=view.device or "-",
                model=ident.get("model") or "?",
                serial=ident.get("serial") or "-",
            )
        ]
        if view.health is not None:
            verdict = self._(VERDICTS[view.health]) if view.health in VERDICTS else view.health
            why = self.t(view.health_reason)
            lines.append(
                self._("Santé : {verdict} — {why}", verdict=verdict, why=why)
                if why
                else self._("Santé : {verdict}", verdict=verdict)
            )
        if view.plan is not None and view.result is None and view.state != "refused":
            lines.append(self._("Méthode : {plan}", plan=self.t(view.plan)))
        if view.result is not None:
            reasons = self.t(view.reasons)
            if reasons:
                lines.append(reasons)
        if view.certificate is not None:
            lines.append(
                self._(
                    "Lot : {batch}   Certificat : {name}",
                    batch=view.batch or "-",
                    name=view.certificate.name,
                )
            )
        elif view.batch:
            lines.append(self._("Lot : {batch}", batch=view.batch))
        detail.update("\n".join(lines))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if index < len(self._keys) and self._keys[index] is not None:
            self._cursor = self._keys[index]
        station = self.bench.station
        if station is not None:
            self._show_detail(station.board())

    # -- keys -----------------------------------------------------------------------------

    def _slot(self) -> str | None:
        index = self.query_one(OptionList).highlighted
        return self._keys[index] if index is not None and index < len(self._keys) else None

    def action_start(self) -> None:
        station, slot = self.bench.station, self._slot()
        if station is None or slot is None:
            return
        if not station.start_now(slot):
            self.notify(self._("Aucun disque en attente dans cet emplacement."))
        self.state_changed()

    def action_hold(self) -> None:
        station, slot = self.bench.station, self._slot()
        if station is None or slot is None:
            return
        if not station.hold(slot):
            self.notify(self._("Aucun disque en attente dans cet emplacement."))
        self.state_changed()

    def action_batch(self) -> None:
        from bench_agent.bench.errors import BenchError
        from bench_agent.tui.screens.dialogs import TextScreen

        station = self.bench.station
        if station is None:
            return

        def chosen(code: str | None) -> None:
            if code is None:
                return
            try:
                station.set_batch(code)
            except BenchError as exc:
                self.notify(self.t(exc.text), severity="error")
                return
            self.notify(self._("Lot du donateur : {batch}", batch=station.settings.batch))
            self.state_changed()

        self.app.push_screen(
            TextScreen(
                self._("Lot du donateur"),
                self._(
                    "Code du lot des disques branchés à partir de maintenant (écrit sur "
                    "leurs certificats), puis Entrée. Échap : annuler."
                ),
            ),
            chosen,
        )
