"""Step 6: the outbox (waiting, sent, rejected, last errors) and sending it now."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from bench_agent.tui.screens.base import BenchScreen


class SyncScreen(BenchScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "send", show=False),
        Binding("r", "refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.say("6  Envoi", "6  Sending"), classes="title")
        yield Static(id="counts")
        yield Static(id="errors")
        yield Static(id="sent")
        yield Static(
            self.say(
                "e : envoyer maintenant   r : relire   Échap : retour",
                "e: send now   r: refresh   Esc: back",
            ),
            classes="hint",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.bench.read_outbox()

    def action_refresh(self) -> None:
        self.bench.read_outbox()

    def action_send(self) -> None:
        self.bench.send_outbox()

    def state_changed(self) -> None:
        s = self.sitting
        counts = self.query_one("#counts", Static)
        if s.outbox_error:
            counts.update(s.outbox_error)
        elif s.outbox is None:
            counts.update(self.say("Lecture de la boîte d'envoi…", "Reading the outbox…"))
        else:
            c = s.outbox.counts
            counts.update(
                self.say(
                    f"En attente : {c['pending']}   envoyés : {c['sent']}   "
                    f"refusés : {c['rejected']}",
                    f"Pending: {c['pending']}   sent: {c['sent']}   rejected: {c['rejected']}",
                )
            )
        errors = s.outbox.errors if s.outbox is not None else []
        self.query_one("#errors", Static).update("\n".join(errors[-8:]))
        sent = self.query_one("#sent", Static)
        if s.sending:
            sent.update(self.say("Envoi en cours…", "Sending…"))
        else:
            sent.update("\n".join(s.sync_lines))
