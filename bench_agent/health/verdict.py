"""The verdict engine: :class:`SmartData` + :class:`Policy` -> :class:`DiskHealth`.

Rules, not per-drive memory: each rule reads one normalised quantity, compares
it with a policy threshold and adds a :class:`Finding`; the verdict is the
worst finding (INFO never lowers it). Data that cannot be judged (no SMART,
RAID logical drive, unknown USB bridge) gives UNKNOWN, never OK.
"""

from __future__ import annotations

import re

from bench_agent.health.policy import AtaCounter, Level, Policy
from bench_agent.health.smart import AtaAttribute, SmartData
from bench_agent.i18n import tr
from bench_agent.model.common import Text
from bench_agent.model.health import DiskHealth, Finding, Severity, Verdict

_RANK: dict[str, int] = {"INFO": 0, "OK": 0, "WORN": 1, "SUSPECT": 2, "FAIL": 3, "UNKNOWN": 4}

# smartctl exit status bits (smartctl(8), "RETURN VALUES").
EXIT_BITS: dict[int, str] = {
    0: "command line did not parse",
    1: "device open failed or device did not answer IDENTIFY",
    2: "a SMART or other ATA command failed, or a SMART data checksum error",
    3: "SMART status: DISK FAILING",
    4: "prefail attributes at or below threshold",
    5: "attributes were at or below threshold in the past",
    6: "the device error log contains records of errors",
    7: "the self-test log contains records of errors",
}


def decode_exit_status(status: int | None) -> list[str]:
    """Names of the bits set in smartctl's exit status."""
    if status is None:
        return []
    return [text for bit, text in EXIT_BITS.items() if status & (1 << bit)]


_COUNTER_TEXT: dict[str, tuple[str, str]] = {
    "ata.reallocated_sectors": ("secteurs réalloués", "reallocated sectors"),
    "ata.pending_sectors": ("secteurs instables en attente", "pending (unstable) sectors"),
    "ata.offline_uncorrectable": (
        "secteurs illisibles (hors ligne)",
        "offline uncorrectable sectors",
    ),
    "ata.reported_uncorrectable": (
        "erreurs non corrigibles signalées",
        "reported uncorrectable errors",
    ),
    "ata.reallocation_events": ("événements de réallocation", "reallocation events"),
    "ata.spin_retries": ("nouvelles tentatives de démarrage du moteur", "spin-up retries"),
    "ata.end_to_end_errors": ("erreurs de bout en bout", "end-to-end errors"),
    "ata.command_timeouts": ("commandes expirées", "command timeouts"),
    "ata.udma_crc_errors": (
        "erreurs CRC de liaison (câble, connecteur ou pont USB, pas le disque)",
        "link CRC errors (cable, connector or USB bridge, not the disk)",
    ),
    "ata.load_cycles": ("cycles de chargement des têtes", "head load cycles"),
    "ssd.program_erase_failures": (
        "échecs de programmation/effacement de la mémoire flash",
        "flash program/erase failures",
    ),
}


def _counter_value(attr: AtaAttribute) -> int | None:
    """The decoded count: smartctl prints it first in the raw string ("28848 (0 1385)")."""
    match = re.match(r"\s*(\d+)", attr.raw_string)
    count = int(match.group(1)) if match else attr.raw
    if count is not None and count > 0xFFFFFFFF:
        # Several 16-bit counters packed in the 48-bit raw value (Seagate/HGST 187,
        # 188 when smartctl's drive database has no format): the low word is the count.
        count &= 0xFFFF
    return count


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(
        self,
        code: str,
        severity: Severity,
        message: Text,
        *,
        attribute: str | None = None,
        value: float | str | None = None,
        threshold: float | str | None = None,
    ) -> None:
        self.items.append(
            Finding(
                code=code,
                severity=severity,
                attribute=attribute,
                value=value,
                threshold=threshold,
                message=message,
            )
        )


def _ladder(
    value: int, worn: int | None, suspect: int | None, fail: int | None
) -> tuple[Level, int] | None:
    if fail is not None and value >= fail:
        return "FAIL", fail
    if suspect is not None and value >= suspect:
        return "SUSPECT", suspect
    if worn is not None and value >= worn:
        return "WORN", worn
    return None


def worst(findings: list[Finding]) -> Verdict:
    verdict: Verdict = "OK"
    for finding in findings:
        if finding.severity != "INFO" and _RANK[finding.severity] > _RANK[verdict]:
            verdict = finding.severity
    return verdict


def unknown(device: str, code: str, message: Text, source: str | None) -> DiskHealth:
    """A drive that cannot be judged, with the reason."""
    finding = Finding(code=code, severity="UNKNOWN", message=message)
    return DiskHealth(
        device=device, verdict="UNKNOWN", findings=[finding], reason=message, source=source
    )


def _not_assessable(data: SmartData) -> tuple[str, Text] | None:
    said = "; ".join(data.messages)
    status = data.exit_status
    if data.virtual_device:
        return "smart.virtual_device", tr(
            "Disque virtuel d'un contrôleur RAID : pas de données SMART du disque réel.",
            "RAID controller virtual drive: no SMART data of a real disk.",
        )
    if "Unknown USB bridge" in said:
        return "smart.unknown_usb_bridge", tr(
            f"Pont USB inconnu de smartctl, SMART illisible ({said}).",
            f"USB bridge unknown to smartctl, SMART unreadable ({said}).",
        )
    has_data = bool(
        data.ata_attributes
        or data.nvme is not None
        or data.passed is not None
        or data.scsi_grown_defects is not None
    )
    if status is not None and status & 0b11 and not has_data:
        detail = said or "; ".join(decode_exit_status(status & 0b11))
        return "smart.device_unreadable", tr(
            f"smartctl n'a pas pu lire ce périphérique ({detail}).",
            f"smartctl could not read this device ({detail}).",
        )
    if data.smart_available is False:
        return "smart.unavailable", tr(
            "Le périphérique n'a pas de SMART : santé non évaluable.",
            "The device has no SMART: health cannot be assessed.",
        )
    if not has_data and data.smart_enabled is False:
        return "smart.disabled", tr(
            "SMART est désactivé sur ce disque : l'activer (smartctl -s on) puis recommencer.",
            "SMART is disabled on this drive: enable it (smartctl -s on) and check again.",
        )
    if not has_data:
        return "smart.no_data", tr(
            "Aucune donnée SMART dans la sortie de smartctl.",
            "No SMART data in smartctl's output.",
        )
    return None


def assess(data: SmartData, policy: Policy, device: str | None = None) -> DiskHealth:
    """Judge one drive."""
    name = device or data.device or "?"
    blocked = _not_assessable(data)
    if blocked is not None:
        health = unknown(name, blocked[0], blocked[1], data.source)
        health.model, health.serial = data.model, data.serial
        health.smartctl_exit_status = data.exit_status
        health.device_type = data.device_type
        return health
    found = _Findings()
    _overall(data, policy, found)
    _ata(data, policy, found)
    _nvme(data, policy, found)
    _scsi(data, policy, found)
    _self_tests(data, policy, found)
    _hours(data, policy, found)
    if data.exit_status is not None and data.exit_status & 0b100:
        found.add(
            "smartctl.command_failed",
            "INFO",
            tr(
                "smartctl signale qu'une commande SMART a échoué (souvent sans gravité).",
                "smartctl reports that a SMART command failed (often harmless).",
            ),
            value=data.exit_status,
        )
    findings = sorted(found.items, key=lambda f: -_RANK[f.severity])
    verdict = worst(findings)
    reason = findings[0].message if findings and findings[0].severity != "INFO" else None
    if reason is None:
        in_progress = [f for f in findings if f.code == "selftest.in_progress"]
        # A drive still testing itself is only provisionally fine: say so first.
        reason = (
            in_progress[0].message
            if in_progress
            else tr("Aucun problème détecté.", "No problem found.")
        )
    return DiskHealth(
        device=name,
        model=data.model,
        serial=data.serial,
        firmware=data.firmware,
        verdict=verdict,
        findings=findings,
        power_on_hours=data.power_on_hours,
        temperature_c=float(data.temperature_c) if data.temperature_c is not None else None,
        percentage_used=_percentage_used(data, policy),
        source=data.source,
        reason=reason,
        protocol=data.protocol,
        device_type=data.device_type,
        smartctl_exit_status=data.exit_status,
    )


def _overall(data: SmartData, policy: Policy, found: _Findings) -> None:
    failing_bit = data.exit_status is not None and bool(data.exit_status & 0b1000)
    if data.passed is False or (data.passed is None and failing_bit):
        found.add(
            "smart.overall_failed",
            policy.overall.failed,
            tr(
                "Le disque s'auto-évalue en ÉCHEC (SMART FAILED) : ne pas réutiliser.",
                "The drive's own SMART self-assessment is FAILED: do not reuse.",
            ),
            attribute="smart_status",
            value="FAILED",
        )


def _ata(data: SmartData, policy: Policy, found: _Findings) -> None:
    rules = policy.attribute_threshold
    for attr in data.ata_attributes:
        when = attr.when_failed
        if not when and attr.thresh and attr.value is not None and attr.value <= attr.thresh:
            when = "now"  # smartctl's own rule, for text reports without the column
        if not when or not attr.thresh:
            continue
        label = f"{attr.id} {attr.name}"
        if when == "now":
            level = rules.failing_now_prefail if attr.prefailure else rules.failing_now_old_age
            found.add(
                "ata.attribute_failing_now",
                level,
                tr(
                    f"Attribut {label} à {attr.value}, au seuil du fabricant {attr.thresh} "
                    "ou en dessous (FAILING_NOW).",
                    f"Attribute {label} is {attr.value}, at or below the maker's threshold "
                    f"{attr.thresh} (FAILING_NOW).",
                ),
                attribute=label,
                value=attr.value,
                threshold=attr.thresh,
            )
        else:
            level = (
                rules.failed_in_past_prefail if attr.prefailure else rules.failed_in_past_old_age
            )
            found.add(
                "ata.attribute_failed_in_past",
                level,
                tr(
                    f"Attribut {label} est déjà passé sous son seuil {attr.thresh} (pire valeur "
                    f"{attr.worst}).",
                    f"Attribute {label} went below its threshold {attr.thresh} in the past "
                    f"(worst {attr.worst}).",
                ),
                attribute=label,
                value=attr.worst,
                threshold=attr.thresh,
            )
    for counter in policy.ata_counter:
        found_attr = _counter_attribute(data, counter)
        if found_attr is None:
            continue
        attr = found_attr
        if attr.error_rate and attr.performance and not attr.event_count:
            # Flagged as a performance error *rate* ("POSR--", e.g. 196 on some Seagate
            # laptop drives: raw "2111 (12437 0)" with normalised 98): not a count.
            continue
        count = _counter_value(attr)
        if count is None:
            continue
        hit = _ladder(count, counter.worn_min, counter.suspect_min, counter.fail_min)
        if hit is None:
            continue
        level, limit = hit
        fr, en = _COUNTER_TEXT.get(counter.code, (attr.name, attr.name))
        found.add(
            counter.code,
            level,
            tr(f"{count} {fr} (seuil {limit}).", f"{count} {en} (threshold {limit})."),
            attribute=f"{attr.id} {attr.name}",
            value=count,
            threshold=limit,
        )
    life = _ata_life_left(data, policy)
    if life is not None:
        _wear(100 - life[0], f"{life[1].id} {life[1].name}", policy, found)
    reserve_pattern = re.compile(policy.reserve.ata_reserve_name_pattern)
    for attr in data.ata_attributes:
        if (
            attr.id in policy.reserve.ata_reserve_ids
            and reserve_pattern.search(attr.name)
            and attr.thresh
            and attr.value is not None
            and attr.value <= policy.reserve.worn_max_pct
            and attr.value > attr.thresh
        ):
            found.add(
                "ata.reserve_low",
                "WORN",
                tr(
                    f"Réserve de blocs de secours à {attr.value} % ({attr.id} {attr.name}).",
                    f"Spare block reserve at {attr.value}% ({attr.id} {attr.name}).",
                ),
                attribute=f"{attr.id} {attr.name}",
                value=attr.value,
                threshold=policy.reserve.worn_max_pct,
            )
    count = data.ata_error_count
    if count:
        log = policy.ata_error_log
        if log.suspect_min is not None and count >= log.suspect_min:
            level_e: Severity = "SUSPECT"
            limit_e: int | None = log.suspect_min
        elif log.info_min is not None and count >= log.info_min:
            level_e, limit_e = "INFO", log.info_min
        else:
            return
        found.add(
            "ata.error_log",
            level_e,
            tr(
                f"{count} erreurs enregistrées dans le journal d'erreurs ATA du disque.",
                f"{count} errors recorded in the drive's ATA error log.",
            ),
            attribute="ata_error_log.count",
            value=count,
            threshold=limit_e,
        )


def _counter_attribute(data: SmartData, counter: AtaCounter) -> AtaAttribute | None:
    """The attribute a counter rule reads: by id, or the highest of several named ids."""
    if counter.id is not None:
        return data.attribute(counter.id)
    pattern = re.compile(counter.name_pattern) if counter.name_pattern else None
    best: tuple[int, AtaAttribute] | None = None
    for attr in data.ata_attributes:
        if attr.id in counter.ids and (pattern is None or pattern.search(attr.name)):
            count = _counter_value(attr)
            if count is not None and (best is None or count > best[0]):
                best = (count, attr)
    return None if best is None else best[1]


def _ata_life_left(data: SmartData, policy: Policy) -> tuple[int, AtaAttribute] | None:
    """The lowest normalised life/wear value (capped at 100) among the known life attributes."""
    pattern = re.compile(policy.wear.ata_life_name_pattern)
    best: tuple[int, AtaAttribute] | None = None
    for attr in data.ata_attributes:
        if attr.id not in policy.wear.ata_life_ids or attr.value is None:
            continue
        if not pattern.search(attr.name):
            continue
        left = min(attr.value, 100)
        if best is None or left < best[0]:
            best = (left, attr)
    return best


def _percentage_used(data: SmartData, policy: Policy) -> int | None:
    if data.nvme is not None and data.nvme.percentage_used is not None:
        return data.nvme.percentage_used
    life = _ata_life_left(data, policy)
    return None if life is None else 100 - life[0]


def _wear(used_pct: int, attribute: str, policy: Policy, found: _Findings) -> None:
    wear = policy.wear
    hit = _ladder(used_pct, wear.worn_min_pct, None, wear.fail_min_pct)
    if hit is None:
        return
    level, limit = hit
    found.add(
        "ssd.wear",
        level,
        tr(
            f"Usure du SSD : {used_pct} % de l'endurance prévue consommée (seuil {limit} %).",
            f"SSD wear: {used_pct}% of the rated endurance used (threshold {limit}%).",
        ),
        attribute=attribute,
        value=used_pct,
        threshold=limit,
    )


def _nvme(data: SmartData, policy: Policy, found: _Findings) -> None:
    log = data.nvme
    if log is None:
        return
    if log.critical_warning:
        for rule in policy.nvme.critical_warning_bits:
            if log.critical_warning & (1 << rule.bit):
                found.add(
                    rule.code,
                    rule.severity,
                    tr(
                        f"Avertissement critique NVMe (bit {rule.bit}) : "
                        f"{_NVME_BITS_FR.get(rule.bit, '?')}.",
                        f"NVMe critical warning (bit {rule.bit}): "
                        f"{_NVME_BITS_EN.get(rule.bit, '?')}.",
                    ),
                    attribute="nvme.critical_warning",
                    value=log.critical_warning,
                    threshold=0,
                )
    if log.media_errors is not None and log.media_errors >= policy.nvme.media_errors_fail_min:
        found.add(
            "nvme.media_errors",
            "FAIL",
            tr(
                f"{log.media_errors} erreurs de support et d'intégrité des données (données "
                "illisibles) : ne pas réutiliser.",
                f"{log.media_errors} media and data integrity errors (unrecovered data): "
                "do not reuse.",
            ),
            attribute="nvme.media_errors",
            value=log.media_errors,
            threshold=policy.nvme.media_errors_fail_min,
        )
    if log.percentage_used is not None:
        _wear(log.percentage_used, "nvme.percentage_used", policy, found)
    spare, spare_min = log.available_spare, log.available_spare_threshold
    if spare is not None:
        if spare_min and spare <= spare_min:
            found.add(
                "nvme.spare_at_threshold",
                policy.reserve.at_threshold,
                tr(
                    f"Réserve NVMe à {spare} %, au seuil {spare_min} % ou en dessous.",
                    f"NVMe available spare {spare}%, at or below its threshold {spare_min}%.",
                ),
                attribute="nvme.available_spare",
                value=spare,
                threshold=spare_min,
            )
        elif spare <= policy.reserve.worn_max_pct:
            found.add(
                "nvme.spare_low",
                "WORN",
                tr(f"Réserve NVMe à {spare} %.", f"NVMe available spare at {spare}%."),
                attribute="nvme.available_spare",
                value=spare,
                threshold=policy.reserve.worn_max_pct,
            )
    if log.num_err_log_entries:
        found.add(
            "nvme.error_log_entries",
            "INFO",
            tr(
                f"{log.num_err_log_entries} entrées au journal d'erreurs NVMe (surtout des "
                "commandes refusées par le système, pas des défauts du support).",
                f"{log.num_err_log_entries} NVMe error-log entries (mostly commands the host "
                "sent that the drive refused, not media defects).",
            ),
            attribute="nvme.num_err_log_entries",
            value=log.num_err_log_entries,
        )
    if log.unsafe_shutdowns:
        found.add(
            "nvme.unsafe_shutdowns",
            "INFO",
            tr(
                f"{log.unsafe_shutdowns} arrêts non propres (coupures d'alimentation).",
                f"{log.unsafe_shutdowns} unsafe shutdowns (power lost while on).",
            ),
            attribute="nvme.unsafe_shutdowns",
            value=log.unsafe_shutdowns,
        )


_NVME_BITS_FR = {
    0: "réserve sous le seuil",
    1: "température hors limites",
    2: "fiabilité dégradée",
    3: "support passé en lecture seule",
    4: "sauvegarde de la mémoire volatile en panne",
    5: "mémoire persistante en lecture seule",
}
_NVME_BITS_EN = {
    0: "available spare below threshold",
    1: "temperature out of range",
    2: "reliability degraded",
    3: "media placed in read-only mode",
    4: "volatile memory backup failed",
    5: "persistent memory region read-only",
}


def _scsi(data: SmartData, policy: Policy, found: _Findings) -> None:
    rules = policy.scsi
    defects = data.scsi_grown_defects
    if defects is not None:
        hit = _ladder(defects, None, rules.grown_defects_suspect_min, rules.grown_defects_fail_min)
        if hit is not None:
            found.add(
                "scsi.grown_defects",
                hit[0],
                tr(
                    f"{defects} défauts apparus depuis la fabrication (grown defect list, seuil "
                    f"{hit[1]}).",
                    f"{defects} defects grown since manufacture (grown defect list, threshold "
                    f"{hit[1]}).",
                ),
                attribute="scsi_grown_defect_list",
                value=defects,
                threshold=hit[1],
            )
    errors = data.scsi_uncorrected_errors
    limit = rules.uncorrected_errors_suspect_min
    if errors and limit is not None and errors >= limit:
        found.add(
            "scsi.uncorrected_errors",
            "SUSPECT",
            tr(
                f"{errors} erreurs non corrigées en lecture/écriture/vérification.",
                f"{errors} uncorrected read/write/verify errors.",
            ),
            attribute="scsi_error_counter_log",
            value=errors,
            threshold=limit,
        )


def _kind(text: str) -> str:
    low = text.lower()
    for kind in ("short", "extended", "conveyance", "selective"):
        if kind in low:
            return kind
    if "long" in low:
        return "extended"
    return "offline"


def _self_tests(data: SmartData, policy: Policy, found: _Findings) -> None:
    entries = data.self_tests
    failed_recent = 0
    failed_superseded = 0
    first_failure = None
    for index, entry in enumerate(entries):
        if entry.outcome != "failed":
            continue
        kind = _kind(entry.kind)
        superseded = any(
            later.outcome == "passed" and _kind(later.kind) in (kind, "extended")
            for later in entries[:index]
        )
        if superseded:
            failed_superseded += 1
        else:
            failed_recent += 1
        if first_failure is None:
            first_failure = entry
    last_status = data.self_test_status_value
    if last_status is not None and 3 <= last_status >> 4 <= 8 and failed_recent == 0:
        failed_recent = 1
    if failed_recent or failed_superseded:
        level = policy.self_test.failed if failed_recent else policy.self_test.failed_superseded
        status = first_failure.status if first_failure is not None else f"0x{last_status:02x}"
        total = failed_recent + failed_superseded
        found.add(
            "selftest.failed",
            level,
            tr(
                f"Autotest SMART en échec ({total} dans le journal, le plus récent : "
                f"« {status} »).",
                f'Failed SMART self-test ({total} in the log, most recent: "{status}").',
            ),
            attribute="self_test_log",
            value=status,
        )
    if data.self_test_running:
        pct = data.self_test_remaining_pct
        left_fr = f", {pct} % restant" if pct is not None else ""
        left_en = f", {pct}% remaining" if pct is not None else ""
        found.add(
            "selftest.in_progress",
            "INFO",
            tr(
                f"Un autotest est en cours{left_fr} : verdict provisoire, à confirmer à la fin.",
                f"A self-test is in progress{left_en}: provisional verdict, confirm when done.",
            ),
            attribute="self_test",
            value=pct,
        )


def _hours(data: SmartData, policy: Policy, found: _Findings) -> None:
    hours, limit = data.power_on_hours, policy.power_on.worn_min_hours
    if hours is not None and limit is not None and hours >= limit:
        found.add(
            "power_on_hours",
            "WORN",
            tr(
                f"{hours} heures de fonctionnement (environ {hours / 8766:.1f} ans allumé ; "
                f"seuil {limit} h).",
                f"{hours} power-on hours (about {hours / 8766:.1f} years powered; threshold "
                f"{limit} h).",
            ),
            attribute="power_on_hours",
            value=hours,
            threshold=limit,
        )
