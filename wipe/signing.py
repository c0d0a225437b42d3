"""Ed25519 signatures over canonical JSON: the evidence format of every bench.

An envelope is ``{"payload": {...}, "signature": {"alg": "ed25519", "key_id": ...,
"public_key": ..., "value": ...}}``. The signature covers the canonical JSON of
the payload: UTF-8, keys sorted, no insignificant whitespace, no NaN. The same
format signs erasure certificates (``wipe``) and unit reports (``bench_agent``),
and the central service verifies both with the bench's registered public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "ed25519"


class SignatureError(ValueError):
    """An envelope is malformed or its signature does not verify."""


def canonical_json(payload: Any) -> bytes:
    """The exact bytes that are signed: sorted keys, compact separators, UTF-8, no NaN."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
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


def key_id(public_raw: bytes) -> str:
    """Short stable id of a public key: first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


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

    def sign(self, payload: Any) -> dict[str, Any]:
        """Wrap ``payload`` (JSON-compatible) in a signed envelope."""
        signature = self._private.sign(canonical_json(payload))
        return {
            "payload": payload,
            "signature": {
                "alg": ALG,
                "key_id": self.key_id,
                "public_key": self.public_b64,
                "value": b64(signature),
            },
        }


def verify_envelope(envelope: Any, trusted_public_key: bytes | None = None) -> Any:
    """Check an envelope and return its payload.

    With ``trusted_public_key`` (raw 32 bytes), the envelope must be signed by
    that key (what the central service does with a registered bench). Without
    it, the embedded public key is used: this proves integrity, not origin.
    """
    if not isinstance(envelope, dict) or set(envelope) != {"payload", "signature"}:
        raise SignatureError("not a signed envelope: expected exactly 'payload' and 'signature'")
    sig = envelope["signature"]
    if not isinstance(sig, dict) or sig.get("alg") != ALG:
        raise SignatureError(f"unsupported signature algorithm (expected {ALG!r})")
    try:
        embedded = unb64(str(sig["public_key"]))
        value = unb64(str(sig["value"]))
    except (KeyError, ValueError) as exc:
        raise SignatureError(f"malformed signature block: {exc}") from exc
    public_raw = trusted_public_key if trusted_public_key is not None else embedded
    if trusted_public_key is not None and embedded != trusted_public_key:
        raise SignatureError("signed by a different key than the one registered for this bench")
    if sig.get("key_id") != key_id(public_raw):
        raise SignatureError("key_id does not match the public key")
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            value, canonical_json(envelope["payload"])
        )
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError("signature does not verify: the document was altered") from exc
    return envelope["payload"]
