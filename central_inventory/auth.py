"""Bearer tokens (stored as SHA-256 only) and who a request comes from."""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from central_inventory.db import ApiToken, Bench, as_utc, utcnow
from central_inventory.errors import ApiError
from central_inventory.i18n import tr

Role = Literal["bench", "staff", "coordinator"]
ROLES: tuple[Role, ...] = ("bench", "staff", "coordinator")
TOKEN_PREFIX = "cit_"


def new_token() -> str:
    """A fresh bearer token: 256 random bits, shown once, never stored in clear."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of entropy, so a fast hash is enough (no dictionary to resist);
    # it keeps each request to one indexed lookup.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is calling: a bench, a tenant's staff member or a network coordinator."""

    token_pk: int
    role: Role
    tenant_id: int | None
    """None only for coordinators (they see every tenant)."""
    bench_pk: int | None = None
    bench_name: str | None = None
    bench_public_key: bytes | None = None
    bench_site: str | None = None
    bench_public_key_b64: str | None = None
    """The registered key as stored (what ingestion re-checks in its write statement)."""

    def can_see_tenant(self, tenant_id: int) -> bool:
        return self.role == "coordinator" or self.tenant_id == tenant_id


UNAUTHENTICATED = tr(
    "Jeton d'accès manquant ou inconnu (en-tête Authorization: Bearer <jeton>).",
    "Missing or unknown access token (Authorization: Bearer <token> header).",
)


def expired_token(expired_at: datetime) -> ApiError:
    """401 for a token past its expiry: the holder needs a new one (``rotate-token``)."""
    day = expired_at.strftime("%Y-%m-%d")
    return ApiError(
        401,
        "token_expired",
        tr(
            f"Ce jeton d'accès a expiré le {day} : demandez au responsable du service un "
            "nouveau jeton (central-inventory rotate-token) et enregistrez-le sur le banc.",
            f"This access token expired on {day}: ask the service administrator for a new "
            "token (central-inventory rotate-token) and save it on the bench.",
        ),
        detail={"expired_at": expired_at.isoformat()},
    )


def bearer_from_header(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@functools.cache
def _token_query() -> Any:
    # Built once: this query runs on every request.
    tokens, benches = ApiToken.__table__, Bench.__table__
    return (
        select(
            tokens.c.id,
            tokens.c.role,
            tokens.c.tenant_id,
            tokens.c.revoked_at,
            tokens.c.expires_at,
            benches.c.id.label("bench_pk"),
            benches.c.tenant_id.label("bench_tenant_id"),
            benches.c.name.label("bench_name"),
            benches.c.public_key_b64,
            benches.c.site.label("bench_site"),
            benches.c.revoked_at.label("bench_revoked_at"),
        )
        .select_from(tokens.outerjoin(benches, benches.c.id == tokens.c.bench_id))
        .where(tokens.c.token_hash == bindparam("token_hash"))
    )


def authenticate(db: Session | Connection, token: str | None) -> Principal:
    """Resolve a bearer token, or raise a 401/403 ApiError saying why not."""
    if not token or len(token) > 200:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
    row = db.execute(_token_query(), {"token_hash": hash_token(token)}).first()
    if row is None or row.role not in ROLES:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
    if row.revoked_at is not None:
        raise ApiError(
            401,
            "token_revoked",
            tr("Ce jeton d'accès a été révoqué.", "This access token has been revoked."),
        )
    if row.expires_at is not None and as_utc(row.expires_at) <= utcnow():
        raise expired_token(as_utc(row.expires_at))
    role: Role = row.role
    if role == "bench":
        if row.bench_pk is None:
            raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
        if row.bench_revoked_at is not None:
            raise ApiError(
                403,
                "bench_revoked",
                tr("Ce banc a été désactivé.", "This bench has been deactivated."),
            )
        return Principal(
            token_pk=row.id,
            role="bench",
            tenant_id=row.bench_tenant_id,
            bench_pk=row.bench_pk,
            bench_name=row.bench_name,
            bench_site=row.bench_site,
            bench_public_key=base64.b64decode(row.public_key_b64),
            bench_public_key_b64=row.public_key_b64,
        )
    return Principal(token_pk=row.id, role=role, tenant_id=row.tenant_id)
