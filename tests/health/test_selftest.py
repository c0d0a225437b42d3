"""Self-test progress, result, cancellation and timeout against recorded output sequences.

The sequences are built from real smartctl outputs of the corpus, edited only
where a later poll would differ (the percentage left, then the new log entry):
the Seagate OOS12000G text captured mid extended test, the WDC WD140EDFZ JSON
captured mid short test, and the Samsung 980 PRO NVMe text mid extended test.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_agent.health import load_policy
from bench_agent.health.collect import assess_output
from bench_agent.health.selftest import (
    SelfTestProgress,
    abort_argv,
    apply_self_test,
    poll_argv,
    run_self_test,
    start_argv,
)

from .sequence_host import FakeClock, SequenceHost

SMARTCTL = Path(__file__).resolve().parents[1] / "corpus" / "smartctl"
DEV = "/dev/sda"
ABORTED = b"=== START OF OFFLINE IMMEDIATE AND SELF-TEST SECTION ===\nSelf-testing aborted!\n"
STARTED = json.dumps({"smartctl": {"exit_status": 0}, "json_format_version": [1, 0]}).encode()


def seagate_frames() -> list[bytes]:
    """Seagate OOS12000G text at 30 % left (real), 20 %, 10 %, then finished."""
    real = (SMARTCTL / "text" / "Seagate_OOS12000G_selftest-in-progress.txt").read_text()
    frames = [real.encode()]
    for left in (20, 10):
        text = real.replace("( 243)", f"( {240 + left // 10})")
        text = text.replace("30% of test remaining", f"{left}% of test remaining")
        text = text.replace("in progress 30%", f"in progress {left}%")
        frames.append(text.encode())
    pad = "\n" + " " * 40
    done = real.replace(
        "( 243) Self-test routine in progress..." + pad + "30% of test remaining.",
        "(   0) The previous self-test routine completed"
        + pad
        + "without error or no self-test has ever"
        + pad
        + "been run.",
    )
    done = re.sub(
        r"# 1  Extended offline    Self-test routine in progress 30%       252         -",
        "# 1  Extended offline    Completed without error       00%       253         -",
        done,
    )
    assert done != real
    frames.append(done.encode())
    return frames


def wdc_frames(final: str = "passed") -> list[bytes]:
    """WDC WD140EDFZ JSON at 10 % left (real), edited back to 90 % and 50 %, then finished."""
    real = json.loads((SMARTCTL / "json" / "WDC_WD140EDFZ-11A0VA0_healthy.json").read_bytes())

    def at(left: int) -> bytes:
        doc = copy.deepcopy(real)
        doc["ata_smart_data"]["self_test"]["status"] = {
            "value": 0xF0 + left // 10,
            "string": f"in progress, {left}% remaining",
            "remaining_percent": left,
        }
        return json.dumps(doc).encode()

    doc: dict[str, Any] = copy.deepcopy(real)
    table = doc["ata_smart_self_test_log"]["standard"]["table"]
    if final == "passed":
        doc["ata_smart_data"]["self_test"]["status"] = {
            "value": 0,
            "string": "completed without error",
            "passed": True,
        }
        entry = {"value": 0, "string": "Completed without error", "passed": True}
        table.insert(
            0,
            {
                "type": {"value": 1, "string": "Short offline"},
                "status": entry,
                "lifetime_hours": 1731,
            },
        )
    else:
        doc["ata_smart_data"]["self_test"]["status"] = {
            "value": 0x73,
            "string": "completed with read failure",
            "passed": False,
        }
        entry = {
            "value": 0x73,
            "string": "Completed: read failure",
            "remaining_percent": 30,
            "passed": False,
        }
        table.insert(
            0,
            {
                "type": {"value": 1, "string": "Short offline"},
                "status": entry,
                "lifetime_hours": 1731,
                "lba": 123456789,
            },
        )
    return [at(90), at(50), at(10), json.dumps(doc).encode()]


def host_for(
    frames: list[bytes], kind: str = "short", baseline: bytes | None = None
) -> SequenceHost:
    test = "short" if kind == "short" else "long"
    first = baseline if baseline is not None else frames[-1].replace(b"1731", b"1700")
    return SequenceHost(
        {
            tuple(poll_argv(DEV)): [(0, first)] + [(0, f) for f in frames],
            tuple(["smartctl", "--json=c", "-t", test, DEV]): [(0, STARTED)],
            tuple(abort_argv(DEV)): [(0, ABORTED)],
        }
    )


def fixed_now() -> datetime:
    return datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_short_self_test_progress_and_pass() -> None:
    frames = wdc_frames("passed")
    real = json.loads((SMARTCTL / "json" / "WDC_WD140EDFZ-11A0VA0_healthy.json").read_bytes())
    real["ata_smart_data"]["self_test"]["status"] = {"value": 0, "string": "completed"}
    host = host_for(frames, baseline=json.dumps(real).encode())
    clock = FakeClock()
    progress: list[SelfTestProgress] = []
    result = run_self_test(
        host,
        DEV,
        "short",
        poll_interval_s=5,
        clock=clock.clock,
        sleep=clock.sleep,
        wall_clock=fixed_now,
        on_progress=progress.append,
    )
    assert result.status == "passed"
    assert [p.remaining_pct for p in progress] == [90, 50, 10, 0]
    assert progress[0].remaining_s is not None and progress[0].remaining_s > 0
    # The estimate follows the drive's pace: 50 % done in 10 s -> 10 s left.
    assert progress[1].remaining_s == 10.0
    assert clock.sleeps == [5, 5, 5, 5]
    assert tuple(start_argv(DEV, "short")) in host.calls
    assert tuple(abort_argv(DEV)) not in host.calls
    assert result.duration_s == 20.0
    assert result.started_at == "2026-11-26T08:00:00+00:00"


def test_short_self_test_read_failure_fails_the_drive() -> None:
    real = (SMARTCTL / "json" / "WDC_WD140EDFZ-11A0VA0_healthy.json").read_bytes()
    host = host_for(wdc_frames("failed"), baseline=real)
    clock = FakeClock()
    result = run_self_test(host, DEV, "short", clock=clock.clock, sleep=clock.sleep)
    assert result.status == "failed"
    assert result.lba_first_error == 123456789
    assert "read failure" in result.message.en  # type: ignore[union-attr]
    policy = load_policy()
    health = assess_output(real, policy, DEV)
    assert health.verdict == "OK"
    apply_self_test(health, result, policy)
    assert health.verdict == "FAIL"
    assert health.findings[0].code == "selftest.run_failed"
    assert health.self_test is result


def test_extended_self_test_from_text_outputs() -> None:
    frames = seagate_frames()
    host = host_for(frames, kind="extended", baseline=frames[0])
    clock = FakeClock()
    progress: list[SelfTestProgress] = []
    result = run_self_test(
        host, DEV, "extended", clock=clock.clock, sleep=clock.sleep, on_progress=progress.append
    )
    assert [p.remaining_pct for p in progress] == [30, 20, 10, 0]
    assert result.status == "passed"
    assert result.kind == "extended"


def test_cancel_sends_abort() -> None:
    frames = seagate_frames()
    host = host_for(frames, kind="extended", baseline=frames[0])
    clock = FakeClock()
    polls = iter([False, False, True])
    result = run_self_test(
        host,
        DEV,
        "extended",
        clock=clock.clock,
        sleep=clock.sleep,
        should_cancel=lambda: next(polls),
    )
    assert result.status == "aborted"
    assert result.remaining_pct == 20
    assert host.calls[-1] == tuple(abort_argv(DEV))
    assert "annulé" in result.message.fr  # type: ignore[union-attr]


def test_timeout_sends_abort() -> None:
    frames = seagate_frames()[:1]  # the drive never gets past 30 %
    host = host_for(frames, kind="extended", baseline=frames[0])
    clock = FakeClock()
    result = run_self_test(
        host,
        DEV,
        "extended",
        timeout_s=60,
        poll_interval_s=10,
        clock=clock.clock,
        sleep=clock.sleep,
    )
    assert result.status == "timeout"
    assert host.calls[-1] == tuple(abort_argv(DEV))
    assert clock.now == 60
    policy = load_policy()
    health = assess_output(frames[0], policy, DEV)
    apply_self_test(health, result, policy)
    assert health.verdict == "SUSPECT"


def test_nvme_self_test_from_text() -> None:
    real = (SMARTCTL / "text" / "Samsung_SSD_980_PRO_1TB_nvme_used13.txt").read_text()
    frames = [real.encode(), real.replace("(28% completed)", "(75% completed)").encode()]
    done = real.replace(
        "Self-test status: Extended self-test in progress (28% completed)",
        "Self-test status: No self-test in progress",
    )
    done = done.replace(
        " 0   Extended          Completed without error                3441",
        " 0   Extended          Completed: failed segments             3442"
        "            -     -   -    -\n"
        " 1   Extended          Completed without error                3441",
    )
    frames.append(done.encode())
    host = host_for(frames, kind="extended", baseline=frames[0])
    clock = FakeClock()
    progress: list[SelfTestProgress] = []
    result = run_self_test(
        host, DEV, "extended", clock=clock.clock, sleep=clock.sleep, on_progress=progress.append
    )
    assert [p.remaining_pct for p in progress][:2] == [72, 25]
    assert result.status == "failed"


def test_start_refused_is_an_answer() -> None:
    refused = json.dumps(
        {
            "smartctl": {
                "exit_status": 4,
                "messages": [
                    {
                        "string": "Can't start self-test without aborting current test",
                        "severity": "error",
                    }
                ],
            }
        }
    ).encode()
    frames = seagate_frames()
    host = SequenceHost(
        {
            tuple(poll_argv(DEV)): [(0, frames[0])],
            tuple(start_argv(DEV, "short")): [(4, refused)],
        }
    )
    result = run_self_test(host, DEV, "short", clock=FakeClock().clock, sleep=FakeClock().sleep)
    assert result.status == "unknown"
    assert "without aborting" in result.message.en  # type: ignore[union-attr]


def test_unreadable_polls_give_up() -> None:
    frames = seagate_frames()
    host = SequenceHost(
        {
            tuple(poll_argv(DEV)): [(0, frames[0]), (0, b""), (0, b"garbage")],
            tuple(start_argv(DEV, "short")): [(0, STARTED)],
        }
    )
    clock = FakeClock()
    result = run_self_test(host, DEV, "short", clock=clock.clock, sleep=clock.sleep)
    assert result.status == "unknown"
    assert len(clock.sleeps) == 3


def test_cli_self_test_ctrl_c_cancels_with_abort() -> None:
    """Ctrl-C during the wait becomes smartctl -X, and the drive keeps its SMART verdict."""
    import io

    from bench_agent.commands.health import _self_test
    from bench_agent.context import Environment

    frames = seagate_frames()
    host = host_for(frames, kind="short", baseline=frames[0])
    clock = FakeClock()
    interrupts = iter([False, True])

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if next(interrupts, False):
            raise KeyboardInterrupt

    policy = load_policy()
    health = assess_output(frames[0], policy, DEV)
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, environ={"BENCH_AGENT_LANG": "fr"})
    _self_test(host, health, "short", policy, env, sleep=sleep, clock=clock.clock)
    assert host.calls[-1] == tuple(abort_argv(DEV))
    assert health.self_test is not None and health.self_test.status == "aborted"
    assert health.verdict == "OK"
    assert "30 % restant" in err.getvalue() and "Annulation" in err.getvalue()


def test_expected_minutes_from_json_and_text() -> None:
    from bench_agent.health.selftest import expected_minutes

    wdc = (SMARTCTL / "json" / "WDC_WD140EDFZ-11A0VA0_healthy.json").read_bytes()
    seagate = (SMARTCTL / "text" / "Seagate_OOS12000G_selftest-in-progress.txt").read_bytes()
    assert expected_minutes(wdc, "short") == 2
    assert expected_minutes(wdc, "extended") == 1479
    assert expected_minutes(seagate, "extended") == 1082
    assert expected_minutes(b"garbage", "short") is None
    assert expected_minutes(b"[1]", "short") is None


def test_default_timeout_follows_the_drive_estimate() -> None:
    """Without a timeout the runner waits twice the drive's estimate plus 5 min, then aborts."""
    frames = seagate_frames()[:1]  # stuck at 30 %
    host = host_for(frames, kind="short", baseline=frames[0])
    clock = FakeClock()
    result = run_self_test(
        host, DEV, "short", poll_interval_s=60, clock=clock.clock, sleep=clock.sleep
    )
    assert result.status == "timeout"
    assert clock.now == 1 * 60 * 2 + 300  # Seagate OOS12000G: short test 1 min


def test_nvme_self_test_from_json() -> None:
    """smartctl 7.3 JSON NVMe self-test log (keys as nvmeprint.cpp writes them)."""
    real = json.loads((SMARTCTL / "json" / "Intel_SSDPEKNW010T8_healthy.json").read_bytes())

    def frame(operation: int, done: int | None, table: list[dict[str, Any]]) -> bytes:
        doc = copy.deepcopy(real)
        log: dict[str, Any] = {
            "current_self_test_operation": {
                "value": operation,
                "string": "Short self-test in progress"
                if operation
                else "No self-test in progress",
            },
            "table": table,
        }
        if done is not None:
            log["current_self_test_completion_percent"] = done
        doc["nvme_self_test_log"] = log
        return json.dumps(doc).encode()

    old = {
        "self_test_code": {"value": 1, "string": "Short"},
        "self_test_result": {"value": 0, "string": "Completed without error"},
        "power_on_hours": 2300,
    }
    new = {
        "self_test_code": {"value": 1, "string": "Short"},
        "self_test_result": {"value": 7, "string": "Completed: failed segments"},
        "power_on_hours": 2401,
        "lba": 4096,
    }
    frames = [frame(1, 40, [old]), frame(1, 80, [old]), frame(0, None, [new, old])]
    host = host_for(frames, baseline=frame(0, None, [old]))
    clock = FakeClock()
    progress: list[SelfTestProgress] = []
    result = run_self_test(
        host, DEV, "short", clock=clock.clock, sleep=clock.sleep, on_progress=progress.append
    )
    assert [p.remaining_pct for p in progress] == [60, 20, 0]
    assert result.status == "failed"
    assert result.lba_first_error == 4096
