"""The erasure policy per media type (profiles/erasure/policy.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from wipe.methods import (
    MethodFileError,
    Verification,
    line_of,
    parse_verification,
    profiles_dir,
)

MEDIA = ("nvme", "ssd", "hdd", "unknown")


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    firmware: bool
    """Try the strongest supported firmware sanitize first."""
    overwrite: str | None
    """Overwrite method run afterwards (None: firmware only)."""
    verification: Verification


@dataclass(frozen=True, slots=True)
class Policy:
    media: dict[str, MediaPolicy]
    allow_ata_security_erase: bool
    proof_samples: int
    source: str
    restore_native_max: bool = True
    """Remove an HPA before erasing so the hidden sectors are overwritten too."""

    def for_media(self, media: str) -> MediaPolicy:
        return self.media.get(media, self.media["unknown"])


def default_policy_path() -> Path:
    return profiles_dir() / "erasure" / "policy.toml"


def load_policy(path: str | Path | None = None) -> Policy:
    """Parse a policy file; a malformed one raises MethodFileError naming file, line and field."""
    p = Path(path) if path is not None else default_policy_path()
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise MethodFileError(source, None, "(file)", f"cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MethodFileError(source, getattr(exc, "lineno", None), "(syntax)", str(exc)) from exc

    def fail(field: str, problem: str) -> MethodFileError:
        return MethodFileError(source, line_of(text, field.rsplit(".", 1)[-1]), field, problem)

    media_table = data.get("media")
    if not isinstance(media_table, dict):
        raise MethodFileError(source, None, "media", "missing [media.<type>] tables")
    media: dict[str, MediaPolicy] = {}
    for name in MEDIA:
        entry = media_table.get(name)
        if not isinstance(entry, dict):
            raise MethodFileError(source, None, f"media.{name}", "missing table")
        firmware = entry.get("firmware", False)
        if not isinstance(firmware, bool):
            raise fail(f"media.{name}.firmware", "expected true or false")
        overwrite = entry.get("overwrite")
        if overwrite is not None and (not isinstance(overwrite, str) or not overwrite):
            raise fail(f"media.{name}.overwrite", "expected a method name")
        try:
            verification = parse_verification(str(entry.get("verification", "last")))
        except ValueError as exc:
            raise fail(f"media.{name}.verification", str(exc)) from None
        if overwrite is None and not firmware:
            raise fail(f"media.{name}.overwrite", "no firmware and no overwrite: nothing to do")
        media[name] = MediaPolicy(firmware, overwrite, verification)
    fw = data.get("firmware", {})
    if not isinstance(fw, dict):
        raise MethodFileError(source, None, "firmware", "expected a table")
    allow = fw.get("allow_ata_security_erase", False)
    if not isinstance(allow, bool):
        raise fail("firmware.allow_ata_security_erase", "expected true or false")
    samples = fw.get("proof_samples", 64)
    if not isinstance(samples, int) or isinstance(samples, bool) or not 2 <= samples <= 4096:
        raise fail("firmware.proof_samples", "expected an integer from 2 to 4096")
    hpa = data.get("hpa", {})
    if not isinstance(hpa, dict):
        raise MethodFileError(source, None, "hpa", "expected a table")
    restore = hpa.get("restore_native_max", True)
    if not isinstance(restore, bool):
        raise fail("hpa.restore_native_max", "expected true or false")
    return Policy(media, allow, samples, source, restore)
