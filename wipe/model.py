"""The typed erasure certificate: one msgspec model every reader uses (``wipe``,
``bench_agent`` and ``central_inventory``), and the one list of erasure results.

Only msgspec here (no cryptography): the bench's document models import the result enum.
Unknown payload fields are left out of the typed view, not refused: the model is decoded
from the signed bytes only, so whatever it skips is still covered by the signature.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

SCHEMA = "bench-agent/erasure-certificate/1"


class CertificateResult(enum.StrEnum):
    """What an erasure achieved; only ERASED means every byte was written and read back."""

    ERASED = "ERASED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"
    UNVERIFIED = "UNVERIFIED"
    DRY_RUN = "DRY_RUN"
    INTERRUPTED = "INTERRUPTED"


# The payload's sections. Unknown fields are kept out of the typed view but not refused:
# the model is decoded from the signed bytes only, so whatever it skips is still signed.


class Reasons(msgspec.Struct, kw_only=True):
    fr: list[str] = []
    en: list[str] = []


class Sanitization(msgspec.Struct, kw_only=True):
    level: str | None = None
    """``clear`` or ``purge`` when achieved, else None (never a level not achieved)."""
    standard: str | None = None
    why: str | None = None


class Media(msgspec.Struct, kw_only=True):
    """The erased drive as the engine saw it."""

    name: str | None = None
    device_path: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    size_bytes: int | None = None
    transport: str | None = None
    rotational: bool | None = None
    media: str | None = None
    backing_file: str | None = None
    manufacturer: str | None = None
    asset_tag: str | None = None
    media_type: str | None = None


class Method(msgspec.Struct, kw_only=True):
    overwrite: dict[str, Any] | None = None
    """The overwrite method (name, passes, verification), None for firmware only."""
    firmware: dict[str, Any] | str | None = None
    """The firmware erasure record; on an INTERRUPTED certificate, the requested method's
    name only (all the journal knows)."""
    prng: str | None = None
    keystream_seed_hex: str | None = None
    keystream_layout: str | None = None
    passes: list[dict[str, Any]] = []
    resumed_from: dict[str, Any] | None = None

    @property
    def name(self) -> str | None:
        if isinstance(self.firmware, str) and self.firmware:
            return self.firmware
        firmware = self.firmware if isinstance(self.firmware, dict) else {}
        for section, key in ((self.overwrite or {}, "name"), (firmware, "method")):
            value = section.get(key)
            if isinstance(value, str) and value:
                return value
        return None


class Verification(msgspec.Struct, kw_only=True):
    mode: str | None = None
    passes: list[dict[str, Any]] = []
    bytes_checked: int = 0
    coverage_percent: float | None = None
    passed: bool = False


class Errors(msgspec.Struct, kw_only=True):
    count: int = 0
    ranges: list[dict[str, Any]] = []


class Tool(msgspec.Struct, kw_only=True):
    name: str
    version: str


class Operator(msgspec.Struct, kw_only=True):
    name: str | None = None
    role: str | None = None
    organisation: str | None = None
    location: str | None = None
    contact: str | None = None
    donor: str | None = None


class Certificate(msgspec.Struct, kw_only=True):
    """The payload of an erasure certificate: the one typed view every reader uses
    (``wipe``, ``bench_agent`` and ``central_inventory``)."""

    schema: str
    certificate_id: str
    session_id: str | None = None
    result: CertificateResult
    dry_run: bool = False
    reasons: Reasons = msgspec.field(default_factory=Reasons)
    sanitization: Sanitization = msgspec.field(default_factory=Sanitization)
    media: Media
    source_computer: dict[str, Any] | None = None
    method: Method = msgspec.field(default_factory=Method)
    verification: Verification | None = None
    errors: Errors | None = None
    bytes_written: int | None = None
    device_size_bytes: int | None = None
    hpa_dco: dict[str, Any] | None = None
    destination: str | None = None
    """After sanitization: reuse, recycle or destroy (``wipe.certificate.DESTINATIONS``)."""
    tool: Tool
    operator: Operator = msgspec.field(default_factory=Operator)
    started_at: str | None
    ended_at: str | None
    duration_s: float | None = None
    last_journal_event: dict[str, Any] | None = None
    digests: dict[str, str] = {}

    @property
    def signed_at(self) -> str | None:
        """When the certificate was signed, as far as it says: its end, else its start."""
        return self.ended_at or self.started_at
