"""Step 9: the outbox (waiting, sent, rejected), per sink what waits, its last error and
last success, and sending it now (the background sender also sends by itself)."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen

REFRESH_S = 2.0


def _when(timestamp: float | None) -> str:
    return "—" if timestamp is None else time.strftime("%d/%m %H:%M", time.localtime(timestamp))


class SyncScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "send", show=False),
        Binding("enter", "send", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self._("9  Envoi"), classes="title")
        yield Static(markup=False, id="counts")
        yield Static(markup=False, id="sent")
        yield Static(
            self._("e ou Entrée : envoyer maintenant   Échap : retour"),
            classes="hint",
        )

    def state_changed(self) -> None:
        try:
            state = self.service.outbox_state()
        except Exception as exc:  # unreadable outbox file: a sentence, the detail in the log
            text = self.t(self.service.problem(exc, "outbox"))
        else:
            c = state.counts
            text = self._(
                "Boîte d'envoi : {pending} en attente, {sent} envoyé(s), {rejected} refusé(s)",
                pending=c["pending"],
                sent=c["sent"],
                rejected=c["rejected"],
            )
            for view in state.sinks:
                success = (
                    self._("dernier envoi réussi : {when}", when=_when(view.last_success_at))
                    if view.last_success_at
                    else self._("dernier envoi réussi : jamais")
                )
                text += "\n  " + self._(
                    "{sink} : {waiting} en attente, {rejected} refusé(s) — {success}",
                    sink=view.name,
                    waiting=view.waiting,
                    rejected=view.rejected,
                    success=success,
                )
            text += "".join("\n  " + self.t(p) for p in state.problems[:5])
        self.query_one("#counts", Static).update(text)
        sent = self.query_one("#sent", Static)
        problem = self.bench.problems.get("sync")
        if "sync" in self.bench.running:
            sent.update(self._("Envoi en cours…"))
        elif problem is not None:
            sent.update(self.t(problem))
            sent.set_class(True, "problem")
        else:
            sent.update(self.t(self.bench.messages.get("sync")))
            sent.set_class(False, "problem")

    def on_mount(self) -> None:
        super().on_mount()
        # The background sender works while the screen is shown: redraw what it did.
        self.set_interval(REFRESH_S, self.state_changed)

    def action_send(self) -> None:
        self.bench.send()
