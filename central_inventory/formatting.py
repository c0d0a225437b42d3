"""Numbers, sizes and dates as people read them, in French or English.

One rule for sizes, the bench's: a disk's capacity in decimal units, as drives are sold
and as the bench's screens and labels show it ("512,1 Go" / "512.1 GB"); memory in binary
units rounded to the whole gibibyte, as the grading profiles count it ("8 Gio" / "8 GiB").
Dates are shown in the service's display time zone (``CENTRAL_TIMEZONE``, default
Europe/Paris) and always say which: "3 déc. 2026 14:05 (heure de Paris)" /
"3 Dec 2026 14:05 (Paris time)". Nothing here raises on bad input: an unreadable value
is shown as "—" or as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Paris"
NNBSP = "\u202f"
"""French thousands separator and the space before "%" (narrow no-break space)."""
NBSP = "\u00a0"

MONTHS_FR = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone(name: str) -> ZoneInfo:
    """The time zone ``name`` (ValueError naming it when the system does not know it)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (e.g. Europe/Paris)") from exc


def number(value: float, lang: str, decimals: int = 0) -> str:
    """``12 345,6`` (French: comma, narrow no-break space between thousands) or ``12,345.6``."""
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", NNBSP).replace(".", ",")


def percent(value: float | None, lang: str, decimals: int | None = None) -> str:
    """``92,8 %`` / ``92.8%``; ``100 %`` (no decimals by default for a whole number)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    shown = number(value, lang, decimals)
    return f"{shown}%" if lang == "en" else f"{shown}{NNBSP}%"


def disk_size(size: object, lang: str) -> str:
    """Decimal units, as drives are sold and as the bench shows them: ``17,2 Go``."""
    if not isinstance(size, int | float) or isinstance(size, bool) or size < 0:
        return "—"
    units = ("B", "kB", "MB", "GB", "TB") if lang == "en" else ("o", "ko", "Mo", "Go", "To")
    value = float(size)
    for i, unit in enumerate(units):
        if value < 1000 or i == len(units) - 1:
            return f"{number(value, lang, 0 if i < 2 else 1)}{NBSP}{unit}"
        value /= 1000
    raise AssertionError("unreachable: the loop returns at the last unit")


def memory_size(size: object, lang: str) -> str:
    """Binary units rounded to the whole gibibyte (MemTotal is a little under what is
    installed): ``8 Gio`` / ``8 GiB``; under 1 GiB in mebibytes."""
    if not isinstance(size, int | float) or isinstance(size, bool) or size <= 0:
        return "—"
    gib = size / 2**30
    if gib < 1:
        return f"{number(round(size / 2**20), lang)}{NBSP}{'MiB' if lang == 'en' else 'Mio'}"
    return f"{number(round(gib), lang)}{NBSP}{'GiB' if lang == 'en' else 'Gio'}"


def zone_label(tz: ZoneInfo, lang: str) -> str:
    """``heure de Paris`` / ``Paris time``; ``UTC`` for UTC."""
    key = tz.key
    if key in {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu"}:
        return "UTC"
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time" if lang == "en" else f"heure de {city}"


def parse_instant(value: object) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string (a naive one is UTC, as the
    database stores it); None when unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def day_text(day: date, lang: str) -> str:
    if lang == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Formatter:
    """The helpers bound to one page's language and the service's time zone (what the
    templates call ``fmt``)."""

    lang: str
    tz: ZoneInfo

    def number(self, value: float | None, decimals: int = 0) -> str:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "—"
        return number(value, self.lang, decimals)

    def percent(self, value: float | None, decimals: int | None = None) -> str:
        return percent(value, self.lang, decimals)

    def disk(self, size: object) -> str:
        return disk_size(size, self.lang)

    def memory(self, size: object) -> str:
        return memory_size(size, self.lang)

    def zone(self) -> str:
        return zone_label(self.tz, self.lang)

    def when(self, value: object) -> str:
        """``3 déc. 2026 14:05 (heure de Paris)``; "—" for nothing; an unreadable string
        as written (never hidden, never a crash)."""
        moment = parse_instant(value)
        if moment is None:
            return value.strip() if isinstance(value, str) and value.strip() else "—"
        local = moment.astimezone(self.tz)
        return f"{day_text(local.date(), self.lang)} {local:%H:%M} ({self.zone()})"

    def day(self, value: object) -> str:
        """The local day only: ``3 déc. 2026``."""
        moment = parse_instant(value)
        if moment is None:
            return value.strip() if isinstance(value, str) and value.strip() else "—"
        return day_text(moment.astimezone(self.tz).date(), self.lang)

    def month(self, year_month: str) -> str:
        """``2026-11`` → ``nov. 2026`` / ``Nov 2026``."""
        try:
            year, month = (int(p) for p in year_month.split("-", 1))
        except ValueError:
            return year_month
        if not 1 <= month <= 12:
            return year_month
        names = MONTHS_EN if self.lang == "en" else MONTHS_FR
        return f"{names[month - 1]} {year}"
