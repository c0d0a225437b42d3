"""Drive with I/O errors: FAILED with its ranges; a healthy drive beside it: ERASED."""

from __future__ import annotations

import pytest
from wipe_helpers import CANARY, surviving_canaries

from wipe.certificate import verify_certificate
from wipe.engine import EraseRequest, erase_many
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
