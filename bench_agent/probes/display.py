"""Displays: the internal panel (and any connected screen) from DRM connectors' EDID.

Reads ``list_dir /sys/class/drm`` and, for each connector entry ``cardN-<type>-<n>``,
``status`` and ``edid`` (bytes).
"""

from __future__ import annotations

import re

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Display
from bench_agent.probes.edid import parse_edid

_CONNECTOR = re.compile(r"^card\d+-(?P<connector>.+)$")
INTERNAL_TYPES = ("eDP", "LVDS", "DSI")
"""Connector types wired to a built-in panel."""


def is_internal(connector: str) -> bool:
    return connector.split("-", 1)[0] in INTERNAL_TYPES


def probe_displays(host: Host, notes: list[Note]) -> list[Display]:
    """Connected displays with their EDID facts, the internal panel first."""
    entries = host.list_dir("/sys/class/drm")
    if entries is None:
        notes.append(
            Note(
                code="display.no_drm",
                message=_t("Aucun pilote graphique (DRM) : écran non identifié"),
            )
        )
        return []
    displays: list[Display] = []
    for entry in sorted(entries):
        match = _CONNECTOR.match(entry)
        if not match:
            continue
        connector = match["connector"]
        base = f"/sys/class/drm/{entry}"
        status = host.read_text(f"{base}/status")
        edid = host.read_bytes(f"{base}/edid") or b""
        internal = is_internal(connector)
        if not edid:
            if status == "connected":
                notes.append(
                    Note(
                        code="display.no_edid",
                        message=_t(
                            "{connector} : écran branché mais sans EDID (taille inconnue)",
                            connector=connector,
                        ),
                    )
                )
                displays.append(Display(connector=connector, internal=internal, edid_valid=False))
            continue
        info = parse_edid(edid)
        if info.error is not None:
            notes.append(
                Note(
                    code="display.bad_edid",
                    message=_t("{connector} : {error}", connector=connector, error=info.error),
                )
            )
        displays.append(
            Display(
                connector=connector,
                internal=internal,
                maker_code=info.maker_code,
                maker=info.maker,
                model=info.model,
                product_code=info.product_code,
                width_px=info.width_px,
                height_px=info.height_px,
                width_mm=info.width_mm,
                height_mm=info.height_mm,
                diagonal_in=info.diagonal_in,
                year=info.year,
                edid_valid=info.valid,
            )
        )
    displays.sort(key=lambda d: (not d.internal, d.connector))
    return displays
