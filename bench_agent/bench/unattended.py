"""The unattended run: one unit from inventory to sending, with no keyboard.

An erasure station (or the end-to-end test) starts the bench with a site that says
``[unattended] enabled = true``: inventory → disk health → erasure of the unit's disks
by the site's policy (the site's settings are the authorisation: no serial is typed; the
stick, the boot disk and mounted disks stay refused by :mod:`wipe.targets`) → the
automatic functional checks (the others stay *not tested*, which the grading gates
handle) → grade → signed report → label → sending. Every step goes through the same
:class:`~bench_agent.bench.service.Bench` as the app, on the same persistent sitting: a
run killed mid-erasure resumes from the checkpoint when started again, and a unit
already sent is not sent twice. The console skin is ``bench-agent unattended``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench_agent.bench import erasure, flow
from bench_agent.bench import functional as functional_service
from bench_agent.bench.errors import BenchError
from bench_agent.i18n import C_, N_, _t, join
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.service import Bench
    from bench_agent.bench.site import Site
    from bench_agent.model.inventory import Inventory
    from wipe.overwrite import Progress
    from wipe.targets import Target

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3

RETRIED_RESULTS = frozenset({None, "INTERRUPTED", "ABORTED"})
"""A disk is erased (again) when it has no certificate yet or its erasure was cut short;
a FAILED or UNVERIFIED one is a finding, reported, never retried by itself."""

Say = Callable[[Text], None]


@dataclass
class Summary:
    """What the run did, for the skin's last lines and its exit code."""

    code: int = EXIT_OK
    report_id: str | None = None
    category: str | None = None
    erasures: dict[str, str] = field(default_factory=dict)
    """Device → result of this run's erasures."""
    problems: list[Text] = field(default_factory=list)
    label: Text | None = None
    sent: bool = False
    pending: int = 0
    already_done: bool = False

    def problem(self, text: Text, code: int = EXIT_PROBLEM) -> None:
        self.problems.append(text)
        self.code = max(self.code, code)


def same_machine(a: Inventory, b: Inventory) -> bool:
    """The sitting's inventory and this machine's are the same computer (its serial,
    SMBIOS UUID, board serial or first disk serial; with none of them, the same model
    with the same disks)."""
    from bench_agent.unit import unit_identity

    key_a, key_b = unit_identity(a).key, unit_identity(b).key
    if key_a != key_b:
        return False
    if key_a != "none:":
        return True

    def shape(inv: Inventory) -> tuple[object, ...]:
        ident = inv.identity
        return (ident.maker, ident.model, tuple(sorted((d.model or "") for d in inv.disks)))

    return shape(a) == shape(b)


def is_finished(bench: Bench) -> bool:
    r = bench.record
    return (
        r.saved_revision > 0
        and not flow.is_dirty(r)
        and not flow.prints_unsaved(r)
        and r.sent is not None
        and r.sent.revision == r.saved_revision
    )


class _ProgressLines:
    """Progress of parallel erasures as a few lines: a line per device at each phase or
    pass, then every 10 %."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.lock = threading.Lock()
        self.last: dict[str, tuple[str, int, int]] = {}

    def __call__(self, p: Progress) -> None:
        pct = int(100 * p.bytes_done / p.bytes_total) if p.bytes_total else 0
        step = (p.phase, p.pass_index, pct // 10)
        with self.lock:
            if self.last.get(p.device) == step:
                return
            self.last[p.device] = step
        self.say(erasure.progress_text(p))


def choose_disks(
    bench: Bench, site: Site, targets: list[Target], *, live: bool
) -> tuple[list[Target], list[Target], list[Text]]:
    """The drives to erase now, those refused, and a line for each one left out and why.

    With ``erase_only`` exactly those devices; otherwise the internal disks of the
    inventory (never the stick: the inventory marks it, and wipe refuses the boot disk)
    as this machine's block devices show them. Disks already ERASED in this sitting are
    not erased again."""
    lines: list[Text] = []
    wanted: list[Target]
    if site.unattended.erase_only is not None:
        wanted = erasure.select(list(site.unattended.erase_only))
    elif not live:
        raise BenchError(
            _t(
                "Ordinateur enregistré : ses disques ne sont pas ceux de cette machine ; "
                "nommez les disques à effacer (erase_only)."
            ),
            exit_code=EXIT_USAGE,
        )
    else:
        by_name = {t.name: t for t in targets}
        wanted = []
        for disk in flow.internal_disks(bench.record):
            target = by_name.get(disk.name)
            if target is None:
                lines.append(_t("{name} : disque introuvable, non effacé.", name=disk.name))
            else:
                wanted.append(target)
    chosen: list[Target] = []
    refused: list[Target] = []
    for t in wanted:
        if t.refusals:
            lines += erasure.refusal_lines([t])
            refused.append(t)
            continue
        done = _result_of(bench, t)
        if done not in RETRIED_RESULTS:
            lines.append(
                _t(
                    "{device} : déjà traité dans cette séance ({result}).",
                    device=t.device_path,
                    result=done,
                )
            )
            continue
        chosen.append(t)
    return chosen, refused, lines


def _result_of(bench: Bench, target: Target) -> str | None:
    found: str | None = None
    for e in bench.record.erasures:
        if (target.serial and e.disk_serial == target.serial) or e.device == target.device_path:
            found = e.result
    return found


def run(
    bench: Bench,
    site: Site,
    *,
    live: bool,
    lang: str,
    say: Say,
    list_targets: Callable[[], list[Target]] = erasure.list_targets,
    cancel: threading.Event | None = None,
) -> Summary:
    """One unattended pass over the unit on the bench; never raises a BenchError (it
    becomes a line of the summary and its exit code)."""
    summary = Summary()
    try:
        _run(bench, site, live=live, lang=lang, say=say, list_targets=list_targets,
             cancel=cancel, summary=summary)  # fmt: skip
    except BenchError as exc:
        summary.problem(bench.problem(exc, "unattended"), exc.exit_code)
    except Exception as exc:  # the unexpected: a sentence, the detail in the bench log
        summary.problem(bench.problem(exc, "unattended"), EXIT_ENVIRONMENT)
    summary.report_id = bench.record.report_id
    return summary


def _run(
    bench: Bench,
    site: Site,
    *,
    live: bool,
    lang: str,
    say: Say,
    list_targets: Callable[[], list[Target]],
    cancel: threading.Event | None,
    summary: Summary,
) -> None:
    from bench_agent.inventory import collect_inventory

    # 1. Which unit: the sitting left by a previous run on this computer, or a new one.
    say(_t("Inventaire…"))
    try:
        here = collect_inventory(bench.host)
    except Exception as exc:  # any probe failure: the bench cannot say which unit it is
        raise BenchError(bench.problem(exc, "inventory"), exit_code=EXIT_ENVIRONMENT) from exc
    previous = bench.record.inventory
    if previous is not None and not same_machine(previous, here):
        if not is_finished(bench):
            say(_t("La séance précédente (un autre ordinateur) n'était pas finie : archivée."))
        bench.next_unit()
        previous = None
    if previous is None:
        bench.update(inventory=here, inventory_problem=None)
    elif is_finished(bench):
        summary.already_done = True
        say(_t("Cette unité est déjà traitée et envoyée : rien à refaire."))
    else:
        say(_t("Reprise de la séance en cours sur cet ordinateur."))
    ident = bench.record.inventory.identity if bench.record.inventory else None
    if ident is not None:
        say(
            _t(
                "Ordinateur : {maker} {model}, n° de série {serial}",
                maker=ident.maker or "?",
                model=ident.model or ident.product_name or "?",
                serial=ident.serial or "?",
            )
        )

    # 2. Disk health (a bench without smartctl still erases: the problem is recorded).
    if bench.record.health is None and not summary.already_done:
        say(_t("Santé des disques…"))
        try:
            bench.check_health()
        except BenchError as exc:
            say(_t("Santé des disques : {problem}", problem=exc.text))
    for h in bench.record.health or []:
        say(_t("{device} : {verdict}", device=h.device, verdict=h.verdict))

    # 3. Erasure by the site's policy.
    if not summary.already_done:
        _erase(bench, site, live=live, say=say, list_targets=list_targets, cancel=cancel,
               summary=summary)  # fmt: skip

    # 4. The automatic functional checks; the others stay not tested.
    if not summary.already_done:
        _checks(bench, say)

    # 5. Grade and signed report.
    saved = bench.save()
    grade = bench.current_grade()
    summary.category = grade.category if grade is not None else None
    say(
        _t(
            "Catégorie : {category} — rapport signé, révision {revision}.",
            category=flow.category_text(summary.category or "?"),
            revision=saved.revision,
        )
    )
    if saved.outbox_problem is not None:
        summary.problem(saved.outbox_problem)
    for disk, result in flow.unerased_disks(bench.record):
        summary.problem(
            _t(
                "disque {name} : {result}",
                name=disk.name,
                result=_t(flow.RESULT_WORDS.get(result) or flow.RESULT_WORDS[None]),
            )
        )

    # 6. Label.
    _label(bench, site, lang=lang, say=say, summary=summary)

    # 7. Sending (offline keeps everything in the outbox for the next run).
    send(bench, say, summary)


def _erase(
    bench: Bench,
    site: Site,
    *,
    live: bool,
    say: Say,
    list_targets: Callable[[], list[Target]],
    cancel: threading.Event | None,
    summary: Summary,
) -> None:
    from bench_agent.bench.erasure import operator

    chosen, refused, lines = choose_disks(bench, site, list_targets(), live=live)
    for line in lines:
        say(line)
    for target in refused:
        summary.problem(_t("{device} : non effacé (refusé).", device=target.device_path))
    if not chosen:
        if not lines:
            say(_t("Aucun disque à effacer."))
        return
    plans = bench.erase_plans([t.device_path for t in chosen])
    for p in plans:
        say(
            _t(
                "Effacement de {device} ({model}, {size}) : {plan}",
                device=p.target.device_path,
                model=p.target.model or "?",
                size=erasure.human_size(p.target.size_bytes),
                plan=p.text(),
            )
        )
    if site.unattended.unfreeze:
        frozen = bench.frozen(plans)
        if frozen:
            for line in bench.unfreeze(plans, frozen):
                say(line)
    outcomes, notes = bench.erase(
        plans,
        dry_run=False,
        progress=_ProgressLines(say),
        cancel=cancel,
        operator=operator(site.unattended.operator, location=site.name),
    )
    for note in notes:
        say(note)
    for o in outcomes:
        summary.erasures[o.device_path] = o.result
        text = _t("{device} : {result}", device=o.device_path, result=o.result)
        if o.result == "ERASED":
            say(text)
        else:
            summary.problem(join(" — ", [text, erasure.outcome_reasons(o)]))
            say(join(" — ", [text, erasure.outcome_reasons(o)]))


def _checks(bench: Bench, say: Say) -> None:
    from bench_agent.bench.log import log_problem

    say(_t("Tests automatiques…"))

    def logged(name: str, exc: Exception) -> None:
        log_problem(bench.paths.log, f"functional {name}", exc)

    outcomes = [
        o
        for o in functional_service.automatic_checks(bench.host, on_error=logged)
        if o.name not in bench.record.functional
    ]
    bench.record_outcomes(outcomes)
    for name, test in bench.record.functional.items():
        say(
            _t(
                "{test} : {result}",
                test=flow.test_title(name),
                result=_t(RESULT_WORDS.get(test.result, test.result)),
            )
        )
    missing = flow.missing_tests(bench.record, bench.grading.required_tests)
    if missing:
        names = join(", ", [flow.test_title(n) for n in missing])
        say(_t("Non testés (à faire par un technicien) : {names}", names=names))


RESULT_WORDS = {"pass": N_("réussi"), "fail": C_("test", "ÉCHEC"), "n/a": N_("sans objet")}


def _label(bench: Bench, site: Site, *, lang: str, say: Say, summary: Summary) -> None:
    where = site.unattended.label
    r = bench.record
    if where == "none":
        return
    if flow.label_current(r):
        say(_t("Étiquette déjà faite pour cette révision."))
        return
    try:
        if where == "file":
            summary.label = bench.make_label(lang=lang, site_printer=False)
        elif where == "printer":  # site.toml [printer]
            summary.label = bench.make_label(lang=lang)
        else:
            summary.label = bench.make_label(lang=lang, printer=where)
    except BenchError as exc:
        summary.problem(exc.text)
        say(exc.text)
        return
    say(summary.label)


def send(bench: Bench, say: Say, summary: Summary) -> None:
    """Send the outbox; a unit already on the central service is not sent again (its
    evidence still waiting from an earlier run is)."""
    r = bench.record
    unit_sent = r.sent is not None and r.sent.revision == r.saved_revision
    try:
        if unit_sent and bench.outbox_state().counts.get("pending", 0) == 0:
            summary.sent = True
            say(_t("Déjà envoyé au service central."))
            return
        result = bench.send()
    except BenchError as exc:
        summary.pending = bench.outbox_state().counts.get("pending", 0)
        kept = _t("Tout reste dans la boîte d'envoi ({n} en attente).", n=summary.pending)
        say(join(" ", [exc.text, kept]))
        return
    for line in result.lines():
        say(line)
    summary.pending = result.counts.get("pending", 0)
    summary.sent = result.ok
    if result.counts.get("rejected", 0):
        summary.problem(_t("Des documents ont été refusés par le service central."))
