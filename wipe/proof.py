"""Proof that a firmware method changed the media: sample sectors before, compare after.

A firmware command's exit code proves nothing (hdparm exits 0 when the drive
aborted the command). The engine reads pseudo-randomly spread sectors (always
the first and the last) before the command and again after it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

from wipe.blockdev import OpenDevice, aligned_buffer

DEFAULT_SAMPLE_COUNT = 64


def sample_offsets(size_bytes: int, block_bytes: int, count: int, seed: bytes) -> list[int]:
    """``count`` block-aligned offsets, one per equal stratum, first and last block included."""
    blocks = size_bytes // block_bytes
    if blocks <= 0:
        return []
    if blocks <= count:
        return [i * block_bytes for i in range(blocks)]
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(seed[:16], "big")))
    picked = {0, blocks - 1}
    stratum = blocks / count
    for i in range(count):
        lo = int(i * stratum)
        hi = max(lo, int((i + 1) * stratum) - 1)
        picked.add(int(rng.integers(lo, hi + 1)))
    return sorted(b * block_bytes for b in picked)


def read_samples(dev: OpenDevice, offsets: list[int]) -> list[bytes | None]:
    """Each sample's bytes (None when the read failed)."""
    size = dev.logical_block_bytes
    buf = aligned_buffer(size)
    out: list[bytes | None] = []
    try:
        for offset in offsets:
            try:
                n = os.preadv(dev.fd, [memoryview(buf)[:size]], offset)
                out.append(bytes(buf[:n]) if n == size else None)
            except OSError:
                out.append(None)
    finally:
        buf.close()
    return out


@dataclass(slots=True)
class ChangeProof:
    """The before/after comparison of sampled sectors."""

    samples: int
    changed: int
    unchanged_with_data: int
    """Sectors that held non-uniform content before and still hold it: not erased."""
    unchanged_uniform: int
    """Uniform (e.g. all zeros) before and after: consistent with erasure, proves nothing."""
    unreadable: int
    proved: bool
    reason_fr: str
    reason_en: str
    digest_before: str
    digest_after: str

    def as_dict(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "changed": self.changed,
            "unchanged_with_data": self.unchanged_with_data,
            "unchanged_uniform": self.unchanged_uniform,
            "unreadable": self.unreadable,
            "proved": self.proved,
            "reason_fr": self.reason_fr,
            "reason_en": self.reason_en,
            "sha256_before": self.digest_before,
            "sha256_after": self.digest_after,
        }


def _uniform(data: bytes) -> bool:
    return data == data[:1] * len(data)


def compare(before: list[bytes | None], after: list[bytes | None]) -> ChangeProof:
    """Proved only when some sample changed and no sample holding data stayed the same."""
    changed = unchanged_data = unchanged_uniform = unreadable = 0
    for b, a in zip(before, after, strict=True):
        if b is None or a is None:
            unreadable += 1
        elif a != b:
            changed += 1
        elif _uniform(b):
            unchanged_uniform += 1
        else:
            unchanged_data += 1
    total = len(before)
    digest_b = hashlib.sha256(b"".join(x or b"" for x in before)).hexdigest()
    digest_a = hashlib.sha256(b"".join(x or b"" for x in after)).hexdigest()
    if unreadable == total:  # also true when there are no samples at all
        proved, fr, en = (
            False,
            "secteurs échantillons illisibles : effacement non prouvé",
            "sample sectors unreadable: erasure not proved",
        )
    elif unchanged_data:
        proved, fr, en = (
            False,
            f"{unchanged_data} secteur(s) sur {total} contenant des données n'ont pas changé : "
            "la commande n'a rien effacé (code de sortie ignoré)",
            f"{unchanged_data} of {total} sampled sector(s) holding data did not change: "
            "the command erased nothing (exit code disregarded)",
        )
    elif changed == 0:
        proved, fr, en = (
            False,
            "aucun secteur échantillon n'a changé (disque déjà uniforme) : effacement non prouvé",
            "no sampled sector changed (disk already uniform): erasure not proved",
        )
    elif unreadable:
        proved, fr, en = (
            False,
            f"{unreadable} secteur(s) illisible(s) après la commande",
            f"{unreadable} sector(s) unreadable after the command",
        )
    else:
        proved, fr, en = (
            True,
            f"{changed} secteur(s) sur {total} ont changé, aucune donnée intacte",
            f"{changed} of {total} sampled sectors changed, no data left intact",
        )
    return ChangeProof(
        total,
        changed,
        unchanged_data,
        unchanged_uniform,
        unreadable,
        proved,
        fr,
        en,
        digest_b,
        digest_a,
    )
