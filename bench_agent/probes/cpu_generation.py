"""CPU generation and microarchitecture from the model name and CPUID family/model.

Pure tables, documented where the naming is treacherous. ``generation_number``
follows one convention, relied on by the Windows 11 check:

- Intel Core: the Core generation (i5-520M -> 1, i5-2520M -> 2, i7-8650U -> 8,
  i7-10510U -> 10, i5-1135G7 -> 11). Core Ultra Series 1 -> 14 and Series 2 -> 15
  (their place in the sequence, for comparisons only).
- AMD Ryzen: the thousands digit of the model number (Ryzen 5 3500U -> 3).
  Ryzen AI 300 (successor of the 8000 series) -> 9.
- Apple silicon: the M number.
- Anything else (Core 2, Pentium, Celeron, Atom, A-series...): None, with a
  microarchitecture when it is cheaply known.

The thousands digit of a Ryzen is a marketing series, not an architecture:
mobile 3x00U are Zen+ while desktop 3x00X are Zen 2, mobile 5300U/5500U/5700U
are Zen 2 while 5400U/5600U/5800U are Zen 3, and mobile 7000 parts encode the
architecture in the tens digit (7x20 Zen 2, 7x30 Zen 3, 7x35 Zen 3+, 7x40 Zen 4).
"""

from __future__ import annotations

import re

# Intel family 6 CPUID model -> microarchitecture. Models shared by several
# generations (142, 158: Kaby Lake to Comet Lake by stepping) are left out:
# the model name decides for those.
_INTEL_FAMILY6: dict[int, str] = {
    9: "Banias",
    13: "Dothan",
    14: "Yonah",
    15: "Merom",
    22: "Merom",
    23: "Penryn",
    29: "Penryn",
    26: "Nehalem",
    30: "Nehalem",
    31: "Nehalem",
    46: "Nehalem",
    37: "Westmere",
    44: "Westmere",
    47: "Westmere",
    42: "Sandy Bridge",
    45: "Sandy Bridge",
    58: "Ivy Bridge",
    62: "Ivy Bridge",
    60: "Haswell",
    63: "Haswell",
    69: "Haswell",
    70: "Haswell",
    61: "Broadwell",
    71: "Broadwell",
    79: "Broadwell",
    86: "Broadwell",
    78: "Skylake",
    94: "Skylake",
    85: "Skylake",
    102: "Cannon Lake",
    126: "Ice Lake",
    106: "Ice Lake",
    108: "Ice Lake",
    143: "Sapphire Rapids",
    207: "Emerald Rapids",
    165: "Comet Lake",
    166: "Comet Lake",
    167: "Rocket Lake",
    140: "Tiger Lake",
    141: "Tiger Lake",
    151: "Alder Lake",
    154: "Alder Lake",
    183: "Raptor Lake",
    186: "Raptor Lake",
    191: "Raptor Lake",
    170: "Meteor Lake",
    172: "Meteor Lake",
    189: "Lunar Lake",
    197: "Arrow Lake",
    198: "Arrow Lake",
    28: "Bonnell",
    38: "Bonnell",
    39: "Saltwell",
    53: "Saltwell",
    54: "Saltwell",
    55: "Silvermont",
    74: "Silvermont",
    77: "Silvermont",
    90: "Silvermont",
    76: "Airmont",
    92: "Goldmont",
    95: "Goldmont",
    122: "Goldmont Plus",
    134: "Tremont",
    150: "Tremont",
    156: "Tremont",
    190: "Gracemont",
}

# Core generation -> microarchitecture when the suffix does not change it.
_INTEL_CORE_GEN: dict[int, str] = {
    1: "Nehalem/Westmere",
    2: "Sandy Bridge",
    3: "Ivy Bridge",
    4: "Haswell",
    5: "Broadwell",
    6: "Skylake",
    7: "Kaby Lake",
    9: "Coffee Lake",
    12: "Alder Lake",
    13: "Raptor Lake",
    14: "Raptor Lake",
}

_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd"}

# "Core(TM) i5-2520M", "Core i7-10510U", "Core(TM) m3-7Y32", "Core(TM) M-5Y10".
_CORE_I_RE = re.compile(r"\bcore\b(?:\(tm\))?\s*([im]\d|m)\s*-\s*(\d{3,5})([a-z]*\d?)", re.I)
_CORE_M_Y_RE = re.compile(r"\bcore\b(?:\(tm\))?\s*([im]\d?)\s*-\s*(\d)y(\d\d)", re.I)
# First generation as printed by the kernel: "Core(TM) i5 CPU       M 430  @ 2.27GHz".
_CORE_FIRST_RE = re.compile(r"\bcore\b(?:\(tm\))?\s*i[357]\s+cpu\s+([a-z]{0,2})\s*(\d{3})\b", re.I)
_CORE_ULTRA_RE = re.compile(r"\bcore\b(?:\(tm\))?\s*ultra\s*\d\s+(\d)(\d\d)([a-z]*)", re.I)
_CORE_2_RE = re.compile(r"\bcore\b(?:\(tm\))?\s*2\b|\bcore\s*2\s*(duo|quad|solo|extreme)", re.I)
_RYZEN_RE = re.compile(r"\bryzen\b(?:\s+(?:threadripper|pro|\d))*\s+(\d)(\d)(\d)(\d)([a-z]*)", re.I)
_RYZEN_AI_RE = re.compile(r"\bryzen\s+ai\b", re.I)
_AMD_A_RE = re.compile(r"\bA(?:4|6|8|9|10|12)(?:\s*pro)?-(\d)(\d{3})([a-z]*)", re.I)
_AMD_E_RE = re.compile(r"\bE(\d?)-(\d)(\d{2,3})", re.I)
_APPLE_M_RE = re.compile(r"\bapple\s+m(\d)", re.I)


def _intel_core_micro(gen: int, number: str, suffix: str) -> str | None:
    suffix = suffix.upper()
    if gen == 8:
        if suffix.startswith("Y"):
            return "Amber Lake"
        if suffix.startswith("U"):
            if number.endswith("5"):
                return "Whiskey Lake"  # 8145U, 8265U, 8565U, 8665U
            if number.endswith("9"):
                return "Coffee Lake"  # 8259U, 8559U (Iris Plus)
            return "Kaby Lake R"  # 8130U, 8250U, 8550U, 8650U
        return "Coffee Lake"
    if gen == 10:
        return "Ice Lake" if suffix.startswith("G") else "Comet Lake"
    if gen == 11:
        # Mobile parts are Tiger Lake; desktop 11400/11700 are Rocket Lake.
        return "Tiger Lake" if suffix[:1] in ("G", "H", "U") else "Rocket Lake"
    return _INTEL_CORE_GEN.get(gen)


def _intel_core_gen(number: str) -> int | None:
    """Core generation from the model number digits."""
    if len(number) == 3:
        return 1
    if len(number) == 4:
        # 1035G1, 1135G7, 1235U, 1360P: the 10th gen onwards keep two digits.
        return int(number[:2]) if number[0] == "1" else int(number[0])
    if len(number) == 5 and number[0] == "1":
        return int(number[:2])
    return None


def _ryzen_micro(series: int, hundreds: int, tens: int, units: int, suffix: str) -> str | None:
    mobile = suffix.upper().startswith(("U", "H"))
    apu = suffix.upper().startswith("G")
    if series == 1:
        return "Zen"
    if series == 2:
        return "Zen" if (mobile or apu) else "Zen+"
    if series == 3:
        if tens == 5 and hundreds in (2, 3):
            return "Zen"  # 3250U/3350U (Dali)
        return "Zen+" if (mobile or apu) else "Zen 2"
    if series == 4:
        return "Zen 2"
    if series == 5:
        if mobile and suffix.upper().startswith("U"):
            return "Zen 2" if hundreds % 2 == 1 else "Zen 3"  # Lucienne vs Cezanne
        return "Zen 3"
    if series == 6:
        return "Zen 3+"
    if series == 7:
        if not mobile:
            return "Zen 4"
        return {2: "Zen 2", 3: "Zen 3+" if units == 5 else "Zen 3", 4: "Zen 4"}.get(tens)
    if series == 8:
        return "Zen 4"
    if series == 9:
        return "Zen 5"
    return None


def _amd_a_micro(series: int, rest: str, suffix: str) -> str | None:
    suffix = suffix.upper()
    if series == 3:
        return "K10 (Llano)"
    if series == 4:
        return "Piledriver (Trinity)"
    if series == 5:
        return "Piledriver (Richland)" if suffix[:1] in ("M", "K", "B") else "Jaguar (Kabini)"
    if series == 6:
        return "Piledriver (Richland)" if suffix[:1] in ("M", "K", "B") else "Puma (Beema)"
    if series == 7:
        return "Puma (Carrizo-L)" if rest.endswith("10") else "Steamroller (Kaveri)"
    if series == 8:
        return "Excavator (Carrizo)"
    if series == 9:
        return "Excavator (Bristol Ridge/Stoney Ridge)"
    return None


def _amd_cpuid_micro(family: int, model: int | None) -> str | None:
    if family == 15:
        return "K8"
    if family in (16, 17, 18):
        return "K10"
    if family == 20:
        return "Bobcat"
    if family == 21 and model is not None:
        if model < 2:
            return "Bulldozer"
        if model < 0x30:
            return "Piledriver"
        if model < 0x60:
            return "Steamroller"
        return "Excavator"
    if family == 22 and model is not None:
        return "Jaguar" if model < 0x30 else "Puma"
    if family == 23 and model is not None:
        if model in (8, 24):
            return "Zen+"
        if model < 0x30:
            return "Zen"
        return "Zen 2"
    if family == 25 and model is not None:
        if 0x40 <= model < 0x50:
            return "Zen 3+"
        if 0x10 <= model < 0x20 or 0x60 <= model < 0x80 or model >= 0xA0:
            return "Zen 4"
        return "Zen 3"
    if family == 26:
        return "Zen 5"
    return None


def _vendor_of(vendor: str | None, name: str) -> str | None:
    text = f"{vendor or ''} {name}".lower()
    if "intel" in text:
        return "Intel"
    if "amd" in text or "ryzen" in text or "athlon" in text:
        return "AMD"
    if "apple" in text:
        return "Apple"
    return None


def derive_generation(
    vendor: str | None,
    model_name: str | None,
    family: int | None,
    model_number: int | None,
) -> tuple[str | None, int | None, str | None]:
    """(generation, generation_number, microarchitecture), each None when not derivable."""
    name = " ".join((model_name or "").split())
    maker = _vendor_of(vendor, name)
    micro: str | None
    if maker == "Intel":
        cpuid_micro = _INTEL_FAMILY6.get(model_number) if family == 6 and model_number else None
        if family == 15:
            cpuid_micro = "NetBurst"
        ultra = _CORE_ULTRA_RE.search(name)
        if ultra:
            series = int(ultra.group(1))
            micro = (
                "Meteor Lake"
                if series == 1
                else ("Lunar Lake" if ultra.group(3).upper().startswith("V") else "Arrow Lake")
            )
            return f"Intel Core Ultra Series {series}", 13 + series, cpuid_micro or micro
        gen: int | None = None
        number, suffix = "", ""
        first = _CORE_FIRST_RE.search(name)
        my = _CORE_M_Y_RE.search(name)
        core_i = _CORE_I_RE.search(name)
        if first:
            gen, number, suffix = 1, first.group(2), first.group(1)
        elif my:
            gen, number, suffix = int(my.group(2)), my.group(2) + my.group(3), "Y"
        elif core_i:
            number, suffix = core_i.group(2), core_i.group(3)
            gen = _intel_core_gen(number)
        if gen is not None:
            micro = cpuid_micro or _intel_core_micro(gen, number, suffix)
            if gen == 1 and cpuid_micro is None and number[:1] == "9":
                micro = "Nehalem"
            label = f"Intel Core {_ORDINAL.get(gen, f'{gen}th')} gen"
            return label, gen, micro
        if _CORE_2_RE.search(name):
            return "Intel Core 2", None, cpuid_micro or "Core (Merom/Penryn)"
        return None, None, cpuid_micro
    if maker == "AMD":
        cpuid_micro = _amd_cpuid_micro(family, model_number) if family is not None else None
        if _RYZEN_AI_RE.search(name):
            return "AMD Ryzen AI 300", 9, cpuid_micro or "Zen 5"
        ryzen = _RYZEN_RE.search(name)
        if ryzen:
            series, hundreds, tens, units = (int(ryzen.group(i)) for i in range(1, 5))
            micro = _ryzen_micro(series, hundreds, tens, units, ryzen.group(5))
            # The model name is more precise than a family-wide CPUID guess.
            return f"AMD Ryzen {series}000", series, micro or cpuid_micro
        a_series = _AMD_A_RE.search(name)
        if a_series:
            series = int(a_series.group(1))
            return (
                None,
                None,
                _amd_a_micro(series, a_series.group(2), a_series.group(3)) or cpuid_micro,
            )
        e_series = _AMD_E_RE.search(name)
        if e_series:
            thousands = int(e_series.group(2)) if len(e_series.group(3)) == 3 else 0
            micro = {
                0: "Bobcat",
                1: "Bobcat",
                2: "Jaguar",
                3: "Jaguar",
                6: "Puma",
                7: "Puma",
                9: "Excavator",
            }.get(thousands)
            return None, None, micro or cpuid_micro
        lowered = re.sub(r"\((tm|r)\)", "", name.lower())
        if "athlon 64" in lowered or "turion 64" in lowered or "sempron" in lowered:
            return None, None, cpuid_micro or "K8"
        if "phenom" in lowered or "athlon ii" in lowered or "turion ii" in lowered:
            return None, None, cpuid_micro or "K10"
        return None, None, cpuid_micro
    if maker == "Apple":
        apple = _APPLE_M_RE.search(name)
        if apple:
            number_m = int(apple.group(1))
            return f"Apple M{number_m}", number_m, None
    return None, None, None
