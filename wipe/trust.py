"""Which bench keys a verifier trusts: the network's key statements.

The network (the central service) holds an Ed25519 key and signs, for each registered
bench key, a *key statement* in the usual envelope (:mod:`wipe.signing`)::

    {"schema": "bench-agent/key-statement/1", "network_key_fingerprint": ...,
     "tenant": ..., "bench": ..., "public_key": ..., "fingerprint": ...,
     "valid_from": ..., "valid_until": null, "revoked_at": null, "issued_at": ...}

A certificate's key is trusted when a statement for that key, signed by a network key
the verifier holds, covers the time the certificate was signed (its end, else its
start): ``valid_from <= t``, ``t < valid_until`` and ``t < revoked_at`` when set.
Revocation is dated: what was signed before ``revoked_at`` stays valid. Among several
statements for one key, the one issued last decides (an older, unrevoked statement
cannot undo a revocation). A bench key given directly (``--public-key``) is trusted as
is. Pure functions: no files, no clock (the caller passes ``now`` when issuing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from wipe.signing import (
    BenchKey,
    SignatureError,
    b64,
    canonical_json,
    fingerprint,
    parse_json,
    read_public_key,
    unb64,
    verify_envelope,
)

STATEMENT_SCHEMA = "bench-agent/key-statement/1"


class KeyStatement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The network's word on one bench key (the payload of a signed statement)."""

    schema: str
    network_key_fingerprint: str
    """SHA-256 (64 hex) of the network public key that signs the statement."""
    tenant: str
    """The reconditioner (tenant slug) the bench belongs to."""
    bench: str
    public_key: str
    """The bench's raw Ed25519 public key, base64."""
    fingerprint: str
    valid_from: str
    valid_until: str | None
    revoked_at: str | None
    issued_at: str


_STATEMENT_DECODER = msgspec.json.Decoder(KeyStatement)


class TrustError(ValueError):
    """A trust anchor or a statement that cannot be read; says which and why."""


def iso(moment: datetime) -> str:
    """UTC, seconds, ``Z``: the form of every time in a statement."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a timezone (``Z`` or an offset); TrustError otherwise."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TrustError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise TrustError(f"time without a timezone: {text!r}")
    return moment


def issue_statement(
    network: BenchKey,
    *,
    tenant: str,
    bench: str,
    public_raw: bytes,
    valid_from: datetime,
    valid_until: datetime | None,
    revoked_at: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """A key statement for ``public_raw``, signed by the network key."""
    payload = {
        "schema": STATEMENT_SCHEMA,
        "network_key_fingerprint": network.fingerprint,
        "tenant": tenant,
        "bench": bench,
        "public_key": b64(public_raw),
        "fingerprint": fingerprint(public_raw),
        "valid_from": iso(valid_from),
        "valid_until": iso(valid_until) if valid_until is not None else None,
        "revoked_at": iso(revoked_at) if revoked_at is not None else None,
        "issued_at": iso(now),
    }
    return network.sign(payload)


@dataclass(frozen=True, slots=True)
class SignedStatement:
    """A statement whose signature verifies (by the key ``signer``; trusted or not)."""

    statement: KeyStatement
    signer: bytes
    envelope: dict[str, Any]


def read_statement(envelope: Any) -> SignedStatement:
    """A statement envelope checked for shape, signature and content; TrustError if not."""
    try:
        payload = verify_envelope(envelope)
        statement = _STATEMENT_DECODER.decode(canonical_json(payload))
    except SignatureError as exc:
        raise TrustError(f"key statement: {exc}") from None
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise TrustError(f"not a key statement: {exc}") from None
    if statement.schema != STATEMENT_SCHEMA:
        raise TrustError(f"not a key statement (schema {statement.schema!r})")
    signer = unb64(envelope["signature"]["public_key"])
    if statement.network_key_fingerprint != fingerprint(signer):
        raise TrustError("key statement: signed by another key than the one it names")
    try:
        bench_raw = unb64(statement.public_key)
    except ValueError:
        raise TrustError("key statement: public_key is not base64") from None
    if statement.fingerprint != fingerprint(bench_raw):
        raise TrustError("key statement: fingerprint does not match public_key")
    for moment in (statement.valid_from, statement.valid_until, statement.revoked_at):
        if moment is not None:
            parse_time(moment)
    parse_time(statement.issued_at)
    return SignedStatement(statement, signer, envelope)


@dataclass(frozen=True, slots=True)
class Anchors:
    """What a verifier trusts: network keys (whose statements count) and bench keys."""

    network_keys: tuple[bytes, ...] = ()
    bench_keys: tuple[bytes, ...] = ()
    statements: tuple[SignedStatement, ...] = ()


def read_anchor_file(raw: bytes) -> tuple[bytes, SignedStatement | None]:
    """A ``--trust`` file: a network public key (PEM or base64), or a key statement (then
    its signer is the network key trusted, and the statement comes along)."""
    text = raw.strip()
    if text.startswith(b"{"):
        try:
            signed = read_statement(parse_json(text))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrustError(str(exc)) from None
        return signed.signer, signed
    try:
        return read_public_key(text), None
    except SignatureError as exc:
        raise TrustError(str(exc)) from None


@dataclass(slots=True)
class TrustCheck:
    """Whether a signing key was trusted at the time it signed, and why (FR and EN)."""

    trusted: bool
    fingerprint: str
    how_fr: str = ""
    how_en: str = ""
    statement: KeyStatement | None = None
    problems_fr: list[str] = field(default_factory=list)
    problems_en: list[str] = field(default_factory=list)

    def fail(self, fr: str, en: str) -> None:
        self.trusted = False
        self.problems_fr.append(fr)
        self.problems_en.append(en)


def _deciding(statements: list[SignedStatement]) -> KeyStatement:
    """The statement issued last; on a tie (same second), the most restrictive: the
    earliest revocation, else the earliest end of validity."""
    far = datetime.max.replace(tzinfo=UTC)
    newest = max(parse_time(s.statement.issued_at) for s in statements)
    tied = [s.statement for s in statements if parse_time(s.statement.issued_at) == newest]
    return min(
        tied,
        key=lambda st: (
            parse_time(st.revoked_at) if st.revoked_at else far,
            parse_time(st.valid_until) if st.valid_until else far,
        ),
    )


def evaluate(public_raw: bytes, signed_at: str | None, anchors: Anchors) -> TrustCheck:
    """Whether ``public_raw`` (the key that signed a document at ``signed_at``) is trusted."""
    check = TrustCheck(False, fingerprint(public_raw))
    if public_raw in anchors.bench_keys:
        check.trusted = True
        check.how_fr = "clé du banc donnée directement (--public-key)"
        check.how_en = "bench key given directly (--public-key)"
        return check
    if not anchors.network_keys:
        check.fail(
            "aucune clé du réseau connue (synchroniser le banc, ou --trust FICHIER)",
            "no network key known (sync the bench, or --trust FILE)",
        )
        return check
    networks = {fingerprint(k) for k in anchors.network_keys}
    mine = [s for s in anchors.statements if s.statement.fingerprint == check.fingerprint]
    endorsed = [s for s in mine if fingerprint(s.signer) in networks]
    if not endorsed:
        if mine:
            check.fail(
                "la déclaration de cette clé est signée par une clé de réseau non reconnue",
                "the statement for this key is signed by a network key not trusted",
            )
        else:
            check.fail(
                "aucune déclaration du réseau pour cette clé (--statement FICHIER)",
                "no network statement for this key (--statement FILE)",
            )
        return check
    latest = _deciding(endorsed)
    check.statement = latest
    if signed_at is None:
        check.fail("le document ne dit pas quand il a été signé", "the document has no time")
        return check
    try:
        moment = parse_time(signed_at)
    except TrustError:
        check.fail(f"date de signature illisible : {signed_at!r}", f"unreadable time {signed_at!r}")
        return check
    if moment < parse_time(latest.valid_from):
        check.fail(
            f"signé avant la validité de la clé ({latest.valid_from})",
            f"signed before the key was valid ({latest.valid_from})",
        )
    if latest.valid_until is not None and moment >= parse_time(latest.valid_until):
        check.fail(
            f"signé après l'expiration de la clé ({latest.valid_until})",
            f"signed after the key expired ({latest.valid_until})",
        )
    if latest.revoked_at is not None and moment >= parse_time(latest.revoked_at):
        check.fail(
            f"signé après la révocation de la clé ({latest.revoked_at})",
            f"signed after the key was revoked ({latest.revoked_at})",
        )
    if not check.problems_en:
        check.trusted = True
        check.how_fr = f"clé du banc {latest.bench} ({latest.tenant}), déclarée par le réseau"
        check.how_en = f"key of bench {latest.bench} ({latest.tenant}), stated by the network"
    return check


MAX_TRUST_FILE_BYTES = 1 << 20


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_TRUST_FILE_BYTES:
            raise TrustError(f"{path}: too large for a key or a statement")
        return path.read_bytes()
    except OSError as exc:
        raise TrustError(f"{path}: cannot read ({exc.strerror or exc})") from None


def load_anchors(
    *,
    trust_files: Sequence[Path] = (),
    statement_files: Sequence[Path] = (),
    bench_keys: Sequence[bytes] = (),
    stored_network_key: Path | None = None,
    stored_statement: Path | None = None,
) -> Anchors:
    """The anchors of a verification: files named by the user (a bad one is a TrustError
    naming it) and what the bench stored at its last sync (skipped when absent)."""
    networks: list[bytes] = []
    statements: list[SignedStatement] = []
    for path in trust_files:
        try:
            key, statement = read_anchor_file(_read(path))
        except TrustError as exc:
            raise TrustError(f"{path}: {exc}") from None
        networks.append(key)
        if statement is not None:
            statements.append(statement)
    for path in statement_files:
        try:
            statements.append(read_statement(parse_json(_read(path))))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrustError(f"{path}: {exc}") from None
    if stored_network_key is not None and stored_network_key.exists():
        try:
            networks.append(read_public_key(_read(stored_network_key)))
        except SignatureError as exc:
            raise TrustError(f"{stored_network_key}: {exc}") from None
    if stored_statement is not None and stored_statement.exists():
        try:
            statements.append(read_statement(parse_json(_read(stored_statement))))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrustError(f"{stored_statement}: {exc}") from None
    return Anchors(tuple(networks), tuple(bench_keys), tuple(statements))
