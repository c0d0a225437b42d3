"""Hidden areas of ATA drives: Host Protected Area (HPA / Accessible Max Address) and DCO.

Sectors hidden by an HPA or a Device Configuration Overlay are out of reach of
an overwrite. We read them with ``hdparm -N`` (visible/native max sectors) and
``hdparm --dco-identify`` ("Real max sectors"), report none / hidden (sizes) /
unknown with the reason, and can restore the native max (HPA only) when the
policy says so. A DCO is never modified here: DCO restore is permanent and has
bricked drives; the certificate reports it instead.

hdparm exits 0 with nonsense behind some USB bridges ("max sectors = 0/1, HPA
setting seems invalid"), so every reading is sanity-checked and anything odd is
*unknown*, never *none*.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from wipe.firmware.detect import BRIDGED_TRANSPORTS, VIRTUAL_TRANSPORTS
from wipe.firmware.output import CommandLog, decode, failure_in
from wipe.runner_protocol import Runner

HpaState = Literal["none", "hidden", "unknown"]

TIMEOUT_S = 30.0

_MAX_SECTORS = re.compile(
    r"max sectors\s*=\s*(\d+)\s*/\s*(\d+)(?:\((\d+)\?\))?\s*,?\s*(?P<tail>[^\n]*)"
)
_DCO_REAL_MAX = re.compile(r"Real max sectors:\s*(\d+)")
_SECTOR_SIZE = re.compile(r"Logical\s+Sector size:\s*(\d+) bytes")


@dataclass(frozen=True, slots=True)
class HpaStatus:
    """What the drive says about sectors hidden from the operating system."""

    device_path: str
    status: HpaState
    reason_fr: str
    reason_en: str
    visible_sectors: int | None = None
    """Current max (what the OS sees), from ``hdparm -N``."""
    native_sectors: int | None = None
    """Native max, from ``hdparm -N``: visible < native means an HPA."""
    dco_real_sectors: int | None = None
    """"Real max sectors" of the DCO: native < real means a DCO shrank the drive."""
    hpa_hidden_sectors: int | None = None
    dco_hidden_sectors: int | None = None
    logical_sector_bytes: int | None = None
    accessible_max_address: bool = False
    """The drive uses ACS-3 Accessible Max Address (changes need a power cycle)."""
    commands: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hidden_sectors(self) -> int | None:
        parts = [p for p in (self.hpa_hidden_sectors, self.dco_hidden_sectors) if p]
        if parts:
            return sum(parts)
        if self.hpa_hidden_sectors == 0 and self.dco_hidden_sectors == 0:
            return 0
        return None

    @property
    def hidden_bytes(self) -> int | None:
        sectors = self.hidden_sectors
        if sectors is None or self.logical_sector_bytes is None:
            return None
        return sectors * self.logical_sector_bytes

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["hidden_sectors"] = self.hidden_sectors
        data["hidden_bytes"] = self.hidden_bytes
        return data


@dataclass(frozen=True, slots=True)
class MaxSectors:
    visible: int
    native: int
    accessible_max_address: bool


class HpaParseError(ValueError):
    """``hdparm -N`` output could not be trusted."""


def parse_max_sectors(text: str) -> MaxSectors:
    """`` max sectors   = 976771055/976773168, HPA is enabled`` and its variants."""
    match = _MAX_SECTORS.search(text)
    if not match:
        raise HpaParseError("no 'max sectors = visible/native' line")
    tail = match.group("tail").lower()
    if "seems invalid" in tail or match.group(3) is not None:
        raise HpaParseError(f"hdparm itself doubts the reading: {match.group(0).strip()!r}")
    visible, native = int(match.group(1)), int(match.group(2))
    if visible == 0 or native == 0:
        raise HpaParseError(f"zero sector count in {match.group(0).strip()!r}")
    if visible > native:
        raise HpaParseError(f"visible {visible} above native {native}")
    amax = "accessible max address" in tail
    if not amax and "hpa is" not in tail:
        raise HpaParseError(f"unexpected -N wording: {match.group(0).strip()!r}")
    return MaxSectors(visible, native, amax)


def parse_dco_real_max(text: str) -> int:
    match = _DCO_REAL_MAX.search(text)
    if not match or int(match.group(1)) == 0:
        raise HpaParseError("no 'Real max sectors' in the DCO identify output")
    return int(match.group(1))


def detect_hpa(
    runner: Runner,
    device_path: str,
    *,
    transport: str | None = None,
    kernel_sectors: int | None = None,
) -> HpaStatus:
    """HPA/DCO status of ``device_path``; never raises on bad output (status ``unknown``).

    ``kernel_sectors`` (the size the kernel reports, in logical sectors) is used
    as a sanity check: a reading that disagrees with it is not trusted.
    """
    log = CommandLog(runner)

    def unknown(fr: str, en: str, **known: Any) -> HpaStatus:
        return HpaStatus(device_path, "unknown", fr, en, commands=list(log.records), **known)

    if transport is not None and transport.lower() in VIRTUAL_TRANSPORTS:
        return unknown(
            f"inconnu : périphérique virtuel ({transport}), sans HPA ni DCO",
            f"unknown: virtual device ({transport}), no HPA or DCO",
        )
    if transport is not None and transport.lower() in BRIDGED_TRANSPORTS:
        return unknown(
            f"inconnu : disque derrière un pont {transport.upper()} (les commandes ATA de "
            "taille native ne le traversent pas de façon fiable)",
            f"unknown: drive behind a {transport.upper()} bridge (native-size ATA commands "
            "do not pass through reliably)",
        )
    if device_path.startswith("/dev/nvme"):
        return unknown(
            "inconnu : HPA/DCO n'existent pas en NVMe (sans objet)",
            "unknown: HPA/DCO do not exist on NVMe (not applicable)",
        )

    result = log.run(["hdparm", "-N", device_path], TIMEOUT_S)
    text = decode(result.stdout)
    if result.returncode is None:
        problem = failure_in(result)
        return unknown(
            f"inconnu : « hdparm -N » n'a pas pu être exécuté ({problem})",
            f"unknown: 'hdparm -N' could not run ({problem})",
        )
    try:
        max_sectors = parse_max_sectors(text)
    except HpaParseError as exc:
        stderr = decode(result.stderr).strip()[:200]
        detail = f"{exc}; stderr: {stderr}" if stderr else str(exc)
        return unknown(
            f"inconnu : taille native illisible (pont USB, contrôleur RAID ?) : {detail}",
            f"unknown: native size unreadable (USB bridge, RAID controller?): {detail}",
        )
    if kernel_sectors is not None and kernel_sectors != max_sectors.visible:
        return unknown(
            f"inconnu : hdparm voit {max_sectors.visible} secteurs, le noyau {kernel_sectors}",
            f"unknown: hdparm sees {max_sectors.visible} sectors, the kernel {kernel_sectors}",
        )
    hpa_hidden = max_sectors.native - max_sectors.visible

    identify = log.run(["hdparm", "-I", device_path], TIMEOUT_S)
    identify_text = decode(identify.stdout)
    sector_match = _SECTOR_SIZE.search(identify_text)
    sector_bytes = int(sector_match.group(1)) if sector_match else None
    identify_readable = "Commands/features:" in identify_text
    dco_listed = "Device Configuration Overlay feature set" in identify_text

    dco_real: int | None = None
    dco_hidden: int | None = None
    dco_note_fr = dco_note_en = ""
    if identify_readable and not dco_listed:
        dco_hidden = 0  # the drive has no DCO feature set (removed in ACS-3)
    else:
        dco = log.run(["hdparm", "--dco-identify", device_path], TIMEOUT_S)
        try:
            if failure_in(dco) is not None:
                raise HpaParseError(failure_in(dco) or "")
            dco_real = parse_dco_real_max(decode(dco.stdout))
        except HpaParseError as exc:
            dco_note_fr = f" ; DCO illisible ({exc})"
            dco_note_en = f"; DCO unreadable ({exc})"
        else:
            if dco_real < max_sectors.native:
                dco_note_fr = f" ; DCO incohérent ({dco_real} < natif {max_sectors.native})"
                dco_note_en = f"; DCO inconsistent ({dco_real} < native {max_sectors.native})"
                dco_real = None
            else:
                dco_hidden = dco_real - max_sectors.native

    common: dict[str, Any] = {
        "visible_sectors": max_sectors.visible,
        "native_sectors": max_sectors.native,
        "dco_real_sectors": dco_real,
        "hpa_hidden_sectors": hpa_hidden,
        "dco_hidden_sectors": dco_hidden,
        "logical_sector_bytes": sector_bytes,
        "accessible_max_address": max_sectors.accessible_max_address,
    }
    size_fr = size_en = ""
    if sector_bytes is not None:
        hidden_total = hpa_hidden + (dco_hidden or 0)
        size_fr = f" ({hidden_total * sector_bytes} octets)"
        size_en = f" ({hidden_total * sector_bytes} bytes)"
    if hpa_hidden > 0 or (dco_hidden or 0) > 0:
        return HpaStatus(
            device_path,
            "hidden",
            f"secteurs cachés : HPA {hpa_hidden}, DCO {_count(dco_hidden)}{size_fr}{dco_note_fr}",
            f"hidden sectors: HPA {hpa_hidden}, DCO {_count(dco_hidden)}{size_en}{dco_note_en}",
            commands=list(log.records),
            **common,
        )
    if dco_hidden is None:
        return HpaStatus(
            device_path,
            "unknown",
            f"pas de HPA ; DCO inconnu{dco_note_fr}",
            f"no HPA; DCO unknown{dco_note_en}",
            commands=list(log.records),
            **common,
        )
    return HpaStatus(
        device_path,
        "none",
        "aucun secteur caché (HPA et DCO)",
        "no hidden sectors (HPA and DCO)",
        commands=list(log.records),
        **common,
    )


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


@dataclass(slots=True)
class HpaOutcome:
    """What restoring the native max size did; ``completed`` is read back, not assumed."""

    device_path: str
    completed: bool
    reason_fr: str
    reason_en: str
    before: HpaStatus | None = None
    after: HpaStatus | None = None
    power_cycle_needed: bool = False
    kernel_rescan_needed: bool = False
    """The kernel still has the old size: re-read it before overwriting."""
    commands: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "device_path": self.device_path,
            "completed": self.completed,
            "reason_fr": self.reason_fr,
            "reason_en": self.reason_en,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "power_cycle_needed": self.power_cycle_needed,
            "kernel_rescan_needed": self.kernel_rescan_needed,
            "commands": self.commands,
        }


def restore_native_max(
    runner: Runner,
    device_path: str,
    *,
    permanent: bool = True,
    transport: str | None = None,
    kernel_sectors: int | None = None,
) -> HpaOutcome:
    """Remove an HPA: ``hdparm --yes-i-know-what-i-am-doing -N p<native>``, then check.

    Call only when the erasure policy says so. ``permanent`` keeps the full size
    across power cycles (the next owner gets the whole drive). DCO is reported,
    never changed.
    """
    before = detect_hpa(runner, device_path, transport=transport, kernel_sectors=kernel_sectors)
    commands = list(before.commands)
    if before.status == "unknown" and before.hpa_hidden_sectors is None:
        return HpaOutcome(
            device_path,
            False,
            f"taille native non restaurée : {before.reason_fr}",
            f"native size not restored: {before.reason_en}",
            before=before,
            commands=commands,
        )
    if not before.hpa_hidden_sectors:
        dco_fr = dco_en = ""
        if before.dco_hidden_sectors:
            dco_fr = f" ; {before.dco_hidden_sectors} secteurs cachés par un DCO, non modifié"
            dco_en = f"; {before.dco_hidden_sectors} sectors hidden by a DCO, left unchanged"
        return HpaOutcome(
            device_path,
            True,
            "aucune HPA à retirer" + dco_fr,
            "no HPA to remove" + dco_en,
            before=before,
            commands=commands,
        )
    assert before.native_sectors is not None  # set whenever hpa_hidden_sectors is
    log = CommandLog(runner)
    value = f"p{before.native_sectors}" if permanent else str(before.native_sectors)
    result = log.run(
        ["hdparm", "--yes-i-know-what-i-am-doing", "-N", value, device_path], TIMEOUT_S
    )
    commands.extend(log.records)
    problem = failure_in(result)
    after = detect_hpa(runner, device_path, transport=transport)
    commands.extend(after.commands)
    if problem is None and after.visible_sectors == before.native_sectors:
        return HpaOutcome(
            device_path,
            True,
            f"taille native restaurée : {before.native_sectors} secteurs visibles",
            f"native size restored: {before.native_sectors} sectors visible",
            before=before,
            after=after,
            kernel_rescan_needed=True,
            commands=commands,
        )
    power_cycle = before.accessible_max_address and problem is None
    reason_en = problem or (
        f"visible sectors still {after.visible_sectors} instead of {before.native_sectors}"
    )
    return HpaOutcome(
        device_path,
        False,
        "taille native non restaurée ("
        + reason_en
        + (") ; éteindre et rallumer le disque puis recommencer" if power_cycle else ")"),
        "native size not restored ("
        + reason_en
        + ("); power-cycle the drive and try again" if power_cycle else ")"),
        before=before,
        after=after,
        power_cycle_needed=power_cycle,
        commands=commands,
    )
