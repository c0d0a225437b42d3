"""EDID (VESA E-EDID 1.x base block) decoding: who made the panel, its size and resolution.

Pure: bytes in, :class:`EdidInfo` out. Never raises on bad input: an empty,
truncated or garbage blob gives ``valid=False`` with the reason in ``error``.
The panel serial number (bytes 12–15 and the 0xFF descriptor) is never decoded:
the inventory does not need it and it identifies a unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench_agent.i18n import _t
from bench_agent.model.common import Text

EDID_HEADER = bytes((0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00))
BLOCK_SIZE = 128

# PNP ids seen on laptop panels and common monitors. Short on purpose: names the
# technician recognises. Where the PNP registry and panel practice disagree we
# follow practice: "SEC" is registered to Seiko Epson, but on laptop panels it
# is Samsung (LTN... panels); "LGP" is not registered but is LG.Philips' code.
PNP_MAKERS: dict[str, str] = {
    "ACI": "Asus",
    "ACR": "Acer",
    "AOC": "AOC",
    "APP": "Apple",
    "AUO": "AU Optronics",
    "AUS": "Asus",
    "BNQ": "BenQ",
    "BOE": "BOE",
    "CMN": "Chimei Innolux",
    "CMO": "Chi Mei Optoelectronics",
    "CPT": "Chunghwa Picture Tubes",
    "CSO": "CSOT",
    "DEL": "Dell",
    "ENC": "EIZO",
    "FUS": "Fujitsu Siemens",
    "GSM": "LG Electronics",
    "HPN": "HP",
    "HSD": "HannStar",
    "HWP": "HP",
    "IVO": "InfoVision",
    "INL": "InnoLux",
    "IQT": "Hyundai ImageQuest",
    "LEN": "Lenovo",
    "LGD": "LG Display",
    "LGP": "LG.Philips",
    "LPL": "LG.Philips",
    "MEI": "Panasonic",
    "NEC": "NEC",
    "PHL": "Philips",
    "QDS": "Quanta Display",
    "SAM": "Samsung",
    "SDC": "Samsung Display",
    "SEC": "Samsung",
    "SHP": "Sharp",
    "SNY": "Sony",
    "TOS": "Toshiba",
    "TSB": "Toshiba",
    "VSC": "ViewSonic",
}

# EDID 1.0 dates from 1994: an earlier year means the field was left at zero.
FIRST_EDID_YEAR = 1994
# Pixels are square on every panel we meet: a physical aspect ratio this far
# from the pixel aspect ratio means the size field is wrong (seen: a Presario
# R4000 panel wrote "289 x 21 mm", i.e. cm with a stray high nibble).
ASPECT_TOLERANCE = 0.15
# DTD size and base-block size disagreeing by more than this: trust the base block.
SIZE_DISAGREEMENT = 0.25


@dataclass(frozen=True, slots=True)
class EdidInfo:
    """What the base EDID block says about a display."""

    valid: bool
    """Header present, 128 bytes or more and checksum correct."""
    error: Text | None = None
    """Why the EDID is not valid (empty, truncated, bad header, bad checksum)."""
    version: str | None = None
    maker_code: str | None = None
    """Three-letter PNP id (AUO, LGD, BOE...)."""
    maker: str | None = None
    product_code: int | None = None
    week: int | None = None
    year: int | None = None
    """Year of manufacture (or model year when the EDID says so)."""
    name: str | None = None
    """Monitor name descriptor (0xFC)."""
    text_strings: tuple[str, ...] = ()
    """Alphanumeric data strings (0xFE): laptop panels put maker and part number there."""
    panel_part_number: str | None = None
    """Part number from an SPWG descriptor (notebook panels) when present."""
    width_px: int | None = None
    height_px: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    size_source: str | None = None
    """"dtd" (first detailed timing, mm) or "base" (bytes 21–22, cm)."""
    diagonal_in: float | None = None
    extension_count: int = 0
    warnings: tuple[str, ...] = field(default=())
    """Codes of oddities found in an otherwise readable EDID."""

    @property
    def model(self) -> str | None:
        """Best model name: the 0xFC name, else the SPWG part number, else the last 0xFE string.

        Notebook panels without a 0xFC name write "maker, part number" as two
        0xFE strings ("AUO", "B121EW03 V2"): the last one is the part number.
        """
        if self.name:
            return self.name
        if self.panel_part_number:
            return self.panel_part_number
        return self.text_strings[-1] if self.text_strings else None


def _invalid(message: Text) -> EdidInfo:
    return EdidInfo(valid=False, error=message)


def decode_pnp_id(word: int) -> str | None:
    """Three letters packed in 5-bit fields ('A' = 1); None if any field is out of range."""
    letters = [(word >> shift) & 0x1F for shift in (10, 5, 0)]
    if word & 0x8000 or any(not 1 <= v <= 26 for v in letters):
        return None
    return "".join(chr(ord("A") + v - 1) for v in letters)


def _descriptor_text(raw: bytes) -> str:
    """Text of a display descriptor field: ended by LF, padded with spaces."""
    text = raw.split(b"\x0a", 1)[0].decode("cp437", errors="replace")
    return "".join(ch for ch in text if ch.isprintable()).strip()


def _is_spwg(desc: bytes) -> bool:
    # SPWG notebook descriptor: 5 chars of PC maker part number, a binary
    # revision byte, then 7 chars of panel part number (VESA/SPWG 3.x).
    return desc[10] < 0x20 and all(0x20 <= b < 0x7F for b in desc[5:10])


def _diagonal_in(width_mm: float, height_mm: float) -> float:
    return round(math.hypot(width_mm, height_mm) / 25.4, 1)


def _aspect_ok(width: float, height: float, width_px: int | None, height_px: int | None) -> bool:
    if not width_px or not height_px:
        return True
    physical = width / height
    pixels = width_px / height_px
    return abs(physical - pixels) / pixels <= ASPECT_TOLERANCE


def parse_edid(data: bytes) -> EdidInfo:
    """Decode the base block of an EDID blob (as read from /sys/class/drm/*/edid)."""
    if not data:
        return _invalid(_t("EDID vide"))
    if len(data) < BLOCK_SIZE:
        return _invalid(
            _t(
                "EDID tronqué ({n_data} octets au lieu de {block_size})",
                n_data=len(data),
                block_size=BLOCK_SIZE,
            ),
        )
    block = data[:BLOCK_SIZE]
    if block[:8] != EDID_HEADER:
        return _invalid(
            _t("EDID illisible : en-tête absent (données corrompues ?)"),
        )
    warnings: list[str] = []
    error: Text | None = None
    checksum_ok = sum(block) % 256 == 0
    if not checksum_ok:
        # Still decoded: a flipped bit rarely hits every field, and a partial
        # answer flagged as doubtful helps the technician more than nothing.
        error = _t("EDID corrompu : somme de contrôle fausse (valeurs douteuses)")

    maker_code = decode_pnp_id(int.from_bytes(block[8:10], "big"))
    if maker_code is None:
        warnings.append("edid.bad_maker_code")
    product_code = int.from_bytes(block[10:12], "little")
    week_byte, year_byte = block[16], block[17]
    year: int | None = 1990 + year_byte
    week: int | None = week_byte if 1 <= week_byte <= 54 else None
    if year is not None and year < FIRST_EDID_YEAR:
        year = None
    version = f"{block[18]}.{block[19]}"

    width_cm, height_cm = block[21], block[22]

    width_px = height_px = None
    dtd_w_mm = dtd_h_mm = 0
    name: str | None = None
    strings: list[str] = []
    part_number: str | None = None
    first_dtd_seen = False
    for offset in (54, 72, 90, 108):
        desc = block[offset : offset + 18]
        pixel_clock = int.from_bytes(desc[0:2], "little")
        if pixel_clock:
            if first_dtd_seen:
                continue
            first_dtd_seen = True
            width_px = desc[2] | (desc[4] & 0xF0) << 4
            height_px = desc[5] | (desc[7] & 0xF0) << 4
            if desc[17] & 0x80:  # interlaced: the DTD gives lines per field
                height_px *= 2
            dtd_w_mm = desc[12] | (desc[14] & 0xF0) << 4
            dtd_h_mm = desc[13] | (desc[14] & 0x0F) << 8
            continue
        tag = desc[3]
        if tag == 0xFC:
            name = _descriptor_text(desc[5:18]) or None
        elif tag == 0xFE:
            if _is_spwg(desc):
                part_number = _descriptor_text(desc[11:18]) or None
            else:
                text = _descriptor_text(desc[5:18])
                if text:
                    strings.append(text)
        # 0xFF (serial number) is deliberately not decoded.

    if not width_px or not height_px:
        width_px = height_px = None
        warnings.append("edid.no_detailed_timing")

    width_mm = height_mm = None
    size_source = None
    dtd_ok = dtd_w_mm > 0 and dtd_h_mm > 0 and _aspect_ok(dtd_w_mm, dtd_h_mm, width_px, height_px)
    base_ok = width_cm > 0 and height_cm > 0
    if dtd_w_mm and dtd_h_mm and not dtd_ok:
        warnings.append("edid.dtd_size_implausible")
    if dtd_ok and base_ok:
        base_diag = math.hypot(width_cm * 10, height_cm * 10)
        if abs(math.hypot(dtd_w_mm, dtd_h_mm) - base_diag) / base_diag > SIZE_DISAGREEMENT:
            warnings.append("edid.dtd_size_disagrees")
            dtd_ok = False
    if dtd_ok:
        width_mm, height_mm, size_source = dtd_w_mm, dtd_h_mm, "dtd"
    elif base_ok:
        width_mm, height_mm, size_source = width_cm * 10, height_cm * 10, "base"
    diagonal = _diagonal_in(width_mm, height_mm) if width_mm and height_mm else None

    return EdidInfo(
        valid=checksum_ok,
        error=error,
        version=version,
        maker_code=maker_code,
        maker=PNP_MAKERS.get(maker_code) if maker_code else None,
        product_code=product_code,
        week=week if year is not None else None,
        year=year,
        name=name,
        text_strings=tuple(strings),
        panel_part_number=part_number,
        width_px=width_px,
        height_px=height_px,
        width_mm=width_mm,
        height_mm=height_mm,
        size_source=size_source,
        diagonal_in=diagonal,
        extension_count=block[126],
        warnings=tuple(warnings),
    )
