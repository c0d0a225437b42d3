"""Unit identity and report assembly."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from bench_agent import __version__
from bench_agent.model.common import Text
from bench_agent.model.inventory import Inventory
from bench_agent.model.report import (
    BenchInfo,
    ErasureSummary,
    IdentityBasis,
    UnitIdentity,
    UnitReport,
)


def _norm(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip().lower()


def unit_identity(inv: Inventory, asset_tag: str | None = None) -> UnitIdentity:
    """A stable key for the unit: maker + product + serial, with fallbacks.

    The probes have already turned junk serials into None. When the system
    serial is unknown, the SMBIOS UUID, then the board serial, then the serial
    of the first internal disk identify the unit (a disk can be swapped, so it
    comes last); with none of them the key is ``none:`` and the technician
    must tag the unit by hand.
    """
    ident = inv.identity
    maker = ident.maker
    product = ident.product_name or ident.model
    basis: IdentityBasis
    if ident.serial:
        basis, value = "system_serial", ident.serial
    elif ident.uuid:
        basis, value = "system_uuid", ident.uuid
    elif ident.board_serial:
        basis, value = "board_serial", ident.board_serial
    else:
        disk_serials = [d.serial for d in inv.disks if d.serial and not d.boot_medium]
        if disk_serials:
            basis, value = "disk_serial", sorted(disk_serials)[0]
        else:
            basis, value = "none", ""
    if basis == "none":
        key = "none:"
    elif basis == "system_serial":
        key = "|".join((_norm(maker), _norm(product), _norm(value)))
    else:
        key = f"{basis}:{_norm(value)}"
    return UnitIdentity(
        key=key,
        basis=basis,
        maker=maker,
        model=ident.model or ident.product_name,
        serial=ident.serial,
        asset_tag=asset_tag,
    )


def utc_now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_report(
    inv: Inventory,
    *,
    bench_id: str | None = None,
    site: str | None = None,
    technician: str | None = None,
    asset_tag: str | None = None,
) -> UnitReport:
    """A new UnitReport (fresh report id) around an inventory."""
    return UnitReport(
        report_id=str(uuid.uuid4()),
        created_at=utc_now_iso(),
        unit=unit_identity(inv, asset_tag),
        bench=BenchInfo(
            bench_id=bench_id, agent_version=__version__, site=site, technician=technician
        ),
        inventory=inv,
    )


def summarize_certificate(payload: dict[str, Any]) -> ErasureSummary:
    """The key facts of a (verified) erasure certificate's payload, for the unit report
    and its label. Raises ValueError on a payload that is not a certificate."""
    from wipe.certificate import certificate_of

    if not isinstance(payload, dict):
        raise ValueError("not an erasure certificate (not a JSON object)")
    cert = certificate_of(payload)  # the one typed model (ValueError when it does not fit)
    method = cert.method
    names = [
        n
        for n in (
            method.firmware
            if isinstance(method.firmware, str)
            else (method.firmware or {}).get("method"),
            (method.overwrite or {}).get("name"),
        )
        if isinstance(n, str) and n
    ]
    level = cert.sanitization.level
    verification = cert.verification
    outcome = "passed" if verification is not None and verification.passed else "failed"
    fr, en = cert.reasons.fr, cert.reasons.en
    return ErasureSummary(
        certificate_id=cert.certificate_id,
        device=cert.media.device_path or "?",
        disk_model=cert.media.model,
        disk_serial=cert.media.serial,
        method=" + ".join(names) or "unknown",
        level="clear" if level == "clear" else "purge" if level == "purge" else "none",
        result=cert.result,
        started_at=cert.started_at,
        finished_at=cert.ended_at,
        verification=None
        if verification is None or verification.mode is None
        else f"{verification.mode}: {outcome}",
        reason=Text(fr=" ; ".join(fr), en="; ".join(en)) if fr or en else None,
    )
