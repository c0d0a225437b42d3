"""The automatic checks: the machine alone decides, read through the Host protocol.

Every check returns an :class:`Outcome`; a missing device or tool is ``n/a`` with the
reason, never an exception (a recorded host that lacks a recording still raises
``FixtureMissingError``: a fixture gap must be loud).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bench_agent.functional.catalogue import Outcome
from bench_agent.i18n import _t, join
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.functional.profile import FunctionalProfile
    from bench_agent.host.base import CommandResult, Host

NET = "/sys/class/net"
POWER = "/sys/class/power_supply"
VIDEO = "/sys/class/video4linux"
CHARGER_TYPES = ("mains", "usb", "usb_c", "usb_pd", "usb_pd_drp")
PERIPHERAL_PREFIXES = ("hid-", "hidpp_", "wacom_", "ps-controller", "sony_controller")


def _first_line(result: CommandResult) -> str:
    text = (result.stderr or result.stdout).decode("utf-8", errors="replace").strip()
    return text.splitlines()[0][:160] if text else (result.error or f"code {result.returncode}")


def interfaces(host: Host) -> tuple[list[str], list[str]]:
    """(wired, wireless) network interfaces backed by a device (no lo, bridges, tunnels)."""
    wired: list[str] = []
    wireless: list[str] = []
    for iface in sorted(host.list_dir(NET) or []):
        if iface == "lo":
            continue
        base = f"{NET}/{iface}"
        if host.realpath(f"{base}/device") is None:
            continue  # virtual interface
        if host.list_dir(f"{base}/wireless") is not None:
            wireless.append(iface)
        else:
            wired.append(iface)
    return wired, wireless


def check_ethernet(host: Host) -> Outcome:
    wired, _ = interfaces(host)
    if not wired:
        return Outcome(
            "ethernet",
            "n/a",
            _t("aucune carte réseau filaire"),
            missing="part",
        )
    states: dict[str, str] = {}
    for iface in wired:
        carrier = host.read_text(f"{NET}/{iface}/carrier")
        operstate = host.read_text(f"{NET}/{iface}/operstate")
        # carrier is unreadable (EINVAL) while the interface is administratively down.
        link = carrier == "1" or (carrier is None and operstate == "up")
        states[iface] = "up" if link else (operstate or "down")
    data: dict[str, str | int | float | bool | None] = {f"link_{i}": s for i, s in states.items()}
    up = [i for i, s in states.items() if s == "up"]
    if up:
        return Outcome(
            "ethernet",
            "pass",
            _t("lien actif sur {up}", up=", ".join(up)),
            data,
        )
    names = ", ".join(wired)
    return Outcome(
        "ethernet",
        "fail",
        _t("pas de lien sur {names} : câble branché ? port ou carte défectueux", names=names),
        data,
    )


def _supplies(host: Host) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in sorted(host.list_dir(POWER) or []):
        kind = (host.read_text(f"{POWER}/{name}/type") or "").strip().lower()
        out.append((name, kind))
    return out


def check_charger(host: Host) -> Outcome:
    chargers = [n for n, k in _supplies(host) if k in CHARGER_TYPES]
    if not chargers:
        return Outcome(
            "charger",
            "n/a",
            _t("aucune alimentation secteur ou USB déclarée par la machine"),
            missing="part",
        )
    online = [n for n in chargers if host.read_text(f"{POWER}/{n}/online") == "1"]
    data: dict[str, str | int | float | bool | None] = {"supplies": ",".join(chargers)}
    if online:
        data["online"] = ",".join(online)
        return Outcome(
            "charger",
            "pass",
            _t("chargeur en ligne ({online})", online=online[0]),
            data,
        )
    return Outcome(
        "charger",
        "fail",
        _t("chargeur non détecté : branché ? câble, prise ou connecteur défectueux"),
        data,
    )


def count_iw_networks(text: str) -> int:
    """Networks in ``iw dev IF scan`` output: one ``BSS xx:xx:...`` block each."""
    return sum(1 for line in text.splitlines() if line.startswith("BSS "))


def count_nmcli_networks(text: str) -> int:
    """Lines of ``nmcli -t -f SSID dev wifi list`` (hidden networks print an empty SSID)."""
    return len(text.splitlines())


def check_wifi(host: Host, profile: FunctionalProfile) -> Outcome:
    _, wireless = interfaces(host)
    if not wireless:
        return Outcome("wifi", "n/a", _t("pas de carte Wi-Fi"), missing="part")
    iface = wireless[0]
    attempts: list[tuple[list[str], Callable[[str], int]]] = [
        (["iw", "dev", iface, "scan"], count_iw_networks),
        (["nmcli", "-t", "-f", "SSID", "dev", "wifi", "list"], count_nmcli_networks),
    ]
    errors: list[str] = []
    tried = False
    for argv, count in attempts:
        # nmcli only when iw is missing or failed (iw needs root, nmcli a running NetworkManager).
        if not host.which(argv[0]):
            continue
        tried = True
        result = host.run(argv, timeout_s=30.0)
        if not result.ok:
            errors.append(f"{argv[0]}: {_first_line(result)}")
            continue
        found = count(result.text())
        data: dict[str, str | int | float | bool | None] = {
            "interface": iface,
            "networks": found,
            "tool": argv[0],
        }
        if found >= profile.wifi_min_networks:
            return Outcome(
                "wifi",
                "pass",
                _t("{found} réseau(x) trouvé(s) sur {iface}", found=found, iface=iface),
                data,
            )
        return Outcome(
            "wifi",
            "fail",
            _t(
                "aucun réseau trouvé sur {iface} (antenne ? un réseau est-il à portée ?)",
                iface=iface,
            ),
            data,
        )
    if not tried:
        return Outcome(
            "wifi",
            "n/a",
            _t("carte {iface} présente mais ni iw ni nmcli installés (paquet iw)", iface=iface),
            {"interface": iface},
            missing="tool",
        )
    detail = "; ".join(errors)
    if any("not permitted" in e.lower() or "(-1)" in e for e in errors):
        return Outcome(
            "wifi",
            "n/a",
            _t("recherche refusée, relancer en root : {detail}", detail=detail),
            {"interface": iface},
            missing="tool",
        )
    return Outcome(
        "wifi",
        "fail",
        _t("la recherche a échoué : {detail}", detail=detail),
        {"interface": iface},
    )


def cameras(host: Host) -> list[tuple[str, str]]:
    """(node, name) of every video capture node (index 0: a UVC camera's metadata node is 1)."""
    found: list[tuple[str, str]] = []
    for node in sorted(host.list_dir(VIDEO) or []):
        if not node.startswith("video"):
            continue
        index = host.read_text(f"{VIDEO}/{node}/index")
        if index not in (None, "0"):
            continue
        name = host.read_text(f"{VIDEO}/{node}/name") or node
        found.append((node, name))
    return found


def check_webcam(host: Host) -> Outcome:
    found = cameras(host)
    if not found:
        return Outcome("webcam", "n/a", _t("aucune webcam détectée"), missing="part")
    node, name = found[0]
    device = f"/dev/{node}"
    data: dict[str, str | int | float | bool | None] = {"device": device, "name": name}
    argv: list[str] | None = None
    if host.which("ffmpeg"):
        argv = [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "v4l2",
            "-i",
            device,
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-vcodec",
            "mjpeg",
            "-",
        ]
    elif host.which("v4l2-ctl"):
        argv = ["v4l2-ctl", "-d", device, "--stream-mmap", "--stream-count=1", "--stream-to=-"]
    if argv is None:
        return Outcome(
            "webcam",
            "n/a",
            _t(
                "{name} présente mais capture impossible : ni ffmpeg ni v4l2-ctl (v4l-utils)",
                name=name,
            ),
            data,
            missing="tool",
        )
    result = host.run(argv, timeout_s=15.0)
    data["tool"] = argv[0]
    if result.ok and len(result.stdout) > 0:
        data["frame_bytes"] = len(result.stdout)
        return Outcome("webcam", "pass", _t("image capturée ({name})", name=name), data)
    return Outcome(
        "webcam",
        "fail",
        _t("{name} : aucune image ({result})", name=name, result=_first_line(result)),
        data,
    )


def _number(host: Host, path: str) -> float | None:
    text = host.read_text(path)
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None  # firmware junk in a numeric attribute: unknown


def check_battery(host: Host, profile: FunctionalProfile) -> Outcome:
    batteries = [
        n for n, k in _supplies(host) if k == "battery" and not n.startswith(PERIPHERAL_PREFIXES)
    ]
    if not batteries:
        return Outcome("battery_autonomy", "n/a", _t("pas de batterie"), missing="part")
    name = batteries[0]
    base = f"{POWER}/{name}"
    if host.read_text(f"{base}/present") == "0":
        return Outcome("battery_autonomy", "fail", _t("{name} : emplacement vide", name=name))
    status = host.read_text(f"{base}/status") or ""
    capacity = _number(host, f"{base}/capacity")
    # Batteries report energy (µWh, µW) or charge (µAh, µA); the ratios are the same.
    full = _number(host, f"{base}/energy_full") or _number(host, f"{base}/charge_full")
    design = _number(host, f"{base}/energy_full_design") or _number(
        host, f"{base}/charge_full_design"
    )
    draw = _number(host, f"{base}/power_now") or _number(host, f"{base}/current_now")
    data: dict[str, str | int | float | bool | None] = {
        "battery": name,
        "status": status,
        "capacity_pct": capacity,
    }
    health = round(100 * full / design, 1) if full and design else None
    autonomy = round(60 * full / draw) if full and draw and status == "Discharging" else None
    data["health_pct"] = health
    data["autonomy_min"] = autonomy
    if health is None and autonomy is None:
        return Outcome(
            "battery_autonomy",
            "n/a",
            _t("{name} ne donne ni capacité d'origine ni consommation", name=name),
            data,
            missing="tool",
        )
    problems: list[Text] = []
    if health is not None and health < profile.battery_min_health_pct:
        problems.append(
            _t(
                "santé {health:g} % < {min_health_pct:g} %",
                health=health,
                min_health_pct=profile.battery_min_health_pct,
            )
        )
    if autonomy is not None and autonomy < profile.battery_min_autonomy_min:
        problems.append(
            _t(
                "autonomie estimée {autonomy} min < {min_autonomy_min:g} min",
                autonomy=autonomy,
                min_autonomy_min=profile.battery_min_autonomy_min,
            )
        )
    if problems:
        return Outcome("battery_autonomy", "fail", join(", ", problems), data)
    found: list[Text] = []
    if health is not None:
        found.append(_t("santé {health:g} %", health=health))
    if autonomy is not None:
        found.append(_t("autonomie estimée {autonomy} min", autonomy=autonomy))
    else:
        found.append(_t("autonomie non estimée (sur secteur)"))
    return Outcome("battery_autonomy", "pass", join(", ", found), data)


def run_automatic(host: Host, profile: FunctionalProfile) -> list[Outcome]:
    """Every automatic check, in catalogue order."""
    return [
        check_webcam(host),
        check_wifi(host, profile),
        check_ethernet(host),
        check_charger(host),
        check_battery(host, profile),
    ]
