"""The rules of a sitting, as pure functions over its record: what each step's state is,
what may be done next, and why not. Tested without Textual; the app only draws them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import msgspec

from bench_agent.i18n import N_, _t, join
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.record import SittingRecord
    from bench_agent.model.grade import Grade
    from bench_agent.model.inventory import Disk
    from bench_agent.model.report import LabelRecord


class StepState(StrEnum):
    TODO = "todo"
    RUNNING = "running"
    DONE = "done"
    PROBLEM = "problem"
    BLOCKED = "blocked"


STATE_WORDS: dict[StepState, str] = {
    StepState.TODO: N_("à faire"),
    StepState.RUNNING: N_("en cours"),
    StepState.DONE: N_("fait"),
    StepState.PROBLEM: N_("PROBLÈME"),
    StepState.BLOCKED: N_("bloqué"),
}
"""The word for each state (msgids: translated where shown)."""


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    key: str
    title_msgid: str

    @property
    def title(self) -> Text:
        return _t(self.title_msgid)


STEPS: tuple[Step, ...] = (
    Step(1, "unit", N_("Identifiant de l'unité")),
    Step(2, "inventory", N_("Inventaire")),
    Step(3, "health", N_("Santé des disques")),
    Step(4, "functional", N_("Tests fonctionnels")),
    Step(5, "cosmetic", N_("Aspect")),
    Step(6, "erase", N_("Effacement")),
    Step(7, "grade", N_("Catégorie et enregistrement")),
    Step(8, "label", N_("Étiquette")),
    Step(9, "sync", N_("Envoi")),
)
STEP_KEYS = tuple(s.key for s in STEPS)


@dataclass(frozen=True, slots=True)
class StepView:
    state: StepState
    detail: Text | None = None
    """One short line beside the step (what is missing, what went wrong)."""


def internal_disks(record: SittingRecord) -> list[Disk]:
    """The unit's own disks: every disk of the inventory but the bench's boot stick."""
    if record.inventory is None:
        return []
    return [d for d in record.inventory.disks if not d.boot_medium and not d.removable]


def erasure_of(record: SittingRecord, disk: Disk) -> str | None:
    """The result of the latest certificate of ``disk`` in this sitting (by serial, else
    by device name), or None."""
    found: str | None = None
    for e in record.erasures:
        if (disk.serial and e.disk_serial == disk.serial) or (
            not (disk.serial and e.disk_serial) and e.device.rsplit("/", 1)[-1] == disk.name
        ):
            found = e.result
    return found


def unerased_disks(record: SittingRecord) -> list[tuple[Disk, str | None]]:
    """Internal disks without an ERASED certificate, with the result they have."""
    return [
        (d, result) for d in internal_disks(record) if (result := erasure_of(record, d)) != "ERASED"
    ]


def missing_tests(record: SittingRecord, required: tuple[str, ...]) -> list[str]:
    return [name for name in required if name not in record.functional]


def failed_tests(record: SittingRecord) -> list[str]:
    return [name for name, t in record.functional.items() if t.result == "fail"]


def test_title(name: str) -> Text:
    """A functional test's title for the technician (its catalogue title)."""
    from bench_agent.functional.catalogue import spec

    try:
        return spec(name).title
    except KeyError:
        return Text(fr=name, en=name)


def content_fingerprint(record: SittingRecord) -> str:
    """What a saved report says about the unit: any change to these makes a new revision."""
    # Hash the record as it reads back from its file: a number held as an int in memory
    # (a SMART value of 2891) reads back as 2891.0, which must not look like a change
    # after a restart.
    record = msgspec.json.decode(msgspec.json.encode(record), type=type(record))
    content = (
        record.unit_id,
        record.serial_entered,
        record.inventory,
        record.health,
        sorted(record.functional.items()),
        record.cosmetic,
        record.erasures,
        record.override,
    )
    return hashlib.sha256(msgspec.json.encode(content)).hexdigest()


def is_dirty(record: SittingRecord) -> bool:
    """Saved, then changed: the next save re-signs a new revision of the same report."""
    return record.saved_revision == 0 or record.saved_fingerprint != content_fingerprint(record)


def certified_revision(record: SittingRecord) -> int:
    """The saved revision a label printed now certifies: the last one whose content
    changed (a revision that only added prints says the same about the unit)."""
    return record.content_revision or record.saved_revision


def printed(record: SittingRecord) -> list[LabelRecord]:
    """The labels printed for the unit (a PDF only written is not a print)."""
    return [p for p in record.prints if p.kind != "file"]


def prints_unsaved(record: SittingRecord) -> bool:
    """A label was printed after the saved revision: the signed report does not list it
    yet (Bench.save adds it in a revision that changes nothing else)."""
    return record.saved_revision > 0 and len(printed(record)) > record.saved_prints


def label_current(record: SittingRecord) -> bool:
    """The latest label certifies what the saved report says, and the unit has not
    changed since."""
    return (
        record.label is not None
        and record.saved_revision > 0
        and record.label_revision == certified_revision(record)
        and not is_dirty(record)
    )


def serial_needed(record: SittingRecord) -> bool:
    """The firmware gives no usable serial and the technician has not typed one."""
    inv = record.inventory
    return inv is not None and not inv.identity.serial and not record.serial_entered


DISTRIBUTABLE = frozenset({"D", "C", "B", "A", "PREMIUM"})


def label_refusals(record: SittingRecord, grade: Grade | None) -> list[Text]:
    """Why the label cannot be printed now ([] when it can). The label says what the
    saved report says, so it needs a saved, current report, and never goes on a unit
    whose disks are not all erased (its category would be a promise we cannot keep)."""
    reasons: list[Text] = []
    if record.inventory is None:
        reasons.append(_t("inventaire pas encore fait"))
        return reasons
    for disk, result in unerased_disks(record):
        state = result or _t("pas effacé").fr
        reasons.append(_t("disque {name} : {result}", name=disk.name, result=_result_words(result)))
        del state
    if record.saved_revision == 0:
        reasons.append(_t("rapport pas encore enregistré (étape 7)"))
    elif is_dirty(record):
        reasons.append(
            _t("des résultats ont changé depuis l'enregistrement : enregistrez (étape 7)")
        )
    return reasons


RESULT_WORDS = {
    None: N_("pas effacé"),
    "FAILED": N_("effacement ÉCHOUÉ"),
    "ABORTED": N_("effacement arrêté"),
    "INTERRUPTED": N_("effacement interrompu"),
    "UNVERIFIED": N_("effacement non vérifié"),
}


def _result_words(result: str | None) -> Text:
    words = RESULT_WORDS.get(result)
    return _t(words) if words else _t("pas effacé ({result})", result=result)


def send_refusals(record: SittingRecord) -> list[Text]:
    if record.saved_revision == 0:
        return [_t("rapport pas encore enregistré (étape 7)")]
    return []


def steps(
    record: SittingRecord,
    *,
    grade: Grade | None,
    required_tests: tuple[str, ...],
    running: frozenset[str] = frozenset(),
) -> dict[str, StepView]:
    """Each step's state and its one-line detail, in the order of :data:`STEPS`."""
    views: dict[str, StepView] = {}
    n_disks = len(internal_disks(record))

    views["unit"] = (
        StepView(StepState.DONE, Text(fr=record.unit_id, en=record.unit_id))
        if record.unit_id
        else StepView(StepState.TODO, _t("scannez ou tapez l'identifiant"))
    )

    if record.inventory is not None:
        inv_detail = None
        if serial_needed(record):
            inv_detail = _t("n° de série à saisir")
        views["inventory"] = StepView(StepState.DONE, inv_detail)
    elif record.inventory_problem is not None:
        views["inventory"] = StepView(StepState.PROBLEM, record.inventory_problem)
    else:
        views["inventory"] = StepView(StepState.TODO)

    if record.health is not None:
        fail = [h.device for h in record.health if h.verdict == "FAIL"]
        doubtful = [h.device for h in record.health if h.verdict in ("SUSPECT", "UNKNOWN")]
        if fail:
            views["health"] = StepView(
                StepState.PROBLEM,
                _t("disque HS : {fail}", fail=", ".join(fail)),
            )
        elif doubtful:
            views["health"] = StepView(
                StepState.PROBLEM,
                _t("à revoir : {doubtful}", doubtful=", ".join(doubtful)),
            )
        else:
            views["health"] = StepView(StepState.DONE)
    elif record.health_problem is not None:
        views["health"] = StepView(StepState.PROBLEM, record.health_problem)
    else:
        views["health"] = StepView(StepState.TODO)

    missing = missing_tests(record, required_tests)
    failed = [test_title(name) for name in failed_tests(record)]
    done = len(required_tests) - len(missing)
    count = _t("{done}/{n_required_tests} faits", done=done, n_required_tests=len(required_tests))
    if failed:
        views["functional"] = StepView(
            StepState.PROBLEM,
            _t("en échec : {failed}", failed=join(", ", failed)),
        )
    elif missing:
        views["functional"] = StepView(StepState.TODO, count)
    else:
        views["functional"] = StepView(StepState.DONE, count)

    views["cosmetic"] = (
        StepView(StepState.DONE, Text(fr=record.cosmetic, en=record.cosmetic))
        if record.cosmetic
        else StepView(StepState.TODO)
    )

    gaps = unerased_disks(record)
    if record.inventory is None:
        views["erase"] = StepView(StepState.TODO)
    elif not gaps:
        views["erase"] = StepView(
            StepState.DONE,
            _t("{n_disks} disque(s) effacé(s)", n_disks=n_disks),
        )
    elif any(result not in (None,) for _d, result in gaps):
        bad = ", ".join(f"{d.name} {r or '-'}" for d, r in gaps)
        views["erase"] = StepView(StepState.PROBLEM, Text(fr=bad, en=bad))
    else:
        views["erase"] = StepView(
            StepState.TODO,
            _t("{n_gaps} disque(s) à effacer", n_gaps=len(gaps)),
        )
    if record.erase_started and "erase" not in running:
        views["erase"] = StepView(
            StepState.PROBLEM,
            _t("effacement interrompu : reprise possible"),
        )

    if record.inventory is None:
        views["grade"] = StepView(StepState.TODO)
    else:
        category = grade.category if grade is not None else None
        name = category_text(category) if category else None
        if record.saved_revision and not is_dirty(record):
            state = StepState.DONE if category in DISTRIBUTABLE else StepState.PROBLEM
            rev = record.saved_revision
            views["grade"] = StepView(
                state,
                # Short enough for the main screen's row at 80 columns, whatever the category.
                _t("{category} — rév. {rev} signée", category=name or "?", rev=rev),
            )
        else:
            words = _t("à enregistrer")
            if record.saved_revision:
                words = _t("à réenregistrer")
            views["grade"] = StepView(
                StepState.TODO,
                join(" — ", [name, words]) if name else words,
            )

    refusals = label_refusals(record, grade)
    if label_current(record) and not refusals:
        views["label"] = StepView(StepState.DONE)
    elif refusals:
        views["label"] = StepView(StepState.BLOCKED, refusals[0])
    else:
        views["label"] = StepView(StepState.TODO)

    if (
        record.sent is not None
        and record.sent.revision == record.saved_revision
        and not is_dirty(record)
        and not prints_unsaved(record)
    ):
        views["sync"] = StepView(StepState.DONE)
    elif record.saved_revision == 0:
        views["sync"] = StepView(StepState.BLOCKED, send_refusals(record)[0])
    else:
        views["sync"] = StepView(StepState.TODO)

    for key in running:
        if key in views:
            views[key] = StepView(StepState.RUNNING, views[key].detail)
    return views


CATEGORY_WORDS = {
    "NOT_DISTRIBUTABLE": N_("NON DISTRIBUABLE"),
    "TO_REPAIR": N_("À RÉPARER"),
    "PREMIUM": N_("Premium"),
}


def category_text(category: str) -> Text:
    return _t(CATEGORY_WORDS.get(category, category))


def leave_warnings(
    record: SittingRecord, grade: Grade | None, required: tuple[str, ...]
) -> list[Text]:
    """What is unfinished when the technician moves to the next unit ([] = complete)."""
    warnings: list[Text] = []
    if unerased_disks(record):
        warnings.append(_t("des disques ne sont pas effacés"))
    if missing_tests(record, required):
        warnings.append(_t("des tests ne sont pas faits"))
    if is_dirty(record) or prints_unsaved(record):
        warnings.append(_t("le rapport n'est pas enregistré"))
    elif record.sent is None or record.sent.revision != record.saved_revision:
        warnings.append(_t("le rapport n'est pas envoyé"))
    if not label_current(record):
        warnings.append(_t("l'étiquette n'est pas imprimée"))
    return warnings
