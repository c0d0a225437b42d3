"""Run one firmware sanitization method and judge its result from the drive's own answers.

Every method starts by asking the drive again (state changes: a drive can be
frozen by a resume, a sanitize can already be running). Exit codes are never
enough: outputs are checked for failure markers, positive confirmations are
required where the tool prints one, and completion is read back from the drive
(sanitize log / sanitize status / security state). The engine then proves the
change by reading sampled sectors; this module does not.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from wipe.firmware import ata, nvme
from wipe.firmware.detect import detect
from wipe.firmware.model import METHODS, AtaInfo, FirmwareCapabilities, FirmwareOutcome
from wipe.firmware.output import CommandLog, decode, failure_in
from wipe.runner_protocol import Runner, RunResult, command_record

COMMAND_TIMEOUT_S = 60.0
"""Start commands (sanitize, set password, disable): the drive answers at once."""
_Status = TypeVar("_Status")
POLL_TIMEOUT_S = 30.0
MAX_POLL_READ_FAILURES = 3
"""Consecutive unreadable status polls tolerated before giving up (a busy bus hiccups)."""

NVME_FORMAT_TIMEOUT_S = {"nvme-format-user": 3600, "nvme-format-crypto": 900}
"""Format NVM has no progress report and no estimate: generous fixed budgets."""

DEFAULT_ESTIMATE_S = {"crypto": 300.0, "block": 1800.0, "overwrite": 4 * 3600.0}
"""Used when the drive reports no estimate and the capacity is unknown."""
ASSUMED_MEDIA_BYTES_PER_S = 40e6
"""Pessimistic media speed for capacity-based overwrite/block estimates (old laptop HDD)."""
TIMEOUT_FACTOR = 2.0
TIMEOUT_MARGIN_S = 600.0


@dataclass(frozen=True, slots=True)
class FirmwareProgress:
    """One progress report while a firmware method runs."""

    method: str
    fraction: float | None
    """0..1 when the drive reports progress; None when it cannot (Format, Security Erase)."""
    elapsed_s: float
    message_fr: str
    message_en: str


ProgressCallback = Callable[[FirmwareProgress], None]


class CancelEvent(Protocol):
    def is_set(self) -> bool: ...


class _Run:
    """State of one execution: evidence, clock, callbacks."""

    def __init__(
        self,
        runner: Runner,
        device_path: str,
        method: str,
        *,
        progress_cb: ProgressCallback | None,
        cancel_event: CancelEvent | None,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.log = CommandLog(runner)
        self.device_path = device_path
        self.method = method
        self.progress_cb = progress_cb
        self.cancel_event = cancel_event
        self.clock = clock
        self.sleep = sleep
        self.start = clock()
        self.recorder: _PollRecorder | None = None

    def cancelled(self) -> bool:
        return self.cancel_event is not None and self.cancel_event.is_set()

    def progress(self, fraction: float | None, fr: str, en: str) -> None:
        if self.progress_cb is not None:
            self.progress_cb(
                FirmwareProgress(self.method, fraction, self.clock() - self.start, fr, en)
            )

    def outcome(self, completed: bool, fr: str, en: str, **extra: object) -> FirmwareOutcome:
        if self.recorder is not None:
            self.recorder.flush()
        spec = METHODS.get(self.method)
        result = FirmwareOutcome(
            method=self.method,
            device_path=self.device_path,
            completed=completed,
            reason_fr=fr,
            reason_en=en,
            commands=list(self.log.records),
            duration_s=max(0.0, self.clock() - self.start),
            nist_level=spec.nist_level if (completed and spec is not None) else None,
        )
        for key, value in extra.items():
            setattr(result, key, value)
        return result


class _PollRecorder:
    """Keeps the evidence of a long poll loop short: only polls whose answer changed.

    A two-hour sanitize polled every few seconds would otherwise put thousands of
    identical records in the certificate.
    """

    def __init__(self, log: CommandLog) -> None:
        self.log = log
        self.last_key: object = object()
        self.pending: dict[str, object] | None = None

    def add(self, argv: list[str], result: RunResult, key: object) -> None:
        record = command_record(argv, result)
        if key != self.last_key:
            self.log.records.append(record)
            self.last_key = key
            self.pending = None
        else:
            self.pending = record

    def flush(self) -> None:
        """Keep the very last poll too, even when it repeated the previous answer."""
        if self.pending is not None:
            self.log.records.append(self.pending)
            self.pending = None


def _budget_s(estimate_s: float) -> float:
    return estimate_s * TIMEOUT_FACTOR + TIMEOUT_MARGIN_S


def _capacity_estimate(kind: str, capacity_bytes: int | None) -> float:
    if kind == "crypto" or capacity_bytes is None:
        return DEFAULT_ESTIMATE_S[kind]
    return max(DEFAULT_ESTIMATE_S["crypto"], capacity_bytes / ASSUMED_MEDIA_BYTES_PER_S)


def execute(
    runner: Runner,
    device_path: str,
    method_name: str,
    progress_cb: ProgressCallback | None = None,
    cancel_event: CancelEvent | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    transport: str | None = None,
    poll_interval_s: float = 5.0,
) -> FirmwareOutcome:
    """Run ``method_name`` on ``device_path``; ``completed`` only when the drive confirmed it.

    Cancellation is honoured before the first destructive command and between
    polls. A sanitize cannot be stopped once started: a cancelled or timed-out
    one is reported with ``still_running_on_drive``.
    """
    run = _Run(
        runner,
        device_path,
        method_name,
        progress_cb=progress_cb,
        cancel_event=cancel_event,
        clock=clock,
        sleep=sleep,
    )
    spec = METHODS.get(method_name)
    if spec is None:
        return run.outcome(
            False,
            f"méthode firmware inconnue : {method_name!r}",
            f"unknown firmware method: {method_name!r}",
        )
    caps = detect(runner, device_path, transport=transport)
    run.log.records.extend(caps.commands)
    if not caps.known:
        return run.outcome(False, caps.reason_fr, caps.reason_en)
    if caps.interface != spec.interface or method_name not in caps.methods:
        return run.outcome(
            False,
            f"le disque ne propose pas « {spec.label_fr} » ({caps.reason_fr})",
            f"the drive does not offer '{spec.label_en}' ({caps.reason_en})",
        )
    if run.cancelled():
        return run.outcome(
            False,
            "annulé avant toute commande d'effacement",
            "cancelled before any erase command was sent",
            cancelled=True,
        )
    if method_name.startswith("nvme-sanitize-"):
        return _nvme_sanitize(run, caps, poll_interval_s)
    if method_name.startswith("nvme-format-"):
        return _nvme_format(run, caps)
    if method_name.startswith("ata-sanitize-"):
        return _ata_sanitize(run, caps, poll_interval_s)
    return _ata_security_erase(run, caps)


# --------------------------------------------------------------------------- NVMe


def _poll_sanitize(
    run: _Run,
    argv: list[str],
    *,
    poll_s: float,
    budget_s: float,
    timeout: tuple[str, str],
    unreadable: tuple[str, str],
    read: Callable[[RunResult], tuple[_Status, object] | FirmwareOutcome | None],
    decide: Callable[[_Status], FirmwareOutcome | None],
) -> FirmwareOutcome:
    """Poll a running sanitize (NVMe sanitize log, ATA sanitize status) until the drive
    says it ended, the budget runs out, the operator cancels, or its status stays
    unreadable. ``read`` parses one poll (None: unreadable; an outcome: the drive
    reported a failure); ``decide`` turns a status into an outcome, or None to go on."""
    deadline = run.clock() + budget_s
    recorder = run.recorder = _PollRecorder(run.log)
    read_failures = 0
    polls = 0
    while True:
        if run.cancelled():
            return run.outcome(
                False,
                "suivi annulé ; le disque poursuit le Sanitize (il reprend même après "
                "une coupure) : ne pas réutiliser le disque avant la fin",
                "monitoring cancelled; the drive goes on with the sanitize (it resumes "
                "even after a power cycle): do not reuse the drive before it ends",
                cancelled=True,
                still_running_on_drive=True,
            )
        if run.clock() > deadline:
            return run.outcome(False, *timeout, still_running_on_drive=True)
        run.sleep(poll_s)
        polls += 1
        result = run.log.run_unrecorded(argv, POLL_TIMEOUT_S)
        parsed = read(result)
        if isinstance(parsed, FirmwareOutcome):
            recorder.add(argv, result, "failed")
            return parsed
        if parsed is None:
            recorder.add(argv, result, ("unreadable", polls))
            read_failures += 1
            if read_failures >= MAX_POLL_READ_FAILURES:
                return run.outcome(
                    False,
                    f"{unreadable[0]} {read_failures} fois de suite",
                    f"{unreadable[1]} {read_failures} times in a row",
                    still_running_on_drive=True,
                )
            continue
        read_failures = 0
        status, key = parsed
        recorder.add(argv, result, key)
        outcome = decide(status)
        if outcome is not None:
            return outcome


def _nvme_sanitize(run: _Run, caps: FirmwareCapabilities, poll_s: float) -> FirmwareOutcome:
    dev = run.device_path
    action = nvme.SANACT[run.method]
    kind = run.method.rsplit("-", 1)[1]
    estimate_s: float | None = None
    before = run.log.run(nvme.sanitize_log_argv(dev), POLL_TIMEOUT_S)
    if before.returncode == 0:
        try:
            log_before = nvme.parse_sanitize_log(decode(before.stdout))
        except nvme.NvmeParseError:
            log_before = None
        if log_before is not None:
            if log_before.status == nvme.SSTAT_IN_PROGRESS:
                return run.outcome(
                    False,
                    "un Sanitize est déjà en cours sur ce disque : attendre sa fin",
                    "a sanitize is already running on this drive: wait for it to end",
                    still_running_on_drive=True,
                )
            if action in log_before.estimates_s:
                estimate_s = float(log_before.estimates_s[action])
    if estimate_s is None:
        capacity = caps.nvme.capacity_bytes if caps.nvme else None
        estimate_s = _capacity_estimate(kind, capacity)
    budget_s = _budget_s(estimate_s)

    started = run.log.run(nvme.sanitize_argv(dev, run.method), COMMAND_TIMEOUT_S)
    problem = failure_in(started)
    if problem is not None:
        return run.outcome(
            False,
            f"le disque a refusé la commande Sanitize ({problem})",
            f"the drive refused the sanitize command ({problem})",
        )
    run.progress(0.0, "Sanitize lancé", "sanitize started")

    def read(result: RunResult) -> tuple[nvme.SanitizeLog, object] | None:
        if result.returncode != 0:
            return None
        try:
            status = nvme.parse_sanitize_log(decode(result.stdout))
        except nvme.NvmeParseError:
            return None
        return status, (status.status, int((status.progress or 0.0) * 10))

    def decide(status: nvme.SanitizeLog) -> FirmwareOutcome | None:
        if status.status == nvme.SSTAT_IN_PROGRESS:
            run.progress(status.progress, "Sanitize en cours", "sanitize in progress")
            return None
        if status.status in (nvme.SSTAT_COMPLETED, nvme.SSTAT_COMPLETED_NO_DEALLOC):
            if status.last_action is not None and status.last_action != action:
                return run.outcome(
                    False,
                    f"le journal décrit une autre action (sanact={status.last_action})",
                    f"the log describes another action (sanact={status.last_action})",
                )
            run.progress(1.0, "Sanitize terminé", "sanitize finished")
            return run.outcome(
                True,
                "Sanitize terminé avec succès selon le journal du disque",
                "sanitize completed successfully according to the drive's log",
            )
        if status.status == nvme.SSTAT_FAILED:
            return run.outcome(
                False,
                "le disque signale l'échec du Sanitize (mode échec : un nouveau "
                "Sanitize est nécessaire)",
                "the drive reports the sanitize failed (failure mode: a new sanitize is needed)",
            )
        return run.outcome(
            False,
            "le journal indique qu'aucun Sanitize n'a eu lieu malgré la commande acceptée",
            "the log says no sanitize ever ran although the command was accepted",
        )

    return _poll_sanitize(
        run,
        nvme.sanitize_log_argv(dev),
        poll_s=poll_s,
        budget_s=budget_s,
        timeout=(
            f"Sanitize non terminé après {budget_s:.0f} s (estimation du disque "
            f"{estimate_s:.0f} s)",
            f"sanitize not finished after {budget_s:.0f} s (drive estimate {estimate_s:.0f} s)",
        ),
        unreadable=("journal Sanitize illisible", "sanitize log unreadable"),
        read=read,
        decide=decide,
    )


def _nvme_format(run: _Run, caps: FirmwareCapabilities) -> FirmwareOutcome:
    info = caps.nvme
    assert info is not None  # detect() sets it whenever interface is nvme and known
    timeout_s = NVME_FORMAT_TIMEOUT_S[run.method]
    argv = nvme.format_argv(run.device_path, run.method, info, timeout_ms=timeout_s * 1000)
    run.progress(None, "formatage NVMe en cours", "NVMe format running")
    result = run.log.run(argv, timeout_s + COMMAND_TIMEOUT_S)
    problem = failure_in(result)
    if problem is None and "success formatting namespace" not in decode(result.stdout).lower():
        problem = "no 'Success formatting namespace' confirmation"
    if problem is not None:
        return run.outcome(
            False,
            f"le formatage NVMe n'a pas abouti ({problem})",
            f"the NVMe format did not complete ({problem})",
        )
    scope_fr = " (tous les espaces de noms)" if info.format_applies_to_all_namespaces else ""
    scope_en = " (all namespaces)" if info.format_applies_to_all_namespaces else ""
    run.progress(1.0, "formatage terminé", "format finished")
    return run.outcome(
        True,
        f"formatage NVMe confirmé par le contrôleur{scope_fr}",
        f"NVMe format confirmed by the controller{scope_en}",
    )


# --------------------------------------------------------------------------- ATA


def _ata_sanitize(run: _Run, caps: FirmwareCapabilities, poll_s: float) -> FirmwareOutcome:
    info = caps.ata
    assert info is not None
    dev = run.device_path
    if info.security_locked:
        return run.outcome(
            False,
            "disque verrouillé par un mot de passe ATA inconnu",
            "drive locked by an unknown ATA password",
        )
    kind = run.method.rsplit("-", 1)[1]
    estimate_s = _capacity_estimate(kind, info.capacity_bytes)
    budget_s = _budget_s(estimate_s)
    started = run.log.run(ata.sanitize_argv(dev, run.method), COMMAND_TIMEOUT_S)
    problem = failure_in(started)
    if problem is None and "operation started in background" not in decode(started.stdout).lower():
        problem = "no 'Operation started in background' confirmation"
    if problem is not None:
        return run.outcome(
            False,
            f"le disque n'a pas démarré le Sanitize ATA ({problem})",
            f"the drive did not start the ATA sanitize ({problem})",
        )
    run.progress(0.0, "Sanitize ATA lancé", "ATA sanitize started")

    def read(result: RunResult) -> tuple[ata.SanitizeStatus, object] | FirmwareOutcome | None:
        stderr = decode(result.stderr)
        if "SANITIZE device error reason" in stderr or "Sanitize Operation Failed" in (
            decode(result.stdout) + stderr
        ):
            return run.outcome(
                False,
                f"le disque signale l'échec du Sanitize ({stderr.strip()[:200]})",
                f"the drive reports the sanitize failed ({stderr.strip()[:200]})",
            )
        if failure_in(result) is not None:
            return None
        try:
            status = ata.parse_sanitize_status(decode(result.stdout))
        except ata.AtaParseError:
            return None
        key = (
            status.state,
            int((status.progress or 0.0) * 10),
            status.last_completed_without_error,
        )
        return status, key

    def decide(status: ata.SanitizeStatus) -> FirmwareOutcome | None:
        if status.state == 2:
            run.progress(status.progress, "Sanitize ATA en cours", "ATA sanitize in progress")
            return None
        if status.state == 1:
            return run.outcome(
                False,
                "Sanitize gelé (freeze lock) : éteindre et rallumer le disque",
                "sanitize frozen (freeze lock): power-cycle the drive",
            )
        if status.last_completed_without_error:
            run.progress(1.0, "Sanitize ATA terminé", "ATA sanitize finished")
            return run.outcome(
                True,
                "Sanitize ATA terminé sans erreur selon le disque",
                "ATA sanitize completed without error according to the drive",
            )
        return run.outcome(
            False,
            "le Sanitize s'est arrêté sans l'indicateur de réussite du disque",
            "the sanitize stopped without the drive's success flag",
        )

    return _poll_sanitize(
        run,
        ata.sanitize_status_argv(dev),
        poll_s=poll_s,
        budget_s=budget_s,
        timeout=(
            f"Sanitize ATA non terminé après {budget_s:.0f} s",
            f"ATA sanitize not finished after {budget_s:.0f} s",
        ),
        unreadable=("état du Sanitize illisible", "sanitize status unreadable"),
        read=read,
        decide=decide,
    )


def _identify(run: _Run) -> AtaInfo | None:
    result = run.log.run(ata.identify_argv(run.device_path), POLL_TIMEOUT_S)
    try:
        return ata.parse_identify(decode(result.stdout))
    except ata.AtaParseError:
        return None


def _security_erase_timeout_s(info: AtaInfo, enhanced: bool) -> float:
    minutes = info.enhanced_erase_time_min if enhanced else info.erase_time_min
    estimate_s = minutes * 60.0 if minutes else _capacity_estimate("overwrite", info.capacity_bytes)
    # hdparm waits up to about twice the drive's estimate itself; outlive it.
    return _budget_s(estimate_s) + 3600.0


def _ata_security_erase(run: _Run, caps: FirmwareCapabilities) -> FirmwareOutcome:
    info = caps.ata
    assert info is not None
    dev = run.device_path
    enhanced = run.method == "ata-secure-erase-enhanced"
    if info.security_frozen is not False:
        if info.security_frozen:
            argv = ata.unfreeze_command()
            return run.outcome(
                False,
                "frozen : sécurité ATA gelée par le BIOS ; une mise en veille puis un réveil "
                f"({' '.join(argv)}) la dégèle souvent",
                f"frozen: ATA security frozen by the BIOS; suspend/resume ({' '.join(argv)}) "
                "can unfreeze",
                unfreeze_argv=argv,
            )
        return run.outcome(
            False,
            "état gelé/non gelé inconnu : Security Erase non tenté",
            "frozen state unknown: Security Erase not attempted",
        )
    if info.security_locked is not False or info.security_enabled is not False:
        return run.outcome(
            False,
            "un mot de passe ATA est déjà défini (ou l'état est illisible) : Security Erase "
            "non tenté",
            "an ATA password is already set (or the state is unreadable): Security Erase "
            "not attempted",
        )
    if info.security_count_expired:
        return run.outcome(
            False,
            "compteur de tentatives ATA épuisé : éteindre et rallumer le disque",
            "ATA attempt counter expired: power-cycle the drive",
        )

    password = "lct" + secrets.token_hex(8)
    set_result = run.log.run(ata.set_password_argv(dev, password), COMMAND_TIMEOUT_S)
    problem = failure_in(set_result)
    after_set = _identify(run)
    if problem is None and (after_set is None or after_set.security_enabled is not True):
        problem = "security not enabled after setting the password"
    if problem is not None:
        return _security_cleanup(
            run,
            password,
            after_set,
            f"le mot de passe temporaire n'a pas été accepté ({problem})",
            f"the temporary password was not accepted ({problem})",
        )

    timeout_s = _security_erase_timeout_s(info, enhanced)
    minutes = info.enhanced_erase_time_min if enhanced else info.erase_time_min
    run.progress(
        None,
        f"Security Erase en cours (estimation du disque : {minutes or '?'} min)",
        f"Security Erase running (drive estimate: {minutes or '?'} min)",
    )
    erase_result = run.log.run(ata.security_erase_argv(dev, password, enhanced=enhanced), timeout_s)
    problem = failure_in(erase_result)
    after = _identify(run)
    if problem is None and (after is None or after.security_enabled is not False):
        problem = "security still enabled after the erase (the drive did not erase)"
    if problem is not None:
        return _security_cleanup(
            run,
            password,
            after,
            f"Security Erase non effectué ({problem})",
            f"Security Erase not done ({problem})",
            still_running=erase_result.returncode is None,
        )
    run.progress(1.0, "Security Erase terminé", "Security Erase finished")
    return run.outcome(
        True,
        "Security Erase terminé ; le disque a désactivé la sécurité (mot de passe effacé)",
        "Security Erase finished; the drive disabled security (password cleared)",
        temporary_password=password,
    )


def _security_cleanup(
    run: _Run,
    password: str,
    state: AtaInfo | None,
    fr: str,
    en: str,
    *,
    still_running: bool = False,
) -> FirmwareOutcome:
    """Failure path: clear our temporary password so the drive is not left locked."""
    left_enabled = False
    if state is None or state.security_enabled is not False:
        disable = run.log.run(
            ata.security_disable_argv(run.device_path, password), COMMAND_TIMEOUT_S
        )
        check = _identify(run)
        left_enabled = (
            failure_in(disable) is not None
            or check is None
            or (check.security_enabled is not False)
        )
    if left_enabled:
        fr += (
            f" ; ATTENTION : le mot de passe temporaire « {password} » est peut-être encore "
            "actif (hdparm --user-master u --security-disable <mot de passe>)"
        )
        en += (
            f"; WARNING: the temporary password '{password}' may still be set "
            "(hdparm --user-master u --security-disable <password>)"
        )
    return run.outcome(
        False,
        fr,
        en,
        temporary_password=password,
        security_left_enabled=left_enabled,
        still_running_on_drive=still_running,
    )
