"""Ed25519 signatures over canonical JSON: the evidence format of every bench.

An envelope is exactly ``{"payload": {...}, "signature": {"alg": "ed25519", "key_id":
..., "public_key": ..., "value": ...}}`` (nothing more, nothing less, no key twice).
The signature covers the RFC 8785 (JCS) canonical JSON of the payload, which
``jq -cjS .payload`` reproduces for every value the signer accepts, so a third party
checks a document with jq and openssl alone (docs/evidence.md). The same format signs
erasure certificates (``wipe``), unit reports (``bench_agent``) and the network's key
statements (:mod:`wipe.trust`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "ed25519"


class SignatureError(ValueError):
    """An envelope is malformed or its signature does not verify."""


MAX_SAFE_INTEGER = 2**53 - 1
"""RFC 8785 numbers are IEEE doubles: larger integers would not survive a reader."""
FLOAT_MIN, FLOAT_MAX = 1e-4, 1e15
"""Non-zero floats outside [1e-4, 1e15) print in exponent form, and jq 1.6 writes that
form differently from RFC 8785 (``1e-05`` against ``0.00001``, ``1e+16`` against
``10000000000000000``): the signer refuses them so that ``jq -cjS`` gives the signed bytes."""


class CanonicalJSONError(ValueError):
    """A value that canonical JSON (as signed here) cannot hold; says where."""


def _portable(value: Any, path: str) -> Any:
    """``value`` checked to print identically with RFC 8785 and ``jq -cjS``; -0.0 → 0."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{path}: object key {key!r} is not a string")
            # RFC 8785 sorts keys by UTF-16 code units, jq by code points: they differ
            # only around characters beyond U+FFFF, which no key of ours needs.
            if any(ord(c) > 0xFFFF for c in key):
                raise CanonicalJSONError(f"{path}: key {key!r} has a character beyond U+FFFF")
            out[key] = _portable(item, f"{path}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_portable(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, str):
        if "\x7f" in value:  # jq escapes DEL as \u007f, RFC 8785 writes it raw
            raise CanonicalJSONError(f"{path}: U+007F (DEL) in a string")
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalJSONError(f"{path}: integer {value} beyond ±(2^53 - 1)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalJSONError(f"{path}: {value} is not valid in JSON")
        if value == 0:
            return 0  # -0.0: RFC 8785 writes 0, jq -0
        if not FLOAT_MIN <= abs(value) < FLOAT_MAX:
            raise CanonicalJSONError(
                f"{path}: float {value!r} outside [1e-4, 1e15) (round it, or use an integer)"
            )
        # RFC 8785 writes an integral number without a fraction (2.0 → 2); in this range
        # Python's repr of any other float is ECMAScript's shortest form, as RFC 8785 wants.
        return int(value) if value.is_integer() else value
    raise CanonicalJSONError(f"{path}: {type(value).__name__} is not a JSON value")


def _fast(value: Any) -> Any:
    """:func:`_portable` without building paths (the hot path of every signature check):
    any doubt goes to :func:`_portable`, which says where."""
    t = type(value)
    if t is str:
        if "\x7f" in value:
            raise CanonicalJSONError
        return value
    if t is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                raise CanonicalJSONError
            out[key] = _fast(item)
        return out
    if t is list:
        return [_fast(item) for item in value]
    if t is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise CanonicalJSONError
    if value is None or t is bool:
        return value
    if t is float and math.isfinite(value):
        if value == 0:
            return 0
        if FLOAT_MIN <= abs(value) < FLOAT_MAX:
            return int(value) if value.is_integer() else value
    raise CanonicalJSONError


def canonical_json(payload: Any) -> bytes:
    """The exact bytes that are signed: RFC 8785 (JCS) of ``payload``, refusing what JCS
    and ``jq -cjS`` would print differently (see :data:`FLOAT_MIN`).

    Once :func:`_portable` has checked the values, the standard library's compact sorted
    JSON *is* RFC 8785: keys within the BMP sort alike by code point and by UTF-16 unit,
    integral floats are integers, other floats print in ECMAScript's shortest form, and
    both escape the same characters the same way. It is ten times faster than the
    ``rfc8785`` package, which the tests use as the oracle
    (``tests/wipe/test_canonical_json.py``)."""
    try:
        checked = _fast(payload)
    except CanonicalJSONError:
        checked = _portable(payload, "$")  # tuples and subclasses; else raises, saying where
    return json.dumps(
        checked,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid in canonical JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object with a key twice reads differently in different tools (the last value
    here, the first in others): evidence that can say two things is refused."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"duplicate key {key!r} in a JSON object")
        found[key] = value
    return found


def parse_json(raw: str | bytes) -> Any:
    """``json.loads`` refusing NaN and Infinity, which canonical JSON cannot hold (so a
    document carrying them can neither be signed nor hashed: it is malformed), and
    objects with a duplicated key."""
    return json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """The full fingerprint of a raw Ed25519 public key: SHA-256, 64 hex digits."""
    return hashlib.sha256(public_raw).hexdigest()


def key_id(public_raw: bytes) -> str:
    """Short stable id of a public key: the first 16 hex digits of its fingerprint."""
    return fingerprint(public_raw)[:16]


ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
"""DER SubjectPublicKeyInfo of an Ed25519 key, before its 32 raw bytes (RFC 8410)."""


def public_key_pem(public_raw: bytes) -> str:
    """The PEM openssl reads for a raw Ed25519 public key."""
    der = base64.b64encode(ED25519_SPKI_PREFIX + public_raw).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{der}\n-----END PUBLIC KEY-----\n"


def read_public_key(text: str | bytes) -> bytes:
    """A raw Ed25519 public key from a PEM block or a base64 string (32 raw bytes)."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped)
        except ValueError as exc:
            raise SignatureError(f"unreadable PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureError("the PEM public key is not an Ed25519 key")
        return public_key_bytes(key)
    try:
        raw = base64.b64decode(stripped, validate=True)
    except ValueError:
        raise SignatureError("not a PEM block nor a base64 Ed25519 public key") from None
    if len(raw) == len(ED25519_SPKI_PREFIX) + 32 and raw.startswith(ED25519_SPKI_PREFIX):
        raw = raw[len(ED25519_SPKI_PREFIX) :]
    if len(raw) != 32:
        raise SignatureError(f"an Ed25519 public key has 32 bytes, this one {len(raw)}")
    return raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class BenchKey:
    """A bench's Ed25519 signing key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_raw = public_key_bytes(private.public_key())
        self.key_id = key_id(self.public_raw)

    @classmethod
    def generate(cls) -> BenchKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: str | Path) -> BenchKey:
        """Load the PEM key at ``path``, creating it (mode 0600) on first use."""
        p = Path(path)
        if p.exists():
            return cls.load(p)
        key = cls.generate()
        from wipe.private import make_private_dir  # here: the central service never needs it

        make_private_dir(p.parent)
        pem = key._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key

    @classmethod
    def load(cls, path: str | Path) -> BenchKey:
        data = Path(path).read_bytes()
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise SignatureError(f"{path}: not an Ed25519 private key")
        return cls(private)

    @property
    def public_b64(self) -> str:
        return b64(self.public_raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def sign(self, payload: Any) -> dict[str, Any]:
        """Wrap ``payload`` (a JSON object) in a signed envelope; CanonicalJSONError for
        a value canonical JSON cannot hold (see :func:`canonical_json`)."""
        if not isinstance(payload, dict):
            raise CanonicalJSONError("$: the signed payload must be a JSON object")
        signed = canonical_json(payload)
        signature = self._private.sign(signed)
        return {
            # What was signed, read back: -0.0 becomes 0 as in the signed bytes.
            "payload": parse_json(signed),
            "signature": {
                "alg": ALG,
                "key_id": self.key_id,
                "public_key": self.public_b64,
                "value": b64(signature),
            },
        }


SIGNATURE_FIELDS = frozenset({"alg", "key_id", "public_key", "value"})


def check_envelope_shape(envelope: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The payload and signature block of an envelope of exactly the expected shape:
    ``payload`` (an object) and ``signature`` (exactly alg, key_id, public_key and value,
    all strings). Anything outside the signed content is refused, not ignored."""
    if not isinstance(envelope, dict) or set(envelope) != {"payload", "signature"}:
        extra = (
            sorted(set(envelope) - {"payload", "signature"}) if isinstance(envelope, dict) else []
        )
        raise SignatureError(
            "not a signed envelope: expected exactly 'payload' and 'signature'"
            + (f" (unsigned extra field: {', '.join(map(str, extra))})" if extra else "")
        )
    sig = envelope["signature"]
    if not isinstance(sig, dict) or set(sig) != SIGNATURE_FIELDS:
        extra = sorted(set(sig) - SIGNATURE_FIELDS) if isinstance(sig, dict) else []
        raise SignatureError(
            "malformed signature block: expected exactly alg, key_id, public_key and value"
            + (f" (unsigned extra field: {', '.join(map(str, extra))})" if extra else "")
        )
    if not all(isinstance(v, str) for v in sig.values()):
        raise SignatureError("malformed signature block: every field must be a string")
    if not isinstance(envelope["payload"], dict):
        raise SignatureError("the signed payload must be a JSON object")
    return envelope["payload"], sig


def verify_envelope(envelope: Any, trusted_public_key: bytes | None = None) -> Any:
    """Check an envelope and return its payload.

    With ``trusted_public_key`` (raw 32 bytes), the envelope must be signed by
    that key (what the central service does with a registered bench). Without
    it, the embedded public key is used: this proves integrity, not origin
    (:mod:`wipe.trust` says whether that key is trusted).
    """
    payload, sig = check_envelope_shape(envelope)
    if sig["alg"] != ALG:
        raise SignatureError(f"unsupported signature algorithm (expected {ALG!r})")
    try:
        embedded = unb64(sig["public_key"])
        value = unb64(sig["value"])
    except ValueError as exc:
        raise SignatureError(f"malformed signature block: {exc}") from exc
    public_raw = trusted_public_key if trusted_public_key is not None else embedded
    if trusted_public_key is not None and embedded != trusted_public_key:
        raise SignatureError("signed by a different key than the one registered for this bench")
    if sig["key_id"] != key_id(public_raw):
        raise SignatureError("key_id does not match the public key")
    try:
        signed = canonical_json(payload)
    except CanonicalJSONError as exc:
        raise SignatureError(f"payload not in canonical form: {exc}") from exc
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(value, signed)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError("signature does not verify: the document was altered") from exc
    return payload
