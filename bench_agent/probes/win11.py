"""Windows 11 readiness: Microsoft's hardware floor, checked on an Inventory (pure).

Each check says yes / no / unknown with a French and English reason; the unit is
ready only if every check passed, not ready as soon as one failed, unknown otherwise.
"""

from __future__ import annotations

import re

from bench_agent.i18n import _t
from bench_agent.model.common import Text
from bench_agent.model.inventory import Check, Cpu, Inventory, Win11Readiness

GIB = 1024**3

RAM_MIN_BYTES = 4 * GIB
# Without dmidecode only MemTotal is known, and it is below installed RAM by
# the firmware's reservations and the integrated GPU's carve-out (a 4 GB laptop
# shows 3.4–3.8 GiB; a 3 GB one about 2.8 GiB). Between the two bounds we
# cannot tell, and say so.
MEMTOTAL_SURELY_4GB = int(3.3 * GIB)
MEMTOTAL_SURELY_BELOW = int(2.75 * GIB)

STORAGE_MIN_BYTES = 64 * 1000**3
# A disk sold as "64 GB" (an eMMC of 62.5 GB = 58.2 GiB) installs Windows 11:
# count advertised capacity, with 10 % slack for what vendors call 64 GB.
STORAGE_TOLERANCE = 0.9

# Intel chips without a "Core iN" generation that are on Microsoft's list
# (Windows 11 supported Intel processors) or surely too old. Matched on the
# microarchitecture and the model name, lower-case.
INTEL_SUPPORTED_NON_CORE = (
    "goldmont plus",
    "gemini lake",
    "jasper lake",
    "elkhart lake",
    "tremont",
    "alder lake",
    "gracemont",
    "raptor lake",
    "tiger lake",
    "ice lake",
    "comet lake",
    "whiskey lake",
    "amber lake",
    "coffee lake",
    "kaby lake r",
    "cannon lake",
    "meteor lake",
    "lunar lake",
    "arrow lake",
)
INTEL_TOO_OLD = re.compile(
    r"core\(tm\)2|core 2|core\(tm\) (duo|solo)|pentium\(r\) (4|m|d|dual)|celeron\(r\) m\b"
    r"|atom\(tm\) cpu [nzd]\d|banias|dothan|netburst|yonah|merom|penryn|bonnell|saltwell"
    r"|silvermont|airmont|bay trail|cherry trail|braswell|apollo lake|goldmont(?! plus)"
    r"|nehalem|westmere|sandy bridge|ivy bridge|haswell|broadwell|skylake|kaby lake(?! r)"
)
AMD_TOO_OLD = re.compile(
    r"\b(a4|a6|a8|a9|a10|a12|e1|e2|fx)-|\be-\d{3}|\bc-\d{2}|athlon(\(tm\))? (ii|64|x2|neo)"
    r"|turion|phenom|sempron|\bg-t|bulldozer|piledriver|steamroller|excavator|bobcat"
    r"|jaguar|puma|\bk8\b|\bk10\b"
)
# Zen+ and later, and the Zen-based Athlons Microsoft lists (Silver/Gold 3xxx, 3000G, 300U).
AMD_SUPPORTED_NON_RYZEN = re.compile(
    r"zen\+|zen [2-9]|athlon(\(tm\))? (silver|gold|3000g|300u|pro 3)"
)


def _check(code: str, ok: bool | None, message: Text) -> Check:
    return Check(code=code, ok=ok, message=message)


def check_tpm(inv: Inventory) -> Check:
    fw = inv.firmware
    if fw.tpm_present == "no":
        return _check(
            "win11.tpm",
            False,
            _t("Pas de TPM visible (vérifier Intel PTT / AMD fTPM dans le BIOS)"),
        )
    if fw.tpm_present == "unknown":
        return _check("win11.tpm", None, _t("Présence du TPM inconnue"))
    if fw.tpm_version == "2.0":
        return _check("win11.tpm", True, _t("TPM 2.0 présent"))
    if fw.tpm_version is None:
        return _check("win11.tpm", None, _t("TPM présent, version inconnue"))
    return _check(
        "win11.tpm",
        False,
        _t("TPM {tpm_version} : Windows 11 exige un TPM 2.0", tpm_version=fw.tpm_version),
    )


def check_firmware(inv: Inventory) -> Check:
    fw = inv.firmware
    if fw.boot_mode == "legacy":
        # Booted through CSM: the firmware may still be UEFI with Secure Boot.
        return _check(
            "win11.uefi_secure_boot",
            None,
            _t("Démarré en mode BIOS (Legacy/CSM) : redémarrer la clé en mode UEFI pour vérifier"),
        )
    if fw.boot_mode == "unknown":
        return _check("win11.uefi_secure_boot", None, _t("Mode de démarrage inconnu"))
    if fw.secure_boot in ("enabled", "disabled"):
        return _check(
            "win11.uefi_secure_boot",
            True,
            _t("UEFI, Secure Boot activé")
            if fw.secure_boot == "enabled"
            else _t("UEFI, Secure Boot désactivé, activable"),
        )
    if fw.secure_boot == "unsupported":
        return _check(
            "win11.uefi_secure_boot",
            False,
            _t("UEFI sans Secure Boot"),
        )
    return _check(
        "win11.uefi_secure_boot",
        None,
        _t("UEFI, état du Secure Boot inconnu"),
    )


def _cpu_label(cpu: Cpu) -> str:
    return cpu.model_name or cpu.vendor or "?"


def cpu_supported(cpu: Cpu) -> bool | None:
    """Is this CPU on Microsoft's list? None when its generation is not known."""
    vendor = (cpu.vendor or "").lower()
    text = f"{cpu.microarchitecture or ''} | {cpu.model_name or ''}".lower()
    if vendor == "intel":
        if cpu.generation_number is not None:
            return cpu.generation_number >= 8
        if any(name in text for name in INTEL_SUPPORTED_NON_CORE):
            return True
        if INTEL_TOO_OLD.search(text):
            return False
        return None
    if vendor == "amd":
        if "ryzen" in text and cpu.generation_number is not None:
            # Ryzen 2000 (Zen+ desktop, Raven Ridge mobile) and later are listed.
            return cpu.generation_number >= 2
        if AMD_SUPPORTED_NON_RYZEN.search(text):
            return True
        if AMD_TOO_OLD.search(text):
            return False
        return None
    return None


def check_cpu(inv: Inventory) -> Check:
    cpu = inv.cpu
    label = _cpu_label(cpu)
    ok = cpu_supported(cpu)
    if ok is True:
        return _check(
            "win11.cpu",
            True,
            _t("Processeur pris en charge ({label})", label=label),
        )
    if ok is False:
        return _check(
            "win11.cpu",
            False,
            _t("Processeur trop ancien pour Windows 11 ({label})", label=label),
        )
    return _check(
        "win11.cpu",
        None,
        _t("Génération du processeur inconnue ({label})", label=label),
    )


def check_64bit(inv: Inventory) -> Check:
    cpu = inv.cpu
    ok = cpu.flags_64bit
    if ok is None and cpu.architecture:
        ok = cpu.architecture in ("x86_64", "amd64", "aarch64", "arm64")
    if ok is None:
        return _check("win11.cpu_64bit", None, _t("Processeur 64 bits : inconnu"))
    return _check(
        "win11.cpu_64bit",
        ok,
        _t("Processeur 64 bits") if ok else _t("Processeur 32 bits seulement"),
    )


def check_ram(inv: Inventory) -> Check:
    mem = inv.memory
    if mem.installed_bytes is not None:
        gib = mem.installed_bytes / GIB
        ok = mem.installed_bytes >= RAM_MIN_BYTES
        return _check(
            "win11.ram",
            ok,
            _t("Mémoire installée {gib:.0f} Go ({value} 4 Go)", gib=gib, value="≥" if ok else "<"),
        )
    if mem.total_bytes is None:
        return _check("win11.ram", None, _t("Mémoire inconnue"))
    gib = mem.total_bytes / GIB
    if mem.total_bytes >= MEMTOTAL_SURELY_4GB:
        return _check(
            "win11.ram",
            True,
            _t("Mémoire vue par le système {gib:.1f} Go (≥ 4 Go installés)", gib=gib),
        )
    if mem.total_bytes < MEMTOTAL_SURELY_BELOW:
        return _check("win11.ram", False, _t("Mémoire {gib:.1f} Go (< 4 Go)", gib=gib))
    return _check(
        "win11.ram",
        None,
        _t(
            "Mémoire vue {gib:.1f} Go : 4 Go installés ou non ? (lancer en root pour dmidecode)",
            gib=gib,
        ),
    )


def check_storage(inv: Inventory) -> Check:
    internal = [
        d.capacity_bytes
        for d in inv.disks
        if d.capacity_bytes and not d.boot_medium and not d.removable and d.transport != "usb"
    ]
    if not internal:
        return _check(
            "win11.storage",
            None,
            _t("Aucun disque interne détecté (en ajouter un de 64 Go ou plus)"),
        )
    largest = max(internal)
    gb = largest / 1000**3
    ok = largest >= STORAGE_MIN_BYTES * STORAGE_TOLERANCE
    return _check(
        "win11.storage",
        ok,
        _t(
            "Plus grand disque interne {gb:.0f} Go ({value} 64 Go)", gb=gb, value="≥" if ok else "<"
        ),
    )


def assess_win11(inv: Inventory) -> Win11Readiness:
    """Every Windows 11 hardware check on this inventory, and the overall verdict."""
    checks = [
        check_tpm(inv),
        check_firmware(inv),
        check_cpu(inv),
        check_64bit(inv),
        check_ram(inv),
        check_storage(inv),
    ]
    results = [c.ok for c in checks]
    ready: bool | None
    if any(r is False for r in results):
        ready = False
    elif all(r is True for r in results):
        ready = True
    else:
        ready = None
    return Win11Readiness(ready=ready, checks=checks)
