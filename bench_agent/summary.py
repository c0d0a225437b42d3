"""Readable French/English text of an inventory and of disk health, for the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bench_agent.model.inventory import Inventory

if TYPE_CHECKING:
    from bench_agent.model.health import DiskHealth

Say = Callable[[str, str], str]


def _size_gb(n: int | None, say: Say, binary: bool = False) -> str:
    if n is None:
        return say("inconnue", "unknown")
    unit = 1024**3 if binary else 1000**3
    value = n / unit
    text = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    if value >= 1000:
        text = f"{n / unit / 1000:.1f}"
        return text + say(" To", " TB")
    return text + say(" Go", " GB")


def _or_unknown(value: object, say: Say) -> str:
    return say("inconnu", "unknown") if value in (None, "") else str(value)


def _yes_no(value: str, say: Say) -> str:
    return {"yes": say("oui", "yes"), "no": say("non", "no")}.get(value, say("inconnu", "unknown"))


def _tri(value: bool | None, if_true: str, if_false: str, say: Say) -> str:
    if value is None:
        return say("indéterminé", "undetermined")
    return if_true if value else if_false


def render_inventory(
    inv: Inventory, say: Say, lang: str, *, with_duration: bool = True
) -> list[str]:
    """The inventory as lines of text in the technician's language (the probes' duration
    last, for the command line; the app leaves it out)."""
    lines: list[str] = []
    ident = inv.identity
    title = " ".join(x for x in (ident.maker, ident.model or ident.product_name) if x)
    if ident.product_name and ident.model and ident.product_name not in ident.model:
        title += f" ({ident.product_name})"
    lines.append(
        say("Inventaire — ", "Inventory — ") + (title or say("modèle inconnu", "unknown model"))
    )
    lines.append(say("  Numéro de série : ", "  Serial number: ") + _or_unknown(ident.serial, say))
    chassis = ident.chassis_type or say("inconnu", "unknown")
    bios = " ".join(x for x in (ident.bios_vendor, ident.bios_version) if x)
    if ident.bios_date:
        bios += f" ({ident.bios_date})"
    lines.append(say("  Châssis : ", "  Chassis: ") + chassis + (f" · BIOS {bios}" if bios else ""))
    if ident.junk_fields:
        lines.append(
            say("  Valeurs d'usine ignorées : ", "  Placeholder values ignored: ")
            + ", ".join(ident.junk_fields)
        )

    cpu = inv.cpu
    parts = [cpu.model_name or say("modèle inconnu", "unknown model")]
    if cpu.cores or cpu.threads:
        parts.append(
            say(
                f"{cpu.cores or '?'} cœurs / {cpu.threads or '?'} threads",
                f"{cpu.cores or '?'} cores / {cpu.threads or '?'} threads",
            )
        )
    if cpu.max_mhz:
        base = f"{cpu.base_mhz / 1000:.1f}–" if cpu.base_mhz else ""
        parts.append(f"{base}{cpu.max_mhz / 1000:.1f} GHz")
    if cpu.generation:
        parts.append(cpu.generation)
    lines.append(say("Processeur : ", "CPU: ") + " · ".join(parts))

    mem = inv.memory
    mem_line = say("Mémoire : ", "Memory: ") + _size_gb(
        mem.installed_bytes or mem.total_bytes, say, binary=True
    )
    if mem.slots_total is not None:
        if mem.slots_total == 0:
            mem_line += say(" (soudée, aucun emplacement", " (soldered, no slot")
        else:
            mem_line += say(
                f" ({mem.slots_total} emplacements, {mem.slots_free} libres",
                f" ({mem.slots_total} slots, {mem.slots_free} free",
            )
        if mem.max_capacity_bytes:
            mem_line += ", max " + _size_gb(mem.max_capacity_bytes, say, binary=True)
        mem_line += ")"
    lines.append(mem_line)
    for dimm in mem.dimms or []:
        desc = " ".join(
            x
            for x in (
                dimm.locator,
                dimm.form_factor,
                dimm.type,
                _size_gb(dimm.size_bytes, say, binary=True),
                f"{dimm.speed_mts} MT/s" if dimm.speed_mts else None,
                say("(soudée)", "(soldered)") if dimm.soldered else None,
            )
            if x
        )
        lines.append(f"  {desc}")

    lines.append(say("Disques :", "Disks:") if inv.disks else say("Disques : aucun", "Disks: none"))
    for disk in inv.disks:
        media = {"hdd": "HDD", "ssd": "SSD"}.get(disk.media, "?")
        size = _size_gb(disk.capacity_bytes, say)
        desc = f"  {disk.name:<9} {_or_unknown(disk.model, say)} · {size}"
        desc += f" · {media} {disk.transport.upper()}"
        if disk.serial:
            desc += say(f" · n° {disk.serial}", f" · s/n {disk.serial}")
        if disk.boot_medium:
            desc += say(" · support de démarrage (jamais effacé)", " · boot medium (never erased)")
        lines.append(desc)

    for bat in inv.batteries:
        health = (
            f"{bat.health_pct:.0f} %" if bat.health_pct is not None else say("inconnue", "unknown")
        )
        desc = say(f"Batterie {bat.name} : santé {health}", f"Battery {bat.name}: health {health}")
        if bat.full_wh is not None and bat.design_wh is not None:
            desc += f" ({bat.full_wh:.1f}/{bat.design_wh:.1f} Wh)"
        if bat.cycle_count is not None:
            desc += say(f", {bat.cycle_count} cycles", f", {bat.cycle_count} cycles")
        lines.append(desc)
        lines.extend(f"  ! {note.message.get(lang)}" for note in bat.anomalies)
    if not inv.batteries:
        lines.append(say("Batterie : aucune détectée", "Battery: none detected"))

    for disp in inv.displays:
        kind = say("interne", "internal") if disp.internal else say("externe", "external")
        desc = say(f"Écran {disp.connector} ({kind}) : ", f"Display {disp.connector} ({kind}): ")
        desc += " ".join(x for x in (disp.maker, disp.model) if x)
        if disp.diagonal_in:
            desc += f' {disp.diagonal_in:.1f}"'
        if disp.width_px and disp.height_px:
            desc += f" {disp.width_px}×{disp.height_px}"
        lines.append(desc)

    kinds = {
        "gpu": ("Carte graphique", "GPU"),
        "wifi": ("Wi-Fi", "Wi-Fi"),
        "ethernet": ("Ethernet", "Ethernet"),
        "bluetooth": ("Bluetooth", "Bluetooth"),
        "webcam": ("Webcam", "Webcam"),
        "audio": ("Audio", "Audio"),
        "optical": ("Lecteur optique", "Optical drive"),
        "card_reader": ("Lecteur de cartes", "Card reader"),
        "fingerprint": ("Lecteur d'empreintes", "Fingerprint reader"),
        "modem": ("Modem", "Modem"),
        "other": ("Autre", "Other"),
    }
    for dev in inv.devices:
        fr, en = kinds.get(dev.kind, (dev.kind, dev.kind))
        name = " ".join(x for x in (dev.vendor, dev.product) if x) or (
            f"{dev.vendor_id or '?'}:{dev.product_id or '?'}"
        )
        lines.append(say(f"{fr} : ", f"{en}: ") + name)

    fw = inv.firmware
    boot = {"uefi": "UEFI", "legacy": say("BIOS (legacy)", "BIOS (legacy)")}.get(
        fw.boot_mode, say("démarrage inconnu", "unknown boot mode")
    )
    sb = {
        "enabled": say("activé", "enabled"),
        "disabled": say("désactivé", "disabled"),
        "unsupported": say("non pris en charge", "unsupported"),
    }.get(fw.secure_boot, say("inconnu", "unknown"))
    tpm = f"TPM {fw.tpm_version}" if fw.tpm_version else "TPM " + _yes_no(fw.tpm_present, say)
    lines.append(
        say("Micrologiciel : ", "Firmware: ")
        + f"{boot} · Secure Boot {sb} · {tpm} · "
        + say("licence Windows OEM : ", "OEM Windows licence: ")
        + _yes_no(fw.windows_key_in_acpi, say)
    )

    w11 = inv.win11
    verdict = _tri(w11.ready, say("compatible", "ready"), say("non compatible", "not ready"), say)
    lines.append("Windows 11 : " + verdict if lang == "fr" else "Windows 11: " + verdict)
    for check in w11.checks:
        mark = _tri(check.ok, "✓", "✗", lambda fr, en: "?")
        lines.append(f"  {mark} {check.message.get(lang)}")

    if inv.notes:
        lines.append(say("Remarques :", "Notes:"))
        lines.extend(f"  - {note.message.get(lang)}" for note in inv.notes)
    if with_duration and inv.duration_ms is not None:
        lines.append(say(f"Durée : {inv.duration_ms:.0f} ms", f"Took {inv.duration_ms:.0f} ms"))
    return lines


VERDICT_LABEL = {
    "OK": ("BON", "OK"),
    "WORN": ("USÉ", "WORN"),
    "SUSPECT": ("SUSPECT", "SUSPECT"),
    "FAIL": ("HORS SERVICE", "FAIL"),
    "UNKNOWN": ("NON ÉVALUABLE", "UNKNOWN"),
}
SELF_TEST_STATUS = {
    "passed": ("réussi", "passed"),
    "failed": ("ÉCHEC", "FAILED"),
    "aborted": ("annulé", "aborted"),
    "interrupted": ("interrompu", "interrupted"),
    "in_progress": ("en cours", "in progress"),
    "timeout": ("trop long, arrêté", "timed out, stopped"),
    "unknown": ("résultat inconnu", "result unknown"),
}
SEVERITY_LABEL = {
    "INFO": ("info", "info"),
    "WORN": ("usure", "worn"),
    "SUSPECT": ("suspect", "suspect"),
    "FAIL": ("ÉCHEC", "FAIL"),
    "UNKNOWN": ("inconnu", "unknown"),
}


def render_health(health: DiskHealth, say: Say, lang: str) -> list[str]:
    """Human lines for one drive: verdict first, then every finding."""
    fr, en = VERDICT_LABEL[health.verdict]
    label = say(fr, en)
    who = " ".join(x for x in (health.model, health.serial and f"S/N {health.serial}") if x)
    lines = [
        f"{health.device}  {who}".rstrip(),
        f"  {label} — {health.reason.get(lang) if health.reason else ''}",
    ]
    facts = []
    if health.power_on_hours is not None:
        facts.append(
            say(
                f"{health.power_on_hours} h de fonctionnement",
                f"{health.power_on_hours} power-on hours",
            )
        )
    if health.percentage_used is not None:
        facts.append(say(f"usure {health.percentage_used} %", f"wear {health.percentage_used}%"))
    if health.temperature_c is not None:
        facts.append(f"{health.temperature_c:.0f} °C")
    if facts:
        lines.append("  " + ", ".join(facts))
    for finding in health.findings:
        sev_fr, sev_en = SEVERITY_LABEL[finding.severity]
        lines.append(f"  [{say(sev_fr, sev_en)}] {finding.message.get(lang)}")
    if health.self_test is not None:
        test = health.self_test
        status_fr, status_en = SELF_TEST_STATUS.get(test.status, (test.status, test.status))
        lines.append(
            say(f"  Autotest {test.kind} : {status_fr}.", f"  {test.kind} self-test: {status_en}.")
        )
    if health.read_check is not None and health.read_check.throughput_mb_s is not None:
        rc = health.read_check
        lines.append(
            say(
                f"  Lecture : {rc.sampled_bytes // (1 << 20)} Mio à {rc.throughput_mb_s:.1f} Mo/s, "
                f"{len(rc.error_offsets)} erreur(s).",
                f"  Read check: {rc.sampled_bytes // (1 << 20)} MiB at "
                f"{rc.throughput_mb_s:.1f} MB/s, {len(rc.error_offsets)} error(s).",
            )
        )
    return lines
