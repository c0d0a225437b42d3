"""The French AZERTY keyboard map and what the keyboard test has seen.

Keys are named with Textual's key names (``a``, ``ampersand``, ``é``, ``enter``) and,
for printable keys, by the characters they type, so a shifted press lights its key
too. A terminal never reports Caps Lock, Fn or the Windows key alone: those are drawn
but not required. Shift, Ctrl, Alt and AltGr light up through what they change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

END_SEQUENCE = ("escape", "escape", "escape")
"""Échap three times in a row ends the test early (Échap once is a normal key)."""

ALTGR_CHARACTERS = frozenset("~#{[|`\\^@]}€¤")
DEAD_CIRCUMFLEX = frozenset("^âêîôûÂÊÎÔÛ¨äëïöüÿ")


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    label: str
    accepts: frozenset[str]
    required: bool = True


def _k(label: str, *accepts: str, required: bool = True, id: str | None = None) -> Key:
    return Key(id or label, label, frozenset(accepts), required)


def _char(lower: str, upper: str) -> Key:
    return _k(lower, lower, upper, lower.upper() if lower.isalpha() else lower)


# Unshifted / shifted characters of the fr pc105 layout.
_DIGITS = [
    ("&", "1"),
    ("é", "2"),
    ('"', "3"),
    ("'", "4"),
    ("(", "5"),
    ("-", "6"),
    ("è", "7"),
    ("_", "8"),
    ("ç", "9"),
    ("à", "0"),
    (")", "°"),
    ("=", "+"),
]

AZERTY_ROWS: tuple[tuple[Key, ...], ...] = (
    (
        _k("Échap", "escape", id="escape"),
        *(_k(f"F{n}", f"f{n}", id=f"f{n}") for n in range(1, 13)),
        _k("Inser", "insert", id="insert"),
        _k("Suppr", "delete", id="delete"),
    ),
    (
        _k("²", "²", "³"),
        *(_k(a, a, b) for a, b in _DIGITS),
        _k("⌫", "backspace", "ctrl+h", id="backspace"),
    ),
    (
        _k("Tab", "tab", "shift+tab", id="tab"),
        *(_char(c, c.upper()) for c in "azertyuiop"),
        _k("^", *sorted(DEAD_CIRCUMFLEX), id="circumflex"),
        _k("$", "$", "£"),
        _k("Entrée", "enter", "ctrl+m", id="enter"),
    ),
    (
        _k("Verr.Maj", required=False, id="capslock"),
        *(_char(c, c.upper()) for c in "qsdfghjklm"),
        _k("ù", "ù", "%"),
        _k("*", "*", "µ"),
    ),
    (
        _k("Maj", "shift", id="shift"),
        _k("<", "<", ">"),
        *(_char(c, c.upper()) for c in "wxcvbn"),
        _k(",", ",", "?"),
        _k(";", ";", "."),
        _k(":", ":", "/"),
        _k("!", "!", "§"),
        _k("Maj", "shift", id="shift"),
    ),
    (
        _k("Ctrl", "ctrl", id="ctrl"),
        _k("Fn", required=False, id="fn"),
        _k("Win", required=False, id="super"),
        _k("Alt", "alt", id="alt"),
        _k("Espace", " ", "space", id="space"),
        _k("AltGr", "altgr", id="altgr"),
        _k("Ctrl", "ctrl", id="ctrl"),
    ),
    (
        _k("←", "left", id="left"),
        _k("↑", "up", id="up"),
        _k("↓", "down", id="down"),
        _k("→", "right", id="right"),
        _k("Début", "home", id="home"),
        _k("Fin", "end", id="end"),
        _k("PgPréc", "pageup", id="pageup"),
        _k("PgSuiv", "pagedown", id="pagedown"),
    ),
)

KEYS: dict[str, Key] = {k.id: k for row in AZERTY_ROWS for k in row}
REQUIRED: frozenset[str] = frozenset(k.id for k in KEYS.values() if k.required)


def signals(key: str, character: str | None) -> set[str]:
    """What one key event says was pressed: the key name, the character, the modifiers."""
    found = {key}
    if character and character.isprintable():
        found.add(character)
        if character.isupper() or character in "1234567890°+%µ?./§>£³":
            found.add("shift")
        if character in ALTGR_CHARACTERS:
            found.add("altgr")
    parts = key.split("+")
    if len(parts) > 1:
        found.update(p for p in parts[:-1] if p in ("ctrl", "shift", "alt"))
        found.add(parts[-1])
    return found


@dataclass
class KeyboardTest:
    """The keys seen so far and the end sequence."""

    seen: set[str] = field(default_factory=set)
    escapes: int = 0
    ended_early: bool = False

    def press(self, key: str, character: str | None) -> bool:
        """Record one key event; True when the test is over (all keys, or Échap ×3)."""
        got = signals(key, character)
        for k in KEYS.values():
            if k.accepts & got:
                self.seen.add(k.id)
        self.escapes = self.escapes + 1 if key == "escape" else 0
        if self.escapes >= len(END_SEQUENCE):
            self.ended_early = not self.complete
            return True
        return self.complete

    @property
    def complete(self) -> bool:
        return self.seen >= REQUIRED

    def missing(self) -> list[str]:
        return [KEYS[i].label for i in sorted(REQUIRED - self.seen)]
