"""Ingestion of signed evidence: parse, verify against the registered key, validate, store.

Order matters: who is calling (token) → is it JSON → is it an envelope → is it signed by
the key registered for that bench → is the payload a valid document → store it once.
Every refusal is an :class:`ApiError` (4xx) raised before any row is written.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Engine,
    Table,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import TextClause

from bench_agent.model import UnitReport
from bench_agent.model.report import label_print_problems
from central_inventory.auth import Principal, authenticate, hash_token
from central_inventory.db import (
    Batch,
    Certificate,
    Report,
    ReportCertificate,
    ReportDisk,
    Unit,
    utcnow,
)
from central_inventory.errors import ApiError
from central_inventory.i18n import tr
from central_inventory.storage import classify as classify_storage_fault
from central_inventory.storage import unavailable as storage_unavailable
from wipe.certificate import CertificateFormatError, decode_certificate
from wipe.signing import (
    ALG,
    CanonicalJSONError,
    SignatureError,
    canonical_json,
    check_envelope_shape,
    key_id,
    parse_json,
    unb64,
)

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
"""Report and certificate ids: UUIDs in practice; printable, URL-safe, at most 100 chars."""
MAX_REVISION = 2**31 - 1
"""A report revision is an INTEGER column (PostgreSQL): 1 to 2**31 - 1."""
ID_ESN_PATTERN = re.compile(r"^(BX|CR|GR|LI|LV|LY|MA|MB|RO|SD|ST|VI)(PC|TA)\d{2}-\d{4}$")
STATUSES = (
    "A_TRAITER",
    "EN_COURS_DE_TRAITEMENT",
    "NON_REEMPLOYABLE",
    "PRET_A_COMMANDER",
    "EN_COURS_DE_LIVRAISON",
    "PRET_A_DISTRIBUER",
    "DISTRIBUE",
    "SAV",
)
"""The network's closed status vocabulary (tec.tech ``statut``)."""
ERASURE_STATES = ("ERASED", "NOT_ERASED", "NO_DISK")
"""A unit's erasure state, computed from stored certificates (``units.erasure_state``)."""
REUSED_STATUSES = frozenset(
    {"PRET_A_COMMANDER", "EN_COURS_DE_LIVRAISON", "PRET_A_DISTRIBUER", "DISTRIBUE", "SAV"}
)
RECYCLED_STATUSES = frozenset({"NON_REEMPLOYABLE"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, kw_only=True)
class Stored:
    """What the API answers after an accepted submission."""

    status: Literal["stored", "already_stored"]
    kind: Literal["report", "certificate"]
    id: str
    unit_id: int | None = None
    version: int | None = None
    revision: int | None = None
    """A report's revision (the payload's own number)."""
    current: bool | None = None
    """A newly stored report revision: whether it became the unit's current report (False
    when a higher revision of its report id, or a report signed as made later, was already
    current: kept as history)."""

    def body(self) -> dict[str, Any]:
        if self.status == "already_stored":
            message = tr(
                "Déjà enregistré à l'identique : rien n'a été modifié.",
                "Already stored with the same content: nothing changed.",
            )
        elif self.current is False:
            message = tr(
                "Enregistré comme historique : une révision plus récente de ce rapport, ou un "
                "rapport établi plus tard, est déjà la version courante de l'unité.",
                "Stored as history: a higher revision of this report, or a report made "
                "later, is already the unit's current one.",
            )
        else:
            message = tr("Enregistré.", "Stored.")
        body: dict[str, Any] = {"status": self.status, f"{self.kind}_id": self.id}
        if self.revision is not None:
            body["revision"] = self.revision
        if self.unit_id is not None:
            body["unit_id"] = self.unit_id
            body["version"] = self.version
        if self.current is not None:
            body["current"] = self.current
        body["message"] = message
        return body


def parse_envelope(body: bytes) -> tuple[dict[str, Any], str]:
    """Decode a request body into an envelope dict (and its text, stored verbatim).

    Strict: a key twice in any object, NaN, a field beside ``payload`` and ``signature``
    or in the signature block are refused (what is stored is exactly what was signed).
    """
    try:
        text = body.decode("utf-8")
        document = parse_json(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(
            400,
            "malformed_json",
            tr(
                "Le corps de la requête n'est pas du JSON valide (ou a une clé en double).",
                "The body is not valid JSON (or has a duplicated key).",
            ),
            detail=str(exc)[:300],
        ) from None
    try:
        check_envelope_shape(document)
    except SignatureError as exc:
        envelope_ok = isinstance(document, dict) and set(document) == {"payload", "signature"}
        raise ApiError(
            400,
            "malformed_signature" if envelope_ok else "not_signed",
            tr(
                "Enveloppe refusée : exactement {payload, signature}, un contenu objet et un "
                "bloc de signature {alg, key_id, public_key, value} sont attendus, rien hors "
                "du contenu signé.",
                "Envelope refused: exactly {payload, signature}, an object payload and a "
                "signature block {alg, key_id, public_key, value} are expected, nothing "
                "outside the signed content.",
            ),
            detail=str(exc)[:300],
        ) from None
    return document, text


@functools.lru_cache(maxsize=4096)
def _registered_key(public_raw: bytes) -> tuple[str, Ed25519PublicKey]:
    """A bench key's id and loaded key object, kept across requests (benches post often)."""
    return key_id(public_raw), Ed25519PublicKey.from_public_bytes(public_raw)


def _bad_signature(detail: str) -> ApiError:
    return ApiError(
        403,
        "bad_signature",
        tr(
            "La signature ne correspond pas au contenu : document altéré ou mal signé.",
            "The signature does not match the content: altered or badly signed document.",
        ),
        detail=detail,
    )


@dataclass(frozen=True, kw_only=True)
class Verified:
    """A payload whose signature by the bench's registered key was checked."""

    payload: Any
    canonical: bytes
    """The canonical JSON of the payload: exactly the signed bytes."""
    sha256: str


def verify_for_bench(envelope: dict[str, Any], principal: Principal) -> Verified:
    """Check the envelope was signed by the calling bench's registered key.

    The same checks as ``wipe.signing.verify_envelope`` with a trusted key, in the same
    order, but the canonical JSON is computed once (it is also what is hashed for
    idempotency and what the schema check decodes) and the key object is cached.
    """
    if principal.role != "bench" or principal.bench_public_key is None:
        raise ApiError(
            403,
            "bench_only",
            tr(
                "Seul un banc enregistré peut déposer des preuves signées.",
                "Only a registered bench can submit signed evidence.",
            ),
        )
    signature = envelope["signature"]
    if not isinstance(signature, dict) or not all(
        isinstance(signature.get(k), str) for k in ("alg", "key_id", "public_key", "value")
    ):
        raise ApiError(
            400,
            "malformed_signature",
            tr(
                "Bloc de signature incomplet (alg, key_id, public_key, value attendus).",
                "Incomplete signature block (alg, key_id, public_key, value expected).",
            ),
        )
    registered_key_id, public_key = _registered_key(principal.bench_public_key)
    if signature["key_id"] != registered_key_id:
        raise ApiError(
            403,
            "key_mismatch",
            tr(
                "Signé par une clé qui n'est pas celle enregistrée pour ce banc.",
                "Signed by a key other than the one registered for this bench.",
            ),
            detail={"signed_key_id": signature["key_id"][:32], "bench_key_id": registered_key_id},
        )
    if signature["alg"] != ALG:
        raise _bad_signature(f"unsupported signature algorithm (expected {ALG!r})")
    try:
        embedded = unb64(signature["public_key"])
        value = unb64(signature["value"])
    except ValueError as exc:
        raise _bad_signature(f"malformed signature block: {exc}") from None
    if embedded != principal.bench_public_key:
        raise _bad_signature("signed by a different key than the one registered for this bench")
    payload = envelope["payload"]
    try:
        canonical = canonical_json(payload)
    except CanonicalJSONError as exc:
        raise ApiError(
            400,
            "not_canonical",
            tr(
                "Contenu signé impossible à mettre en JSON canonique (RFC 8785).",
                "The signed content cannot be written as canonical JSON (RFC 8785).",
            ),
            detail=str(exc)[:300],
        ) from None
    try:
        public_key.verify(value, canonical)
    except (InvalidSignature, ValueError):
        raise _bad_signature("signature does not verify: the document was altered") from None
    return Verified(
        payload=payload, canonical=canonical, sha256=hashlib.sha256(canonical).hexdigest()
    )


def _invalid(kind: str, detail: str) -> ApiError:
    if kind == "report":
        message = tr(
            "Rapport refusé : il ne respecte pas le schéma UnitReport.",
            "Report refused: it does not follow the UnitReport schema.",
        )
    else:
        message = tr(
            "Certificat refusé : champ manquant ou invalide.",
            "Certificate refused: missing or invalid field.",
        )
    return ApiError(422, f"invalid_{kind}", message, detail=detail)


def _text(kind: str, field: str, value: object, max_len: int, required: bool = False) -> str | None:
    """A short indexed string: bounded, no control characters (PostgreSQL refuses NUL)."""
    if value is None:
        if required:
            raise _invalid(kind, f"{field}: required")
        return None
    if not isinstance(value, str):
        raise _invalid(kind, f"{field}: expected a string")
    value = value.strip()
    if not value:
        if required:
            raise _invalid(kind, f"{field}: must not be empty")
        return None
    if len(value) > max_len:
        raise _invalid(kind, f"{field}: longer than {max_len} characters")
    if _CONTROL.search(value):
        raise _invalid(kind, f"{field}: contains control characters")
    return value


def has_control(value: str) -> bool:
    """Control characters (NUL included) have no place in a name or code."""
    return _CONTROL.search(value) is not None


def valid_id(value: str) -> bool:
    """Whether ``value`` can be a report or certificate id (checked before any query)."""
    return bool(ID_PATTERN.fullmatch(value))


def _id(kind: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise _invalid(kind, f"{field}: expected 1-100 characters among A-Z a-z 0-9 . _ : -")
    return value


_REPORT_DECODER = msgspec.json.Decoder(UnitReport)
"""Built once, at import: msgspec fills its per-type cache lazily, and concurrent first uses
from the server's threads crashed the process (segfault seen with msgspec 0.22 under load)."""


def validate_report(payload: Any, canonical: bytes | None = None) -> UnitReport:
    """Schema check of a report payload (``canonical``: its canonical JSON, if known)."""
    try:
        # The canonical JSON is what was signed; decoding it checks exactly that document.
        report = _REPORT_DECODER.decode(
            canonical if canonical is not None else canonical_json(payload)
        )
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
        raise _invalid("report", str(exc)) from None
    _id("report", "$.report_id", report.report_id)
    # msgspec already refused a bool, a string or a float; the range is ours.
    if not 1 <= report.revision <= MAX_REVISION:
        raise _invalid("report", f"$.revision: expected an integer from 1 to {MAX_REVISION}")
    _text("report", "$.unit.key", report.unit.key, 400, required=True)
    _text("report", "$.unit.serial", report.unit.serial, 200)
    _text("report", "$.unit.asset_tag", report.unit.asset_tag, 64)
    _text("report", "$.unit.maker", report.unit.maker, 200)
    _text("report", "$.unit.model", report.unit.model, 200)
    _text("report", "$.inventory.identity.serial", report.inventory.identity.serial, 200)
    _text("report", "$.inventory.identity.maker", report.inventory.identity.maker, 200)
    _text("report", "$.inventory.identity.model", report.inventory.identity.model, 200)
    _text(
        "report", "$.inventory.identity.product_name", report.inventory.identity.product_name, 200
    )
    _text("report", "$.bench.site", report.bench.site, 16)
    _text("report", "$.created_at", report.created_at, 64, required=True)
    if signed_created_at(report) is None:
        raise _invalid("report", "$.created_at: expected an ISO 8601 date and time")
    for i, erasure in enumerate(report.erasures):
        _id("report", f"$.erasures[{i}].certificate_id", erasure.certificate_id)
    # A print claiming a label of a revision the report cannot list (its own or a later
    # one), prints out of order, a first print called a reprint: refused, not stored.
    problems = label_print_problems(report)
    if problems:
        raise _invalid("report", problems[0])
    return report


def signed_created_at(report: UnitReport) -> datetime | None:
    """The report's own ``created_at`` as an aware datetime (UTC when it names no zone),
    or None when it is not an ISO 8601 date and time. It orders the reports of a unit
    whose report ids differ (a unit tested again in another sitting)."""
    try:
        value = datetime.fromisoformat(report.created_at.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def status_if_erased(report: UnitReport) -> str:
    """The status a report supports once its disks are proven erased (the erasure itself
    is never taken from the report: see ``recompute_units``)."""
    if report.grade is not None and report.grade.category == "NOT_DISTRIBUTABLE":
        return "NON_REEMPLOYABLE"
    if report.grade is not None and all(t.result != "fail" for t in report.functional_tests):
        return "PRET_A_DISTRIBUER"
    return "EN_COURS_DE_TRAITEMENT"


def report_disks(report: UnitReport) -> list[tuple[str, bool]]:
    """(serial, required) of the report's disks, the bench's boot medium left out.

    Required: the unit's internal disks (not removable), which must each be proven erased.
    A disk without a serial is ``""``: no certificate can match it, so its unit is never
    ERASED from evidence (staff may still set a status by hand)."""
    disks: dict[str, bool] = {}
    for disk in report.inventory.disks:
        if disk.boot_medium:
            continue
        serial = (disk.serial or "").strip()[:200]
        disks[serial] = disks.get(serial, False) or not disk.removable
    return sorted(disks.items())


def erasure_state_without_certificates(
    disks: Sequence[tuple[str, bool]], certificate_ids: Sequence[str]
) -> str | None:
    """The erasure state when no stored certificate can change it (None: ask the database)."""
    if not any(required for _, required in disks):
        return "NO_DISK"
    if not certificate_ids:
        return "NOT_ERASED"
    return None


def unit_status(status_if_erased: str, erasure_state: str | None) -> str:
    if status_if_erased == "PRET_A_DISTRIBUER" and erasure_state != "ERASED":
        return "EN_COURS_DE_TRAITEMENT"
    return status_if_erased


def certificate_outcome(payload: dict[str, Any], result: str) -> str:
    """What a certificate proves (see ``Certificate.outcome``): ERASED only when it says
    so, is not a dry run and its verification passed (a read-back, or a firmware sanitize
    whose completion was proven)."""
    if payload.get("dry_run") is True:
        return "DRY_RUN"
    if result != "ERASED":
        return result
    verification = payload.get("verification")
    if isinstance(verification, dict) and verification.get("passed") is True:
        return "ERASED"
    method = payload.get("method")
    firmware = method.get("firmware") if isinstance(method, dict) else None
    if isinstance(firmware, dict) and firmware.get("completed") is True:
        return "ERASED"
    return "UNVERIFIED"


@dataclass(frozen=True, kw_only=True)
class CertificateFacts:
    """What the service relies on in a certificate payload (the rest is kept verbatim)."""

    certificate_id: str
    result: str
    outcome: str
    method: str | None
    level: str | None
    disk_model: str | None
    disk_serial: str | None
    started_at: str | None
    finished_at: str | None
    loose_batch: str | None = None
    """The donor batch of a drive erased on its own at a station (signed, in
    ``source_computer``); None for a computer's drive."""


def loose_batch(source: object) -> str | None:
    """``source_computer`` = ``{"loose_drive": true, "batch": CODE, ...}``: CODE (a
    batch code's limits); anything else: None."""
    if not isinstance(source, dict) or source.get("loose_drive") is not True:
        return None
    return _text("certificate", "$.source_computer.batch", source.get("batch"), 64)


def validate_certificate(payload: Any, canonical: bytes | None = None) -> CertificateFacts:
    """The typed certificate (``wipe.model``) decoded from the signed bytes, and the
    facts the service indexes (``canonical``: the payload's canonical JSON, if known)."""
    try:
        cert = decode_certificate(canonical if canonical is not None else canonical_json(payload))
    except (CertificateFormatError, ValueError) as exc:
        raise _invalid("certificate", str(exc)) from None
    certificate_id = _id("certificate", "$.certificate_id", cert.certificate_id)
    model = _text("certificate", "$.media.model", cert.media.model, 200)
    serial = _text("certificate", "$.media.serial", cert.media.serial, 200)
    if model is None and serial is None:
        raise _invalid("certificate", "$.media: a device serial or model is required")
    started = _text("certificate", "$.started_at", cert.started_at, 64)
    finished = _text("certificate", "$.ended_at", cert.ended_at, 64)
    if started is None and finished is None:
        raise _invalid("certificate", "$.started_at / $.ended_at: a timestamp is required")
    method = cert.method.name
    level = cert.sanitization.level
    return CertificateFacts(
        certificate_id=certificate_id,
        result=cert.result.value,
        outcome=certificate_outcome(payload, cert.result.value),
        method=_text("certificate", "$.method", method, 100),
        level=_text("certificate", "$.level", level, 24),
        disk_model=model,
        disk_serial=serial,
        started_at=started,
        finished_at=finished,
        loose_batch=loose_batch(cert.source_computer),
    )


def _site(report: UnitReport, bench_site: str | None) -> str | None:
    if report.bench.site:
        return report.bench.site.strip()[:16]
    if bench_site:
        return bench_site
    tag = (report.unit.asset_tag or "").strip().upper()
    return tag[:2] if ID_ESN_PATTERN.fullmatch(tag) else None


_CONFLICT_REPORT = tr(
    "Cette révision de ce rapport est déjà enregistrée avec un contenu différent.",
    "This revision of this report is already stored with different content.",
)
_ANOTHER_BENCH = tr(
    "Ce rapport a été créé par un autre banc : seul ce banc peut en signer une révision.",
    "This report was created by another bench: only that bench may sign a revision of it.",
)
_CONFLICT_CERT = tr(
    "Cet identifiant de certificat est déjà enregistré avec un contenu différent.",
    "This certificate id is already stored with different content.",
)
_BUSY = tr(
    "Base de données occupée : réessayez dans un instant.",
    "Database busy: retry in a moment.",
)
_RETRIES = 5


def _unknown_batch(code: str) -> ApiError:
    return ApiError(
        422,
        "unknown_batch",
        tr(
            "Lot de donateur inconnu pour ce reconditionneur.",
            "Unknown donor batch for this tenant.",
        ),
        detail=code[:64],
    )


def _retrying(work: Callable[[], Stored]) -> Stored:
    """Run one ingestion transaction, again if a concurrent one won a uniqueness race."""
    last: DBAPIError | None = None
    for attempt in range(_RETRIES):
        try:
            return work()
        except _AlreadyKnownError as known:
            return known.stored
        except (IntegrityError, _RetryError):
            # A concurrent request inserted the same report, certificate or new unit first:
            # start over, the re-check now sees it.
            continue
        except OperationalError as exc:
            last = exc
            _raise_storage_fault(exc, attempt)
            if exc.connection_invalidated:
                # The connection was cut (database restarted): the pool replaced it. If
                # the cut came after COMMIT, the retry answers "already stored".
                continue
            message = str(exc).lower()
            if "locked" in message or "deadlock" in message or "serializ" in message:
                continue
            raise
        except DBAPIError as exc:
            last = exc
            _raise_storage_fault(exc, attempt)
            if exc.connection_invalidated:
                continue
            raise
    fault = classify_storage_fault(last) if last is not None else None
    if fault is not None and fault != "busy":
        raise storage_unavailable(fault) from last  # e.g. still unreachable after retries
    raise ApiError(503, "busy", _BUSY, retry_after=5)


def _raise_storage_fault(exc: DBAPIError, attempt: int) -> None:
    """A read-only or full database: 503 with Retry-After. A read-only or I/O error is
    tried once more first: the failed connection was replaced (storage.py), and a pooled
    connection opened while storage was read-only stays so after it is writable again."""
    fault = classify_storage_fault(exc)
    if fault in {"read_only", "io_error"} and attempt == 0:
        return
    if fault in {"read_only", "disk_full", "io_error"}:
        raise storage_unavailable(fault) from exc


_PRINCIPALS: dict[str, Principal] = {}
"""Token SHA-256 → the bench principal last resolved for it, in this process. A hint that
spares the token lookup on PostgreSQL: the write statement re-checks it in the same
transaction, and any refusal re-resolves the token first (who is calling comes first)."""
_PRINCIPALS_MAX = 10_000


def _confirm_principal(
    connection: Connection, token: str, token_hash: str, hint: Principal
) -> None:
    """Resolve the token again; raise its 401/403, or retry when the hint was stale."""
    try:
        current = authenticate(connection, token)
    except ApiError:
        _PRINCIPALS.pop(token_hash, None)
        raise
    if current != hint:
        _PRINCIPALS.pop(token_hash, None)
        raise _RetryError(token_hash)


def ingest_report(
    engine: Engine, token: str | None, body: bytes, batch_code: str | None = None
) -> tuple[Principal, Stored]:
    """Authenticate, verify, validate and store one report in one transaction.

    SQLAlchemy Core, not the ORM, on this path: it is the one the benches load.
    """
    checked: tuple[bytes | None, tuple[UnitReport, str, str]] | None = None
    principal: Principal | None = None
    token_hash = hash_token(token) if token and len(token) <= 200 else None

    def work() -> Stored:
        nonlocal checked, principal
        with engine.begin() as connection:
            hint = None
            if token_hash is not None and connection.dialect.name == "postgresql":
                hint = _PRINCIPALS.get(token_hash)
            principal = hint
            if principal is None:
                principal = authenticate(connection, token)
                if token_hash is not None and principal.role == "bench":
                    if len(_PRINCIPALS) >= _PRINCIPALS_MAX:
                        _PRINCIPALS.clear()
                    _PRINCIPALS[token_hash] = principal
            if checked is None or checked[0] != principal.bench_public_key:
                try:
                    envelope, envelope_text = parse_envelope(body)
                    verified = verify_for_bench(envelope, principal)
                    report = validate_report(verified.payload, verified.canonical)
                except ApiError:
                    if hint is not None:
                        assert token is not None and token_hash is not None
                        _confirm_principal(connection, token, token_hash, hint)
                    raise
                checked = (
                    principal.bench_public_key,
                    (report, verified.sha256, envelope_text),
                )
            report, digest, envelope_text = checked[1]
            try:
                return _store_report(
                    connection,
                    principal,
                    report,
                    payload_sha256=digest,
                    envelope_text=envelope_text,
                    batch_code=batch_code,
                )
            except _StalePrincipalError:
                # Revoked or changed since resolved: the next attempt resolves the token
                # afresh (and answers 401/403 if it is no longer allowed).
                if token_hash is not None:
                    _PRINCIPALS.pop(token_hash, None)
                raise _RetryError(report.report_id) from None
            except ApiError:
                if hint is not None:
                    assert token is not None and token_hash is not None
                    _confirm_principal(connection, token, token_hash, hint)
                raise

    stored = _retrying(work)
    assert principal is not None
    return principal, stored


UNIT_FIELDS = (
    "tenant_id",
    "unit_key",
    "serial",
    "id_esn",
    "maker",
    "model",
    "form_factor",
    "site",
    "category",
    "status",
    "status_manual",
    "batch_id",
    "first_seen_at",
    "last_report_at",
    "latest_version",
    "current_report_id",
    "current_revision",
    "current_created_at",
    "erasure_state",
)
MERGED_UNIT_FIELDS = ("serial", "id_esn", "maker", "model", "form_factor", "site", "category")
"""Unit fields a newer current report fills in (kept when the report leaves them empty)."""


@dataclass(frozen=True)
class _Statements:
    """The ingestion statements, built once per dialect: building them per request cost
    more CPU than running them."""

    known_report: Any
    unit_by_key: Any
    unit_by_id: Any
    insert_unit: Any
    make_current: Any
    demote_head: Any
    insert_report: Any
    insert_links: Any
    insert_disks: Any
    existing_certificate: Any
    insert_certificate: Any


_EVIDENCE = """
SELECT u.id AS unit_id, r.version AS version, r.status_if_erased AS status_if_erased,
       CASE
         WHEN NOT EXISTS (
             SELECT 1 FROM report_disks AS d WHERE d.report_pk = r.id AND d.required)
           THEN 'NO_DISK'
         WHEN EXISTS (
             SELECT 1 FROM report_disks AS d
             WHERE d.report_pk = r.id AND d.required AND NOT EXISTS (
                 SELECT 1 FROM report_certificates AS l
                 JOIN certificates AS c
                   ON c.certificate_id = l.certificate_id AND c.tenant_id = r.tenant_id
                 WHERE l.report_pk = r.id AND c.disk_serial = d.serial
                   AND c.outcome = 'ERASED'))
           THEN 'NOT_ERASED'
         ELSE 'ERASED'
       END AS state
FROM units AS u JOIN reports AS r ON r.unit_id = u.id AND r.version = u.latest_version
WHERE {where}
"""
"""Each selected unit's erasure state from evidence: every required disk of its current
report has a certificate of the tenant, listed by that report, for that disk's serial,
whose outcome is ERASED."""

_RECOMPUTE = """
UPDATE units SET
    erasure_state = ev.state,
    status = CASE
        WHEN units.status_manual OR ev.status_if_erased IS NULL THEN units.status
        WHEN ev.status_if_erased = 'PRET_A_DISTRIBUER' AND ev.state <> 'ERASED'
          THEN 'EN_COURS_DE_TRAITEMENT'
        ELSE ev.status_if_erased
    END
FROM ({evidence}) AS ev
WHERE units.id = ev.unit_id AND units.latest_version = ev.version
"""
# ``latest_version = ev.version``: on PostgreSQL a unit whose current report changed while
# this statement waited for its row lock is left to the transaction that changed it.

_RECOMPUTE_UNIT = text(_RECOMPUTE.format(evidence=_EVIDENCE.format(where="u.id = :unit_id")))
_RECOMPUTE_UNITS = text(
    _RECOMPUTE.format(evidence=_EVIDENCE.format(where="u.id IN :unit_ids"))
).bindparams(bindparam("unit_ids", expanding=True))
_UNITS_LISTING = text(
    """
SELECT u.id FROM units AS u
JOIN reports AS r ON r.unit_id = u.id AND r.version = u.latest_version
JOIN report_certificates AS l ON l.report_pk = r.id
WHERE u.tenant_id = :tenant_id AND l.certificate_id = :certificate_id
ORDER BY u.id
"""
)
"""The units whose current report lists a certificate id (of the tenant)."""
_LOCK_CERTIFICATE = text("SELECT pg_advisory_xact_lock(hashtextextended(CAST(:key AS TEXT), 0))")
_LOCK_CERTIFICATES = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(listed.key, 0)) "
    "FROM unnest(CAST(:keys AS TEXT[])) AS listed(key)"
)
"""PostgreSQL: transaction locks on (tenant, certificate id), taken in sorted order by a
report listing those ids, and one by the certificate itself (``_LOCK_CERTIFICATE``), so
whichever of the two commits second computes the unit from both."""


@functools.cache
def _driver_sql(statement: TextClause, dialect: Dialect) -> str:
    """A text statement compiled once for the driver (``%(name)s`` placeholders)."""
    return str(statement.compile(dialect=dialect))


def _execute_driver_sql(
    connection: Connection, statement: TextClause, params: dict[str, Any]
) -> CursorResult[Any]:
    """Run a PostgreSQL text statement of the hot path as driver SQL: the same errors
    (wrapped, a cut connection invalidated), without SQLAlchemy's per-execution compile
    cache lookup and parameter processing (about 0.1 ms of CPU per report for the two
    statements; every parameter is typed by a CAST in the SQL itself)."""
    return connection.exec_driver_sql(_driver_sql(statement, connection.dialect), params)


def _lock_key(tenant_id: int, certificate_id: str) -> str:
    return f"certificate:{tenant_id}:{certificate_id}"


def recompute_unit(connection: Connection, unit_id: int) -> None:
    """Set a unit's erasure state and status from the stored evidence."""
    connection.execute(_RECOMPUTE_UNIT, {"unit_id": unit_id})


def _recompute_for_certificate(connection: Connection, tenant_id: int, certificate_id: str) -> int:
    """A certificate arrived: recompute every unit of the tenant whose current report lists
    it (whichever arrives first, the unit ends computed from both). Returns their count."""
    listing: Any = _UNITS_LISTING
    if connection.dialect.name == "postgresql":
        # Lock them first; the recomputation, a later statement, then sees every report
        # committed meanwhile (and another certificate of the same unit waits for us).
        listing = text(str(_UNITS_LISTING) + " FOR UPDATE OF u")
    unit_ids = list(
        connection.execute(
            listing, {"tenant_id": tenant_id, "certificate_id": certificate_id}
        ).scalars()
    )
    if unit_ids:
        connection.execute(_RECOMPUTE_UNITS, {"unit_ids": unit_ids})
    return len(unit_ids)


_PG_STORE_REPORT_SQL = """
WITH allowed AS (
    SELECT 1 FROM api_tokens JOIN benches ON benches.id = api_tokens.bench_id
    WHERE api_tokens.id = CAST(:token_pk AS INTEGER) AND api_tokens.role = 'bench'
      AND api_tokens.revoked_at IS NULL AND benches.id = CAST(:bench_id AS INTEGER)
      AND (api_tokens.expires_at IS NULL OR api_tokens.expires_at > now())
      AND benches.revoked_at IS NULL AND benches.tenant_id = CAST(:tenant_id AS INTEGER)
      AND benches.public_key_b64 = CAST(:public_key_b64 AS VARCHAR)
      AND benches.name = CAST(:bench_name AS VARCHAR)
      AND benches.site IS NOT DISTINCT FROM CAST(:bench_site AS VARCHAR)
), evidence AS (
    SELECT computed.state,
           CASE WHEN CAST(:status_if_erased AS VARCHAR) = 'PRET_A_DISTRIBUER'
                     AND computed.state <> 'ERASED'
                THEN 'EN_COURS_DE_TRAITEMENT'
                ELSE CAST(:status_if_erased AS VARCHAR) END AS status
    FROM (SELECT CASE
        WHEN CAST(:erasure_state AS VARCHAR) IS NOT NULL THEN CAST(:erasure_state AS VARCHAR)
        WHEN EXISTS (
            SELECT 1 FROM unnest(CAST(:disk_serials AS VARCHAR[]),
                                 CAST(:disk_required AS BOOLEAN[])) AS disk(serial, required)
            WHERE disk.required AND NOT EXISTS (
                SELECT 1 FROM certificates AS c
                WHERE c.certificate_id = ANY(CAST(:certificate_ids AS VARCHAR[]))
                  AND c.tenant_id = CAST(:tenant_id AS INTEGER)
                  AND c.disk_serial = disk.serial AND c.outcome = 'ERASED'))
          THEN 'NOT_ERASED'
        ELSE 'ERASED' END AS state) AS computed
), prior AS (
    SELECT reports.id, reports.unit_id, reports.revision FROM reports
    WHERE reports.report_id = CAST(:report_id AS VARCHAR)
      AND reports.tenant_id = CAST(:tenant_id AS INTEGER) AND reports.head
      AND reports.bench_id = CAST(:bench_id AS INTEGER)
      AND EXISTS (SELECT 1 FROM allowed)
      AND NOT EXISTS (
          SELECT 1 FROM reports AS taken
          WHERE taken.report_id = CAST(:report_id AS VARCHAR)
            AND taken.tenant_id = CAST(:tenant_id AS INTEGER)
            AND taken.revision = CAST(:revision AS INTEGER))
), demoted AS (
    UPDATE reports SET head = false FROM prior
    WHERE reports.id = prior.id AND reports.head AND prior.revision < CAST(:revision AS INTEGER)
    RETURNING reports.unit_id
), bumped_unit AS (
    UPDATE units SET {newer_report_id}
    FROM demoted WHERE units.id = demoted.unit_id
    RETURNING units.id, units.latest_version,
              units.current_report_id = CAST(:report_id AS VARCHAR)
              AND units.current_revision = CAST(:revision AS INTEGER) AS became_current
), new_unit AS (
    INSERT INTO units (tenant_id, unit_key, serial, id_esn, maker, model, form_factor, site,
                       category, status, status_manual, batch_id, first_seen_at,
                       last_report_at, latest_version, current_report_id, current_revision,
                       current_created_at, erasure_state)
    SELECT CAST(:tenant_id AS INTEGER), CAST(:unit_key AS VARCHAR), CAST(:serial AS VARCHAR),
           CAST(:id_esn AS VARCHAR), CAST(:maker AS VARCHAR), CAST(:model AS VARCHAR),
           CAST(:form_factor AS VARCHAR), CAST(:site AS VARCHAR), CAST(:category AS VARCHAR),
           evidence.status, false, CAST(:batch_id AS INTEGER),
           CAST(:now AS TIMESTAMPTZ), CAST(:now AS TIMESTAMPTZ), 1,
           CAST(:report_id AS VARCHAR), CAST(:revision AS INTEGER),
           CAST(:created_ts AS TIMESTAMPTZ), evidence.state
    FROM allowed CROSS JOIN evidence
    WHERE NOT EXISTS (
        SELECT 1 FROM reports WHERE report_id = CAST(:report_id AS VARCHAR)
          AND tenant_id = CAST(:tenant_id AS INTEGER))
    ON CONFLICT (tenant_id, unit_key) DO UPDATE SET {newer_unit_key}
    RETURNING id, latest_version,
              current_report_id = CAST(:report_id AS VARCHAR)
              AND current_revision = CAST(:revision AS INTEGER) AS became_current
), placed AS (
    SELECT true AS head, id AS unit_id,
           CASE WHEN became_current THEN latest_version END AS version
    FROM new_unit
    UNION ALL
    SELECT true, id, CASE WHEN became_current THEN latest_version END FROM bumped_unit
    UNION ALL
    SELECT false, unit_id, CAST(NULL AS INTEGER) FROM prior
    WHERE prior.revision > CAST(:revision AS INTEGER)
), new_report AS (
    INSERT INTO reports (report_id, revision, head, tenant_id, unit_id, bench_id, version,
                         reported_at, received_at, category, payload_sha256, envelope,
                         status_if_erased)
    SELECT CAST(:report_id AS VARCHAR), CAST(:revision AS INTEGER), placed.head,
           CAST(:tenant_id AS INTEGER), placed.unit_id, CAST(:bench_id AS INTEGER),
           placed.version, CAST(:reported_at AS VARCHAR), CAST(:now AS TIMESTAMPTZ),
           CAST(:category AS VARCHAR), CAST(:payload_sha256 AS VARCHAR),
           CAST(:envelope AS TEXT), CAST(:status_if_erased AS VARCHAR)
    FROM placed
    ON CONFLICT DO NOTHING
    RETURNING id, unit_id, version, head
), links AS (
    INSERT INTO report_certificates (report_pk, certificate_id, unit_id)
    SELECT new_report.id, linked.certificate_id, new_report.unit_id
    FROM new_report CROSS JOIN unnest(CAST(:certificate_ids AS VARCHAR[])) AS linked(certificate_id)
), disks AS (
    INSERT INTO report_disks (report_pk, serial, required)
    SELECT new_report.id, disk.serial, disk.required
    FROM new_report CROSS JOIN unnest(CAST(:disk_serials AS VARCHAR[]),
                                      CAST(:disk_required AS BOOLEAN[])) AS disk(serial, required)
)
SELECT EXISTS (SELECT 1 FROM allowed) AS allowed, new_report.id AS report_pk,
       new_report.unit_id AS unit_id, new_report.version AS version, new_report.head AS head
FROM (SELECT 1) AS one LEFT JOIN new_report ON true
"""


def _pg_newer_set(newer: str, new: Callable[[str], str]) -> str:
    """SET clauses making a report current only when ``newer`` holds (the unit otherwise
    keeps every field: the report is stored as history)."""
    fields = [
        f"latest_version = units.latest_version + CASE WHEN {newer} THEN 1 ELSE 0 END",
        f"last_report_at = CASE WHEN {newer} THEN {new('now')} ELSE units.last_report_at END",
        *(
            f"{name} = CASE WHEN {newer} THEN coalesce({new(name)}, units.{name}) "
            f"ELSE units.{name} END"
            for name in MERGED_UNIT_FIELDS
        ),
        f"status = CASE WHEN {newer} AND NOT units.status_manual THEN {new('status')} "
        "ELSE units.status END",
        f"batch_id = coalesce({new('batch_id')}, units.batch_id)",
        *(
            f"{name} = CASE WHEN {newer} THEN {new(name)} ELSE units.{name} END"
            for name in ("current_report_id", "current_revision", "current_created_at")
        ),
        f"erasure_state = CASE WHEN {newer} THEN {new('erasure_state')} "
        "ELSE units.erasure_state END",
    ]
    return ",\n        ".join(fields)


_PG_TYPES = {
    "now": "TIMESTAMPTZ",
    "current_created_at": "TIMESTAMPTZ",
    "batch_id": "INTEGER",
    "current_revision": "INTEGER",
}
_PG_PARAMS = {"current_report_id": "report_id", "current_revision": "revision"}


def _pg_param(name: str) -> str:
    if name in ("status", "erasure_state"):
        column = "status" if name == "status" else "state"
        return f"(SELECT {column} FROM evidence)"
    param = _PG_PARAMS.get(name, "created_ts" if name == "current_created_at" else name)
    return f"CAST(:{param} AS {_PG_TYPES.get(name, 'VARCHAR')})"


_NEWER_OF_ITS_REPORT_ID = (
    "(units.current_report_id IS NULL OR units.current_report_id = CAST(:report_id AS VARCHAR)"
    " OR CAST(:created_ts AS TIMESTAMPTZ)"
    " >= coalesce(units.current_created_at, CAST('-infinity' AS TIMESTAMPTZ)))"
)
_NEWER_REPORT_ID = (
    "(units.current_report_id IS NULL OR CAST(:created_ts AS TIMESTAMPTZ)"
    " >= coalesce(units.current_created_at, CAST('-infinity' AS TIMESTAMPTZ)))"
)
_PG_STORE_REPORT = text(
    _PG_STORE_REPORT_SQL.format(
        newer_report_id=_pg_newer_set(_NEWER_OF_ITS_REPORT_ID, _pg_param),
        newer_unit_key=_pg_newer_set(
            _NEWER_REPORT_ID,
            lambda name: (
                "EXCLUDED.last_report_at"
                if name == "now"
                else f"EXCLUDED.{name}"
                if name in UNIT_FIELDS
                else _pg_param(name)
            ),
        ),
    )
)
"""PostgreSQL, one statement, one round trip: the caller's token and bench re-checked
(still active, same key, tenant, name and site as the principal the request was verified
for), its erasure state computed from the certificates it lists (the caller locked
them first: ``_LOCK_CERTIFICATES``), then one
of three placements of the revision:

- a report id this tenant has not used yet: the unit upsert (by unit key); the report
  becomes the unit's current one unless the unit's current report was created later
  (signed ``created_at``): then it is stored as history;
- a higher revision of a report id this bench stored: the previous head demoted; the
  report's unit (not the unit key's) takes it as current when its report id is the
  current one, or was created no earlier than the current one; else history;
- a lower revision: stored as history on the report's unit, which is left alone.

Certificate links and disk serials are written for all three. Anything else writes
nothing and ``report_pk`` comes back NULL: the same revision already stored, a report id
of another bench, or a concurrent request that won (its head demoted first, or an insert
conflict on the one-head-per-report-id index); the caller answers from the stored rows,
or rolls the transaction back (the unit's version bump with it) and runs it again.

The decision "newer than the current report" reads only the unit row, so it is taken on
its latest version under its row lock whatever ran concurrently."""


class _RetryError(Exception):
    """The transaction met a concurrent change it cannot answer from: run it again."""


class _StalePrincipalError(Exception):
    """The principal a request was verified for no longer matches the database."""


class _AlreadyKnownError(Exception):
    """Leaves the ingestion transaction (rolled back) with the answer for a known id."""

    def __init__(self, stored: Stored) -> None:
        super().__init__(stored.id)
        self.stored = stored


@functools.cache
def _statements(dialect: str) -> _Statements:
    reports, units = cast(Table, Report.__table__), cast(Table, Unit.__table__)
    certificates = cast(Table, Certificate.__table__)
    unit_columns = (
        units.c.id,
        units.c.latest_version,
        units.c.current_report_id,
        units.c.current_revision,
        units.c.current_created_at,
    )
    return _Statements(
        known_report=select(
            reports.c.id,
            reports.c.tenant_id,
            reports.c.bench_id,
            reports.c.unit_id,
            reports.c.revision,
            reports.c.head,
            reports.c.version,
            reports.c.payload_sha256,
        ).where(
            reports.c.report_id == bindparam("report_id"),
            reports.c.tenant_id == bindparam("tenant_id"),
            or_(reports.c.head, reports.c.revision == bindparam("revision")),
        ),
        unit_by_key=select(*unit_columns).where(
            units.c.tenant_id == bindparam("tenant_id"), units.c.unit_key == bindparam("unit_key")
        ),
        unit_by_id=select(*unit_columns).where(units.c.id == bindparam("unit_pk")),
        insert_unit=units.insert().returning(units.c.id),
        make_current=(
            units.update()
            .where(units.c.id == bindparam("unit_pk"))
            .values(
                latest_version=units.c.latest_version + 1,
                last_report_at=bindparam("new_now"),
                **{
                    name: func.coalesce(bindparam(f"new_{name}"), units.c[name])
                    for name in (*MERGED_UNIT_FIELDS, "batch_id")
                },
                status=case((units.c.status_manual, units.c.status), else_=bindparam("new_status")),
                **{
                    name: bindparam(f"new_{name}")
                    for name in (
                        "current_report_id",
                        "current_revision",
                        "current_created_at",
                        "erasure_state",
                    )
                },
            )
            .returning(units.c.latest_version)
        ),
        demote_head=reports.update()
        .where(reports.c.id == bindparam("head_pk"), reports.c.head)
        .values(head=False),
        insert_report=reports.insert().returning(reports.c.id),
        insert_links=cast(Table, ReportCertificate.__table__).insert(),
        insert_disks=cast(Table, ReportDisk.__table__).insert(),
        existing_certificate=select(certificates.c.payload_sha256).where(
            certificates.c.certificate_id == bindparam("certificate_id"),
            certificates.c.tenant_id == bindparam("tenant_id"),
        ),
        insert_certificate=certificates.insert(),
    )


def _as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back (stored in UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _is_newer(unit: Any, report_id: str, revision: int, created_ts: datetime) -> bool:
    """Whether a report (head of its report id) outranks the unit's current report: a
    higher revision of the same report id, or a report created no earlier (signed
    ``created_at``; a tie goes to the later arrival)."""
    if unit.current_report_id is None:
        return True
    if unit.current_report_id == report_id:
        return bool(revision > (unit.current_revision or 0))
    current_created = _as_utc(unit.current_created_at)
    return current_created is None or created_ts >= current_created


def _store_report(
    connection: Connection,
    principal: Principal,
    report: UnitReport,
    *,
    payload_sha256: str,
    envelope_text: str,
    batch_code: str | None,
) -> Stored:
    assert principal.tenant_id is not None and principal.bench_pk is not None
    tenant_id = principal.tenant_id
    statements = _statements(connection.dialect.name)
    postgresql = connection.dialect.name == "postgresql"
    head = None
    if not postgresql:
        head = _known_report(connection, statements, principal, report, payload_sha256)
    batch_id = None
    if batch_code:
        batch_id = connection.scalar(
            select(Batch.id).where(Batch.tenant_id == tenant_id, Batch.code == batch_code)
        )
        if batch_id is None:
            raise _unknown_batch(batch_code)
    now = utcnow()
    created_ts = signed_created_at(report)
    assert created_ts is not None  # validate_report refused anything else
    created_ts = created_ts.astimezone(UTC)
    identity = report.inventory.identity
    category = report.grade.category if report.grade is not None else None
    certificate_ids = sorted({e.certificate_id for e in report.erasures})
    disks = report_disks(report)
    ready_status = status_if_erased(report)
    # Known without the database (no disk to erase, or no certificate listed), else None:
    # then computed from the stored certificates once the report is placed.
    erasure_state = erasure_state_without_certificates(disks, certificate_ids)
    unit_row = {
        "tenant_id": tenant_id,
        "unit_key": report.unit.key.strip(),
        "serial": (report.unit.serial or identity.serial or "").strip() or None,
        "id_esn": (report.unit.asset_tag or "").strip() or None,
        "maker": report.unit.maker or identity.maker,
        "model": report.unit.model or identity.model or identity.product_name,
        "form_factor": identity.form_factor,
        "site": _site(report, principal.bench_site),
        "category": category,
        "status": unit_status(ready_status, erasure_state),
        "current_report_id": report.report_id,
        "current_revision": report.revision,
        "current_created_at": created_ts,
        "erasure_state": erasure_state,
    }
    report_row = {
        "report_id": report.report_id,
        "revision": report.revision,
        "tenant_id": tenant_id,
        "bench_id": principal.bench_pk,
        "reported_at": report.created_at.strip(),
        "received_at": now,
        "category": category,
        "payload_sha256": payload_sha256,
        "envelope": envelope_text,
        "status_if_erased": ready_status,
    }
    if postgresql:
        if certificate_ids:
            # Before the statement (its snapshot is taken after the wait): a certificate
            # listed here and being stored concurrently is committed by then, and seen.
            _execute_driver_sql(
                connection,
                _LOCK_CERTIFICATES,
                {"keys": sorted(_lock_key(tenant_id, c) for c in certificate_ids)},
            )
        row = _execute_driver_sql(
            connection,
            _PG_STORE_REPORT,
            {
                **unit_row,
                **report_row,
                "token_pk": principal.token_pk,
                "public_key_b64": principal.bench_public_key_b64,
                "bench_name": principal.bench_name,
                "bench_site": principal.bench_site,
                "batch_id": batch_id,
                "now": now,
                "created_ts": created_ts,
                "certificate_ids": certificate_ids,
                "disk_serials": [serial for serial, _ in disks],
                "disk_required": [required for _, required in disks],
            },
        ).one()
        if not row.allowed:
            # The token or bench changed since this principal was resolved (revoked, key
            # replaced): resolve it again (raises 401/403 when no longer allowed).
            raise _StalePrincipalError()
        if row.report_pk is None:
            # Known revision, another bench's report id, or a concurrent request first:
            # answer from the stored rows, else roll back what this statement changed and
            # run it again.
            _known_report(connection, statements, principal, report, payload_sha256)
            raise _RetryError(report.report_id)
        unit_id, version = row.unit_id, row.version
    else:
        if head is None:
            unit = connection.execute(
                statements.unit_by_key, {"tenant_id": tenant_id, "unit_key": unit_row["unit_key"]}
            ).first()
        elif report.revision > head.revision:
            connection.execute(statements.demote_head, {"head_pk": head.id})
            unit = connection.execute(statements.unit_by_id, {"unit_pk": head.unit_id}).one()
        else:
            unit = None
        if head is None and unit is None:
            unit_id = connection.execute(
                statements.insert_unit,
                {
                    **unit_row,
                    "status_manual": False,
                    "batch_id": batch_id,
                    "first_seen_at": now,
                    "last_report_at": now,
                    "latest_version": 1,
                },
            ).scalar_one()
            version = 1
        elif unit is not None and _is_newer(unit, report.report_id, report.revision, created_ts):
            unit_id = unit.id
            version = connection.execute(
                statements.make_current,
                {
                    **{f"new_{name}": unit_row[name] for name in unit_row},
                    "new_batch_id": batch_id,
                    "new_now": now,
                    "unit_pk": unit.id,
                },
            ).scalar_one()
        else:
            placed_on = unit if unit is not None else head
            assert placed_on is not None
            unit_id = placed_on.id if unit is not None else placed_on.unit_id
            version = None
            if batch_id is not None:
                connection.execute(update(Unit).where(Unit.id == unit_id).values(batch_id=batch_id))
        report_pk = connection.execute(
            statements.insert_report,
            {
                **report_row,
                "unit_id": unit_id,
                "version": version,
                "head": head is None or report.revision > head.revision,
            },
        ).scalar_one()
        if certificate_ids:
            connection.execute(
                statements.insert_links,
                [
                    {"report_pk": report_pk, "certificate_id": c, "unit_id": unit_id}
                    for c in certificate_ids
                ],
            )
        if disks:
            connection.execute(
                statements.insert_disks,
                [
                    {"report_pk": report_pk, "serial": serial, "required": required}
                    for serial, required in disks
                ],
            )
    current = version is not None
    if current and erasure_state is None and not postgresql:
        # PostgreSQL computed it in the statement, from the certificates the lock let in.
        recompute_unit(connection, unit_id)
    return Stored(
        status="stored",
        kind="report",
        id=report.report_id,
        unit_id=unit_id,
        version=version,
        revision=report.revision,
        current=current,
    )


def _known_report(
    connection: Connection,
    statements: _Statements,
    principal: Principal,
    report: UnitReport,
    payload_sha256: str,
) -> Any:
    """The head row of ``report.report_id`` among the caller's tenant's reports (None for a
    report id the tenant has not used), after raising the answer when that revision is
    already stored (200 when the same content, :class:`_AlreadyKnownError`; 409 otherwise)
    or the report id belongs to another bench of the tenant (409: nobody appends a
    revision to another bench's report). Other tenants' report ids are never looked at."""
    head = same = None
    for row in connection.execute(
        statements.known_report,
        {
            "report_id": report.report_id,
            "tenant_id": principal.tenant_id,
            "revision": report.revision,
        },
    ):
        if row.revision == report.revision:
            same = row
        if row.head:
            head = row
    if same is not None:
        if same.payload_sha256 == payload_sha256:
            raise _AlreadyKnownError(
                Stored(
                    status="already_stored",
                    kind="report",
                    id=report.report_id,
                    unit_id=same.unit_id,
                    version=same.version,
                    revision=report.revision,
                )
            )
        raise ApiError(
            409,
            "conflict",
            _CONFLICT_REPORT,
            detail={"report_id": report.report_id, "revision": report.revision},
        )
    if head is not None and head.bench_id != principal.bench_pk:
        raise ApiError(
            409,
            "report_of_another_bench",
            _ANOTHER_BENCH,
            detail={"report_id": report.report_id, "revision": report.revision},
        )
    return head


def ingest_certificate(engine: Engine, token: str | None, body: bytes) -> tuple[Principal, Stored]:
    """Authenticate, verify, validate and store one erasure certificate."""
    checked: tuple[CertificateFacts, str, str] | None = None
    principal: Principal | None = None

    def work() -> Stored:
        nonlocal checked, principal
        with engine.begin() as connection:
            principal = authenticate(connection, token)
            if checked is None:
                envelope, envelope_text = parse_envelope(body)
                verified = verify_for_bench(envelope, principal)
                facts = validate_certificate(verified.payload, verified.canonical)
                checked = (facts, verified.sha256, envelope_text)
            facts, digest, envelope_text = checked
            return _store_certificate(connection, principal, facts, digest, envelope_text)

    stored = _retrying(work)
    assert principal is not None
    return principal, stored


def _store_certificate(
    connection: Connection,
    principal: Principal,
    facts: CertificateFacts,
    payload_sha256: str,
    envelope_text: str,
) -> Stored:
    """Store a certificate under the caller's tenant (ids are per tenant: another tenant's
    certificate of the same id is neither seen nor disclosed), then recompute the units
    whose current report lists it."""
    assert principal.tenant_id is not None and principal.bench_pk is not None
    tenant_id = principal.tenant_id
    statements = _statements(connection.dialect.name)
    if connection.dialect.name == "postgresql":
        # Serialises with a report listing this id (it takes the same lock first): the
        # later of the two sees the other's rows, so the unit is computed from both.
        connection.execute(_LOCK_CERTIFICATE, {"key": _lock_key(tenant_id, facts.certificate_id)})
    existing = connection.execute(
        statements.existing_certificate,
        {"certificate_id": facts.certificate_id, "tenant_id": tenant_id},
    ).first()
    if existing is not None:
        if existing.payload_sha256 == payload_sha256:
            return Stored(status="already_stored", kind="certificate", id=facts.certificate_id)
        raise ApiError(409, "conflict", _CONFLICT_CERT, detail=facts.certificate_id)
    connection.execute(
        statements.insert_certificate,
        {
            "certificate_id": facts.certificate_id,
            "tenant_id": tenant_id,
            "bench_id": principal.bench_pk,
            "result": facts.result,
            "outcome": facts.outcome,
            "method": facts.method,
            "level": facts.level,
            "disk_model": facts.disk_model,
            "disk_serial": facts.disk_serial,
            "started_at": facts.started_at,
            "finished_at": facts.finished_at,
            "received_at": utcnow(),
            "payload_sha256": payload_sha256,
            "envelope": envelope_text,
            "loose_batch": facts.loose_batch,
        },
    )
    _recompute_for_certificate(connection, tenant_id, facts.certificate_id)
    return Stored(status="stored", kind="certificate", id=facts.certificate_id)


def update_unit(
    sessions: sessionmaker[Session],
    principal: Principal,
    unit_id: int,
    status: str | None,
    batch_code: str | None,
) -> dict[str, Any]:
    """Staff set a unit's status (then kept over later reports) or its donor batch."""
    if principal.role == "bench":
        raise ApiError(
            403,
            "staff_only",
            tr(
                "Réservé au personnel du reconditionneur.", "Reserved to the reconditioner's staff."
            ),
        )
    if batch_code is not None and (has_control(batch_code) or len(batch_code) > 64):
        raise _unknown_batch(batch_code)
    if status is not None and status not in STATUSES:
        raise ApiError(
            422,
            "invalid_status",
            tr("Statut inconnu.", "Unknown status."),
            detail={"allowed": list(STATUSES)},
        )
    with sessions.begin() as session:
        unit = session.get(Unit, unit_id)
        if unit is None or not principal.can_see_tenant(unit.tenant_id):
            raise not_found()
        if status is not None:
            from central_inventory.staff import record_status  # staff imports this module

            record_status(session, principal, unit, status=status, reason=None, via="api")
        if batch_code is not None:
            batch_id = session.scalar(
                select(Batch.id).where(Batch.tenant_id == unit.tenant_id, Batch.code == batch_code)
            )
            if batch_id is None:
                raise _unknown_batch(batch_code)
            unit.batch_id = batch_id
        return {"unit_id": unit.id, "status": unit.status, "batch_id": unit.batch_id}


def not_found() -> ApiError:
    # Same answer for "absent" and "another tenant's": existence is not disclosed.
    return ApiError(404, "not_found", tr("Introuvable.", "Not found."))


def count_rows(session: Session) -> dict[str, int]:
    """Row counts (used by tests and `central-inventory export`)."""
    return {
        "units": session.scalar(select(func.count()).select_from(Unit)) or 0,
        "reports": session.scalar(select(func.count()).select_from(Report)) or 0,
        "certificates": session.scalar(select(func.count()).select_from(Certificate)) or 0,
    }
