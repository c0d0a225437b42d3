"""Firmware: boot mode, Secure Boot, TPM, and whether an OEM Windows licence is in ACPI.

Reads ``list_dir /sys/firmware/efi`` (and ``/sys/firmware`` when it is absent),
``list_dir /sys/firmware/efi/efivars`` and the ``SecureBoot-<guid>`` variable,
``list_dir /sys/class/tpm``, ``tpm0/tpm_version_major``, ``tpm0/device/caps``,
``tpm0/device/description`` and ``list_dir /sys/firmware/acpi/tables``.

The MSDM table holds the Windows product key: only its *name* in the ACPI
table listing is looked at, its content is never read.
"""

from __future__ import annotations

from typing import Literal

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note, Text
from bench_agent.model.inventory import Firmware

EFI_GLOBAL_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
SecureBootState = Literal["enabled", "disabled", "unsupported", "unknown"]
SECURE_BOOT_VAR = f"/sys/firmware/efi/efivars/SecureBoot-{EFI_GLOBAL_GUID}"


def _note(notes: list[Note], code: str, message: Text) -> None:
    notes.append(Note(code=code, message=message))


def _secure_boot(host: Host, notes: list[Note]) -> SecureBootState:
    data = host.read_bytes(SECURE_BOOT_VAR)
    if data is None:
        efivars = host.list_dir("/sys/firmware/efi/efivars")
        if not efivars:
            _note(
                notes,
                "firmware.efivars_unreadable",
                _t("Variables UEFI illisibles (efivarfs non monté) : état du Secure Boot inconnu"),
            )
            return "unknown"
        # UEFI firmware from before Secure Boot (2.3.1, 2011) has no such variable.
        _note(
            notes,
            "firmware.secure_boot_absent",
            _t("Micrologiciel UEFI sans variable SecureBoot : Secure Boot non pris en charge"),
        )
        return "unsupported"
    # efivarfs: 4 bytes of attributes, then the one-byte value.
    if len(data) == 5 and data[4] in (0, 1):
        return "enabled" if data[4] == 1 else "disabled"
    _note(
        notes,
        "firmware.secure_boot_garbled",
        _t("Variable SecureBoot inattendue ({n_data} octets) : état inconnu", n_data=len(data)),
    )
    return "unknown"


def tpm_version_from(major: str | None, caps: str | None, description: str | None) -> str | None:
    """ "2.0"/"1.2" from what the kernel exposes (``tpm_version_major`` since Linux 5.6)."""
    if major is not None:
        return {"2": "2.0", "1": "1.2"}.get(major.strip())
    if caps and "TCG version: 1.2" in caps:
        return "1.2"
    if description:
        if "2.0" in description:
            return "2.0"
        if "1.2" in description:
            return "1.2"
    return None


def _tpm(host: Host, fw: Firmware, notes: list[Note]) -> None:
    devices = [d for d in host.list_dir("/sys/class/tpm") or [] if d.startswith("tpm")]
    if not devices:
        fw.tpm_present = "no"
        _note(
            notes,
            "firmware.no_tpm",
            _t("Aucun TPM visible (absent, ou désactivé dans le BIOS : Intel PTT / AMD fTPM)"),
        )
        return
    fw.tpm_present = "yes"
    base = f"/sys/class/tpm/{sorted(devices)[0]}"
    major = host.read_text(f"{base}/tpm_version_major")
    caps = description = None
    if major is None:
        caps = host.read_text(f"{base}/device/caps")
        if caps is None:
            description = host.read_text(f"{base}/device/description")
    fw.tpm_version = tpm_version_from(major, caps, description)
    if fw.tpm_version is None:
        _note(
            notes,
            "firmware.tpm_version_unknown",
            _t("TPM présent mais version inconnue"),
        )


def probe_firmware(host: Host, notes: list[Note]) -> Firmware:
    """Boot mode, Secure Boot, TPM and MSDM presence."""
    fw = Firmware()
    if host.list_dir("/sys/firmware/efi") is not None:
        fw.boot_mode = "uefi"
        fw.secure_boot = _secure_boot(host, notes)
    elif host.list_dir("/sys/firmware") is not None:
        fw.boot_mode = "legacy"
        # Booted through BIOS/CSM: Secure Boot is not available in this boot mode.
        fw.secure_boot = "unsupported"
    else:
        _note(
            notes,
            "firmware.no_sysfs",
            _t("/sys/firmware absent : mode de démarrage inconnu"),
        )
    _tpm(host, fw, notes)
    tables = host.list_dir("/sys/firmware/acpi/tables")
    if tables is None:
        fw.windows_key_in_acpi = "unknown"
    else:
        fw.windows_key_in_acpi = "yes" if "MSDM" in tables else "no"
    return fw
