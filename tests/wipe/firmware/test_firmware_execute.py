"""execute(): command sequences, polling with a fake clock, timeouts, cancellation, failures.

Every drive answer comes from recorded/ (see its README). A few results are
derived from a genuine capture and say so: the QEMU stdout of a command with
its stderr error removed stands for the same command succeeding on a drive that
implements it.
"""

from __future__ import annotations

import pytest
from firmware_replay import (
    ANY,
    RECORDED,
    FakeClock,
    FlagEvent,
    ReplayRunner,
    Result,
    output,
    recording,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from wipe.firmware import FirmwareOutcome, FirmwareProgress, execute, unfreeze_command

NVME = "/dev/nvme0n1"
SDA = "/dev/sda"
INTEL = "public/intel-ssdsc2bb480g7k-not-frozen.hdparm-I.txt"


class Harness:
    """One execute() call with a replaying runner, a fake clock and a progress log."""

    def __init__(self, steps: list[tuple[list[object], Result]]) -> None:
        self.runner = ReplayRunner(steps)
        self.clock = FakeClock()
        self.progress: list[FirmwareProgress] = []

    def run(
        self, device: str, method: str, cancel: object = None, poll_s: float = 5.0
    ) -> FirmwareOutcome:
        outcome = execute(
            self.runner,
            device,
            method,
            self.progress.append,
            cancel,  # type: ignore[arg-type]
            clock=self.clock,
            sleep=self.clock.sleep,
            poll_interval_s=poll_s,
        )
        self.runner.assert_done()
        return outcome

    @property
    def fractions(self) -> list[float | None]:
        return [p.fraction for p in self.progress]


def nvme_detect(id_ctrl: Result) -> list[tuple[list[object], Result]]:
    return [
        (["nvme", "id-ctrl", "-o", "json", NVME], id_ctrl),
        recording("qemu/nvme-id-ns"),
    ]


def toshiba() -> list[tuple[list[object], Result]]:
    return nvme_detect(output("public/toshiba-kxg6aznv512g.id-ctrl.json"))


def sanlog(name: str) -> tuple[list[object], Result]:
    return (
        ["nvme", "sanitize-log", "-o", "json", NVME],
        output(f"formatted/nvme-sanitize-log-{name}.stdout"),
    )


SANITIZE_CRYPTO = (["nvme", "sanitize", "--sanact=4", NVME], Result(0))


# ------------------------------------------------------------------ NVMe Format


def test_qemu_format_user_data_completes() -> None:
    h = Harness(
        [*nvme_detect(recording("qemu/nvme-id-ctrl")[1]), recording("qemu/nvme-format-user")]
    )
    outcome = h.run(NVME, "nvme-format-user")
    assert outcome.completed
    assert outcome.nist_level is None  # Format claims no level: the engine's overwrite does
    assert "confirmed" in outcome.reason_en and "confirmé" in outcome.reason_fr
    assert [c["argv"][1] for c in outcome.commands] == ["id-ctrl", "id-ns", "format"]
    assert h.fractions == [None, 1.0]


def test_qemu_crypto_format_is_not_offered() -> None:
    # QEMU accepts --ses=2 although fna says crypto erase is unsupported: never send it.
    h = Harness(nvme_detect(recording("qemu/nvme-id-ctrl")[1]))
    outcome = h.run(NVME, "nvme-format-crypto")
    assert not outcome.completed
    assert "does not offer" in outcome.reason_en
    assert all(c["argv"][1] != "format" for c in outcome.commands)


def test_format_without_success_line_is_not_completed() -> None:
    argv, _ = recording("qemu/nvme-format-user")
    h = Harness([*nvme_detect(recording("qemu/nvme-id-ctrl")[1]), (argv, Result(0, b"", b""))])
    outcome = h.run(NVME, "nvme-format-user")
    assert not outcome.completed
    assert "Success formatting namespace" in outcome.reason_en


# ---------------------------------------------------------------- NVMe Sanitize


def test_sanitize_polls_in_progress_then_done() -> None:
    h = Harness(
        [
            *toshiba(),
            sanlog("never"),
            SANITIZE_CRYPTO,
            sanlog("crypto-25pct"),
            sanlog("crypto-75pct"),
            sanlog("crypto-done"),
        ]
    )
    outcome = h.run(NVME, "nvme-sanitize-crypto", poll_s=2.0)
    assert outcome.completed
    assert outcome.nist_level == "purge"
    assert h.fractions == [0.0, 0.25, 0.75, 1.0]
    assert h.clock.sleeps == [2.0, 2.0, 2.0]
    assert outcome.duration_s == pytest.approx(6.0)
    assert [c["argv"][1] for c in outcome.commands][-4:] == ["sanitize"] + ["sanitize-log"] * 3


def test_sanitize_in_progress_then_failed() -> None:
    h = Harness(
        [
            *toshiba(),
            sanlog("never"),
            SANITIZE_CRYPTO,
            sanlog("crypto-25pct"),
            sanlog("crypto-failed"),
        ]
    )
    outcome = h.run(NVME, "nvme-sanitize-crypto")
    assert not outcome.completed
    assert outcome.nist_level is None
    assert "failed" in outcome.reason_en and "échec" in outcome.reason_fr


def test_sanitize_times_out_from_the_drive_estimate() -> None:
    # The drive estimates 10 s for a crypto erase: budget 2 x 10 + 600 s.
    h = Harness([*toshiba(), sanlog("never"), SANITIZE_CRYPTO, *[sanlog("crypto-25pct")] * 3])
    outcome = h.run(NVME, "nvme-sanitize-crypto", poll_s=300.0)
    assert not outcome.completed
    assert outcome.still_running_on_drive
    assert "620 s" in outcome.reason_en
    assert len(h.clock.sleeps) == 3
    # Identical polls are recorded once, plus the last one.
    assert sum(c["argv"][1] == "sanitize-log" for c in outcome.commands) == 3


def test_sanitize_cancelled_between_polls() -> None:
    # is_set() calls: before the first erase command, then once per poll loop.
    h = Harness([*toshiba(), sanlog("never"), SANITIZE_CRYPTO, sanlog("crypto-25pct")])
    outcome = h.run(NVME, "nvme-sanitize-crypto", cancel=FlagEvent(after=2))
    assert not outcome.completed
    assert outcome.cancelled and outcome.still_running_on_drive
    assert "cancelled" in outcome.reason_en


def test_cancel_before_start_sends_no_erase_command() -> None:
    h = Harness(toshiba())
    outcome = h.run(NVME, "nvme-sanitize-crypto", cancel=FlagEvent(after=0))
    assert outcome.cancelled and not outcome.completed
    assert not outcome.still_running_on_drive


def test_sanitize_refused_by_the_controller() -> None:
    # QEMU's answer to a sanitize command (exit 1, "NVMe status: Invalid Command Opcode").
    _, refused = recording("qemu/nvme-sanitize-crypto")
    h = Harness([*toshiba(), sanlog("never"), (SANITIZE_CRYPTO[0], refused)])
    outcome = h.run(NVME, "nvme-sanitize-crypto")
    assert not outcome.completed
    assert "nvme status" in outcome.reason_en.lower()


def test_sanitize_already_running_is_not_restarted() -> None:
    h = Harness([*toshiba(), sanlog("block-in-progress")])
    outcome = h.run(NVME, "nvme-sanitize-block")
    assert not outcome.completed and outcome.still_running_on_drive
    assert "already running" in outcome.reason_en


def test_sanitize_log_unreadable_three_times() -> None:
    _, unreadable = recording("qemu/nvme-sanitize-log")  # exit 1, Invalid Field
    log_argv = ["nvme", "sanitize-log", "-o", "json", NVME]
    h = Harness(
        [*toshiba(), (log_argv, unreadable), SANITIZE_CRYPTO, *[(log_argv, unreadable)] * 3]
    )
    outcome = h.run(NVME, "nvme-sanitize-crypto")
    assert not outcome.completed
    assert "unreadable 3 times" in outcome.reason_en


def test_sanitize_not_offered_by_qemu() -> None:
    h = Harness(nvme_detect(recording("qemu/nvme-id-ctrl")[1]))
    outcome = h.run(NVME, "nvme-sanitize-block")
    assert not outcome.completed and "does not offer" in outcome.reason_en


# ----------------------------------------------------------------- ATA Sanitize


def intel_identify() -> tuple[list[object], Result]:
    return (["hdparm", "-I", SDA], output(INTEL))


ATA_BLOCK = ["hdparm", "--yes-i-know-what-i-am-doing", "--sanitize-block-erase", SDA]
ATA_STATUS = ["hdparm", "--sanitize-status", SDA]


def status(name: str, rc: int = 0, stderr: str | None = None) -> tuple[list[object], Result]:
    return (ATA_STATUS, output(f"formatted/hdparm-sanitize-status-{name}.stdout", rc, stderr))


def test_ata_sanitize_block_erase_polls_to_success() -> None:
    h = Harness(
        [
            intel_identify(),
            (ATA_BLOCK, output("formatted/hdparm-sanitize-block-started.stdout")),
            status("25pct"),
            status("90pct"),
            status("done"),
        ]
    )
    outcome = h.run(SDA, "ata-sanitize-block")
    assert outcome.completed and outcome.nist_level == "purge"
    assert h.fractions[0] == 0.0 and h.fractions[-1] == 1.0
    assert h.fractions[1] == pytest.approx(0x41C2 / 0xFFFF)


def test_ata_sanitize_failed_state() -> None:
    h = Harness(
        [
            intel_identify(),
            (ATA_BLOCK, output("formatted/hdparm-sanitize-block-started.stdout")),
            status("25pct"),
            status("failed", 5, "formatted/hdparm-sanitize-status-failed.stderr"),
        ]
    )
    outcome = h.run(SDA, "ata-sanitize-block")
    assert not outcome.completed
    assert "Last Sanitize Command completed unsuccessfully" in outcome.reason_en


def test_ata_sanitize_idle_without_success_flag() -> None:
    h = Harness(
        [
            intel_identify(),
            (ATA_BLOCK, output("formatted/hdparm-sanitize-block-started.stdout")),
            status("idle-no-flag"),
        ]
    )
    outcome = h.run(SDA, "ata-sanitize-block")
    assert not outcome.completed and "success flag" in outcome.reason_en


@pytest.mark.parametrize(
    "start",
    [
        recording("qemu/hdparm-sanitize-block")[1],  # exit 22, feature set not supported
        recording("host-loop/hdparm-N")[1],  # exit 0, prints only the device name
    ],
    ids=["refused", "exit-0-nothing-done"],
)
def test_ata_sanitize_start_not_confirmed(start: Result) -> None:
    h = Harness([intel_identify(), (ATA_BLOCK, start)])
    outcome = h.run(SDA, "ata-sanitize-block")
    assert not outcome.completed
    assert not outcome.still_running_on_drive


# ---------------------------------------------------------- ATA Security Erase

INTEL_TEXT = (RECORDED / INTEL).read_text()
# The same drive once a user password is set (the state hdparm -I shows then).
INTEL_ENABLED = INTEL_TEXT.replace(
    "        not     enabled\n", "                enabled\n        Security level high\n"
)


def ident(text: str) -> tuple[list[object], Result]:
    return (["hdparm", "-I", SDA], Result(0, text.encode()))


def ok(qemu_name: str) -> Result:
    """The genuine stdout of a QEMU capture without its stderr error: the drive accepted it."""
    return Result(0, recording(qemu_name)[1].stdout, b"")


SET_PASS = ["hdparm", "--user-master", "u", "--security-set-pass", ANY, SDA]
ERASE = ["hdparm", "--user-master", "u", "--security-erase", ANY, SDA]
ERASE_ENHANCED = ["hdparm", "--user-master", "u", "--security-erase-enhanced", ANY, SDA]
DISABLE = ["hdparm", "--user-master", "u", "--security-disable", ANY, SDA]


def test_frozen_drive_is_refused_with_unfreeze_hint() -> None:
    h = Harness([(["hdparm", "-I", SDA], output("public/micron-5300-frozen.hdparm-I.txt"))])
    outcome = h.run(SDA, "ata-secure-erase-enhanced")
    assert not outcome.completed
    assert outcome.reason_en.startswith("frozen: ")
    assert "suspend/resume (rtcwake -m mem -s 5) can unfreeze" in outcome.reason_en
    assert "rtcwake -m mem -s 5" in outcome.reason_fr
    assert outcome.unfreeze_argv == unfreeze_command() == ["rtcwake", "-m", "mem", "-s", "5"]
    assert len(outcome.commands) == 1  # nothing but the identify


def test_exit_0_with_aborted_command_erased_nothing() -> None:
    """QEMU: --security-erase exits 0, the drive aborted it (sense key 0x0b), nothing erased."""
    _, qemu_erase = recording("qemu/hdparm-security-erase")
    assert qemu_erase.returncode == 0
    h = Harness(
        [
            ident(INTEL_TEXT),
            (SET_PASS, ok("qemu/hdparm-security-set-pass")),
            ident(INTEL_ENABLED),
            (ERASE, qemu_erase),
            ident(INTEL_ENABLED),
            (DISABLE, ok("qemu/hdparm-security-disable")),
            ident(INTEL_TEXT),
        ]
    )
    outcome = h.run(SDA, "ata-secure-erase")
    assert not outcome.completed
    assert outcome.nist_level is None
    assert "bad/missing sense data" in outcome.reason_en
    assert not outcome.security_left_enabled  # our password was cleared
    passwords = {argv[4] for argv, _ in h.runner.calls if "--user-master" in argv}
    assert passwords == {outcome.temporary_password}


def test_literal_aborted_command_on_stderr() -> None:
    aborted = Result(0, ok("qemu/hdparm-security-erase").stdout, b"ABORTED COMMAND\n")
    h = Harness(
        [
            ident(INTEL_TEXT),
            (SET_PASS, ok("qemu/hdparm-security-set-pass")),
            ident(INTEL_ENABLED),
            (ERASE_ENHANCED, aborted),
            ident(INTEL_ENABLED),
            (DISABLE, ok("qemu/hdparm-security-disable")),
            ident(INTEL_TEXT),
        ]
    )
    outcome = h.run(SDA, "ata-secure-erase-enhanced")
    assert not outcome.completed and "ABORTED COMMAND" in outcome.reason_en


def test_security_erase_success_requires_security_disabled_afterwards() -> None:
    h = Harness(
        [
            ident(INTEL_TEXT),
            (SET_PASS, ok("qemu/hdparm-security-set-pass")),
            ident(INTEL_ENABLED),
            (ERASE_ENHANCED, ok("qemu/hdparm-security-erase-enhanced")),
            ident(INTEL_TEXT),
        ]
    )
    outcome = h.run(SDA, "ata-secure-erase-enhanced")
    assert outcome.completed
    assert outcome.nist_level is None  # no level claimed for Security Erase
    # The erase timeout outlives hdparm's own (drive estimate 4 min for enhanced erase).
    erase_timeout = next(t for argv, t in h.runner.calls if "--security-erase-enhanced" in argv)
    assert erase_timeout > 2 * 4 * 60


def test_exit_0_but_security_still_enabled_is_not_completed() -> None:
    h = Harness(
        [
            ident(INTEL_TEXT),
            (SET_PASS, ok("qemu/hdparm-security-set-pass")),
            ident(INTEL_ENABLED),
            (ERASE, ok("qemu/hdparm-security-erase")),
            ident(INTEL_ENABLED),
            (DISABLE, recording("qemu/hdparm-security-disable")[1]),  # aborted too
            ident(INTEL_ENABLED),
        ]
    )
    outcome = h.run(SDA, "ata-secure-erase")
    assert not outcome.completed
    assert outcome.security_left_enabled
    assert outcome.temporary_password is not None
    assert outcome.temporary_password in outcome.reason_en
    assert "WARNING" in outcome.reason_en and "ATTENTION" in outcome.reason_fr


def test_password_not_taken_stops_before_erasing() -> None:
    # QEMU's set-pass: exit 0 but the drive aborted it; the drive stays "not enabled".
    h = Harness(
        [
            ident(INTEL_TEXT),
            (SET_PASS, recording("qemu/hdparm-security-set-pass")[1]),
            ident(INTEL_TEXT),
        ]
    )
    outcome = h.run(SDA, "ata-secure-erase")
    assert not outcome.completed
    assert "password was not accepted" in outcome.reason_en
    assert not any("--security-erase" in argv for argv, _ in h.runner.calls)


def test_erase_timeout_reports_drive_may_still_be_busy() -> None:
    h = Harness(
        [
            ident(INTEL_TEXT),
            (SET_PASS, ok("qemu/hdparm-security-set-pass")),
            ident(INTEL_ENABLED),
            (ERASE, Result(None, error="timeout")),
            ident(INTEL_ENABLED),
            (DISABLE, Result(None, error="timeout")),
            ident(INTEL_ENABLED),
        ]
    )
    outcome = h.run(SDA, "ata-secure-erase")
    assert not outcome.completed
    assert outcome.still_running_on_drive and outcome.security_left_enabled
    assert "timeout" in outcome.reason_en


def test_drive_with_password_already_set_is_refused() -> None:
    h = Harness([ident(INTEL_ENABLED)])
    outcome = h.run(SDA, "ata-secure-erase")
    assert not outcome.completed and "already set" in outcome.reason_en


# ------------------------------------------------------------------ misc


def test_unknown_method_runs_nothing() -> None:
    h = Harness([])
    outcome = h.run(SDA, "gutmann-firmware")
    assert not outcome.completed and "unknown firmware method" in outcome.reason_en


def test_ata_method_on_nvme_drive_is_refused() -> None:
    h = Harness(toshiba())
    outcome = h.run(NVME, "ata-sanitize-block")
    assert not outcome.completed and "does not offer" in outcome.reason_en


def test_outcome_serialises() -> None:
    h = Harness(
        [*nvme_detect(recording("qemu/nvme-id-ctrl")[1]), recording("qemu/nvme-format-user")]
    )
    data = h.run(NVME, "nvme-format-user").to_dict()
    assert data["completed"] is True
    assert data["commands"][-1]["stdout"] == "Success formatting namespace:1\n"


class RaisingRunner:
    def run(self, argv: list[str], timeout_s: float) -> Result:
        raise FileNotFoundError(2, "No such file or directory", argv[0])


def test_runner_raising_oserror_is_a_recorded_failure() -> None:
    outcome = execute(RaisingRunner(), SDA, "ata-sanitize-block")  # type: ignore[arg-type]
    assert not outcome.completed
    assert "FileNotFoundError" in outcome.reason_en
    assert outcome.commands[0]["returncode"] is None


POLL_ANSWERS = {
    "25": output("formatted/nvme-sanitize-log-crypto-25pct.stdout"),
    "75": output("formatted/nvme-sanitize-log-crypto-75pct.stdout"),
    "done": output("formatted/nvme-sanitize-log-crypto-done.stdout"),
    "failed": output("formatted/nvme-sanitize-log-crypto-failed.stdout"),
    "garbage": Result(0, b'{"nvme0n1": {"sprog": '),
    "refused": recording("qemu/nvme-sanitize-log")[1],
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(POLL_ANSWERS)), max_size=12))
def test_sanitize_poll_sequences(answers: list[str]) -> None:
    """Completed exactly when the drive's first final answer is success."""
    answers = [*answers, "done"]
    expected = None
    unreadable = 0
    for answer in answers:
        if answer in {"garbage", "refused"}:
            unreadable += 1
            if unreadable == 3:
                expected = False
                break
            continue
        unreadable = 0
        if answer in {"done", "failed"}:
            expected = answer == "done"
            break
    log_argv = ["nvme", "sanitize-log", "-o", "json", NVME]
    runner = ReplayRunner(
        [
            *toshiba(),
            sanlog("never"),
            SANITIZE_CRYPTO,
            *[(log_argv, POLL_ANSWERS[a]) for a in answers],
        ]
    )
    clock = FakeClock()
    outcome = execute(runner, NVME, "nvme-sanitize-crypto", clock=clock, sleep=clock.sleep)
    assert outcome.completed is expected
    assert (outcome.nist_level == "purge") is expected
