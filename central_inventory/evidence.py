"""Reading stored evidence back: certificate verification, unit views (no HTTP here)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_inventory.db import (
    Batch,
    Bench,
    Certificate,
    Report,
    ReportCertificate,
    Tenant,
    Unit,
)
from central_inventory.ingest import valid_id
from wipe.signing import SignatureError, verify_envelope


def mask_serial(serial: str | None) -> str | None:
    """Enough of a disk serial to match the drive in hand, not enough to look it up."""
    if not serial:
        return None
    keep = 4 if len(serial) > 6 else 2
    return "•" * (len(serial) - keep) + serial[-keep:]


@dataclass(kw_only=True)
class Verification:
    """What the public verification page shows: genuineness and what is attested,
    with no personal data (no technician, no donor, no full serial)."""

    certificate_id: str
    genuine: bool
    reason: str | None
    """Why it is not genuine (signature no longer verifies), in English for logs."""
    result: str
    method: str | None
    level: str | None
    verification: str | None
    started_at: str | None
    finished_at: str | None
    disk_model: str | None
    disk_serial_masked: str | None
    capacity_bytes: int | None
    tenant_name: str
    bench_name: str
    bench_active: bool
    key_id: str
    received_at: str
    unit_maker: str | None = None
    unit_model: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def verify_certificate(session: Session, certificate_id: str) -> Verification | None:
    row = session.execute(
        select(Certificate, Bench, Tenant)
        .join(Bench, Bench.id == Certificate.bench_id)
        .join(Tenant, Tenant.id == Certificate.tenant_id)
        .where(Certificate.certificate_id == certificate_id)
    ).first()
    if row is None:
        return None
    certificate, bench, tenant = row
    genuine, reason = True, None
    payload: Any = {}
    try:
        envelope = json.loads(certificate.envelope)
        # Re-verified on every view: a row altered in the database shows as not genuine.
        payload = verify_envelope(
            envelope, trusted_public_key=base64.b64decode(bench.public_key_b64)
        )
    except (SignatureError, ValueError) as exc:
        genuine, reason = False, str(exc)
    if not isinstance(payload, dict):
        payload = {}
    verification = payload.get("verification")
    if isinstance(verification, dict):
        verification = verification.get("mode") or verification.get("method")
    capacity = None
    for section, name in (("media", "size_bytes"), ("device", "capacity_bytes")):
        block = payload.get(section)
        if isinstance(block, dict) and isinstance(block.get(name), int):
            capacity = block[name]
            break
    unit = session.execute(
        select(Unit.maker, Unit.model)
        .join(ReportCertificate, ReportCertificate.unit_id == Unit.id)
        .where(
            ReportCertificate.certificate_id == certificate_id,
            Unit.tenant_id == certificate.tenant_id,
        )
        .limit(1)
    ).first()
    return Verification(
        certificate_id=certificate.certificate_id,
        genuine=genuine,
        reason=reason,
        result=certificate.result if genuine else "UNVERIFIED",
        method=certificate.method,
        level=certificate.level,
        verification=_str(verification),
        started_at=certificate.started_at,
        finished_at=certificate.finished_at,
        disk_model=certificate.disk_model,
        disk_serial_masked=mask_serial(certificate.disk_serial),
        capacity_bytes=capacity if isinstance(capacity, int) and capacity >= 0 else None,
        tenant_name=tenant.name,
        bench_name=bench.name,
        bench_active=bench.revoked_at is None,
        key_id=bench.key_id,
        received_at=certificate.received_at.isoformat(timespec="seconds"),
        unit_maker=unit.maker if unit else None,
        unit_model=unit.model if unit else None,
    )


def report_row(session: Session, report_id: str, revision: int | None = None) -> Report | None:
    """One stored revision of a report id: the highest received (its head) by default.
    Tenancy is the caller's to check."""
    if not valid_id(report_id):
        return None
    query = select(Report).where(Report.report_id == report_id)
    if revision is None:
        query = query.where(Report.head)
    else:
        query = query.where(Report.revision == revision)
    return session.scalars(query).first()


@dataclass(kw_only=True)
class UnitView:
    unit: Unit
    tenant: Tenant
    batch_code: str | None
    versions: list[Report]
    """Every stored revision of the unit's reports: the current first, then the earlier
    current ones (newest first), then revisions that only ever were history."""
    current: Report | None
    """The unit's current report: the highest revision of the report id received last."""
    latest: dict[str, Any]
    """Payload of the current report (the UnitReport as JSON)."""
    certificates: list[Certificate] = field(default_factory=list)
    pending_certificate_ids: list[str] = field(default_factory=list)
    """Listed by a report, not received yet."""


def unit_view(session: Session, unit_id: int) -> UnitView | None:
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    tenant = session.get(Tenant, unit.tenant_id)
    assert tenant is not None
    versions = list(
        session.scalars(
            select(Report)
            .where(Report.unit_id == unit.id)
            .order_by(Report.version.desc().nulls_last(), Report.id.desc())
        )
    )
    current = next((r for r in versions if r.version == unit.latest_version), None)
    latest: dict[str, Any] = {}
    if current is not None:
        try:
            document = json.loads(current.envelope)
            latest = document.get("payload", {}) if isinstance(document, dict) else {}
        except ValueError:
            latest = {}
    linked = sorted(
        set(
            session.scalars(
                select(ReportCertificate.certificate_id).where(ReportCertificate.unit_id == unit.id)
            )
        )
    )
    certificates = (
        list(
            session.scalars(
                select(Certificate)
                .where(
                    Certificate.certificate_id.in_(linked), Certificate.tenant_id == unit.tenant_id
                )
                .order_by(Certificate.certificate_id)
            )
        )
        if linked
        else []
    )
    received = {c.certificate_id for c in certificates}
    batch_code = None
    if unit.batch_id is not None:
        batch = session.get(Batch, unit.batch_id)
        batch_code = batch.code if batch else None
    return UnitView(
        unit=unit,
        tenant=tenant,
        batch_code=batch_code,
        versions=versions,
        current=current,
        latest=latest,
        certificates=certificates,
        pending_certificate_ids=[c for c in linked if c not in received],
    )
