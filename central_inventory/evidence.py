"""Reading stored evidence back: certificate verification, unit views (no HTTP here)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_inventory.db import (
    Batch,
    Bench,
    Certificate,
    Report,
    ReportCertificate,
    ReportDisk,
    Tenant,
    Unit,
)
from central_inventory.formatting import parse_instant
from central_inventory.ingest import valid_id
from wipe.signing import BenchKey, SignatureError, verify_envelope


def mask_serial(serial: str | None) -> str | None:
    """Enough of a disk serial to match the drive in hand, not enough to look it up."""
    if not serial:
        return None
    keep = 4 if len(serial) > 6 else 2
    return "•" * (len(serial) - keep) + serial[-keep:]


@dataclass(kw_only=True)
class ReuseTest:
    """One functional test of the re-use record: its code, result code and when."""

    name: str
    result: str
    at: str | None


@dataclass(kw_only=True)
class ReuseRecord:
    """The EU re-use record (WEEE 2012/19/EU Annex VI §3) of the unit a certificate is
    linked to, from that unit's current signed report: what it is, its type number, its
    year of production (None: not known, the inventory has none), who tested it (the
    reconditioner: the caller's tenant, name and address, as the label prints it) and the
    tests done with their result and date. Public facts only: no serial and no person
    (the technicians' names stay in the signed report, as on the label)."""

    maker: str | None
    model: str | None
    type_number: str | None
    year: int | None
    tests: list[ReuseTest]
    test_date: str | None
    """The day it was tested (``YYYY-MM-DD``), as the label prints it."""
    category: str | None
    report_date: str | None


@dataclass(kw_only=True)
class Verification:
    """What the public verification page shows: genuineness and what is attested,
    with no personal data (no technician, no donor, no full serial)."""

    certificate_id: str
    genuine: bool
    reason: str | None
    """Why it is not genuine (signature no longer verifies), in English for logs."""
    result: str
    """What the certificate proves (``Certificate.outcome``): ERASED only for a genuine
    certificate with a passed verification that is not a dry run; UNVERIFIED when the
    signature no longer verifies."""
    claimed_result: str
    """The result the certificate states (may say ERASED when ``result`` does not)."""
    erased: bool
    method: str | None
    level: str | None
    verification: str | None
    started_at: str | None
    finished_at: str | None
    disk_model: str | None
    disk_serial_masked: str | None
    capacity_bytes: int | None
    tenant_name: str
    tenant_address: str | None
    bench_name: str
    bench_active: bool
    key_id: str
    key_fingerprint: str
    """SHA-256 of the bench's raw public key, in full (what ``bench-agent verify``, the
    PDF certificate and ``openssl`` show)."""
    received_at: str
    unit_maker: str | None = None
    unit_model: str | None = None
    id_esn: str | None = None
    """The asset tag of the unit the certificate is linked to (what ties it to a laptop
    the donor gave), when a report of the same tenant lists it."""
    unit_status: str | None = None
    """That unit's status (a code: NON_REEMPLOYABLE says its disk is to be destroyed when
    not erased)."""
    reasons_fr: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    """Why it did not erase, as the bench stored it in the signed payload."""
    superseded_by: list[str] = field(default_factory=list)
    """For a certificate that does not prove the erasure: later ERASED certificates of the
    same tenant for the same disk serial (the disk was erased afterwards)."""
    signed_at: str | None = None
    """When the bench signed it (``ended_at``, else ``started_at``): what trust is judged at."""
    payload_sha256: str = ""
    """SHA-256 of the payload's canonical JSON: names the envelope's public download."""
    trusted: bool | None = None
    """The bench key was stated by the network at ``signed_at`` (None: no network key)."""
    trust_fr: str = ""
    trust_en: str = ""
    network_key_fingerprint: str | None = None
    reuse: ReuseRecord | None = None
    """The re-use record of the linked unit (None: no unit, or no readable report)."""

    def as_dict(self) -> dict[str, Any]:
        """As JSON-ready data (the re-use record a nested object, or None)."""
        return asdict(self)


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def verify_certificates(
    session: Session, certificate_id: str, network: BenchKey | None = None
) -> list[Verification]:
    """Every stored certificate with this id, one per tenant that used it (ids are a
    tenant's own), oldest first; each names its reconditioner. With the network key, each
    also says whether the network stated its bench key at the time it was signed."""
    rows = session.execute(
        select(Certificate, Bench, Tenant)
        .join(Bench, Bench.id == Certificate.bench_id)
        .join(Tenant, Tenant.id == Certificate.tenant_id)
        .where(Certificate.certificate_id == certificate_id)
        .order_by(Certificate.received_at, Certificate.id)
    ).all()
    found = [_verification(session, c, bench, tenant) for c, bench, tenant in rows]
    if network is not None:
        for verification, (_c, bench, tenant) in zip(found, rows, strict=True):
            _judge_trust(verification, network, bench, tenant)
    return found


def public_certificate(
    session: Session, certificate_id: str, payload_sha256: str
) -> tuple[Certificate, Bench, Tenant] | None:
    """The stored certificate a public download names (id and payload digest: ids are a
    tenant's own, the digest picks one), only while its signature still verifies against
    the bench's registered key: the public route hands out what a bench signed, never a
    row altered since. Reports are never served publicly."""
    if not valid_id(certificate_id) or not _HEX64.fullmatch(payload_sha256):
        return None
    row = session.execute(
        select(Certificate, Bench, Tenant)
        .join(Bench, Bench.id == Certificate.bench_id)
        .join(Tenant, Tenant.id == Certificate.tenant_id)
        .where(
            Certificate.certificate_id == certificate_id,
            Certificate.payload_sha256 == payload_sha256,
        )
    ).first()
    if row is None:
        return None
    certificate, bench, tenant = row
    try:
        verify_envelope(
            json.loads(certificate.envelope),
            trusted_public_key=base64.b64decode(bench.public_key_b64),
        )
    except (SignatureError, ValueError):
        return None
    return certificate, bench, tenant


def _judge_trust(
    verification: Verification, network: BenchKey, bench: Bench, tenant: Tenant
) -> None:
    """The network's statement for the bench key as the database says it now, judged at
    the certificate's signing time (what ``bench-agent verify --trust`` does offline)."""
    from central_inventory.trust import statement_for
    from wipe.trust import Anchors, evaluate, read_statement

    statement = read_statement(statement_for(network, bench, tenant))
    check = evaluate(
        base64.b64decode(bench.public_key_b64),
        verification.signed_at,
        Anchors(network_keys=(network.public_raw,), statements=(statement,)),
    )
    verification.network_key_fingerprint = network.fingerprint
    verification.trusted = check.trusted
    verification.trust_fr = check.how_fr if check.trusted else " ; ".join(check.problems_fr)
    verification.trust_en = check.how_en if check.trusted else "; ".join(check.problems_en)


def _verification(
    session: Session, certificate: Certificate, bench: Bench, tenant: Tenant
) -> Verification:
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
        select(Unit.maker, Unit.model, Unit.id_esn, Unit.status, Unit.id, Unit.category)
        .join(ReportCertificate, ReportCertificate.unit_id == Unit.id)
        .where(
            ReportCertificate.certificate_id == certificate.certificate_id,
            Unit.tenant_id == certificate.tenant_id,
        )
        .limit(1)
    ).first()
    result = certificate.outcome if genuine else "UNVERIFIED"
    reasons = payload.get("reasons")
    reasons = reasons if isinstance(reasons, dict) else {}
    signed_at = _str(payload.get("ended_at")) or _str(payload.get("started_at"))
    superseded: list[str] = []
    serial = (certificate.disk_serial or "").strip()
    if result != "ERASED" and serial:
        superseded = [
            later
            for later, when in session.execute(
                select(Certificate.certificate_id, Certificate.finished_at)
                .where(
                    Certificate.tenant_id == certificate.tenant_id,
                    Certificate.disk_serial == certificate.disk_serial,
                    Certificate.outcome == "ERASED",
                    Certificate.id != certificate.id,
                )
                .order_by(Certificate.finished_at, Certificate.id)
            )
            # Later than this attempt (ISO UTC times compare as strings).
            if (when or "") >= (certificate.finished_at or certificate.started_at or "")
        ]
    return Verification(
        certificate_id=certificate.certificate_id,
        genuine=genuine,
        reason=reason,
        result=result,
        claimed_result=certificate.result,
        erased=result == "ERASED",
        method=certificate.method,
        level=certificate.level if result == "ERASED" else None,
        verification=_str(verification),
        started_at=certificate.started_at,
        finished_at=certificate.finished_at,
        disk_model=certificate.disk_model,
        disk_serial_masked=mask_serial(certificate.disk_serial),
        capacity_bytes=capacity if isinstance(capacity, int) and capacity >= 0 else None,
        tenant_name=tenant.name,
        tenant_address=tenant.address,
        bench_name=bench.name,
        bench_active=bench.revoked_at is None,
        key_id=bench.key_id,
        key_fingerprint=hashlib.sha256(base64.b64decode(bench.public_key_b64)).hexdigest(),
        received_at=certificate.received_at.isoformat(timespec="seconds"),
        unit_maker=unit.maker if unit else None,
        unit_model=unit.model if unit else None,
        id_esn=unit.id_esn if unit else None,
        unit_status=unit.status if unit else None,
        reasons_fr=_strings(reasons.get("fr")) if result != "ERASED" else [],
        reasons_en=_strings(reasons.get("en")) if result != "ERASED" else [],
        superseded_by=superseded,
        signed_at=signed_at,
        payload_sha256=certificate.payload_sha256,
        reuse=reuse_record(session, unit.id, unit.category) if unit else None,
    )


def reuse_record(session: Session, unit_id: int, category: str | None) -> ReuseRecord | None:
    """The re-use record from the unit's current report (None when it has none or it
    cannot be read). The tests done are those with a result (not "n/a"), oldest first."""
    from bench_agent.labels.content import clean_text, tested_on, type_number
    from central_inventory.errors import ApiError
    from central_inventory.ingest import validate_report

    envelope = session.scalars(
        select(Report.envelope)
        .join(Unit, Unit.id == Report.unit_id)
        .where(Report.unit_id == unit_id, Report.version == Unit.latest_version)
        .limit(1)
    ).first()
    if envelope is None:
        return None
    try:
        document = json.loads(envelope)
        report = validate_report(document.get("payload") if isinstance(document, dict) else None)
    except (ValueError, ApiError):
        return None
    done = [t for t in report.functional_tests if t.result != "n/a"]
    identity = report.inventory.identity
    return ReuseRecord(
        maker=clean_text(report.unit.maker or identity.maker),
        model=clean_text(report.unit.model or identity.model),
        type_number=type_number(report),
        year=None,
        tests=[
            ReuseTest(name=t.name, result=t.result, at=t.at)
            for t in sorted(done, key=lambda t: (t.at or "", t.name))
        ],
        test_date=tested_on(report),
        category=category or (report.grade.category if report.grade else None),
        report_date=report.created_at,
    )


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str) and v][:20] if isinstance(value, list) else []


def report_row(
    session: Session, report_id: str, revision: int | None = None, tenant_id: int | None = None
) -> Report | None:
    """One stored revision of a report id of ``tenant_id`` (report ids are a tenant's own;
    None: any tenant's, for coordinators): the highest received (its head) by default.
    Tenancy is the caller's to check."""
    if not valid_id(report_id):
        return None
    query = select(Report).where(Report.report_id == report_id)
    if tenant_id is not None:
        query = query.where(Report.tenant_id == tenant_id)
    if revision is None:
        query = query.where(Report.head)
    else:
        query = query.where(Report.revision == revision)
    return session.scalars(query.order_by(Report.tenant_id, Report.id)).first()


def certificate_row(
    session: Session, certificate_id: str, tenant_id: int | None = None
) -> Certificate | None:
    """A stored certificate of ``tenant_id`` (None: any tenant's, for coordinators)."""
    if not valid_id(certificate_id):
        return None
    query = select(Certificate).where(Certificate.certificate_id == certificate_id)
    if tenant_id is not None:
        query = query.where(Certificate.tenant_id == tenant_id)
    return session.scalars(query.order_by(Certificate.tenant_id, Certificate.id)).first()


@dataclass(kw_only=True)
class DiskEvidence:
    """One disk of the unit's current report: what the inventory says of it, its health
    verdict, and what the stored certificates prove (one row of the unit page)."""

    serial: str
    """``""`` for a disk without a serial (no certificate can match it)."""
    required: bool
    """An internal disk: it must be proven erased for the unit to be distributable."""
    model: str | None
    certificates: list[Certificate]
    """Certificates the current report lists for this serial, received."""
    name: str | None = None
    capacity_bytes: int | None = None
    media: str | None = None
    transport: str | None = None
    health: dict[str, Any] | None = None
    """The report's health check of this disk (``DiskHealth`` as JSON), if any."""
    pending: list[str] = field(default_factory=list)
    """Certificate ids the report lists for this disk, not received yet."""

    @property
    def proof(self) -> Certificate | None:
        """The certificate proving the erasure (outcome ERASED), if any."""
        return next((c for c in self.certificates if c.outcome == "ERASED"), None)


@dataclass(kw_only=True)
class Change:
    """One thing that changed from a revision to the next (the page puts it in words)."""

    kind: str
    """``first`` (the unit's first report), ``category``, ``note``, ``override``, ``test``
    (a test's result changed or a test was added), ``erasure`` (a certificate listed),
    ``disks`` (the inventoried disks changed)."""
    subject: str | None = None
    """The test's name, the certificate id, the overriding technician."""
    before: str | None = None
    after: str | None = None


@dataclass(kw_only=True)
class Revision:
    """A stored revision and what changed since the one before it (by the report's own
    date, received order breaking ties)."""

    report: Report
    changes: list[Change] = field(default_factory=list)


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
    disks: list[DiskEvidence] = field(default_factory=list)
    """The current report's disks (boot medium left out), each with its evidence."""
    unlinked: list[Certificate] = field(default_factory=list)
    """Certificates the current report lists whose disk is not in its inventory: never
    counted for the unit."""
    earlier: list[Certificate] = field(default_factory=list)
    """Received certificates of the unit that only earlier reports list."""
    pending_other: list[str] = field(default_factory=list)
    """``pending_certificate_ids`` not shown on a disk's row (no disk of the current
    report carries them)."""
    revisions: list[Revision] = field(default_factory=list)
    """``versions`` in the same order, each with what changed since the revision before."""


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
    disks: list[DiskEvidence] = []
    unlinked: list[Certificate] = []
    listed: set[str] = set()
    if current is not None:
        listed = set(
            session.scalars(
                select(ReportCertificate.certificate_id).where(
                    ReportCertificate.report_pk == current.id
                )
            )
        )
        inventoried = _inventory_disks(latest)
        disks = [
            _disk_evidence(d.serial, d.required, inventoried, latest)
            for d in session.scalars(
                select(ReportDisk)
                .where(ReportDisk.report_pk == current.id)
                .order_by(ReportDisk.required.desc(), ReportDisk.serial)
            )
        ]
        by_serial = {d.serial: d for d in disks if d.serial}
        for certificate in certificates:
            if certificate.certificate_id not in listed:
                continue
            disk = by_serial.get((certificate.disk_serial or "").strip())
            if disk is None:
                unlinked.append(certificate)
            else:
                disk.certificates.append(certificate)
        for erasure in _dicts(latest.get("erasures")):
            cid, serial = erasure.get("certificate_id"), erasure.get("disk_serial")
            if isinstance(cid, str) and cid in listed and cid not in received:
                pending_disk = by_serial.get(serial.strip()) if isinstance(serial, str) else None
                if pending_disk is not None and cid not in pending_disk.pending:
                    pending_disk.pending.append(cid)
    on_disks = {cid for d in disks for cid in d.pending}
    pending = [c for c in linked if c not in received]
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
        pending_certificate_ids=pending,
        disks=disks,
        unlinked=unlinked,
        earlier=[c for c in certificates if c.certificate_id not in listed],
        pending_other=[c for c in pending if c not in on_disks],
        revisions=_revisions(versions, current, latest),
    )


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _inventory_disks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    inventory = payload.get("inventory")
    return _dicts(inventory.get("disks") if isinstance(inventory, dict) else None)


def _disk_evidence(
    serial: str, required: bool, inventoried: list[dict[str, Any]], payload: dict[str, Any]
) -> DiskEvidence:
    """A disk row: the inventory's disk with this serial (not the boot medium) and the
    health check of the same serial or, for a disk without one, the same device."""
    disk = next(
        (
            d
            for d in inventoried
            if not d.get("boot_medium")
            and (d.get("serial").strip() if isinstance(d.get("serial"), str) else "") == serial
        ),
        {},
    )
    path = disk.get("path")
    health = next(
        (
            h
            for h in _dicts(payload.get("health"))
            if (serial and isinstance(h.get("serial"), str) and h["serial"].strip() == serial)
            or (not serial and path and h.get("device") == path)
        ),
        None,
    )
    capacity = disk.get("capacity_bytes")
    return DiskEvidence(
        serial=serial,
        required=required,
        model=_str(disk.get("model")),
        certificates=[],
        name=_str(disk.get("name")),
        capacity_bytes=capacity if isinstance(capacity, int) and capacity >= 0 else None,
        media=_str(disk.get("media")),
        transport=_str(disk.get("transport")),
        health=health,
    )


def _payload(report: Report) -> dict[str, Any]:
    try:
        document = json.loads(report.envelope)
    except ValueError:
        return {}
    payload = document.get("payload") if isinstance(document, dict) else None
    return payload if isinstance(payload, dict) else {}


def _grade(payload: dict[str, Any]) -> dict[str, Any]:
    grade = payload.get("grade")
    return grade if isinstance(grade, dict) else {}


def _tests(payload: dict[str, Any]) -> dict[str, str]:
    return {
        t["name"]: str(t.get("result"))
        for t in _dicts(payload.get("functional_tests"))
        if isinstance(t.get("name"), str)
    }


def _erasures(payload: dict[str, Any]) -> dict[str, str]:
    return {
        e["certificate_id"]: str(e.get("result"))
        for e in _dicts(payload.get("erasures"))
        if isinstance(e.get("certificate_id"), str)
    }


def _disk_serials(payload: dict[str, Any]) -> list[str]:
    return sorted(
        d["serial"].strip()
        for d in _inventory_disks(payload)
        if isinstance(d.get("serial"), str) and not d.get("boot_medium")
    )


def changes_between(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """What changed from one report payload to the next (``before`` None: the first)."""
    if before is None:
        return [Change(kind="first")]
    changes: list[Change] = []
    old_grade, new_grade = _grade(before), _grade(after)
    if old_grade.get("category") != new_grade.get("category"):
        changes.append(
            Change(
                kind="category",
                before=_str(old_grade.get("category")),
                after=_str(new_grade.get("category")),
            )
        )
    if old_grade.get("note") != new_grade.get("note"):
        changes.append(
            Change(
                kind="note",
                before=None if old_grade.get("note") is None else str(old_grade.get("note")),
                after=None if new_grade.get("note") is None else str(new_grade.get("note")),
            )
        )
    override = new_grade.get("override")
    if isinstance(override, dict) and override != old_grade.get("override"):
        changes.append(
            Change(
                kind="override",
                subject=_str(override.get("by")),
                after=_str(override.get("category")),
            )
        )
    old_tests, new_tests = _tests(before), _tests(after)
    for name, result in new_tests.items():
        if old_tests.get(name) != result:
            changes.append(
                Change(kind="test", subject=name, before=old_tests.get(name), after=result)
            )
    old_erasures = _erasures(before)
    for cid, result in _erasures(after).items():
        if cid not in old_erasures:
            changes.append(Change(kind="erasure", subject=cid, after=result))
    if _disk_serials(before) != _disk_serials(after):
        changes.append(Change(kind="disks"))
    return changes


def _revisions(
    versions: list[Report], current: Report | None, latest: dict[str, Any]
) -> list[Revision]:
    """Each stored revision with what changed since the previous one: revisions are put
    in the order the reports were made (the signed date, then the order received)."""

    def made(report: Report) -> tuple[float, int]:
        moment = parse_instant(report.reported_at)
        return (moment.timestamp() if moment else 0.0, report.id)

    changes: dict[int, list[Change]] = {}
    previous: dict[str, Any] | None = None
    for report in sorted(versions, key=made):
        payload = latest if report is current else _payload(report)
        changes[report.id] = changes_between(previous, payload)
        previous = payload
    return [Revision(report=r, changes=changes[r.id]) for r in versions]
