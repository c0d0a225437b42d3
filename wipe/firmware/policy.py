"""Which firmware methods to try on a drive, strongest first."""

from __future__ import annotations

from typing import Literal

from wipe.firmware.model import FirmwareCapabilities

Media = Literal["hdd", "ssd", "nvme", "unknown"]

_NVME_ORDER = (
    "nvme-sanitize-crypto",
    "nvme-sanitize-block",
    "nvme-format-crypto",
    "nvme-format-user",
    # Last on flash: slow and wears the cells, for no more assurance than block erase.
    "nvme-sanitize-overwrite",
)
_ATA_FLASH_ORDER = ("ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite")
# Magnetic media: block erase is a flash operation; overwrite is the native purge.
_ATA_MAGNETIC_ORDER = ("ata-sanitize-crypto", "ata-sanitize-overwrite", "ata-sanitize-block")


def policy_choice(
    capabilities: FirmwareCapabilities,
    media: Media,
    *,
    allow_ata_security_erase: bool = False,
) -> list[str]:
    """Method names to try, strongest first; empty when none is safe or known.

    ATA Security Erase is left out unless ``allow_ata_security_erase``: nwipe's
    maintainers refused to automate it after drives stayed busy for 18 h and some
    were bricked. Even when allowed it is only offered when the drive said,
    explicitly, that security is not frozen, not locked, not enabled (no password
    already set) and its attempt counter has not expired.
    The engine follows any completed firmware method with a verified overwrite.
    """
    if not capabilities.known:
        return []
    offered = set(capabilities.methods)
    if capabilities.interface == "nvme":
        return [m for m in _NVME_ORDER if m in offered]
    if capabilities.interface != "ata":
        return []
    order = _ATA_MAGNETIC_ORDER if media == "hdd" else _ATA_FLASH_ORDER
    chosen = [m for m in order if m in offered]
    info = capabilities.ata
    if allow_ata_security_erase and info is not None and security_erase_safe(capabilities):
        for method in ("ata-secure-erase-enhanced", "ata-secure-erase"):
            if method in offered:
                chosen.append(method)
    return chosen


def security_erase_safe(capabilities: FirmwareCapabilities) -> bool:
    """True only when every Security state bit was read and says the erase can start."""
    info = capabilities.ata
    if info is None:
        return False
    return (
        info.security_supported is True
        and info.security_frozen is False
        and info.security_locked is False
        and info.security_enabled is False
        and info.security_count_expired is not True
    )
