"""The erasure station: loose drives plugged into docks, erased by the site's policy as
they arrive (issue 15; ``[station]`` in site.toml, docs/station.md).

A ``pyudev`` monitor reports block devices coming and going; each dock port is a slot
named by the site (udev's ``ID_PATH`` or the kernel's DEVPATH). A drive arriving in a
slot is checked with the same refusals as ``erase`` (the station's own stick and disks
are never candidates), planned by the policy, and erased after the configured delay in
its own thread with its own cancel event, so a hung or failing drive never holds up the
others. A drive that leaves mid-pass gets an INTERRUPTED certificate saying so; plugged
back in (same serial, else same device), it resumes from its last checkpoint. Each
certificate names no source computer: the drive is a unit of its own, of the batch
chosen on the station.

A drive whose erasure makes no progress for ``stall_s`` is shown stalled; after
``give_up_s`` its session ends FAILED with its certificate and its worker thread, stuck
in the kernel (a thread blocked in I/O cannot be stopped), is abandoned: the other slots
and the station's exit never wait for it (:meth:`Station.abandoned`).

Skins (``bench-agent station``, the app's station screen) open it with
:func:`open_station`, read :meth:`Station.slots` (or :meth:`Station.board`, every named
slot) and may call :meth:`Station.start_now`, :meth:`Station.hold` and
:meth:`Station.set_batch`; this module prints nothing.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.bench import erasure
from bench_agent.i18n import N_, _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.erasure import DrivePlan, EraseSetup
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.site import Site
    from bench_agent.bench.site import Station as StationSettings
    from bench_agent.host.base import Host
    from wipe.engine import DriveLeftEvent, EraseOutcome
    from wipe.overwrite import Progress
    from wipe.runner_protocol import Runner
    from wipe.targets import Target

SYS = Path("/sys")
UDEV_DATA = Path("/run/udev/data")

STATES = {
    "waiting": N_("en attente"),
    "erasing": N_("effacement"),
    "done": N_("terminé"),
    "refused": N_("refusé"),
    "ignored": N_("ignoré (port sans emplacement)"),
    "held": N_("retenu"),
    "empty": N_("vide"),
}

BATCH_MAX = 64


@dataclass(frozen=True, slots=True)
class SlotView:
    """One dock port as a skin shows it (a copy: safe to read from any thread)."""

    slot: str
    device: str | None
    state: str
    """``waiting``, ``held`` (waits for the technician's key), ``erasing``, ``done``,
    ``refused``, ``ignored`` or (:meth:`Station.board` only) ``empty``."""
    identity: dict[str, Any]
    plan: Text | None = None
    starts_in_s: float | None = None
    progress: Progress | None = None
    result: str | None = None
    reasons: Text | None = None
    certificate: Path | None = None
    resumed: bool = False
    left: bool = False
    """The drive was pulled mid-erasure (its result: INTERRUPTED)."""
    health: str | None = None
    """smartctl's verdict (OK, WORN, SUSPECT, FAIL, UNKNOWN), None until read."""
    health_reason: Text | None = None
    batch: str | None = None
    """The donor batch its certificate names (set when its erasure starts)."""
    stalled_s: float | None = None
    """Erasing with no progress for this many seconds (past the site's ``stall_s``)."""
    abandoned: bool = False
    """Given up after ``give_up_s`` without progress: FAILED, its worker left blocked."""

    def text(self) -> Text:
        """One line: slot, device, model [serial], state, and progress or result."""
        ident = self.identity
        who = f"{ident.get('model') or '?'} [{ident.get('serial') or '-'}]"
        size = erasure.human_size(ident.get("size_bytes"))
        head = _t(
            "{slot} {device} {who} {size} : {state}",
            slot=self.slot,
            device=self.device or "-",
            who=who,
            size=size,
            state=_t(STATES.get(self.state, self.state)),
        )
        tail: Text | None = None
        if self.state == "waiting" and self.starts_in_s is not None:
            tail = _t(
                "début dans {seconds} s — {plan}",
                seconds=f"{self.starts_in_s:.0f}",
                plan=self.plan or "",
            )
        elif self.state == "erasing" and self.stalled_s is not None:
            tail = _t(
                "BLOQUÉ : aucune progression depuis {seconds} s",
                seconds=f"{self.stalled_s:.0f}",
            )
        elif self.state == "erasing" and self.progress is not None:
            tail = erasure.progress_text(self.progress, with_device=False)
        elif self.result is not None:
            tail = _t(
                "{result} {reasons}",
                result=self.result,
                reasons=self.reasons or "",
            )
        elif self.reasons is not None:
            tail = self.reasons
        if tail is None:
            return head
        return Text(fr=f"{head.fr} — {tail.fr}".rstrip(), en=f"{head.en} — {tail.en}".rstrip())


@dataclass
class _Slot:
    name: str
    device: str
    target: Target
    state: str
    due_at: float | None = None
    plan: DrivePlan | None = None
    cancel: DriveLeftEvent | None = None
    progress: Progress | None = None
    outcome: EraseOutcome | None = None
    reasons: Text | None = None
    thread: threading.Thread | None = None
    left: bool = False
    health: str | None = None
    health_reason: Text | None = None
    batch: str | None = None
    moved_at: float | None = None
    """When its erasure last made progress (started, bytes done changed, or the drive
    completed an I/O: a failing drive retrying sector by sector moves no bytes)."""
    io_done: tuple[str, ...] | None = None
    stalled: bool = False
    abandoned: bool = False

    def view(self, now: float) -> SlotView:
        o = self.outcome
        stalled_s = now - self.moved_at if self.stalled and self.moved_at is not None else None
        return SlotView(
            slot=self.name,
            device=self.device,
            state=self.state,
            identity=dict(self.target.identity()),
            plan=self.plan.text() if self.plan is not None else None,
            starts_in_s=max(0.0, self.due_at - now) if self.due_at is not None else None,
            progress=self.progress,
            result=o.result if o is not None else None,
            reasons=erasure.outcome_reasons(o) if o is not None else self.reasons,
            certificate=o.certificate_path if o is not None else None,
            resumed=self.plan is not None and self.plan.resume is not None,
            left=self.left,
            health=self.health,
            health_reason=self.health_reason,
            batch=self.batch,
            stalled_s=stalled_s if self.state == "erasing" else None,
            abandoned=self.abandoned,
        )


def valid_batch(code: str) -> str:
    """A donor batch code as typed (spaces around it dropped), or BenchError (exit 2)."""
    from bench_agent.bench.errors import BenchError

    code = code.strip()
    if not code or len(code) > BATCH_MAX or any(not ch.isprintable() for ch in code):
        raise BenchError(
            _t("Code de lot invalide : de 1 à {max} caractères imprimables.", max=BATCH_MAX),
            exit_code=2,
        )
    return code


def read_sys(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def present(name: str, sys_root: Path = SYS) -> bool:
    """The disk has a medium: a size, and (a loop device) not detached while still open
    (``losetup -d`` then only sets autoclear: the kernel drops it on the last close)."""
    base = sys_root / "block" / name
    size = read_sys(base / "size")
    if not size or not size.isdigit() or int(size) == 0:
        return False
    return read_sys(base / "loop" / "autoclear") != "1"


def io_completed(name: str, sys_root: Path = SYS) -> tuple[str, ...] | None:
    """The kernel's counts of reads and writes the disk completed (``/sys/block/X/stat``:
    errors included), None when unreadable."""
    fields = (read_sys(sys_root / "block" / name / "stat") or "").split()
    return (fields[0], fields[4]) if len(fields) >= 5 else None


def port_of(name: str, properties: dict[str, str] | None = None, sys_root: Path = SYS) -> list[str]:
    """What a slot may name for this disk: udev's ID_PATH (from the event, else udev's
    database), then the kernel DEVPATH (``/devices/...``)."""
    from wipe.drive_identity import parse_udev_data

    names: list[str] = []
    props = properties or {}
    id_path = props.get("ID_PATH")
    dev = read_sys(sys_root / "block" / name / "dev")
    if not id_path and dev:
        try:
            id_path = parse_udev_data((UDEV_DATA / f"b{dev}").read_bytes()).get("ID_PATH")
        except OSError:
            id_path = None
    if id_path:
        names.append(id_path)
    devpath = props.get("DEVPATH")
    if not devpath:
        try:
            devpath = "/" + os.path.relpath(os.path.realpath(sys_root / "block" / name), sys_root)
        except OSError:
            devpath = None
    if devpath:
        names.append(devpath)
    return names


def slot_for(ports: list[str], slots: dict[str, str]) -> str | None:
    """The slot whose pattern names one of ``ports`` (exact or shell pattern)."""
    for slot, pattern in slots.items():
        if any(port == pattern or fnmatch.fnmatchcase(port, pattern) for port in ports):
            return slot
    return None


@dataclass
class Station:
    """The slot table and the erasures it runs. ``handle(name)`` after any block event;
    ``tick()`` regularly (starts the erasures that are due); ``slots()`` for the skins."""

    setup: EraseSetup
    settings: StationSettings
    on_change: Callable[[], None] | None = None
    clock: Callable[[], float] = time.monotonic
    destination: str = "reuse"
    sys_root: Path = SYS
    _slots: dict[str, _Slot] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    _finished_left: list[SlotView] = field(default_factory=list)
    host: Host | None = None
    """This machine, for smartctl's verdict of each drive (None: not read)."""
    _outbox_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what the skins read ---------------------------------------------------------

    def slots(self) -> list[SlotView]:
        now = self.clock()
        with self._lock:
            return [s.view(now) for s in sorted(self._slots.values(), key=lambda s: s.name)]

    def board(self) -> list[SlotView]:
        """What a screen shows: every slot the site names (``empty`` when no drive is
        in it; the last drive pulled from it mid-erasure, INTERRUPTED, until another
        arrives), then the drives in ports no slot names."""
        current = self.slots()
        taken = {v.slot for v in current}
        shown: dict[str, SlotView] = {}
        for name in self.settings.slots:
            shown[name] = SlotView(slot=name, device=None, state="empty", identity={})
        with self._lock:
            left = list(self._finished_left)
        for view in left:
            if view.slot not in taken:
                shown[view.slot] = view
        for view in current:
            shown[view.slot] = view
        named = [shown.pop(name) for name in self.settings.slots if name in shown]
        return named + sorted(shown.values(), key=lambda v: (v.state == "ignored", v.slot))

    def erasing(self) -> bool:
        """A drive is being erased now."""
        with self._lock:
            return any(s.state == "erasing" for s in self._slots.values())

    def abandoned(self) -> list[SlotView]:
        """Drives given up while their I/O hung: their worker threads are still blocked
        in the kernel (the process may not end before the drive answers or leaves)."""
        now = self.clock()
        with self._lock:
            return [s.view(now) for s in self._slots.values() if s.abandoned]

    def busy(self) -> bool:
        """A drive is waiting for its delay or being erased (a held drive waits for a
        person, not for the station)."""
        with self._lock:
            return any(s.state in {"waiting", "erasing"} for s in self._slots.values())

    def outcomes(self) -> list[EraseOutcome]:
        with self._lock:
            return [s.outcome for s in self._slots.values() if s.outcome is not None]

    def start_now(self, slot: str) -> bool:
        """The technician's key: erase the waiting (or held) drive of ``slot`` now."""
        with self._lock:
            s = self._slots.get(slot)
            if s is None or s.state not in {"waiting", "held"}:
                return False
            s.state = "waiting"
            s.due_at = self.clock()
        self.tick()
        return True

    def hold(self, slot: str) -> bool:
        """The technician's other key: the waiting drive of ``slot`` is not erased when
        its delay ends; it waits (``held``) until :meth:`start_now` or it is pulled."""
        with self._lock:
            s = self._slots.get(slot)
            if s is None or s.state != "waiting":
                return False
            s.state = "held"
            s.due_at = None
        self._changed()
        return True

    def set_batch(self, code: str) -> None:
        """The donor batch of the drives whose erasure starts from now on (a drive
        already erasing keeps the batch it started with)."""
        code = valid_batch(code)
        with self._lock:
            self.settings.batch = code
        self._changed()

    # -- events ----------------------------------------------------------------------

    def scan(self) -> None:
        """Every disk present now (the station starting): as if each had just arrived."""
        try:
            names = sorted(os.listdir(self.sys_root / "block"))
        except OSError:
            names = []
        for name in names:
            self.handle(name)

    def handle(self, name: str, properties: dict[str, str] | None = None) -> None:
        """A block event for disk ``name`` (added, changed, removed)."""
        here = present(name, self.sys_root)
        ports = port_of(name, properties, self.sys_root)
        slot = slot_for(ports, dict(self.settings.slots))
        if slot is None and self.settings.any_port:
            slot = name
        with self._lock:
            current = next((s for s in self._slots.values() if s.device == f"/dev/{name}"), None)
        if current is not None:
            if not here:
                self._left(current)
                return
            if current.state in {"erasing", "waiting", "held"}:
                return
            if current.state == "done" and not self._other_drive(current, name):
                return
            if current.state in {"refused", "ignored"} and not self._other_drive(current, name):
                return
        if not here:
            return
        self._arrived(name, slot)

    def _other_drive(self, slot: _Slot, name: str) -> bool:
        from wipe.targets import select_targets

        (t,) = select_targets([f"/dev/{name}"])
        old = slot.target
        if t.serial or old.serial:
            return t.serial != old.serial
        return (t.size_bytes, t.backing_file) != (old.size_bytes, old.backing_file)

    def _arrived(self, name: str, slot_name: str | None) -> None:
        from wipe.targets import select_targets

        (target,) = select_targets([f"/dev/{name}"])
        device = f"/dev/{name}"
        with self._lock:
            taken = self._slots.get(slot_name or name)
            if slot_name is not None and taken is not None and taken.device != device:
                # A pattern naming two ports (a hub): the second drive never hides the first.
                slot_name = f"{slot_name}+{name}"
        if slot_name is None:
            if target.erasable:
                # Shown (a drive in an unnamed port is not erased): the site names its docks.
                with self._lock:
                    self._slots[name] = _Slot(name, device, target, "ignored")
                self._changed()
            return
        if not target.erasable:
            reasons = Text(
                fr=" ; ".join(r.fr for r in target.refusals),
                en="; ".join(r.en for r in target.refusals),
            )
            with self._lock:
                self._slots[slot_name] = _Slot(
                    slot_name, device, target, "refused", reasons=reasons
                )
            self._changed()
            return
        resumes = self.setup.resume_points([target]) if self.settings.resume else {}
        (plan,) = erasure.plan([target], self.setup.policy, resumes=resumes)
        slot = _Slot(
            slot_name,
            device,
            target,
            "waiting",
            due_at=self.clock() + self.settings.delay_s,
            plan=plan,
        )
        with self._lock:
            self._slots[slot_name] = slot
        if self.host is not None:
            threading.Thread(
                target=self._read_health, args=(slot,), name=f"health-{name}", daemon=True
            ).start()
        self._changed()
        self.tick()

    def _read_health(self, slot: _Slot) -> None:
        """smartctl's verdict, shown beside the drive (its own thread: a slow USB bridge
        never holds the events). The erasure does not wait for it."""
        from bench_agent.health import check_device, load_policy

        assert self.host is not None
        try:
            health = check_device(self.host, slot.device, load_policy(), slot.target.transport)
        except Exception as exc:  # an unreadable drive: shown as unknown, never a crash
            verdict: str = "UNKNOWN"
            reason: Text | None = _t("santé illisible : {exc}", exc=exc)
        else:
            verdict, reason = health.verdict, health.reason
        with self._lock:
            slot.health = verdict
            slot.health_reason = reason
        self._changed()

    def _left(self, slot: _Slot) -> None:
        with self._lock:
            if slot.state == "erasing" and slot.cancel is not None:
                slot.left = True
                slot.cancel.set_drive_left()  # its thread ends it INTERRUPTED
                return
            if self._slots.get(slot.name) is slot:
                del self._slots[slot.name]
        self._changed()

    # -- erasures ----------------------------------------------------------------------

    def tick(self) -> None:
        """Start the erasures whose delay has passed; stop those whose drive left.

        A drive's presence is read again here (two sysfs files per drive) as well as on
        its events: a loop device detached while open (``losetup -d``) sends no event
        until it is closed, and an event lost to a full netlink buffer must not leave a
        pulled drive "erasing"."""
        from wipe.engine import DriveLeftEvent

        with self._lock:
            active = [s for s in self._slots.values() if s.state in {"waiting", "held", "erasing"}]
        for s in active:
            if not s.left and not present(s.device.removeprefix("/dev/"), self.sys_root):
                self._left(s)
        self.watchdog()
        now = self.clock()
        due: list[_Slot] = []
        with self._lock:
            if self.stopping.is_set():
                return
            for s in self._slots.values():
                if s.state == "waiting" and s.due_at is not None and s.due_at <= now:
                    s.state = "erasing"
                    s.cancel = DriveLeftEvent()
                    s.due_at = None
                    s.batch = self.settings.batch
                    due.append(s)
        for s in due:
            s.moved_at = self.clock()
            s.thread = threading.Thread(
                target=self._erase, args=(s,), name=f"station-{s.name}", daemon=True
            )
            s.thread.start()
        if due:
            self._changed()

    def _erase(self, slot: _Slot) -> None:
        assert slot.plan is not None and slot.cancel is not None
        # Checked again now: a disk mounted during the delay is refused like in erase.
        (target,) = erasure.select([slot.device])
        if slot.cancel.abandoned:
            return  # stuck reading the drive until the station gave up on it
        if not target.erasable or target.serial != slot.target.serial:
            with self._lock:
                slot.state = "refused"
                slot.reasons = _t("le disque a changé pendant l'attente : rien n'a été écrit")
            self._changed()
            return

        def progress(p: Progress) -> None:
            before = slot.progress
            slot.progress = p
            if before is None or (before.phase, before.pass_index, before.bytes_done) != (
                p.phase,
                p.pass_index,
                p.bytes_done,
            ):
                slot.moved_at = self.clock()
                slot.stalled = False
            self._changed()

        ctx = self.setup.context(
            operator=erasure.operator(self.settings.operator, donor=slot.batch),
            source=self.source(slot.batch),
            progress=progress,
            cancel=slot.cancel,
        )
        plan = replace(slot.plan, target=target)
        requests = erasure.requests_for(
            self.setup, [plan], dry_run=False, destination=self.destination
        )
        (outcome,) = erasure.run(requests, ctx)
        if slot.cancel.abandoned:
            return  # its I/O came back after the station gave up: already recorded
        try:
            self._enqueue(outcome)
        finally:  # the slot ends even if the outbox failed (the certificate is on disk)
            with self._lock:
                slot.outcome = outcome
                slot.state = "done"
                if slot.left and self._slots.get(slot.name) is slot:
                    # It left: the slot is free for the next drive (or the same, resumed).
                    del self._slots[slot.name]
                    self._finished_left.append(slot.view(self.clock()))
            self._changed()

    def _enqueue(self, outcome: EraseOutcome) -> None:
        """One drive's certificate to the outbox, one drive at a time: drives ending
        together (a dock reset) must not race to create or lock its database (seen in
        the virtual laptop: "database is locked" while SQLite set up the new file)."""
        with self._outbox_lock:
            erasure.enqueue_certificates(self.setup.paths, [outcome])

    def source(self, batch: str | None = None) -> dict[str, Any]:
        """A loose drive has no source computer: the station and the batch instead
        (central lists the drive in that batch's report)."""
        return {
            "loose_drive": True,
            "batch": batch if batch is not None else self.settings.batch,
            "station": os.uname().nodename,
        }

    def watchdog(self) -> None:
        """Stalled erasures: no progress and no I/O completed by the drive (a failing
        drive's errors are completions) for ``stall_s`` shows the slot stalled; for
        ``give_up_s`` ends the session FAILED (certificate written from here) and
        abandons its thread, blocked in the kernel. Firmware commands report no bytes:
        they are left to their own time limits."""
        now = self.clock()
        stall_s, give_up_s = self.settings.stall_s, self.settings.give_up_s
        changed: list[_Slot] = []
        give_up: list[_Slot] = []
        with self._lock:
            erasing = [s for s in self._slots.values() if s.state == "erasing"]
        io = {s.name: io_completed(s.device.removeprefix("/dev/"), self.sys_root) for s in erasing}
        with self._lock:
            for s in erasing:
                if s.state != "erasing" or s.moved_at is None or s.abandoned:
                    continue
                if s.progress is not None and s.progress.phase == "firmware":
                    continue
                if io[s.name] is not None and io[s.name] != s.io_done:
                    if s.io_done is not None:  # the drive answered an I/O since
                        s.moved_at = now
                        if s.stalled:
                            s.stalled = False
                            changed.append(s)  # shown moving again
                    s.io_done = io[s.name]
                idle = now - s.moved_at
                if idle >= give_up_s:
                    give_up.append(s)
                elif idle >= stall_s and not s.stalled:
                    s.stalled = True
                    changed.append(s)
        for s in give_up:
            self._abandon(s, now - (s.moved_at or now))
        if changed or give_up:
            self._changed()

    def _abandon(self, slot: _Slot, idle_s: float) -> None:
        from wipe.engine import EraseOutcome

        assert slot.cancel is not None
        done = slot.progress.bytes_done if slot.progress is not None else 0
        reason = _t(
            "le disque ne répond plus (aucune progression depuis {seconds} s, bloqué à "
            "{done} octets) : NON effacé ; session abandonnée par le poste",
            seconds=f"{idle_s:.0f}",
            done=done,
        )
        outcome = slot.cancel.abandon(reason.fr, reason.en)
        if outcome is None:
            if slot.cancel.ending:
                return  # it answered meanwhile: its own thread records its end
            # Stuck before its session started (opening the drive): nothing was written.
            outcome = EraseOutcome(slot.device, "FAILED", None, None, [reason.fr], [reason.en])
        else:
            self._enqueue(outcome)
        with self._lock:
            slot.stalled = True
            slot.abandoned = True
            slot.outcome = outcome
            slot.state = "done"

    def cancel_all(self) -> None:
        """Ctrl-C, SIGTERM: every running erasure stops (ABORTED), nothing new starts."""
        self.stopping.set()
        with self._lock:
            for s in self._slots.values():
                if s.cancel is not None:
                    s.cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the erasure threads, except abandoned ones; True if one still runs."""
        with self._lock:
            threads = [
                s.thread for s in self._slots.values() if s.thread is not None and not s.abandoned
            ]
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return any(t.is_alive() for t in threads)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def departed(self) -> list[SlotView]:
        """Drives that left mid-erasure, with their (INTERRUPTED) result."""
        with self._lock:
            return list(self._finished_left)


@dataclass(frozen=True, slots=True)
class Opened:
    """A station ready to watch, and the sessions the journal showed killed (each now
    has its INTERRUPTED certificate)."""

    station: Station
    interrupted: list[EraseOutcome]


def open_station(
    paths: BenchPaths,
    runner: Runner,
    site: Site,
    *,
    host: Host | None = None,
    delay_s: float | None = None,
    batch: str | None = None,
    on_change: Callable[[], None] | None = None,
) -> Opened:
    """The station of ``site.toml``'s ``[station]`` (``delay_s`` and ``batch`` given by
    the technician override it), for either skin. :class:`BenchError` with exit code 2
    for a bad value or no named slot, 3 for an unreadable key or journal."""
    import msgspec

    from bench_agent.bench.errors import BenchError

    settings = msgspec.structs.replace(site.station)
    if delay_s is not None:
        if not 0 <= delay_s <= 3600:
            raise BenchError(_t("Délai invalide : entre 0 et 3600 secondes."), exit_code=2)
        settings.delay_s = delay_s
    if not settings.slots and not settings.any_port:
        raise BenchError(
            _t(
                "Aucun emplacement nommé : ajoutez [station.slots] à site.toml "
                "(ou any_port = true)."
            ),
            exit_code=2,
        )
    if batch:
        settings.batch = valid_batch(batch)
    setup = erasure.EraseSetup.open(paths, runner, policy_path=site.station_policy_path(paths))
    station = Station(setup, settings, on_change=on_change, host=host)
    ctx = setup.context(operator=erasure.operator(settings.operator), source={})
    return Opened(station, setup.record_interrupted(ctx))


def monitor() -> Any:
    """A pyudev monitor of disks: udev's events where udevd runs (with ID_PATH), else the
    kernel's own (a container, an initramfs without udevd)."""
    import pyudev  # type: ignore[import-untyped]

    context = pyudev.Context()
    source = "udev" if Path("/run/udev/control").exists() else "kernel"
    mon = pyudev.Monitor.from_netlink(context, source=source)
    mon.filter_by("block")
    mon.start()
    return mon


def watch(
    station: Station,
    stop: threading.Event,
    *,
    exit_when_idle: bool = False,
    once: bool = False,
    poll_s: float = 0.2,
    ready: threading.Event | None = None,
) -> None:
    """Run the station until ``stop`` (or, ``once``: erase what is plugged in now and
    return; ``exit_when_idle``: return when a drive has finished and none is pending)."""
    mon = None if once else monitor()
    station.scan()
    if ready is not None:
        ready.set()  # listening: a drive plugged from now on is seen
    seen_work = station.busy()
    while not stop.is_set():
        if mon is not None:
            device = mon.poll(timeout=poll_s)
            while device is not None:
                if device.device_type == "disk":
                    station.handle(device.sys_name, dict(device.properties))
                device = mon.poll(timeout=0)
        else:
            stop.wait(poll_s)
        station.tick()
        busy = station.busy()
        seen_work = seen_work or busy
        if (once or exit_when_idle) and seen_work and not busy:
            break
        if once and not seen_work:
            break
    # Running erasures end (or were cancelled); a stalled one is abandoned by the
    # watchdog after give_up_s instead of holding the exit forever.
    while station.join(poll_s):
        station.watchdog()
