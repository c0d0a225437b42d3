"""Administration: tenants, benches, tokens, batches, export (used by the CLI and tests)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from central_inventory.auth import ROLES, hash_token, new_token
from central_inventory.config import DEFAULT_TOKEN_DAYS
from central_inventory.db import (
    ApiToken,
    Bench,
    Certificate,
    Report,
    Tenant,
    Unit,
    as_utc,
    utcnow,
)
from central_inventory.i18n import Message
from wipe.signing import BenchKey, key_id


class AdminError(ValueError):
    """An administration request that cannot be carried out (the message says why)."""

    def __init__(self, text: str, *, message: Message | None = None) -> None:
        super().__init__(text)
        self.message = message
        """The reason in French and English, when it has both (else ``text``)."""


def _check_text(label: str, value: str, max_len: int) -> str:
    value = value.strip()
    if not value or len(value) > max_len or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise AdminError(f"{label}: 1-{max_len} printable characters")
    return value


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    token_pk: int
    token: str
    """The clear token: shown once, only its SHA-256 is stored."""
    role: str
    expires_at: datetime | None = None


MAX_ADDRESS_CHARS = 500


def check_address(value: str) -> str:
    """A postal address: printable lines (newlines allowed), at most 500 characters."""
    lines = [line.strip() for line in value.replace("\r\n", "\n").split("\n")]
    text = "\n".join(line for line in lines if line)
    if (
        not text
        or len(text) > MAX_ADDRESS_CHARS
        or any((ord(c) < 32 and c != "\n") or ord(c) == 127 for c in text)
    ):
        raise AdminError(f"tenant address: 1-{MAX_ADDRESS_CHARS} printable characters")
    return text


def set_tenant_address(sessions: sessionmaker[Session], slug: str, address: str | None) -> None:
    """Set (or clear, with None) the postal address of a tenant."""
    value = check_address(address) if address is not None else None
    with sessions.begin() as session:
        tenant = session.get(Tenant, _tenant_id(session, slug))
        assert tenant is not None
        tenant.address = value


def create_tenant(
    sessions: sessionmaker[Session], slug: str, name: str, address: str | None = None
) -> int:
    slug = slug.strip().lower()
    if not slug or len(slug) > 64 or not all(c.isalnum() or c in "-_" for c in slug):
        raise AdminError(f"tenant slug {slug!r}: use 1-64 letters, digits, '-' or '_'")
    name = _check_text("tenant name", name, 200)
    address = check_address(address) if address is not None else None
    with sessions.begin() as session:
        if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
            raise AdminError(f"tenant {slug!r} already exists")
        values: dict[str, object] = {"slug": slug, "name": name.strip(), "created_at": utcnow()}
        if address is not None:
            # Named only when given: tools (tests, migrations) that create tenants on a
            # schema older than 0005 keep working.
            values["address"] = address
        try:
            tenant_id: int = session.execute(
                insert(Tenant).values(**values).returning(Tenant.id)
            ).scalar_one()
        except IntegrityError:  # created concurrently between the check and the insert
            raise AdminError(f"tenant {slug!r} already exists") from None
        return tenant_id


def _tenant_id(session: Session, slug: str) -> int:
    found = session.scalar(select(Tenant.id).where(Tenant.slug == slug.strip().lower()))
    if found is None:
        raise AdminError(f"unknown tenant {slug!r} (create it with create-tenant)")
    return found


def parse_public_key(text: str) -> bytes:
    """A bench's public key: base64 of the raw 32-byte Ed25519 key (BenchKey.public_b64),
    or a PEM ``PUBLIC KEY`` block."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            loaded = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise AdminError(f"public key: unreadable PEM ({exc})") from None
        if not isinstance(loaded, Ed25519PublicKey):
            raise AdminError("public key: not an Ed25519 key")
        return loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AdminError("public key: expected base64 of 32 raw bytes, or a PEM block") from None
    if len(raw) != 32:
        raise AdminError(f"public key: {len(raw)} bytes decoded, an Ed25519 key has 32")
    return raw


def register_bench(
    sessions: sessionmaker[Session],
    tenant: str,
    name: str,
    public_key: bytes,
    site: str | None = None,
) -> int:
    name = _check_text("bench name", name, 100)
    if site is not None:
        site = _check_text("site (e.g. GR, LY)", site, 16)
    with sessions.begin() as session:
        tenant_id = _tenant_id(session, tenant)
        if session.scalar(select(Bench.id).where(Bench.name == name)) is not None:
            raise AdminError(f"bench {name!r} already registered")
        bench = Bench(
            tenant_id=tenant_id,
            name=name,
            public_key_b64=base64.b64encode(public_key).decode(),
            key_id=key_id(public_key),
            site=site.strip().upper() if site else None,
            created_at=utcnow(),
        )
        session.add(bench)
        try:
            session.flush()
        except IntegrityError:  # registered concurrently between the check and the insert
            raise AdminError(f"bench {name!r} already registered") from None
        return bench.id


def create_token(
    sessions: sessionmaker[Session],
    role: str,
    *,
    tenant: str | None = None,
    bench: str | None = None,
    label: str | None = None,
    valid_days: int | None = None,
) -> IssuedToken:
    """A bench token (``bench``), a tenant staff token (``tenant``) or a coordinator token,
    valid ``valid_days`` (the role's default when None; 0: never expires)."""
    if role not in ROLES:
        raise AdminError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    expires_at = _expiry(role, valid_days)
    with sessions.begin() as session:
        tenant_id = bench_pk = None
        if role == "bench":
            if not bench:
                raise AdminError("a bench token needs --bench NAME")
            row = session.execute(
                select(Bench.id, Bench.tenant_id, Bench.revoked_at).where(Bench.name == bench)
            ).first()
            if row is None:
                raise AdminError(f"unknown bench {bench!r} (register it with register-bench)")
            if row.revoked_at is not None:
                raise AdminError(f"bench {bench!r} is deactivated")
            bench_pk, tenant_id = row.id, row.tenant_id
        elif role == "staff":
            if not tenant:
                raise AdminError("a staff token needs --tenant SLUG")
            tenant_id = _tenant_id(session, tenant)
        token = new_token()
        row_token = ApiToken(
            token_hash=hash_token(token),
            role=role,
            tenant_id=tenant_id,
            bench_id=bench_pk,
            label=_check_text("label", label, 200) if label else None,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        session.add(row_token)
        session.flush()
        return IssuedToken(
            token_pk=row_token.id, token=token, role=role, expires_at=row_token.expires_at
        )


MAX_TOKEN_DAYS = 3650


def _expiry(role: str, valid_days: int | None) -> datetime | None:
    days = DEFAULT_TOKEN_DAYS[role] if valid_days is None else valid_days
    if not 0 <= days <= MAX_TOKEN_DAYS:
        raise AdminError(f"token lifetime {days} days: expected 0 to {MAX_TOKEN_DAYS}")
    return None if days == 0 else utcnow() + timedelta(days=days)


MAX_OVERLAP_HOURS = 24 * 30


def rotate_token(
    sessions: sessionmaker[Session],
    token_pk: int,
    *,
    overlap_hours: int = 0,
    valid_days: int | None = None,
) -> IssuedToken:
    """Issue a new token for the same holder (role, tenant, bench, label) and retire the
    old one: revoked at once by default, or still accepted for ``overlap_hours`` (time to
    save the new token on the bench) and expired after. The old row names its successor.

    One transaction: two rotations of the same token cannot both succeed (the second sees
    ``replaced_by`` set, or conflicts on the row lock)."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise AdminError(f"overlap {overlap_hours} hours: expected 0 to {MAX_OVERLAP_HOURS}")
    with sessions.begin() as session:
        old = session.scalars(
            select(ApiToken).where(ApiToken.id == token_pk).with_for_update()
        ).first()
        if old is None:
            raise AdminError(f"unknown token id {token_pk}")
        if old.revoked_at is not None or old.replaced_by is not None:
            raise AdminError(f"token id {token_pk} is already revoked or rotated")
        if old.bench_id is not None:
            revoked = session.scalar(select(Bench.revoked_at).where(Bench.id == old.bench_id))
            if revoked is not None:
                raise AdminError("the token's bench is deactivated")
        token = new_token()
        fresh = ApiToken(
            token_hash=hash_token(token),
            role=old.role,
            tenant_id=old.tenant_id,
            bench_id=old.bench_id,
            label=old.label,
            created_at=utcnow(),
            expires_at=_expiry(old.role, valid_days),
        )
        session.add(fresh)
        session.flush()
        now = utcnow()
        old.replaced_by = fresh.id
        if overlap_hours == 0:
            old.revoked_at = now
        else:
            until = now + timedelta(hours=overlap_hours)
            current = as_utc(old.expires_at) if old.expires_at is not None else None
            old.expires_at = until if current is None or current > until else current
        return IssuedToken(
            token_pk=fresh.id, token=token, role=fresh.role, expires_at=fresh.expires_at
        )


def revoke_token(sessions: sessionmaker[Session], token_pk: int) -> None:
    with sessions.begin() as session:
        row = session.get(ApiToken, token_pk)
        if row is None:
            raise AdminError(f"unknown token id {token_pk}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()


def revoke_bench(sessions: sessionmaker[Session], name: str, at: datetime | None = None) -> None:
    """Revoke a bench's key (and so its tokens) from ``at`` (default now): what it signed
    before stays valid, what it signs from then on does not. A revocation can be moved
    earlier (a key found stolen since a date), never later."""
    with sessions.begin() as session:
        bench = session.scalars(select(Bench).where(Bench.name == name)).first()
        if bench is None:
            raise AdminError(f"unknown bench {name!r}")
        moment = at or utcnow()
        if moment.tzinfo is None:
            raise AdminError("revocation time: give a timezone (e.g. 2026-11-20T12:00:00Z)")
        current = bench.revoked_at
        if current is not None and current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        if current is None or moment < current:
            bench.revoked_at = moment


def bench_statement(
    sessions: sessionmaker[Session], name: str, network: BenchKey
) -> dict[str, Any]:
    """The signed key statement of a bench as the database says it now."""
    from central_inventory.trust import statement_for

    with sessions() as session:
        bench = session.scalars(select(Bench).where(Bench.name == name)).first()
        if bench is None:
            raise AdminError(f"unknown bench {name!r}")
        tenant = session.get(Tenant, bench.tenant_id)
        assert tenant is not None
        return statement_for(network, bench, tenant)


def create_batch(
    sessions: sessionmaker[Session], tenant: str, code: str, donor_name: str
) -> tuple[int, str]:
    """A donor batch; returns its id and the donor token (``central_inventory.staff``,
    shared with the API and the batches page)."""
    from central_inventory.errors import ApiError
    from central_inventory.staff import insert_batch

    code = _check_text("batch code", code, 64)
    donor_name = _check_text("donor name", donor_name, 200)
    with sessions.begin() as session:
        tenant_id = _tenant_id(session, tenant)
        try:
            return insert_batch(session, tenant_id, code, donor_name)
        except ApiError as exc:
            raise AdminError(exc.message["en"], message=exc.message) from None


def _rows(session: Session, model: Any, tenant_id: int | None) -> Iterator[Any]:
    query = select(model).order_by(model.id)
    if tenant_id is not None:
        query = query.where(model.tenant_id == tenant_id)
    yield from session.scalars(query.execution_options(yield_per=500))


def export(
    sessions: sessionmaker[Session], out: TextIO, tenant: str | None = None
) -> dict[str, int]:
    """Every report revision and certificate as JSON lines, each with its envelope verbatim
    (a portable, verifiable dump: every line can be checked with the bench's key); a
    report line says its revision and whether it is its unit's current report."""
    counts = {"reports": 0, "certificates": 0}
    with sessions() as session:
        tenant_id = _tenant_id(session, tenant) if tenant else None
        slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).all())
        benches = dict(session.execute(select(Bench.id, Bench.name)).all())
        keys = dict(session.execute(select(Bench.id, Bench.public_key_b64)).all())
        units = dict(session.execute(select(Unit.id, Unit.unit_key)).all())
        latest = dict(session.execute(select(Unit.id, Unit.latest_version)).all())
        for report in _rows(session, Report, tenant_id):
            line = {
                "kind": "report",
                "id": report.report_id,
                "tenant": slugs[report.tenant_id],
                "bench": benches[report.bench_id],
                "bench_public_key": keys[report.bench_id],
                "unit_key": units[report.unit_id],
                "version": report.version,
                "revision": report.revision,
                "current": report.version is not None and report.version == latest[report.unit_id],
                "received_at": report.received_at.isoformat(),
                "envelope": json.loads(report.envelope),
            }
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            counts["reports"] += 1
        for cert in _rows(session, Certificate, tenant_id):
            line = {
                "kind": "certificate",
                "id": cert.certificate_id,
                "tenant": slugs[cert.tenant_id],
                "bench": benches[cert.bench_id],
                "bench_public_key": keys[cert.bench_id],
                "received_at": cert.received_at.isoformat(),
                "envelope": json.loads(cert.envelope),
            }
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            counts["certificates"] += 1
    return counts
