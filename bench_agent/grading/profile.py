"""Grading profiles: loading, inheritance (``extends``) and validation.

A profile is a TOML file under ``profiles/grading/`` (or any path). ``extends``
names another profile, looked up first beside the file, then among the shipped
ones; the child's tables are merged key by key over the parent's (so a
reconditioner overrides a few rules), arrays (thresholds, bands) are replaced
whole, and ``enabled = false`` switches an inherited rule off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading.categories import BAND_CATEGORIES
from bench_agent.grading.spec import (
    CosmeticScaleSpec,
    CriterionSpec,
    FailEffect,
    Locator,
    NeedSpec,
    ProfileSpec,
    convert,
)
from bench_agent.grading.toml_source import Path_, ProfileError, TomlSource, read_toml
from bench_agent.i18n import _t

CATEGORY_ORDER = BAND_CATEGORIES
DEFAULT_FAIL_EFFECT: FailEffect = "TO_REPAIR"
"""What a failed test does when the profile's ``[functional.on_fail]`` has no entry for
it and no ``default``: the part must be repaired before the unit leaves."""
CRITERIA = ("ram", "ssd", "hdd", "cpu", "screen", "battery")


def shipped_dir() -> Path:
    from profiles import profiles_dir

    return profiles_dir()


@dataclass(frozen=True)
class Profile:
    """A validated grading profile, inheritance resolved."""

    spec: ProfileSpec
    chain: tuple[str, ...]
    """Files merged, the profile's own file first, then its ancestors."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    def criterion(self, key: str) -> CriterionSpec | None:
        crit: CriterionSpec | None = getattr(self.spec.criteria, key)
        return crit if crit is not None and crit.enabled else None

    def fail_effect(self, test: str) -> FailEffect:
        """What a failed ``test`` does to the unit, by the profile's ``[functional.on_fail]``."""
        gate = self.spec.functional
        table = gate.on_fail if gate is not None else {}
        return table.get(test, table.get("default", DEFAULT_FAIL_EFFECT))

    def band_max(self, category: str) -> int | None:
        for band in self.spec.bands:
            if band.category == category:
                return band.max
        return None

    def category_for(self, note: int) -> str:
        bands = self.spec.bands
        if note < bands[0].min:
            return bands[0].category  # below the lowest band: the lowest category
        for band in bands:
            if band.max is None or note <= band.max:
                return band.category
        return bands[-1].category


def list_profiles(directory: Path | None = None) -> list[Path]:
    folder = directory or shipped_dir() / "grading"
    return sorted(folder.glob("*.toml"))


def load_profile(name_or_path: str | Path, search: tuple[Path, ...] = ()) -> Profile:
    """Load a profile by name (shipped, or in ``search`` folders) or by file path."""
    path = _find(str(name_or_path), search, None)
    chain: list[TomlSource] = []
    seen: list[str] = []
    current: Path | None = path
    while current is not None:
        source = read_toml(current)
        data = source.data
        label = str(data.get("name", current.stem))
        if label in seen:
            cycle = " → ".join([*seen, label])
            raise ProfileError(
                source.file,
                source.line_of(("extends",)),
                "extends",
                _t("héritage circulaire : {cycle}", cycle=cycle),
                _t("une chaîne qui se termine par un profil sans « extends »"),
            )
        seen.append(label)
        chain.append(source)
        parent = data.get("extends")
        if parent is None:
            current = None
        elif not isinstance(parent, str):
            raise ProfileError(
                source.file,
                source.line_of(("extends",)),
                "extends",
                _t("mauvais type"),
                _t("le nom d'un profil entre guillemets"),
            )
        else:
            current = _find(parent, (*search, current.parent), source)
    merged: dict[str, Any] = {}
    provenance: dict[Path_, TomlSource] = {}
    for source in reversed(chain):
        _merge(merged, source.data, (), source, provenance)
    # "extends" belongs to the child only; the merged document keeps the child's value.
    merged["extends"] = chain[0].data.get("extends")
    locate = Locator(provenance, chain[0])
    spec = convert(merged, ProfileSpec, locate)
    validate_profile(spec, locate)
    return Profile(spec=spec, chain=tuple(s.file for s in chain))


def _find(name: str, search: tuple[Path, ...], referrer: TomlSource | None) -> Path:
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    for folder in (*search, shipped_dir() / "grading"):
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    known = ", ".join(p.stem for p in list_profiles())
    if referrer is not None:
        raise ProfileError(
            referrer.file,
            referrer.line_of(("extends",)),
            "extends",
            _t("profil parent « {name} » introuvable", name=name),
            _t("un de : {known}", known=known),
        )
    raise ProfileError(
        name,
        None,
        "(profile)",
        _t("profil introuvable"),
        _t("un fichier .toml ou un de : {known}", known=known),
    )


def _merge(
    into: dict[str, Any],
    over: dict[str, Any],
    prefix: Path_,
    source: TomlSource,
    provenance: dict[Path_, TomlSource],
) -> None:
    for key, value in over.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, path, source, provenance)
            continue
        for stale in [p for p in provenance if p[: len(path)] == path]:
            del provenance[stale]
        into[key] = value
        _record(value, path, source, provenance)


def _record(
    value: Any, path: Path_, source: TomlSource, provenance: dict[Path_, TomlSource]
) -> None:
    provenance[path] = source
    if isinstance(value, dict):
        for key, item in value.items():
            _record(item, (*path, key), source, provenance)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _record(item, (*path, index), source, provenance)


def validate_profile(spec: ProfileSpec, locate: Locator) -> None:
    """Checks the shapes cannot express: orders, lengths, bands without gaps or overlaps."""
    try:
        dt.date.fromisoformat(spec.valid_from)
    except ValueError:
        raise locate.error(
            ("valid_from",),
            _t("date invalide « {valid_from} »", valid_from=spec.valid_from),
            _t("une date AAAA-MM-JJ"),
        ) from None
    for key in CRITERIA:
        crit = getattr(spec.criteria, key)
        if crit is not None:
            _validate_criterion(crit, ("criteria", key), locate)
    tech = spec.technician
    for kind in ("technical", "aesthetic"):
        low, high = getattr(tech, f"{kind}_min"), getattr(tech, f"{kind}_max")
        if not low <= 0 <= high:
            raise locate.error(
                ("technician", f"{kind}_min"),
                _t("plage {low}..{high} sans 0", low=low, high=high),
                _t("min ≤ 0 ≤ max"),
            )
    _validate_bands(spec, locate)
    categories = {band.category for band in spec.bands}
    for name, mod in spec.modifiers.items():
        _validate_condition(mod.when, ("modifiers", name, "when"), locate)
    for name, cap in spec.caps.items():
        path: Path_ = ("caps", name)
        if (cap.max_note is None) == (cap.max_category is None):
            raise locate.error(
                path,
                _t("plafond mal défini"),
                _t("exactement un de : max_note, max_category"),
            )
        if cap.max_category is not None and cap.max_category not in categories:
            raise locate.error(
                (*path, "max_category"),
                _t("catégorie {max_category} absente des tranches", max_category=cap.max_category),
                _t("une catégorie des tranches"),
            )
        _validate_condition(cap.when, (*path, "when"), locate)
    _validate_functional_gate(spec, categories, locate)


def _validate_functional_gate(
    spec: ProfileSpec, categories: Collection[str], locate: Locator
) -> None:
    """Test names must be the catalogue's (a typo would silently drop a legal test)."""
    gate = spec.functional
    if gate is None:
        return
    known = [test.name for test in CATALOGUE]
    listed = ", ".join(known)
    seen: set[str] = set()
    for index, name in enumerate(gate.required):
        path: Path_ = ("functional", "required", index)
        if name not in known:
            raise locate.error(
                path,
                _t("test inconnu « {name} »", name=name),
                _t("un de : {listed}", listed=listed),
            )
        if name in seen:
            raise locate.error(
                path,
                _t("test « {name} » en double", name=name),
                _t("chaque test une seule fois"),
            )
        seen.add(name)
    for name, effect in gate.on_fail.items():
        path = ("functional", "on_fail", name)
        if name != "default" and name not in known:
            raise locate.error(
                path,
                _t("test inconnu « {name} »", name=name),
                _t("default ou un de : {listed}", listed=listed),
            )
        if effect in BAND_CATEGORIES and effect not in categories:
            raise locate.error(
                path,
                _t("catégorie {effect} absente des tranches", effect=effect),
                _t("TO_REPAIR, NOT_DISTRIBUTABLE ou une catégorie des tranches"),
            )


def _validate_criterion(crit: CriterionSpec, path: Path_, locate: Locator) -> None:
    limits = crit.thresholds
    if not limits or any(b <= a for a, b in pairwise(limits)):
        raise locate.error(
            (*path, "thresholds"),
            _t("seuils {limits} non strictement croissants", limits=limits),
            _t("au moins un seuil, en ordre croissant"),
        )
    if len(crit.notes) != len(limits) + 1:
        raise locate.error(
            (*path, "notes"),
            _t(
                "{n_notes} notes pour {n_limits} seuils",
                n_notes=len(crit.notes),
                n_limits=len(limits),
            ),
            _t(
                "{n_limits} notes (une par seuil, plus une au-delà du dernier)",
                n_limits=len(limits) + 1,
            ),
        )
    if any(b < a for a, b in pairwise(crit.notes)):
        raise locate.error(
            (*path, "notes"),
            _t("notes {notes} décroissantes", notes=crit.notes),
            _t("des notes qui ne baissent pas quand la valeur monte"),
        )
    if not 0 <= crit.tolerance_pct < 50:
        raise locate.error(
            (*path, "tolerance_pct"),
            _t("tolérance {tolerance_pct} hors plage", tolerance_pct=crit.tolerance_pct),
            _t("un pourcentage entre 0 et 50"),
        )


def _validate_condition(when: Any, path: Path_, locate: Locator) -> None:
    if when.storage is None and when.cpu_below is None and when.win11_ready is None:
        raise locate.error(
            path,
            _t("condition vide"),
            _t("au moins un de : storage, cpu_below, win11_ready"),
        )


def _validate_bands(spec: ProfileSpec, locate: Locator) -> None:
    bands = spec.bands
    if not bands:
        raise locate.error(
            ("bands",),
            _t("aucune tranche"),
            _t("au moins une tranche [[bands]]"),
        )
    previous_rank = -1
    for index, band in enumerate(bands):
        path: Path_ = ("bands", index)
        rank = CATEGORY_ORDER.index(band.category)
        if rank <= previous_rank:
            order = ", ".join(CATEGORY_ORDER)
            raise locate.error(
                (*path, "category"),
                _t("catégorie {category} hors ordre", category=band.category),
                _t("des catégories croissantes {order}", order=order),
            )
        previous_rank = rank
        if band.max is not None and band.max < band.min:
            raise locate.error(
                (*path, "max"),
                _t("max {max} < min {min}", max=band.max, min=band.min),
                _t("max ≥ min"),
            )
        if band.max is None and index != len(bands) - 1:
            raise locate.error(
                (*path, "max"),
                _t("tranche ouverte avant la dernière"),
                _t("un max pour toutes les tranches sauf la dernière"),
            )
        if index == 0:
            if band.min != 0:
                raise locate.error(
                    (*path, "min"),
                    _t("première tranche à {min}", min=band.min),
                    _t("une première tranche qui commence à 0"),
                )
            continue
        before = bands[index - 1]
        assert before.max is not None  # checked on the previous iteration
        low, high = before.category, band.category
        if band.min <= before.max:
            raise locate.error(
                (*path, "min"),
                _t(
                    "tranches qui se chevauchent : la note {min} est en {low} et en {high}",
                    min=band.min,
                    low=low,
                    high=high,
                ),
                _t("min = {max}", max=before.max + 1),
            )
        if band.min > before.max + 1:
            first, last = before.max + 1, band.min - 1
            gap = (
                _t("trou entre les tranches : la note {first} sans catégorie", first=first)
                if first == last
                else _t(
                    "trou entre les tranches : les notes {first} à {last} sans catégorie",
                    first=first,
                    last=last,
                )
            )
            raise locate.error((*path, "min"), gap, _t("min = {max}", max=before.max + 1))
    if bands[-1].max is not None:
        raise locate.error(
            ("bands", len(bands) - 1, "max"),
            _t("dernière tranche fermée"),
            _t("une dernière tranche sans max (notes élevées)"),
        )


def load_need(path: Path) -> NeedSpec:
    source = read_toml(path)
    return convert(source.data, NeedSpec, Locator.single(source))


def load_needs(directory: Path | None = None) -> list[NeedSpec]:
    folder = directory or shipped_dir() / "needs"
    return [load_need(p) for p in sorted(folder.glob("*.toml"))]


def load_cosmetic_scale(path: Path | None = None) -> CosmeticScaleSpec:
    source = read_toml(path or shipped_dir() / "cosmetic" / "ereuse-appearance.toml")
    scale = convert(source.data, CosmeticScaleSpec, Locator.single(source))
    codes = [g.code for g in scale.grades]
    if len(set(codes)) != len(codes):
        raise Locator.single(source).error(
            ("grades",),
            _t("codes en double {codes}", codes=codes),
            _t("des codes uniques"),
        )
    return scale
