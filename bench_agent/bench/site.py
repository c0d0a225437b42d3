"""The site's settings: ``$BENCH_AGENT_HOME/site.toml``, then the kernel command line.

A bench stick (or a PXE boot) is set up for one site: whether it runs unattended, what it
does at the end, the erasure policy, where the label goes, who the record names, the
central service. The file sits on the stick's persistent partition; the boot menu or the
PXE server adds ``bench.*`` words to the kernel command line, which win over the file.
Both are checked against one schema: a wrong setting is a sentence and exit code 2,
never a silent default (see docs/unattended.md).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.i18n import _t
from bench_agent.model.common import Text

SITE_FILE = "site.toml"
CMDLINE_PATH = "/proc/cmdline"
CMDLINE_VARIABLE = "BENCH_AGENT_CMDLINE"
"""The kernel command line's text to use instead of /proc/cmdline (tests; a site trying
its boot menu's words on a running bench)."""

After = Literal["poweroff", "wait", "exit"]
SiteName = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
"""The central service keeps a site in 16 characters (``bench.site`` of a report)."""
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Unattended(_Strict):
    enabled: bool = False
    after: After = "poweroff"
    """At the end: power off, stay on the last lines (and keep sending), or exit."""
    policy: Word = "auto"
    """``auto`` (the shipped erasure policy) or a policy file (relative to the home)."""
    label: Word = "file"
    """``file`` (a PDF in the labels folder), ``none``, ``printer`` (the ``[printer]``
    table), or the name of a CUPS queue."""
    operator: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "automate"
    """Who the record and the certificates name as having erased ("automate (poste 3)")."""
    erase_only: list[Annotated[str, msgspec.Meta(pattern="^/dev/")]] | None = None
    """Only these devices may be erased (tests, a station with a fixed dock); otherwise
    every internal disk of the inventory."""
    unfreeze: bool = False
    """Suspend 5 s to unfreeze an ATA drive the BIOS froze (otherwise it is overwritten)."""
    retry_s: float = 60.0
    """With ``after = "wait"``: how often the outbox is sent again while waiting."""


SlotName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,24}$")]


class Station(_Strict):
    """The erasure station (``bench-agent station``): loose drives in docks, erased by
    the policy as they arrive."""

    slots: dict[SlotName, Word] = msgspec.field(default_factory=dict)
    """Slot name -> the dock port: udev's ``ID_PATH`` or the kernel's DEVPATH, either
    exact or a shell pattern (``"*/block/loop3"``). Only drives in a named slot are
    erased, unless ``any_port``."""
    any_port: bool = False
    """Also erase a drive plugged into a port no slot names (its slot: the device name)."""
    policy: Word = "auto"
    """``auto`` (the shipped erasure policy) or a policy file (relative to the home)."""
    delay_s: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 15.0
    """Seconds between a drive's arrival and its erasure (time to pull a wrong one)."""
    batch: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    """The donor batch the loose drives belong to, written on each certificate."""
    operator: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "station"
    resume: bool = True
    """A drive whose erasure was interrupted (pulled, dock reset) resumes from its
    checkpoint when plugged back in."""
    stall_s: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 60.0
    """No progress for this long: the slot shows the drive stalled ("bloqué")."""
    give_up_s: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 600.0
    """Stalled this long: the session ends FAILED with its certificate and its worker
    (blocked in the kernel, unkillable) is abandoned; the other slots never wait for it."""


class Central(_Strict):
    url: Annotated[str, msgspec.Meta(pattern="^https?://")] | None = None
    token: Word | None = None
    """The bench's token; without it, ``central-token`` in the home (``sync configure``)."""


PrinterKind = Literal["cups", "brother_ql", "zpl"]
BrotherTape = Literal["62", "29x90"]
"""62 mm continuous tape (DK-22205) or 29 × 90 mm die-cut labels (DK-11201)."""


class Printer(_Strict):
    """The bench's label printer (``[printer]``): one back end, one label stock."""

    kind: PrinterKind = "cups"
    queue: Word | None = None
    """cups: the CUPS queue; zpl: a raw CUPS queue (``-o raw``) instead of ``host``."""
    host: Word | None = None
    """zpl: ``HOST[:PORT]`` (port 9100 by default); brother_ql: ``tcp://HOST[:PORT]``."""
    device: Word | None = None
    """brother_ql: ``usb://0x04f9:0x209b`` or ``file:///dev/usb/lp0``."""
    model: Word = "QL-700"
    """brother_ql: the printer's model as brother-ql-next names it (QL-700, QL-820NWB...)."""
    tape: BrotherTape = "62"
    dpi: Literal[203, 300, 600] = 300
    """zpl: 203 or 300 (the printer's head); brother_ql: 300, or 600 (QL-570/8xx high
    resolution)."""
    template: Word | None = None
    """The label template for this printer (default: the shipped one for its stock)."""


class Organisation(_Strict):
    """Who tests and refurbishes: named with its address on the re-use record."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=160)] | None = None


class Site(_Strict):
    name: SiteName | None = None
    """The site's name, written in the reports (``bench.site``)."""
    lang: Literal["fr", "en"] | None = None
    keymap: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,32}$")] | None = None
    """The console keymap the image loads (``fr``, ``be``, ``us``...)."""
    unattended: Unattended = msgspec.field(default_factory=Unattended)
    central: Central = msgspec.field(default_factory=Central)
    printer: Printer | None = None
    organisation: Organisation | None = None
    station: Station = msgspec.field(default_factory=Station)

    def environ(self, base: Mapping[str, str], *, unattended: bool) -> dict[str, str]:
        """``base`` with the site's settings as the variables the services read; a
        variable already set in ``base`` is kept (the most explicit wins). The operator
        is the site's only for an unattended run."""
        values = {
            "BENCH_AGENT_OPERATOR": self.unattended.operator if unattended else None,
            "BENCH_AGENT_CENTRAL_URL": self.central.url,
            "BENCH_AGENT_CENTRAL_TOKEN": self.central.token,
            "BENCH_AGENT_SITE": self.name,
            "BENCH_AGENT_LANG": self.lang,
        }
        merged = dict(base)
        for name, value in values.items():
            if value and not merged.get(name):
                merged[name] = value
        return merged

    def policy_path(self, paths: BenchPaths) -> str | None:
        """The erasure policy file, None for the shipped one (``auto``)."""
        if self.unattended.policy == "auto":
            return None
        return str(resolve(paths, self.unattended.policy))

    def station_policy_path(self, paths: BenchPaths) -> str | None:
        """The station's erasure policy file, None for the shipped one (``auto``)."""
        if self.station.policy == "auto":
            return None
        return str(resolve(paths, self.station.policy))


def resolve(paths: BenchPaths, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else paths.home / path


# -- the kernel command line ------------------------------------------------------------

CMDLINE_KEYS: dict[str, tuple[str, ...]] = {
    "unattended": ("unattended", "enabled"),
    "after": ("unattended", "after"),
    "policy": ("unattended", "policy"),
    "label": ("unattended", "label"),
    "operator": ("unattended", "operator"),
    "erase_only": ("unattended", "erase_only"),
    "unfreeze": ("unattended", "unfreeze"),
    "central": ("central", "url"),
    "token": ("central", "token"),
    "site": ("name",),
    "lang": ("lang",),
    "keymap": ("keymap",),
}
"""``bench.<key>=<value>`` words and the setting each one sets."""
BOOLEAN_KEYS = frozenset({"unattended", "unfreeze"})
TRUE_WORDS = frozenset({"1", "yes", "true", "on", "oui"})
FALSE_WORDS = frozenset({"0", "no", "false", "off", "non"})


def _cmdline_error(word: str, detail: str) -> BenchError:
    return BenchError(
        _t(
            "Ligne de commande du noyau : réglage « {word} » refusé.",
            word=word[:80],
        ),
        exit_code=2,
        detail=detail,
    )


def parse_cmdline(text: str) -> dict[str, Any]:
    """The site settings named by ``bench.*`` words of a kernel command line, as a nested
    dict (``{"unattended": {"enabled": True}}``); other words are the kernel's and are
    ignored. A value may be quoted (``bench.operator="automate (poste 3)"``), a list is
    comma-separated. BenchError (exit 2) for an unknown ``bench.`` key or a bad value."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise _cmdline_error(text.strip(), f"unbalanced quotes: {exc}") from exc
    found: dict[str, Any] = {}
    for word in words:
        if not word.startswith("bench."):
            continue
        key, sep, value = word[len("bench.") :].partition("=")
        if key not in CMDLINE_KEYS:
            known = ", ".join(f"bench.{k}" for k in CMDLINE_KEYS)
            raise _cmdline_error(word, f"unknown key bench.{key} (known: {known})")
        parsed: Any
        if key in BOOLEAN_KEYS:
            lowered = value.lower()
            if not sep or lowered in TRUE_WORDS:
                parsed = True  # bench.unattended alone means yes
            elif lowered in FALSE_WORDS:
                parsed = False
            else:
                raise _cmdline_error(word, f"bench.{key} expects 1 or 0, got {value!r}")
        elif not sep or not value:
            raise _cmdline_error(word, f"bench.{key} expects a value (bench.{key}=...)")
        elif key == "erase_only":
            parsed = [v for v in value.split(",") if v]
        else:
            parsed = value
        *parents, leaf = CMDLINE_KEYS[key]
        table = found
        for parent in parents:
            table = table.setdefault(parent, {})
        table[leaf] = parsed
    return found


def read_cmdline(environ: Mapping[str, str]) -> str:
    """The kernel command line: ``BENCH_AGENT_CMDLINE`` when set (even empty), else
    /proc/cmdline ("" where there is none)."""
    if CMDLINE_VARIABLE in environ:
        return environ[CMDLINE_VARIABLE]
    try:
        return Path(CMDLINE_PATH).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# -- the file, and both together --------------------------------------------------------


def _field_of(message: str) -> str:
    match = re.search(r"at `\$\.?([^`]*)`", message)
    return match.group(1) if match else "?"


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def convert(data: Mapping[str, Any], source: str | Text) -> Site:
    """``data`` checked against the schema; BenchError (exit 2) naming the setting."""
    try:
        site = msgspec.convert(data, Site)
    except msgspec.ValidationError as exc:
        raise BenchError(
            _t(
                "Réglages du site invalides ({source}) : « {field} » refusé.",
                source=source,
                field=_field_of(str(exc)),
            ),
            exit_code=2,
            detail=exc,
        ) from exc
    printer = site.printer
    if printer is not None:
        missing = None
        if printer.kind == "cups" and not printer.queue:
            missing = "printer.queue"
        elif printer.kind == "zpl" and not (printer.queue or printer.host):
            missing = "printer.host"
        elif printer.kind == "brother_ql" and not (printer.device or printer.host):
            missing = "printer.device"
        elif printer.kind == "zpl" and printer.dpi == 600:
            missing = "printer.dpi"
        if missing:
            raise BenchError(
                _t(
                    "Réglages du site invalides ({source}) : « {field} » refusé.",
                    source=source,
                    field=missing,
                ),
                exit_code=2,
                detail=f"[printer] kind = {printer.kind!r} needs {missing} (or 203/300 dpi)",
            )
    if site.unattended.retry_s <= 0:
        raise BenchError(
            _t(
                "Réglages du site invalides ({source}) : « {field} » refusé.",
                source=source,
                field="unattended.retry_s",
            ),
            exit_code=2,
            detail="retry_s must be positive",
        )
    return site


def read_file(paths: BenchPaths) -> dict[str, Any]:
    """``site.toml`` as a dict ({} when there is none); BenchError (exit 2) when it
    cannot be read as TOML."""
    path = paths.home / SITE_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BenchError(
            _t("Fichier des réglages du site illisible ({name}).", name=SITE_FILE),
            exit_code=2,
            detail=exc,
        ) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BenchError(
            _t("Fichier des réglages du site illisible ({name}).", name=SITE_FILE),
            exit_code=2,
            detail=exc,
        ) from exc


def load_site(paths: BenchPaths, environ: Mapping[str, str]) -> Site:
    """``site.toml``, then the kernel command line's ``bench.*`` words over it."""
    stored = read_file(paths)
    site = convert(stored, SITE_FILE)  # names the file when the file itself is wrong
    words = parse_cmdline(read_cmdline(environ))
    if not words:
        return site
    return convert(_merge(stored, words), _t("ligne de commande du noyau"))
