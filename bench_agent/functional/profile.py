"""The functional-test thresholds, from ``profiles/functional/default.toml`` or a copy.

A malformed file raises :class:`~bench_agent.grading.toml_source.ProfileError` naming
the file, the line and the field, like the grading profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_agent.grading.toml_source import ProfileError, TomlSource, format_path, read_toml
from bench_agent.i18n import tr


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


# Six positional strings read in message order (problem fr/en, expected fr/en).
def _error(  # noqa: PLR0917
    src: TomlSource, key: tuple[str, ...], fr: str, en: str, exp_fr: str, exp_en: str
) -> ProfileError:
    where = src.line_of(key)
    return ProfileError(src.file, where, format_path(key), tr(fr, en), tr(exp_fr, exp_en))


def profile_from_source(src: TomlSource) -> FunctionalProfile:
    data = src.data
    for top in data:
        if top not in _SCHEMA and top not in ("name", "version"):
            raise _error(
                src,
                (top,),
                "clé inconnue",
                "unknown key",
                "name, version, " + ", ".join(_SCHEMA),
                "name, version, " + ", ".join(_SCHEMA),
            )
    name = data.get("name", "")
    if not isinstance(name, str) or not name:
        raise _error(
            src, ("name",), "nom manquant ou vide", "missing or empty name", "un texte", "a string"
        )
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise _error(
            src,
            ("version",),
            f"valeur {version!r}",
            f"value {version!r}",
            "un entier",
            "an integer",
        )
    values: dict[str, Any] = {}
    for section, keys in _SCHEMA.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise _error(
                src,
                (section,),
                "section manquante",
                "missing section",
                f"une table [{section}]",
                f"a [{section}] table",
            )
        for key in table:
            if key not in keys:
                raise _error(
                    src,
                    (section, key),
                    "clé inconnue",
                    "unknown key",
                    ", ".join(keys),
                    ", ".join(keys),
                )
        for key, (kind, low, high) in keys.items():
            where = (section, key)
            if key not in table:
                raise _error(
                    src,
                    where,
                    "clé manquante",
                    "missing key",
                    f"une valeur entre {low:g} et {high:g}",
                    f"a value from {low:g} to {high:g}",
                )
            value = table[key]
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if kind is int and not isinstance(value, int):
                numeric = False
            if not numeric:
                what = "un entier" if kind is int else "un nombre"
                what_en = "an integer" if kind is int else "a number"
                raise _error(
                    src,
                    where,
                    f"valeur {value!r}",
                    f"value {value!r}",
                    f"{what} entre {low:g} et {high:g}",
                    f"{what_en} from {low:g} to {high:g}",
                )
            if not low <= value <= high:
                raise _error(
                    src,
                    where,
                    f"valeur {value!r} hors limites",
                    f"value {value!r} out of range",
                    f"entre {low:g} et {high:g}",
                    f"from {low:g} to {high:g}",
                )
            values[f"{section}_{key}"] = kind(value)
    return FunctionalProfile(name=name, version=version, source=src.file, **values)


__all__ = ["FunctionalProfile", "ProfileError", "load_functional_profile"]
