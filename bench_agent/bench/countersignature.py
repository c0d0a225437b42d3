"""The validator's countersignature: a second person vouches for one erasure certificate.

NIST SP 800-88 asks for the person who *verified* the sanitization as well as the one
who performed it. A countersignature is a small signed document (the same Ed25519
envelope as the certificate) naming the certificate by id and by the SHA-256 of its
signed payload bytes, so it can never be moved onto another certificate::

    {"schema": "bench-agent/countersignature/1", "certificate_id": ...,
     "certificate_sha256": ..., "validator": {"name": ..., "role": ...},
     "decision": "approved" | "rejected", "comment": ..., "at": "2026-...Z"}

It is stored next to the certificate as ``<certificate stem>.countersignature.json``
(0600, like all evidence). :func:`countersign` makes one (the command line and the app
call it); :func:`countersignature_for` finds and checks the one of a certificate (the PDF
prints a validation only when the check passed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from wipe.signing import BenchKey

SCHEMA = "bench-agent/countersignature/1"
SUFFIX = ".countersignature.json"
MAX_BYTES = 64 << 10
"""A countersignature is a few hundred bytes; anything much larger is not one."""
MAX_FIELD_CHARS = 500
Decision = Literal["approved", "rejected"]


class Validator(msgspec.Struct, forbid_unknown_fields=True):
    """Who countersigned."""

    name: str
    role: str | None = None


class Countersignature(msgspec.Struct, forbid_unknown_fields=True):
    """The signed payload of a countersignature."""

    schema: str
    certificate_id: str
    certificate_sha256: str
    """SHA-256 (hex) of the certificate's signed payload bytes (its canonical JSON)."""
    validator: Validator
    decision: Decision
    comment: str | None
    at: str
    """When it was signed, ISO 8601 UTC."""


@dataclass
class CountersignatureCheck:
    """A countersignature read back: valid and for this certificate, or why not."""

    path: Path | None
    document: Countersignature | None = None
    key_fingerprint: str | None = None
    """SHA-256 (hex) of the raw public key that signed the countersignature."""
    problems: list[Text] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.problems


def certificate_sha256(payload: Any) -> str:
    """SHA-256 of the certificate's signed bytes (what its signature covers)."""
    from wipe.signing import canonical_json

    return hashlib.sha256(canonical_json(payload)).hexdigest()


def key_fingerprint(signature: Any) -> str | None:
    """Full SHA-256 (hex) of the raw Ed25519 public key of a signature block."""
    from wipe.signing import unb64

    if not isinstance(signature, dict) or not isinstance(signature.get("public_key"), str):
        return None
    try:
        raw = unb64(signature["public_key"])
    except ValueError:
        return None
    return hashlib.sha256(raw).hexdigest()


def countersignature_path(certificate: Path) -> Path:
    """``erasure-X.json`` → ``erasure-X.countersignature.json`` beside it."""
    return certificate.with_name(certificate.stem + SUFFIX)


def _clean(value: str | None, what: Text) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if any(ord(c) < 32 for c in text) or len(text) > MAX_FIELD_CHARS:
        raise BenchError(
            _t(
                "{what} : {limit} caractères au plus, sans caractère de contrôle.",
                what=what,
                limit=MAX_FIELD_CHARS,
            ),
            exit_code=2,
        )
    return text or None


def countersign(
    certificate: Path,
    key: BenchKey,
    *,
    name: str,
    role: str | None = None,
    decision: Decision = "approved",
    comment: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Sign the validator's decision on a valid certificate; write it beside the
    certificate (0600) and return its path. BenchError: the certificate does not verify,
    no name, a rejection without a comment, or a countersignature already there."""
    from wipe.certificate import verify_certificate

    clean_name = _clean(name, _t("Nom du validateur"))
    clean_role = _clean(role, _t("Fonction du validateur"))
    clean_comment = _clean(comment, _t("Commentaire"))
    if not clean_name:
        raise BenchError(_t("Le nom du validateur est obligatoire."), exit_code=2)
    if decision == "rejected" and not clean_comment:
        raise BenchError(_t("Un refus doit dire pourquoi (--comment)."), exit_code=2)
    check = verify_certificate(certificate)
    if not check.ok or check.payload is None:
        raise BenchError(
            _t(
                "Certificat invalide, contre-signature refusée : {problems}",
                problems=Text(fr="; ".join(check.problems_fr), en="; ".join(check.problems_en)),
            ),
            exit_code=1,
        )
    target = countersignature_path(certificate)
    if target.exists():
        raise BenchError(
            _t(
                "Ce certificat est déjà contresigné ({name}) : une décision signée ne se "
                "remplace pas.",
                name=target.name,
            ),
            exit_code=1,
        )
    at = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = Countersignature(
        schema=SCHEMA,
        certificate_id=str(check.payload.get("certificate_id")),
        certificate_sha256=certificate_sha256(check.payload),
        validator=Validator(name=clean_name, role=clean_role),
        decision=decision,
        comment=clean_comment,
        at=at,
    )
    envelope = key.sign(msgspec.to_builtins(document))
    data = json.dumps(envelope, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        write_atomic(target, data.encode("utf-8"))
    except OSError as exc:
        raise BenchError(_t("Écriture impossible : {exc}", exc=exc.strerror or str(exc))) from exc
    return target


def check_countersignature(
    raw: bytes, certificate_payload: Any, path: Path | None = None
) -> CountersignatureCheck:
    """Is ``raw`` a countersignature that verifies and names this very certificate?"""
    from wipe.signing import SignatureError, parse_json, verify_envelope

    check = CountersignatureCheck(path)
    try:
        envelope = parse_json(raw)
        payload = verify_envelope(envelope)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, SignatureError) else type(exc).__name__
        check.problems.append(
            _t("contre-signature illisible ou signature invalide ({reason})", reason=reason)
        )
        return check
    try:
        document = msgspec.convert(payload, Countersignature)
    except msgspec.ValidationError as exc:
        check.problems.append(_t("ce n'est pas une contre-signature ({exc})", exc=str(exc)))
        return check
    if document.schema != SCHEMA:
        check.problems.append(_t("schéma de contre-signature inconnu"))
        return check
    check.key_fingerprint = key_fingerprint(envelope["signature"])
    wanted_id = (
        certificate_payload.get("certificate_id") if isinstance(certificate_payload, dict) else None
    )
    if document.certificate_id != wanted_id:
        check.problems.append(
            _t("contre-signature d'un autre certificat ({other})", other=document.certificate_id)
        )
    elif document.certificate_sha256 != certificate_sha256(certificate_payload):
        check.problems.append(
            _t("contre-signature d'une autre version de ce certificat (empreinte différente)")
        )
    try:
        datetime.fromisoformat(document.at)
    except ValueError:
        check.problems.append(_t("date de contre-signature illisible"))
    if not check.problems:
        check.document = document
    return check


def countersignature_for(
    certificate: Path, certificate_payload: Any, given: Path | None = None
) -> CountersignatureCheck | None:
    """The countersignature ``given``, else the one beside the certificate; None when
    there is none. A file that cannot be read is a problem, not an exception."""
    path = given or countersignature_path(certificate)
    if given is None and not path.exists():
        return None
    try:
        if path.stat().st_size > MAX_BYTES:
            check = CountersignatureCheck(path)
            check.problems.append(_t("fichier trop gros pour une contre-signature"))
            return check
        raw = path.read_bytes()
    except OSError as exc:
        check = CountersignatureCheck(path)
        check.problems.append(
            _t("contre-signature illisible ({exc})", exc=exc.strerror or str(exc))
        )
        return check
    return check_countersignature(raw, certificate_payload, path)
