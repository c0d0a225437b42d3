"""Step 9: the outbox (waiting, sent, rejected) and sending it now."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen


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

    def action_send(self) -> None:
        self.bench.send()
