"""GLPI: our signed unit report as the GLPI agent's native inventory JSON.

:func:`glpi_inventory` builds the document (schema: ``glpi-project/inventory_format``
``inventory.schema.json``, vendored in ``tests/corpus/schemas/``): hardware, BIOS with
Secure Boot, CPU, memory modules, storages with their serials, batteries (design and
real capacity in mWh), monitors from EDID, network adapters. Nothing the schema has no
place for is invented; a value we do not know is left out. The operating system is left
out too: the bench runs a live system, not the unit's.

:class:`GlpiSink` posts it as the agent does: ``POST`` of the JSON to the server's
inventory address (GLPI 10 and later: ``https://glpi.example/front/inventory.php``),
``Content-Type: application/json``. GLPI answers 200 with ``{"status": "ok"}``; a
document it refuses gets 4xx with ``{"status": "error", "message": …}``. GLPI matches a
computer on its serial and UUID, so sending a newer revision updates the same computer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bench_agent.i18n import _t
from bench_agent.model.report import UnitReport
from bench_agent.sync.sinks.base import Delivery, Document
from bench_agent.sync.sinks.http import (
    DEFAULT_TIMEOUT_S,
    excerpt,
    new_session,
    server_trouble,
    transport_failure,
)
from bench_agent.sync.sinks.reading import report_to_send

if TYPE_CHECKING:
    import requests

SINK_LABEL = "GLPI"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ARCH = re.compile(
    r"^(mips|mips64|alpha|sparc|sparc64|m68k|i\d86|x86_64|powerpc|powerpc64|arm.*|aarch64)$"
)
_INTERFACES = {"nvme": "NVME", "sata": "SATA", "ata": "IDE", "scsi": "SCSI", "sas": "SAS",
               "usb": "USB", "mmc": "MMC", "virtio": "VIRTIO"}  # fmt: skip


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` only for a known value (GLPI would store an empty string as a value)."""
    if value is None or value == "":
        return
    target[key] = value.strip() if isinstance(value, str) else value


def _mb(size_bytes: int | None, unit: int) -> int | None:
    return round(size_bytes / unit) if size_bytes else None


def _deviceid(report: UnitReport) -> str:
    """The agent's id: a name and the inventory's date (``name-YYYY-MM-DD-HH-MM-SS``)."""
    name = report.unit.serial or report.unit.asset_tag or report.report_id
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:60] or "unit"
    stamp = re.sub(r"\D", "-", report.created_at[:19]) if report.created_at else "0000-00-00"
    return f"bench-agent-{slug}-{stamp}"


def glpi_inventory(report: UnitReport, *, agent_version: str = "0.1.0") -> dict[str, Any]:
    """The GLPI native inventory document of ``report`` (pure)."""
    inv = report.inventory
    ident = inv.identity

    hardware: dict[str, Any] = {"vmsystem": "Physical"}
    _put(hardware, "name", report.unit.asset_tag or ident.serial or report.report_id[:8])
    _put(hardware, "uuid", ident.uuid)
    _put(hardware, "chassis_type", ident.chassis_type)
    _put(hardware, "memory", _mb(inv.memory.installed_bytes or inv.memory.total_bytes, 2**20))

    bios: dict[str, Any] = {}
    _put(bios, "smanufacturer", ident.maker)
    _put(bios, "smodel", ident.model or ident.product_name)
    _put(bios, "ssn", ident.serial)
    _put(bios, "skunumber", ident.sku)
    _put(bios, "bmanufacturer", ident.bios_vendor)
    _put(bios, "bversion", ident.bios_version)
    if ident.bios_date and _DATE.match(ident.bios_date):
        bios["bdate"] = ident.bios_date
    _put(bios, "mmanufacturer", ident.board_maker)
    _put(bios, "mmodel", ident.board_model)
    _put(bios, "msn", ident.board_serial)
    _put(bios, "assettag", report.unit.asset_tag)
    if inv.firmware.secure_boot in ("enabled", "disabled", "unsupported"):
        bios["secure_boot"] = inv.firmware.secure_boot

    content: dict[str, Any] = {
        "versionclient": f"bench-agent_v{agent_version}",
        "hardware": hardware,
        "bios": bios,
    }

    cpu = inv.cpu
    if cpu.model_name:
        entry: dict[str, Any] = {"name": cpu.model_name.strip()}
        _put(entry, "manufacturer", cpu.vendor)
        _put(entry, "core", cpu.cores)
        _put(entry, "corecount", cpu.cores)
        if cpu.cores and cpu.threads:
            entry["thread"] = max(1, cpu.threads // cpu.cores)
        mhz = cpu.max_mhz or cpu.base_mhz
        _put(entry, "speed", round(mhz) if mhz else None)
        _put(entry, "familynumber", None if cpu.family is None else str(cpu.family))
        _put(entry, "model", None if cpu.model_number is None else str(cpu.model_number))
        _put(entry, "stepping", cpu.stepping)
        if cpu.architecture and _ARCH.match(cpu.architecture):
            entry["arch"] = cpu.architecture
        content["cpus"] = [entry]

    memories = []
    for n, dimm in enumerate(inv.memory.dimms or [], start=1):
        module: dict[str, Any] = {"numslots": n}
        _put(module, "capacity", _mb(dimm.size_bytes, 2**20))
        _put(module, "caption", dimm.locator)
        _put(module, "description", dimm.form_factor)
        _put(module, "manufacturer", dimm.manufacturer)
        _put(module, "model", dimm.part_number)
        speed = dimm.configured_speed_mts or dimm.speed_mts
        _put(module, "speed", f"{speed} MT/s" if speed else None)
        _put(module, "type", dimm.type)
        if dimm.soldered is not None:
            module["removable"] = not dimm.soldered
        memories.append(module)
    if memories:
        content["memories"] = memories

    storages = []
    for disk in inv.disks:
        if disk.boot_medium:  # the bench's own live stick is not part of the unit
            continue
        storage: dict[str, Any] = {"name": disk.name, "type": "disk"}
        _put(storage, "model", disk.model)
        _put(storage, "manufacturer", disk.maker)
        _put(storage, "serial", disk.serial)
        _put(storage, "firmware", disk.firmware)
        _put(storage, "disksize", _mb(disk.capacity_bytes, 10**6))  # GLPI: decimal MB
        _put(storage, "interface", _INTERFACES.get(disk.transport))
        _put(storage, "description", {"hdd": "HDD", "ssd": "SSD"}.get(disk.media))
        _put(storage, "wwn", disk.wwn)
        storages.append(storage)
    if storages:
        content["storages"] = storages

    batteries = []
    for bat in inv.batteries:
        battery: dict[str, Any] = {"name": (bat.model or bat.name).strip()}
        _put(battery, "manufacturer", bat.maker)
        _put(battery, "serial", bat.serial)
        _put(battery, "chemistry", bat.technology)
        _put(battery, "capacity", None if bat.design_wh is None else round(bat.design_wh * 1000))
        _put(battery, "real_capacity", None if bat.full_wh is None else round(bat.full_wh * 1000))
        batteries.append(battery)
    if batteries:
        content["batteries"] = batteries

    monitors = []
    for display in inv.displays:
        if not display.edid_valid:
            continue
        monitor: dict[str, Any] = {"port": display.connector}
        _put(monitor, "manufacturer", display.maker or display.maker_code)
        _put(monitor, "name", display.model)
        caption = " ".join(v for v in (display.model, display.maker_code) if v)
        _put(monitor, "caption", caption or None)
        _put(monitor, "description", None if display.year is None else str(display.year))
        _put(monitor, "type", "internal" if display.internal else "external")
        monitors.append(monitor)
    if monitors:
        content["monitors"] = monitors

    networks = []
    for device in inv.devices:
        if device.kind not in ("ethernet", "wifi") or not device.interface:
            continue
        network: dict[str, Any] = {
            "description": device.interface,
            "type": device.kind,
            "virtualdev": False,
        }
        _put(network, "manufacturer", device.vendor)
        _put(network, "model", device.product)
        _put(network, "driver", device.driver)
        if device.vendor_id and device.product_id and device.bus == "pci":
            network["pciid"] = f"{device.vendor_id}:{device.product_id}".upper()
        networks.append(network)
    if networks:
        content["networks"] = networks

    return {
        "action": "inventory",
        "deviceid": _deviceid(report),
        "itemtype": "Computer",
        "content": content,
    }


class GlpiSink:
    """Posts each unit report revision to a GLPI server as a native inventory."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "glpi",
        timeout_s: tuple[float, float] = DEFAULT_TIMEOUT_S,
        tls_verify: bool | str = True,
        session: requests.Session | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"GLPI URL must start with http:// or https://: {url!r}")
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self._session = session or new_session(tls_verify)

    def close(self) -> None:
        self._session.close()

    def deliver(self, document: Document) -> Delivery:
        import requests

        report = report_to_send(document, "GLPI")
        if isinstance(report, Delivery):
            return report
        body = glpi_inventory(report)
        try:
            response = self._session.post(
                self.url, json=body, timeout=self.timeout_s, allow_redirects=False
            )
        except requests.exceptions.RequestException as exc:
            return transport_failure(SINK_LABEL, exc, max(self.timeout_s))
        status = response.status_code
        if status in (200, 201):
            return Delivery("sent", status=status)
        if status == 429 or status >= 500:
            return server_trouble(SINK_LABEL, response)
        if status in (401, 403):
            return Delivery(
                "retry",
                _t(
                    "GLPI refuse le banc (HTTP {status}) : l'inventaire natif doit être "
                    "activé et ouvert à ce banc ; rien n'est perdu",
                    status=status,
                ),
                status=status,
                detail=excerpt(response),
            )
        return Delivery(
            "rejected",
            _t(
                "GLPI refuse l'inventaire (HTTP {status}) : {message}",
                status=status,
                message=_message(response),
            ),
            status=status,
            detail=excerpt(response),
        )


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:300]
    return str(body)[:300]
