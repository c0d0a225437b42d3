"""The network key and the key statements it signs for registered benches (no HTTP here).

The network key is an Ed25519 key in a PEM file (``CENTRAL_NETWORK_KEY``, created 0600 by
``central-inventory init-network-key``). A statement is issued from a bench's row when it
is registered, when it is revoked, and whenever a bench asks for it (``GET /api/v1/trust``):
it always says what the database says (:func:`wipe.trust.issue_statement`).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from central_inventory.db import Bench, Tenant, utcnow
from wipe.signing import BenchKey, SignatureError, b64, public_key_pem, unb64
from wipe.trust import issue_statement


class NetworkKeyError(ValueError):
    """The network key is missing or unreadable; says which file."""


def create_network_key(path: Path) -> tuple[BenchKey, bool]:
    """The network key at ``path``, created (0600) when absent; (key, created)."""
    existed = path.exists()
    try:
        key = BenchKey.load_or_create(path)
    except (OSError, ValueError, SignatureError) as exc:
        raise NetworkKeyError(f"{path}: {exc}") from None
    if not existed:
        os.chmod(path, 0o600)
    return key, not existed


def load_network_key(path: Path | None) -> BenchKey | None:
    """The network key, None when not created yet; NetworkKeyError when unreadable."""
    if path is None or not path.exists():
        return None
    try:
        return BenchKey.load(path)
    except (OSError, ValueError, SignatureError) as exc:
        raise NetworkKeyError(f"{path}: {exc}") from None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def statement_for(
    network: BenchKey, bench: Bench, tenant: Tenant, now: datetime | None = None
) -> dict[str, Any]:
    """The signed key statement of ``bench`` as the database says it now."""
    return issue_statement(
        network,
        tenant=tenant.slug,
        bench=bench.name,
        public_raw=unb64(bench.public_key_b64),
        valid_from=_aware(bench.created_at),
        valid_until=None,
        revoked_at=_aware(bench.revoked_at) if bench.revoked_at is not None else None,
        now=now or utcnow(),
    )


def trust_document(network: BenchKey, statement: dict[str, Any] | None) -> dict[str, Any]:
    """What ``GET /api/v1/trust`` answers: the network key (three forms) and a statement."""
    return {
        "network_public_key": b64(network.public_raw),
        "network_public_key_pem": public_key_pem(network.public_raw),
        "network_key_fingerprint": network.fingerprint,
        "statement": statement,
    }
