"""Readable French/English text of an inventory and of disk health, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench_agent.i18n import C_, N_, Gettext
from bench_agent.model.inventory import Inventory
from bench_agent.vocabulary import VERDICTS

if TYPE_CHECKING:
    from bench_agent.model.health import DiskHealth


def _size_gb(n: int | None, _: Gettext, binary: bool = False) -> str:
    if n is None:
        return _("inconnue")
    unit = 1024**3 if binary else 1000**3
    value = n / unit
    text = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    if value >= 1000:
        text = f"{n / unit / 1000:.1f}"
        return text + _(" To")
    return text + _(" Go")


def _or_unknown(value: object, _: Gettext) -> str:
    return _("inconnu") if value in (None, "") else str(value)


def _yes_no(value: str, _: Gettext) -> str:
    return {"yes": _("oui"), "no": _("non")}.get(value, _("inconnu"))


def _tri(value: bool | None, if_true: str, if_false: str, _: Gettext) -> str:
    if value is None:
        return _("indéterminé")
    return if_true if value else if_false


DEVICE_KINDS = {
    "gpu": N_("Carte graphique"),
    "wifi": N_("Wi-Fi"),
    "ethernet": N_("Ethernet"),
    "bluetooth": N_("Bluetooth"),
    "webcam": N_("Webcam"),
    "audio": N_("Audio"),
    "optical": N_("Lecteur optique"),
    "card_reader": N_("Lecteur de cartes"),
    "fingerprint": N_("Lecteur d'empreintes"),
    "modem": N_("Modem"),
    "other": N_("Autre"),
}


def render_inventory(
    inv: Inventory, _: Gettext, lang: str, *, with_duration: bool = True
) -> list[str]:
    """The inventory as lines of text in the technician's language (the probes' duration
    last, for the command line; the app leaves it out)."""
    lines: list[str] = []
    ident = inv.identity
    title = " ".join(x for x in (ident.maker, ident.model or ident.product_name) if x)
    if ident.product_name and ident.model and ident.product_name not in ident.model:
        title += f" ({ident.product_name})"
    lines.append(_("Inventaire — ") + (title or _("modèle inconnu")))
    lines.append(_("  Numéro de série : ") + _or_unknown(ident.serial, _))
    chassis = ident.chassis_type or _("inconnu")
    bios = " ".join(x for x in (ident.bios_vendor, ident.bios_version) if x)
    if ident.bios_date:
        bios += f" ({ident.bios_date})"
    lines.append(_("  Châssis : ") + chassis + (f" · BIOS {bios}" if bios else ""))
    if ident.junk_fields:
        lines.append(_("  Valeurs d'usine ignorées : ") + ", ".join(ident.junk_fields))

    cpu = inv.cpu
    parts = [cpu.model_name or _("modèle inconnu")]
    if cpu.cores or cpu.threads:
        parts.append(
            _(
                "{cores} cœurs / {threads} threads",
                cores=cpu.cores or "?",
                threads=cpu.threads or "?",
            )
        )
    if cpu.max_mhz:
        base = f"{cpu.base_mhz / 1000:.1f}–" if cpu.base_mhz else ""
        parts.append(f"{base}{cpu.max_mhz / 1000:.1f} GHz")
    if cpu.generation:
        parts.append(cpu.generation)
    lines.append(_("Processeur : ") + " · ".join(parts))

    mem = inv.memory
    mem_line = _("Mémoire : ") + _size_gb(mem.installed_bytes or mem.total_bytes, _, binary=True)
    if mem.slots_total is not None:
        if mem.slots_total == 0:
            mem_line += _(" (soudée, aucun emplacement")
        else:
            mem_line += _(
                " ({slots_total} emplacements, {slots_free} libres",
                slots_total=mem.slots_total,
                slots_free=mem.slots_free,
            )
        if mem.max_capacity_bytes:
            mem_line += ", max " + _size_gb(mem.max_capacity_bytes, _, binary=True)
        mem_line += ")"
    lines.append(mem_line)
    for dimm in mem.dimms or []:
        desc = " ".join(
            x
            for x in (
                dimm.locator,
                dimm.form_factor,
                dimm.type,
                _size_gb(dimm.size_bytes, _, binary=True),
                f"{dimm.speed_mts} MT/s" if dimm.speed_mts else None,
                _("(soudée)") if dimm.soldered else None,
            )
            if x
        )
        lines.append(f"  {desc}")

    lines.append(_("Disques :") if inv.disks else _("Disques : aucun"))
    for disk in inv.disks:
        media = {"hdd": "HDD", "ssd": "SSD"}.get(disk.media, "?")
        size = _size_gb(disk.capacity_bytes, _)
        desc = f"  {disk.name:<9} {_or_unknown(disk.model, _)} · {size}"
        desc += f" · {media} {disk.transport.upper()}"
        if disk.serial:
            desc += _(" · n° {serial}", serial=disk.serial)
        if disk.boot_medium:
            desc += _(" · support de démarrage (jamais effacé)")
        lines.append(desc)

    for bat in inv.batteries:
        health = f"{bat.health_pct:.0f} %" if bat.health_pct is not None else _("inconnue")
        desc = _("Batterie {name} : santé {health}", name=bat.name, health=health)
        if bat.full_wh is not None and bat.design_wh is not None:
            desc += f" ({bat.full_wh:.1f}/{bat.design_wh:.1f} Wh)"
        if bat.cycle_count is not None:
            desc += _(", {cycle_count} cycles", cycle_count=bat.cycle_count)
        lines.append(desc)
        lines.extend(f"  ! {note.message.get(lang)}" for note in bat.anomalies)
    if not inv.batteries:
        lines.append(_("Batterie : aucune détectée"))

    for disp in inv.displays:
        kind = _("interne") if disp.internal else _("externe")
        desc = _("Écran {connector} ({kind}) : ", connector=disp.connector, kind=kind)
        desc += " ".join(x for x in (disp.maker, disp.model) if x)
        if disp.diagonal_in:
            desc += f' {disp.diagonal_in:.1f}"'
        if disp.width_px and disp.height_px:
            desc += f" {disp.width_px}×{disp.height_px}"
        lines.append(desc)

    for dev in inv.devices:
        kind = _(DEVICE_KINDS[dev.kind]) if dev.kind in DEVICE_KINDS else dev.kind
        name = " ".join(x for x in (dev.vendor, dev.product) if x) or (
            f"{dev.vendor_id or '?'}:{dev.product_id or '?'}"
        )
        lines.append(_("{kind} : ", kind=kind) + name)

    fw = inv.firmware
    boot = {"uefi": "UEFI", "legacy": _("BIOS (legacy)")}.get(fw.boot_mode, _("démarrage inconnu"))
    sb = {
        "enabled": _("activé"),
        "disabled": _("désactivé"),
        "unsupported": _("non pris en charge"),
    }.get(fw.secure_boot, _("inconnu"))
    tpm = f"TPM {fw.tpm_version}" if fw.tpm_version else "TPM " + _yes_no(fw.tpm_present, _)
    lines.append(
        _("Micrologiciel : ")
        + f"{boot} · Secure Boot {sb} · {tpm} · "
        + _("licence Windows OEM : ")
        + _yes_no(fw.windows_key_in_acpi, _)
    )

    w11 = inv.win11
    verdict = _tri(w11.ready, _("compatible"), _("non compatible"), _)
    lines.append(_("Windows 11 : ") + verdict)
    for check in w11.checks:
        mark = _tri(check.ok, "☑", "☒", lambda msgid, /, **fields: "?")
        lines.append(f"  {mark} {check.message.get(lang)}")

    if inv.notes:
        lines.append(_("Remarques :"))
        lines.extend(f"  - {note.message.get(lang)}" for note in inv.notes)
    if with_duration and inv.duration_ms is not None:
        lines.append(_("Durée : {duration_ms:.0f} ms", duration_ms=inv.duration_ms))
    return lines


VERDICT_LABEL = VERDICTS
SELF_TEST_STATUS = {
    "passed": N_("réussi"),
    "failed": C_("autotest", "ÉCHEC"),
    "aborted": N_("annulé"),
    "interrupted": N_("interrompu"),
    "in_progress": C_("autotest", "en cours"),
    "timeout": N_("trop long, arrêté"),
    "unknown": N_("résultat inconnu"),
}
SEVERITY_LABEL = {
    "INFO": N_("info"),
    "WORN": N_("usure"),
    "SUSPECT": N_("suspect"),
    "FAIL": C_("gravité", "ÉCHEC"),
    "UNKNOWN": N_("inconnu"),
}


def render_health(health: DiskHealth, _: Gettext, lang: str) -> list[str]:
    """Human lines for one drive: verdict first, then every finding."""
    label = _(VERDICT_LABEL[health.verdict])
    who = " ".join(x for x in (health.model, health.serial and f"S/N {health.serial}") if x)
    lines = [
        f"{health.device}  {who}".rstrip(),
        f"  {label} — {health.reason.get(lang) if health.reason else ''}",
    ]
    facts = []
    if health.power_on_hours is not None:
        facts.append(
            _("{power_on_hours} h de fonctionnement", power_on_hours=health.power_on_hours)
        )
    if health.percentage_used is not None:
        facts.append(_("usure {percentage_used} %", percentage_used=health.percentage_used))
    if health.temperature_c is not None:
        facts.append(f"{health.temperature_c:.0f} °C")
    if facts:
        lines.append("  " + ", ".join(facts))
    for finding in health.findings:
        severity = _(SEVERITY_LABEL[finding.severity])
        lines.append(f"  [{severity}] {finding.message.get(lang)}")
    if health.self_test is not None:
        test = health.self_test
        status = (
            _(SELF_TEST_STATUS[test.status]) if test.status in SELF_TEST_STATUS else test.status
        )
        lines.append(_("  Autotest {kind} : {status}.", kind=test.kind, status=status))
    if health.read_check is not None and health.read_check.throughput_mb_s is not None:
        rc = health.read_check
        lines.append(
            _(
                "  Lecture : {sampled_bytes} Mio à {throughput_mb_s:.1f} Mo/s, "
                "{n_error_offsets} erreur(s).",
                sampled_bytes=rc.sampled_bytes // (1 << 20),
                throughput_mb_s=rc.throughput_mb_s,
                n_error_offsets=len(rc.error_offsets),
            )
        )
    return lines
