"""The erasure flow of a bench: targets and their refusals, the plan per drive, frozen
drives, resume of an interrupted run, the run itself and its evidence in the outbox.

Both ``bench-agent erase`` and the app's erasure step call these; the engine is
:mod:`wipe` (which imports nothing of ours)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.i18n import N_, _t, join
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.host.base import Host
    from bench_agent.model.inventory import Inventory
    from bench_agent.model.report import ErasureSummary
    from wipe.engine import EraseContext, EraseOutcome, EraseRequest, Operator, ResumePoint
    from wipe.methods import Method, Verification
    from wipe.overwrite import Progress
    from wipe.policy import Policy
    from wipe.runner_protocol import Runner
    from wipe.signing import BenchKey
    from wipe.targets import Target

ASSUMED_RATE_BYTES_PER_S = {"hdd": 100e6, "ssd": 350e6, "nvme": 1200e6}
"""Typical sustained write speed per media, for the duration shown before confirming
(the real rate is shown during the run)."""
DEFAULT_RATE_BYTES_PER_S = 150e6
FIRMWARE_ESTIMATE_S = 120.0
"""A firmware sanitize of a flash drive usually takes seconds to two minutes."""


# -- targets ------------------------------------------------------------------------


def list_targets(*, with_empty: bool = False) -> list[Target]:
    """Every block device, with its refusals (boot disk, mounted, swap, LVM/RAID...);
    devices with no medium only when asked."""
    from wipe.targets import list_targets as wipe_list_targets

    return [t for t in wipe_list_targets() if with_empty or t.size_bytes]


def select(device_paths: list[str]) -> list[Target]:
    """The named devices, checked again now (a disk mounted since the list was shown is
    refused)."""
    from wipe.targets import select_targets

    return select_targets(device_paths)


def refusal_lines(targets: list[Target]) -> list[Text]:
    return [
        _t(
            "REFUSÉ {device_path} : {reason}",
            device_path=t.device_path,
            reason=Text(fr=r.fr, en=r.en),
        )
        for t in targets
        for r in t.refusals
    ]


def confirmation_ok(target: Target, answer: str) -> bool:
    """The whole serial, or its last 4 characters (an accidental Enter never erases)."""
    token = target.confirmation_token
    answer = answer.strip()
    return bool(answer) and (answer == token or (len(answer) >= 4 and answer == token[-4:]))


# -- policy and plan ----------------------------------------------------------------


def load_policy(path: str | None = None) -> Policy:
    from wipe.methods import MethodFileError
    from wipe.policy import load_policy as wipe_load_policy

    try:
        return wipe_load_policy(path)
    except (MethodFileError, ValueError, OSError) as exc:
        raise BenchError(
            _t("Politique d'effacement invalide."),
            exit_code=2,
            detail=exc,
        ) from exc


def auto_choice(policy: Policy, media: str) -> tuple[Method | None, str | None, Verification]:
    """What ``--method auto`` does for a media type: the overwrite method (None for firmware
    only), ``"auto"`` firmware or None, and the verification."""
    from wipe.methods import MethodFileError, UnknownMethodError, load_method

    media_policy = policy.for_media(media)
    try:
        method = load_method(media_policy.overwrite) if media_policy.overwrite else None
    except (MethodFileError, UnknownMethodError) as exc:
        raise BenchError(_t("Politique d'effacement invalide."), exit_code=2, detail=exc) from exc
    return method, ("auto" if media_policy.firmware else None), media_policy.verification


@dataclass(frozen=True, slots=True)
class DrivePlan:
    """What will be done to one drive, shown before the technician confirms it."""

    target: Target
    method: Method | None
    firmware: str | None
    verification: Verification
    expected_s: float
    resume: ResumePoint | None = None

    def text(self) -> Text:
        parts: list[Text] = []
        if self.firmware:
            parts.append(_t("micrologiciel"))
        if self.method is not None:
            passes = len(self.method.passes)
            title = Text(fr=self.method.title_fr, en=self.method.title_en)
            if passes > 1:
                parts.append(_t("{title} ({passes} passes)", title=title, passes=passes))
            else:
                parts.append(_t("{title} ({passes} passe)", title=title, passes=passes))
        text = _t(
            "{parts}, vérif. {check}, ~{duration}",
            parts=join(" + ", parts),
            check=_verification_words(self.verification),
            duration=duration_text(self.expected_s),
        )
        if self.resume is not None:
            passes = len(self.method.passes) if self.method is not None else 0
            if self.resume.pass_index >= passes:
                # Killed after the last pass was written: only the read-back is left.
                resume = _t(" (reprise : passes écrites, reste la vérification)")
            else:
                resume = _t(
                    " (reprise passe {pass_number} à {done})",
                    pass_number=self.resume.pass_index + 1,
                    done=human_size(self.resume.offset_bytes),
                )
            text = join("", [text, resume])
        return text


VERIFICATION_WORDS = {
    "none": N_("aucune"),
    "last": N_("dernière passe"),
    "all": N_("toutes les passes"),
}


def _verification_words(v: Verification) -> Text:
    if v.mode == "sampled":
        pct = f"{v.sample_percent:g}"
        return _t("{pct} % échantillonné", pct=pct)
    return _t(VERIFICATION_WORDS.get(v.mode, v.mode))


def expected_seconds(
    target: Target, method: Method | None, firmware: str | None, v: Verification
) -> float:
    size = float(target.size_bytes or 0)
    rate = ASSUMED_RATE_BYTES_PER_S.get(target.media, DEFAULT_RATE_BYTES_PER_S)
    seconds = FIRMWARE_ESTIMATE_S if firmware else 0.0
    if method is not None:
        passes = len(method.passes)
        reads = {"none": 0.0, "last": 1.0, "all": float(passes)}.get(v.mode)
        if reads is None:  # sampled
            reads = (v.sample_percent or 0.0) / 100.0
        seconds += size * (passes + reads) / rate
    return seconds


def parse_verification(text: str) -> Verification:
    """``none``, ``last``, ``all`` or ``sampled:<percent>``; BenchError (usage) otherwise."""
    from wipe.methods import parse_verification as wipe_parse_verification

    try:
        return wipe_parse_verification(text)
    except ValueError as exc:
        raise BenchError(
            _t("Vérification invalide."),
            exit_code=2,
            detail=exc,
        ) from exc


def chosen_method(name: str) -> tuple[Method | None, str | None]:
    """A method named by the technician instead of the policy's: an overwrite method
    (name or .toml file) or a firmware method. BenchError (usage) when unknown."""
    from wipe.firmware import METHODS
    from wipe.methods import MethodFileError, UnknownMethodError, load_method

    if name in METHODS:
        return None, name
    try:
        return load_method(name), None
    except (MethodFileError, UnknownMethodError, ValueError, OSError) as exc:
        raise BenchError(_t("Méthode invalide."), exit_code=2, detail=exc) from exc


def plan(
    targets: list[Target],
    policy: Policy,
    *,
    resumes: dict[str, ResumePoint] | None = None,
    method: Method | None = None,
    firmware: str | None = None,
    verification: Verification | None = None,
) -> list[DrivePlan]:
    """The policy's choice for each drive (``--method auto``), or the ``method`` /
    ``firmware`` the technician chose, with ``verification`` replacing the method's when
    given; with the expected duration of each."""
    from wipe.methods import parse_verification as wipe_parse_verification

    plans = []
    for t in targets:
        if method is None and firmware is None:
            chosen, fw, check = auto_choice(policy, t.media)
        else:
            chosen, fw = method, firmware
            check = method.verification if method else wipe_parse_verification("none")
        plans.append(
            _drive_plan(t, chosen, fw, verification or check, (resumes or {}).get(t.device_path))
        )
    return plans


def _drive_plan(
    t: Target,
    method: Method | None,
    firmware: str | None,
    verification: Verification,
    resume: ResumePoint | None,
) -> DrivePlan:
    if resume is not None and method is not None and resume.method == method.name:
        firmware = None  # the firmware step, if any, already ran in the interrupted session
    else:
        resume = None
    return DrivePlan(
        t,
        method,
        firmware,
        verification,
        expected_seconds(t, method, firmware, verification),
        resume,
    )


# -- frozen drives ------------------------------------------------------------------


def firmware_module() -> Any:
    import wipe.firmware

    return wipe.firmware


def frozen_drives(plans: list[DrivePlan], runner: Runner) -> list[str]:
    """Drives about to get a firmware method that the BIOS froze (ATA security)."""
    wanted = [
        (p.target.device_path, p.target.transport)
        for p in plans
        if p.firmware and p.target.erasable
    ]
    if not wanted:
        return []
    return [caps.device_path for caps in firmware_module().frozen_drives(runner, wanted)]


def unfreeze(device_paths: list[str], targets: list[Target], runner: Runner) -> list[Text]:
    """Suspend 5 s and resume, then ask each drive again: one sentence per drive."""
    from wipe.firmware import unfreeze as firmware_unfreeze

    drives = [(t.device_path, t.transport) for t in targets if t.device_path in device_paths]
    report = firmware_unfreeze(runner, drives)
    lines = []
    if not report.suspended:
        lines.append(_t("La mise en veille a échoué."))
    lines += [_t("Dégelé : {p}", p=p) for p in report.unfrozen]
    lines += [
        _t("Toujours gelé : {p} — l'écrasement sera utilisé", p=p)
        for p in (*report.still_frozen, *report.unknown)
    ]
    return lines


# -- key, journal, interrupted sessions, resume ---------------------------------------


def bench_key(path: Path) -> BenchKey:
    from wipe.signing import BenchKey, SignatureError

    try:
        return BenchKey.load_or_create(path)
    except (OSError, ValueError, SignatureError) as exc:
        raise BenchError(
            _t("Clé du banc illisible ({name}) : appelez le coordinateur.", name=path.name)
        ) from exc


def operator(
    name: str | None = None,
    *,
    role: str | None = None,
    organisation: str | None = None,
    location: str | None = None,
    contact: str | None = None,
    donor: str | None = None,
) -> Operator:
    """Who erases, for the certificate's "performed by"."""
    from wipe.engine import Operator

    return Operator(
        name=name,
        role=role,
        organisation=organisation,
        location=location,
        contact=contact,
        donor=donor,
    )


def probed_source_computer(host: Host) -> dict[str, Any]:
    """The computer the drives are in, as the inventory identifies it (junk DMI strings
    filtered, commercial model), when no report or sitting says which unit it is."""
    from bench_agent.model.common import Note
    from bench_agent.model.inventory import Inventory
    from bench_agent.probes.identity import probe_identity

    notes: list[Note] = []
    return source_computer(Inventory(identity=probe_identity(host, notes)))


def source_computer(inv: Inventory | None) -> dict[str, Any]:
    """The computer the drives come from, for the certificate's "media source"."""
    if inv is None:
        return {"hostname": os.uname().nodename}
    ident = inv.identity
    return {
        "maker": ident.maker,
        "model": ident.model or ident.product_name,
        "serial": ident.serial,
        "hostname": os.uname().nodename,
    }


@dataclass
class EraseSetup:
    """What every erasure of this bench shares."""

    paths: BenchPaths
    key: BenchKey
    policy: Policy
    runner: Runner
    cert_dir: Path
    journal_path: Path

    @classmethod
    def open(
        cls,
        paths: BenchPaths,
        runner: Runner,
        *,
        policy_path: str | None = None,
        key_path: Path | None = None,
        journal_path: Path | None = None,
        cert_dir: Path | None = None,
    ) -> EraseSetup:
        return cls(
            paths,
            bench_key(key_path or paths.key),
            load_policy(policy_path),
            runner,
            cert_dir or paths.certificates,
            journal_path or paths.journal,
        )

    def context(
        self,
        *,
        operator: Operator,
        source: dict[str, Any],
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> EraseContext:
        from wipe.engine import EraseContext
        from wipe.journal import Journal

        return EraseContext(
            key=self.key,
            journal=Journal(self.journal_path, self.key),
            cert_dir=self.cert_dir,
            policy=self.policy,
            operator=operator,
            source_computer=source,
            runner=self.runner,
            firmware=firmware_module(),
            progress=progress,
            cancel=cancel or threading.Event(),
        )

    def record_interrupted(self, ctx: EraseContext) -> list[EraseOutcome]:
        """Sessions the journal shows killed mid-way get their INTERRUPTED certificate now."""
        from wipe.engine import record_interrupted
        from wipe.journal import JournalError, verify_journal

        if not self.journal_path.exists():
            return []
        try:
            return record_interrupted(verify_journal(self.journal_path, self.key.public_raw), ctx)
        except (JournalError, OSError) as exc:
            raise BenchError(
                _t("Journal d'effacement illisible : appelez le coordinateur.")
            ) from exc

    def resume_point(self, target: Target, method: Method | None) -> ResumePoint:
        """Where the interrupted overwrite of ``target`` with ``method`` stopped (asked
        for by the technician); BenchError (a problem, exit 1) saying why it cannot."""
        from wipe.engine import ResumeError, find_resume_point
        from wipe.journal import JournalError, verify_journal

        try:
            if method is None:
                raise ResumeError("only an overwrite can be resumed")
            report = verify_journal(self.journal_path, self.key.public_raw)
            return find_resume_point(report, target, method.name)
        except (ResumeError, JournalError, OSError) as exc:
            raise BenchError(
                _t("Reprise impossible pour {device_path}.", device_path=target.device_path),
                exit_code=1,
                detail=exc,
            ) from exc

    def resume_points(self, targets: list[Target]) -> dict[str, ResumePoint]:
        """Drives whose latest overwrite was interrupted and can continue from its last
        error-free checkpoint (same method as the policy's), by device path."""
        from wipe.engine import ResumeError, find_resume_point
        from wipe.journal import JournalError, verify_journal

        if not self.journal_path.exists():
            return {}
        try:
            report = verify_journal(self.journal_path, self.key.public_raw)
        except (JournalError, OSError):
            return {}
        found = {}
        for t in targets:
            method, _firmware, _v = auto_choice(self.policy, t.media)
            if method is None or not t.erasable:
                continue
            try:
                found[t.device_path] = find_resume_point(report, t, method.name)
            except ResumeError:
                continue
        return found


def hpa_status(runner: Runner, target: Target, restore: bool) -> dict[str, Any] | None:
    """HPA/DCO status; an HPA is removed when the policy says so (advisory: recorded as
    found, and the engine fails safe on hidden sectors)."""
    from wipe import hpa

    try:
        status = hpa.detect_hpa(runner, target.device_path, transport=target.transport)
        data: dict[str, Any] = status.to_dict()
        if restore and (status.hpa_hidden_sectors or 0) > 0:
            outcome = hpa.restore_native_max(
                runner, target.device_path, permanent=True, transport=target.transport
            )
            after = hpa.detect_hpa(runner, target.device_path, transport=target.transport)
            data = {**after.to_dict(), "before": data, "restore": outcome.to_dict()}
        return data
    except Exception as exc:  # advisory: recorded, and the engine fails safe on hidden sectors
        return {"status": "unknown", "reason_en": f"{type(exc).__name__}: {exc}"}


def requests_for(
    setup: EraseSetup,
    plans: list[DrivePlan],
    *,
    dry_run: bool,
    asset_tag: str | None = None,
    abort_on_error: bool = False,
    destination: str = "reuse",
) -> list[EraseRequest]:
    """One request per confirmed drive (the caller checked each serial, or unattended).
    ``destination``: where the drives go after sanitization (reuse, recycle, destroy),
    written on their certificates."""
    from wipe.engine import EraseRequest

    return [
        EraseRequest(
            target=p.target,
            method=p.method,
            verification=p.verification,
            firmware_method=p.firmware,
            dry_run=dry_run,
            confirmed=True,
            asset_tag=asset_tag,
            abort_on_error=abort_on_error,
            hpa_dco=None
            if dry_run
            else hpa_status(setup.runner, p.target, setup.policy.restore_native_max),
            resume=p.resume,
            destination=destination,
        )
        for p in plans
    ]


def run(requests: list[EraseRequest], ctx: EraseContext) -> list[EraseOutcome]:
    from wipe.engine import erase_many

    return erase_many(requests, ctx)


# -- evidence -----------------------------------------------------------------------


def summaries(outcomes: list[EraseOutcome]) -> list[ErasureSummary]:
    """The key facts of real certificates (dry runs are evidence of nothing)."""
    from bench_agent.unit import summarize_certificate

    return [
        summarize_certificate(o.envelope["payload"])
        for o in outcomes
        if o.envelope is not None and o.result != "DRY_RUN"
    ]


def merge_summaries(
    existing: list[ErasureSummary], found: list[ErasureSummary]
) -> list[ErasureSummary]:
    """A unit's erasures after new certificates: the latest certificate of each drive
    (same serial, else same device) replaces its earlier ones (a later erasure covers a
    failed one); other drives keep theirs."""

    def same_drive(a: ErasureSummary, b: ErasureSummary) -> bool:
        if a.disk_serial and b.disk_serial:
            return a.disk_serial == b.disk_serial
        return a.device == b.device

    kept = [e for e in existing if not any(same_drive(e, f) for f in found)]
    return [*kept, *found]


def certificate_file(directory: Path, certificate_id: str) -> Path | None:
    """The signed certificate file of ``certificate_id`` in ``directory`` (its name ends
    with the id's first 8 characters; the payload's id is checked), or None."""
    from wipe.signing import parse_json

    for path in sorted(directory.glob(f"erasure-*-{certificate_id[:8]}.json")):
        try:
            payload = parse_json(path.read_bytes()).get("payload") or {}
        except (OSError, ValueError, AttributeError):
            continue
        if payload.get("certificate_id") == certificate_id:
            return path
    return None


def enqueue_certificates(paths: BenchPaths, outcomes: list[EraseOutcome]) -> list[Text]:
    """Every real certificate goes to the outbox (a failure is evidence too)."""
    from bench_agent.bench.sending import enqueue

    problems: list[Text] = []
    for o in outcomes:
        if o.envelope is None or o.result == "DRY_RUN":
            continue
        problem = enqueue(paths, o.envelope)
        if problem:
            problems.append(
                _t(
                    "Certificat de {device_path} : {problem}",
                    device_path=o.device_path,
                    problem=problem,
                )
            )
    return problems


def outcome_reasons(outcome: EraseOutcome) -> Text:
    return Text(fr=" ; ".join(outcome.reasons_fr), en="; ".join(outcome.reasons_en))


# -- words and figures ----------------------------------------------------------------


def human_size(size: int | None) -> Text:
    """``512,1 Go`` / ``512.1 GB``: decimal units, as printed on drives."""
    if size is None:
        return Text(fr="?", en="?")
    value = float(size)
    for fr_unit, en_unit in (("o", "B"), ("Ko", "kB"), ("Mo", "MB"), ("Go", "GB"), ("To", "TB")):
        if value < 1000 or fr_unit == "To":
            number = f"{value:.0f}" if fr_unit == "o" else f"{value:.1f}"
            return Text(fr=f"{number.replace('.', ',')} {fr_unit}", en=f"{number} {en_unit}")
        value /= 1000
    raise AssertionError("unreachable: the loop returns at To")


def duration_text(seconds: float) -> str:
    """``42 s``, ``12 min 05 s``, ``2 h 07 min``: what a technician reads at a glance."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


PHASES = {
    "write": N_("écriture"),
    "verify": N_("vérif."),
    "sample": N_("échant."),
    "firmware": N_("micrologiciel"),
}


def progress_text(p: Progress, *, with_device: bool = True) -> Text:
    """One short progress line: [device] phase pass percent rate time-left errors
    (fits 80 columns with a bar beside it)."""
    pct = 100 * p.bytes_done / p.bytes_total if p.bytes_total else 0.0
    text = _t(
        "{head}{phase} {passes} {pct:3.0f} % {rate} Mo/s reste {left}",
        head=f"{p.device} " if with_device else "",
        phase=_t(PHASES.get(p.phase, p.phase)),
        passes=f"{p.pass_index + 1}/{p.pass_count}",
        pct=pct,
        rate=f"{p.throughput_bytes_per_s / 1e6:.0f}" if p.throughput_bytes_per_s else "-",
        left=duration_text(p.eta_s) if p.eta_s is not None else "-",
    )
    if p.error_ranges:
        errors = _t(" — {error_ranges} zone(s) en erreur", error_ranges=p.error_ranges)
        text = join("", [text, errors])
    return text


@dataclass
class EraseRun:
    """One erasure of several drives in parallel, as the app follows it (not persisted:
    the journal is the durable record of a run)."""

    devices: list[str]
    dry_run: bool
    cancel: threading.Event = field(default_factory=threading.Event)
    running: bool = True
    progress: dict[str, Progress] = field(default_factory=dict)
    outcomes: list[EraseOutcome] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    error: Text | None = None
