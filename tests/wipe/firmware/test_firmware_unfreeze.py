"""Frozen ATA drives: found before erasing, suspend/resume on request, each drive asked again."""

from __future__ import annotations

from firmware_replay import RECORDED, ReplayRunner, Result, output

from wipe.firmware import frozen_drives, unfreeze

SDA, SDB = "/dev/sda", "/dev/sdb"
FROZEN = "public/micron-5300-frozen.hdparm-I.txt"
NOT_FROZEN = "public/seagate-st380011a-not-frozen.hdparm-I.txt"
RTCWAKE = ["rtcwake", "-m", "mem", "-s", "5"]


def _thawed_micron() -> Result:
    """The same Micron identify after a resume: only the frozen line changes."""
    text = (RECORDED / FROZEN).read_text()
    assert "\n\t\tfrozen\n" in text
    return Result(0, text.replace("\n\t\tfrozen\n", "\n\tnot\tfrozen\n").encode())


def test_only_drives_that_say_frozen_are_listed() -> None:
    runner = ReplayRunner(
        [
            (["hdparm", "-I", SDA], output(FROZEN)),
            (["hdparm", "-I", SDB], output(NOT_FROZEN)),
        ]
    )
    found = frozen_drives(runner, [(SDA, "sata"), (SDB, "sata"), ("/dev/sdc", "usb")])
    assert [c.device_path for c in found] == [SDA]
    runner.assert_done()  # the USB drive was not asked: a bridge hides the ATA state


def test_suspend_then_each_drive_is_asked_again() -> None:
    runner = ReplayRunner(
        [
            (RTCWAKE, Result(0, b'rtcwake: wakeup from "mem" using /dev/rtc0 at ...\n')),
            (["hdparm", "-I", SDA], _thawed_micron()),
            (["hdparm", "-I", SDB], output(FROZEN)),
            (["hdparm", "-I", "/dev/sdc"], Result(0, b"")),  # answered nothing
        ]
    )
    report = unfreeze(runner, [(SDA, "sata"), (SDB, "sata"), ("/dev/sdc", "sata")])
    runner.assert_done()
    assert report.suspended
    assert report.unfrozen == (SDA,)
    assert report.still_frozen == (SDB,)
    assert report.unknown == ("/dev/sdc",)
    assert report.command["argv"] == RTCWAKE


def test_a_failed_suspend_is_reported_not_assumed() -> None:
    runner = ReplayRunner(
        [
            (RTCWAKE, Result(1, b"", b"rtcwake: write error\n")),
            (["hdparm", "-I", SDA], output(FROZEN)),
        ]
    )
    report = unfreeze(runner, [(SDA, "sata")])
    assert not report.suspended
    assert report.still_frozen == (SDA,) and report.unfrozen == ()
    assert report.command["returncode"] == 1


class _Tty:
    """A terminal on stdin that answers ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer + "\n"


def _erase_args(**over: object) -> object:
    import argparse

    base = {"dry_run": False, "unfreeze": False, "yes_i_know": False}
    return argparse.Namespace(**{**base, **over})


def _plan(path: str) -> object:
    """The plan of a SATA drive about to get the policy's firmware method."""
    import types

    from bench_agent.bench.erasure import DrivePlan

    target = types.SimpleNamespace(device_path=path, transport="sata", erasable=True)
    return DrivePlan(target, None, "auto", None, 0.0)  # type: ignore[arg-type]


def _env():  # type: ignore[no-untyped-def]
    import io

    from bench_agent.context import Environment

    return Environment(stdout=io.StringIO(), stderr=io.StringIO(), lang="fr")


def test_erase_command_suspends_on_unfreeze_and_says_which_drive_thawed() -> None:
    from bench_agent.commands.erase import offer_unfreeze

    runner = ReplayRunner(
        [
            (["hdparm", "-I", SDA], output(FROZEN)),
            (RTCWAKE, Result(0, b"")),
            (["hdparm", "-I", SDA], _thawed_micron()),
        ]
    )
    env = _env()
    offer_unfreeze([_plan(SDA)], runner, _erase_args(unfreeze=True), env)  # type: ignore[arg-type]
    runner.assert_done()
    err = env.stderr.getvalue()
    assert "Disque gelé par le BIOS" in err and "Dégelé : /dev/sda" in err


def test_unattended_station_never_suspends_without_the_flag(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bench_agent.commands.erase import offer_unfreeze

    monkeypatch.setattr("sys.stdin", _Tty("o"))
    runner = ReplayRunner([(["hdparm", "-I", SDA], output(FROZEN))])
    env = _env()
    offer_unfreeze([_plan(SDA)], runner, _erase_args(yes_i_know=True), env)  # type: ignore[arg-type]
    runner.assert_done()  # no rtcwake
    assert "Pas de mise en veille sans --unfreeze" in env.stderr.getvalue()


def test_technician_is_asked_and_a_no_means_no(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bench_agent.commands.erase import offer_unfreeze

    monkeypatch.setattr("sys.stdin", _Tty("n"))
    runner = ReplayRunner([(["hdparm", "-I", SDA], output(FROZEN))])
    env = _env()
    offer_unfreeze([_plan(SDA)], runner, _erase_args(), env)  # type: ignore[arg-type]
    runner.assert_done()
    assert "[o/N]" in env.stdout.getvalue()

    monkeypatch.setattr("sys.stdin", _Tty("oui"))
    runner = ReplayRunner(
        [
            (["hdparm", "-I", SDA], output(FROZEN)),
            (RTCWAKE, Result(0, b"")),
            (["hdparm", "-I", SDA], output(FROZEN)),
        ]
    )
    env = _env()
    offer_unfreeze([_plan(SDA)], runner, _erase_args(), env)  # type: ignore[arg-type]
    runner.assert_done()
    assert "Toujours gelé : /dev/sda — l'écrasement sera utilisé" in env.stderr.getvalue()
