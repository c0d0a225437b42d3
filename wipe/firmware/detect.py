"""Ask the drive itself which firmware sanitization methods it offers."""

from __future__ import annotations

from wipe.firmware import ata, nvme
from wipe.firmware.model import METHODS, FirmwareCapabilities, Interface
from wipe.firmware.output import CommandLog, decode, failure_in
from wipe.runner_protocol import Runner

IDENTIFY_TIMEOUT_S = 30.0

BRIDGED_TRANSPORTS = frozenset({"usb", "mmc", "sdio", "ieee1394"})
"""Transports whose bridges rarely pass ATA/NVMe admin commands through faithfully."""
VIRTUAL_TRANSPORTS = frozenset({"loop", "virtio"})
"""Block devices with no drive firmware behind them."""


def _unknown(
    device_path: str,
    interface: Interface,
    log: CommandLog,
    reason_fr: str,
    reason_en: str,
) -> FirmwareCapabilities:
    return FirmwareCapabilities(
        device_path=device_path,
        interface=interface,
        known=False,
        methods=(),
        reason_fr=reason_fr,
        reason_en=reason_en,
        commands=list(log.records),
    )


def _summary(methods: list[str]) -> tuple[str, str]:
    if not methods:
        return (
            "aucune méthode d'effacement par le firmware proposée par le disque",
            "the drive offers no firmware sanitization method",
        )
    return (
        "méthodes proposées : " + " ; ".join(METHODS[m].label_fr for m in methods),
        "methods offered: " + "; ".join(METHODS[m].label_en for m in methods),
    )


def detect(
    runner: Runner, device_path: str, *, transport: str | None = None
) -> FirmwareCapabilities:
    """Capabilities of ``device_path`` from ``nvme id-ctrl``/``id-ns`` or ``hdparm -I``.

    ``transport`` (from /sys, e.g. ``"usb"``) lets the caller say the drive sits
    behind a bridge: firmware commands are then not attempted at all.
    Never raises on bad output: an unreadable answer gives ``known=False`` with
    the reason.
    """
    log = CommandLog(runner)
    if transport is not None and transport.lower() in VIRTUAL_TRANSPORTS:
        return _unknown(
            device_path,
            "unknown",
            log,
            f"périphérique virtuel ({transport}) : pas de firmware de disque à qui parler",
            f"virtual device ({transport}): no drive firmware to talk to",
        )
    if transport is not None and transport.lower() in BRIDGED_TRANSPORTS:
        return _unknown(
            device_path,
            "unknown",
            log,
            f"disque derrière un pont {transport.upper()} : les commandes d'effacement du "
            "firmware ne le traversent pas de façon fiable, elles ne sont pas tentées",
            f"drive behind a {transport.upper()} bridge: firmware erase commands do not pass "
            "through reliably, so they are not attempted",
        )
    if device_path.startswith("/dev/nvme"):
        return _detect_nvme(log, device_path)
    return _detect_ata(log, device_path)


def _detect_nvme(log: CommandLog, device_path: str) -> FirmwareCapabilities:
    result = log.run(nvme.id_ctrl_argv(device_path), IDENTIFY_TIMEOUT_S)
    problem = failure_in(result)
    if problem is not None:
        return _unknown(
            device_path,
            "nvme",
            log,
            f"le contrôleur NVMe n'a pas répondu à « nvme id-ctrl » ({problem})",
            f"the NVMe controller did not answer 'nvme id-ctrl' ({problem})",
        )
    try:
        ctrl = nvme.parse_id_ctrl(decode(result.stdout))
    except nvme.NvmeParseError as exc:
        return _unknown(
            device_path,
            "nvme",
            log,
            f"réponse de « nvme id-ctrl » illisible ({exc})",
            f"unreadable 'nvme id-ctrl' answer ({exc})",
        )
    ns: nvme.Namespace | None = None
    ns_problem: str | None = None
    ns_result = log.run(nvme.id_ns_argv(device_path), IDENTIFY_TIMEOUT_S)
    ns_problem = failure_in(ns_result)
    if ns_problem is None:
        try:
            ns = nvme.parse_id_ns(decode(ns_result.stdout))
        except nvme.NvmeParseError as exc:
            ns_problem = str(exc)
    info = nvme.info(ctrl, ns, nvme.namespace_id(device_path))
    methods: list[str] = []
    if info.sanitize_crypto:
        methods.append("nvme-sanitize-crypto")
    if info.sanitize_block:
        methods.append("nvme-sanitize-block")
    if info.sanitize_overwrite:
        methods.append("nvme-sanitize-overwrite")
    # Format keeps the namespace's LBA format: without id-ns we cannot say which.
    if ns is not None and info.format_crypto_supported:
        methods.append("nvme-format-crypto")
    if ns is not None and info.format_supported:
        methods.append("nvme-format-user")
    reason_fr, reason_en = _summary(methods)
    if ns_problem is not None and info.format_supported:
        reason_fr += f" ; Format écarté : espace de noms illisible ({ns_problem})"
        reason_en += f"; Format left out: namespace unreadable ({ns_problem})"
    return FirmwareCapabilities(
        device_path=device_path,
        interface="nvme",
        known=True,
        methods=tuple(methods),
        reason_fr=reason_fr,
        reason_en=reason_en,
        nvme=info,
        commands=list(log.records),
    )


def _detect_ata(log: CommandLog, device_path: str) -> FirmwareCapabilities:
    result = log.run(ata.identify_argv(device_path), IDENTIFY_TIMEOUT_S)
    if result.returncode is None:
        problem = failure_in(result)
        return _unknown(
            device_path,
            "ata",
            log,
            f"« hdparm -I » n'a pas pu être exécuté ({problem})",
            f"'hdparm -I' could not run ({problem})",
        )
    try:
        info = ata.parse_identify(decode(result.stdout))
    except ata.AtaParseError as exc:
        stderr = decode(result.stderr).strip()
        detail = f"{exc}; stderr: {stderr[:200]}" if stderr else str(exc)
        return _unknown(
            device_path,
            "unknown",
            log,
            "le disque ne répond pas aux commandes ATA (pont USB, contrôleur RAID, "
            f"périphérique virtuel ?) : {detail}",
            "the drive does not answer ATA commands (USB bridge, RAID controller, "
            f"virtual device?): {detail}",
        )
    methods: list[str] = []
    if info.sanitize_supported:
        if info.sanitize_crypto:
            methods.append("ata-sanitize-crypto")
        if info.sanitize_block:
            methods.append("ata-sanitize-block")
        if info.sanitize_overwrite:
            methods.append("ata-sanitize-overwrite")
    if info.security_supported:
        if info.enhanced_erase_supported:
            methods.append("ata-secure-erase-enhanced")
        methods.append("ata-secure-erase")
    reason_fr, reason_en = _summary(methods)
    if info.security_frozen:
        reason_fr += " ; sécurité ATA gelée (frozen) par le BIOS"
        reason_en += "; ATA security frozen by the BIOS"
    return FirmwareCapabilities(
        device_path=device_path,
        interface="ata",
        known=True,
        methods=tuple(methods),
        reason_fr=reason_fr,
        reason_en=reason_en,
        ata=info,
        commands=list(log.records),
    )
