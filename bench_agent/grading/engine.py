"""The grading engine: UnitReport + profile (+ technician notes) → Grade. Pure.

Order, as the network's table does it: per-criterion notes are added; the
technician's technical and aesthetic notes are added; modifiers (NVMe +1) are
added; caps lower the note to their limit; the note maps to a category through
the bands. A failed or missing disk makes the unit NOT_DISTRIBUTABLE whatever the
note. Every step is a RuleHit whose contribution is what it changed, so the
contributions always add up to the note.

Gates, when the profile has them: every internal disk needs an ERASED certificate
(``[erasure]``), every required functional test a result (``[functional]``); what a
failed test does is the profile's ``[functional.on_fail]``: TO_REPAIR,
NOT_DISTRIBUTABLE or a category cap. NOT_DISTRIBUTABLE wins over TO_REPAIR, which
wins over the note's category (a cap lowers the note, like the profile's caps).

The *system disk* is the internal disk that gives the unit its best note: the
technician installs the system on the best disk, and so adding a disk never
lowers a grade. Boot media (the live USB), removable and USB disks are not part
of the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading.categories import CATEGORY_RANK, is_distributable
from bench_agent.grading.cpu_table import CpuMatch, CpuTable
from bench_agent.grading.profile import Profile
from bench_agent.grading.spec import ConditionSpec, CriterionSpec, NeedSpec
from bench_agent.i18n import N_, _t, join
from bench_agent.model.common import Text
from bench_agent.model.grade import CpuAssessment, Grade, NeedMatch, Override, RuleHit
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Disk
from bench_agent.model.report import ErasureSummary, FunctionalTest, UnitReport

GIB = 1024**3
GB = 1000**3

ERASURE_GATE_RULES = ("erasure.missing", "erasure.not_erased")
"""Rules of the erasure gate: no override lifts them (data protection)."""

_EFFECT_TEXT = {
    "NOT_DISTRIBUTABLE": N_("non distribuable"),
    "TO_REPAIR": N_("à réparer"),
}
_ERASURE_RESULT_TEXT = {
    "UNVERIFIED": N_("écrit sans relecture"),
    "FAILED": N_("échec"),
    "ABORTED": N_("abandonné"),
    "INTERRUPTED": N_("interrompu en cours"),
    "DRY_RUN": N_("simulation, rien n'a été effacé"),
}
_TEST_TITLES = {test.name: test.title_msgid for test in CATALOGUE}
_TEST_ORDER = {test.name: index for index, test in enumerate(CATALOGUE)}

_CRITERION_TEXT = {
    "ram": (N_("Mémoire vive"), N_("Gio")),
    "ssd": (N_("SSD"), N_("Go")),
    "hdd": (N_("Disque dur"), N_("Go")),
    "cpu": (N_("Score CPU"), N_("points")),
    "screen": (N_("Écran"), N_("pouces")),
    "battery": (N_("Santé batterie"), N_("%")),
}
NOTHING = Text(fr="", en="")


class GradingInputError(ValueError):
    """The technician's input does not fit the profile (note out of range, unknown grade)."""

    def __init__(self, message: Text) -> None:
        self.message = message
        super().__init__(message.en)


@dataclass(frozen=True)
class TechnicianInput:
    technical_note: int = 0
    aesthetic_note: int = 0
    cosmetic: str | None = None


@dataclass(frozen=True)
class _Facts:
    """What the rules look at, read once from the report."""

    ram_gib: float | None
    cpu: CpuMatch
    win11_ready: bool | None
    screen_in: float | None
    screen_height_px: int | None
    battery_pct: float | None
    webcam: bool


@dataclass(frozen=True)
class _Candidate:
    disk: Disk | None
    kind: str | None
    """``hdd``, ``ssd``, ``nvme`` or None without a disk."""
    hits: list[RuleHit]
    note: int


def _fmt(value: float) -> str:
    """At most two decimals, no trailing zeros: 16, 15.04, 500.11."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _fmt_fr(value: float) -> str:
    """French decimal comma: 15,04."""
    return _fmt(value).replace(".", ",")


def _number(value: float) -> Text:
    """A figure as each language writes it (15,04 / 15.04)."""
    return Text(fr=_fmt_fr(value), en=_fmt(value))


def criterion_note(crit: CriterionSpec, value: float) -> tuple[int, float | None]:
    """Note of ``value`` and the (tolerance-adjusted) limit it fell below, None above all."""
    factor = 1 - crit.tolerance_pct / 100
    for limit, note in zip(crit.thresholds, crit.notes, strict=False):
        effective = limit * factor
        if value < effective:
            return note, effective
    return crit.notes[-1], None


def _criterion_hit(
    key: str, crit: CriterionSpec, value: float | None, unknown: Text | None = None
) -> RuleHit:
    label_id, unit_id = _CRITERION_TEXT[key]
    label = _t(label_id)
    rule = f"criteria.{key}"
    if value is None:
        reason = unknown or _t("valeur inconnue")
        return RuleHit(
            rule=rule,
            contribution=crit.unknown_note,
            message=_t(
                "{label} : {reason} → note {note}",
                label=label,
                reason=reason,
                note=crit.unknown_note,
            ),
        )
    note, limit = criterion_note(crit, value)
    tol = (
        _t(" (tolérance {pct} %)", pct=_number(crit.tolerance_pct))
        if crit.tolerance_pct
        else NOTHING
    )
    sign, bound = (
        ("≥", crit.thresholds[-1] * (1 - crit.tolerance_pct / 100))
        if limit is None
        else ("<", limit)
    )
    message = _t(
        "{label} {value} {unit} {sign} {bound}{tolerance} → note {note}",
        label=label,
        value=_number(value),
        unit=_t(unit_id),
        sign=sign,
        bound=_number(bound),
        tolerance=tol,
        note=note,
    )
    return RuleHit(rule=rule, contribution=note, value=round(value, 2), message=message)


def disk_kind(disk: Disk) -> str:
    if disk.transport == "nvme":
        return "nvme"
    if disk.media == "ssd":
        return "ssd"
    return "hdd"  # rotational or unknown media: the cautious reading (HDD caps apply)


def internal_disks(report: UnitReport) -> list[Disk]:
    return [
        d
        for d in report.inventory.disks
        if not d.boot_medium and not d.removable and d.transport != "usb"
    ]


def health_for(disk: Disk, health: Sequence[DiskHealth]) -> DiskHealth | None:
    if disk.serial:
        for record in health:
            if record.serial and record.serial.strip() == disk.serial.strip():
                return record
    for record in health:
        if record.device in (disk.path, disk.name, f"/dev/{disk.name}"):
            return record
    return None


def erasures_for(disk: Disk, erasures: Sequence[ErasureSummary]) -> list[ErasureSummary]:
    """The certificates of ``disk``: by serial when both sides know it, else by device.

    Two different serials are two drives even at one path: an erasure station's dock
    gives ``sdb`` to every drive it takes, so a path alone must not cover a new drive
    when the serials say otherwise.
    """
    own = (disk.serial or "").strip()
    found = []
    for record in erasures:
        theirs = (record.disk_serial or "").strip()
        if own and theirs:
            if own == theirs:
                found.append(record)
        elif record.device in (disk.path, disk.name, f"/dev/{disk.name}"):
            found.append(record)
    return found


def functional_title(name: str) -> Text:
    """The catalogue's title of a functional test (its raw name when not in the catalogue)."""
    title = _TEST_TITLES.get(name)
    return _t(title) if title else Text(fr=name, en=name)


def _effect_text(effect: str) -> Text:
    if effect in _EFFECT_TEXT:
        return _t(_EFFECT_TEXT[effect])
    return _t("catégorie {effect} au plus", effect=effect)


def _condition_met(when: ConditionSpec, kind: str | None, facts: _Facts) -> tuple[bool, list[str]]:
    """Whether the condition holds, and notes on cautious readings of unknown values."""
    cautious: list[str] = []
    if when.storage is not None:
        if kind is None:
            return False, cautious
        if when.storage == "ssd" and kind not in ("ssd", "nvme"):
            return False, cautious
        if when.storage in ("hdd", "nvme") and kind != when.storage:
            return False, cautious
    if when.cpu_below is not None:
        if facts.cpu.score is None:
            cautious.append("cpu")
        elif facts.cpu.score >= when.cpu_below:
            return False, cautious
    if when.win11_ready is not None:
        ready = bool(facts.win11_ready)
        if facts.win11_ready is None:
            cautious.append("win11")
        if ready != when.win11_ready:
            return False, cautious
    return True, cautious


_CAUTIOUS_TEXT = {
    "cpu": N_("CPU non noté, compté sous le seuil par prudence"),
    "win11": N_("compatibilité Windows 11 inconnue"),
}


def _cautious_text(cautious: list[str]) -> Text:
    if not cautious:
        return NOTHING
    # Babel does not see a call nested in another's arguments: the separator on its own.
    separator = _t(" ; ")
    return _t(" ({reasons})", reasons=join(separator, [_t(_CAUTIOUS_TEXT[c]) for c in cautious]))


def _evaluate(
    profile: Profile,
    facts: _Facts,
    disk: Disk | None,
    others: list[Disk],
    technician: TechnicianInput,
) -> _Candidate:
    hits: list[RuleHit] = []
    kind = disk_kind(disk) if disk is not None else None
    ram = profile.criterion("ram")
    if ram is not None:
        hits.append(_criterion_hit("ram", ram, facts.ram_gib))
    if disk is not None and kind is not None:
        key = "hdd" if kind == "hdd" else "ssd"
        crit = profile.criterion(key)
        if crit is not None:
            capacity = disk.capacity_bytes / GB if disk.capacity_bytes else None
            hit = _criterion_hit(key, crit, capacity, _t("capacité inconnue"))
            media = (
                _t(" ; type de disque inconnu, compté comme disque dur")
                if disk.media == "unknown"
                else NOTHING
            )
            hit.message = _t(
                "{message} (disque système {name}{media})",
                message=hit.message,
                name=disk.name,
                media=media,
            )
            hits.append(hit)
    for other in others:
        hits.append(
            RuleHit(
                rule="storage.secondary",
                contribution=0,
                message=_t("Disque {name} : disque secondaire, non compté", name=other.name),
            )
        )
    cpu = profile.criterion("cpu")
    if cpu is not None:
        hits.append(
            _criterion_hit(
                "cpu",
                cpu,
                float(facts.cpu.score) if facts.cpu.score is not None else None,
                facts.cpu.reason,
            )
        )
    screen = profile.criterion("screen")
    if screen is not None:
        hits.append(_criterion_hit("screen", screen, facts.screen_in))
    battery = profile.criterion("battery")
    if battery is not None:
        hits.append(_criterion_hit("battery", battery, facts.battery_pct))
    for kind_name, value in (
        ("technical", technician.technical_note),
        ("aesthetic", technician.aesthetic_note),
    ):
        if value:
            message = (
                _t("Note technique du technicien : {value:+d}", value=value)
                if kind_name == "technical"
                else _t("Note esthétique du technicien : {value:+d}", value=value)
            )
            hits.append(
                RuleHit(
                    rule=f"technician.{kind_name}",
                    contribution=value,
                    value=value,
                    message=message,
                )
            )
    for name, mod in profile.spec.modifiers.items():
        if not mod.enabled:
            continue
        met, cautious = _condition_met(mod.when, kind, facts)
        if met:
            label = Text(fr=mod.label_fr, en=mod.label_en)
            hits.append(
                RuleHit(
                    rule=f"modifiers.{name}",
                    contribution=mod.delta,
                    message=join("", [label, _cautious_text(cautious)]),
                )
            )
    note = sum(h.contribution for h in hits)
    for name, cap in profile.spec.caps.items():
        if not cap.enabled:
            continue
        met, cautious = _condition_met(cap.when, kind, facts)
        if not met:
            continue
        limit = (
            cap.max_note if cap.max_note is not None else profile.band_max(cap.max_category or "")
        )
        if limit is None:
            continue
        lowered = min(note, limit) - note
        note += lowered
        after = (
            _t(" → note ramenée à {note}", note=note)
            if lowered
            else _t(" (note déjà sous la limite)")
        )
        label = Text(fr=cap.label_fr, en=cap.label_en)
        hits.append(
            RuleHit(
                rule=f"caps.{name}",
                contribution=lowered,
                cap=limit,
                message=join("", [label, _cautious_text(cautious), after]),
            )
        )
    return _Candidate(disk=disk, kind=kind, hits=hits, note=note)


def _facts(report: UnitReport, cpu_table: CpuTable) -> _Facts:
    inv = report.inventory
    mem_bytes = inv.memory.installed_bytes or inv.memory.total_bytes
    internal = [d for d in inv.displays if d.internal]
    screen = internal[0] if internal else None
    healths = [b.health_pct for b in inv.batteries if b.health_pct is not None]
    return _Facts(
        ram_gib=mem_bytes / GIB if mem_bytes else None,
        cpu=cpu_table.lookup(inv.cpu.model_name),
        win11_ready=inv.win11.ready,
        screen_in=screen.diagonal_in if screen else None,
        screen_height_px=screen.height_px if screen else None,
        battery_pct=min(healths) if healths else None,
        webcam=any(d.kind == "webcam" for d in inv.devices),
    )


@dataclass
class _Gates:
    """What the gates found: explanation lines, actions and the blocking verdicts."""

    hits: list[RuleHit]
    actions: list[Text]
    blocking: set[str]
    """NOT_DISTRIBUTABLE and/or TO_REPAIR."""


def _erasure_gate(profile: Profile, disks: list[Disk], report: UnitReport, gates: _Gates) -> None:
    gate = profile.spec.erasure
    if gate is None or not gate.required:
        return
    effect = _effect_text(gate.missing)
    for disk in disks:
        records = erasures_for(disk, report.erasures)
        # The latest certificate decides, whatever an earlier one says: the bench keeps
        # the last erasure of each drive, and the label shows it.
        if records and records[-1].result == "ERASED":
            continue
        if records:
            result = records[-1].result
            hit = RuleHit(
                rule="erasure.not_erased",
                contribution=0,
                value=result,
                message=_t(
                    "Disque {name} : effacement {result} ({why}), pas ERASED → {effect}",
                    name=disk.name,
                    result=result,
                    why=_t(_ERASURE_RESULT_TEXT.get(result, result)),
                    effect=effect,
                ),
            )
        else:
            hit = RuleHit(
                rule="erasure.missing",
                contribution=0,
                message=_t(
                    "Disque {name} : aucun certificat d'effacement → {effect}",
                    name=disk.name,
                    effect=effect,
                ),
            )
        gates.hits.append(hit)
        gates.actions.append(_t("Effacer le disque {name}", name=disk.name))
        gates.blocking.add(gate.missing)


def latest_results(tests: Sequence[FunctionalTest]) -> dict[str, FunctionalTest]:
    """Each test's last recorded result: a re-test replaces the earlier one."""
    latest: dict[str, FunctionalTest] = {}
    for test in tests:
        latest[test.name] = test
    return latest


def _functional_gate(profile: Profile, report: UnitReport, note: int, gates: _Gates) -> None:
    """Apply the functional gate to a unit whose note so far is ``note``."""
    gate = profile.spec.functional
    if gate is None or not gate.enabled:
        return
    latest = latest_results(report.functional_tests)
    failed = sorted(
        (name for name, test in latest.items() if test.result == "fail"),
        key=lambda name: (_TEST_ORDER.get(name, len(_TEST_ORDER)), name),
    )
    for name in failed:
        title = functional_title(name)
        effect = profile.fail_effect(name)
        contribution, cap = 0, None
        after = NOTHING
        if effect in _EFFECT_TEXT:
            gates.blocking.add(effect)
        else:
            # A cap lowers the note like the profile's caps do (the open-ended top band
            # has no limit), so the contributions still add up to the note.
            cap = profile.band_max(effect)
            contribution = min(note, cap) - note if cap is not None else 0
            note += contribution
            if contribution:
                after = _t(" → note ramenée à {note}", note=note)
            else:
                after = _t(" (note déjà sous la limite)")
        gates.hits.append(
            RuleHit(
                rule="functional.fail",
                contribution=contribution,
                cap=cap,
                value=name,
                message=_t(
                    "Test échoué : {title} → {effect}{after}",
                    title=title,
                    effect=_effect_text(effect),
                    after=after,
                ),
            )
        )
        gates.actions.append(_t("Réparer : {title}", title=title))
    missing_effect = _effect_text(gate.missing)
    for name in gate.required:
        if name in latest:
            continue
        title = functional_title(name)
        gates.hits.append(
            RuleHit(
                rule="functional.missing",
                contribution=0,
                value=name,
                message=_t(
                    "Test non fait : {title} → {effect}", title=title, effect=missing_effect
                ),
            )
        )
        gates.actions.append(_t("Faire le test : {title}", title=title))
        gates.blocking.add(gate.missing)


def grade_unit(
    report: UnitReport,
    profile: Profile,
    cpu_table: CpuTable,
    *,
    needs: Sequence[NeedSpec] = (),
    technician: TechnicianInput | None = None,
    cosmetic_codes: Sequence[str] | None = None,
) -> Grade:
    """Grade one unit.

    Raises :class:`GradingInputError` for technician input the profile refuses.
    """
    tech = technician or TechnicianInput()
    limits = profile.spec.technician
    for message, value, low, high in (
        (
            N_("note technique {value} hors de la plage du profil {profile} ({low} à {high})"),
            tech.technical_note,
            limits.technical_min,
            limits.technical_max,
        ),
        (
            N_("note esthétique {value} hors de la plage du profil {profile} ({low} à {high})"),
            tech.aesthetic_note,
            limits.aesthetic_min,
            limits.aesthetic_max,
        ),
    ):
        if not low <= value <= high:
            raise GradingInputError(
                _t(message, value=value, profile=profile.name, low=low, high=high)
            )
    if (
        tech.cosmetic is not None
        and cosmetic_codes is not None
        and tech.cosmetic not in cosmetic_codes
    ):
        listed = ", ".join(cosmetic_codes)
        raise GradingInputError(
            _t(
                "grade esthétique « {cosmetic} » inconnu (attendu : {listed})",
                cosmetic=tech.cosmetic,
                listed=listed,
            )
        )
    facts = _facts(report, cpu_table)
    disks = internal_disks(report)
    if disks:
        candidates = [
            _evaluate(profile, facts, disk, [d for d in disks if d is not disk], tech)
            for disk in disks
        ]
        best = max(
            candidates,
            # Best note first; on a tie an SSD before an HDD, then the larger disk.
            key=lambda c: (c.note, c.kind != "hdd", (c.disk.capacity_bytes or 0) if c.disk else 0),
        )
    else:
        best = _evaluate(profile, facts, None, [], tech)
    hits = list(best.hits)
    actions: list[Text] = []
    not_distributable = False

    if not disks:
        hits.append(
            RuleHit(
                rule="disk.missing",
                contribution=0,
                message=_t("Aucun disque interne"),
            )
        )
        actions.append(_t("Installer un disque"))
        not_distributable = profile.spec.disk.missing_not_distributable
    for disk in disks:
        record = health_for(disk, report.health)
        verdict = record.verdict if record else "UNKNOWN"
        if verdict == "FAIL":
            hits.append(
                RuleHit(
                    rule="disk.health",
                    contribution=0,
                    value=verdict,
                    message=_t("Disque {name} : santé FAIL", name=disk.name),
                )
            )
            actions.append(_t("Remplacer le disque {name}", name=disk.name))
            not_distributable = not_distributable or profile.spec.disk.fail_not_distributable
        elif verdict in ("SUSPECT", "UNKNOWN", "WORN"):
            why = {
                "SUSPECT": _t("santé suspecte"),
                "UNKNOWN": _t("santé inconnue") if record else _t("pas de verdict de santé"),
                "WORN": _t("disque usé, utilisable"),
            }[verdict]
            hits.append(
                RuleHit(
                    rule="disk.health",
                    contribution=0,
                    value=verdict,
                    message=_t("Disque {name} : {why}", name=disk.name, why=why),
                )
            )
            if verdict != "WORN":
                actions.append(_t("Tester à nouveau le disque {name}", name=disk.name))
    gates = _Gates(hits=[], actions=[], blocking=set())
    _erasure_gate(profile, disks, report, gates)
    _functional_gate(profile, report, sum(h.contribution for h in hits), gates)
    hits.extend(gates.hits)
    actions.extend(gates.actions)
    if not_distributable:
        gates.blocking.add("NOT_DISTRIBUTABLE")

    threshold = profile.spec.battery.replace_below_pct
    for battery in report.inventory.batteries:
        if (
            threshold is not None
            and battery.health_pct is not None
            and battery.health_pct < threshold
        ):
            hits.append(
                RuleHit(
                    rule="battery.replace",
                    contribution=0,
                    value=round(battery.health_pct, 1),
                    message=_t(
                        "Batterie {name} : santé {health_pct} % < {threshold} %",
                        name=battery.name,
                        health_pct=_number(battery.health_pct),
                        threshold=_number(threshold),
                    ),
                )
            )
            actions.append(_t("Remplacer la batterie {name}", name=battery.name))

    note = sum(h.contribution for h in hits)
    if "NOT_DISTRIBUTABLE" in gates.blocking:
        category = "NOT_DISTRIBUTABLE"
    elif "TO_REPAIR" in gates.blocking:
        category = "TO_REPAIR"
    else:
        category = profile.category_for(note)
    matches = [match_need(need, facts, best, category) for need in needs]
    cpu = facts.cpu
    return Grade(
        profile=profile.name,
        profile_version=profile.version,
        category=category,  # type: ignore[arg-type]
        computed_category=category,  # type: ignore[arg-type]
        note=note,
        rules=hits,
        actions=actions,
        suitable_needs=[m.need for m in matches if m.suitable],
        needs=matches,
        cosmetic=tech.cosmetic,
        technical_note=tech.technical_note,
        aesthetic_note=tech.aesthetic_note,
        cpu=CpuAssessment(
            name=cpu.query,
            status=cpu.status,
            score=cpu.score,
            matched=cpu.entry.name if cpu.entry else None,
            table=cpu_table.origin,
            table_version=cpu_table.version,
            reason=cpu.reason,
        ),
        system_disk=best.disk.name if best.disk else None,
    )


def match_need(need: NeedSpec, facts: _Facts, best: _Candidate, category: str) -> NeedMatch:
    """Whether the unit suits a beneficiary need, and what it lacks.

    A unit that cannot leave (NOT_DISTRIBUTABLE, TO_REPAIR) suits no need."""
    missing: list[Text] = []
    req = need.requires
    if category == "NOT_DISTRIBUTABLE":
        missing.append(_t("unité non distribuable"))
    elif category == "TO_REPAIR":
        missing.append(_t("unité à réparer"))
    if req.ram and (facts.ram_gib is None or facts.ram_gib < req.ram.min_gib):
        missing.append(
            _t(
                "RAM ≥ {min_gib} Gio : {why}",
                min_gib=_number(req.ram.min_gib),
                why=Text(fr=req.ram.why_fr, en=req.ram.why_en),
            )
        )
    if req.storage:
        disk = best.disk
        capacity = disk.capacity_bytes / GB if disk and disk.capacity_bytes else None
        wrong_kind = req.storage.ssd and best.kind not in ("ssd", "nvme")
        if capacity is None or capacity < req.storage.min_gb or wrong_kind:
            missing.append(
                _t(
                    "{what} ≥ {min_gb} Go : {why}",
                    what=_t("SSD") if req.storage.ssd else _t("disque"),
                    min_gb=_number(req.storage.min_gb),
                    why=Text(fr=req.storage.why_fr, en=req.storage.why_en),
                )
            )
    if req.cpu and (facts.cpu.score is None or facts.cpu.score < req.cpu.min_score):
        missing.append(
            _t(
                "CPU ≥ {min_score} points : {why}",
                min_score=_number(req.cpu.min_score),
                why=Text(fr=req.cpu.why_fr, en=req.cpu.why_en),
            )
        )
    if req.screen:
        low_size = req.screen.min_diagonal_in is not None and (
            facts.screen_in is None or facts.screen_in < req.screen.min_diagonal_in
        )
        low_res = req.screen.min_height_px is not None and (
            facts.screen_height_px is None or facts.screen_height_px < req.screen.min_height_px
        )
        if low_size or low_res:
            why = Text(fr=req.screen.why_fr, en=req.screen.why_en)
            missing.append(_t("écran : {why}", why=why))
    if req.battery and (
        facts.battery_pct is None or facts.battery_pct < req.battery.min_health_pct
    ):
        missing.append(
            _t(
                "batterie ≥ {min_health_pct} % : {why}",
                min_health_pct=_number(req.battery.min_health_pct),
                why=Text(fr=req.battery.why_fr, en=req.battery.why_en),
            )
        )
    if req.webcam and req.webcam.present and not facts.webcam:
        why = Text(fr=req.webcam.why_fr, en=req.webcam.why_en)
        missing.append(_t("webcam : {why}", why=why))
    return NeedMatch(
        need=need.id,
        name=Text(fr=need.name_fr, en=need.name_en),
        suitable=not missing,
        missing=missing,
    )


def apply_override(grade: Grade, category: str, reason: str, by: str, at: str) -> Grade:
    """The grade with the technician's category; the reason and the name are mandatory.

    A unit stopped by the erasure gate cannot be overridden to a distributable
    category: its disks hold the donor's data until they are erased.
    """
    if category not in CATEGORY_RANK:
        listed = ", ".join(CATEGORY_RANK)
        raise GradingInputError(
            _t(
                "catégorie « {category} » inconnue (attendu : {listed})",
                category=category,
                listed=listed,
            )
        )
    if not reason.strip():
        raise GradingInputError(_t("une dérogation doit donner sa raison"))
    if not by.strip():
        raise GradingInputError(_t("une dérogation doit dire qui la décide"))
    if is_distributable(category) and any(h.rule in ERASURE_GATE_RULES for h in grade.rules):
        raise GradingInputError(
            _t(
                "la barrière d'effacement ne peut pas être levée par une dérogation "
                "(protection des données) : effacez d'abord chaque disque interne"
            )
        )
    override: dict[str, Any] = {
        "category": category,
        "reason": reason.strip(),
        "by": by.strip(),
        "at": at,
    }
    return msgspec.structs.replace(
        grade,
        category=category,
        override=msgspec.convert(override, Override),
    )
