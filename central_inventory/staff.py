"""Staff work, once for the API, the pages and the command line: create a donor batch,
show or re-issue its donor link, assign units to it by asset tag, set a unit's status by
hand (recorded with who, when, from, to and why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from central_inventory.auth import Principal, hash_token, new_token
from central_inventory.db import ApiToken, Batch, StatusChange, Tenant, Unit, utcnow
from central_inventory.errors import ApiError
from central_inventory.i18n import tr
from central_inventory.ingest import STATUSES, has_control, not_found

MAX_CODE = 64
MAX_DONOR = 200
MAX_REASON = 500
MAX_SCANNED_LINES = 500
"""Asset tags one assignment takes at most (a big donor batch is a few hundred units)."""
MAX_TAG = 64


def staff_only() -> ApiError:
    return ApiError(
        403,
        "staff_only",
        tr("Réservé au personnel du reconditionneur.", "Reserved to the reconditioner's staff."),
    )


def batch_exists(code: str) -> ApiError:
    return ApiError(
        409,
        "conflict",
        tr(
            f"Le lot « {code} » existe déjà. Pour redonner son lien au donateur, ouvrez le lot "
            "dans la page Lots (afficher ou renouveler le lien).",
            f"Batch '{code}' already exists. To give its donor the link again, open the batch "
            "on the Batches page (show or re-issue the link).",
        ),
        detail={"code": code[:MAX_CODE]},
    )


def _require_staff(principal: Principal) -> None:
    if principal.role not in {"staff", "coordinator"}:
        raise staff_only()


def check_batch_fields(code: object, donor_name: object) -> tuple[str, str]:
    if not isinstance(code, str) or not (0 < len(code.strip()) <= MAX_CODE) or has_control(code):
        raise ApiError(
            422,
            "invalid_request",
            tr(
                "Code de lot requis (64 caractères max).",
                "Batch code required (64 characters max).",
            ),
        )
    if (
        not isinstance(donor_name, str)
        or not (0 < len(donor_name.strip()) <= MAX_DONOR)
        or has_control(donor_name)
    ):
        raise ApiError(
            422,
            "invalid_request",
            tr(
                "Nom du donateur requis (200 caractères max).",
                "Donor name required (200 characters max).",
            ),
        )
    return code.strip(), donor_name.strip()


def insert_batch(session: Session, tenant_id: int, code: str, donor_name: str) -> tuple[int, str]:
    """Create a batch of ``tenant_id`` (fields already checked); returns its id and the
    donor token. Raises ``batch_exists`` (409) when the tenant has the code already,
    including when a concurrent request created it first."""
    exists = session.scalar(
        select(Batch.id).where(Batch.tenant_id == tenant_id, Batch.code == code)
    )
    if exists is not None:
        raise batch_exists(code)
    token = new_token().removeprefix("cit_")
    now = utcnow()
    batch = Batch(
        tenant_id=tenant_id,
        code=code,
        donor_name=donor_name,
        donor_token_hash=hash_token(token),
        donor_token=token,
        donor_link_issued_at=now,
        created_at=now,
    )
    session.add(batch)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent request created the same code between the check and the insert.
        raise batch_exists(code) from None
    return batch.id, token


def create_batch(
    sessions: sessionmaker[Session],
    principal: Principal,
    *,
    code: object,
    donor_name: object,
    tenant_slug: object = None,
) -> tuple[int, str, str]:
    """A donor batch for the principal's tenant (a coordinator names the tenant); returns
    (batch id, code, donor token)."""
    _require_staff(principal)
    clean_code, clean_donor = check_batch_fields(code, donor_name)
    with sessions.begin() as session:
        if principal.role == "coordinator":
            if not isinstance(tenant_slug, str) or not tenant_slug:
                raise ApiError(
                    422,
                    "invalid_request",
                    tr(
                        "Choisissez le reconditionneur du lot (« tenant » dans l'API).",
                        "Choose the batch's reconditioner ('tenant' in the API).",
                    ),
                )
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
            if tenant_id is None:
                raise not_found()
        else:
            assert principal.tenant_id is not None
            tenant_id = principal.tenant_id
        batch_id, token = insert_batch(session, tenant_id, clean_code, clean_donor)
    return batch_id, clean_code, token


def _visible_batch(session: Session, principal: Principal, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None or not principal.can_see_tenant(batch.tenant_id):
        raise not_found()
    return batch


def reissue_donor_link(sessions: sessionmaker[Session], principal: Principal, batch_id: int) -> str:
    """A new donor token for the batch; the old link stops working at once."""
    _require_staff(principal)
    token = new_token().removeprefix("cit_")
    with sessions.begin() as session:
        batch = _visible_batch(session, principal, batch_id)
        batch.donor_token_hash = hash_token(token)
        batch.donor_token = token
        batch.donor_link_issued_at = utcnow()
    return token


@dataclass
class Assignment:
    """What an assignment did with each scanned line (as scanned, in order)."""

    assigned: list[str] = field(default_factory=list)
    already_here: list[str] = field(default_factory=list)
    in_other_batch: list[tuple[str, str]] = field(default_factory=list)
    """(tag, the other batch's code): left where they are."""
    unknown: list[str] = field(default_factory=list)
    """No unit of the batch's reconditioner has this asset tag or serial."""
    ambiguous: list[str] = field(default_factory=list)
    """Several units carry it: assign them from their own pages."""
    invalid: list[str] = field(default_factory=list)
    """Lines that cannot be an asset tag (too long, control characters)."""


def scanned_lines(text: str) -> list[str]:
    """One tag per line (a scanner ends each with Enter); blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        tag = line.strip()
        if tag and tag not in seen:
            seen[tag] = None
    return list(seen)


def too_many_lines() -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        tr(
            f"Trop de lignes : {MAX_SCANNED_LINES} étiquettes au plus par envoi.",
            f"Too many lines: at most {MAX_SCANNED_LINES} tags at a time.",
        ),
    )


def assign_units(
    sessions: sessionmaker[Session], principal: Principal, batch_id: int, tags: list[str]
) -> tuple[str, Assignment]:
    """Put the units whose asset tag (idEsn, else serial) is scanned into the batch; only
    units of the batch's own reconditioner are looked at (another tenant's tag reads as
    unknown). Returns the batch code and what happened to each line."""
    _require_staff(principal)
    if len(tags) > MAX_SCANNED_LINES:
        raise too_many_lines()
    result = Assignment()
    with sessions.begin() as session:
        batch = _visible_batch(session, principal, batch_id)
        for tag in tags:
            if len(tag) > MAX_TAG or has_control(tag):
                result.invalid.append(tag[:MAX_TAG])
                continue
            wanted = tag.upper()
            rows = session.execute(
                select(Unit.id, Unit.batch_id)
                .where(
                    Unit.tenant_id == batch.tenant_id,
                    or_(func.upper(Unit.id_esn) == wanted, func.upper(Unit.serial) == wanted),
                )
                .limit(2)
            ).all()
            if not rows:
                result.unknown.append(tag)
            elif len(rows) > 1:
                result.ambiguous.append(tag)
            elif rows[0].batch_id == batch.id:
                result.already_here.append(tag)
            elif rows[0].batch_id is not None:
                other = session.scalar(select(Batch.code).where(Batch.id == rows[0].batch_id))
                result.in_other_batch.append((tag, other or "?"))
            else:
                unit = session.get(Unit, rows[0].id)
                assert unit is not None
                unit.batch_id = batch.id
                result.assigned.append(tag)
        code = batch.code
    return code, result


def unknown_status() -> ApiError:
    return ApiError(
        422,
        "invalid_status",
        tr("Statut inconnu.", "Unknown status."),
        detail={"allowed": list(STATUSES)},
    )


def actor_of(session: Session, principal: Principal) -> str:
    """Who made a change, as the history shows it: the token's label, else its number."""
    label = session.scalar(select(ApiToken.label).where(ApiToken.id == principal.token_pk))
    return label or f"#{principal.token_pk}"


def record_status(
    session: Session,
    principal: Principal,
    unit: Unit,
    *,
    status: str,
    reason: str | None,
    via: str,
    at: datetime | None = None,
) -> None:
    """Set ``unit``'s status by hand (later reports no longer derive it) and record the
    change. The caller checked the status and the principal's right on the unit."""
    session.add(
        StatusChange(
            unit_id=unit.id,
            tenant_id=unit.tenant_id,
            changed_at=at or utcnow(),
            from_status=unit.status,
            to_status=status,
            reason=reason,
            token_id=principal.token_pk,
            actor=actor_of(session, principal)[:200],
            via=via,
        )
    )
    unit.status = status
    unit.status_manual = True


def set_status(
    sessions: sessionmaker[Session],
    principal: Principal,
    unit_id: int,
    status: object,
    reason: object,
) -> tuple[str, str]:
    """The pages' status change: a known status and a reason (1-500 characters) are
    required. Returns (from, to)."""
    _require_staff(principal)
    if not isinstance(status, str) or status not in STATUSES:
        raise unknown_status()
    if (
        not isinstance(reason, str)
        or not (0 < len(reason.strip()) <= MAX_REASON)
        or has_control(reason.replace("\n", " ").replace("\r", " "))
    ):
        raise ApiError(
            422,
            "invalid_request",
            tr(
                "Indiquez la raison du changement (500 caractères au plus).",
                "Give the reason for the change (500 characters at most).",
            ),
        )
    with sessions.begin() as session:
        unit = session.get(Unit, unit_id)
        if unit is None or not principal.can_see_tenant(unit.tenant_id):
            raise not_found()
        before = unit.status
        record_status(session, principal, unit, status=status, reason=reason.strip(), via="page")
    return before, status


def status_history(session: Session, unit_id: int) -> list[StatusChange]:
    """A unit's manual status changes, the latest first."""
    return list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.unit_id == unit_id)
            .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        )
    )
