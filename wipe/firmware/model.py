"""What firmware sanitization knows about a drive, and what a firmware method did.

Plain frozen dataclasses (``to_dict()`` gives JSON-ready data for certificates).
Tri-state booleans: ``None`` means the drive's answer was missing or unreadable,
never "no".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Interface = Literal["nvme", "ata", "unknown"]
NistLevel = Literal["purge"]


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One firmware method the engine can ask for by name."""

    name: str
    interface: Interface
    label_fr: str
    label_en: str
    nist_level: NistLevel | None
    """Level this method achieves when it completes (SP 800-88 / IEEE 2883 vocabulary).

    Only Sanitize-class commands claim Purge: IEEE 2883-2022 lists NVMe and ATA
    Sanitize (crypto / block / overwrite) as Purge techniques; Format NVM and ATA
    SECURITY ERASE UNIT are implemented so unevenly (over-provisioned areas,
    vendor shortcuts) that we claim nothing for them — the engine's verified
    overwrite is what earns Clear.
    """


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "nvme-sanitize-crypto",
            "nvme",
            "NVMe Sanitize, effacement cryptographique",
            "NVMe Sanitize, crypto erase",
            "purge",
        ),
        MethodSpec(
            "nvme-sanitize-block",
            "nvme",
            "NVMe Sanitize, effacement de blocs",
            "NVMe Sanitize, block erase",
            "purge",
        ),
        MethodSpec(
            "nvme-sanitize-overwrite",
            "nvme",
            "NVMe Sanitize, réécriture",
            "NVMe Sanitize, overwrite",
            "purge",
        ),
        MethodSpec(
            "nvme-format-crypto",
            "nvme",
            "NVMe Format, effacement cryptographique (SES=2)",
            "NVMe Format, cryptographic erase (SES=2)",
            None,
        ),
        MethodSpec(
            "nvme-format-user",
            "nvme",
            "NVMe Format, effacement des données (SES=1)",
            "NVMe Format, user data erase (SES=1)",
            None,
        ),
        MethodSpec(
            "ata-sanitize-crypto",
            "ata",
            "ATA Sanitize, brouillage cryptographique",
            "ATA Sanitize, crypto scramble",
            "purge",
        ),
        MethodSpec(
            "ata-sanitize-block",
            "ata",
            "ATA Sanitize, effacement de blocs",
            "ATA Sanitize, block erase",
            "purge",
        ),
        MethodSpec(
            "ata-sanitize-overwrite",
            "ata",
            "ATA Sanitize, réécriture",
            "ATA Sanitize, overwrite",
            "purge",
        ),
        MethodSpec(
            "ata-secure-erase-enhanced",
            "ata",
            "ATA Security Erase renforcé",
            "ATA enhanced Security Erase",
            None,
        ),
        MethodSpec(
            "ata-secure-erase",
            "ata",
            "ATA Security Erase",
            "ATA Security Erase",
            None,
        ),
    )
}
"""Every firmware method, strongest first within each interface."""


@dataclass(frozen=True, slots=True)
class NvmeInfo:
    """What ``nvme id-ctrl`` / ``nvme id-ns`` said about an NVMe drive."""

    model: str | None
    serial: str | None
    firmware: str | None
    oacs: int
    """Optional Admin Command Support; bit 1 = Format NVM."""
    fna: int
    """Format NVM Attributes; bit 0 all namespaces, bit 1 erase all, bit 2 crypto erase."""
    sanicap: int
    """Sanitize Capabilities; bit 0 crypto, bit 1 block, bit 2 overwrite."""
    nsid: int | None
    """Namespace whose LBA format is preserved by Format (None: id-ns unreadable)."""
    lbaf_index: int | None
    metadata_extended: bool | None
    """flbas bit 4: metadata transferred at the end of each LBA (``--ms=1``)."""
    pi_type: int | None
    """dps bits 2:0: protection information type, kept by Format (``--pi``)."""
    pi_first: bool | None
    """dps bit 3: protection information in the first bytes of metadata (``--pil``)."""
    capacity_bytes: int | None

    @property
    def format_supported(self) -> bool:
        return bool(self.oacs & 0x2)

    @property
    def format_crypto_supported(self) -> bool:
        return self.format_supported and bool(self.fna & 0x4)

    @property
    def format_applies_to_all_namespaces(self) -> bool:
        return bool(self.fna & 0x1) or bool(self.fna & 0x2)

    @property
    def sanitize_crypto(self) -> bool:
        return bool(self.sanicap & 0x1)

    @property
    def sanitize_block(self) -> bool:
        return bool(self.sanicap & 0x2)

    @property
    def sanitize_overwrite(self) -> bool:
        return bool(self.sanicap & 0x4)


@dataclass(frozen=True, slots=True)
class AtaInfo:
    """What ``hdparm -I`` said about an ATA drive."""

    model: str | None
    serial: str | None
    firmware: str | None
    rotation: Literal["ssd", "hdd"] | None
    sectors: int | None
    """LBA48 (else LBA28) user addressable sectors."""
    logical_sector_bytes: int | None
    security_supported: bool | None
    security_enabled: bool | None
    security_locked: bool | None
    security_frozen: bool | None
    security_count_expired: bool | None
    enhanced_erase_supported: bool | None
    erase_time_min: int | None
    """Drive's estimate for SECURITY ERASE UNIT, minutes (``>508min`` kept as 508)."""
    enhanced_erase_time_min: int | None
    sanitize_supported: bool
    sanitize_crypto: bool
    sanitize_block: bool
    sanitize_overwrite: bool

    @property
    def capacity_bytes(self) -> int | None:
        if self.sectors is None or self.logical_sector_bytes is None:
            return None
        return self.sectors * self.logical_sector_bytes


@dataclass(frozen=True, slots=True)
class FirmwareCapabilities:
    """Which firmware methods a drive offers, read from the drive itself."""

    device_path: str
    interface: Interface
    known: bool
    """False when the drive could not be asked or its answer was unreadable."""
    methods: tuple[str, ...]
    """Supported method names (before policy), strongest first."""
    reason_fr: str
    reason_en: str
    nvme: NvmeInfo | None = None
    ata: AtaInfo | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)
    """Evidence: every command run to detect, with output excerpts."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class FirmwareOutcome:
    """What one firmware method did. ``completed`` is never taken from an exit code alone."""

    method: str
    device_path: str
    completed: bool
    reason_fr: str
    reason_en: str
    commands: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0
    nist_level: NistLevel | None = None
    """Set only when ``completed``; the engine still proves the change by reading back."""
    cancelled: bool = False
    still_running_on_drive: bool = False
    """The drive continues a sanitize we stopped watching (cancel / timeout): do not power off."""
    temporary_password: str | None = None
    """ATA Security Erase only: the user password we set, recorded in case clearing it failed."""
    security_left_enabled: bool = False
    """ATA Security Erase only: the drive may still be locked by ``temporary_password``."""
    unfreeze_argv: list[str] | None = None
    """Offered when the drive was frozen: the suspend/resume that usually unfreezes it."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
