"""Device probe over hosts derived from the corpus (hwinfo + lshw) and synthetic cases.

Each expected list is what the machine's lshw says (class/description, vendor,
product, logical name), written out by hand; ids are hwinfo's.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.probes.devices import parse_lspci_vmm, probe_devices

HOSTS = Path(__file__).parents[1] / "fixtures" / "hosts"

# (kind, bus, vendor_id, product_id, interface)
EXPECTED = {
    "HP_ProBook_450_G2": [
        ("gpu", "pci", "8086", "0a16", None),  # Haswell-ULT Integrated Graphics
        ("audio", "pci", "8086", "0a0c", None),  # Haswell-ULT HD Audio (HDMI)
        ("audio", "pci", "8086", "9c20", None),  # 8 Series HD Audio
        ("card_reader", "pci", "10ec", "5227", None),  # RTS5227, class ff00
        ("ethernet", "pci", "10ec", "8168", "enp8s0"),
        ("wifi", "pci", "10ec", "b723", "wlo1"),  # lshw: "Wireless interface"
        ("bluetooth", "usb", "0bda", "b001", None),
        ("fingerprint", "usb", "138a", "003f", None),  # VFS495 Fingerprint Reader
        ("webcam", "usb", "04ca", "7032", None),  # HP HD Webcam
        ("optical", "other", None, None, "sr0"),  # hp DVDRAM GU90N
    ],
    "Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW": [
        ("gpu", "pci", "8086", "5916", None),  # HD Graphics 620
        ("audio", "pci", "8086", "9d71", None),
        ("ethernet", "pci", "8086", "15d8", "enp0s31f6"),  # I219-V
        ("card_reader", "pci", "10ec", "525a", None),  # RTS525A
        ("wifi", "pci", "8086", "24fd", "wlp4s0"),  # Wireless 8265 / 8275
        ("ethernet", "usb", "0bda", "8153", "enp60s0u2u4"),  # dock's USB LAN
        ("bluetooth", "usb", "8087", "0a2b", None),
        ("webcam", "usb", "04ca", "7067", None),  # Integrated Camera
        ("fingerprint", "usb", "138a", "0097", None),  # Validity Sensors
        # Not reported: Razer mouse and keyboard, VIA hubs and billboards.
    ],
    "Acer_Aspire_One_AOHAPPY": [
        # 00:02.0 VGA + 00:02.1 "Display controller" of the same GPU: one GPU.
        ("gpu", "pci", "8086", "a011", None),
        ("audio", "pci", "8086", "27d8", None),
        ("ethernet", "pci", "1969", "2060", "eth0"),  # AR8152 v1.1 Fast Ethernet
        ("wifi", "pci", "8086", "0083", None),  # Centrino Wireless-N 1000, no driver
        ("webcam", "usb", "0402", "9665", None),  # 1.3M WebCam
    ],
    "Lenovo_V330-15IKB_81AX": [
        ("gpu", "pci", "8086", "5916", None),
        ("audio", "pci", "8086", "9d71", None),
        ("wifi", "pci", "8086", "3166", None),  # Wireless-AC 3165, no driver loaded
        ("ethernet", "pci", "10ec", "8168", "enp3s0"),
        ("webcam", "usb", "04f2", "b604", None),  # Chicony Integrated Camera
        ("bluetooth", "usb", "8087", "0a2a", None),
        ("fingerprint", "usb", "06cb", "0081", None),  # Synaptics, lshw "Generic USB device"
    ],
    "Acer_Aspire_A315-53": [
        ("gpu", "pci", "8086", "5921", None),  # lshw: HD Graphics 620
        ("audio", "pci", "8086", "9d71", None),
        ("card_reader", "pci", "10ec", "5287", None),  # RTL8411B, lshw "MMC Host"
        ("ethernet", "pci", "10ec", "8168", "enp1s0f1"),
        ("wifi", "pci", "168c", "0042", None),  # QCA9377, no interface in the snapshot
        ("bluetooth", "usb", "04ca", "3015", None),  # lshw: no vendor string
        ("webcam", "usb", "0408", "a031", None),  # Quanta VGA WebCam
    ],
    "Lenovo_B570_HuronRiver": [
        ("gpu", "pci", "8086", "0116", None),
        ("audio", "pci", "8086", "1c20", None),
        ("wifi", "pci", "168c", "002b", "wlp2s0"),  # AR9285
        ("ethernet", "pci", "10ec", "8168", "enp3s0"),
        ("webcam", "usb", "058f", "a006", None),  # Lenovo EasyCamera
        ("fingerprint", "usb", "1c7a", "0603", None),  # EgisTec ES603
        ("bluetooth", "usb", "0489", "e00d", None),  # Broadcom Bluetooth 2.1
        ("optical", "other", None, None, "sr0"),  # Optiarc DVD RW AD-7710H
    ],
    "Lenovo_G50-80_80E5": [
        ("gpu", "pci", "8086", "1616", None),  # HD Graphics 5500
        ("audio", "pci", "8086", "160c", None),
        ("audio", "pci", "8086", "9ca0", None),
        ("ethernet", "pci", "10ec", "8168", "eth0"),
        ("wifi", "pci", "8086", "08b4", None),  # Wireless 3160, no driver
        ("webcam", "usb", "5986", "0652", None),
        ("bluetooth", "usb", "8087", "07dc", None),
        ("optical", "other", None, None, "sr0"),  # PLDS DVD-RW DA8A6SH
    ],
    "Lenovo_G560_0679": [
        ("gpu", "pci", "8086", "0046", None),
        ("audio", "pci", "8086", "3b56", None),
        ("wifi", "pci", "14e4", "4727", "wlp5s0b1"),  # BCM4313
        ("ethernet", "pci", "10ec", "8136", "enp6s0"),  # RTL810xE
        ("webcam", "usb", "090c", "37b3", None),
        ("card_reader", "usb", "0bda", "0158", None),  # USB2.0-CRW (ums-realtek)
        ("optical", "other", None, None, "sr0"),  # MATSHITA DVD-RAM UJ890AS
    ],
}


def _summary(devices: list) -> list[tuple]:  # type: ignore[type-arg]
    return [(d.kind, d.bus, d.vendor_id, d.product_id, d.interface) for d in devices]


@pytest.mark.parametrize("machine", sorted(EXPECTED))
def test_devices_classified_as_lshw_says(machine: str) -> None:
    notes: list[Note] = []
    devices = probe_devices(RecordedHost(HOSTS / machine), notes)
    assert _summary(devices) == EXPECTED[machine]
    assert notes == []


@pytest.mark.parametrize("machine", sorted(EXPECTED))
def test_no_mac_address_in_output(machine: str) -> None:
    fs = HOSTS / machine / "fs" / "sys" / "class" / "net"
    macs = [p.read_text().strip() for p in fs.glob("*/address")]
    assert macs, "the fixture must carry the MACs for this test to mean something"
    encoded = msgspec.json.encode(probe_devices(RecordedHost(HOSTS / machine), [])).decode()
    for mac in macs:
        assert mac.lower() not in encoded.lower()
        assert mac.replace(":", "").lower() not in encoded.lower()


def test_names_come_from_lspci_and_usb_strings() -> None:
    devices = probe_devices(RecordedHost(HOSTS / "HP_ProBook_450_G2"), [])
    by_kind = {d.kind: d for d in devices}
    assert by_kind["wifi"].product == "RTL8723BE PCIe Wireless Network Adapter"
    assert by_kind["wifi"].driver == "rtl8723be"
    assert by_kind["fingerprint"].product == "VFS495 Fingerprint Reader"
    # The webcam's manufacturer string is its serial ("DDZLE019I6OJ8L" in lshw):
    # dropped, and the maker named from the USB vendor id instead.
    assert by_kind["webcam"].vendor == "Lite-On"
    assert "DDZLE019I6OJ8L" not in msgspec.json.encode(devices).decode()
    assert (by_kind["optical"].vendor, by_kind["optical"].product) == ("hp", "DVDRAM GU90N")


class _NoLspci(RecordedHost):
    def which(self, program: str) -> str | None:
        return None if program == "lspci" else super().which(program)


def test_sysfs_fallback_without_lspci_gives_ids_and_drivers() -> None:
    notes: list[Note] = []
    devices = probe_devices(_NoLspci(HOSTS / "Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW"), notes)
    assert _summary(devices) == EXPECTED["Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW"]
    assert [n.code for n in notes] == ["devices.no_lspci"]
    wifi = next(d for d in devices if d.kind == "wifi")
    assert wifi.vendor is None and wifi.driver == "iwlwifi"


def test_lspci_failure_falls_back_to_sysfs(make_host) -> None:  # type: ignore[no-untyped-def]
    base = "/sys/bus/pci/devices/0000:00:02.0"
    host = make_host(
        which={"lspci": "/usr/bin/lspci"},
        commands={("lspci", "-vmm", "-nn", "-k", "-D"): (None, b"", "timeout")},
        files={f"{base}/class": "0x030000", f"{base}/vendor": "0x8086", f"{base}/device": "0x5916"},
        listings={
            "/sys/bus/pci/devices": ["0000:00:02.0"],
            "/sys/bus/usb/devices": None,
            "/sys/class/net": None,
            "/sys/class/bluetooth": None,
            "/sys/block": None,
            "/sys/class/mmc_host": None,
        },
        links={f"{base}/driver": None},
        absent=["/proc/asound/cards"],
    )
    notes: list[Note] = []
    assert _summary(probe_devices(host, notes)) == [("gpu", "pci", "8086", "5916", None)]
    assert [n.code for n in notes] == ["devices.no_lspci"]


def test_lspci_parser_tolerates_garbage() -> None:
    text = (
        "Slot:\t00:02.0\nClass:\tVGA compatible controller [0300]\n"
        "Vendor:\tIntel Corporation [8086]\nDevice:\tDevice [5916]\n\n"
        "garbage line without tab\n\nSlot:\t0000:00:1f.6\nClass:\tno id here\n\n"
        "Slot:\t0000:03:00.0\nClass:\tNetwork controller [0280]\nVendor:\t[14e4]\n"
    )
    entries = parse_lspci_vmm(text)
    assert [(e.address, e.class_code, e.vendor_id, e.product) for e in entries] == [
        ("0000:00:02.0", "0300", "8086", None),  # "Device [5916]": unknown name
        ("0000:03:00.0", "0280", "14e4", None),
    ]
    assert parse_lspci_vmm("") == []
    assert parse_lspci_vmm("\x00\xff" * 50) == []


def _empty(**over: object) -> dict[str, object]:
    listings: dict[str, object] = {
        "/sys/bus/usb/devices": [],
        "/sys/class/net": ["lo"],
        "/sys/class/bluetooth": None,
        "/sys/block": [],
        "/sys/class/mmc_host": [],
    }
    listings.update(over)
    return listings


def test_platform_audio_bluetooth_modem_and_emmc_vs_sd_slot(make_host) -> None:  # type: ignore[no-untyped-def]
    """Synthetic Atom tablet-style machine: no PCI audio (SOF/platform), UART Bluetooth,
    a WWAN interface, an eMMC host and an SD slot on platform MMC hosts, and an
    Intel eMMC PCI controller that must not count as a card reader."""
    lspci = (
        b"Slot:\t0000:00:1c.0\nClass:\tSD Host controller [0805]\n"
        b"Vendor:\tIntel Corporation [8086]\n"
        b"Device:\tCeleron N3350/Pentium N4200/Atom E3900 Series eMMC Controller [5acc]\n"
    )
    wwan_path = "/sys/devices/pci0000:00/0000:00:1c.1/0000:02:00.0"
    host = make_host(
        which={"lspci": "/usr/bin/lspci"},
        commands={("lspci", "-vmm", "-nn", "-k", "-D"): (0, lspci, None)},
        listings=_empty(
            **{
                "/sys/class/net": ["lo", "wwan0"],
                "/sys/class/net/wwan0/wireless": None,
                "/sys/class/bluetooth": ["hci0"],
                "/sys/class/mmc_host": ["mmc0", "mmc1"],
                "/sys/class/mmc_host/mmc0": ["mmc0:0001", "power", "uevent"],
                "/sys/class/mmc_host/mmc1": ["power", "uevent"],
            }
        ),
        links={
            "/sys/class/net/wwan0/device": wwan_path,
            "/sys/class/bluetooth/hci0": "/sys/devices/platform/80860F0A:00/serial1/serial1-0"
            "/bluetooth/hci0",
            "/sys/class/mmc_host/mmc0": "/sys/devices/pci0000:00/0000:00:1c.0/mmc_host/mmc0",
            "/sys/class/mmc_host/mmc1": "/sys/devices/platform/80860F14:01/mmc_host/mmc1",
        },
        files={
            "/sys/class/net/wwan0/uevent": "DEVTYPE=wwan\nINTERFACE=wwan0",
            "/proc/asound/cards": " 0 [sofbytcrrt5640 ]: sof-bytcr-rt564 - sof-bytcr-rt5640\n"
            "                      Intel-bytcr-rt5640\n",
            "/sys/class/mmc_host/mmc0/mmc0:0001/type": "MMC",
        },
        absent=["/sys/class/mmc_host/mmc0/power/type"],
    )
    devices = probe_devices(host, [])
    assert _summary(devices) == [
        ("modem", "pci", None, None, "wwan0"),
        ("bluetooth", "platform", None, None, "hci0"),
        ("audio", "platform", None, None, None),
        ("card_reader", "platform", None, None, None),
    ]
    assert devices[2].product == "sof-bytcr-rt5640"
    assert devices[3].product == "SD/MMC (mmc1)"


def _usb_device(
    name: str,
    *,
    vid: str,
    pid: str,
    iface_class: str,
    manufacturer: str | None,
    product: str | None,
    dev_class: str = "00",
) -> dict[str, str]:
    base = f"/sys/bus/usb/devices/{name}"
    files = {
        f"{base}/idVendor": vid,
        f"{base}/idProduct": pid,
        f"{base}/bDeviceClass": dev_class,
        f"/sys/bus/usb/devices/{name}:1.0/bInterfaceClass": iface_class,
    }
    if manufacturer is not None:
        files[f"{base}/manufacturer"] = manufacturer
    if product is not None:
        files[f"{base}/product"] = product
    return files


def test_usb_card_reader_modem_elan_and_peripherals(make_host) -> None:  # type: ignore[no-untyped-def]
    files: dict[str, str] = {}
    usb = [
        ("1-1", "0bda", "0129", "08", "Generic", "USB2.0-CRW"),  # Realtek card reader
        ("1-2", "1199", "9079", "02", "Sierra Wireless, Incorporated", "EM7455"),
        ("1-3", "04f3", "0c4b", "ff", "ELAN", "ELAN:Fingerprint"),
        ("1-4", "04f3", "2494", "03", "ELAN", "Touchscreen"),  # HID: not reported
        ("1-5", "046d", "c52b", "03", "Logitech", "USB Receiver"),  # mouse: not reported
        ("1-6", "0781", "5567", "08", "SanDisk", "Cruzer Blade"),  # USB stick: a disk, not a device
    ]
    for name, vid, pid, cls, man, prod in usb:
        files |= _usb_device(
            name, vid=vid, pid=pid, iface_class=cls, manufacturer=man, product=prod
        )
    listing = ["usb1"] + [u[0] for u in usb] + [f"{u[0]}:1.0" for u in usb]
    host = make_host(
        which={"lspci": None},
        listings=_empty(**{"/sys/bus/usb/devices": listing, "/sys/bus/pci/devices": []}),
        files=files | {"/proc/asound/cards": "--- no soundcards ---"},
    )
    assert _summary(probe_devices(host, [])) == [
        ("card_reader", "usb", "0bda", "0129", None),
        ("modem", "usb", "1199", "9079", None),
        ("fingerprint", "usb", "04f3", "0c4b", None),
    ]


def test_nothing_readable_gives_an_empty_list(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        which={"lspci": None},
        listings={
            k: None
            for k in (
                "/sys/bus/pci/devices",
                "/sys/bus/usb/devices",
                "/sys/class/net",
                "/sys/class/bluetooth",
                "/sys/block",
                "/sys/class/mmc_host",
            )
        },
        absent=["/proc/asound/cards"],
    )
    notes: list[Note] = []
    assert probe_devices(host, notes) == []
    assert [n.code for n in notes] == ["devices.no_lspci"]


def test_interface_names_only_never_addresses() -> None:
    for machine in EXPECTED:
        for device in probe_devices(RecordedHost(HOSTS / machine), []):
            if device.interface:
                assert not re.search(r"([0-9a-f]{2}:){5}", device.interface)


def test_intel_ipu_mipi_camera_is_a_webcam(make_host) -> None:  # type: ignore[no-untyped-def]
    lspci = (
        b"Slot:\t0000:00:05.0\nClass:\tMultimedia controller [0480]\n"
        b"Vendor:\tIntel Corporation [8086]\nDevice:\tAlder Lake Imaging Signal Processor [465d]\n"
        b"Driver:\tintel-ipu6\n\n"
        b"Slot:\t0000:00:1f.3\nClass:\tMultimedia audio controller [0401]\n"
        b"Vendor:\tIntel Corporation [8086]\nDevice:\tAlder Lake PCH-P HD Audio [51c8]\n"
    )
    host = make_host(
        which={"lspci": "/usr/bin/lspci"},
        commands={("lspci", "-vmm", "-nn", "-k", "-D"): (0, lspci, None)},
        listings=_empty(),
    )
    assert _summary(probe_devices(host, [])) == [
        ("webcam", "pci", "8086", "465d", None),
        ("audio", "pci", "8086", "51c8", None),
    ]


def test_interface_named_after_its_mac_is_not_reported(make_host) -> None:  # type: ignore[no-untyped-def]
    usb_path = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0"
    host = make_host(
        which={"lspci": None},
        listings=_empty(
            **{
                "/sys/bus/pci/devices": [],
                "/sys/bus/usb/devices": ["usb1", "1-2", "1-2:1.0"],
                "/sys/class/net": ["enx00e04c680123", "lo"],
                "/sys/class/net/enx00e04c680123/wireless": None,
            }
        ),
        links={"/sys/class/net/enx00e04c680123/device": usb_path},
        files=_usb_device(
            "1-2",
            vid="0bda",
            pid="8153",
            iface_class="ff",
            manufacturer="Realtek",
            product="USB 10/100/1000 LAN",
        )
        | {
            "/sys/class/net/enx00e04c680123/uevent": "INTERFACE=enx00e04c680123",
            "/proc/asound/cards": "--- no soundcards ---",
        },
    )
    devices = probe_devices(host, [])
    assert _summary(devices) == [("ethernet", "usb", "0bda", "8153", None)]
    assert "00e04c680123" not in msgspec.json.encode(devices).decode()
