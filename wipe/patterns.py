"""What a pass writes: a constant byte or an AES-256-CTR keystream addressable by offset."""

from __future__ import annotations

import hashlib
import mmap
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

AES_BLOCK_BYTES = 16


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pass's content: ``kind`` is ``constant`` (with ``byte``) or ``random``."""

    kind: str
    byte: int = 0

    @property
    def label(self) -> str:
        return "random" if self.kind == "random" else f"0x{self.byte:02X}"


class Keystream:
    """AES-256-CTR keystream of one pass, reproducible at any offset from (seed, pass index).

    The seed is recorded in the certificate: it only lets verification regenerate
    what was written over already-destroyed data, so it is not a secret.
    """

    def __init__(self, seed: bytes, pass_index: int) -> None:
        if len(seed) != 32:
            raise ValueError(f"keystream seed must be 32 bytes, got {len(seed)}")
        self.key = hashlib.sha256(seed + pass_index.to_bytes(4, "big")).digest()
        self._nonce = int.from_bytes(hashlib.sha256(b"nonce" + self.key).digest()[:8], "big") << 64

    def fill(self, buffer: mmap.mmap | bytearray, offset: int, length: int, zeros: bytes) -> None:
        """Write the keystream bytes [offset, offset+length) into ``buffer[0:length]``.

        ``offset`` must be a multiple of 16; ``zeros`` is a zero block at least ``length`` long.
        """
        enc = self.encryptor_at(offset)
        padded = -(-length // AES_BLOCK_BYTES) * AES_BLOCK_BYTES
        view = memoryview(zeros)[:padded]
        enc.update_into(view, memoryview(buffer))

    def encryptor_at(self, offset: int) -> CipherContext:
        """A CTR encryptor positioned at byte ``offset`` (a multiple of 16).

        Verification XORs the data read back with it: the result is all zeros
        exactly when the data is what the pass wrote.
        """
        if offset % AES_BLOCK_BYTES:
            raise ValueError(f"keystream offset {offset} is not a multiple of 16")
        counter = (self._nonce + offset // AES_BLOCK_BYTES) % (1 << 128)
        return Cipher(algorithms.AES(self.key), modes.CTR(counter.to_bytes(16, "big"))).encryptor()

    def bytes_at(self, offset: int, length: int) -> bytes:
        """Keystream bytes for a small range (tails, samples); any offset."""
        start = offset - offset % AES_BLOCK_BYTES
        span = length + (offset - start)
        padded = -(-span // AES_BLOCK_BYTES) * AES_BLOCK_BYTES
        buf = bytearray(padded + AES_BLOCK_BYTES)
        self.fill(buf, start, padded, bytes(padded))
        skip = offset - start
        return bytes(buf[skip : skip + length])


def fill_constant(buffer: mmap.mmap, length: int, byte: int) -> None:
    """Fill ``buffer[0:length]`` with ``byte``."""
    if byte == 0:
        buffer[:length] = bytes(length)
    else:
        buffer[:length] = bytes([byte]) * length
