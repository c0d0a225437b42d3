"""Faulty drives: I/O errors end FAILED with their ranges while a healthy drive beside
them is ERASED; a drive that disappears, or whose medium changed since it was selected,
is never certified erased."""

from __future__ import annotations

import os
import subprocess

import pytest
from wipe_helpers import CANARY, surviving_canaries

from wipe.certificate import verify_certificate
from wipe.engine import EraseRequest, erase_device, erase_many
from wipe.journal import verify_journal
from wipe.methods import load_method, parse_verification
from wipe.targets import select_targets

pytestmark = [pytest.mark.root, pytest.mark.loop]

# Each bad range starts on a 4 MiB boundary (the tests' block size). Why: when a loop
# request is split by FUSE and only its first part succeeds, the kernel (6.18) requeues
# the remainder and loses its error, so the writer would be told "done". A real drive
# fails the whole command, which is what aligned starts reproduce.
BAD = [(4 << 20, 64 << 10), (16 << 20, 4096)]


def _req(device: str, **kw: object) -> EraseRequest:
    (target,) = select_targets([device])
    assert target.erasable, target.refusals
    return EraseRequest(
        target=target,
        method=load_method("zero"),
        verification=parse_verification("last"),
        confirmed=True,
        **kw,  # type: ignore[arg-type]
    )


def test_failing_ranges_listed_while_healthy_drive_erased(loop_factory, faulty_loop, ctx) -> None:
    bad = faulty_loop(BAD)
    with open(bad.backing, "r+b") as fh:  # canaries inside the failing ranges
        for start, _ in BAD:
            fh.seek(start + 100)
            fh.write(CANARY + b"in-a-bad-range")
    good = loop_factory(32 << 20, name="healthy")
    outcomes = erase_many([_req(bad.device), _req(good.device)], ctx)
    by_dev = {o.device_path: o for o in outcomes}
    failed, erased = by_dev[bad.device], by_dev[good.device]

    assert erased.result == "ERASED", erased.reasons_en
    assert surviving_canaries(good.backing) == []

    assert failed.result == "FAILED"
    payload = failed.envelope["payload"]
    write_errors = [
        (e["start_byte"], e["length_bytes"])
        for e in payload["errors"]["ranges"]
        if e["kind"] == "write"
    ]
    assert write_errors == BAD
    read_errors = [
        (e["start_byte"], e["length_bytes"])
        for e in payload["errors"]["ranges"]
        if e["kind"] == "read"
    ]
    assert read_errors == BAD  # the read-back fails on the same ranges
    (check,) = payload["verification"]["passes"]
    assert check["bytes_done"] < bad.size_bytes and check["ok"] is False
    assert payload["sanitization"]["level"] is None
    assert payload["bytes_written"] == bad.size_bytes - sum(n for _, n in BAD)
    assert any("incomplete overwrite" in r for r in failed.reasons_en)
    # Everything outside the failing ranges was still overwritten (skip ahead, continue).
    assert surviving_canaries(bad.backing) == [start + 100 for start, _ in BAD]
    for o in (failed, erased):
        assert verify_certificate(o.certificate_path).ok
    assert verify_journal(ctx.journal.path).ok


def test_abort_on_first_error(faulty_loop, ctx) -> None:
    bad = faulty_loop(BAD)
    (outcome,) = erase_many([_req(bad.device, abort_on_error=True)], ctx)
    assert outcome.result == "FAILED"
    payload = outcome.envelope["payload"]
    (write_pass,) = payload["method"]["passes"]
    assert write_pass["stopped_on_error"] is True
    assert write_pass["bytes_done"] < 12 << 20  # stopped near the first bad range (4 MiB)
    assert payload["verification"]["passes"] == []  # no read-back after an abort


def test_unplugged_drive_is_interrupted_with_the_reason_while_the_other_is_erased(
    loop_factory, ctx, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Two drives in parallel; writes to one start failing with ENODEV (its dock lost
    it: the loop driver cannot produce that errno, so os.pwrite is wrapped for that fd
    only). It ends INTERRUPTED (resumable) saying the disk disappeared; the other ends
    ERASED."""
    import errno
    import os

    gone = loop_factory(32 << 20, name="gone")
    fine = loop_factory(32 << 20, name="fine")
    real_pwrite = os.pwrite
    gone_rdev = os.stat(gone.device).st_rdev

    def pwrite(fd: int, data, offset: int) -> int:  # type: ignore[no-untyped-def]
        st = os.fstat(fd)
        if st.st_rdev == gone_rdev and offset >= 8 << 20:
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    outcomes = erase_many([_req(gone.device), _req(fine.device)], ctx)
    monkeypatch.undo()
    by_device = {o.device_path: o for o in outcomes}
    lost, kept = by_device[gone.device], by_device[fine.device]
    assert lost.result == "INTERRUPTED"
    assert any("disparu" in r for r in lost.reasons_fr)
    assert any("disappeared" in r for r in lost.reasons_en)
    (write_pass,) = lost.envelope["payload"]["method"]["passes"]
    assert write_pass["device_gone"] is True and write_pass["bytes_done"] == 8 << 20
    assert kept.result == "ERASED"
    assert surviving_canaries(fine.backing) == []
    assert verify_certificate(lost.certificate_path).ok


@pytest.mark.parametrize("new_size", [0, 4 << 20])
def test_medium_that_shrank_since_selection_is_not_certified(
    loop_factory, ctx, new_size: int
) -> None:
    """/sys said 8 MiB when the disk was selected; the open sees less (a card swapped in its
    reader, no medium at all): nothing is written and no ERASED certificate is signed."""
    loop = loop_factory(8 << 20)
    req = _req(loop.device, hpa_dco={})
    assert req.target.size_bytes == 8 << 20
    os.truncate(loop.backing, new_size)
    subprocess.run(["losetup", "-c", loop.device], check=True, capture_output=True)
    out = erase_device(req, ctx)
    assert out.result == "FAILED", out.reasons_en
    assert out.envelope["payload"]["sanitization"]["level"] is None
    assert out.envelope["payload"]["bytes_written"] == 0
    if new_size:
        assert len(surviving_canaries(loop.backing)) > 40  # the confirmed disk is not this one
