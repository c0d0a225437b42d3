"""What the technician must look at once the inventory is in (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.record import SittingRecord

WORN_BATTERY_PCT = 65.0
"""The network's battery scale: below this health a battery is replaced."""


def inventory_warnings(record: SittingRecord) -> list[Text]:
    inv = record.inventory
    if inv is None:
        return []
    warnings: list[Text] = []
    if not inv.identity.serial and not record.serial_entered:
        warnings.append(
            Text(
                fr="N° de série illisible : tapez celui de l'étiquette (touche s).",
                en="Serial number unreadable: type the one on the sticker (key s).",
            )
        )
    for battery in inv.batteries:
        if battery.health_pct is not None and battery.health_pct < WORN_BATTERY_PCT:
            pct = f"{battery.health_pct:.0f}"
            warnings.append(
                Text(
                    fr=f"Batterie usée : {pct} % de sa capacité d'origine.",
                    en=f"Worn battery: {pct} % of its design capacity.",
                )
            )
    for h in record.health or []:
        if h.verdict == "FAIL":
            warnings.append(
                Text(
                    fr=f"Disque {h.device} HS : à remplacer.",
                    en=f"Disk {h.device} failed: replace it.",
                )
            )
    if inv.win11.ready is False:
        warnings.append(Text(fr="Pas compatible Windows 11.", en="Not Windows 11 capable."))
    if not [d for d in inv.disks if not d.boot_medium and not d.removable]:
        warnings.append(Text(fr="Aucun disque interne trouvé.", en="No internal disk found."))
    return warnings
