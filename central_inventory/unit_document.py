"""The unit's test report PDF as the central service gives it to staff: the bench's
renderer (:mod:`bench_agent.documents.unit_report_pdf`) over the unit's current report,
with each disk's erasure taken from the certificates stored and verified here, never from
the report's own claims (no HTTP here)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from sqlalchemy import select

from central_inventory.db import Bench
from wipe.signing import SignatureError, verify_envelope

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bench_agent.documents.unit_report_pdf import ErasureLine
    from central_inventory.evidence import UnitView


class UnreadableReportError(ValueError):
    """The unit's stored report no longer reads as a UnitReport (an older schema)."""


def erasure_lines(session: Session, view: UnitView) -> list[ErasureLine]:
    """One line per certificate the unit's reports list: its verified facts, "not
    received yet", or "signature does not verify"; then the inventory's disks none
    covers."""
    from bench_agent.documents.unit_report_pdf import (
        BROKEN_CERTIFICATE,
        PENDING_CERTIFICATE,
        ErasureLine,
    )
    from bench_agent.unit import summarize_certificate

    keys = {
        bench_id: base64.b64decode(key)
        for bench_id, key in session.execute(
            select(Bench.id, Bench.public_key_b64).where(
                Bench.id.in_({c.bench_id for c in view.certificates})
            )
        )
    }
    lines = []
    for certificate in view.certificates:
        try:
            # Verified again on every download: a row altered in the database shows.
            payload = verify_envelope(
                json.loads(certificate.envelope), trusted_public_key=keys[certificate.bench_id]
            )
            summary = summarize_certificate(payload)
        except (SignatureError, ValueError, KeyError):
            lines.append(
                ErasureLine(
                    disk_model=certificate.disk_model,
                    disk_serial=certificate.disk_serial,
                    device=None,
                    certificate_id=certificate.certificate_id,
                    state=BROKEN_CERTIFICATE,
                )
            )
            continue
        lines.append(
            ErasureLine(
                disk_model=summary.disk_model,
                disk_serial=summary.disk_serial,
                device=summary.device,
                certificate_id=summary.certificate_id,
                summary=summary,
            )
        )
    lines += [
        ErasureLine(
            disk_model=None,
            disk_serial=None,
            device=None,
            certificate_id=certificate_id,
            state=PENDING_CERTIFICATE,
        )
        for certificate_id in view.pending_certificate_ids
    ]
    return lines


def unit_report_pdf(session: Session, view: UnitView, lang: str) -> bytes:
    """The PDF of the unit's current report; UnreadableReportError when it has none that
    reads as a UnitReport."""
    import msgspec

    from bench_agent.documents.unit_report_pdf import (
        Provenance,
        render_unit_report,
        uncovered_disks,
    )
    from bench_agent.model.report import UnitReport

    if view.current is None:
        raise UnreadableReportError("the unit has no current report")
    try:
        report = msgspec.convert(view.latest, UnitReport)
    except msgspec.ValidationError as exc:
        raise UnreadableReportError(str(exc)) from exc
    key_id = session.scalar(select(Bench.key_id).where(Bench.id == view.current.bench_id))
    lines = erasure_lines(session, view)
    lines += uncovered_disks(report, lines)
    source = (
        "Copie du service central ; effacements d'après les certificats reçus et vérifiés."
        if lang != "en"
        else "Central service copy; erasures from the certificates received and verified."
    )
    return render_unit_report(
        report,
        lang,
        provenance=Provenance(signed=True, key_id=key_id, source=source),
        erasures=lines,
    )
