"""The functional-test thresholds, from ``profiles/functional/default.toml`` or a copy.

A malformed file raises :class:`~bench_agent.grading.toml_source.ProfileError` naming
the file, the line and the field, like the grading profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_agent.grading.toml_source import ProfileError, TomlSource, format_path, read_toml
from bench_agent.i18n import _t
from bench_agent.model.common import Text


@dataclass(frozen=True, slots=True)
class FunctionalProfile:
    name: str
    version: int
    battery_min_health_pct: float
    battery_min_autonomy_min: float
    microphone_min_level_dbfs: float
    microphone_record_s: int
    usb_plug_timeout_s: float
    usb_poll_interval_s: float
    wifi_min_networks: int
    source: str


# section -> key -> (type, lowest allowed, highest allowed)
_SCHEMA: dict[str, dict[str, tuple[type, float, float]]] = {
    "battery": {"min_health_pct": (float, 0, 100), "min_autonomy_min": (float, 0, 10_000)},
    "microphone": {"min_level_dbfs": (float, -120, 0), "record_s": (int, 1, 30)},
    "usb": {"plug_timeout_s": (float, 1, 600), "poll_interval_s": (float, 0.05, 10)},
    "wifi": {"min_networks": (int, 0, 1000)},
}


def default_profile_path() -> Path:
    from profiles import profiles_dir

    return profiles_dir() / "functional" / "default.toml"


def load_functional_profile(path: str | Path | None = None) -> FunctionalProfile:
    """Read and check a functional profile (the shipped default when ``path`` is None)."""
    file = Path(path) if path is not None else default_profile_path()
    display = str(path) if path is not None else "profiles/functional/default.toml"
    return profile_from_source(read_toml(file, display))


def _error(src: TomlSource, key: tuple[str, ...], problem: Text, expected: Text) -> ProfileError:
    where = src.line_of(key)
    return ProfileError(src.file, where, format_path(key), problem, expected)


def profile_from_source(src: TomlSource) -> FunctionalProfile:
    data = src.data
    for top in data:
        if top not in _SCHEMA and top not in ("name", "version"):
            raise _error(
                src,
                (top,),
                _t("clé inconnue"),
                Text(
                    fr="name, version, " + ", ".join(_SCHEMA),
                    en="name, version, " + ", ".join(_SCHEMA),
                ),
            )
    name = data.get("name", "")
    if not isinstance(name, str) or not name:
        raise _error(src, ("name",), _t("nom manquant ou vide"), _t("un texte"))
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise _error(
            src,
            ("version",),
            _t("valeur {version!r}", version=version),
            _t("un entier"),
        )
    values: dict[str, Any] = {}
    for section, keys in _SCHEMA.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise _error(
                src,
                (section,),
                _t("section manquante"),
                _t("une table [{section}]", section=section),
            )
        for key in table:
            if key not in keys:
                raise _error(
                    src,
                    (section, key),
                    _t("clé inconnue"),
                    Text(fr=", ".join(keys), en=", ".join(keys)),
                )
        for key, (kind, low, high) in keys.items():
            where = (section, key)
            if key not in table:
                raise _error(
                    src,
                    where,
                    _t("clé manquante"),
                    _t("une valeur entre {low:g} et {high:g}", low=low, high=high),
                )
            value = table[key]
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if kind is int and not isinstance(value, int):
                numeric = False
            if not numeric:
                raise _error(
                    src,
                    where,
                    _t("valeur {value!r}", value=value),
                    _t(
                        "{what} entre {low:g} et {high:g}",
                        what=_t("un entier") if kind is int else _t("un nombre"),
                        low=low,
                        high=high,
                    ),
                )
            if not low <= value <= high:
                raise _error(
                    src,
                    where,
                    _t("valeur {value!r} hors limites", value=value),
                    _t("entre {low:g} et {high:g}", low=low, high=high),
                )
            values[f"{section}_{key}"] = kind(value)
    return FunctionalProfile(name=name, version=version, source=src.file, **values)


__all__ = ["FunctionalProfile", "ProfileError", "load_functional_profile"]
