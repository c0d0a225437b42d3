"""The one overwrite runner: every method's passes and every verification go through here.

Writes use O_DIRECT from page-aligned mmap buffers in large blocks; a writer
thread does the I/O while the calling thread generates the next block's
keystream (double buffering). Errors are recorded as byte ranges, retried a
bounded number of times, skipped, and the pass goes on (or stops on request).
Memory stays bounded: a few blocks, whatever the device size.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import mmap
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from wipe.blockdev import OpenDevice, aligned_buffer, pread_tail, pwrite_tail
from wipe.patterns import Keystream, Pattern, fill_constant

DEFAULT_BLOCK_BYTES = 8 << 20
PROBE_BYTES = 64 << 10
"""Granularity of the first retry split of a failed block."""
MAX_ERROR_RANGES = 1000
MAX_REFINED_BLOCKS = 64
"""After this many failed blocks, record whole blocks (a dead drive must not take days)."""
MAX_REFINED_PROBES = 8
"""A block whose failing 64 KiB probes exceed this is recorded probe by probe, without
looking for the failing sectors: a bad sector fails one probe; a dying head fails them
all, and at seconds per failing sector read the refinement would take days."""
GONE_ERRNOS = frozenset({errno.ENODEV, errno.ENXIO, errno.ENOMEDIUM})
"""The device left (unplugged from its dock, its USB bridge reset): the pass stops."""
PROGRESS_INTERVAL_S = 0.5
READERS = 3
"""Verification threads: each reads and compares its own region, so reads stay in
flight while the others compare (a disk-bound read-back keeps the queue full)."""
WRITE_BUFFERS = 3
"""One being written, one filled, one spare to absorb scheduling jitter on a busy CPU."""
CHECK_CHUNK_BYTES = 1 << 20
"""Keystream comparison works in slices this size: the regenerated keystream XOR the
data lands in a cache-resident scratch buffer and is zero-checked while still hot,
and each reader needs one small scratch instead of a second full block."""


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report: what the Textual app and the CLI show."""

    device: str
    phase: str
    """``write``, ``verify``, ``sample`` or ``firmware``."""
    pass_index: int
    pass_count: int
    bytes_done: int
    bytes_total: int
    throughput_bytes_per_s: float | None
    eta_s: float | None
    error_ranges: int = 0
    """Failing or differing ranges recorded so far in this pass."""


ProgressCallback = Callable[[Progress], None]


@dataclass(slots=True)
class ErrorRange:
    """A byte range that failed (``write``/``read`` I/O error) or did not match (``mismatch``)."""

    start_byte: int
    length_bytes: int
    kind: str
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "start_byte": self.start_byte,
            "length_bytes": self.length_bytes,
            "end_byte": self.start_byte + self.length_bytes,
            "kind": self.kind,
            "detail": self.detail,
        }


@dataclass(slots=True)
class PassResult:
    """What one write or verification pass did."""

    phase: str
    pass_index: int
    pattern: str
    bytes_total: int
    bytes_done: int = 0
    """Bytes successfully written (write) or read and compared (verify)."""
    duration_s: float = 0.0
    errors: list[ErrorRange] = field(default_factory=list)
    errors_truncated: bool = False
    cancelled: bool = False
    stopped_on_error: bool = False
    device_gone: bool = False
    """The device disappeared mid-pass (ENODEV, ENXIO, ENOMEDIUM): the pass stopped."""
    flushed: bool = False
    resumed_at_byte: int | None = None
    """Set when an earlier, interrupted session wrote this pass up to that offset."""

    @property
    def throughput_bytes_per_s(self) -> float | None:
        mine = self.bytes_done - (self.resumed_at_byte or 0)
        return mine / self.duration_s if self.duration_s > 0 else None

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and not self.errors_truncated
            and not self.cancelled
            and not self.stopped_on_error
            and self.bytes_done == self.bytes_total
            and (self.phase != "write" or self.flushed)
        )

    def as_dict(self) -> dict[str, object]:
        rate = self.throughput_bytes_per_s
        return {
            "phase": self.phase,
            "pass_index": self.pass_index,
            "pattern": self.pattern,
            "bytes_total": self.bytes_total,
            "bytes_done": self.bytes_done,
            "duration_s": round(self.duration_s, 3),
            "throughput_mb_s": round(rate / 1e6, 1) if rate is not None else None,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.errors_truncated,
            "cancelled": self.cancelled,
            "stopped_on_error": self.stopped_on_error,
            "device_gone": self.device_gone,
            "flushed": self.flushed if self.phase == "write" else None,
            "resumed_at_byte": self.resumed_at_byte,
            "ok": self.ok,
        }


@dataclass(frozen=True, slots=True)
class RunOptions:
    block_bytes: int = DEFAULT_BLOCK_BYTES
    retries: int = 2
    abort_on_error: bool = False
    readers: int = READERS
    """Verification threads (reads in flight)."""
    clock: Callable[[], float] = time.monotonic


class _Throttle:
    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        device: str,
        phase: str,
        pass_of: tuple[int, int],
        total: int,
        clock: Callable[[], float],
    ) -> None:
        pass_index, pass_count = pass_of
        self.callback = callback
        self.device = device
        self.phase = phase
        self.pass_index = pass_index
        self.pass_count = pass_count
        self.total = total
        self.clock = clock
        self.start = clock()
        self.last = self.start
        self.base = 0
        """Bytes already done before this run (a resumed pass): not part of the rate."""

    def report(self, done: int, force: bool = False, errors: int = 0) -> None:
        if self.callback is None:
            return
        now = self.clock()
        if not force and now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        elapsed = now - self.start
        mine = done - self.base
        rate = mine / elapsed if elapsed > 0 and mine > 0 else None
        eta = (self.total - done) / rate if rate else None
        self.callback(
            Progress(
                self.device,
                self.phase,
                self.pass_index,
                self.pass_count,
                done,
                self.total,
                rate,
                eta,
                errors,
            )
        )


class _ErrorLog:
    """Collects error ranges, merging adjacent ones of the same kind; bounded."""

    def __init__(self, result: PassResult) -> None:
        self.result = result
        self.failed_blocks = 0
        self.gone = False
        self._lock = threading.Lock()  # reader and comparer threads both record

    def add(self, start: int, length: int, kind: str, detail: str) -> None:
        with self._lock:
            self._add(start, length, kind, detail)

    def full(self) -> bool:
        """No new range will be kept (only extensions of the last one)."""
        return len(self.result.errors) >= MAX_ERROR_RANGES

    def _add(self, start: int, length: int, kind: str, detail: str) -> None:
        errors = self.result.errors
        if errors:
            last = errors[-1]
            if last.kind == kind and last.start_byte + last.length_bytes == start:
                last.length_bytes += length
                return
        if len(errors) >= MAX_ERROR_RANGES:
            self.result.errors_truncated = True
            return
        errors.append(ErrorRange(start, length, kind, detail))


def _merge_ranges(errors: list[ErrorRange]) -> list[ErrorRange]:
    """Sorted by offset, adjacent ranges of the same kind joined (threads interleave them)."""
    merged: list[ErrorRange] = []
    for e in sorted(errors, key=lambda r: (r.kind, r.start_byte)):
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.kind == e.kind
            and last.detail == e.detail
            and last.start_byte + last.length_bytes == e.start_byte
        ):
            last.length_bytes += e.length_bytes
        else:
            merged.append(ErrorRange(e.start_byte, e.length_bytes, e.kind, e.detail))
    return sorted(merged, key=lambda r: (r.start_byte, r.kind))


def _aligned_span(dev: OpenDevice) -> int:
    """Bytes reachable with O_DIRECT (whole logical blocks); the rest is the unaligned tail."""
    if not dev.direct:
        return dev.size_bytes
    return dev.size_bytes - dev.size_bytes % dev.logical_block_bytes


def _io_all(fn: Callable[[int, int], int], length: int) -> None:
    """Run a pread/pwrite-like ``fn(done, remaining)`` until ``length`` bytes are done."""
    done = 0
    while done < length:
        n = fn(done, length - done)
        if n <= 0:
            raise OSError(errno.EIO, "short transfer (0 bytes)")
        done += n


def _try_io(
    op: str, fd: int, view: memoryview, offset: int, length: int, *, retries: int
) -> OSError | None:
    """Write or read ``length`` bytes at ``offset``, with ``retries`` more tries on error."""
    last: OSError | None = None
    for _ in range(retries + 1):
        try:
            if op == "write":
                _io_all(lambda d, r: os.pwrite(fd, view[d : d + r], offset + d), length)
            else:
                _io_all(lambda d, r: os.preadv(fd, [view[d : d + r]], offset + d), length)
            return None
        except OSError as exc:
            # Drop the traceback: its frames hold views of the mmap buffer, which could
            # then not be closed (BufferError) until a garbage collection.
            last = exc.with_traceback(None)
            if exc.errno in GONE_ERRNOS:
                break  # retrying a device that is gone only delays the verdict
    return last


def _io_block(
    op: str,
    dev: OpenDevice,
    view: memoryview,
    offset: int,
    length: int,
    *,
    options: RunOptions,
    log: _ErrorLog,
) -> int:
    """Transfer one block; on failure split it to find the failing ranges. Returns bytes done."""
    error = _try_io(op, dev.fd, view, offset, length, retries=options.retries)
    if error is None:
        return length
    if error.errno in GONE_ERRNOS:
        log.gone = True
        log.add(offset, length, op, _describe(error) + " (device gone)")
        return 0
    log.failed_blocks += 1
    if log.failed_blocks > MAX_REFINED_BLOCKS:
        log.add(offset, length, op, _describe(error))
        return 0
    done = 0
    failed: list[tuple[int, int, OSError]] = []
    for sub in range(0, length, PROBE_BYTES):
        sub_len = min(PROBE_BYTES, length - sub)
        err = _try_io(op, dev.fd, view[sub:], offset + sub, sub_len, retries=0)
        if err is None:
            done += sub_len
        else:
            failed.append((sub, sub_len, err))
    if len(failed) > MAX_REFINED_PROBES or any(e.errno in GONE_ERRNOS for *_, e in failed):
        log.gone = log.gone or any(e.errno in GONE_ERRNOS for *_, e in failed)
        for sub, sub_len, err in failed:
            log.add(offset + sub, sub_len, op, _describe(err))
        return done
    sector = dev.logical_block_bytes
    for sub, sub_len, _ in failed:
        for sec in range(sub, sub + sub_len, sector):
            sec_len = min(sector, sub + sub_len - sec)
            err = _try_io(op, dev.fd, view[sec:], offset + sec, sec_len, retries=options.retries)
            if err is None:
                done += sec_len
            else:
                log.add(offset + sec, sec_len, op, _describe(err))
    return done


def _describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "")
    return f"{name} {error.strerror}".strip() if error.strerror else str(error)


def write_pass(
    dev: OpenDevice,
    pattern: Pattern,
    keystream: Keystream | None,
    *,
    pass_index: int,
    pass_count: int,
    cancel: threading.Event,
    progress: ProgressCallback | None = None,
    options: RunOptions | None = None,
    start_offset: int = 0,
) -> PassResult:
    """Overwrite the whole device with ``pattern``; one fdatasync at the end.

    ``start_offset`` resumes a pass an earlier session wrote up to there (its bytes
    count as done; ``resumed_at_byte`` says so).
    """
    opts = options or RunOptions()
    if pattern.kind == "random" and keystream is None:
        raise ValueError("a random pass needs a keystream")
    result = PassResult("write", pass_index, pattern.label, dev.size_bytes)
    log = _ErrorLog(result)
    span = _aligned_span(dev)
    if start_offset % dev.logical_block_bytes or not 0 <= start_offset <= span:
        raise ValueError(f"resume offset {start_offset} is not a block boundary of {dev.path}")
    result.resumed_at_byte = start_offset or None
    block = max(dev.logical_block_bytes, opts.block_bytes - opts.block_bytes % 4096)
    throttle = _Throttle(
        progress,
        device=dev.path,
        phase="write",
        pass_of=(pass_index, pass_count),
        total=dev.size_bytes,
        clock=opts.clock,
    )
    throttle.base = start_offset
    start = opts.clock()
    buffers = [aligned_buffer(block) for _ in range(WRITE_BUFFERS)]
    zeros = bytes(block + 16) if pattern.kind == "random" else b""
    if pattern.kind == "constant":
        for b in buffers:
            fill_constant(b, block, pattern.byte)
    free: queue.Queue[int] = queue.Queue()
    for i in range(len(buffers)):
        free.put(i)
    work: queue.Queue[tuple[int, int, int] | None] = queue.Queue()
    stop = threading.Event()
    done_lock = threading.Lock()
    done_bytes = [start_offset]

    def writer() -> None:
        while True:
            item = work.get()
            if item is None:
                return
            idx, offset, length = item
            if not stop.is_set():
                n = _io_block(
                    "write", dev, memoryview(buffers[idx]), offset, length, options=opts, log=log
                )
                with done_lock:
                    done_bytes[0] += n
                if log.gone or (n < length and opts.abort_on_error):
                    result.stopped_on_error = True
                    result.device_gone = log.gone
                    stop.set()
            free.put(idx)

    thread = threading.Thread(target=writer, name=f"wipe-writer-{dev.path}", daemon=True)
    thread.start()
    try:
        for offset in range(start_offset, span, block):
            if cancel.is_set():
                result.cancelled = True
                break
            if stop.is_set():
                break
            length = min(block, span - offset)
            idx = free.get()
            if keystream is not None and pattern.kind == "random":
                keystream.fill(buffers[idx], offset, length, zeros)
            work.put((idx, offset, length))
            with done_lock:
                current = done_bytes[0]
            throttle.report(current, errors=len(result.errors))
    finally:
        work.put(None)
        thread.join()
    result.bytes_done = done_bytes[0]
    if span < dev.size_bytes and not result.cancelled and not stop.is_set():
        tail_len = dev.size_bytes - span
        tail = (
            keystream.bytes_at(span, tail_len)
            if keystream is not None and pattern.kind == "random"
            else bytes([pattern.byte]) * tail_len
        )
        try:
            pwrite_tail(dev.path, tail, span)
            result.bytes_done += tail_len
        except OSError as exc:
            log.add(span, tail_len, "write", _describe(exc))
    if not result.cancelled:
        try:
            os.fdatasync(dev.fd)
            result.flushed = True
        except OSError as exc:
            log.add(0, 0, "flush", f"fdatasync failed: {_describe(exc)}")
    _close_all(buffers)
    result.duration_s = opts.clock() - start
    throttle.report(result.bytes_done, force=True, errors=len(result.errors))
    return result


def _close_all(buffers: list[mmap.mmap]) -> None:
    """Unmap buffers now; one still viewed somewhere is left to the garbage collector."""
    for b in buffers:
        try:
            b.close()
        except BufferError:
            gc.collect()
            with contextlib.suppress(BufferError):
                b.close()


def full_regions(dev: OpenDevice, block_bytes: int) -> list[tuple[int, int]]:
    """Every aligned block of the device plus the tail, as (offset, length)."""
    span = _aligned_span(dev)
    regions = [(o, min(block_bytes, span - o)) for o in range(0, span, block_bytes)]
    if span < dev.size_bytes:
        regions.append((span, dev.size_bytes - span))
    return regions


def sampled_regions(
    dev: OpenDevice, percent: float, seed: bytes, sample_bytes: int = 1 << 20
) -> list[tuple[int, int]]:
    """Samples covering ``percent`` of the device, spread over the whole address space.

    The device is cut into equal strata, one sample per stratum at a position
    derived from ``seed``; the first and the last logical blocks are always included.
    """
    size = dev.size_bytes
    lb = dev.logical_block_bytes
    sample = max(lb, min(sample_bytes, size) - min(sample_bytes, size) % lb)
    count = max(2, int(-(-size * percent // (100 * sample))))
    if count * sample >= size:
        return full_regions(dev, DEFAULT_BLOCK_BYTES)
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(seed[:16], "big")))
    stratum = size / count
    starts: set[int] = set()
    for i in range(count):
        lo = int(i * stratum)
        hi = max(lo, int((i + 1) * stratum) - sample)
        pos = int(rng.integers(lo, hi + 1)) if hi > lo else lo
        starts.add(pos - pos % lb)
    starts.add(0)
    last_block = size - lb if size % lb == 0 else size - size % lb
    regions = {(s, min(sample, size - s)) for s in starts}
    regions.add((max(0, last_block - (sample - lb)), size - max(0, last_block - (sample - lb))))
    # Join overlapping samples (the first and last ones, a start rounded down into the
    # previous stratum): a byte read twice must not count twice in the coverage.
    merged: list[tuple[int, int]] = []
    for start, length in sorted(regions):
        if merged and start < merged[-1][0] + merged[-1][1]:
            prev_start, prev_length = merged[-1]
            end = max(prev_start + prev_length, start + length)
            merged[-1] = (prev_start, end - prev_start)
        else:
            merged.append((start, length))
    return merged


def verify_regions(
    dev: OpenDevice,
    pattern: Pattern,
    keystream: Keystream | None,
    regions: Iterable[tuple[int, int]],
    *,
    pass_index: int,
    pass_count: int,
    cancel: threading.Event,
    progress: ProgressCallback | None = None,
    options: RunOptions | None = None,
) -> PassResult:
    """Read ``regions`` back (O_DIRECT) and compare with what ``pattern`` wrote there.

    ``options.readers`` threads each read a region and compare it (numpy and AES
    release the GIL, so comparisons use every core while other threads' reads are
    in flight); the calling thread only tallies and reports progress.
    """
    opts = options or RunOptions()
    region_list = list(regions)
    total = sum(length for _, length in region_list)
    result = PassResult("verify", pass_index, pattern.label, total)
    log = _ErrorLog(result)
    throttle = _Throttle(
        progress,
        device=dev.path,
        phase="verify",
        pass_of=(pass_index, pass_count),
        total=total,
        clock=opts.clock,
    )
    start = opts.clock()
    span = _aligned_span(dev)
    biggest = max((length for _, length in region_list), default=dev.logical_block_bytes)
    const64 = np.uint64(int.from_bytes(bytes([pattern.byte]) * 8, "little"))
    # (bytes compared equal, read completely) per region; None when a worker ends.
    events: queue.Queue[tuple[int, bool] | None] = queue.Queue()
    stop = threading.Event()
    regions_left = iter(region_list)
    regions_lock = threading.Lock()
    readers = max(1, min(opts.readers, len(region_list)))

    def check_one(buf: mmap.mmap, expected: mmap.mmap | None, offset: int, length: int) -> int:
        """Read and compare one region; returns the bytes verified equal (0 or length)."""
        if offset >= span:
            try:
                data = pread_tail(dev.path, length, offset)
            except OSError as exc:
                log.add(offset, length, "read", _describe(exc))
                return -1
            buf[:length] = data.ljust(length, b"\0")
            if len(data) != length:
                log.add(offset + len(data), length - len(data), "read", "short read")
                return -1
        else:
            n = _io_block("read", dev, memoryview(buf), offset, length, options=opts, log=log)
            if n != length:
                return -1
        differs = _mismatch(
            buf,
            length,
            pattern=pattern,
            const64=const64,
            keystream=keystream,
            expected=expected,
            offset=offset,
        )
        if not differs:
            return length
        _record_mismatches(
            buf,
            length,
            offset=offset,
            pattern=pattern,
            keystream=keystream,
            scratch=expected,
            sector=dev.logical_block_bytes,
            log=log,
        )
        return 0

    def worker() -> None:
        buf = aligned_buffer(biggest)
        expected = (
            aligned_buffer(min(biggest, CHECK_CHUNK_BYTES)) if pattern.kind == "random" else None
        )
        try:
            while not (cancel.is_set() or stop.is_set()):
                with regions_lock:
                    region = next(regions_left, None)
                if region is None:
                    break
                offset, length = region
                equal = check_one(buf, expected, offset, length)
                events.put((max(equal, 0), equal >= 0))
                if log.gone or (equal < 0 and opts.abort_on_error):
                    result.stopped_on_error = True
                    result.device_gone = log.gone
                    stop.set()
        finally:
            events.put(None)
            _close_all([buf, *([expected] if expected is not None else [])])

    threads = [
        threading.Thread(target=worker, name=f"wipe-verify-{i}-{dev.path}", daemon=True)
        for i in range(readers)
    ]
    for t in threads:
        t.start()
    done = 0
    finished = 0
    try:
        while finished < readers:
            item = events.get()
            if item is None:
                finished += 1
                continue
            done += item[0]
            if cancel.is_set():
                stop.set()
            throttle.report(done, errors=len(result.errors))
    finally:
        stop.set()
        for t in threads:
            t.join()
    if cancel.is_set():
        result.cancelled = True
    result.bytes_done = done
    result.errors = _merge_ranges(result.errors)
    result.duration_s = opts.clock() - start
    throttle.report(done, force=True, errors=len(result.errors))
    return result


_ZERO64 = np.uint64(0)


def _all_words_equal(words: np.ndarray, value: np.uint64) -> bool:
    """Every 64-bit word equals ``value``: min and max are vectorised reductions with no
    temporary array, 2-4 times faster than ``np.any(words != value)``."""
    if not words.size:
        return True
    if value == 0:
        return int(words.max()) == 0
    return int(words.min()) == int(value) and int(words.max()) == int(value)


def _mismatch(
    buf: object,
    length: int,
    *,
    pattern: Pattern,
    const64: np.uint64,
    keystream: Keystream | None,
    expected: object,
    offset: int,
) -> bool:
    """True when ``buf[:length]`` differs from the pattern at ``offset``."""
    words = length // 8
    data = np.frombuffer(buf, dtype=np.uint64, count=words)  # type: ignore[call-overload]
    tail_data = np.frombuffer(buf, dtype=np.uint8, count=length)[words * 8 :]  # type: ignore[call-overload]
    if pattern.kind == "constant":
        return not _all_words_equal(data, const64) or bool(np.any(tail_data != pattern.byte))
    assert keystream is not None and expected is not None
    if offset % 16 or length % 16:
        # Only an unaligned tail of a plain file (under one logical block) gets here.
        want = np.frombuffer(keystream.bytes_at(offset, length), dtype=np.uint8)
        return not np.array_equal(np.frombuffer(buf, dtype=np.uint8, count=length), want)  # type: ignore[call-overload]
    # data XOR keystream is all zeros iff the data is what was written: one AES pass
    # and a zero check, slice by slice in a scratch buffer that stays in cache.
    scratch = memoryview(expected)  # type: ignore[arg-type]
    chunk = min(CHECK_CHUNK_BYTES, len(scratch) - 16) // 16 * 16
    scratch64 = np.frombuffer(expected, dtype=np.uint64, count=chunk // 8)  # type: ignore[call-overload]
    source = memoryview(buf)  # type: ignore[arg-type]
    cursor = keystream.cursor(offset)
    for at in range(0, length, chunk):
        n = min(chunk, length - at)
        cursor.update_into(source[at : at + n], scratch)
        if not _all_words_equal(scratch64[: n // 8], _ZERO64):
            return True
    return False


def _record_mismatches(
    buf: mmap.mmap,
    length: int,
    *,
    offset: int,
    pattern: Pattern,
    keystream: Keystream | None,
    scratch: mmap.mmap | None,
    sector: int,
    log: _ErrorLog,
) -> None:
    """Record the runs of logical blocks of a region that differ from the pattern.

    Works slice by slice (``CHECK_CHUNK_BYTES``) in the reader's own scratch buffer,
    so a drive that differs everywhere (nothing was written) costs no more memory
    than one that verifies, and one range per run of bad blocks, not per block.
    """
    detail = f"content differs from {pattern.label}"
    if log.full():
        log.add(offset, length, "mismatch", detail)  # merged if adjacent, else counted as dropped
        return
    got = np.frombuffer(buf, dtype=np.uint8, count=length)
    cursor = None
    unaligned_want = None
    if pattern.kind == "random":
        assert keystream is not None
        if offset % 16 == 0 and length % 16 == 0 and scratch is not None:
            cursor = keystream.cursor(offset)
        else:  # an unaligned tail of a plain file: under one logical block
            unaligned_want = np.frombuffer(keystream.bytes_at(offset, length), dtype=np.uint8)
    step = max(sector, CHECK_CHUNK_BYTES // sector * sector)
    for at in range(0, length, step):
        n = min(step, length - at)
        if cursor is not None:
            assert scratch is not None
            cursor.update_into(memoryview(buf)[at : at + n], memoryview(scratch))
            bad = np.frombuffer(scratch, dtype=np.uint8, count=n) != 0
        elif unaligned_want is not None:
            bad = got[at : at + n] != unaligned_want[at : at + n]
        else:
            bad = got[at : at + n] != pattern.byte
        full = n - n % sector
        per_block = bad[:full].reshape(-1, sector).any(axis=1)
        if full < n:
            per_block = np.append(per_block, bool(bad[full:].any()))
        edges = np.flatnonzero(np.diff(np.concatenate(([0], per_block.view(np.int8), [0]))))
        for first, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            lo = offset + at + first * sector
            hi = offset + at + min(end * sector, n)
            log.add(lo, hi - lo, "mismatch", detail)
