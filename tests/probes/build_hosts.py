"""Build recorded-host fixtures for the storage and device probes from the corpus.

Derived, not captured: the eReuse snapshots in tests/corpus/ hold ``hwinfo`` and
``lshw -json`` output of real laptops, not their sysfs. This script rebuilds the
part of sysfs the storage and device probes read, from what those tools printed:

- hwinfo gives the real sysfs paths ("SysFS ID", "SysFS Device Link"), PCI and
  USB ids, the kernel class codes (the ``bcXXscYY`` / ``dcXX`` / ``icXX`` parts
  of "Module Alias"), drivers, disk sizes in sectors, interface names and MACs;
- lshw gives the USB string descriptors (its "vendor"/"product" of USB nodes
  are the device's manufacturer/product strings), NVMe model/serial/firmware/wwid,
  the removable flag;
- what neither tool says (queue/rotational, block sizes, the mount table) is
  written by hand in MACHINES below, with the reason.

``lspci -vmm -nn -k -D`` output is synthesised from the hwinfo PCI entries in the
format lspci prints. MAC addresses are written to ``/sys/class/net/*/address``
on purpose: the probes must never read them, and the tests check that none
appears in their output.

Run ``python tests/probes/build_hosts.py`` to regenerate tests/probes/hosts/;
tests/probes/test_fixtures_fresh.py checks that the committed folders match.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CORPUS = HERE.parent / "corpus"
HOSTS = HERE / "hosts"

PCI_CLASS_NAMES = {
    "0106": "SATA controller",
    "0108": "Non-Volatile memory controller",
    "0200": "Ethernet controller",
    "0280": "Network controller",
    "0300": "VGA compatible controller",
    "0380": "Display controller",
    "0403": "Audio device",
    "0600": "Host bridge",
    "0601": "ISA bridge",
    "0604": "PCI bridge",
    "0780": "Communication controller",
    "0805": "SD Host controller",
    "0c03": "USB controller",
    "0c05": "SMBus",
    "ff00": "Unassigned class",
}


@dataclass
class DiskFacts:
    """What hwinfo/lshw do not say about a disk, written by hand with the reason."""

    rotational: int
    removable: int = 0
    physical_block_size: int = 512


@dataclass
class Machine:
    name: str
    hwinfo: str
    lshw: str
    disks: dict[str, DiskFacts]
    mountinfo: str
    """/proc/self/mountinfo lines (hand-written: how the snapshot's system was booted)."""
    description: str
    dev_links: dict[str, str] = field(default_factory=dict)
    """major:minor -> /sys/devices path of the mounted block devices."""
    vpd_pg89_from_smartctl: dict[str, str] = field(default_factory=dict)
    """disk -> smartctl JSON (same snapshot) whose identity fills an ATA IDENTIFY page."""


def parse_hwinfo(text: str) -> list[dict[str, Any]]:
    """hwinfo blocks: header line plus first value of each two-space-indented key."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", text):
        lines = chunk.splitlines()
        if not lines or not re.match(r"^\d+: ", lines[0]):
            continue
        fields: dict[str, Any] = {"_header": lines[0]}
        for line in lines[1:]:
            match = re.match(r"^  (?! )([^:]+): (.*)$", line)
            if match:
                fields.setdefault(match[1], match[2])
        blocks.append(fields)
    return blocks


def _id_and_name(value: str) -> tuple[str, str | None]:
    match = re.match(r'^(?:pci|usb) 0x([0-9a-f]{4})(?: "(.*)")?', value.strip())
    if not match:
        raise ValueError(f"unexpected hwinfo id field {value!r}")
    return match[1], match[2]


def _quoted(value: str | None) -> str | None:
    if value is None:
        return None
    match = re.match(r'^"([^"]*)"', value.strip())
    return match[1] if match else value.strip()


def _lshw_usb_strings(lshw: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """USB device name ("2-7") -> (manufacturer, product) string descriptors as lshw shows them."""
    found: dict[str, tuple[str | None, str | None]] = {}

    def walk(node: dict[str, Any]) -> None:
        bus = node.get("businfo", "")
        if bus.startswith("usb@") and ":" in bus:
            root, port = bus[4:].split(":", 1)
            product = node.get("product")
            # lshw appends the interface string after ": " ("VGA WebCam: VGA WebCam").
            strings = (node.get("vendor"), product.split(": ")[0] if product else None)
            # The same port can appear twice (USB device node and its network
            # interface node): keep the one that carries strings.
            if any(strings) or f"{root}-{port}" not in found:
                found[f"{root}-{port}"] = strings
        for child in node.get("children", []):
            walk(child)

    walk(lshw)
    return found


def _lshw_nodes(lshw: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(node)
        for child in node.get("children", []):
            walk(child)

    walk(lshw)
    return nodes


def _ata_identify_page(model: str, serial: str, firmware: str) -> bytes:
    """An ATA Information VPD page (0x89) as libata builds it, with IDENTIFY words 10–46."""

    def ata_string(text: str, words: int) -> bytes:
        raw = text.ljust(words * 2).encode("ascii")
        return bytes(b for i in range(0, len(raw), 2) for b in (raw[i + 1], raw[i]))

    identify = bytearray(512)
    identify[20:40] = ata_string(serial, 10)
    identify[46:54] = ata_string(firmware, 4)
    identify[54:94] = ata_string(model, 20)
    page = bytearray(60)
    page[1] = 0x89
    page[2:4] = (512 + 56).to_bytes(2, "big")
    page[8:16] = b"linux   "
    page[16:32] = b"libata          "
    page[56] = 0xEC
    return bytes(page) + bytes(identify)


class FixtureWriter:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.listings: dict[str, list[str] | None] = {}
        self.links: dict[str, str | None] = {}
        self.which: dict[str, str | None] = {}
        self.absent: set[str] = set()
        self.commands: list[tuple[list[str], int, bytes]] = []

    def file(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode() + b"\n" if isinstance(content, str) else content

    def listing_add(self, path: str, name: str) -> None:
        entries = self.listings.setdefault(path, [])
        assert entries is not None
        if name not in entries:
            entries.append(name)

    def write(self, out: Path, description: str) -> None:
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for path, data in sorted(self.files.items()):
            target = out / "fs" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for argv, code, stdout in self.commands:
            cmd_dir = out / "commands"
            cmd_dir.mkdir(exist_ok=True)
            slug = "_".join(argv).replace("/", "-")
            meta = {"argv": argv, "returncode": code, "error": None, "stderr": ""}
            (cmd_dir / f"{slug}.json").write_text(json.dumps(meta, indent=2) + "\n")
            (cmd_dir / f"{slug}.out").write_bytes(stdout)
        meta = {
            "format": 1,
            "description": description,
            "root": True,
            "listings": {
                k: (sorted(v) if v is not None else None) for k, v in sorted(self.listings.items())
            },
            "links": dict(sorted(self.links.items())),
            "which": dict(sorted(self.which.items())),
            "absent": sorted(self.absent),
        }
        (out / "host.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def build(machine: Machine) -> FixtureWriter:
    blocks = parse_hwinfo((CORPUS / "hwinfo" / machine.hwinfo).read_text())
    lshw = json.loads((CORPUS / "lshw" / machine.lshw).read_text())
    usb_strings = _lshw_usb_strings(lshw)
    nodes = _lshw_nodes(lshw)
    fx = FixtureWriter()
    fx.listings["/sys/block"] = []
    fx.listings["/sys/bus/usb/devices"] = []
    fx.listings["/sys/bus/pci/devices"] = []
    fx.listings["/sys/class/net"] = ["lo"]
    fx.listings["/sys/class/mmc_host"] = []
    fx.which["lspci"] = "/usr/bin/lspci"

    lspci_records = []
    wlan_ifaces: set[str] = set()
    for block in blocks:
        header = block["_header"]
        alias = block.get("Module Alias", "")
        if "Features" in block and "WLAN" in block["Features"] and "Device File" in block:
            wlan_ifaces.add(block["Device File"])
        if re.match(r"^\d+: PCI ", header) and "SysFS BusID" in block:
            address = block["SysFS BusID"]
            match = re.search(r"bc([0-9A-F]{2})sc([0-9A-F]{2})i([0-9A-F]{2})", alias)
            if not match:
                continue
            class_code = (match[1] + match[2]).lower()
            vid, vname = _id_and_name(block["Vendor"])
            did, dname = _id_and_name(block["Device"])
            driver = _quoted(block.get("Driver"))
            record = [
                f"Slot:\t{address}",
                f"Class:\t{PCI_CLASS_NAMES.get(class_code, 'Unclassified device')} [{class_code}]",
                f"Vendor:\t{vname or 'Device'} [{vid}]",
                f"Device:\t{dname or 'Device'} [{did}]",
            ]
            if driver:
                record.append(f"Driver:\t{driver}")
            lspci_records.append("\n".join(record))
            base = f"/sys/bus/pci/devices/{address}"
            fx.listing_add("/sys/bus/pci/devices", address)
            fx.file(f"{base}/class", f"0x{class_code}{match[3].lower()}")
            fx.file(f"{base}/vendor", f"0x{vid}")
            fx.file(f"{base}/device", f"0x{did}")
            fx.links[f"{base}/driver"] = f"/sys/bus/pci/drivers/{driver}" if driver else None
        elif re.match(r"^\d+: USB ", header) and block.get("SysFS ID", "").startswith("/devices/"):
            iface = block["SysFS ID"].rsplit("/", 1)[-1]
            dev = iface.split(":", 1)[0]
            if dev.endswith("-0"):
                continue  # root hub
            vid, _ = _id_and_name(block["Vendor"])
            pid, _ = _id_and_name(block["Device"])
            dev_class = re.search(r"dc([0-9A-F]{2})", alias)
            if_class = re.search(r"ic([0-9A-F]{2})", alias)
            base = f"/sys/bus/usb/devices/{dev}"
            fx.listing_add("/sys/bus/usb/devices", dev)
            fx.listing_add("/sys/bus/usb/devices", iface)
            fx.listing_add("/sys/bus/usb/devices", "usb" + dev.split("-", 1)[0])
            fx.file(f"{base}/idVendor", vid)
            fx.file(f"{base}/idProduct", pid)
            fx.file(f"{base}/bDeviceClass", (dev_class[1] if dev_class else "00").lower())
            manufacturer, product = usb_strings.get(dev, (None, None))
            for attr, value in (("manufacturer", manufacturer), ("product", product)):
                if value is None:
                    fx.absent.add(f"{base}/{attr}")
                else:
                    fx.file(f"{base}/{attr}", value)
            if if_class:
                fx.file(f"/sys/bus/usb/devices/{iface}/bInterfaceClass", if_class[1].lower())
            if "Hardware Class: bluetooth" in header or block.get("Hardware Class") == "bluetooth":
                fx.listings["/sys/class/bluetooth"] = ["hci0"]

    for block in blocks:
        hw_class = block.get("Hardware Class")
        sysfs_id = block.get("SysFS ID", "")
        link = block.get("SysFS Device Link")
        if hw_class == "disk" and sysfs_id.startswith("/class/block/"):
            name = sysfs_id.rsplit("/", 1)[-1]
            facts = machine.disks[name]
            base = f"/sys/block/{name}"
            fx.listing_add("/sys/block", name)
            dev_path = (
                f"/sys{link}/{name}" if name.startswith("nvme") else f"/sys{link}/block/{name}"
            )
            fx.links[base] = dev_path
            size = re.match(r"^(\d+) sectors", block.get("Size", "0 sectors"))
            fx.file(f"{base}/size", size[1] if size else "0")
            fx.file(f"{base}/removable", str(facts.removable))
            fx.file(f"{base}/queue/rotational", str(facts.rotational))
            fx.file(f"{base}/queue/logical_block_size", "512")
            fx.file(f"{base}/queue/physical_block_size", str(facts.physical_block_size))
            lshw_disk = next(
                n
                for n in nodes
                if n.get("logicalname") in (f"/dev/{name}", [f"/dev/{name}"])
                and n.get("class") == "disk"
            )
            if name.startswith("nvme"):
                ctrl = next(n for n in nodes if n.get("id") == "nvme")
                fx.file(f"{base}/device/model", ctrl["product"])
                fx.file(f"{base}/device/serial", ctrl["serial"])
                fx.file(f"{base}/device/firmware_rev", ctrl["version"])
                fx.file(f"{base}/wwid", lshw_disk["configuration"]["wwid"])
                continue
            # SCSI INQUIRY vendor (8 chars) and product (16 chars), as lshw prints them.
            vendor = lshw_disk.get("vendor")
            model = lshw_disk.get("product")
            is_usb = "/usb" in dev_path
            fx.file(f"{base}/device/vendor", ((vendor or "") if is_usb else "ATA").ljust(8))
            fx.file(f"{base}/device/model", (model or "").ljust(16))
            fx.file(
                f"{base}/device/rev", _quoted(block.get("Revision")) or lshw_disk.get("version", "")
            )
            fx.absent.add(f"{base}/device/wwid")
            smart_json = machine.vpd_pg89_from_smartctl.get(name)
            if smart_json:
                smart = json.loads((CORPUS / "smartctl" / "json" / smart_json).read_text())
                fx.file(
                    f"{base}/device/vpd_pg89",
                    _ata_identify_page(
                        smart["model_name"], smart["serial_number"], smart["firmware_version"]
                    ),
                )
                continue
            fx.absent.add(f"{base}/device/vpd_pg89")
            serial = _quoted(block.get("Serial ID"))
            if serial and not is_usb:
                data = serial.rjust(20).encode()
                fx.file(f"{base}/device/vpd_pg80", bytes((0, 0x80, 0, len(data))) + data)
            else:
                fx.absent.add(f"{base}/device/vpd_pg80")
        elif hw_class == "cdrom" and sysfs_id.startswith("/class/block/"):
            name = sysfs_id.rsplit("/", 1)[-1]
            fx.listing_add("/sys/block", name)
            fx.links[f"/sys/block/{name}"] = f"/sys{link}/block/{name}"
            fx.file(
                f"/sys/block/{name}/device/vendor", (_quoted(block.get("Vendor")) or "").ljust(8)
            )
            fx.file(
                f"/sys/block/{name}/device/model", (_quoted(block.get("Device")) or "").ljust(16)
            )
        elif hw_class == "network interface" and sysfs_id.startswith("/class/net/"):
            iface = sysfs_id.rsplit("/", 1)[-1]
            if iface == "lo":
                continue
            base = f"/sys/class/net/{iface}"
            fx.listing_add("/sys/class/net", iface)
            fx.links[f"{base}/device"] = f"/sys{link}" if link else None
            wireless = iface in wlan_ifaces
            devtype = "DEVTYPE=wlan\n" if wireless else ""
            fx.file(f"{base}/uevent", f"{devtype}INTERFACE={iface}")
            fx.listings[f"{base}/wireless"] = [] if wireless else None
            if "HW Address" in block:
                fx.file(f"{base}/address", block["HW Address"])

    lspci_records.sort()  # lspci prints in bus order
    fx.commands.append(
        (["lspci", "-vmm", "-nn", "-k", "-D"], 0, ("\n\n".join(lspci_records) + "\n").encode())
    )
    fx.listings.setdefault("/sys/class/bluetooth", None)
    fx.file("/proc/self/mountinfo", machine.mountinfo)
    for majmin, path in machine.dev_links.items():
        fx.links[f"/sys/dev/block/{majmin}"] = path
    return fx


PROBOOK_USB = "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host4/target4:0:0/4:0:0:0"
AOHAPPY_USB = "/sys/devices/pci0000:00/0000:00:1d.7/usb5/5-1/5-1:1.0/host4/target4:0:0/4:0:0:0"
LIVE_MOUNTS = (
    "20 1 0:19 / / rw,noatime - overlay overlay rw,lowerdir=/run/live/rootfs/filesystem.squashfs/\n"
    "21 20 0:20 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "32 20 {majmin} / /run/live/medium ro,noatime - iso9660 /dev/{part} ro\n"
    "33 20 7:0 / /run/live/rootfs/filesystem.squashfs ro,noatime - squashfs /dev/loop0 ro\n"
)

DERIVED = "; derived from corpus hwinfo+lshw by build_hosts.py"

MACHINES = [
    Machine(
        name="HP_ProBook_450_G2",
        hwinfo="HP_ProBook_450_G2.hwinfo.txt",
        lshw="HP_ProBook_450_G2.lshw.json",
        # ST500LT012 is a 5400 rpm 4K-sector laptop HDD (Seagate datasheet);
        # the KIOXIA TransMemory stick reports rotational=1 like most USB sticks.
        disks={
            "sda": DiskFacts(rotational=1, physical_block_size=4096),
            "sdb": DiskFacts(rotational=1, removable=1),
        },
        # The snapshot was taken from the eReuse live stick: its partition sdb1 is
        # labelled ISOIMAGE (hwinfo) - mounted where Debian live mounts its medium.
        mountinfo=LIVE_MOUNTS.format(majmin="8:17", part="sdb1"),
        dev_links={"8:17": f"{PROBOOK_USB}/block/sdb/sdb1"},
        description="HP ProBook 450 G2 booted from a live USB stick" + DERIVED,
    ),
    Machine(
        name="Lenovo_ThinkPad_X1_Carbon_5th",
        hwinfo="Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW.hwinfo.txt",
        lshw="Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW.lshw.json",
        # NVMe SSD; sda/sdb are the empty SD slots of a USB dock's card reader.
        disks={
            "nvme0n1": DiskFacts(rotational=0),
            "sda": DiskFacts(rotational=1, removable=1),
            "sdb": DiskFacts(rotational=1, removable=1),
        },
        # The snapshot's kernel is 5.4.72-gentoo: the installed system ran from
        # the NVMe disk (partition number assumed).
        mountinfo="25 1 259:2 / / rw,relatime - ext4 /dev/nvme0n1p2 rw\n"
        "26 25 0:5 / /dev rw,nosuid - devtmpfs devtmpfs rw\n",
        dev_links={
            "259:2": "/sys/devices/pci0000:00/0000:00:1c.4/0000:05:00.0"
            "/nvme/nvme0/nvme0n1/nvme0n1p2"
        },
        description="ThinkPad X1 Carbon 5th gen running its installed system, in a USB-C dock"
        + DERIVED,
    ),
    Machine(
        name="Acer_Aspire_One_AOHAPPY",
        hwinfo="Acer_Aspire_One_AOHAPPY.hwinfo.txt",
        lshw="Acer_Aspire_One_AOHAPPY.lshw.json",
        disks={"sda": DiskFacts(rotational=1), "sdb": DiskFacts(rotational=1, removable=1)},
        mountinfo=LIVE_MOUNTS.format(majmin="8:17", part="sdb1"),
        dev_links={"8:17": f"{AOHAPPY_USB}/block/sdb/sdb1"},
        description="Acer Aspire One (Atom N450) booted from a live USB stick" + DERIVED,
    ),
    Machine(
        name="Lenovo_V330-15IKB",
        hwinfo="Lenovo_V330-15IKB_81AX.hwinfo.txt",
        lshw="Lenovo_V330-15IKB_81AX.lshw.json",
        disks={"sda": DiskFacts(rotational=0)},
        # Network-booted (no USB disk in the snapshot): nothing local is mounted.
        mountinfo="20 1 0:19 / / rw - overlay overlay rw\n21 20 0:20 / /proc rw - proc proc rw\n",
        # The Kingston SA400 of this same eReuse snapshot has its smartctl JSON
        # in the corpus: its identity fills the ATA IDENTIFY page libata exposes.
        vpd_pg89_from_smartctl={"sda": "Kingston_SA400S37240G_worn.json"},
        description="Lenovo V330-15IKB network-booted, Wi-Fi without driver (+smartctl identity)"
        + DERIVED,
    ),
]


NETBOOT_MOUNTS = "20 1 0:19 / / rw - overlay overlay rw\n21 20 0:20 / /proc rw - proc proc rw\n"
G50_USB = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0"

MACHINES += [
    Machine(
        name="Acer_Aspire_A315-53",
        hwinfo="Acer_Aspire_A315-53.hwinfo.txt",
        lshw="Acer_Aspire_A315-53.lshw.json",
        disks={"sda": DiskFacts(rotational=0)},  # WD Green SATA SSD
        mountinfo=NETBOOT_MOUNTS,  # no USB disk in the snapshot: network boot
        description="Acer Aspire A315-53 network-booted" + DERIVED,
    ),
    Machine(
        name="Lenovo_B570",
        hwinfo="Lenovo_B570_HuronRiver.hwinfo.txt",
        lshw="Lenovo_B570_HuronRiver.lshw.json",
        disks={"sda": DiskFacts(rotational=0)},
        mountinfo=NETBOOT_MOUNTS,
        vpd_pg89_from_smartctl={"sda": "WDC_WDS240G2G0A-00JH30_uncorrectable.json"},
        description="Lenovo B570 network-booted, DVD writer (+smartctl identity)" + DERIVED,
    ),
    Machine(
        name="Lenovo_G50-80",
        hwinfo="Lenovo_G50-80_80E5.hwinfo.txt",
        lshw="Lenovo_G50-80_80E5.lshw.json",
        disks={"sda": DiskFacts(rotational=0), "sdb": DiskFacts(rotational=1, removable=1)},
        # sdb1 is labelled USODY_2022.12.2-beta (hwinfo): the workbench live stick.
        mountinfo=LIVE_MOUNTS.format(majmin="8:17", part="sdb1"),
        dev_links={"8:17": f"{G50_USB}/block/sdb/sdb1"},
        vpd_pg89_from_smartctl={"sda": "Kingston_SA400S37240G_healthy.json"},
        description="Lenovo G50-80 booted from a live USB stick (+smartctl identity)" + DERIVED,
    ),
    Machine(
        name="Lenovo_G560",
        hwinfo="Lenovo_G560_0679.hwinfo.txt",
        lshw="Lenovo_G560_0679.lshw.json",
        # sdb: the empty slot of the internal USB card reader (USB2.0-CRW).
        disks={"sda": DiskFacts(rotational=0), "sdb": DiskFacts(rotational=1, removable=1)},
        mountinfo=NETBOOT_MOUNTS,
        vpd_pg89_from_smartctl={"sda": "Crucial_CT275MX300SSD1_healthy.json"},
        description="Lenovo G560 network-booted, USB card reader (+smartctl identity)" + DERIVED,
    ),
]


def build_all(out_dir: Path = HOSTS) -> list[Path]:
    written = []
    for machine in MACHINES:
        target = out_dir / machine.name
        build(machine).write(target, machine.description)
        written.append(target)
    return written


if __name__ == "__main__":
    for path in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HOSTS):
        print(path)
