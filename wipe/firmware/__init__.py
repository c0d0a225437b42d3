"""Firmware sanitization: NVMe Sanitize / Format, ATA Sanitize / Security Erase.

Commands are built here and run through an injected runner
(:class:`wipe.runner_protocol.Runner`); results are judged from what the drive
answers, never from an exit code alone. The engine calls:

- :func:`detect` — what the drive offers (``FirmwareCapabilities``);
- :func:`policy_choice` — which methods to try, strongest first;
- :func:`execute` — run one method (``FirmwareOutcome``);
- :func:`unfreeze_command` — the suspend/resume argv the UI may offer for a frozen drive;
  :func:`frozen_drives` and :func:`unfreeze` find frozen drives and run it on request.
"""

from wipe.firmware.ata import unfreeze_command
from wipe.firmware.detect import detect
from wipe.firmware.execute import FirmwareProgress, execute
from wipe.firmware.model import (
    METHODS,
    AtaInfo,
    FirmwareCapabilities,
    FirmwareOutcome,
    MethodSpec,
    NvmeInfo,
)
from wipe.firmware.policy import policy_choice, security_erase_safe
from wipe.firmware.unfreeze import UnfreezeReport, frozen_drives, is_frozen, unfreeze

__all__ = [
    "METHODS",
    "AtaInfo",
    "FirmwareCapabilities",
    "FirmwareOutcome",
    "FirmwareProgress",
    "MethodSpec",
    "NvmeInfo",
    "UnfreezeReport",
    "detect",
    "execute",
    "frozen_drives",
    "is_frozen",
    "policy_choice",
    "security_erase_safe",
    "unfreeze",
    "unfreeze_command",
]
