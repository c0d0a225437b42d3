"""Running a drive's own self-test (short or extended) through smartctl, with progress.

The test runs inside the drive; the bench starts it (``smartctl -t``), polls the
self-test status and log (``smartctl -c -l selftest``: ATA execution status
byte, NVMe device self-test log, SCSI log) and reports the percentage left and
an estimate of the time left. It can be cancelled (``smartctl -X``) and has a
timeout. Clock and sleep are injected so tests replay a recorded sequence of
outputs without waiting.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bench_agent.health.collect import parse_output
from bench_agent.health.policy import Policy
from bench_agent.health.smart import SelfTestEntry, SmartctlOutputError, SmartData
from bench_agent.health.verdict import worst
from bench_agent.host.base import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Text
from bench_agent.model.health import DiskHealth, Finding, SelfTestResult

Kind = Literal["short", "extended"]
SMARTCTL_TEST_NAME = {"short": "short", "extended": "long"}
DEFAULT_MINUTES = {"short": 2, "extended": 120}
"""Used when the drive does not say how long its test takes (NVMe, SCSI)."""
MAX_POLL_FAILURES = 3


@dataclass(frozen=True, slots=True)
class SelfTestProgress:
    """One progress report, posted after each poll."""

    device: str
    kind: Kind
    remaining_pct: int | None
    remaining_s: float | None
    elapsed_s: float


def _dtype(device_type: str | None) -> list[str]:
    return ["-d", device_type] if device_type else []


def poll_argv(device: str, device_type: str | None = None) -> list[str]:
    return ["smartctl", "--json=c", *_dtype(device_type), "-c", "-l", "selftest", device]


def start_argv(device: str, kind: Kind, device_type: str | None = None) -> list[str]:
    return ["smartctl", "--json=c", *_dtype(device_type), "-t", SMARTCTL_TEST_NAME[kind], device]


def abort_argv(device: str, device_type: str | None = None) -> list[str]:
    return ["smartctl", *_dtype(device_type), "-X", device]


_TEXT_MINUTES = {
    "short": re.compile(r"Short self-test routine\s*\n\s*recommended polling time:\s*\(\s*(\d+)\)"),
    "extended": re.compile(
        r"Extended self-test routine\s*\n\s*recommended polling time:\s*\(\s*(\d+)\)"
    ),
}


def expected_minutes(output: bytes, kind: Kind) -> int | None:
    """The drive's own estimate of the test's duration, from ``smartctl -c`` (JSON or text)."""
    text = output.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        match = _TEXT_MINUTES[kind].search(text)
        return int(match.group(1)) if match else None
    if not isinstance(doc, dict):
        return None
    polling = doc.get("ata_smart_data", {})
    polling = polling.get("self_test", {}) if isinstance(polling, dict) else {}
    polling = polling.get("polling_minutes", {}) if isinstance(polling, dict) else {}
    value = polling.get(kind) if isinstance(polling, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _signature(data: SmartData) -> tuple[int, tuple[str, str, int | None] | None]:
    top = data.self_tests[0] if data.self_tests else None
    return len(data.self_tests), None if top is None else (top.kind, top.status, top.lifetime_hours)


def _finished_status(
    top: SelfTestEntry | None, status_value: int | None
) -> Literal["passed", "failed", "aborted", "interrupted", "unknown"]:
    if top is not None and top.outcome in ("passed", "failed", "aborted", "interrupted"):
        return top.outcome
    if status_value is not None:
        code = status_value >> 4
        if code == 0:
            return "passed"
        if code == 1:
            return "aborted"
        if code == 2:
            return "interrupted"
        if 3 <= code <= 8:
            return "failed"
    return "unknown"


def run_self_test(
    host: Host,
    device: str,
    kind: Kind = "short",
    *,
    device_type: str | None = None,
    timeout_s: float | None = None,
    poll_interval_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], datetime] | None = None,
    on_progress: Callable[[SelfTestProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> SelfTestResult:
    """Start a self-test, follow it to the end (or cancel/timeout) and return its result."""
    now = wall_clock or (lambda: datetime.now(UTC))
    started_at = now().isoformat(timespec="seconds")

    def result(
        status: Literal[
            "passed", "failed", "aborted", "interrupted", "in_progress", "timeout", "unknown"
        ],
        message: Text | None = None,
        remaining: int | None = None,
        lba: int | None = None,
        elapsed: float | None = None,
    ) -> SelfTestResult:
        return SelfTestResult(
            kind=kind,
            status=status,
            started_at=started_at,
            finished_at=now().isoformat(timespec="seconds"),
            remaining_pct=remaining,
            lba_first_error=lba,
            message=message,
            duration_s=None if elapsed is None else round(elapsed, 3),
        )

    before = host.run(poll_argv(device, device_type), timeout_s=60.0)
    if before.error is not None:
        return result(
            "unknown",
            _t("smartctl n'a pas répondu ({error}).", error=before.error),
        )
    minutes = expected_minutes(before.stdout, kind) or DEFAULT_MINUTES[kind]
    try:
        baseline = _signature(parse_output(before.stdout))
    except SmartctlOutputError:
        baseline = (0, None)
    limit_s = timeout_s if timeout_s is not None else minutes * 60 * 2 + 300
    started = host.run(start_argv(device, kind, device_type), timeout_s=60.0)
    if started.error is not None or started.returncode is None or started.returncode & 0b111:
        said = _messages(started.stdout) or started.stderr.decode("utf-8", errors="replace").strip()
        return result(
            "unknown",
            _t(
                "L'autotest n'a pas pu démarrer ({said}).",
                said=said or started.error or started.returncode,
            ),
        )
    t0 = clock()
    seen_running = False
    failures = 0
    remaining: int | None = 100
    while True:
        elapsed = clock() - t0
        if should_cancel is not None and should_cancel():
            host.run(abort_argv(device, device_type), timeout_s=60.0)
            return result(
                "aborted",
                _t("Autotest annulé par le technicien."),
                remaining,
                elapsed=elapsed,
            )
        if elapsed >= limit_s:
            host.run(abort_argv(device, device_type), timeout_s=60.0)
            return result(
                "timeout",
                _t(
                    "Autotest arrêté : pas terminé après {limit_min:.0f} min.",
                    limit_min=limit_s / 60,
                ),
                remaining,
                elapsed=elapsed,
            )
        sleep(poll_interval_s)
        polled = host.run(poll_argv(device, device_type), timeout_s=60.0)
        try:
            data = parse_output(polled.stdout)
        except SmartctlOutputError:
            failures += 1
            if failures >= MAX_POLL_FAILURES:
                return result(
                    "unknown",
                    _t("Impossible de suivre l'autotest (sortie de smartctl illisible)."),
                    remaining,
                    elapsed=clock() - t0,
                )
            continue
        failures = 0
        elapsed = clock() - t0
        if data.self_test_running:
            seen_running = True
            remaining = data.self_test_remaining_pct
            if on_progress is not None:
                on_progress(
                    SelfTestProgress(
                        device, kind, remaining, _remaining_s(remaining, minutes, elapsed), elapsed
                    )
                )
            continue
        if not seen_running and _signature(data) == baseline and elapsed < poll_interval_s * 3:
            continue  # the drive has not registered the test yet
        top = data.self_tests[0] if data.self_tests else None
        if _signature(data) == baseline:
            top = None  # no new log entry: judge from the status byte alone
        status = _finished_status(top, data.self_test_status_value)
        if on_progress is not None:
            on_progress(SelfTestProgress(device, kind, 0, 0.0, elapsed))
        label = top.status if top is not None else status
        return result(
            status,
            _t("Autotest terminé : {label}.", label=label),
            0 if status == "passed" else (top.remaining_pct if top else None),
            lba=top.lba_first_error if top else None,
            elapsed=elapsed,
        )


def not_recorded(kind: Kind) -> SelfTestResult:
    """The answer when a recorded machine has no self-test recording."""
    return SelfTestResult(
        kind=kind,
        status="unknown",
        message=_t("Autotest non enregistré pour cette machine."),
    )


def _remaining_s(remaining: int | None, minutes: int, elapsed: float) -> float | None:
    if remaining is None:
        return None
    done = 100 - remaining
    if done >= 10 and elapsed > 0:
        # The drive's own pace beats its nominal duration once it has some progress.
        return round(elapsed * remaining / done, 1)
    return round(minutes * 60 * remaining / 100, 1)


def _messages(stdout: bytes) -> str:
    try:
        doc = json.loads(stdout.decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError):
        return ""
    if not isinstance(doc, dict):
        return ""
    smartctl = doc.get("smartctl")
    messages = smartctl.get("messages") if isinstance(smartctl, dict) else None
    if not isinstance(messages, list):
        return ""
    return "; ".join(str(m.get("string")) for m in messages if isinstance(m, dict))


def apply_self_test(health: DiskHealth, test: SelfTestResult, policy: Policy) -> DiskHealth:
    """Record a self-test in ``health`` and let a failure or timeout weigh on the verdict."""
    health.self_test = test
    severity: Literal["INFO", "SUSPECT", "FAIL"] | None = None
    if test.status == "failed":
        severity = "FAIL" if policy.self_test.failed == "FAIL" else "SUSPECT"
    elif test.status == "timeout":
        severity = "SUSPECT"
    elif test.status in ("aborted", "interrupted", "unknown"):
        severity = "INFO"
    if severity is None:
        return health
    message = test.message or _t("Autotest non concluant.")
    health.findings.insert(
        0,
        Finding(
            code=f"selftest.run_{test.status}",
            severity=severity,
            attribute=f"self_test.{test.kind}",
            value=test.status,
            threshold=None,
            message=message,
        ),
    )
    if health.verdict != "UNKNOWN" or severity == "FAIL":
        verdict = worst([f for f in health.findings if f.severity != "UNKNOWN"])
        if verdict != health.verdict and severity != "INFO":
            health.verdict = verdict
            health.reason = message
    return health
