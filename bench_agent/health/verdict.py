"""The verdict engine: :class:`SmartData` + :class:`Policy` -> :class:`DiskHealth`.

Rules, not per-drive memory: each rule reads one normalised quantity, compares
it with a policy threshold and adds a :class:`Finding`; the verdict is the
worst finding (INFO never lowers it). Data that cannot be judged (no SMART,
RAID logical drive, unknown USB bridge) gives UNKNOWN, never OK.
"""

from __future__ import annotations

import re
from typing import Literal

from bench_agent.health.policy import AtaCounter, Level, Policy
from bench_agent.health.smart import AtaAttribute, SmartData
from bench_agent.i18n import N_, _t
from bench_agent.model.common import Text
from bench_agent.model.health import DiskHealth, Finding, Severity, Verdict

Medium = Literal["hdd", "ssd", "nvme", "scsi", "unknown"]

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


_COUNTER_TEXT: dict[str, str] = {
    "ata.reallocated_sectors": N_("secteurs réalloués"),
    "ata.pending_sectors": N_("secteurs instables en attente"),
    "ata.offline_uncorrectable": N_("secteurs illisibles (hors ligne)"),
    "ata.reported_uncorrectable": N_("erreurs non corrigibles signalées"),
    "ata.reallocation_events": N_("événements de réallocation"),
    "ata.spin_retries": N_("nouvelles tentatives de démarrage du moteur"),
    "ata.end_to_end_errors": N_("erreurs de bout en bout"),
    "ata.command_timeouts": N_("commandes expirées"),
    "ata.udma_crc_errors": N_(
        "erreurs CRC de liaison (câble, connecteur ou pont USB, pas le disque)"
    ),
    "ata.load_cycles": N_("cycles de chargement des têtes"),
    "ssd.program_erase_failures": N_("échecs de programmation/effacement de la mémoire flash"),
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
        return "smart.virtual_device", _t(
            "Disque virtuel d'un contrôleur RAID : pas de données SMART du disque réel."
        )
    if "Unknown USB bridge" in said:
        return "smart.unknown_usb_bridge", _t(
            "Pont USB inconnu de smartctl, SMART illisible ({said}).", said=said
        )
    has_data = bool(
        data.ata_attributes
        or data.nvme is not None
        or data.passed is not None
        or data.scsi_grown_defects is not None
    )
    if status is not None and status & 0b11 and not has_data:
        detail = said or "; ".join(decode_exit_status(status & 0b11))
        return "smart.device_unreadable", _t(
            "smartctl n'a pas pu lire ce périphérique ({detail}).", detail=detail
        )
    if data.smart_available is False:
        return "smart.unavailable", _t("Le périphérique n'a pas de SMART : santé non évaluable.")
    if not has_data and data.smart_enabled is False:
        return "smart.disabled", _t(
            "SMART est désactivé sur ce disque : l'activer (smartctl -s on) puis recommencer."
        )
    if not has_data:
        return "smart.no_data", _t("Aucune donnée SMART dans la sortie de smartctl.")
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
            _t("smartctl signale qu'une commande SMART a échoué (souvent sans gravité)."),
            value=data.exit_status,
        )
    findings = sorted(found.items, key=lambda f: -_RANK[f.severity])
    verdict = worst(findings)
    reason = findings[0].message if findings and findings[0].severity != "INFO" else None
    if reason is None:
        in_progress = [f for f in findings if f.code == "selftest.in_progress"]
        # A drive still testing itself is only provisionally fine: say so first.
        wear_unknown = [f for f in findings if f.code == "ssd.wear_unknown"]
        if in_progress:
            reason = in_progress[0].message
        elif wear_unknown:
            # "No problem found" would read as "no wear": say what could not be checked.
            reason = _t(
                "Aucun problème détecté, mais l'usure de ce SSD est inconnue (aucun indicateur "
                "d'usure)."
            )
        else:
            reason = _t("Aucun problème détecté.")
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
            _t("Le disque s'auto-évalue en ÉCHEC (SMART FAILED) : ne pas réutiliser."),
            attribute="smart_status",
            value="FAILED",
        )


def _ata(data: SmartData, policy: Policy, found: _Findings) -> None:
    medium = medium_of(data)
    if medium not in ("hdd", "ssd"):
        return
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
                _t(
                    "Attribut {label} à {value}, au seuil du fabricant {thresh} "
                    "ou en dessous (FAILING_NOW).",
                    label=label,
                    value=attr.value,
                    thresh=attr.thresh,
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
                _t(
                    "Attribut {label} est déjà passé sous son seuil {thresh} (pire valeur "
                    "{worst}).",
                    label=label,
                    thresh=attr.thresh,
                    worst=attr.worst,
                ),
                attribute=label,
                value=attr.worst,
                threshold=attr.thresh,
            )
    for counter in policy.ata_counter:
        if medium not in counter.media:
            continue
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
        what = _COUNTER_TEXT.get(counter.code)
        found.add(
            counter.code,
            level,
            _t(
                "{count} {what} (seuil {limit}).",
                count=count,
                what=_t(what) if what else Text(fr=attr.name, en=attr.name),
                limit=limit,
            ),
            attribute=f"{attr.id} {attr.name}",
            value=count,
            threshold=limit,
        )
    if medium == "ssd":
        _ssd(data, policy, found)
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
            _t(
                "{count} erreurs enregistrées dans le journal d'erreurs ATA du disque.", count=count
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
    """The lowest normalised life/wear value (capped at 100) among the vendor wear attributes."""
    wanted = [(w.id, re.compile(w.name_pattern)) for w in policy.wear.ata_attribute]
    legacy = re.compile(policy.wear.ata_life_name_pattern)
    wanted += [(attr_id, legacy) for attr_id in policy.wear.ata_life_ids]
    best: tuple[int, AtaAttribute] | None = None
    for attr in data.ata_attributes:
        if attr.value is None:
            continue
        if not any(attr.id == attr_id and rx.search(attr.name) for attr_id, rx in wanted):
            continue
        left = min(attr.value, 100)
        if best is None or left < best[0]:
            best = (left, attr)
    return best


_SSD_NAME = re.compile(r"(?i)ssd|nand|flash|wear|rsvd|reserv|program_fail|erase_fail|bad_bl")


def medium_of(data: SmartData) -> Medium:
    """What kind of drive this is: its own rotation rate first, then what it reports."""
    if data.nvme is not None or data.protocol == "NVMe":
        return "nvme"
    if data.protocol == "SCSI" or (data.protocol is None and not data.ata_attributes):
        return "scsi" if data.scsi_grown_defects is not None or data.protocol else "unknown"
    if data.rotation_rate is not None:
        return "ssd" if data.rotation_rate == 0 else "hdd"
    # Older smartctl or a bridge that hides the rotation rate: flash-only attributes say SSD.
    if any(_SSD_NAME.search(attr.name) for attr in data.ata_attributes):
        return "ssd"
    return "hdd"


def _ata_spare(data: SmartData, policy: Policy) -> tuple[int, str, int | None] | None:
    """(spare left %, the attribute, the drive's own threshold) of a SATA SSD, if it says.

    Two readings, the lower wins: the vendor's normalised reserve attribute (a value of
    0 with a threshold of 0 is a counter nobody maintains, e.g. Crucial's
    ``Unused_Reserve_NAND_Blk``), and an ``Unused`` reserve raw count weighed against the
    retired blocks (unused / (unused + retired)).
    """
    rules = policy.reserve
    pattern = re.compile(rules.ata_reserve_name_pattern)
    readings: list[tuple[int, str, int | None]] = []
    retired = _retired_blocks(data, policy)
    for attr in data.ata_attributes:
        if attr.id not in rules.ata_reserve_ids or not pattern.search(attr.name):
            continue
        label = f"{attr.id} {attr.name}"
        if attr.value is not None and (attr.thresh or attr.value):
            readings.append((min(attr.value, 100), label, attr.thresh or None))
        free = _counter_value(attr) if "unused" in attr.name.lower() else None
        if free is not None:
            used = retired[0] if retired is not None else 0
            if free + used:
                readings.append(((free * 100) // (free + used), label, None))
    return min(readings, key=lambda reading: reading[0]) if readings else None


def _retired_blocks(data: SmartData, policy: Policy) -> tuple[int, AtaAttribute] | None:
    pattern = re.compile(policy.ssd.retired_block_name_pattern)
    for attr_id in policy.ssd.retired_block_ids:
        attr = data.attribute(attr_id)
        if attr is not None and pattern.search(attr.name):
            count = _counter_value(attr)
            if count is not None:
                return count, attr
    return None


def _ssd(data: SmartData, policy: Policy, found: _Findings) -> None:
    """SATA SSD: wear (or say it is unknown), spare left, retired blocks relative to spare."""
    life = _ata_life_left(data, policy)
    if life is not None:
        _wear(100 - life[0], f"{life[1].id} {life[1].name}", policy, found)
    else:
        ids = sorted({w.id for w in policy.wear.ata_attribute} | set(policy.wear.ata_life_ids))
        found.add(
            "ssd.wear_unknown",
            policy.ssd.wear_unknown,
            _t(
                "Usure du SSD inconnue : il n'expose aucun indicateur d'usure connu (attributs "
                "lus : {ids}). Vérifier avec l'outil du fabricant.",
                ids=", ".join(str(i) for i in ids),
            ),
            attribute="ata_smart_attributes",
            value="unknown",
        )
    spare = _ata_spare(data, policy)
    retired = _retired_blocks(data, policy)
    rules = policy.reserve
    if spare is not None:
        left, label, vendor_min = spare
        limit = max(vendor_min or 0, rules.fail_max_pct or 0) or None
        if limit is not None and left <= limit:
            found.add(
                "ssd.spare_exhausted",
                rules.at_threshold,
                _t(
                    "Réserve de blocs de secours du SSD épuisée : {left} % restant, seuil "
                    "{limit} % ({label}).",
                    left=left,
                    limit=limit,
                    label=label,
                ),
                attribute=label,
                value=left,
                threshold=limit,
            )
        elif left <= rules.worn_max_pct:
            found.add(
                "ata.reserve_low",
                "WORN",
                _t(
                    "Réserve de blocs de secours à {value} % ({label}).",
                    value=left,
                    label=label,
                ),
                attribute=label,
                value=left,
                threshold=rules.worn_max_pct,
            )
    if retired is None or retired[0] == 0:
        return
    count, attr = retired
    if spare is not None:
        found.add(
            "ssd.retired_blocks",
            "INFO",
            _t(
                "{count} blocs retirés par le contrôleur du SSD, réserve restante {left} % : "
                "jugé sur la réserve, pas sur le nombre.",
                count=count,
                left=spare[0],
            ),
            attribute=f"{attr.id} {attr.name}",
            value=count,
        )
        return
    ssd = policy.ssd
    hit = _ladder(
        count, None, ssd.retired_unknown_spare_suspect_min, ssd.retired_unknown_spare_fail_min
    )
    found.add(
        "ssd.retired_blocks",
        hit[0] if hit is not None else "INFO",
        _t(
            "{count} blocs retirés par le contrôleur du SSD ; sa réserve n'est pas connue "
            "(seuil {limit}).",
            count=count,
            limit=hit[1] if hit is not None else ssd.retired_unknown_spare_suspect_min or "-",
        ),
        attribute=f"{attr.id} {attr.name}",
        value=count,
        threshold=hit[1] if hit is not None else ssd.retired_unknown_spare_suspect_min,
    )


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
        _t(
            "Usure du SSD : {used_pct} % de l'endurance prévue consommée (seuil {limit} %).",
            used_pct=used_pct,
            limit=limit,
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
                    _t(
                        "Avertissement critique NVMe (bit {bit}) : {what}.",
                        bit=rule.bit,
                        what=_t(_NVME_BITS.get(rule.bit, "?")),
                    ),
                    attribute="nvme.critical_warning",
                    value=log.critical_warning,
                    threshold=0,
                )
    if log.media_errors is not None and log.media_errors >= policy.nvme.media_errors_fail_min:
        found.add(
            "nvme.media_errors",
            "FAIL",
            _t(
                "{media_errors} erreurs de support et d'intégrité des données (données "
                "illisibles) : ne pas réutiliser.",
                media_errors=log.media_errors,
            ),
            attribute="nvme.media_errors",
            value=log.media_errors,
            threshold=policy.nvme.media_errors_fail_min,
        )
    if log.percentage_used is not None:
        _wear(log.percentage_used, "nvme.percentage_used", policy, found)
    # NVMe: the drive's own Available Spare Threshold (NVMe spec), no policy floor: a
    # drive that models no spare (threshold 0, like QEMU's) is WORN by the rule below.
    spare, spare_min = log.available_spare, log.available_spare_threshold
    if spare is not None:
        if spare_min and spare <= spare_min:
            found.add(
                "nvme.spare_at_threshold",
                policy.reserve.at_threshold,
                _t(
                    "Réserve NVMe à {spare} %, au seuil {spare_min} % ou en dessous.",
                    spare=spare,
                    spare_min=spare_min,
                ),
                attribute="nvme.available_spare",
                value=spare,
                threshold=spare_min,
            )
        elif spare <= policy.reserve.worn_max_pct:
            found.add(
                "nvme.spare_low",
                "WORN",
                _t("Réserve NVMe à {spare} %.", spare=spare),
                attribute="nvme.available_spare",
                value=spare,
                threshold=policy.reserve.worn_max_pct,
            )
    if log.num_err_log_entries:
        found.add(
            "nvme.error_log_entries",
            "INFO",
            _t(
                "{num_err_log_entries} entrées au journal d'erreurs NVMe (surtout des "
                "commandes refusées par le système, pas des défauts du support).",
                num_err_log_entries=log.num_err_log_entries,
            ),
            attribute="nvme.num_err_log_entries",
            value=log.num_err_log_entries,
        )
    if log.unsafe_shutdowns:
        found.add(
            "nvme.unsafe_shutdowns",
            "INFO",
            _t(
                "{unsafe_shutdowns} arrêts non propres (coupures d'alimentation).",
                unsafe_shutdowns=log.unsafe_shutdowns,
            ),
            attribute="nvme.unsafe_shutdowns",
            value=log.unsafe_shutdowns,
        )


_NVME_BITS = {
    0: N_("réserve sous le seuil"),
    1: N_("température hors limites"),
    2: N_("fiabilité dégradée"),
    3: N_("support passé en lecture seule"),
    4: N_("sauvegarde de la mémoire volatile en panne"),
    5: N_("mémoire persistante en lecture seule"),
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
                _t(
                    "{defects} défauts apparus depuis la fabrication (grown defect list, seuil "
                    "{hit}).",
                    defects=defects,
                    hit=hit[1],
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
            _t("{errors} erreurs non corrigées en lecture/écriture/vérification.", errors=errors),
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
            _t(
                "Autotest SMART en échec ({total} dans le journal, le plus récent : « {status} »).",
                total=total,
                status=status,
            ),
            attribute="self_test_log",
            value=status,
        )
    if data.self_test_running:
        pct = data.self_test_remaining_pct
        found.add(
            "selftest.in_progress",
            "INFO",
            _t(
                "Un autotest est en cours{left} : verdict provisoire, à confirmer à la fin.",
                left=_t(", {pct} % restant", pct=pct) if pct is not None else "",
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
            _t(
                "{hours} heures de fonctionnement (environ {hours_2:.1f} ans allumé ; "
                "seuil {limit} h).",
                hours=hours,
                hours_2=hours / 8766,
                limit=limit,
            ),
            attribute="power_on_hours",
            value=hours,
            threshold=limit,
        )
