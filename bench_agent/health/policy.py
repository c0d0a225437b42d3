"""The health policy: every threshold of the verdict, loaded from a TOML file.

The default is ``profiles/health/default.toml`` (shipped as package data); a
reconditioner passes its own copy. A bad file raises :class:`PolicyError`
naming the file and the line (TOML syntax) or the field (wrong type, unknown
key, inconsistent levels).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

import msgspec

Level = Literal["INFO", "WORN", "SUSPECT", "FAIL"]
Medium = Literal["hdd", "ssd"]
"""An ATA drive's medium: spinning platters or flash (a SATA SSD). NVMe has its own section."""


class PolicyError(ValueError):
    """A health policy file could not be read or is inconsistent."""


class _Section(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class Overall(_Section, kw_only=True):
    failed: Level = "FAIL"


class AttributeThreshold(_Section, kw_only=True):
    failing_now_prefail: Level = "FAIL"
    failing_now_old_age: Level = "SUSPECT"
    failed_in_past_prefail: Level = "SUSPECT"
    failed_in_past_old_age: Level = "INFO"


class AtaCounter(_Section, kw_only=True):
    id: int | None = None
    ids: list[int] = msgspec.field(default_factory=list)
    """Several vendor ids for one counter; then ``name_pattern`` must match the name."""
    name_pattern: str | None = None
    code: str
    media: list[Medium] = msgspec.field(default_factory=lambda: ["hdd", "ssd"])
    """The media this counter is judged on (a retired block is routine on an SSD)."""
    worn_min: int | None = None
    suspect_min: int | None = None
    fail_min: int | None = None


class PowerOn(_Section, kw_only=True):
    worn_min_hours: int | None = None


class WearAttribute(_Section, kw_only=True):
    """One vendor's ATA wear indicator: a normalised value that is the life left, in %."""

    id: int
    name_pattern: str
    vendor: str = ""


class Wear(_Section, kw_only=True):
    worn_min_pct: int = 70
    fail_min_pct: int | None = 100
    ata_attribute: list[WearAttribute] = msgspec.field(default_factory=list)
    ata_life_ids: list[int] = msgspec.field(default_factory=list)
    """Older policy files: ids read when their name matches ``ata_life_name_pattern``."""
    ata_life_name_pattern: str = ".*"


class Reserve(_Section, kw_only=True):
    ata_reserve_ids: list[int] = msgspec.field(default_factory=list)
    ata_reserve_name_pattern: str = ".*"
    worn_max_pct: int = 50
    fail_max_pct: int | None = None
    """Spare left at or below this is ``at_threshold`` even when the drive gives no threshold."""
    at_threshold: Level = "FAIL"


class Ssd(_Section, kw_only=True):
    """SATA SSD rules: retired blocks are judged by the spare they used, not counted."""

    retired_block_ids: list[int] = msgspec.field(default_factory=lambda: [5])
    retired_block_name_pattern: str = ".*"
    retired_unknown_spare_suspect_min: int | None = None
    """Without any spare indicator, this many retired blocks is SUSPECT."""
    retired_unknown_spare_fail_min: int | None = None
    wear_unknown: Level = "INFO"
    """A SATA SSD without any wear indicator: always shown, at this level."""


class AtaErrorLog(_Section, kw_only=True):
    suspect_min: int | None = None
    info_min: int | None = 1


class SelfTest(_Section, kw_only=True):
    failed: Level = "FAIL"
    failed_superseded: Level = "SUSPECT"


class CriticalWarningBit(_Section, kw_only=True):
    bit: int
    code: str
    severity: Level


class Nvme(_Section, kw_only=True):
    media_errors_fail_min: int = 1
    critical_warning_bits: list[CriticalWarningBit] = msgspec.field(default_factory=list)


class Scsi(_Section, kw_only=True):
    grown_defects_suspect_min: int | None = 1
    grown_defects_fail_min: int | None = None
    uncorrected_errors_suspect_min: int | None = 1


class ReadCheckPolicy(_Section, kw_only=True):
    min_throughput_mb_s: float = 10.0
    slow: Level = "SUSPECT"
    read_error: Level = "FAIL"


class Policy(_Section, kw_only=True):
    name: str
    version: int = 1
    overall: Overall = msgspec.field(default_factory=Overall)
    attribute_threshold: AttributeThreshold = msgspec.field(default_factory=AttributeThreshold)
    ata_counter: list[AtaCounter] = msgspec.field(default_factory=list)
    power_on: PowerOn = msgspec.field(default_factory=PowerOn)
    wear: Wear = msgspec.field(default_factory=Wear)
    reserve: Reserve = msgspec.field(default_factory=Reserve)
    ssd: Ssd = msgspec.field(default_factory=Ssd)
    ata_error_log: AtaErrorLog = msgspec.field(default_factory=AtaErrorLog)
    self_test: SelfTest = msgspec.field(default_factory=SelfTest)
    nvme: Nvme = msgspec.field(default_factory=Nvme)
    scsi: Scsi = msgspec.field(default_factory=Scsi)
    read_check: ReadCheckPolicy = msgspec.field(default_factory=ReadCheckPolicy)
    source: str = ""
    """The file this policy came from (filled by the loader)."""


def default_policy_text() -> str:
    """The shipped default policy, from the ``profiles`` package data."""
    import profiles

    # Walk __path__ rather than importlib.resources: an editable install made
    # before profiles/__init__.py existed turns ``profiles`` into a namespace
    # package whose resource reader rejects the editable finder's path hook.
    for base in list(getattr(profiles, "__path__", [])):
        candidate = Path(str(base)) / "health" / "default.toml"
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files("profiles").joinpath("health/default.toml").read_text(encoding="utf-8")


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate a policy; PolicyError names ``source`` and the line or field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: invalid TOML: {exc}") from None
    try:
        policy = msgspec.convert(raw, type=Policy)
    except msgspec.ValidationError as exc:
        # msgspec names the field as a path: "... - at `$.ata_counter[0].fail_min`".
        match = re.search(r"`\$\.([^`]+)`", str(exc))
        line = _line_of(text, match.group(1)) if match else None
        where = f" (line {line})" if line else ""
        raise PolicyError(f"{source}{where}: {exc}") from None
    _check(policy, source, text)
    policy.source = source
    return policy


def load_policy(path: str | Path | None = None) -> Policy:
    """Load ``path`` or the shipped default policy."""
    if path is None:
        return parse_policy(default_policy_text(), "profiles/health/default.toml")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{file}: cannot read the policy file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{file}: the policy file is not UTF-8 text") from None
    return parse_policy(text, str(file))


def _line_of(text: str, field_path: str) -> int | None:
    """Best-effort line of a field path such as ``ata_counter[7].suspect_min``."""
    lines = text.splitlines()
    start = 0
    tokens = re.findall(r"([A-Za-z_]+)(?:\[(\d+)\])?", field_path)
    for depth, (name, index) in enumerate(tokens):
        last = depth == len(tokens) - 1
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(name)}\s*\]\]?\s*(#.*)?$")
        key = re.compile(rf"^\s*{re.escape(name)}\s*=")
        wanted = int(index) if index else 0
        seen = -1
        for number in range(start, len(lines)):
            if header.match(lines[number]) and not last:
                seen += 1
            elif key.match(lines[number]):
                if last or not index:
                    return number + 1
                seen = wanted  # an inline array: report the key's line
            if seen == wanted:
                start = number + 1
                break
        else:
            return None
    return start or None


def _check(policy: Policy, source: str, text: str = "") -> None:
    def fail(field: str, why: str) -> None:
        # "ata_counter[0] (id 5).fail_min" -> "ata_counter[0].fail_min"
        path = re.sub(r" \(id [^)]*\)", "", field)
        line = _line_of(text, path) if text else None
        where = f" (line {line})" if line else ""
        raise PolicyError(f"{source}{where}: field {field}: {why}")

    for index, counter in enumerate(policy.ata_counter):
        where = f"ata_counter[{index}] (id {counter.id or counter.ids})"
        ids = [counter.id] if counter.id is not None else counter.ids
        if not ids or (counter.id is not None and counter.ids):
            fail(where, "give either id or ids")
        if any(not 1 <= i <= 255 for i in ids):
            fail(f"{where}.id", "an ATA attribute id is between 1 and 255")
        if counter.name_pattern is not None:
            try:
                re.compile(counter.name_pattern)
            except re.error as exc:
                fail(f"{where}.name_pattern", f"invalid regular expression ({exc})")
        levels = [counter.worn_min, counter.suspect_min, counter.fail_min]
        if all(level is None for level in levels):
            fail(where, "needs at least one of worn_min, suspect_min, fail_min")
        if any(level is not None and level < 0 for level in levels):
            fail(where, "thresholds must be >= 0")
        lower = counter.suspect_min if counter.suspect_min is not None else counter.worn_min
        if lower is not None and counter.fail_min is not None and counter.fail_min < lower:
            fail(f"{where}.fail_min", f"{counter.fail_min} is below the warning level {lower}")
    for index, wear_attr in enumerate(policy.wear.ata_attribute):
        if not 1 <= wear_attr.id <= 255:
            fail(f"wear.ata_attribute[{index}].id", "an ATA attribute id is between 1 and 255")
        try:
            re.compile(wear_attr.name_pattern)
        except re.error as exc:
            fail(f"wear.ata_attribute[{index}].name_pattern", f"invalid regular expression ({exc})")
    ssd = policy.ssd
    if (
        ssd.retired_unknown_spare_suspect_min is not None
        and ssd.retired_unknown_spare_fail_min is not None
        and ssd.retired_unknown_spare_fail_min < ssd.retired_unknown_spare_suspect_min
    ):
        fail(
            "ssd.retired_unknown_spare_fail_min", "must be >= ssd.retired_unknown_spare_suspect_min"
        )
    reserve = policy.reserve
    if reserve.fail_max_pct is not None and reserve.fail_max_pct > reserve.worn_max_pct:
        fail("reserve.fail_max_pct", "must be <= reserve.worn_max_pct")
    if policy.wear.fail_min_pct is not None and policy.wear.fail_min_pct < policy.wear.worn_min_pct:
        fail("wear.fail_min_pct", "must be >= wear.worn_min_pct")
    for name, pattern in (
        ("wear.ata_life_name_pattern", policy.wear.ata_life_name_pattern),
        ("reserve.ata_reserve_name_pattern", policy.reserve.ata_reserve_name_pattern),
        ("ssd.retired_block_name_pattern", policy.ssd.retired_block_name_pattern),
    ):
        try:
            re.compile(pattern)
        except re.error as exc:
            fail(name, f"invalid regular expression ({exc})")
    for index, bit in enumerate(policy.nvme.critical_warning_bits):
        if not 0 <= bit.bit <= 7:
            fail(f"nvme.critical_warning_bits[{index}].bit", "a bit of one byte is 0..7")
    if policy.read_check.min_throughput_mb_s < 0:
        fail("read_check.min_throughput_mb_s", "must be >= 0")
