"""A sink that answers from a script and records what it got (the sender's and the
outbox's own logic under test; the real central service is exercised in tests/central)."""

from __future__ import annotations

import json

from bench_agent.i18n import _t
from bench_agent.sync.sinks.base import Delivery, Document


def retry(status: int | None = 503, after: float | None = None) -> Delivery:
    return Delivery("retry", _t("Service central indisponible"), status=status, retry_after_s=after)


def rejected(why: str = "autre contenu", status: int = 409) -> Delivery:
    return Delivery("rejected", _t("Refusé par le service central : {server}", server=why), status)


SENT = Delivery("sent", status=201)
ALREADY = Delivery("sent", status=200)


class ScriptedSink:
    def __init__(self, *answers: Delivery, name: str = "central") -> None:
        self.name = name
        self.answers = list(answers)
        self.got: list[tuple[str, int | None]] = []
        self.documents: list[Document] = []
        self.closed = False

    def deliver(self, document: Document) -> Delivery:
        payload = json.loads(document.body)["payload"]
        self.got.append(
            (payload.get("report_id", payload.get("certificate_id")), payload.get("revision"))
        )
        self.documents.append(document)
        return self.answers.pop(0) if self.answers else SENT

    def close(self) -> None:
        self.closed = True
