"""Identity: maker, model, serial, chassis and BIOS from /sys/class/dmi/id (and dmidecode).

The kernel exports the SMBIOS type 0/1/2/3 strings as files; the serial and
UUID files are readable by root only, so without root they come from
dmidecode (also root) or stay unknown. Placeholder strings are dropped and
their field names listed in ``Identity.junk_fields``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Identity
from bench_agent.probes.dmi_junk import JunkFilter, clean
from bench_agent.probes.dmidecode import DmiTable

DMI_ID_DIR = "/sys/class/dmi/id"

# sysfs file -> Identity field, in reading order.
DMI_ID_FILES: tuple[tuple[str, str], ...] = (
    ("sys_vendor", "maker"),
    ("product_name", "product_name"),
    ("product_version", "version"),
    ("product_family", "family"),
    ("product_serial", "serial"),
    ("product_sku", "sku"),
    ("product_uuid", "uuid"),
    ("chassis_type", "chassis_type"),
    ("chassis_vendor", "chassis_vendor"),
    ("bios_vendor", "bios_vendor"),
    ("bios_version", "bios_version"),
    ("bios_date", "bios_date"),
    ("board_vendor", "board_maker"),
    ("board_name", "board_model"),
    ("board_serial", "board_serial"),
)

FormFactor = Literal["laptop", "desktop", "tablet", "server", "other"]

# SMBIOS 3.x, 7.4.1 "System Enclosure or Chassis Types": code -> (name, form factor).
CHASSIS_TYPES: dict[int, tuple[str, FormFactor]] = {
    1: ("Other", "other"),
    2: ("Unknown", "other"),
    3: ("Desktop", "desktop"),
    4: ("Low Profile Desktop", "desktop"),
    5: ("Pizza Box", "desktop"),
    6: ("Mini Tower", "desktop"),
    7: ("Tower", "desktop"),
    8: ("Portable", "laptop"),
    9: ("Laptop", "laptop"),
    10: ("Notebook", "laptop"),
    11: ("Hand Held", "tablet"),
    12: ("Docking Station", "other"),
    13: ("All In One", "desktop"),
    14: ("Sub Notebook", "laptop"),
    15: ("Space-saving", "desktop"),
    16: ("Lunch Box", "desktop"),
    17: ("Main Server Chassis", "server"),
    18: ("Expansion Chassis", "other"),
    19: ("SubChassis", "other"),
    20: ("Bus Expansion Chassis", "other"),
    21: ("Peripheral Chassis", "other"),
    22: ("RAID Chassis", "server"),
    23: ("Rack Mount Chassis", "server"),
    24: ("Sealed-case PC", "desktop"),
    25: ("Multi-system", "server"),
    26: ("Compact PCI", "server"),
    27: ("Advanced TCA", "server"),
    28: ("Blade", "server"),
    29: ("Blade Enclosure", "server"),
    30: ("Tablet", "tablet"),
    31: ("Convertible", "laptop"),
    32: ("Detachable", "tablet"),
    33: ("IoT Gateway", "other"),
    34: ("Embedded PC", "desktop"),
    35: ("Mini PC", "desktop"),
    36: ("Stick PC", "desktop"),
}
_CHASSIS_BY_NAME = {name.casefold(): code for code, (name, _) in CHASSIS_TYPES.items()}

# sys_vendor spellings -> the brand a technician writes on a label.
_MAKER_NAMES: dict[str, str] = {
    "lenovo": "Lenovo",
    "dell inc.": "Dell",
    "dell computer corporation": "Dell",
    "dell": "Dell",
    "hewlett-packard": "HP",
    "hp": "HP",
    "hpe": "HP",
    "toshiba": "Toshiba",
    "dynabook inc.": "Dynabook",
    "apple inc.": "Apple",
    "apple computer, inc.": "Apple",
    "acer": "Acer",
    "asustek computer inc.": "ASUS",
    "asustek computer inc": "ASUS",
    "samsung electronics co., ltd.": "Samsung",
    "micro-star international co., ltd.": "MSI",
    "micro-star international co., ltd": "MSI",
    "fujitsu": "Fujitsu",
    "fujitsu siemens": "Fujitsu",
    "fujitsu client computing limited": "Fujitsu",
    "sony corporation": "Sony",
    "panasonic corporation": "Panasonic",
    "microsoft corporation": "Microsoft",
    "gigabyte technology co., ltd.": "Gigabyte",
    "packard bell": "Packard Bell",
    "medion": "Medion",
    "lg electronics": "LG",
    "huawei": "Huawei",
    "xiaomi": "Xiaomi",
    "google": "Google",
    "schenker": "Schenker",
    "tuxedo": "TUXEDO",
    "clevo co.": "Clevo",
    "getac": "Getac",
    "qemu": "QEMU",
}
# Words a maker puts in front of its model names ("HP ProBook 450 G2").
_MAKER_PREFIXES: dict[str, tuple[str, ...]] = {
    "Lenovo": ("Lenovo",),
    "Dell": ("Dell Inc.", "Dell"),
    "HP": ("Hewlett-Packard", "HP"),
    "Toshiba": ("TOSHIBA", "Toshiba"),
    "Apple": ("Apple",),
    "Acer": ("Acer",),
    "ASUS": ("ASUSTeK COMPUTER INC.", "ASUS"),
    "Samsung": ("Samsung", "SAMSUNG"),
    "MSI": ("MSI", "Micro-Star"),
    "Fujitsu": ("FUJITSU", "Fujitsu"),
    "Sony": ("Sony", "SONY"),
    "Microsoft": ("Microsoft",),
}
# Values that name a product line or a platform, not a model.
_GENERIC_MODELS = frozenset(
    s.casefold()
    for s in (
        "Lenovo",
        "ThinkPad",
        "ThinkCentre",
        "IdeaPad",
        "IDEAPAD",
        "Notebook",
        "Laptop",
        "Portable PC",
        "Intel_Mobile",
        "Intel Mobile",
        "Calpella_CRB",
        "HuronRiver System",
        "Computer",
        "Desktop",
        "PC",
    )
)
# A revision rather than a name: "00", "1.0", "V2.02", "A00", "FAB1", "0.1", "Rev 1.0".
_REVISION_RE = re.compile(r"^(rev\.?\s*|ver\.?\s*|v|fab|a|x)?[\d.]+[a-z]?$", re.IGNORECASE)
# Lenovo SKU "LENOVO_MT_20HR_BU_Think_FM_ThinkPad X1 Carbon 5th": the marketing name after _FM_.
_LENOVO_SKU_RE = re.compile(r"_FM_(.+)$")
_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")


def normalise_maker(value: str | None) -> str | None:
    """A brand name ("LENOVO" -> "Lenovo", "Hewlett-Packard" -> "HP"); unknown makers as given."""
    if value is None:
        return None
    key = " ".join(value.split()).casefold()
    if key in _MAKER_NAMES:
        return _MAKER_NAMES[key]
    for prefix, brand in _MAKER_NAMES.items():
        if key.startswith(prefix + " ") or key.startswith(prefix + ","):
            return brand
    return " ".join(value.split())


def _strip_maker(maker: str | None, model: str) -> str:
    prefixes = _MAKER_PREFIXES.get(maker or "", ())
    if maker and maker not in _MAKER_PREFIXES:
        prefixes = (maker,)
    for prefix in prefixes:
        if model.casefold().startswith(prefix.casefold() + " ") and len(model) > len(prefix) + 1:
            return model[len(prefix) + 1 :].strip()
    return model


def _usable_model(value: str | None) -> bool:
    if value is None:
        return False
    folded = value.casefold()
    if folded in _GENERIC_MODELS or _REVISION_RE.match(value):
        return False
    return len(value) >= 2 and any(ch.isalpha() for ch in value)


def commercial_model(
    maker: str | None,
    product_name: str | None,
    version: str | None,
    family: str | None,
    sku: str | None,
) -> str | None:
    """The model name a buyer knows, maker prefix stripped; None rather than a guess.

    Lenovo puts the marketing name in product_version ("ThinkPad T480s") and the
    machine type in product_name ("20L7S0XX00"); its SKU also carries it after
    "_FM_". Other makers use product_name, sometimes product_family.
    """
    product_name, version, family, sku = (clean(v) for v in (product_name, version, family, sku))
    sku_name = None
    if sku:
        match = _LENOVO_SKU_RE.search(sku)
        sku_name = match.group(1).strip() if match else None
    candidates: list[str | None]
    if maker == "Lenovo":
        candidates = [version, family, sku_name, product_name]
    else:
        candidates = [product_name, family]
    for candidate in candidates:
        if _usable_model(candidate):
            assert candidate is not None
            return _strip_maker(maker, candidate)
    return None


def chassis_from_code(value: str | None) -> tuple[str | None, FormFactor | None]:
    """SMBIOS chassis type (sysfs numeric code or dmidecode name) -> (name, form factor)."""
    if value is None:
        return None, None
    text = value.strip()
    # Bit 7 of the numeric code is the "chassis lock present" flag, not the type.
    code = int(text) & 0x7F if text.isdigit() else _CHASSIS_BY_NAME.get(text.casefold())
    if code is None or code not in CHASSIS_TYPES or code == 2:
        return None, None
    name, form = CHASSIS_TYPES[code]
    return name, form


def iso_date(value: str | None) -> str | None:
    """BIOS date MM/DD/YYYY (or MM/DD/YY) -> YYYY-MM-DD; other formats kept as reported."""
    if value is None:
        return None
    match = _DATE_RE.match(value.strip())
    if not match:
        return value.strip()
    month, day, year = int(match.group(1)), int(match.group(2)), match.group(3)
    full_year = (
        int(year) if len(year) == 4 else (1900 + int(year) if int(year) >= 80 else 2000 + int(year))
    )
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return value.strip()
    return f"{full_year:04d}-{month:02d}-{day:02d}"


def _clean_uuid(junk: JunkFilter, value: str | None) -> str | None:
    cleaned = junk("uuid", value)
    if cleaned is None:
        return None
    compact = cleaned.replace("-", "").lower()
    if len(compact) != 32 or any(ch not in "0123456789abcdef" for ch in compact):
        junk.junk_fields.append("uuid")
        return None
    return cleaned.lower()


def _assemble(raw: dict[str, str | None], junk: JunkFilter, ident: Identity) -> None:
    """Fill the empty fields of ``ident`` from raw DMI strings keyed by Identity field name.

    A field already known is left alone (and its raw value not judged), so a
    second source never overwrites nor adds junk reports for a good value.
    """

    def fill(name: str, transform: Callable[[str | None], str | None] | None = None) -> None:
        if getattr(ident, name) is not None:
            return
        value = junk(name, raw.get(name))
        if transform is not None:
            value = transform(value)
        if value is not None:
            setattr(ident, name, value)

    fill("maker", normalise_maker)
    for name in ("product_name", "version", "family", "serial", "sku"):
        fill(name)
    if ident.uuid is None:
        ident.uuid = _clean_uuid(junk, raw.get("uuid"))
    if ident.chassis_type is None:
        chassis_name, form = chassis_from_code(raw.get("chassis_type"))
        ident.chassis_type = chassis_name
        if ident.form_factor is None:
            ident.form_factor = form
    fill("bios_vendor")
    fill("bios_version")
    fill("bios_date", iso_date)
    fill("board_maker", normalise_maker)
    fill("board_model")
    fill("board_serial")
    if ident.maker is None:
        # Some boards leave sys_vendor empty but fill the chassis vendor.
        ident.maker = normalise_maker(clean(raw.get("chassis_vendor")))
    if ident.model is None:
        ident.model = commercial_model(
            ident.maker, ident.product_name, ident.version, ident.family, ident.sku
        )
    for name in junk.junk_fields:
        if name not in ident.junk_fields:
            ident.junk_fields.append(name)


def probe_identity(host: Host, notes: list[Note]) -> Identity:
    """Read /sys/class/dmi/id; unreadable files (serial, uuid without root) stay None."""
    raw: dict[str, str | None] = {}
    for file_name, field_name in DMI_ID_FILES:
        raw[field_name] = host.read_text(f"{DMI_ID_DIR}/{file_name}")
    ident = Identity()
    if all(value is None for value in raw.values()):
        notes.append(
            Note(
                code="identity.no_dmi",
                message=_t(
                    "Pas de table DMI dans /sys/class/dmi/id (machine virtuelle ou non-x86) : "
                    "fabricant, modèle et numéro de série inconnus"
                ),
            )
        )
        return ident
    _assemble(raw, JunkFilter(), ident)
    if raw.get("serial") is None:
        notes.append(
            Note(
                code="identity.serial_unreadable",
                message=_t("Numéro de série non lisible dans /sys (réservé à root)"),
            )
        )
    return ident


def _dmi_raw(dmi: DmiTable) -> dict[str, str | None]:
    raw: dict[str, str | None] = {}
    bios, system, board, chassis = dmi.first(0), dmi.first(1), dmi.first(2), dmi.first(3)
    if bios is not None:
        raw["bios_vendor"] = bios.get("Vendor")
        raw["bios_version"] = bios.get("Version")
        raw["bios_date"] = bios.get("Release Date")
    if system is not None:
        raw["maker"] = system.get("Manufacturer")
        raw["product_name"] = system.get("Product Name")
        raw["version"] = system.get("Version")
        raw["family"] = system.get("Family")
        raw["serial"] = system.get("Serial Number")
        raw["sku"] = system.get("SKU Number")
        raw["uuid"] = system.get("UUID")
    if board is not None:
        raw["board_maker"] = board.get("Manufacturer")
        raw["board_model"] = board.get("Product Name")
        raw["board_serial"] = board.get("Serial Number")
    if chassis is not None:
        raw["chassis_type"] = chassis.get("Type")
        raw["chassis_vendor"] = chassis.get("Manufacturer")
    return raw


def complete_from_dmidecode(ident: Identity, dmi: DmiTable | None) -> None:
    """Fill what sysfs could not give (serial, uuid without sysfs access...) from DMI types 0-3.

    Never overwrites a value already known; junk in dmidecode is filtered the
    same way and listed in ``junk_fields``.
    """
    if dmi is None:
        return
    _assemble(_dmi_raw(dmi), JunkFilter(), ident)
