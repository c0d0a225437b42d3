"""Bearer tokens (stored as SHA-256 only) and who a request comes from."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_inventory.db import ApiToken, Bench
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

    def can_see_tenant(self, tenant_id: int) -> bool:
        return self.role == "coordinator" or self.tenant_id == tenant_id


UNAUTHENTICATED = tr(
    "Jeton d'accès manquant ou inconnu (en-tête Authorization: Bearer <jeton>).",
    "Missing or unknown access token (Authorization: Bearer <token> header).",
)


def bearer_from_header(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(session: Session, token: str | None) -> Principal:
    """Resolve a bearer token, or raise a 401/403 ApiError saying why not."""
    if not token or len(token) > 200:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
    row = session.execute(
        select(ApiToken, Bench)
        .outerjoin(Bench, Bench.id == ApiToken.bench_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
    api_token, bench = row
    if api_token.revoked_at is not None:
        raise ApiError(
            401,
            "token_revoked",
            tr("Ce jeton d'accès a été révoqué.", "This access token has been revoked."),
        )
    if api_token.role not in ROLES:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
    role: Role = api_token.role
    if role == "bench":
        if bench is None:
            raise ApiError(401, "unauthenticated", UNAUTHENTICATED)
        if bench.revoked_at is not None:
            raise ApiError(
                403,
                "bench_revoked",
                tr("Ce banc a été désactivé.", "This bench has been deactivated."),
            )
        return Principal(
            token_pk=api_token.id,
            role="bench",
            tenant_id=bench.tenant_id,
            bench_pk=bench.id,
            bench_name=bench.name,
            bench_public_key=base64.b64decode(bench.public_key_b64),
        )
    return Principal(token_pk=api_token.id, role=role, tenant_id=api_token.tenant_id)
