"""Bearer tokens (stored as SHA-256 only) and who a request comes from."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from central_inventory.db import ApiToken, Bench, WebSession, as_utc, utcnow
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


# --- Staff page sessions -------------------------------------------------------------

SESSION_IDLE = timedelta(hours=2)
"""A page session unused this long ends (log in again)."""
SESSION_LIFETIME = timedelta(hours=12)
"""A page session ends this long after login, however busy."""
_TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is rewritten at most this often (most page views write nothing)."""
SESSION_KEPT = timedelta(days=30)
"""Ended sessions are deleted this long after their expiry (at the next login)."""
PAGE_ROLES = frozenset({"staff", "coordinator"})


@dataclass(frozen=True, kw_only=True)
class PageSession:
    """A live page session: who, and the CSRF token its forms must send back."""

    pk: int
    principal: Principal
    csrf_token: str
    flash: dict[str, Any] | None
    """The one-time message left by the last form (already cleared in the database)."""


def open_session(db: Session, principal: Principal) -> str:
    """A new page session for a staff or coordinator principal; returns the cookie value
    (256 random bits; only its SHA-256 is stored). The caller commits."""
    if principal.role not in PAGE_ROLES:
        raise ValueError("page sessions are for staff and coordinators")
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    # Ended sessions are kept a month (who was logged in when), then dropped.
    db.execute(delete(WebSession).where(WebSession.expires_at < now - SESSION_KEPT))
    db.add(
        WebSession(
            session_hash=hash_token(session_id),
            token_id=principal.token_pk,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    db.flush()
    return session_id


def _principal_for_token_pk(db: Session, token_pk: int) -> Principal | None:
    row = db.execute(
        select(ApiToken.role, ApiToken.tenant_id, ApiToken.revoked_at, ApiToken.expires_at).where(
            ApiToken.id == token_pk
        )
    ).first()
    if row is None or row.role not in PAGE_ROLES or row.revoked_at is not None:
        return None
    if row.expires_at is not None and as_utc(row.expires_at) <= utcnow():
        return None
    role: Role = row.role
    return Principal(token_pk=token_pk, role=role, tenant_id=row.tenant_id)


def resume_session(db: Session, session_id: str | None) -> PageSession | None:
    """The live session a cookie names, or None: unknown, revoked (logout), past its
    lifetime or idle spell, or its token revoked or expired since. Takes its flash
    message and refreshes ``last_seen_at`` (committing when it wrote anything)."""
    if not session_id or len(session_id) > 100:
        return None
    row = db.scalars(
        select(WebSession).where(WebSession.session_hash == hash_token(session_id))
    ).first()
    now = utcnow()
    if (
        row is None
        or row.revoked_at is not None
        or as_utc(row.expires_at) <= now
        or as_utc(row.last_seen_at) + SESSION_IDLE <= now
    ):
        return None
    principal = _principal_for_token_pk(db, row.token_id)
    if principal is None:
        return None
    flash: dict[str, Any] | None = None
    wrote = False
    if row.flash is not None:
        try:
            loaded = json.loads(row.flash)
        except ValueError:
            loaded = None
        flash = loaded if isinstance(loaded, dict) else None
        row.flash = None
        wrote = True
    if as_utc(row.last_seen_at) + _TOUCH_EVERY <= now:
        row.last_seen_at = now
        wrote = True
    pk, csrf = row.id, row.csrf_token
    if wrote:
        db.commit()
    return PageSession(pk=pk, principal=principal, csrf_token=csrf, flash=flash)


def check_csrf(page: PageSession, sent: str | None) -> bool:
    """Whether a form sent back its session's CSRF token (constant-time comparison)."""
    if not sent or len(sent) > 100:
        return False
    return secrets.compare_digest(page.csrf_token.encode(), sent.encode("utf-8", "replace"))


def set_flash(db: Session, session_pk: int, message: dict[str, Any]) -> None:
    """Leave a one-time message for the page the form redirects to. The caller commits."""
    row = db.get(WebSession, session_pk)
    if row is not None:
        row.flash = json.dumps(message, ensure_ascii=False)


def close_session(db: Session, session_id: str | None) -> None:
    """Revoke a session (logout): its cookie no longer opens anything. The caller commits."""
    if not session_id or len(session_id) > 100:
        return
    row = db.scalars(
        select(WebSession).where(WebSession.session_hash == hash_token(session_id))
    ).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
