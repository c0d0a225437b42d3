"""The unit report inside a document, as the tec.tech and GLPI sinks read it.

The outbox only holds envelopes whose signature verified when they were added; a sink
checks again (the file could have been altered on disk since) and parses the payload
with the one typed model every reader uses.
"""

from __future__ import annotations

import msgspec

from bench_agent.i18n import _t
from bench_agent.model.report import UnitReport
from bench_agent.sync.sinks.base import Delivery, Document


class UnreadableReportError(ValueError):
    """The document's bytes are not a signed unit report this version can read."""


def unit_report_of(document: Document) -> UnitReport:
    """The verified, typed unit report of ``document`` (UnreadableReportError otherwise)."""
    from wipe.signing import SignatureError, parse_json, verify_envelope

    try:
        payload = verify_envelope(parse_json(document.body))
    except (SignatureError, ValueError, RecursionError) as exc:
        raise UnreadableReportError(f"signature or JSON: {exc}") from exc
    try:
        return msgspec.convert(payload, UnitReport)
    except msgspec.ValidationError as exc:
        raise UnreadableReportError(f"not a unit report: {exc}") from exc


def unreadable(document: Document, exc: UnreadableReportError) -> Delivery:
    """The sink can never take this document: its signature or its shape is wrong."""
    return Delivery(
        "rejected",
        _t(
            "Rapport {item_id} illisible ou signature invalide : il ne sera pas envoyé",
            item_id=document.item_id,
        ),
        detail=str(exc),
    )


def report_to_send(document: Document, sink: str) -> UnitReport | Delivery:
    """The unit report a report-only sink (tec.tech, GLPI) sends, or its Delivery when
    there is nothing to send: ``skipped`` for a certificate, ``rejected`` for a report
    that does not verify or read."""
    if document.kind != "report":
        return Delivery("skipped", detail=f"{sink} takes unit reports only")
    try:
        return unit_report_of(document)
    except UnreadableReportError as exc:
        return unreadable(document, exc)
