"""The service calls behind each step of the technician's sitting, without Textual.

The app runs these in thread workers; each returns plain data or a technician's
message, never raises for a problem the technician has to read (an error string
instead), so a failed step shows a sentence on its screen, not a traceback.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.functional.profile import FunctionalProfile
    from bench_agent.host.base import Host
    from bench_agent.model.grade import Grade
    from bench_agent.model.health import DiskHealth
    from bench_agent.model.inventory import Inventory
    from bench_agent.model.report import ErasureSummary, FunctionalTest, UnitReport
    from wipe.engine import EraseContext, EraseOutcome, EraseRequest
    from wipe.overwrite import Progress
    from wipe.targets import Target

DEFAULT_PROFILE = "network-2024"
PRINTER_VARIABLE = "BENCH_AGENT_PRINTER"


def captured(env: Environment) -> tuple[Environment, io.StringIO]:
    """A copy of ``env`` whose output goes to a buffer (for command helpers that print)."""
    buffer = io.StringIO()
    return Environment(stdout=buffer, stderr=buffer, environ=env.environ, lang=env.lang), buffer


def identity_of(inv: Inventory) -> dict[str, Any]:
    """The computer the drives come from, for the certificate's "media source"."""
    ident = inv.identity
    return {
        "maker": ident.maker,
        "model": ident.model or ident.product_name,
        "serial": ident.serial,
        "hostname": os.uname().nodename,
    }


# -- inventory and health -----------------------------------------------------------


def collect(host: Host) -> Inventory:
    from bench_agent.inventory import collect_inventory

    return collect_inventory(host)


def check_health(host: Host) -> list[DiskHealth]:
    from bench_agent.health import check_all

    return check_all(host)


def failure_text(exc: BaseException, env: Environment) -> str:
    """A sentence for the technician from an exception of a service."""
    from bench_agent.host import FixtureMissingError

    if isinstance(exc, FixtureMissingError):
        return env.say(f"Erreur : {exc.message_fr}", f"Error: {exc}")
    if isinstance(exc, PermissionError):
        return env.say(
            f"Droits insuffisants ({exc}) : lancez le banc en root.",
            f"Not enough rights ({exc}): run the bench as root.",
        )
    return env.say(f"Erreur : {exc}", f"Error: {exc}") + f" ({type(exc).__name__})"


# -- erasure ------------------------------------------------------------------------


@dataclass
class EraseJob:
    """Requests and context ready for :func:`wipe.engine.erase_many`."""

    requests: list[EraseRequest]
    ctx: EraseContext
    notes: list[str] = field(default_factory=list)
    """Sentences for the technician gathered while preparing (interrupted sessions)."""


def list_targets() -> list[Target]:
    """Every block device with media, with its refusals (the boot disk is refused)."""
    from wipe.targets import list_targets as wipe_list_targets

    return [t for t in wipe_list_targets() if t.size_bytes]


def confirmation_ok(target: Target, answer: str) -> bool:
    """The CLI's rule: the whole serial, or its last 4 characters."""
    token = target.confirmation_token
    answer = answer.strip()
    return bool(answer) and (answer == token or (len(answer) >= 4 and answer == token[-4:]))


def prepare_erase(
    env: Environment,
    device_paths: list[str],
    *,
    dry_run: bool,
    source_computer: dict[str, Any],
    progress: Callable[[Progress], None],
    cancel: threading.Event,
) -> EraseJob | str:
    """Build the requests exactly as ``bench-agent erase --method auto`` does, after the
    technician confirmed every disk; an error sentence when something stops it."""
    from bench_agent.commands.erase import (
        auto_choice,
        bench_home,
        hpa_status,
        journal_path,
        key_path,
        record_interrupted_sessions,
    )
    from bench_agent.host.live import LiveHost
    from wipe.engine import (
        EraseContext,
        EraseRequest,
        Operator,
        load_firmware_module,
    )
    from wipe.journal import Journal, JournalError
    from wipe.methods import MethodFileError, UnknownMethodError
    from wipe.policy import load_policy
    from wipe.signing import BenchKey, SignatureError
    from wipe.targets import select_targets

    try:
        policy = load_policy(None)
    except (MethodFileError, ValueError) as exc:
        return env.say(f"Politique d'effacement invalide : {exc}", f"Invalid policy: {exc}")
    # Selected again at the last moment: a disk mounted since the list was shown is refused.
    targets = select_targets(device_paths)
    refused = [
        env.say(f"REFUSÉ {t.device_path} : {r.fr}", f"REFUSED {t.device_path}: {r.en}")
        for t in targets
        for r in t.refusals
    ]
    if refused:
        return "\n".join([*refused, env.say("Aucun disque effacé.", "No disk was erased.")])
    try:
        key = BenchKey.load_or_create(key_path(env))
    except (OSError, ValueError, SignatureError) as exc:
        return env.say(f"Clé du banc illisible : {exc}", f"Bench key unreadable: {exc}")
    runner = LiveHost()
    firmware = load_firmware_module()
    requests: list[EraseRequest] = []
    for t in targets:
        try:
            method, firmware_method, verification = auto_choice(policy, t.media)
        except (MethodFileError, UnknownMethodError) as exc:
            return env.say(f"Politique invalide : {exc}", f"Invalid policy: {exc}")
        requests.append(
            EraseRequest(
                target=t,
                method=method,
                verification=verification,
                firmware_method=firmware_method,
                dry_run=dry_run,
                confirmed=True,  # the technician typed the serial in the app
                hpa_dco=None if dry_run else hpa_status(runner, t, policy.restore_native_max),
            )
        )
    journal = Journal(journal_path(env), key)
    ctx = EraseContext(
        key=key,
        journal=journal,
        cert_dir=bench_home(env) / "certificates",
        policy=policy,
        operator=Operator(name=env.environ.get("BENCH_AGENT_OPERATOR") or None),
        source_computer=source_computer,
        runner=runner,
        firmware=firmware,
        progress=progress,
        cancel=cancel,
    )
    try:
        notes = record_interrupted_sessions(env, journal, key, ctx)
    except (JournalError, OSError) as exc:
        return env.say(f"Journal illisible : {exc}", f"Journal unreadable: {exc}")
    return EraseJob(requests, ctx, notes)


def frozen_for_erase(device_paths: list[str]) -> list[str]:
    """The selected drives that will get a firmware method (policy) and that the BIOS
    froze (ATA security); [] when firmware methods or the policy are unavailable."""
    from bench_agent.host.live import LiveHost
    from wipe.engine import load_firmware_module
    from wipe.methods import MethodFileError
    from wipe.policy import load_policy
    from wipe.targets import select_targets

    firmware = load_firmware_module()
    if firmware is None or not hasattr(firmware, "frozen_drives"):
        return []
    try:
        policy = load_policy(None)
    except (MethodFileError, ValueError):
        return []  # prepare_erase reports the broken policy in a sentence
    wanted = [
        (t.device_path, t.transport)
        for t in select_targets(device_paths)
        if t.erasable and policy.for_media(t.media).firmware
    ]
    if not wanted:
        return []
    return [caps.device_path for caps in firmware.frozen_drives(LiveHost(), wanted)]


def unfreeze(device_paths: list[str], env: Environment) -> list[str]:
    """Suspend 5 s and resume, then ask each drive again: one sentence per drive."""
    from bench_agent.host.live import LiveHost
    from wipe.firmware import unfreeze as firmware_unfreeze
    from wipe.targets import select_targets

    drives = [(t.device_path, t.transport) for t in select_targets(device_paths)]
    report = firmware_unfreeze(LiveHost(), drives)
    lines = []
    if not report.suspended:
        lines.append(env.say("La mise en veille a échoué.", "The suspend failed."))
    lines += [env.say(f"Dégelé : {p}", f"Unfrozen: {p}") for p in report.unfrozen]
    lines += [
        env.say(
            f"Toujours gelé : {p} — l'écrasement sera utilisé",
            f"Still frozen: {p} — the overwrite will be used",
        )
        for p in (*report.still_frozen, *report.unknown)
    ]
    return lines


def run_erase_job(job: EraseJob) -> list[EraseOutcome]:
    from wipe.engine import erase_many

    return erase_many(job.requests, job.ctx)


# -- grade --------------------------------------------------------------------------


def cosmetic_grades(env: Environment) -> list[tuple[str, str]]:
    """(code, description) of the cosmetic scale, in its order."""
    from bench_agent.grading import load_cosmetic_scale

    scale = load_cosmetic_scale()
    return [(g.code, env.say(g.fr, g.en)) for g in scale.grades]


def erasure_summaries(outcomes: list[EraseOutcome]) -> list[ErasureSummary]:
    """The key facts of this sitting's certificates (dry runs are not evidence)."""
    from bench_agent.unit import summarize_certificate

    found = []
    for outcome in outcomes:
        if outcome.envelope is None or outcome.result == "DRY_RUN":
            continue
        found.append(summarize_certificate(outcome.envelope["payload"]))
    return found


def grade(
    inv: Inventory,
    health: list[DiskHealth],
    cosmetic: str,
    env: Environment,
    erasures: list[ErasureSummary] | None = None,
    *,
    functional: list[FunctionalTest] | None = None,
) -> tuple[UnitReport, Grade] | str:
    """A fresh report of the unit (a new id: saved evidence is never replaced) graded
    with the network's default profile and the technician's cosmetic grade."""
    from bench_agent.grading import (
        GradingInputError,
        ProfileError,
        TechnicianInput,
        default_cpu_table,
        grade_unit,
        load_cosmetic_scale,
        load_needs,
        load_profile,
    )
    from bench_agent.unit import build_report

    try:
        profile = load_profile(DEFAULT_PROFILE)
        scale = load_cosmetic_scale()
        report = build_report(inv)
        report.health = list(health)
        report.erasures = list(erasures or [])
        report.functional_tests = list(functional or [])
        result = grade_unit(
            report,
            profile,
            default_cpu_table(),
            needs=load_needs(),
            technician=TechnicianInput(0, 0, cosmetic),
            cosmetic_codes=[g.code for g in scale.grades],
        )
    except ProfileError as exc:
        return env.t(exc.text)
    except GradingInputError as exc:
        return env.t(exc.message)
    report.grade = result
    report.cosmetic_grade = result.cosmetic or cosmetic
    return report, result


def save(report: UnitReport, env: Environment) -> tuple[Path | None, str]:
    """Sign, write and enqueue the report (``inventory --save``); its path and a sentence."""
    from bench_agent.commands.erase import bench_home
    from bench_agent.commands.inventory import save_report

    quiet, buffer = captured(env)
    code = save_report(report, quiet)
    path = bench_home(env) / "reports" / f"{report.report_id}.json"
    text = buffer.getvalue().strip()
    return (path if code == 0 else None), text


# -- label --------------------------------------------------------------------------


def labels_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("bench_agent.labels") is not None
    except (ImportError, ValueError):
        return False


def printer_queue(env: Environment) -> str | None:
    return env.environ.get(PRINTER_VARIABLE) or None


def render_label_pdf(report: UnitReport, env: Environment) -> Path | str:
    """The label as a PDF under ``$BENCH_AGENT_HOME/labels/``; its path or a sentence."""
    from bench_agent.commands.erase import bench_home
    from bench_agent.commands.label import label_title, qr_url_base
    from bench_agent.grading.toml_source import ProfileError
    from bench_agent.labels import (
        DEFAULT_TEMPLATE,
        FontMissingError,
        label_content,
        load_template,
        render_label,
    )

    try:
        template = load_template(DEFAULT_TEMPLATE)
    except ProfileError as exc:
        return env.say("Modèle d'étiquette invalide : ", "Invalid label template: ") + env.t(
            exc.text
        )
    base_url, _warning = qr_url_base(None, env)
    title = label_title(report)
    try:
        rendered = render_label(label_content(report, env.lang, base_url), template, title=title)
    except FontMissingError as exc:
        return env.say(f"Police introuvable : {exc}", f"Font not found: {exc}")
    folder = bench_home(env) / "labels"
    path = folder / f"{report.report_id}.pdf"
    tmp = folder / f".{report.report_id}.pdf.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(rendered.pdf)
        os.replace(tmp, path)
    except OSError as exc:
        return env.say(f"Écriture impossible : {exc}", f"Cannot write: {exc}")
    return path


def print_label(report_path: Path, queue: str, env: Environment) -> tuple[bool, str]:
    """Print the saved report's label on ``queue`` (``bench-agent label --printer``)."""
    import argparse

    from bench_agent.commands.label import run_label
    from bench_agent.labels import DEFAULT_TEMPLATE

    quiet, buffer = captured(env)
    args = argparse.Namespace(
        report=report_path,
        host_dir=None,
        template=DEFAULT_TEMPLATE,
        output=None,
        printer=queue,
        copies=1,
        qr_url_base=None,
        server=None,
        list_templates=False,
        json=False,
    )
    code = run_label(args, quiet)
    return code == 0, buffer.getvalue().strip()


# -- sync ---------------------------------------------------------------------------


@dataclass
class OutboxState:
    counts: dict[str, int]
    errors: list[str]
    """Last error of each waiting document, and why each rejected one was refused."""
    path: Path


def outbox_state(env: Environment) -> OutboxState:
    from bench_agent.commands.sync import outbox_for

    outbox = outbox_for(env)
    errors = [
        f"{env.say('attente', 'pending')} {i.kind} {i.item_id} — {i.last_error}"
        for i in outbox.items("pending")
        if i.last_error
    ]
    errors += [
        f"{env.say('REFUSÉ', 'REJECTED')} {i.kind} {i.item_id} — {i.last_error}"
        for i in outbox.items("rejected")
    ]
    return OutboxState(outbox.counts(), errors, outbox.path)


def send_now(env: Environment) -> tuple[bool, list[str]]:
    """Send everything waiting (``sync now --all``); success and the lines to show."""
    from bench_agent.commands.sync import load_config, outbox_for
    from bench_agent.sync.central import send_due

    try:
        config = load_config(env, None, None)
    except ValueError as exc:
        return False, [env.say(f"Configuration d'envoi : {exc}", f"Sync configuration: {exc}")]
    outbox = outbox_for(env)
    report = send_due(outbox, config, include_waiting=True)
    counts = outbox.counts()
    lines = [
        env.say(
            f"Envoyés : {len(report.sent)} ; déjà présents : {len(report.already)} ; "
            f"refusés : {len(report.rejected)} ; restent en attente : {counts['pending']}",
            f"Sent: {len(report.sent)}; already there: {len(report.already)}; "
            f"rejected: {len(report.rejected)}; still pending: {counts['pending']}",
        )
    ]
    lines += [f"{env.say('REFUSÉ', 'REJECTED')} {i} — {r}" for i, r in report.rejected]
    if report.stopped:
        lines.append(
            env.say(
                f"Envoi interrompu : {report.stopped} (nouvel essai plus tard, rien n'est perdu)",
                f"Sending stopped: {report.stopped} (retried later, nothing is lost)",
            )
        )
    return counts["pending"] == 0 and counts["rejected"] == 0, lines


# -- functional tests ----------------------------------------------------------------


def functional_test(
    outcome: Outcome, env: Environment, comment: str | None = None
) -> FunctionalTest:
    """The report's record of one functional test: who (BENCH_AGENT_OPERATOR) and when."""
    from bench_agent.model.report import FunctionalTest
    from bench_agent.unit import utc_now_iso

    return FunctionalTest(
        name=outcome.name,
        result=outcome.result,
        by=env.environ.get("BENCH_AGENT_OPERATOR") or None,
        at=utc_now_iso(),
        comment=comment or env.t(outcome.reason) or None,
        data=dict(outcome.data),
    )


def functional_profile() -> FunctionalProfile:
    from bench_agent.functional import load_functional_profile

    return load_functional_profile()


def automatic_checks(host: Host) -> list[Outcome]:
    from bench_agent.functional import run_automatic

    return run_automatic(host, functional_profile())


def play_tone(host: Host) -> Outcome | None:
    """Play the test tone; None when it played (the technician then answers)."""
    from bench_agent.functional.audio import tone_argv
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.i18n import tr

    argv = tone_argv()
    if not host.which(argv[0]):
        return Outcome(
            "speakers",
            "n/a",
            tr(
                "speaker-test absent (paquet alsa-utils)",
                "speaker-test missing (package alsa-utils)",
            ),
        )
    result = host.run(argv, timeout_s=20.0)
    if result.ok:
        return None
    detail = (
        result.stderr.decode("utf-8", "replace").strip().splitlines() or [result.error or ""]
    )[0]
    return Outcome(
        "speakers", "fail", tr(f"aucune sortie son : {detail}", f"no sound output: {detail}")
    )


def record_microphone(host: Host) -> Outcome:
    from bench_agent.functional.audio import judge_recording, record_argv
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.i18n import tr

    profile = functional_profile()
    argv = record_argv(profile.microphone_record_s)
    if not host.which(argv[0]):
        return Outcome(
            "microphone",
            "n/a",
            tr("arecord absent (paquet alsa-utils)", "arecord missing (package alsa-utils)"),
        )
    result = host.run(argv, timeout_s=profile.microphone_record_s + 10.0)
    if not result.ok:
        detail = (
            result.stderr.decode("utf-8", "replace").strip().splitlines() or [result.error or ""]
        )[0]
        return Outcome(
            "microphone", "fail", tr(f"aucune entrée son : {detail}", f"no sound input: {detail}")
        )
    return judge_recording(result.stdout, profile.microphone_min_level_dbfs)


def wait_usb_plug(host: Host, before: set[str], cancelled: Callable[[], bool]) -> Outcome:
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.functional.usb import root_hubs, root_port, wait_for_new_device
    from bench_agent.i18n import tr

    profile = functional_profile()
    if not root_hubs(host):
        return Outcome("usb", "n/a", tr("aucun contrôleur USB", "no USB controller"))
    found = wait_for_new_device(
        host, before, profile.usb_plug_timeout_s, profile.usb_poll_interval_s, cancelled=cancelled
    )
    if found is None:
        t = f"{profile.usb_plug_timeout_s:g}"
        return Outcome(
            "usb",
            "fail",
            tr(
                f"aucune clé vue en {t} s : port défectueux ?",
                f"no stick seen in {t} s: faulty port?",
            ),
        )
    port = root_port(found)
    return Outcome(
        "usb",
        "pass",
        tr(f"clé vue sur le port {port}", f"stick seen on port {port}"),
        {"port": port, "ports": port},
    )


def usb_devices(host: Host) -> set[str]:
    from bench_agent.functional.usb import devices

    return devices(host)


def backlight_present(host: Host) -> bool:
    return bool(host.list_dir("/sys/class/backlight"))
