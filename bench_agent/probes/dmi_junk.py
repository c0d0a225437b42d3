"""Recognise placeholder DMI strings ("To Be Filled By O.E.M.") so they never pass for data.

Firmware vendors ship SMBIOS tables whose strings were never filled in by the
OEM: templates from the BIOS reference code ("System Serial Number", "Base
Board Product Name"), vendor placeholders ("Default string", "INVALID"),
anonymised values ("--" in hw-probe uploads), all-zero serials and UUIDs, empty
or non-UTF-8 bytes. A serial number that is one of these must be reported as
unknown: two units sharing "To Be Filled By O.E.M." are not the same unit.
"""

from __future__ import annotations

import re

# Compared after casefold() and whitespace collapsing.
_JUNK_EXACT = frozenset(
    s.casefold()
    for s in (
        "To Be Filled By O.E.M.",
        "To Be Filled By O.E.M",
        "To Be Filled By OEM",
        "Default string",
        "Default",
        "$(DEFAULT_STRING)",
        "System Serial Number",
        "System Product Name",
        "System Manufacturer",
        "System manufacturer",
        "System Version",
        "System Name",
        "System SKU",
        "System SKUNumber",
        "SKU",
        "Not Applicable",
        "Not Specified",
        "Not Available",
        "Not Defined",
        "Not Present",
        "Unknown",
        "None",
        "NULL",
        "N/A",
        "NA",
        "OEM",
        "O.E.M.",
        "OEM Default",
        "INVALID",
        "Undefined",
        "Empty",
        "<BAD INDEX>",
        "<OUT OF SPEC>",
        "serial#",
        "Serial",
        "SerialNumber",
        "Type1ProductConfigId",
        "Type1Sku0",
        "Type1Family",
        "Type2 - Board Serial Number",
        "Type2 - Board Product Name",
        "Type2 - Board Version",
        "Type2 - Board Asset Tag",
        "Type2 - Board Vendor Name",
        "No Asset Tag",
        "Asset Tag",
        "0123456789",
        "123456789",
        "1234567890",
        "12345678",
        "1234567",
        "x.x",
        "XXXXXXXXXX",
        "Chassis Serial Number",
        "Chassis Manufacturer",
        "Chassis Version",
        "Base Board Serial Number",
        "Base Board Product Name",
        "Base Board Version",
        "Base Board Manufacturer",
        "MB Serial Number",
        "Board Serial Number",
        "Product Name",
        "Product Version",
        "Manufacturer",
        "Version",
        "Family",
    )
)

# "<maker|board|chassis|system> <serial|product name|...>" templates in any spelling.
_TEMPLATE_RE = re.compile(
    r"^(system|base ?board|mother ?board|mb|chassis|board|product|cpu|processor|bios)[ _-]*"
    r"(serial[ _-]*(number|no\.?|#)?|product[ _-]*name|manufacturer|vendor|version|name|"
    r"sku[ _-]*(number)?|asset[ _-]*tag|family)$",
    re.IGNORECASE,
)
_FILLED_RE = re.compile(r"to be filled|fill by oem|default[ _]string", re.IGNORECASE)
# One character repeated (0000, FFFF, xxxx, ****, ----, "  "), dashes in UUIDs ignored.
_REPEATED_RE = re.compile(r"^(.)\1*$", re.DOTALL)
# The AMI reference-code UUID shipped unchanged by many white-box boards.
_PLACEHOLDER_UUIDS = frozenset({"03000200-0400-0500-0006-000700080009"})
# SMBIOS strings are short (vendors keep them under 64 bytes); a longer one is
# a corrupt table or garbage read past a string's end, not a name to print.
MAX_LENGTH = 200


def _has_bad_chars(value: str) -> bool:
    """Surrogates (bytes that were not UTF-8) or control characters."""
    for ch in value:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF or code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            return True
    return False


def is_junk(value: str) -> bool:
    """True when ``value`` is a placeholder, not real data (see the module docstring)."""
    if _has_bad_chars(value.strip()):
        return True
    text = " ".join(value.split())
    if not text or len(text) > MAX_LENGTH:
        return True
    folded = text.casefold()
    if folded in _JUNK_EXACT or folded in _PLACEHOLDER_UUIDS:
        return True
    if _TEMPLATE_RE.match(text) or _FILLED_RE.search(text):
        return True
    compact = folded.replace("-", "").replace(" ", "")
    if not compact:
        return True  # only dashes: "--" is how hw-probe anonymises serials
    return bool(_REPEATED_RE.match(compact)) and (len(compact) > 1 or compact in "0*x?")


def clean(value: str | None) -> str | None:
    """The value with whitespace collapsed, or None when absent or junk."""
    if value is None or is_junk(value):
        return None
    return " ".join(value.split())


class JunkFilter:
    """Cleans values and remembers which named fields held junk (for ``Identity.junk_fields``)."""

    def __init__(self) -> None:
        self.junk_fields: list[str] = []

    def __call__(self, field: str, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = clean(value)
        if cleaned is None and field not in self.junk_fields:
            self.junk_fields.append(field)
        return cleaned
