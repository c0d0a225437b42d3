"""A donor batch of many laptops with signed evidence, filed through the real ingestion
path (signature, validation, certificate linking): for the donor-report tests and
benchmarks/bench_donor_report.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from central_harness import TenantSetup
from central_samples import (
    certificate_payload,
    drives,
    machines,
    report_payload,
    sign_certificate,
    signed,
    unit_report,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from central_inventory.admin import create_batch
from central_inventory.auth import Principal
from central_inventory.ingest import ingest_certificate, ingest_report, update_unit

PLAN = (
    # (category, certificate result, status set by staff or None)
    ("B", "ERASED", "DISTRIBUE"),
    ("A", "ERASED", None),  # ready to hand out: never counted as reused
    ("NOT_DISTRIBUTABLE", "FAILED", None),  # recycled, disk to destroy
    ("C", "ERASED", "SAV"),
    ("NOT_DISTRIBUTABLE", "ERASED", None),  # recycled, disk erased first
    ("PREMIUM", "ERASED", "EN_COURS_DE_LIVRAISON"),  # being delivered: ready, not reused
)


@dataclass
class Donation:
    code: str
    token: str
    batch_id: int
    id_esns: list[str] = field(default_factory=list)
    """Every list in asset-tag order: index i is the laptop tagged ``GRPC25-{i + 1}``."""
    certificate_ids: list[str] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)
    """certificate id -> result it states."""
    unit_ids: list[int] = field(default_factory=list)
    disk_serials: list[str] = field(default_factory=list)


def make_donation(
    engine: Engine,
    sessions: sessionmaker[Session],
    tenant: TenantSetup,
    n_units: int,
    *,
    donor: str = "Mairie de Grenoble",
    prefix: str = "GRPC25",
) -> Donation:
    """``n_units`` laptops in one batch, asset tags numbered out of order (the report must
    sort them), one certificate each following :data:`PLAN`; the disk serial of unit i is
    its corpus drive's serial with the unit's number appended (each disk its own)."""
    bench = tenant.benches[0]
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    batch_id, token = create_batch(sessions, tenant.slug, code, donor)
    donation = Donation(code, token, batch_id)
    all_machines, all_drives = machines(), drives()
    staff = Principal(role="staff", tenant_id=tenant.tenant_id, token_pk=tenant.staff_token_id)
    # Filed in a shuffled order: 7 is prime to any batch size that is not its multiple.
    order = sorted(range(n_units), key=lambda i: (i * 7919) % max(n_units, 1))
    filed: dict[int, tuple[str, str, str, int, str]] = {}
    for i in order:
        category, result, status = PLAN[i % len(PLAN)]
        base_machine = all_machines[i % len(all_machines)]
        machine = type(base_machine)(
            base_machine.source,
            base_machine.maker,
            base_machine.product,
            f"{base_machine.serial}-{i}",
        )
        base_drive = all_drives[i % len(all_drives)]
        drive = type(base_drive)(
            base_drive.source,
            base_drive.model,
            f"{base_drive.serial}X{i:04d}",
            base_drive.capacity_bytes,
            base_drive.power_on_hours,
            base_drive.passed,
            base_drive.rotational,
        )
        certificate_id = str(uuid.uuid4())
        id_esn = f"{prefix}-{i + 1}"
        report = unit_report(
            machine,
            drive,
            bench_id=bench.name,
            id_esn=id_esn,
            certificate_id=certificate_id,
            category=category,
            erasure_result=result,
        )
        ingest_certificate(
            engine,
            bench.token,
            sign_certificate(bench.key, certificate_payload(certificate_id, drive, result)),
        )
        _principal, stored = ingest_report(
            engine, bench.token, signed(bench.key, report_payload(report)), code
        )
        unit_id = stored.unit_id
        assert unit_id is not None
        if status is not None:
            update_unit(sessions, staff, unit_id, status, None)
        filed[i] = (id_esn, certificate_id, result, unit_id, drive.serial)
    for i in range(n_units):  # the lists in asset-tag order (index i is tag i + 1)
        id_esn, certificate_id, result, unit_id, disk_serial = filed[i]
        donation.id_esns.append(id_esn)
        donation.certificate_ids.append(certificate_id)
        donation.results[certificate_id] = result
        donation.unit_ids.append(unit_id)
        donation.disk_serials.append(disk_serial)
    return donation
