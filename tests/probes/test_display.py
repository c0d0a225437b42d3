"""Display probe on synthetic DRM trees carrying real corpus EDID blobs."""

from __future__ import annotations

from pathlib import Path

from bench_agent.model.common import Note
from bench_agent.probes.display import is_internal, probe_displays

EDID_DIR = Path(__file__).parent.parent / "corpus" / "edid"


def _drm(connectors: dict[str, tuple[str, bytes]]) -> dict[str, object]:
    files: dict[str, bytes | str] = {}
    for entry, (status, edid) in connectors.items():
        files[f"/sys/class/drm/{entry}/status"] = status
        files[f"/sys/class/drm/{entry}/edid"] = edid
    listing = ["card0", *connectors, "renderD128", "version"]
    return {"files": files, "listings": {"/sys/class/drm": listing}}


def test_laptop_with_external_monitor_internal_first(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        **_drm(
            {
                "card0-DP-1": ("disconnected", b""),
                "card0-HDMI-A-1": ("connected", (EDID_DIR / "lcd.dell-U2415.bin").read_bytes()),
                "card0-eDP-1": ("connected", (EDID_DIR / "lcd.lenovo-3000-v100.bin").read_bytes()),
            }
        )
    )
    notes: list[Note] = []
    displays = probe_displays(host, notes)
    assert [(d.connector, d.internal) for d in displays] == [("eDP-1", True), ("HDMI-A-1", False)]
    panel = displays[0]
    assert (panel.maker_code, panel.maker, panel.model) == ("AUO", "AU Optronics", "B121EW03 V2")
    assert (panel.width_px, panel.height_px, panel.diagonal_in) == (1280, 800, 12.1)
    assert (panel.width_mm, panel.height_mm, panel.year) == (261, 163, 2006)
    assert panel.edid_valid
    assert displays[1].model == "DELL U2415" and displays[1].diagonal_in == 24.1
    assert notes == []


def test_lvds_panel_of_an_old_laptop(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        **_drm(
            {
                "card0-LVDS-1": ("connected", (EDID_DIR / "lcd.internal.bin").read_bytes()),
                "card0-VGA-1": ("disconnected", b""),
            }
        )
    )
    (panel,) = probe_displays(host, [])
    assert panel.internal and panel.connector == "LVDS-1"
    assert (panel.maker, panel.width_px, panel.height_px, panel.diagonal_in) == (
        "Toshiba",
        1366,
        768,
        13.3,
    )


def test_connected_panel_without_edid_and_corrupted_edid(make_host) -> None:  # type: ignore[no-untyped-def]
    broken = bytearray((EDID_DIR / "lcd.internal.bin").read_bytes())
    broken[127] ^= 0xFF
    host = make_host(
        **_drm(
            {
                "card0-eDP-1": ("connected", b""),
                "card1-HDMI-A-2": ("connected", bytes(broken)),
                "card1-DP-3": ("connected", b"\x00\xff\xff"),
            }
        )
    )
    notes: list[Note] = []
    displays = probe_displays(host, notes)
    assert [(d.connector, d.edid_valid) for d in displays] == [
        ("eDP-1", False),
        ("DP-3", False),
        ("HDMI-A-2", False),
    ]
    assert displays[0].diagonal_in is None
    assert displays[1].width_px is None  # truncated: nothing decoded
    assert displays[2].width_px == 1366  # bad checksum: decoded, flagged invalid
    assert sorted(n.code for n in notes) == [
        "display.bad_edid",
        "display.bad_edid",
        "display.no_edid",
    ]
    assert all(n.message.fr and n.message.en for n in notes)


def test_no_drm_driver(make_host) -> None:  # type: ignore[no-untyped-def]
    notes: list[Note] = []
    assert probe_displays(make_host(listings={"/sys/class/drm": None}), notes) == []
    assert [n.code for n in notes] == ["display.no_drm"]


def test_connector_types() -> None:
    assert is_internal("eDP-1") and is_internal("LVDS-1") and is_internal("DSI-1")
    assert not is_internal("HDMI-A-1") and not is_internal("DP-1") and not is_internal("VGA-1")
