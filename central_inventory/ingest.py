"""Ingestion of signed evidence: parse, verify against the registered key, validate, store.

Order matters: who is calling (token) → is it JSON → is it an envelope → is it signed by
the key registered for that bench → is the payload a valid document → store it once.
Every refusal is an :class:`ApiError` (4xx) raised before any row is written.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Table,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bench_agent.model import UnitReport
from central_inventory.auth import Principal, authenticate, hash_token
from central_inventory.db import Batch, Certificate, Report, ReportCertificate, Unit, utcnow
from central_inventory.errors import ApiError
from central_inventory.i18n import tr
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
    when a higher revision of its report id was already there: kept as history)."""

    def body(self) -> dict[str, Any]:
        if self.status == "already_stored":
            message = tr(
                "Déjà enregistré à l'identique : rien n'a été modifié.",
                "Already stored with the same content: nothing changed.",
            )
        elif self.current is False:
            message = tr(
                "Enregistré comme historique : une révision plus récente de ce rapport est "
                "déjà la version courante de l'unité.",
                "Stored as history: a higher revision of this report is already the unit's "
                "current one.",
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
    for i, erasure in enumerate(report.erasures):
        _id("report", f"$.erasures[{i}].certificate_id", erasure.certificate_id)
    return report


@dataclass(frozen=True, kw_only=True)
class CertificateFacts:
    """What the service relies on in a certificate payload (the rest is kept verbatim)."""

    certificate_id: str
    result: str
    method: str | None
    level: str | None
    disk_model: str | None
    disk_serial: str | None
    started_at: str | None
    finished_at: str | None


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
        method=_text("certificate", "$.method", method, 100),
        level=_text("certificate", "$.level", level, 24),
        disk_model=model,
        disk_serial=serial,
        started_at=started,
        finished_at=finished,
    )


def derive_status(report: UnitReport) -> str:
    """Status from the evidence: not distributable → recycled; graded with every disk
    erased and no failed test → ready; anything else → in progress."""
    if report.grade is not None and report.grade.category == "NOT_DISTRIBUTABLE":
        return "NON_REEMPLOYABLE"
    erased = bool(report.erasures) and all(e.result == "ERASED" for e in report.erasures)
    tests_ok = all(t.result != "fail" for t in report.functional_tests)
    if report.grade is not None and erased and tests_ok:
        return "PRET_A_DISTRIBUER"
    return "EN_COURS_DE_TRAITEMENT"


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
    for _attempt in range(_RETRIES):
        try:
            return work()
        except _AlreadyKnownError as known:
            return known.stored
        except (IntegrityError, _RetryError):
            # A concurrent request inserted the same report, certificate or new unit first:
            # start over, the re-check now sees it.
            continue
        except OperationalError as exc:
            if exc.connection_invalidated:
                # The connection was cut (database restarted): the pool replaced it. If
                # the cut came after COMMIT, the retry answers "already stored".
                continue
            message = str(exc).lower()
            if "locked" in message or "deadlock" in message or "serializ" in message:
                continue
            raise
        except DBAPIError as exc:
            if exc.connection_invalidated:
                continue
            raise
    raise ApiError(503, "busy", _BUSY)


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
)
MERGED_UNIT_FIELDS = ("serial", "id_esn", "maker", "model", "form_factor", "site", "category")
"""Unit fields a newer current report fills in (kept when the report leaves them empty)."""


@dataclass(frozen=True)
class _Statements:
    """The ingestion statements, built once per dialect: building them per request cost
    more CPU than running them."""

    known_report: Any
    unit_upsert: Any
    unit_bump: Any
    demote_head: Any
    insert_report: Any
    insert_links: Any
    existing_certificate: Any
    insert_certificate: Any


_PG_STORE_REPORT = text(
    """
WITH allowed AS (
    SELECT 1 FROM api_tokens JOIN benches ON benches.id = api_tokens.bench_id
    WHERE api_tokens.id = CAST(:token_pk AS INTEGER) AND api_tokens.role = 'bench'
      AND api_tokens.revoked_at IS NULL AND benches.id = CAST(:bench_id AS INTEGER)
      AND benches.revoked_at IS NULL AND benches.tenant_id = CAST(:tenant_id AS INTEGER)
      AND benches.public_key_b64 = CAST(:public_key_b64 AS VARCHAR)
      AND benches.name = CAST(:bench_name AS VARCHAR)
      AND benches.site IS NOT DISTINCT FROM CAST(:bench_site AS VARCHAR)
), prior AS (
    SELECT reports.id, reports.unit_id, reports.revision FROM reports
    WHERE reports.report_id = CAST(:report_id AS VARCHAR) AND reports.head
      AND reports.tenant_id = CAST(:tenant_id AS INTEGER)
      AND reports.bench_id = CAST(:bench_id AS INTEGER)
      AND EXISTS (SELECT 1 FROM allowed)
      AND NOT EXISTS (
          SELECT 1 FROM reports AS taken
          WHERE taken.report_id = CAST(:report_id AS VARCHAR)
            AND taken.revision = CAST(:revision AS INTEGER))
), demoted AS (
    UPDATE reports SET head = false FROM prior
    WHERE reports.id = prior.id AND reports.head AND prior.revision < CAST(:revision AS INTEGER)
    RETURNING reports.unit_id
), bumped_unit AS (
    UPDATE units SET
        latest_version = units.latest_version + 1,
        last_report_at = CAST(:now AS TIMESTAMPTZ),
        serial = coalesce(CAST(:serial AS VARCHAR), units.serial),
        id_esn = coalesce(CAST(:id_esn AS VARCHAR), units.id_esn),
        maker = coalesce(CAST(:maker AS VARCHAR), units.maker),
        model = coalesce(CAST(:model AS VARCHAR), units.model),
        form_factor = coalesce(CAST(:form_factor AS VARCHAR), units.form_factor),
        site = coalesce(CAST(:site AS VARCHAR), units.site),
        category = coalesce(CAST(:category AS VARCHAR), units.category),
        status = CASE WHEN units.status_manual THEN units.status
                      ELSE CAST(:status AS VARCHAR) END,
        batch_id = coalesce(CAST(:batch_id AS INTEGER), units.batch_id)
    FROM demoted WHERE units.id = demoted.unit_id
    RETURNING units.id, units.latest_version
), new_unit AS (
    INSERT INTO units (tenant_id, unit_key, serial, id_esn, maker, model, form_factor, site,
                       category, status, status_manual, batch_id, first_seen_at,
                       last_report_at, latest_version)
    SELECT CAST(:tenant_id AS INTEGER), CAST(:unit_key AS VARCHAR), CAST(:serial AS VARCHAR),
           CAST(:id_esn AS VARCHAR), CAST(:maker AS VARCHAR), CAST(:model AS VARCHAR),
           CAST(:form_factor AS VARCHAR), CAST(:site AS VARCHAR), CAST(:category AS VARCHAR),
           CAST(:status AS VARCHAR), false, CAST(:batch_id AS INTEGER),
           CAST(:now AS TIMESTAMPTZ), CAST(:now AS TIMESTAMPTZ), 1
    FROM allowed
    WHERE NOT EXISTS (SELECT 1 FROM reports WHERE report_id = CAST(:report_id AS VARCHAR))
    ON CONFLICT (tenant_id, unit_key) DO UPDATE SET
        latest_version = units.latest_version + 1,
        last_report_at = EXCLUDED.last_report_at,
        serial = coalesce(EXCLUDED.serial, units.serial),
        id_esn = coalesce(EXCLUDED.id_esn, units.id_esn),
        maker = coalesce(EXCLUDED.maker, units.maker),
        model = coalesce(EXCLUDED.model, units.model),
        form_factor = coalesce(EXCLUDED.form_factor, units.form_factor),
        site = coalesce(EXCLUDED.site, units.site),
        category = coalesce(EXCLUDED.category, units.category),
        status = CASE WHEN units.status_manual THEN units.status ELSE EXCLUDED.status END,
        batch_id = coalesce(EXCLUDED.batch_id, units.batch_id)
    RETURNING id, latest_version
), placed AS (
    SELECT true AS head, id AS unit_id, latest_version AS version FROM new_unit
    UNION ALL
    SELECT true, id, latest_version FROM bumped_unit
    UNION ALL
    SELECT false, unit_id, CAST(NULL AS INTEGER) FROM prior
    WHERE prior.revision > CAST(:revision AS INTEGER)
), new_report AS (
    INSERT INTO reports (report_id, revision, head, tenant_id, unit_id, bench_id, version,
                         reported_at, received_at, category, payload_sha256, envelope)
    SELECT CAST(:report_id AS VARCHAR), CAST(:revision AS INTEGER), placed.head,
           CAST(:tenant_id AS INTEGER), placed.unit_id, CAST(:bench_id AS INTEGER),
           placed.version, CAST(:reported_at AS VARCHAR), CAST(:now AS TIMESTAMPTZ),
           CAST(:category AS VARCHAR), CAST(:payload_sha256 AS VARCHAR),
           CAST(:envelope AS TEXT)
    FROM placed
    ON CONFLICT DO NOTHING
    RETURNING id, unit_id, version, head
), links AS (
    INSERT INTO report_certificates (report_pk, certificate_id, unit_id)
    SELECT new_report.id, linked.certificate_id, new_report.unit_id
    FROM new_report CROSS JOIN unnest(CAST(:certificate_ids AS VARCHAR[])) AS linked(certificate_id)
)
SELECT EXISTS (SELECT 1 FROM allowed) AS allowed, new_report.id AS report_pk,
       new_report.unit_id AS unit_id, new_report.version AS version, new_report.head AS head
FROM (SELECT 1) AS one LEFT JOIN new_report ON true
"""
)
"""PostgreSQL, one statement, one round trip: the caller's token and bench re-checked
(still active, same key, tenant, name and site as the principal the request was verified
for), then one of three placements of the revision:

- a report id not seen yet: the unit upsert (by unit key), the report as head and current;
- a higher revision of a report id this bench stored: the previous head demoted, the
  report's unit (not the unit key's) bumped to a new version, the report as head;
- a lower revision: stored as history on the report's unit, which is left alone.

Certificate links are written for all three. Anything else writes nothing and
``report_pk`` comes back NULL: the same revision already stored, a report id of another
bench, or a concurrent request that won (its head demoted first, or an insert conflict on
the one-head-per-report-id index); the caller answers from the stored rows, or rolls the
transaction back (the unit's version bump with it) and runs it again."""


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
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    insert = dialect_insert(units).values({name: bindparam(name) for name in UNIT_FIELDS})
    new = insert.excluded
    merged: dict[str, Any] = {
        name: func.coalesce(new[name], units.c[name]) for name in MERGED_UNIT_FIELDS
    }
    # One statement creates the unit or bumps its version under the row lock, so two
    # reports of one unit arriving together get versions n and n+1, never twice n.
    upsert = insert.on_conflict_do_update(
        index_elements=[units.c.tenant_id, units.c.unit_key],
        set_={
            "latest_version": units.c.latest_version + 1,
            "last_report_at": new.last_report_at,
            **merged,
            "status": case((units.c.status_manual, units.c.status), else_=new.status),
            "batch_id": func.coalesce(new.batch_id, units.c.batch_id),
        },
    ).returning(units.c.id, units.c.latest_version)
    # A new head revision bumps its report's unit (found by id: a revision may correct
    # the serial, hence the unit key, and still belongs to the unit its report id is on).
    bump = (
        units.update()
        .where(units.c.id == bindparam("bump_unit_id"))
        .values(
            latest_version=units.c.latest_version + 1,
            last_report_at=bindparam("bump_now"),
            **{
                name: func.coalesce(bindparam(f"bump_{name}"), units.c[name])
                for name in MERGED_UNIT_FIELDS
            },
            status=case((units.c.status_manual, units.c.status), else_=bindparam("bump_status")),
            batch_id=func.coalesce(bindparam("bump_batch_id", type_=Integer), units.c.batch_id),
        )
        .returning(units.c.id, units.c.latest_version)
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
            or_(reports.c.head, reports.c.revision == bindparam("revision")),
        ),
        unit_upsert=upsert,
        unit_bump=bump,
        demote_head=reports.update()
        .where(reports.c.id == bindparam("head_pk"), reports.c.head)
        .values(head=False),
        insert_report=reports.insert().returning(reports.c.id),
        insert_links=cast(Table, ReportCertificate.__table__).insert(),
        existing_certificate=select(certificates.c.tenant_id, certificates.c.payload_sha256).where(
            certificates.c.certificate_id == bindparam("certificate_id")
        ),
        insert_certificate=certificates.insert(),
    )


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
    identity = report.inventory.identity
    category = report.grade.category if report.grade is not None else None
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
        "status": derive_status(report),
    }
    certificate_ids = sorted({e.certificate_id for e in report.erasures})
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
    }
    if postgresql:
        row = connection.execute(
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
                "certificate_ids": certificate_ids,
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
        unit_id, version, current = row.unit_id, row.version, row.head
    else:
        if head is None:
            unit_id, version = connection.execute(
                statements.unit_upsert,
                {
                    **unit_row,
                    "status_manual": False,
                    "batch_id": batch_id,
                    "first_seen_at": now,
                    "last_report_at": now,
                    "latest_version": 1,
                },
            ).one()
            current = True
        elif report.revision > head.revision:
            connection.execute(statements.demote_head, {"head_pk": head.id})
            unit_id, version = connection.execute(
                statements.unit_bump,
                {
                    **{f"bump_{name}": unit_row[name] for name in MERGED_UNIT_FIELDS},
                    "bump_status": unit_row["status"],
                    "bump_batch_id": batch_id,
                    "bump_now": now,
                    "bump_unit_id": head.unit_id,
                },
            ).one()
            current = True
        else:
            unit_id, version, current = head.unit_id, None, False
        report_pk = connection.execute(
            statements.insert_report,
            {**report_row, "unit_id": unit_id, "version": version, "head": current},
        ).scalar_one()
        if certificate_ids:
            connection.execute(
                statements.insert_links,
                [
                    {"report_pk": report_pk, "certificate_id": c, "unit_id": unit_id}
                    for c in certificate_ids
                ],
            )
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
    """The head row of ``report.report_id`` (None for a new report id), after raising the
    answer when that revision is already stored (200 when the same content from the same
    tenant, :class:`_AlreadyKnownError`; 409 otherwise) or the report id belongs to
    another bench (409: nobody appends a revision to another bench's report)."""
    head = same = None
    for row in connection.execute(
        statements.known_report, {"report_id": report.report_id, "revision": report.revision}
    ):
        if row.revision == report.revision:
            same = row
        if row.head:
            head = row
    if same is not None:
        if same.tenant_id == principal.tenant_id and same.payload_sha256 == payload_sha256:
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
    if head is not None and (
        head.tenant_id != principal.tenant_id or head.bench_id != principal.bench_pk
    ):
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
    assert principal.tenant_id is not None and principal.bench_pk is not None
    statements = _statements(connection.dialect.name)
    existing = connection.execute(
        statements.existing_certificate, {"certificate_id": facts.certificate_id}
    ).first()
    if existing is not None:
        if existing.tenant_id == principal.tenant_id and existing.payload_sha256 == payload_sha256:
            return Stored(status="already_stored", kind="certificate", id=facts.certificate_id)
        raise ApiError(409, "conflict", _CONFLICT_CERT, detail=facts.certificate_id)
    connection.execute(
        statements.insert_certificate,
        {
            "certificate_id": facts.certificate_id,
            "tenant_id": principal.tenant_id,
            "bench_id": principal.bench_pk,
            "result": facts.result,
            "method": facts.method,
            "level": facts.level,
            "disk_model": facts.disk_model,
            "disk_serial": facts.disk_serial,
            "started_at": facts.started_at,
            "finished_at": facts.finished_at,
            "received_at": utcnow(),
            "payload_sha256": payload_sha256,
            "envelope": envelope_text,
        },
    )
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
            unit.status = status
            unit.status_manual = True
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
