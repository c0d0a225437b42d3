"""Typed shapes of the data files under ``profiles/`` and their conversion with errors
that name the file, the line, the field and what was expected."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal, TypeVar

import msgspec

from bench_agent.grading.toml_source import Path_, ProfileError, TomlSource, format_path
from bench_agent.i18n import N_, _t, join
from bench_agent.model.common import Text

BandCategory = Literal["D", "C", "B", "A", "PREMIUM"]
StorageKind = Literal["hdd", "ssd", "nvme"]
Blocking = Literal["NOT_DISTRIBUTABLE", "TO_REPAIR"]
"""A gate's verdict: the unit cannot leave (non distribuable) or must be repaired first."""
FailEffect = Literal["NOT_DISTRIBUTABLE", "TO_REPAIR", "D", "C", "B", "A", "PREMIUM"]
"""What a failed functional test does: block the unit, or cap it at a band category."""


class Spec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of data-file shapes: unknown fields are errors (a typo must not be ignored)."""


class CriterionSpec(Spec, kw_only=True):
    thresholds: list[float]
    """Ascending limits; a value takes the note of the first limit it is below."""
    notes: list[int]
    """One note per threshold plus one for values at or above the last threshold."""
    tolerance_pct: float = 0.0
    """Limits are lowered by this share before comparing (older revision: 6)."""
    unknown_note: int = 0
    """Note when the value is unknown (CPU not in the table, RAM not readable)."""
    enabled: bool = True


class CriteriaSpec(Spec, kw_only=True):
    ram: CriterionSpec | None = None
    """Installed RAM in GiB."""
    ssd: CriterionSpec | None = None
    """System SSD capacity in GB (10^9 bytes)."""
    hdd: CriterionSpec | None = None
    """System HDD capacity in GB."""
    cpu: CriterionSpec | None = None
    """CPU score from the CPU table."""
    screen: CriterionSpec | None = None
    """Internal screen diagonal in inches (optional criterion)."""
    battery: CriterionSpec | None = None
    """Worst battery health in percent (optional criterion)."""


class ConditionSpec(Spec, kw_only=True):
    storage: StorageKind | None = None
    """The system disk is of this kind (``ssd`` includes NVMe; unknown media counts as HDD)."""
    cpu_below: float | None = None
    """The CPU score is below this (an unscored CPU counts as below: the cautious reading)."""
    win11_ready: bool | None = None
    """Windows 11 readiness equals this (unknown readiness counts as not ready)."""


class ModifierSpec(Spec, kw_only=True):
    delta: int
    when: ConditionSpec
    label_fr: str
    label_en: str
    enabled: bool = True


class CapSpec(Spec, kw_only=True):
    max_note: int | None = None
    max_category: BandCategory | None = None
    when: ConditionSpec
    label_fr: str
    label_en: str
    enabled: bool = True


class BandSpec(Spec, kw_only=True):
    category: BandCategory
    min: int
    max: int | None = None
    """Inclusive; only the last band may leave it out (open-ended)."""


class TechnicianSpec(Spec, kw_only=True):
    technical_min: int = -2
    technical_max: int = 2
    aesthetic_min: int = -2
    aesthetic_max: int = 2


class DiskRulesSpec(Spec, kw_only=True):
    fail_not_distributable: bool = True
    """A disk whose health verdict is FAIL makes the unit not distributable until replaced."""
    missing_not_distributable: bool = True
    """A unit without an internal disk is not distributable until one is fitted."""


class BatteryRulesSpec(Spec, kw_only=True):
    replace_below_pct: float | None = None
    """Health below this (percent) asks for a new battery."""


class ErasureGateSpec(Spec, kw_only=True):
    required: bool
    """Every internal disk's latest erasure certificate must say ERASED (UNVERIFIED,
    FAILED, ABORTED, INTERRUPTED and DRY_RUN never count)."""
    missing: Blocking = "NOT_DISTRIBUTABLE"
    """The category of a unit with a disk not so covered."""


class FunctionalGateSpec(Spec, kw_only=True):
    required: list[str]
    """Catalogue test names that must have a result (pass, fail, or n/a: the technician
    confirmed the model has no such part)."""
    missing: Blocking = "NOT_DISTRIBUTABLE"
    """The category of a unit with a required test without a result."""
    on_fail: dict[str, FailEffect] = {}
    """Test name (or ``default``) → what its failure does. Unlisted tests take
    ``default``; without ``default``, TO_REPAIR."""
    enabled: bool = True


class ProfileSpec(Spec, kw_only=True):
    name: str
    version: str
    valid_from: str
    """ISO date (YYYY-MM-DD) from which the network applies this revision."""
    extends: str | None = None
    description_fr: str = ""
    description_en: str = ""
    criteria: CriteriaSpec
    technician: TechnicianSpec = msgspec.field(default_factory=TechnicianSpec)
    modifiers: dict[str, ModifierSpec] = {}
    caps: dict[str, CapSpec] = {}
    disk: DiskRulesSpec = msgspec.field(default_factory=DiskRulesSpec)
    battery: BatteryRulesSpec = msgspec.field(default_factory=BatteryRulesSpec)
    erasure: ErasureGateSpec | None = None
    """The erasure gate; without it (older profiles) erasures do not change the grade."""
    functional: FunctionalGateSpec | None = None
    """The functional-test gate; without it test results do not change the grade."""
    bands: list[BandSpec]


class Requirement(Spec, kw_only=True):
    why_fr: str
    why_en: str


class RamRequirement(Requirement, kw_only=True):
    min_gib: float


class StorageRequirement(Requirement, kw_only=True):
    min_gb: float
    ssd: bool = False


class CpuRequirement(Requirement, kw_only=True):
    min_score: float


class ScreenRequirement(Requirement, kw_only=True):
    min_diagonal_in: float | None = None
    min_height_px: int | None = None


class BatteryRequirement(Requirement, kw_only=True):
    min_health_pct: float


class WebcamRequirement(Requirement, kw_only=True):
    present: bool = True


class RequiresSpec(Spec, kw_only=True):
    ram: RamRequirement | None = None
    storage: StorageRequirement | None = None
    cpu: CpuRequirement | None = None
    screen: ScreenRequirement | None = None
    battery: BatteryRequirement | None = None
    webcam: WebcamRequirement | None = None


class NeedSpec(Spec, kw_only=True):
    id: str
    name_fr: str
    name_en: str
    description_fr: str = ""
    description_en: str = ""
    requires: RequiresSpec


class CosmeticGradeSpec(Spec, kw_only=True):
    code: str
    fr: str
    en: str


class CosmeticScaleSpec(Spec, kw_only=True):
    name: str
    version: str
    grades: list[CosmeticGradeSpec]


T = TypeVar("T")

_MSG = re.compile(r"^(?P<what>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.S)
_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")


def _parse_msgspec_path(raw: str | None) -> Path_:
    if not raw or not raw.startswith("$"):
        return ()
    out: list[str | int] = []
    for name, index in _PATH_TOKEN.findall(raw[1:]):
        if name:
            out.append(name)
        elif index != "...":
            out.append(int(index))
    return tuple(out)


def _unwrap(tp: Any) -> Any:
    """The Struct (or container) inside ``X | None``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return tp


def _type_at(root: Any, path: Path_) -> Any:
    tp = _unwrap(root)
    for part in path:
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(part, str):
            found = {f.name: f.type for f in msgspec.structs.fields(tp)}
            if part not in found:
                return None
            tp = _unwrap(found[part])
        elif typing.get_origin(tp) is dict and isinstance(part, str):
            tp = _unwrap(typing.get_args(tp)[1])
        elif typing.get_origin(tp) is list and isinstance(part, int):
            tp = _unwrap(typing.get_args(tp)[0])
        else:
            return None
    return tp


def _field_names(tp: Any) -> list[str]:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return [f.name for f in msgspec.structs.fields(tp)]
    return []


_TYPE_WORDS = {
    "int": N_("un entier"),
    "float": N_("un nombre"),
    "str": N_("un texte entre guillemets"),
    "bool": N_("true ou false"),
    "array": N_("une liste [...]"),
    "object": N_("une table"),
    "null": N_("rien"),
}


def _type_words(expr: str) -> Text:
    parts = [p.strip() for p in expr.split("|") if p.strip() != "null"]
    return join(_t(" ou "), [_t(_TYPE_WORDS.get(p, p)) for p in parts])


def convert(data: Any, tp: type[T], locate: Locator, prefix: Path_ = ()) -> T:
    """``msgspec.convert`` whose errors name the file, line and field."""
    try:
        return msgspec.convert(data, tp)
    except msgspec.ValidationError as exc:
        raise _translate(str(exc), tp, locate, prefix, data) from exc


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _dict_entry_error(
    message: str, root: Any, locate: Locator, prefix: Path_, data: Any
) -> ProfileError | None:
    """msgspec says ``[...]`` for a bad entry of a table of tables (``caps``,
    ``functional.on_fail``) without its key: convert each entry to find which one."""
    match = _MSG.match(message)
    raw = match.group("path") if match else None
    if not raw or "[...]" not in raw:
        return None
    table_path = _parse_msgspec_path(raw[: raw.index("[...]")])
    table = _value_at(data, table_path)
    table_type = _type_at(root, table_path)
    if not isinstance(table, dict) or typing.get_origin(table_type) is not dict:
        return None
    entry_type = typing.get_args(table_type)[1]
    for key, value in table.items():
        try:
            msgspec.convert(value, entry_type)
        except msgspec.ValidationError as exc:
            return _translate(str(exc), entry_type, locate, (*prefix, *table_path, key), value)
    return None


class Locator:
    """Finds the file and line of a key path, across files merged by inheritance."""

    def __init__(self, sources: dict[Path_, TomlSource], default: TomlSource) -> None:
        self._sources = sources
        self._default = default

    @classmethod
    def single(cls, source: TomlSource) -> Locator:
        return cls({}, source)

    def source_of(self, path: Path_) -> TomlSource:
        probe = tuple(path)
        while probe:
            if probe in self._sources:
                return self._sources[probe]
            probe = probe[:-1]
        return self._default

    def error(self, path: Path_, problem: Text, expected: Text) -> ProfileError:
        source = self.source_of(path)
        return ProfileError(source.file, source.line_of(path), format_path(path), problem, expected)


def _translate(
    message: str, root: Any, locate: Locator, prefix: Path_, data: Any = None
) -> ProfileError:
    if (entry := _dict_entry_error(message, root, locate, prefix, data)) is not None:
        return entry
    match = _MSG.match(message)
    what = match.group("what") if match else message
    path = (*prefix, *_parse_msgspec_path(match.group("path") if match else None))
    if m := re.match(r"Object contains unknown field `(.+)`", what):
        names = _field_names(_type_at(root, path[len(prefix) :]))
        return locate.error(
            (*path, m.group(1)),
            _t("champ inconnu"),
            _t("un de : {names}", names=", ".join(names)),
        )
    if m := re.match(r"Object missing required field `(.+)`", what):
        return locate.error(
            path,
            _t("champ obligatoire « {value} » absent", value=m.group(1)),
            _t("une valeur pour « {value} »", value=m.group(1)),
        )
    if m := re.match(r"Expected `(.+)`, got `(.+)`", what):
        got = _type_words(m.group(2))
        return locate.error(path, _t("mauvais type ({got})", got=got), _type_words(m.group(1)))
    if m := re.match(r"Invalid enum value (.+)", what):
        allowed = typing.get_args(_type_at(root, path[len(prefix) :]))
        listed = ", ".join(str(a) for a in allowed)
        return locate.error(
            path,
            _t("valeur invalide {value}", value=m.group(1)),
            _t("un de : {listed}", listed=listed),
        )
    return locate.error(path, Text(fr=what, en=what), _t("une valeur valide"))
