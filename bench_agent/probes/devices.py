"""Devices: GPUs, network adapters, Bluetooth, webcam, audio, optical drive, card
reader (PCI, USB or MMC host), fingerprint reader and modem.

What is read (each once):

- PCI: ``lspci -vmm -nn -k -D`` when ``lspci`` is on PATH (names from pci.ids,
  ids, driver: one cheap command); otherwise ``/sys/bus/pci/devices/*/{class,
  vendor,device}`` and ``realpath .../driver`` (ids only).
- USB: ``/sys/bus/usb/devices/<dev>/{idVendor,idProduct,manufacturer,product,
  bDeviceClass}`` and ``<dev>:<if>/bInterfaceClass``.
- Network interfaces: ``/sys/class/net/<if>/uevent``, ``realpath .../device``
  and ``list_dir .../wireless``. The ``address`` file (the MAC, personal data) is
  never read, and an interface named after its MAC (``enx<MAC>``) is not named.
- ``list_dir /sys/class/bluetooth`` (and ``realpath`` of an hci device when no
  USB Bluetooth was seen), ``/proc/asound/cards`` when no PCI audio was seen,
  ``list_dir /sys/block`` and ``sr*/device/{vendor,model}`` plus ``realpath``,
  ``list_dir /sys/class/mmc_host`` with ``realpath``, ``list_dir`` and card ``type``.

USB audio devices and HID peripherals are not reported: on a bench they are
the technician's headset, keyboard and mouse, not the laptop's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Device, DeviceKind

Bus = Literal["pci", "usb", "platform", "other"]

LSPCI_ARGV = ["lspci", "-vmm", "-nn", "-k", "-D"]
LSPCI_TIMEOUT_S = 3.0

_PCI_ADDRESS = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_NAME_AND_ID = re.compile(r"^(?P<name>.*?)\s*\[(?P<id>[0-9a-fA-F]{4})\]$")
# systemd names USB adapters after their MAC when nothing better exists
# ("enx00e04c680123", "wlx..."): such a name is a MAC address in disguise.
_MAC_IN_NAME = re.compile(r"^(en|wl|ww)x[0-9a-f]{12}$", re.I)
_USB_DEVICE = re.compile(r"^\d+-[\d.]+$")
_USB_INTERFACE = re.compile(r"^(?P<dev>\d+-[\d.]+):\d+\.\d+$")
_CARD_READER_NAME = re.compile(r"card ?reader|\bcrw\b|sd/mmc|multi-?card|memory stick", re.I)
_MODEM_NAME = re.compile(
    r"mobile broadband|\bwwan\b|\blte\b|\bhspa\+?\b|\bmodem\b|\b3g\b|\b4g\b", re.I
)
# A string descriptor that is really a serial number (some webcams put their
# serial in "manufacturer"): not a maker name, and not for the report.
_SERIAL_LIKE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{8,}$")

# USB vendors whose devices inside a laptop are fingerprint readers.
FINGERPRINT_VENDORS = {
    "138a": "Validity Sensors",
    "147e": "UPEK",
    "08ff": "AuthenTec",
    "27c6": "Goodix",
    "1c7a": "LighTuning / Egis",
    "2808": "FocalTech",
    "06cb": "Synaptics",
}
# Elan makes touchpads and touchscreens too: only its 0x0cXX products are readers.
_ELAN_FINGERPRINT = re.compile(r"^0c[0-9a-f]{2}$")
# Vendors of laptop WWAN cards (Dell and HP rebrand Sierra/Ericsson modules).
MODEM_VENDORS = {
    "1199": "Sierra Wireless",
    "0bdb": "Ericsson",
    "2c7c": "Quectel",
    "2cb7": "Fibocom",
    "1bc7": "Telit",
    "12d1": "Huawei",
}
# Known card-reader chips that do not say so in their product string.
USB_CARD_READERS = {("0bda", "0129"), ("0bda", "0139"), ("0bda", "0158"), ("0bda", "0177")}
# Maker names for USB ids whose string descriptors are often missing or junk.
USB_VENDORS = {
    "04ca": "Lite-On",
    "04f2": "Chicony",
    "04f3": "Elan",
    "0489": "Foxconn",
    "0bda": "Realtek",
    "0c45": "Microdia",
    "0cf3": "Qualcomm Atheros",
    "13d3": "IMC Networks",
    "174f": "Syntek",
    "1bcf": "Sunplus",
    "5986": "Bison / Acer",
    "8087": "Intel",
    **FINGERPRINT_VENDORS,
    **MODEM_VENDORS,
}


@dataclass(slots=True)
class PciEntry:
    address: str
    class_code: str
    """Class and subclass, 4 hex digits ("0300")."""
    vendor_id: str | None = None
    device_id: str | None = None
    vendor: str | None = None
    product: str | None = None
    driver: str | None = None


@dataclass(slots=True)
class UsbEntry:
    name: str
    vendor_id: str | None = None
    product_id: str | None = None
    vendor: str | None = None
    product: str | None = None
    device_class: str | None = None
    interface_classes: set[str] = field(default_factory=set)


def _split_name_id(value: str) -> tuple[str | None, str | None]:
    match = _NAME_AND_ID.match(value.strip())
    if not match:
        return (value.strip() or None), None
    name = match["name"].strip()
    # lspci prints "Device [abcd]" when pci.ids does not know the product.
    if not name or name in ("Device", "Unknown device"):
        name = ""
    return (name or None), match["id"].lower()


def parse_lspci_vmm(text: str) -> list[PciEntry]:
    """Records of ``lspci -vmm -nn -k -D`` (blank-line separated ``Tag:<TAB>value``)."""
    entries: list[PciEntry] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            tag, sep, value = line.partition(":")
            if sep:
                fields.setdefault(tag.strip(), value.strip())
        slot = fields.get("Slot")
        _class_name, class_id = _split_name_id(fields.get("Class", ""))
        if not slot or class_id is None:
            continue
        if len(slot) == 7:  # lspci without -D omits the domain
            slot = "0000:" + slot
        vendor, vendor_id = _split_name_id(fields.get("Vendor", ""))
        product, device_id = _split_name_id(fields.get("Device", ""))
        entries.append(
            PciEntry(
                address=slot.lower(),
                class_code=class_id,
                vendor_id=vendor_id,
                device_id=device_id,
                vendor=vendor,
                product=product,
                driver=fields.get("Driver") or None,
            )
        )
    return entries


def _hex_id(value: str | None, digits: int) -> str | None:
    if not value:
        return None
    text = value.strip().lower().removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]+", text):
        return None
    return text[:digits].rjust(digits, "0")


def _pci_from_sysfs(host: Host) -> list[PciEntry]:
    entries: list[PciEntry] = []
    for address in sorted(host.list_dir("/sys/bus/pci/devices") or []):
        base = f"/sys/bus/pci/devices/{address}"
        class_code = _hex_id(host.read_text(f"{base}/class"), 6)
        if class_code is None:
            continue
        driver_path = host.realpath(f"{base}/driver")
        entries.append(
            PciEntry(
                address=address,
                class_code=class_code[:4],
                vendor_id=_hex_id(host.read_text(f"{base}/vendor"), 4),
                device_id=_hex_id(host.read_text(f"{base}/device"), 4),
                driver=driver_path.rsplit("/", 1)[-1] if driver_path else None,
            )
        )
    return entries


def _pci_entries(host: Host, notes: list[Note]) -> list[PciEntry]:
    if host.which("lspci"):
        result = host.run(LSPCI_ARGV, timeout_s=LSPCI_TIMEOUT_S)
        if result.ok:
            entries = parse_lspci_vmm(result.text())
            if entries:
                return entries
    notes.append(
        Note(
            code="devices.no_lspci",
            message=_t("lspci indisponible : cartes PCI identifiées par leurs numéros seulement"),
        )
    )
    return _pci_from_sysfs(host)


def _pci_kind(entry: PciEntry) -> DeviceKind | None:
    code = entry.class_code
    names = f"{entry.product or ''} {entry.driver or ''}"
    if code.startswith("03"):
        return "gpu"
    if code == "0200":
        return "ethernet"
    if code == "0280":
        return "wifi"
    if code in ("0401", "0403"):
        return "audio"
    if code == "0480" and re.search(r"\bipu|imaging unit|camera", names, re.I):
        return "webcam"  # MIPI cameras behind Intel's IPU (Tiger Lake and later)
    lower = names.lower()
    if code == "0805" and (
        "emmc" in lower
        or "sdio" in lower
        or ("mmc controller" in lower and "sd" not in lower.replace("sdio", ""))
    ):
        return None  # Atom-class eMMC or SDIO (Wi-Fi) controllers share the SD host class
    if code == "0805" or _CARD_READER_NAME.search(names) or lower.split()[-1:] == ["rtsx_pci"]:
        return "card_reader"
    if code == "0d11":
        return "bluetooth"
    if code.startswith(("07", "0d")) and _MODEM_NAME.search(names):
        return "modem"
    return None


def _clean_usb_string(value: str | None) -> str | None:
    if value is None or any("\udc80" <= ch <= "\udcff" for ch in value):
        return None
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    if not text or _SERIAL_LIKE.match(text):
        return None
    return text


def _usb_entries(host: Host) -> dict[str, UsbEntry]:
    names = host.list_dir("/sys/bus/usb/devices") or []
    devices: dict[str, UsbEntry] = {}
    for name in sorted(names):
        if not _USB_DEVICE.match(name):
            continue
        base = f"/sys/bus/usb/devices/{name}"
        vendor_id = _hex_id(host.read_text(f"{base}/idVendor"), 4)
        devices[name] = UsbEntry(
            name=name,
            vendor_id=vendor_id,
            product_id=_hex_id(host.read_text(f"{base}/idProduct"), 4),
            vendor=_clean_usb_string(host.read_text(f"{base}/manufacturer"))
            or USB_VENDORS.get(vendor_id or ""),
            product=_clean_usb_string(host.read_text(f"{base}/product")),
            device_class=_hex_id(host.read_text(f"{base}/bDeviceClass"), 2),
        )
    for name in sorted(names):
        match = _USB_INTERFACE.match(name)
        if match and match["dev"] in devices:
            iface_class = _hex_id(host.read_text(f"/sys/bus/usb/devices/{name}/bInterfaceClass"), 2)
            if iface_class:
                devices[match["dev"]].interface_classes.add(iface_class)
    return devices


def _usb_kind(entry: UsbEntry) -> DeviceKind | None:
    classes = entry.interface_classes | ({entry.device_class} if entry.device_class else set())
    names = f"{entry.vendor or ''} {entry.product or ''}"
    vid, pid = entry.vendor_id or "", entry.product_id or ""
    if "0e" in classes:
        return "webcam"
    if "e0" in classes:
        return "bluetooth"
    if (
        vid in FINGERPRINT_VENDORS
        or (vid == "04f3" and _ELAN_FINGERPRINT.match(pid))
        or "finger" in names.lower()
    ):
        return "fingerprint"
    if "08" in classes and (_CARD_READER_NAME.search(names) or (vid, pid) in USB_CARD_READERS):
        return "card_reader"
    if vid in MODEM_VENDORS or _MODEM_NAME.search(names):
        return "modem"
    return None


def _pci_address_in(path: str | None) -> str | None:
    """The last PCI address in a /sys/devices path (the device itself, not its bridges)."""
    if not path:
        return None
    found = [part for part in path.split("/") if _PCI_ADDRESS.match(part)]
    return found[-1] if found else None


def _usb_device_in(path: str | None) -> str | None:
    if not path:
        return None
    found = [part for part in path.split("/") if _USB_DEVICE.match(part)]
    return found[-1] if found else None


def _bus_of(path: str | None) -> Bus:
    if not path:
        return "other"
    if "/usb" in path:
        return "usb"
    if _pci_address_in(path):
        return "pci"
    if "/platform/" in path:
        return "platform"
    return "other"


def _device_from_pci(entry: PciEntry, kind: DeviceKind) -> Device:
    return Device(
        kind=kind,
        bus="pci",
        vendor=entry.vendor,
        product=entry.product,
        vendor_id=entry.vendor_id,
        product_id=entry.device_id,
        driver=entry.driver,
    )


def _device_from_usb(entry: UsbEntry, kind: DeviceKind) -> Device:
    return Device(
        kind=kind,
        bus="usb",
        vendor=entry.vendor,
        product=entry.product,
        vendor_id=entry.vendor_id,
        product_id=entry.product_id,
    )


def _network(
    host: Host,
    pci_devices: dict[str, Device],
    usb: dict[str, UsbEntry],
    found: list[Device],
) -> None:
    """Attach interface names to PCI adapters; add USB and other adapters."""
    for iface in sorted(host.list_dir("/sys/class/net") or []):
        if iface == "lo":
            continue
        base = f"/sys/class/net/{iface}"
        shown = None if _MAC_IN_NAME.match(iface) else iface
        dev_path = host.realpath(f"{base}/device")
        if dev_path is None:
            continue  # virtual interface (bridge, tunnel, ifb...)
        uevent = host.read_text(f"{base}/uevent") or ""
        devtype = next(
            (line.split("=", 1)[1] for line in uevent.splitlines() if line.startswith("DEVTYPE=")),
            "",
        )
        kind: DeviceKind
        if devtype == "wlan" or host.list_dir(f"{base}/wireless") is not None:
            kind = "wifi"
        elif devtype == "wwan" or iface.startswith("wwan"):
            kind = "modem"
        else:
            kind = "ethernet"
        if "/usb" not in dev_path:
            address = _pci_address_in(dev_path)
            device = pci_devices.get(address or "")
            if device is not None:
                # The interface knows better than the PCI class (some Wi-Fi
                # chips declare themselves as Ethernet controllers).
                device.kind = kind
                device.interface = shown
                continue
        usb_name = _usb_device_in(dev_path)
        usb_entry = usb.get(usb_name or "")
        if usb_entry is not None:
            device = _device_from_usb(usb_entry, kind)
            usb_entry.interface_classes.add("net")  # counted: not reported twice
        else:
            device = Device(kind=kind, bus=_bus_of(dev_path))
        device.interface = shown
        found.append(device)


def _optical(host: Host) -> list[Device]:
    drives = []
    for name in sorted(host.list_dir("/sys/block") or []):
        if not name.startswith("sr"):
            continue
        base = f"/sys/block/{name}"
        vendor = _clean_usb_string(host.read_text(f"{base}/device/vendor"))
        product = _clean_usb_string(host.read_text(f"{base}/device/model"))
        bus: Bus = "usb" if "/usb" in (host.realpath(base) or "") else "other"
        drives.append(
            Device(kind="optical", bus=bus, vendor=vendor, product=product, interface=name)
        )
    return drives


def _mmc_readers(host: Host, reader_paths: set[str]) -> list[Device]:
    readers = []
    for host_name in sorted(host.list_dir("/sys/class/mmc_host") or []):
        base = f"/sys/class/mmc_host/{host_name}"
        path = host.realpath(base) or ""
        if _pci_address_in(path) in reader_paths or "/usb" in path:
            continue  # its PCI/USB controller is already reported
        types = set()
        for child in host.list_dir(base) or []:
            if child.startswith(f"{host_name}:"):
                types.add(host.read_text(f"{base}/{child}/type"))
        if types & {"MMC", "SDIO"}:
            continue  # soldered eMMC or an SDIO Wi-Fi chip, not a card slot
        readers.append(
            Device(kind="card_reader", bus=_bus_of(path), product=f"SD/MMC ({host_name})")
        )
    return readers


def _asound_cards(text: str) -> list[str]:
    """Card descriptions from /proc/asound/cards (" 0 [PCH ]: HDA-Intel - HDA Intel PCH")."""
    cards = []
    for line in text.splitlines():
        match = re.match(r"^\s*\d+\s+\[[^\]]*\]:\s*(?P<driver>\S+)\s+-\s+(?P<name>.+)$", line)
        if match:
            cards.append(match["name"].strip())
    return cards


def probe_devices(host: Host, notes: list[Note]) -> list[Device]:
    """Every adapter a refurbisher lists, PCI first, in a stable order."""
    found: list[Device] = []
    pci_devices: dict[str, Device] = {}
    reader_addresses: set[str] = set()
    gpu_slots: set[str] = set()
    for entry in sorted(_pci_entries(host, notes), key=lambda e: e.address):
        kind = _pci_kind(entry)
        if kind is None:
            continue
        slot = entry.address.rsplit(".", 1)[0]
        if kind == "gpu":
            # Old Intel GPUs expose a second "Display controller" function
            # (00:02.1): one chip, reported once.
            if slot in gpu_slots:
                continue
            gpu_slots.add(slot)
        device = _device_from_pci(entry, kind)
        pci_devices[entry.address] = device
        if kind == "card_reader":
            reader_addresses.add(entry.address)
        found.append(device)

    usb = _usb_entries(host)
    _network(host, pci_devices, usb, found)
    for usb_entry in usb.values():
        if "net" in usb_entry.interface_classes:
            continue
        usb_kind = _usb_kind(usb_entry)
        if usb_kind is not None:
            found.append(_device_from_usb(usb_entry, usb_kind))

    if not any(d.kind == "bluetooth" for d in found):
        for hci in sorted(host.list_dir("/sys/class/bluetooth") or []):
            if hci.startswith("hci"):
                path = host.realpath(f"/sys/class/bluetooth/{hci}")
                found.append(Device(kind="bluetooth", bus=_bus_of(path), interface=hci))
                break

    if not any(d.kind == "audio" for d in found):
        cards = host.read_text("/proc/asound/cards")
        for name in _asound_cards(cards or ""):
            found.append(Device(kind="audio", bus="platform", product=name))

    found.extend(_optical(host))
    if not any(d.kind == "card_reader" for d in found):
        found.extend(_mmc_readers(host, reader_addresses))
    return found
