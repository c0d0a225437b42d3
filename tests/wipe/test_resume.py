"""A run killed mid-way (SIGKILL, a real process) leaves an INTERRUPTED record and can resume;
only the disk's latest session may be resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from wipe.certificate import verify_certificate
from wipe.engine import (
    EraseContext,
    EraseOutcome,
    EraseRequest,
    ResumeError,
    erase_device,
    find_resume_point,
    record_interrupted,
)
from wipe.journal import Journal, verify_journal
from wipe.methods import load_method
from wipe.overwrite import RunOptions
from wipe.patterns import KEYSTREAM_LAYOUT
from wipe.policy import load_policy
from wipe.signing import BenchKey
from wipe.targets import Target

SIZE = 16 << 20
REPO = Path(__file__).resolve().parents[2]

KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from wipe.engine import EraseContext, EraseRequest, erase_device
    from wipe.journal import Journal
    from wipe.methods import load_method
    from wipe.overwrite import RunOptions
    from wipe.policy import load_policy
    from wipe.signing import BenchKey
    from wipe.targets import Target

    key = BenchKey.load({key!r})
    ticks = iter(range(10**9))

    def progress(p):
        # Power cut in the middle of the second pass.
        if p.phase == "write" and p.pass_index == 1 and p.bytes_done >= p.bytes_total // 2:
            os.kill(os.getpid(), signal.SIGKILL)

    ctx = EraseContext(key=key, journal=Journal({journal!r}, key), cert_dir=Path({certs!r}),
                       policy=load_policy(), progress=progress,
                       options=RunOptions(block_bytes=1 << 20, clock=lambda: next(ticks)))
    target = Target(name="drive", device_path={drive!r}, model="M", serial="SER-1",
                    size_bytes={size}, transport="sata", rotational=True, media="hdd")
    m = load_method("dod-3pass")
    erase_device(EraseRequest(target=target, method=m, verification=m.verification,
                              confirmed=True), ctx)
    """
)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    key_file = tmp_path / "key.pem"
    BenchKey.load_or_create(key_file)
    drive = tmp_path / "drive.img"
    drive.write_bytes(b"DONOR-DATA" * (SIZE // 10) + b"x" * (SIZE % 10))
    return {
        "key": key_file,
        "drive": drive,
        "journal": tmp_path / "j.jsonl",
        "certs": tmp_path / "certs",
    }


def _kill_mid_way(
    paths: dict[str, Path], when: str = 'p.phase == "write" and p.pass_index == 1'
) -> None:
    """Run dod-3pass in a real process and SIGKILL it once ``when`` holds in a progress
    report (past the half of that phase)."""
    template = KILLED_RUN.replace('p.phase == "write" and p.pass_index == 1', when)
    code = template.format(
        repo=str(REPO),
        key=str(paths["key"]),
        journal=str(paths["journal"]),
        certs=str(paths["certs"]),
        drive=str(paths["drive"]),
        size=SIZE,
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


def _target(drive: Path) -> Target:
    return Target(
        name="drive",
        device_path=str(drive),
        model="M",
        serial="SER-1",
        size_bytes=SIZE,
        transport="sata",
        rotational=True,
        media="hdd",
    )


def _ctx(paths: dict[str, Path], journal: Journal | None = None, **options: Any) -> EraseContext:
    key = BenchKey.load(paths["key"])
    return EraseContext(
        key=key,
        journal=journal or Journal(paths["journal"], key),
        cert_dir=paths["certs"],
        policy=load_policy(),
        options=RunOptions(block_bytes=1 << 20, **options),
    )


def _erase(
    paths: dict[str, Path], ctx: EraseContext, method: str, resume: Any = None
) -> EraseOutcome:
    m = load_method(method)
    request = EraseRequest(
        target=_target(paths["drive"]),
        method=m,
        verification=m.verification,
        confirmed=True,
        resume=resume,
    )
    return erase_device(request, ctx)


def test_killed_run_is_recorded_interrupted_then_resumed(setup: dict[str, Path]) -> None:
    _kill_mid_way(setup)
    assert not list(setup["certs"].glob("*.json"))  # killed before any certificate
    ctx = _ctx(setup)
    report = verify_journal(setup["journal"])
    assert report.ok, report.problems  # a kill leaves a consistent journal
    (interrupted,) = record_interrupted(report, ctx)
    assert interrupted.result == "INTERRUPTED"
    assert verify_certificate(interrupted.certificate_path).ok
    assert interrupted.envelope["payload"]["last_journal_event"]["event"] == "checkpoint"

    point = find_resume_point(
        verify_journal(setup["journal"]), _target(setup["drive"]), "dod-3pass"
    )
    assert point.pass_index == 1
    assert SIZE * 0.4 <= point.offset_bytes < SIZE
    out = _erase(setup, ctx, "dod-3pass", resume=point)
    assert out.result == "ERASED", out.reasons_en
    payload = out.envelope["payload"]
    assert payload["method"]["resumed_from"]["session_id"] == point.session_id
    passes = payload["method"]["passes"]
    assert passes[0] == {
        "pass_index": 0,
        "pattern": "0x00",
        "completed_in_session": point.session_id,
    }
    assert passes[1]["resumed_at_byte"] == point.offset_bytes
    assert payload["bytes_written"] == (SIZE - point.offset_bytes) + SIZE
    assert payload["verification"]["passed"] is True
    assert b"DONOR" not in setup["drive"].read_bytes()
    assert verify_journal(setup["journal"]).ok


def test_resume_refuses_other_method_and_unknown_disk(setup: dict[str, Path]) -> None:
    _kill_mid_way(setup)
    report = verify_journal(setup["journal"])
    with pytest.raises(ResumeError, match="used method 'dod-3pass', not 'zero'"):
        find_resume_point(report, _target(setup["drive"]), "zero")
    other = _target(setup["drive"])
    other.serial = "ANOTHER"
    with pytest.raises(ResumeError, match="no interrupted session"):
        find_resume_point(report, other, "dod-3pass")
    lines = setup["journal"].read_text().splitlines()
    setup["journal"].write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    with pytest.raises(ResumeError, match="does not verify"):
        find_resume_point(verify_journal(setup["journal"]), _target(setup["drive"]), "dod-3pass")


def test_resume_refuses_a_session_written_with_another_keystream_layout(
    setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session from another version wrote random passes this version cannot regenerate:
    resuming it would end in a verification failure, so it is refused up front."""
    _kill_mid_way(setup)
    report = verify_journal(setup["journal"])
    assert find_resume_point(report, _target(setup["drive"]), "dod-3pass").pass_index == 1
    monkeypatch.setattr("wipe.engine.KEYSTREAM_LAYOUT", "aes-256-ctr/v3: some future layout")
    with pytest.raises(ResumeError, match="another keystream layout"):
        find_resume_point(report, _target(setup["drive"]), "dod-3pass")


def test_resume_offset_must_be_block_aligned(tmp_path: Path) -> None:
    import threading

    from wipe.blockdev import open_device
    from wipe.overwrite import write_pass
    from wipe.patterns import Pattern

    f = tmp_path / "d.img"
    f.write_bytes(bytes(1 << 20))
    dev = open_device(str(f), write=True)
    try:
        with pytest.raises(ValueError, match="not a block boundary"):
            write_pass(
                dev,
                Pattern("constant", 1),
                None,
                pass_index=0,
                pass_count=1,
                cancel=threading.Event(),
                start_offset=1000,
            )
    finally:
        dev.close()
    assert os.path.getsize(f) == 1 << 20


def test_a_checkpoint_is_journaled_only_after_the_bytes_are_flushed(
    setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every checkpoint follows an fdatasync of the device; when flushing fails, no
    checkpoint vouches for bytes a drive's write cache may still lose."""
    journal = Journal(setup["journal"], BenchKey.load(setup["key"]))
    ctx = _ctx(setup, journal, clock=iter(range(10**9)).__next__)
    real = os.fdatasync
    order: list[str] = []
    real_append = journal.append

    def fdatasync(fd: int) -> None:
        order.append("flush")
        real(fd)

    def append(event: str, data: dict) -> object:  # type: ignore[type-arg]
        order.append(event)
        return real_append(event, data)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(journal, "append", append)
    out = _erase(setup, ctx, "zero")
    assert out.result == "ERASED"
    checkpoints = [i for i, e in enumerate(order) if e == "checkpoint"]
    assert len(checkpoints) >= 5
    assert all(order[i - 1] == "flush" for i in checkpoints)

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing)
    order.clear()
    out = _erase(setup, ctx, "zero")
    assert "checkpoint" not in order
    assert out.result == "FAILED"  # the pass's own final flush failed too


def test_killed_during_the_read_back_resumes_with_the_read_back(setup: dict[str, Path]) -> None:
    """Every pass written, the power went during verification: the resume writes
    nothing, reads the last pass back, and only then says ERASED."""
    _kill_mid_way(setup, when='p.phase == "verify" and p.pass_index == 2')
    ctx = _ctx(setup)
    point = find_resume_point(
        verify_journal(setup["journal"]), _target(setup["drive"]), "dod-3pass"
    )
    assert point.pass_index == 3  # all three passes were written
    out = _erase(setup, ctx, "dod-3pass", resume=point)
    assert out.result == "ERASED", out.reasons_en
    payload = out.envelope["payload"]
    assert payload["bytes_written"] == 0
    assert payload["verification"]["passed"] is True
    assert payload["verification"]["bytes_checked"] == SIZE


# -- only the disk's latest session may be resumed ---------------------------------


def _session(j: Journal, sid: str, method: str, end: str | None, **start: Any) -> None:
    device = {"serial": "SER-R", "device_path": "/dev/sdx"}
    j.append(
        "session-start",
        {
            "session_id": sid,
            "device": device,
            "method": {"name": method},
            "dry_run": False,
            "keystream_seed_hex": "ab" * 32,
            "keystream_layout": KEYSTREAM_LAYOUT,
            **start,
        },
    )
    j.append("pass-start", {"session_id": sid, "index": 0})
    j.append("checkpoint", {"session_id": sid, "index": 0, "bytes_done": 900, "error_ranges": 0})
    if end is not None:
        j.append("session-end", {"session_id": sid, "result": end})


def test_resume_refuses_an_interrupted_session_followed_by_another(tmp_path: Path) -> None:
    """An old interrupted session must not be resumed once the disk was erased (or written)
    again: its checkpoint offset no longer says anything about the disk's content."""
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    target = Target("sdx", "/dev/sdx", "M", "SER-R", 1000, "sata", True, "hdd")
    _session(j, "old", "random", "INTERRUPTED")
    point = find_resume_point(verify_journal(j.path), target, "random")
    assert (point.session_id, point.offset_bytes) == ("old", 900)
    _session(j, "later", "zero", "ERASED")
    with pytest.raises(ResumeError):
        find_resume_point(verify_journal(j.path), target, "random")
    # A dry run writes nothing: it does not hide the interrupted session.
    j2 = Journal(tmp_path / "j2.jsonl", BenchKey.generate())
    _session(j2, "old", "random", "INTERRUPTED")
    _session(j2, "dry", "random", "DRY_RUN", dry_run=True)
    assert find_resume_point(verify_journal(j2.path), target, "random").session_id == "old"


def test_resumed_session_cannot_be_resumed_again_once_erased(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    target = Target("sdx", "/dev/sdx", "M", "SER-R", 1000, "sata", True, "hdd")
    _session(j, "old", "random", "INTERRUPTED")
    _session(j, "resumed", "random", "ERASED", resumed_from={"session_id": "old"})
    with pytest.raises(ResumeError):
        find_resume_point(verify_journal(j.path), target, "random")
