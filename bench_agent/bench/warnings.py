"""What the technician must look at once the inventory is in (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench_agent.i18n import _t
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
        warnings.append(_t("N° de série illisible : tapez celui de l'étiquette (touche s)."))
    for battery in inv.batteries:
        if battery.health_pct is not None and battery.health_pct < WORN_BATTERY_PCT:
            pct = f"{battery.health_pct:.0f}"
            warnings.append(_t("Batterie usée : {pct} % de sa capacité d'origine.", pct=pct))
    for h in record.health or []:
        if h.verdict == "FAIL":
            warnings.append(_t("Disque {device} HS : à remplacer.", device=h.device))
    if inv.win11.ready is False:
        warnings.append(_t("Pas compatible Windows 11."))
    if not [d for d in inv.disks if not d.boot_medium and not d.removable]:
        warnings.append(_t("Aucun disque interne trouvé."))
    return warnings
