"""Erasure certificates: one signed JSON record per drive and run.

Fields follow the NIST SP 800-88 sample certificate (maker, model, serial,
asset tag, media type, source computer, level, method, tool, verification,
who/role/where/when) plus what nwipe records (passes, PRNG, throughput,
errors). The level (Clear / Purge) appears only when actually achieved.
Every top-level section also has its SHA-256 in ``digests`` so a failed
signature can name the section that was altered.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from wipe.model import SCHEMA, Certificate, CertificateResult
from wipe.private import make_private_dir, open_private
from wipe.signing import (
    BenchKey,
    CanonicalJSONError,
    SignatureError,
    canonical_json,
    fingerprint,
    parse_json,
    unb64,
    verify_envelope,
)

__all__ = ["RESULTS", "SCHEMA", "Certificate", "CertificateResult"]
RESULTS = tuple(r.value for r in CertificateResult)


_CERTIFICATE_DECODER = msgspec.json.Decoder(Certificate)
"""Built once, at import (msgspec fills its type cache lazily; see central ingest)."""


class CertificateFormatError(ValueError):
    """A signed payload that is not an erasure certificate; says which field."""


def decode_certificate(signed: bytes) -> Certificate:
    """The typed certificate from its signed (canonical) bytes."""
    try:
        certificate = _CERTIFICATE_DECODER.decode(signed)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise CertificateFormatError(str(exc)) from None
    if certificate.schema != SCHEMA:
        raise CertificateFormatError(f"Expected schema {SCHEMA!r} - at `$.schema`")
    return certificate


def certificate_of(payload: dict[str, Any]) -> Certificate:
    """The typed certificate of a JSON payload (CertificateFormatError, CanonicalJSONError)."""
    return decode_certificate(canonical_json(payload))


TOOL_NAME = "bench-agent wipe"
TOOL_VERSION = "0.1.0"
STANDARD = "NIST SP 800-88 Rev.2 / IEEE 2883-2022"
DESTINATIONS = ("reuse", "recycle", "destroy")
"""Post-sanitization destination (NIST SP 800-88): the payload's optional ``destination``."""


def section_digests(payload: dict[str, Any]) -> dict[str, str]:
    return {
        key: hashlib.sha256(canonical_json(value)).hexdigest()
        for key, value in sorted(payload.items())
        if key != "digests"
    }


def sign_certificate(key: BenchKey, payload: dict[str, Any]) -> dict[str, Any]:
    """Check the payload against the model, add the section digests and sign."""
    if payload.get("result") not in RESULTS:
        raise ValueError(
            f"certificate result must be one of {RESULTS}, got {payload.get('result')!r}"
        )
    certificate_of(payload)
    body = dict(payload)
    body.pop("digests", None)
    body["digests"] = section_digests(body)
    return key.sign(body)


def certificate_filename(payload: dict[str, Any]) -> str:
    media = payload.get("media") or {}
    ident = str(media.get("serial") or media.get("name") or "disk")
    ident = re.sub(r"[^A-Za-z0-9._-]+", "_", ident)[:64]
    stamp = str(payload.get("started_at", "")).replace(":", "").replace("-", "")[:15]
    return f"erasure-{ident}-{stamp}-{str(payload.get('certificate_id', ''))[:8]}.json"


def write_certificate(envelope: dict[str, Any], cert_dir: str | Path) -> Path:
    """Write atomically (temp file, fsync, rename) and return the path (0600, in a
    folder created 0700)."""
    directory = Path(cert_dir)
    make_private_dir(directory)
    path = directory / certificate_filename(envelope["payload"])
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(envelope, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


@dataclass(slots=True)
class CertificateCheck:
    """Outcome of verifying a certificate file."""

    ok: bool
    payload: dict[str, Any] | None
    problems_fr: list[str] = field(default_factory=list)
    problems_en: list[str] = field(default_factory=list)
    altered_sections: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    """The typed certificate, when the signature verifies and the payload fits the model."""
    public_key: bytes | None = None
    """The key that signed it (raw), when the signature verifies: whether it is trusted
    is :mod:`wipe.trust`'s question."""

    @property
    def fingerprint(self) -> str | None:
        return fingerprint(self.public_key) if self.public_key is not None else None

    def fail(self, fr: str, en: str) -> None:
        self.ok = False
        self.problems_fr.append(fr)
        self.problems_en.append(en)


MAX_CERTIFICATE_BYTES = 16 << 20


def verify_certificate(
    source: str | Path | bytes, trusted_public_key: bytes | None = None
) -> CertificateCheck:
    """Check the signature; on failure name the altered sections (from the signed digests)."""
    try:
        return _verify_certificate(source, trusted_public_key)
    except RecursionError:
        check = CertificateCheck(False, None)
        check.fail("document imbriqué trop profondément", "document nested too deeply")
        return check


def _verify_certificate(
    source: str | Path | bytes, trusted_public_key: bytes | None
) -> CertificateCheck:
    check = CertificateCheck(True, None)
    try:
        if not isinstance(source, bytes) and Path(source).stat().st_size > MAX_CERTIFICATE_BYTES:
            check.fail("fichier trop gros pour un certificat", "file too large for a certificate")
            return check
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        check.fail(
            f"lecture impossible : {exc.strerror or exc}", f"cannot read: {exc.strerror or exc}"
        )
        return check
    try:
        envelope = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        check.fail(f"ce n'est pas du JSON valide ({exc})", f"not valid JSON ({exc})")
        return check
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    if isinstance(payload, dict):
        check.payload = payload
    try:
        verify_envelope(envelope, trusted_public_key)
    except SignatureError as exc:
        check.fail(f"signature invalide : {exc}", f"invalid signature: {exc}")
        if isinstance(payload, dict) and isinstance(payload.get("digests"), dict):
            recorded = payload["digests"]
            try:
                actual = section_digests(payload)
            except CanonicalJSONError:
                return check
            altered = sorted(
                k for k in set(recorded) | set(actual) if recorded.get(k) != actual.get(k)
            )
            check.altered_sections = altered
            if altered:
                names = ", ".join(altered)
                check.fail(f"sections modifiées : {names}", f"altered sections: {names}")
            else:
                check.fail(
                    "contenu intact mais bloc de signature ou empreintes modifiés",
                    "content intact but the signature block or the digests were altered",
                )
        return check
    assert isinstance(payload, dict)  # verify_envelope refused anything else
    check.public_key = unb64(envelope["signature"]["public_key"])
    try:
        check.certificate = certificate_of(payload)
    except CertificateFormatError as exc:
        check.fail(
            f"ce n'est pas un certificat d'effacement ({exc})",
            f"not an erasure certificate ({exc})",
        )
        return check
    if payload.get("digests") != section_digests(payload):
        check.fail("empreintes de sections incohérentes", "section digests inconsistent")
    return check
