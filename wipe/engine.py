"""One erasure session per drive, several drives in parallel.

A session: safety checks, journal ``session-start``, optional firmware
sanitize (proved by sampled read-back), the overwrite passes, verification,
journal ``session-end``, then the signed certificate. Anything unexpected ends
as a FAILED certificate for that drive only; other drives carry on.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import wipe.firmware
from wipe import certificate as certmod
from wipe.blockdev import DeviceOpenError, OpenDevice, open_device
from wipe.firmware import FirmwareCapabilities, FirmwareOutcome, FirmwareProgress
from wipe.firmware.execute import CancelEvent
from wipe.firmware.execute import ProgressCallback as FirmwareProgressCallback
from wipe.firmware.policy import Media
from wipe.journal import Journal, JournalReport
from wipe.methods import Method, Verification, as_dict
from wipe.overwrite import (
    PassResult,
    Progress,
    ProgressCallback,
    RunOptions,
    full_regions,
    sampled_regions,
    verify_regions,
    write_pass,
)
from wipe.patterns import KEYSTREAM_LAYOUT, Keystream, Pattern
from wipe.policy import Policy
from wipe.proof import compare, read_samples, sample_offsets
from wipe.runner_protocol import Runner
from wipe.signing import BenchKey
from wipe.targets import Target


class TargetRefusedError(PermissionError):
    """The engine was asked to erase a device that failed the safety checks or was not confirmed."""


@dataclass(slots=True)
class Operator:
    """Who erased, in which role, where, for whom (NIST sample certificate fields)."""

    name: str | None = None
    role: str | None = None
    organisation: str | None = None
    location: str | None = None
    contact: str | None = None
    donor: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "role": self.role,
            "organisation": self.organisation,
            "location": self.location,
            "contact": self.contact,
            "donor": self.donor,
        }


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where an interrupted session stopped, from the journal (see :func:`find_resume_point`)."""

    session_id: str
    started_at: str
    method: str
    seed_hex: str
    pass_index: int
    """First pass the interrupted session did not finish."""
    offset_bytes: int
    """Bytes of that pass written without error, per its last checkpoint."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "started_at": self.started_at,
            "method": self.method,
            "pass_index": self.pass_index,
            "offset_bytes": self.offset_bytes,
        }


class DriveLeftEvent(threading.Event):
    """A session's cancel event that a station sets when it saw the drive leave its dock
    (unplugged, dock reset): the session then ends INTERRUPTED, resumable from its last
    error-free checkpoint, instead of ABORTED by the operator."""

    def __init__(self) -> None:
        super().__init__()
        self.drive_left = False
        self.abandoned = False
        """The station gave up on the session (its I/O hung): see :meth:`abandon`."""
        self._session: _Session | None = None
        self._end = threading.Lock()
        self._ended = False
        self._abandon_outcome: EraseOutcome | None = None
        self._abandon_written = threading.Event()

    def set_drive_left(self) -> None:
        self.drive_left = True
        self.set()

    def attach(self, session: _Session) -> None:
        """The session this event cancels (one session per event: a station's drive)."""
        with self._end:
            self._session = session

    @property
    def ending(self) -> bool:
        """The session's own thread is writing (or wrote) its end: not to be abandoned."""
        with self._end:
            return self._ended

    def claim_end(self) -> bool:
        """The session's own thread is about to write its end; False when abandoned."""
        with self._end:
            if self.abandoned:
                return False
            self._ended = True
            return True

    def abandon(self, fr: str, en: str) -> EraseOutcome | None:
        """End a session whose thread is stuck in the kernel (a drive that stopped
        answering: a thread blocked in I/O cannot be stopped). Written now, from the
        caller's thread: reason ``fr``/``en``, FAILED, journal ``session-end`` and signed
        certificate. If the stuck thread ever returns, it stops at once and writes
        nothing more (its ``finish`` returns this outcome). None when the session is
        ending on its own (:attr:`ending`), or none started yet (stuck before: when it
        starts it finds the event set and writes nothing to the drive)."""
        with self._end:
            if self._ended:
                return None
            self.abandoned = True
            session = self._session
        self.set()  # a session that starts later sees it at once: nothing is written
        if session is None:
            self._abandon_written.set()
            return None
        try:
            session.reason(fr, en)
            self._abandon_outcome = session.write_end("FAILED")
        finally:
            self._abandon_written.set()
        return self._abandon_outcome

    def abandoned_outcome(self) -> EraseOutcome | None:
        """What :meth:`abandon` wrote (waits for it to be written)."""
        self._abandon_written.wait()
        return self._abandon_outcome


CHECKPOINT_FRACTION = 0.1
"""A journal checkpoint every tenth of a write pass (resume points)."""


@dataclass(slots=True)
class EraseRequest:
    """What to do to one drive."""

    target: Target
    method: Method | None
    """Overwrite method; None for a firmware-only run."""
    verification: Verification
    firmware_method: str | None = None
    """A firmware method name, ``auto`` (policy's strongest supported), or None."""
    dry_run: bool = False
    confirmed: bool = False
    """The operator confirmed this drive by its serial (or unattended ``--yes-i-know``)."""
    asset_tag: str | None = None
    abort_on_error: bool = False
    hpa_dco: dict[str, Any] | None = None
    """HPA/DCO status from wipe.hpa, recorded as given."""
    resume: ResumePoint | None = None
    """Continue an interrupted overwrite (same method and keystream seed)."""
    destination: str | None = None
    """Post-sanitization destination (NIST SP 800-88): one of :data:`DESTINATIONS`."""


class FirmwareMethods(Protocol):
    """What a session asks of the firmware methods: :mod:`wipe.firmware`, or a test double."""

    def detect(
        self, runner: Runner, device_path: str, *, transport: str | None = None
    ) -> FirmwareCapabilities: ...

    def policy_choice(
        self,
        capabilities: FirmwareCapabilities,
        media: Media,
        *,
        allow_ata_security_erase: bool = False,
    ) -> list[str]: ...

    def execute(
        self,
        runner: Runner,
        device_path: str,
        method_name: str,
        progress_cb: FirmwareProgressCallback | None = None,
        cancel_event: CancelEvent | None = None,
        *,
        transport: str | None = None,
    ) -> FirmwareOutcome: ...


@dataclass(slots=True)
class EraseContext:
    """What every session shares: the bench key, journal, output directory, seams."""

    key: BenchKey
    journal: Journal
    cert_dir: Path
    policy: Policy
    operator: Operator = field(default_factory=Operator)
    source_computer: dict[str, Any] = field(default_factory=dict)
    runner: Runner | None = None
    firmware: FirmwareMethods | None = None
    """A test double for the firmware methods; :mod:`wipe.firmware` itself when None."""
    progress: ProgressCallback | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    options: RunOptions = field(default_factory=RunOptions)
    wallclock: Callable[[], datetime] = lambda: datetime.now(UTC)
    open_device: Callable[..., OpenDevice] = open_device


@dataclass(slots=True)
class EraseOutcome:
    """A finished session: its result and where the certificate is."""

    device_path: str
    result: str
    certificate_path: Path | None
    envelope: dict[str, Any] | None
    reasons_fr: list[str]
    reasons_en: list[str]


_MEDIA: dict[str, Media] = {"hdd": "hdd", "ssd": "ssd", "nvme": "nvme"}
"""A target's media as the firmware policy names it (anything else: unknown)."""


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def media_type_label(media: str) -> str:
    """NIST sample certificate's media type."""
    return {"hdd": "magnetic", "ssd": "flash", "nvme": "flash"}.get(media, "unknown")


class _Session:
    def __init__(self, req: EraseRequest, ctx: EraseContext) -> None:
        self.req = req
        self.ctx = ctx
        self.id = str(uuid.uuid4())
        self.started = ctx.wallclock()
        self.t0 = time.monotonic()
        self.seed = bytes.fromhex(req.resume.seed_hex) if req.resume else os.urandom(32)
        self.next_checkpoint = 0
        self.write_fd: int | None = None
        """The device's fd while it is open for writing (flushed before each checkpoint)."""
        self.reasons_fr: list[str] = []
        self.reasons_en: list[str] = []
        self.passes: list[PassResult] = []
        self.verifications: list[PassResult] = []
        self.firmware: dict[str, Any] | None = None
        self.firmware_purge_proved = False
        self.firmware_proved = False
        self.cancelled = False
        self.prior_passes: list[dict[str, Any]] = []
        self.firmware_still_running = False
        self.device_size_bytes: int | None = req.target.size_bytes
        self.ended = False
        """``session-end`` written: nothing more goes to the journal."""
        if isinstance(ctx.cancel, DriveLeftEvent):
            ctx.cancel.attach(self)

    def reason(self, fr: str, en: str) -> None:
        self.reasons_fr.append(fr)
        self.reasons_en.append(en)

    def log(self, event: str, **data: Any) -> None:
        if self.ended:  # abandoned, its thread returned late: the session is closed
            return
        self.ctx.journal.append(event, {"session_id": self.id, **data})

    def progress(self, p: Progress) -> None:
        if (
            p.phase == "write"
            and p.bytes_total
            and p.bytes_done >= self.next_checkpoint
            and self.flushed_for_checkpoint()
        ):
            # Resume points: bytes written so far without error in this pass, and on the
            # medium (flushed above: a drive's write cache lost in a power cut must not
            # hold bytes a checkpoint vouches for).
            self.log(
                "checkpoint",
                index=p.pass_index,
                bytes_done=p.bytes_done,
                error_ranges=p.error_ranges,
            )
            step = max(1, int(p.bytes_total * CHECKPOINT_FRACTION))
            self.next_checkpoint = (p.bytes_done // step + 1) * step
        if self.ctx.progress is not None:
            self.ctx.progress(p)

    def flushed_for_checkpoint(self) -> bool:
        """fdatasync before a checkpoint; no checkpoint when the flush fails."""
        if self.write_fd is None:
            return False
        try:
            os.fdatasync(self.write_fd)
        except OSError:
            return False
        return True

    # -- steps ---------------------------------------------------------------

    def run(self) -> EraseOutcome:
        t = self.req.target
        self.log(
            "session-start",
            device=t.identity(),
            method=as_dict(self.req.method) if self.req.method else None,
            firmware_method=self.req.firmware_method,
            verification=self.req.verification.label,
            dry_run=self.req.dry_run,
            asset_tag=self.req.asset_tag,
            operator=self.ctx.operator.name,
            keystream_seed_hex=self.seed.hex(),
            keystream_layout=KEYSTREAM_LAYOUT,
            resumed_from=self.req.resume.as_dict() if self.req.resume else None,
        )
        if self.req.dry_run:
            self.reason(
                "SIMULATION (--dry-run) : rien n'a été écrit sur le disque",
                "DRY RUN (--dry-run): nothing was written to the disk",
            )
            try:
                dev = self.ctx.open_device(t.device_path, write=False)
                dev.close()
            except DeviceOpenError as exc:
                self.reason(f"ouverture impossible : {exc}", f"cannot open: {exc}")
            return self.finish("DRY_RUN")
        try:
            dev = self.ctx.open_device(t.device_path, write=True)
        except DeviceOpenError as exc:
            self.reason(f"ouverture impossible : {exc}", f"cannot open: {exc}")
            return self.finish("FAILED")
        self.device_size_bytes = dev.size_bytes
        self.write_fd = dev.fd
        try:
            if t.size_bytes is not None and dev.size_bytes != t.size_bytes:
                self.reason(
                    f"taille lue à l'ouverture ({dev.size_bytes} o) différente de /sys "
                    f"({t.size_bytes} o)",
                    f"size at open ({dev.size_bytes} B) differs from /sys ({t.size_bytes} B)",
                )
            if dev.size_bytes == 0 or (t.size_bytes is not None and dev.size_bytes < t.size_bytes):
                # The medium shrank or left since it was selected and confirmed (a card
                # swapped in its reader, a dock reset): not the disk the operator confirmed,
                # and the bytes /sys reported cannot all be overwritten.
                self.reason(
                    "le support a changé depuis sa sélection : rien n'a été écrit, relancer",
                    "the medium changed since it was selected: nothing was written, run again",
                )
                return self.finish("FAILED")
            if self.req.firmware_method:
                self.run_firmware(dev)
            if (
                self.req.method is not None
                and not self.ctx.cancel.is_set()
                and not self.firmware_still_running
            ):
                self.run_overwrite(dev)
        finally:
            self.write_fd = None
            dev.close()
        return self.finish(self.decide())

    def run_firmware(self, dev: OpenDevice) -> None:
        fw: FirmwareMethods = self.ctx.firmware if self.ctx.firmware is not None else wipe.firmware
        name = self.req.firmware_method
        assert name is not None
        record: dict[str, Any] = {"requested": name, "method": None, "completed": False}
        self.firmware = record
        runner = self.ctx.runner
        if runner is None:
            # A session built without a command runner cannot talk to the drive.
            record["reason_fr"] = (
                "méthode micrologicielle non lancée : cette session n'a aucun moyen "
                "d'envoyer des commandes au disque"
            )
            record["reason_en"] = (
                "firmware method not run: this session has no way to send commands to the drive"
            )
            self.reason(record["reason_fr"], record["reason_en"])
            return
        caps = fw.detect(runner, self.req.target.device_path, transport=self.req.target.transport)
        record["capabilities"] = caps.to_dict()
        if name == "auto":
            choices = list(
                fw.policy_choice(
                    caps,
                    _MEDIA.get(self.req.target.media, "unknown"),
                    allow_ata_security_erase=self.ctx.policy.allow_ata_security_erase,
                )
            )
            if not choices:
                record["reason_fr"] = "aucune méthode micrologicielle sûre n'est prise en charge"
                record["reason_en"] = "no safe firmware method is supported"
                self.reason(record["reason_fr"], record["reason_en"])
                return
            name = choices[0]
        record["method"] = name
        offsets = sample_offsets(
            dev.size_bytes, dev.logical_block_bytes, self.ctx.policy.proof_samples, self.seed
        )
        before = read_samples(dev, offsets)
        self.log("firmware-start", method=name, samples=len(offsets))
        start = time.monotonic()

        def fw_progress(p: FirmwareProgress) -> None:
            total = dev.size_bytes
            done = int(total * p.fraction) if p.fraction is not None else 0
            self.progress(Progress(dev.path, "firmware", 0, 1, done, total, None, None))

        outcome = fw.execute(
            runner,
            self.req.target.device_path,
            name,
            fw_progress,
            self.ctx.cancel,
            transport=self.req.target.transport,
        )
        record.update(outcome.to_dict())
        record["duration_s"] = round(time.monotonic() - start, 3)
        after = read_samples(dev, offsets)
        proof = compare(before, after)
        record["proof"] = proof.as_dict()
        record["claimed_completed"] = bool(outcome.completed)
        record["completed"] = bool(outcome.completed) and proof.proved
        record["claimed_nist_level"] = record.pop("nist_level", None)
        record["nist_level"] = outcome.nist_level if record["completed"] else None
        if outcome.still_running_on_drive:
            # Overwriting while the drive sanitizes would race it: stop here.
            self.firmware_still_running = True
            self.reason(
                "le disque poursuit sa commande d'effacement : ne pas l'éteindre, relancer "
                "une fois terminée",
                "the drive is still running its sanitize command: do not power it off, "
                "run again once it has finished",
            )
        self.firmware_proved = record["completed"]
        self.firmware_purge_proved = record["completed"] and outcome.nist_level == "purge"
        if outcome.cancelled:
            self.cancelled = True
        if not outcome.completed:
            self.reason(
                f"méthode micrologicielle {name} non terminée : {outcome.reason_fr}",
                f"firmware method {name} did not complete: {outcome.reason_en}",
            )
        elif not proof.proved:
            self.reason(
                f"méthode micrologicielle {name} ÉCHOUÉE malgré son code de sortie : "
                f"{proof.reason_fr}",
                f"firmware method {name} FAILED despite its exit code: {proof.reason_en}",
            )
        self.log(
            "firmware-end",
            method=name,
            claimed_completed=record["claimed_completed"],
            proved=proof.proved,
            completed=record["completed"],
        )

    def run_overwrite(self, dev: OpenDevice) -> None:
        method = self.req.method
        assert method is not None
        opts = RunOptions(
            block_bytes=self.ctx.options.block_bytes,
            retries=self.ctx.options.retries,
            abort_on_error=self.req.abort_on_error or self.ctx.options.abort_on_error,
            clock=self.ctx.options.clock,
        )
        count = len(method.passes)
        mode = self.req.verification
        resume = self.req.resume
        for i, pattern in enumerate(method.passes):
            if self.ctx.cancel.is_set():
                self.cancelled = True
                return
            keystream = Keystream(self.seed, i) if pattern.kind == "random" else None
            start_offset = 0
            if resume is not None and i < resume.pass_index:
                self.prior_passes.append(
                    {
                        "pass_index": i,
                        "pattern": pattern.label,
                        "completed_in_session": resume.session_id,
                    }
                )
                if i == count - 1 and mode.mode != "none":
                    # Every pass was written before the interruption (it came during the
                    # read-back): what is on the disk is the last pass, read it back now.
                    self.verify_pass(dev, i, pattern, keystream, opts)
                continue
            if resume is not None and i == resume.pass_index:
                block = dev.logical_block_bytes
                start_offset = min(
                    resume.offset_bytes - resume.offset_bytes % block,
                    dev.size_bytes - dev.size_bytes % block,
                )
            self.next_checkpoint = start_offset
            self.log("pass-start", index=i, pattern=pattern.label, start_offset=start_offset)
            result = write_pass(
                dev,
                pattern,
                keystream,
                pass_index=i,
                pass_count=count,
                cancel=self.ctx.cancel,
                progress=self.progress,
                options=opts,
                start_offset=start_offset,
            )
            self.passes.append(result)
            self.log(
                "pass-end",
                index=i,
                bytes_done=result.bytes_done,
                errors=len(result.errors),
                ok=result.ok,
                throughput_mb_s=result.as_dict()["throughput_mb_s"],
            )
            if result.cancelled:
                self.cancelled = True
                return
            if result.stopped_on_error:
                return
            last = i == count - 1
            if (mode.mode == "all" or (mode.mode in {"last", "sampled"} and last)) and (
                not self.verify_pass(dev, i, pattern, keystream, opts)
            ):
                return

    def verify_pass(
        self,
        dev: OpenDevice,
        index: int,
        pattern: Pattern,
        keystream: Keystream | None,
        opts: RunOptions,
    ) -> bool:
        """Read pass ``index`` back; False when the run must stop (cancelled, aborted)."""
        assert self.req.method is not None
        mode = self.req.verification
        if mode.mode == "sampled":
            regions = sampled_regions(
                dev, mode.sample_percent or 100.0, self.seed[16:] + self.seed[:16]
            )
        else:
            regions = full_regions(dev, opts.block_bytes)
        check = verify_regions(
            dev,
            pattern,
            keystream,
            regions,
            pass_index=index,
            pass_count=len(self.req.method.passes),
            cancel=self.ctx.cancel,
            progress=self.progress,
            options=opts,
        )
        self.verifications.append(check)
        self.log(
            "verify-end",
            index=index,
            bytes_checked=check.bytes_done,
            bytes_total=check.bytes_total,
            errors=len(check.errors),
            ok=check.ok,
        )
        if check.cancelled:
            self.cancelled = True
            return False
        return not check.stopped_on_error

    # -- verdict ---------------------------------------------------------------

    def decide(self) -> str:
        method = self.req.method
        left = getattr(self.ctx.cancel, "drive_left", False)
        if left or any(p.device_gone for p in (*self.passes, *self.verifications)):
            # Unplugged or a dock reset: not erased, but resumable from its checkpoint.
            self.reason(
                "le disque a disparu pendant l'effacement (débranché, pont USB réinitialisé ?) : "
                "NON effacé ; le rebrancher pour reprendre au dernier point de reprise",
                "the disk disappeared during the erasure (unplugged, USB bridge reset?): "
                "NOT erased; plug it back in to resume from its last checkpoint",
            )
            return "INTERRUPTED"
        if self.cancelled or self.ctx.cancel.is_set():
            self.reason("interrompu par l'opérateur", "cancelled by the operator")
            return "ABORTED"
        if self.firmware_still_running:
            return "FAILED"
        hidden = self.hidden_bytes_not_overwritten()
        if hidden:
            self.reason(
                f"{hidden} octets cachés (HPA/DCO) n'ont pas été effacés : restaurer la taille "
                "native (politique hpa), éteindre/rallumer, puis recommencer",
                f"{hidden} hidden bytes (HPA/DCO) were not erased: restore the native size "
                "(hpa policy), power-cycle, then run again",
            )
        if self.req.firmware_method and method is None:
            return "ERASED" if self.firmware_proved and not hidden else "FAILED"
        if method is None:
            self.reason("aucune méthode demandée", "no method requested")
            return "FAILED"
        failed = False
        write_errors = sum(len(p.errors) for p in self.passes)
        done_passes = len(self.prior_passes) + len(self.passes)
        if done_passes < len(method.passes) or not all(p.ok for p in self.passes):
            failed = True
            self.reason(
                f"écriture incomplète : {write_errors} plage(s) en erreur",
                f"incomplete overwrite: {write_errors} failing range(s)",
            )
        if any(not v.ok for v in self.verifications):
            failed = True
            bad = sum(len(v.errors) for v in self.verifications)
            self.reason(
                f"vérification échouée : {bad} plage(s) illisibles ou différentes",
                f"verification failed: {bad} unreadable or differing range(s)",
            )
        if hidden:
            failed = True
        if failed:
            return "FAILED"
        if self.req.verification.mode == "none" or not self.verifications:
            self.reason(
                "tout a été écrit mais rien n'a été relu (vérification désactivée)",
                "everything was written but nothing was read back (verification off)",
            )
            return "UNVERIFIED"
        return "ERASED"

    def hidden_bytes_not_overwritten(self) -> int:
        """Bytes the drive has (native or DCO max) beyond what was overwritten; 0 when unknown.

        Compared with the size actually opened, not with the drive's current HPA: after
        ``hdparm -N p<native>`` the drive hides nothing but the kernel keeps the old
        size until a rescan or power cycle, so the restored sectors were not written.
        """
        hpa = self.req.hpa_dco or {}
        before = hpa.get("before")
        readings: list[dict[str, Any]] = [hpa, before if isinstance(before, dict) else {}]
        real_bytes: list[int] = []
        for reading in readings:
            sector = reading.get("logical_sector_bytes")
            if not isinstance(sector, int) or sector <= 0:
                sector = 512
            for k in ("native_sectors", "dco_real_sectors"):
                value = reading.get(k)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    real_bytes.append(value * sector)
        if not real_bytes:
            return 0
        covered = self.device_size_bytes or 0
        return max(0, max(real_bytes) - covered)

    def level(self, result: str) -> dict[str, Any]:
        """The sanitization level achieved, and why (never a level not achieved)."""
        if result != "ERASED":
            return {"level": None, "standard": None, "why": f"result {result}: no level claimed"}
        if self.firmware_purge_proved:
            return {
                "level": "purge",
                "standard": certmod.STANDARD,
                "why": "firmware sanitize completed and sampled read-back proved the change",
            }
        if self.req.method is not None and self.verifications:
            return {
                "level": "clear",
                "standard": certmod.STANDARD,
                "why": "every user-addressable byte overwritten and verification passed",
            }
        return {"level": None, "standard": None, "why": "method claims no sanitization level"}

    def finish(self, result: str) -> EraseOutcome:
        cancel = self.ctx.cancel
        if isinstance(cancel, DriveLeftEvent) and not cancel.claim_end():
            # Given up while its I/O hung: the certificate was written then; none now.
            outcome = cancel.abandoned_outcome()
            if outcome is not None:
                return outcome
        return self.write_end(result)

    def write_end(self, result: str) -> EraseOutcome:
        """Journal ``session-end`` and the signed certificate (once)."""
        ended = self.ctx.wallclock()
        t = self.req.target
        method = self.req.method
        bytes_written = sum(p.bytes_done - (p.resumed_at_byte or 0) for p in self.passes)
        errors = [e.as_dict() for p in self.passes + self.verifications for e in p.errors]
        verified_bytes = sum(v.bytes_done for v in self.verifications[-1:])
        size = self.device_size_bytes or 0
        has_random = method is not None and any(p.kind == "random" for p in method.passes)
        payload: dict[str, Any] = {
            "schema": certmod.SCHEMA,
            "certificate_id": str(uuid.uuid4()),
            "session_id": self.id,
            "result": result,
            "dry_run": self.req.dry_run,
            "reasons": {"fr": self.reasons_fr, "en": self.reasons_en},
            "sanitization": self.level(result),
            "media": {
                **t.identity(),
                "manufacturer": t.vendor,
                "asset_tag": self.req.asset_tag,
                "media_type": media_type_label(t.media),
            },
            "source_computer": self.ctx.source_computer,
            "method": {
                "overwrite": as_dict(method) if method is not None else None,
                "firmware": self.firmware,
                "prng": "AES-256-CTR" if has_random else None,
                "keystream_seed_hex": self.seed.hex() if has_random else None,
                "keystream_layout": KEYSTREAM_LAYOUT if has_random else None,
                "passes": [*self.prior_passes, *(p.as_dict() for p in self.passes)],
                "resumed_from": self.req.resume.as_dict() if self.req.resume else None,
            },
            "verification": {
                "mode": self.req.verification.label,
                "passes": [v.as_dict() for v in self.verifications],
                "bytes_checked": verified_bytes,
                "coverage_percent": round(100 * verified_bytes / size, 3) if size else None,
                "passed": bool(self.verifications) and all(v.ok for v in self.verifications),
            },
            "errors": {"count": len(errors), "ranges": errors[:1000]},
            "bytes_written": bytes_written,
            "device_size_bytes": size,
            "hpa_dco": self.req.hpa_dco,
            "destination": self.req.destination,
            "tool": {"name": certmod.TOOL_NAME, "version": certmod.TOOL_VERSION},
            "operator": self.ctx.operator.as_dict(),
            "started_at": _iso(self.started),
            "ended_at": _iso(ended),
            "duration_s": round(time.monotonic() - self.t0, 3),
        }
        envelope = certmod.sign_certificate(self.ctx.key, payload)
        self.log(
            "session-end",
            result=result,
            certificate_id=payload["certificate_id"],
            certificate_sha256=certmod.section_digests(envelope["payload"])["result"],
            digests=envelope["payload"]["digests"],
        )
        self.ended = True
        path = certmod.write_certificate(envelope, self.ctx.cert_dir)
        return EraseOutcome(t.device_path, result, path, envelope, self.reasons_fr, self.reasons_en)


def erase_device(req: EraseRequest, ctx: EraseContext) -> EraseOutcome:
    """Erase one drive (or simulate it); refuses unsafe or unconfirmed targets."""
    t = req.target
    if t.refusals:
        codes = ", ".join(r.code for r in t.refusals)
        raise TargetRefusedError(f"refusing to erase {t.device_path}: {codes}")
    if not req.dry_run and not req.confirmed:
        raise TargetRefusedError(
            f"refusing to erase {t.device_path}: not confirmed by its serial (or --yes-i-know)"
        )
    if req.method is None and not req.firmware_method:
        raise ValueError("an erasure needs an overwrite method or a firmware method")
    if req.destination is not None and req.destination not in certmod.DESTINATIONS:
        raise ValueError(f"destination must be one of {certmod.DESTINATIONS}: {req.destination!r}")
    session = _Session(req, ctx)
    try:
        return session.run()
    except Exception as exc:  # one drive's bug must not take the others down
        session.reason(
            f"erreur interne : {type(exc).__name__}: {exc}",
            f"internal error: {type(exc).__name__}: {exc}",
        )
        session.log("internal-error", traceback=traceback.format_exc()[-2000:])
        return session.finish("FAILED")


def erase_many(requests: list[EraseRequest], ctx: EraseContext) -> list[EraseOutcome]:
    """Erase drives in parallel threads; each ends on its own, in the order given."""
    if not requests:
        return []
    with ThreadPoolExecutor(max_workers=len(requests), thread_name_prefix="wipe") as pool:
        futures = [pool.submit(_safe_erase, r, ctx) for r in requests]
        return [f.result() for f in futures]


def _safe_erase(req: EraseRequest, ctx: EraseContext) -> EraseOutcome:
    try:
        return erase_device(req, ctx)
    except (TargetRefusedError, ValueError) as exc:
        return EraseOutcome(req.target.device_path, "REFUSED", None, None, [str(exc)], [str(exc)])
    except Exception as exc:  # e.g. journal disk full: reported, never raised into other drives
        msg = f"{type(exc).__name__}: {exc}"
        return EraseOutcome(req.target.device_path, "FAILED", None, None, [msg], [msg])


def record_interrupted(report: JournalReport, ctx: EraseContext) -> list[EraseOutcome]:
    """Write INTERRUPTED certificates for sessions the journal shows started and never ended."""
    outcomes: list[EraseOutcome] = []
    for item in report.interrupted_sessions():
        start = item["start"]
        data = start.get("data", {})
        last = item["last"]
        payload: dict[str, Any] = {
            "schema": certmod.SCHEMA,
            "certificate_id": str(uuid.uuid4()),
            "session_id": data.get("session_id"),
            "result": "INTERRUPTED",
            "dry_run": bool(data.get("dry_run")),
            "reasons": {
                "fr": ["session interrompue (arrêt, coupure) : le disque n'est PAS effacé"],
                "en": ["session interrupted (killed, power cut): the disk is NOT erased"],
            },
            "sanitization": {"level": None, "standard": None, "why": "interrupted"},
            "media": {**(data.get("device") or {}), "asset_tag": data.get("asset_tag")},
            "source_computer": ctx.source_computer,
            "method": {"overwrite": data.get("method"), "firmware": data.get("firmware_method")},
            "last_journal_event": {
                "event": last.get("event"),
                "time": last.get("time"),
                "data": last.get("data"),
            },
            "tool": {"name": certmod.TOOL_NAME, "version": certmod.TOOL_VERSION},
            "operator": ctx.operator.as_dict(),
            "started_at": start.get("time"),
            "ended_at": None,
        }
        envelope = certmod.sign_certificate(ctx.key, payload)
        ctx.journal.append(
            "session-end",
            {
                "session_id": data.get("session_id"),
                "result": "INTERRUPTED",
                "certificate_id": payload["certificate_id"],
            },
        )
        path = certmod.write_certificate(envelope, ctx.cert_dir)
        outcomes.append(
            EraseOutcome(
                str((data.get("device") or {}).get("device_path")),
                "INTERRUPTED",
                path,
                envelope,
                payload["reasons"]["fr"],
                payload["reasons"]["en"],
            )
        )
    return outcomes


class ResumeError(ValueError):
    """No interrupted session of this disk can be resumed; says why."""


def find_resume_point(report: JournalReport, target: Target, method_name: str) -> ResumePoint:
    """The latest interrupted session of ``target`` (same serial, else same device path).

    Only an error-free checkpoint is a resume point: bytes before it were written
    without a failing range, so skipping them leaves nothing unwritten.
    """
    if not report.ok:
        raise ResumeError("the journal does not verify: " + "; ".join(report.problems[:3]))
    sessions: dict[str, dict[str, Any]] = {}
    for p in report.payloads:
        data = p.get("data") or {}
        sid = data.get("session_id")
        if not isinstance(sid, str):
            continue
        if p.get("event") == "session-start":
            sessions[sid] = {"start": p, "passes_ok": set(), "checkpoints": {}, "end": None}
        elif sid in sessions:
            s = sessions[sid]
            if p.get("event") == "pass-end" and data.get("ok"):
                s["passes_ok"].add(data.get("index"))
            elif p.get("event") == "checkpoint" and not data.get("error_ranges"):
                s["checkpoints"][data.get("index")] = int(data.get("bytes_done") or 0)
            elif p.get("event") == "session-end":
                s["end"] = data.get("result")

    def same_disk(device: dict[str, Any]) -> bool:
        if target.serial:
            return device.get("serial") == target.serial
        return device.get("device_path") == target.device_path

    # Only the disk's latest session that could write: any later one (an erasure, a
    # resume that finished) changed the disk, and the old checkpoint says nothing about it.
    of_disk = [
        s
        for s in sessions.values()
        if same_disk(s["start"]["data"].get("device") or {})
        and not s["start"]["data"].get("dry_run")
    ]
    if not of_disk or of_disk[-1]["end"] not in (None, "INTERRUPTED"):
        raise ResumeError(
            f"no interrupted session of {target.device_path} in the journal"
            + (f" (its latest session ended {of_disk[-1]['end']})" if of_disk else "")
        )
    last = of_disk[-1]
    start = last["start"]
    data = start["data"]
    method = (data.get("method") or {}).get("name")
    if method != method_name:
        raise ResumeError(f"the interrupted session used method {method!r}, not {method_name!r}")
    seed = data.get("keystream_seed_hex")
    if not isinstance(seed, str) or len(seed) != 64:
        raise ResumeError("the interrupted session recorded no keystream seed")
    if data.get("keystream_layout") != KEYSTREAM_LAYOUT:
        # Written by another version: its random passes could not be verified here.
        raise ResumeError(
            "the interrupted session used another keystream layout "
            f"({data.get('keystream_layout') or 'aes-256-ctr/v1'}); start a new erasure"
        )
    index = 0
    while index in last["passes_ok"]:
        index += 1
    return ResumePoint(
        session_id=data["session_id"],
        started_at=str(start.get("time")),
        method=method_name,
        seed_hex=seed,
        pass_index=index,
        offset_bytes=last["checkpoints"].get(index, 0),
    )
