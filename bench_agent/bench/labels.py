"""The unit's label: rendered from a report as a PDF, written or printed through CUPS."""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.bench.paths import BenchPaths
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.site import Organisation as SiteOrganisation
    from bench_agent.bench.site import Printer
    from bench_agent.host.base import Host
    from bench_agent.labels import LabelContent, LabelTemplate
    from bench_agent.model.report import UnitReport

LP_TIMEOUT_S = 30.0
JOB_WAIT_S = 10.0
"""How long a print waits for CUPS to hand the job to the printer (a label printer
takes a second or two; cups-pdf about one)."""
JOB_STUCK_S = 3.0
"""How long a job may sit behind a printer CUPS says does not answer before the print
is called failed (the state message can be a previous job's for a moment)."""
JOB_POLL_S = 0.25
ZPL_PORT = 9100
NET_TIMEOUT_S = 5.0
STATUS_TIMEOUT_S = 2.0
"""How long a ZPL printer may take to answer ``~HS`` (some never do: then it prints)."""
MAX_COPIES = 99
PRINTER_VARIABLE = "BENCH_AGENT_PRINTER"


def printer_queue(environ: Any) -> str | None:
    return environ.get(PRINTER_VARIABLE) or None


def load_template(name: str) -> LabelTemplate:
    from bench_agent.grading.toml_source import ProfileError
    from bench_agent.labels import load_template as labels_load_template

    try:
        return labels_load_template(name)
    except ProfileError as exc:
        raise BenchError(
            _t("Modèle d'étiquette invalide : {problem}", problem=exc.text),
            exit_code=2,
        ) from exc


def templates() -> list[tuple[LabelTemplate | None, Text | None]]:
    """Every shipped label template, or the sentence saying why one does not load."""
    from bench_agent.grading.toml_source import ProfileError
    from bench_agent.labels import list_templates
    from bench_agent.labels import load_template as labels_load_template

    found: list[tuple[LabelTemplate | None, Text | None]] = []
    for path in list_templates():
        try:
            found.append((labels_load_template(path), None))
        except ProfileError as exc:
            found.append((None, exc.text))
    return found


def qr_url_base(
    paths: BenchPaths, environ: Any, given: str | None = None
) -> tuple[str | None, Text | None]:
    """--qr-url-base, then BENCH_AGENT_CENTRAL_URL, then ``[central] url`` in sync.toml;
    with a warning when sync.toml is unreadable."""
    if given:
        return given, None
    if environ.get("BENCH_AGENT_CENTRAL_URL"):
        return environ["BENCH_AGENT_CENTRAL_URL"], None
    try:
        data = tomllib.loads(paths.sync_config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None, _t(
            "Attention : configuration d'envoi illisible ; le QR code porte la clé de l'unité."
        )
    central = data.get("central")
    url = central.get("url") if isinstance(central, dict) else None
    return (url, None) if isinstance(url, str) and url else (None, None)


def label_title(report: UnitReport) -> str:
    """The job title (cups-pdf names its file after it): the serial and the report id."""
    from bench_agent.labels.content import clean_text

    serial = clean_text(report.unit.serial, 40) or clean_text(report.unit.asset_tag, 40) or "unit"
    return f"etiquette {serial} {report.report_id[:8]}"


@dataclass
class RenderedLabel:
    pdf: bytes
    lines: list[str]
    qr: str | None
    template: LabelTemplate
    title: str
    content: LabelContent | None = None
    """What the label says, for the back ends that draw it themselves (ZPL, raster)."""


def render(
    report: UnitReport,
    template: LabelTemplate,
    lang: str,
    base_url: str | None,
    organisation: SiteOrganisation | None = None,
) -> RenderedLabel:
    from bench_agent.labels import FontMissingError, label_content, render_label
    from bench_agent.labels.content import Organisation

    tester = Organisation(organisation.name, organisation.address) if organisation else None
    content = label_content(report, lang, base_url, tester)
    title = label_title(report)
    try:
        rendered = render_label(content, template, title=title)
    except FontMissingError as exc:
        raise BenchError(
            _t("Police de caractères introuvable (paquet fonts-dejavu-core)."), detail=exc
        ) from exc
    return RenderedLabel(rendered.pdf, rendered.lines, content.qr_payload, template, title, content)


def write_pdf(path: Path, pdf: bytes) -> None:
    """Atomically: a half-written label never reaches a printer's hot folder."""
    try:
        write_atomic(path, pdf)
    except OSError as exc:
        raise BenchError(
            _t("Écriture impossible : {path} ({strerror})", path=path, strerror=exc.strerror)
        ) from exc


def _check_copies(copies: int) -> None:
    if not 1 <= copies <= MAX_COPIES:
        raise BenchError(
            _t("Exemplaires : entre 1 et {max_copies}.", max_copies=MAX_COPIES),
            exit_code=2,
        )


def print_pdf(
    host: Host,
    label: RenderedLabel,
    queue: str,
    *,
    copies: int = 1,
    server: str | None = None,
) -> tuple[str, list[Text]]:
    """Send the label to a CUPS queue: the job id and warnings; BenchError with the
    technician's sentence when the printer cannot take it."""
    _check_copies(copies)
    return _lp(host, label.pdf, ".pdf", queue, copies, label.template.media, label.title, server)


def _lp(  # noqa: PLR0917 - one private helper for the PDF and the raw sends
    host: Host,
    data: bytes,
    suffix: str,
    queue: str,
    copies: int,
    media: str | None,
    title: str,
    server: str | None,
) -> tuple[str, list[Text]]:
    """``data`` through CUPS ``lp``: a PDF with its media, or raw bytes (``media``
    None: ``-o raw``, for a queue that hands them to the printer unchanged)."""
    from bench_agent.labels import printing

    running = printing.scheduler_running(host.run(printing.scheduler_argv(server), 10.0))
    if running is None and host.which("lpstat") is None:
        raise BenchError(_t("Commandes d'impression introuvables (paquet cups-client)."))
    if running is False:
        if server:
            raise BenchError(
                _t(
                    "Le service d'impression CUPS n'est pas démarré sur {server} : lancez-le "
                    "puis réessayez.",
                    server=server,
                )
            )
        raise BenchError(
            _t("Le service d'impression CUPS n'est pas démarré : lancez-le puis réessayez.")
        )
    # A stopped queue would hold the job until someone restarts it, then print it late
    # (twice, if the technician asked again meanwhile): nothing is sent, the print can be
    # asked again once the printer is back.
    stopped = printing.queue_stopped_reason(
        host.run(printing.queue_state_argv(queue, server), 10.0)
    )
    if stopped is not None:
        raise _stopped(queue, stopped)
    fd, name = tempfile.mkstemp(prefix="bench-label-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        argv = printing.lp_argv(
            queue, name, copies=copies, media=media or "raw", title=title, server=server
        )
        if media is None:
            # -o raw: the bytes go to the printer as they are (ZPL on a raw queue).
            argv[argv.index("media=raw")] = "raw"
        # lp has sent the file to the spooler when it returns: the temporary file can go.
        outcome = printing.parse_lp_result(host.run(argv, LP_TIMEOUT_S))
    finally:
        Path(name).unlink(missing_ok=True)
    if outcome.ok:
        assert outcome.job_id is not None
        return outcome.job_id, _wait_for_job(host, queue, server, outcome.job_id)
    if outcome.problem == "not-installed":
        raise BenchError(_t("Commande lp introuvable (paquet cups-client)."))
    if outcome.problem == "timeout":
        raise BenchError(
            _t(
                "Pas de réponse de l'impression en {lp_timeout_s:g} s : service bloqué ?",
                lp_timeout_s=LP_TIMEOUT_S,
            )
        )
    if outcome.problem == "no-queue":
        known = printing.queue_names(host.run(printing.queues_argv(server), 10.0))
        listed = ", ".join(known) if known else "-"
        raise BenchError(
            _t(
                "Imprimante inconnue : {queue}. Imprimantes disponibles : {listed}.",
                queue=queue,
                listed=listed,
            ),
            exit_code=1,
        )
    if outcome.problem == "not-accepting":
        raise BenchError(
            _t("L'imprimante {queue} refuse les tâches (cupsaccept {queue}).", queue=queue),
            exit_code=1,
        )
    raise BenchError(
        _t("L'impression a échoué : {detail}", detail=outcome.detail),
        exit_code=1,
    )


def _stopped(queue: str, reason: str | None) -> BenchError:
    return BenchError(
        _t(
            "Imprimante {queue} arrêtée ({reason}) : vérifiez qu'elle est allumée, "
            "branchée et chargée, relancez-la (cupsenable {queue}) puis réessayez.",
            queue=queue,
            reason=reason or _t("aucune raison donnée"),
        ),
        exit_code=1,
    )


def _wait_for_job(
    host: Host,
    queue: str,
    server: str | None,
    job: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Text]:
    """Wait (up to JOB_WAIT_S) for CUPS to hand the job to the printer. A job the
    printer cannot take (CUPS stopped the queue, or says after JOB_STUCK_S that the
    printer does not answer: off, unplugged) is cancelled and BenchError raised, so
    nothing prints late and the technician can simply ask again. A job still waiting
    at the end is kept, with a warning."""
    from bench_agent.labels import printing

    start = clock()
    while printing.job_pending(host.run(printing.jobs_argv(queue, server), 10.0), job):
        state = host.run(printing.queue_state_argv(queue, server), 10.0)
        stopped = printing.queue_stopped_reason(state)
        unreachable = printing.printer_unreachable(state)
        if stopped is not None or (unreachable and clock() - start >= JOB_STUCK_S):
            host.run(printing.cancel_argv(job, server), 10.0)
            if stopped is not None:
                raise _stopped(queue, stopped)
            raise _unreachable(queue, RuntimeError(unreachable))
        if clock() - start >= JOB_WAIT_S:
            return [
                _t(
                    "Attention : la tâche {job} attend encore dans la file {queue} : "
                    "vérifiez que l'étiquette sort avant de réimprimer.",
                    job=job,
                    queue=queue,
                )
            ]
        sleep(JOB_POLL_S)
    return []


# -- the bench's own printer (site.toml [printer]) ----------------------------------------


def default_template(printer: Printer) -> str:
    """The shipped template for the printer's stock, unless ``template`` names one."""
    from bench_agent.labels.template import DEFAULT_TEMPLATE

    if printer.template:
        return printer.template
    if printer.kind == "brother_ql":
        return "brother-ql-29x90" if printer.tape == "29x90" else "brother-ql-62x29"
    if printer.kind == "zpl":
        return "shipping-100x50"
    return DEFAULT_TEMPLATE


def printer_name(printer: Printer) -> str:
    """How the record and the messages name the printer."""
    return printer.queue or printer.host or printer.device or printer.kind


@dataclass(frozen=True)
class Printed:
    kind: str
    printer: str
    job: str | None
    warnings: list[Text]


def print_label(host: Host, label: RenderedLabel, printer: Printer, *, copies: int = 1) -> Printed:
    """The label on the site's printer, through its back end (CUPS, ZPL, Brother QL).
    BenchError with the technician's sentence when the printer is off, unplugged or out
    of labels; nothing is recorded then, and the print can simply be asked again."""
    _check_copies(copies)
    name = printer_name(printer)
    if printer.kind == "cups":
        assert printer.queue is not None  # site.convert checks it
        job, warnings = print_pdf(host, label, printer.queue, copies=copies)
        return Printed("cups", name, job, warnings)
    assert label.content is not None
    if printer.kind == "zpl":
        from bench_agent.labels.zpl import label_zpl

        data = label_zpl(label.content, label.template, printer.dpi, copies)
        if printer.host:
            send_zpl(printer.host, data)
            return Printed("zpl", name, None, [])
        assert printer.queue is not None
        job, warnings = _lp(host, data, ".zpl", printer.queue, 1, None, label.title, None)
        return Printed("zpl", name, job, warnings)
    data = brother_instructions(label, printer, copies)
    send_brother(printer, data)
    return Printed("brother_ql", name, None, [])


def _unreachable(name: str, exc: BaseException) -> BenchError:
    return BenchError(
        _t(
            "Imprimante {printer} injoignable : éteinte, débranchée ou hors réseau ? "
            "Allumez-la, vérifiez le câble puis réessayez.",
            printer=name,
        ),
        exit_code=1,
        detail=exc,
    )


def _host_port(where: str, default_port: int) -> tuple[str, int]:
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit() or "]" in port:
        return where.strip("[]"), default_port
    return host.strip("[]"), int(port)


def send_zpl(where: str, data: bytes) -> None:
    """ZPL to a printer's raw TCP port (9100): asks its status first (``~HS``) and
    refuses to send to a printer out of labels or paused."""
    import socket

    from bench_agent.labels.zpl import HOST_STATUS, parse_host_status

    address = _host_port(where, ZPL_PORT)
    try:
        with socket.create_connection(address, timeout=NET_TIMEOUT_S) as conn:
            conn.sendall(HOST_STATUS)
            conn.settimeout(STATUS_TIMEOUT_S)
            answer = b""
            try:
                while answer.count(b"\x03") < 3:
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    answer += chunk
            except TimeoutError:
                pass  # a printer that does not answer ~HS still prints
            status = parse_host_status(answer)
            if status is not None and (status.paper_out or status.ribbon_out):
                raise BenchError(
                    _t(
                        "Imprimante {printer} : plus d'étiquettes ou de ruban (rouleau vide "
                        "ou mal engagé). Rechargez-la puis réessayez.",
                        printer=where,
                    ),
                    exit_code=1,
                )
            if status is not None and status.paused:
                raise BenchError(
                    _t(
                        "Imprimante {printer} en pause : appuyez sur son bouton pause puis "
                        "réessayez.",
                        printer=where,
                    ),
                    exit_code=1,
                )
            conn.settimeout(NET_TIMEOUT_S)
            conn.sendall(data)
    except OSError as exc:
        raise _unreachable(where, exc) from exc


def brother_instructions(label: RenderedLabel, printer: Printer, copies: int = 1) -> bytes:
    from bench_agent.labels.brother import BrotherSetupError, brother_raster
    from bench_agent.labels.raster import render_raster

    assert label.content is not None
    dpi = 600 if printer.dpi == 600 else 300
    image = render_raster(label.content, label.template, dpi)
    try:
        return brother_raster(image, model=printer.model, tape=printer.tape, dpi=dpi, copies=copies)
    except BrotherSetupError as exc:
        raise BenchError(
            _t("Réglage de l'imprimante Brother refusé : {detail}", detail=str(exc)),
            exit_code=2,
        ) from exc


def brother_backend(identifier: str) -> str:
    if identifier.startswith(("usb://", "0x")):
        return "pyusb"
    return "linux_kernel"


def brother_problem(name: str, errors: list[str]) -> BenchError:
    """The sentence for the errors a Brother QL reports in its status."""
    said = ", ".join(errors)
    if any("media" in e.lower() for e in errors):
        return BenchError(
            _t(
                "Imprimante {printer} : plus d'étiquettes ou rouleau absent ({errors}). "
                "Rechargez-la puis réessayez.",
                printer=name,
                errors=said,
            ),
            exit_code=1,
        )
    if any("turned off" in e.lower() for e in errors):
        return _unreachable(name, RuntimeError(said))
    return BenchError(
        _t(
            "Imprimante {printer} en erreur ({errors}) : corrigez (capot, coupe) puis réessayez.",
            printer=name,
            errors=said,
        ),
        exit_code=1,
    )


def send_brother(printer: Printer, data: bytes) -> None:
    """Raster instructions to a Brother QL over USB (pyusb or the kernel's usblp) or the
    network; its status answer, when the backend reads one, is checked."""
    from brother_ql.backends.helpers import send

    identifier = printer.device or f"tcp://{printer.host}"
    name = printer_name(printer)
    if identifier.startswith("tcp://"):
        # What the library's network back end does (bytes to port 9100, no answer read),
        # with the socket closed on every path.
        import socket

        address = _host_port(identifier.removeprefix("tcp://"), ZPL_PORT)
        try:
            with socket.create_connection(address, timeout=NET_TIMEOUT_S) as conn:
                conn.sendall(data)
        except OSError as exc:
            raise _unreachable(name, exc) from exc
        return
    try:
        status = send(data, identifier, brother_backend(identifier), blocking=True)
    except (OSError, ValueError) as exc:
        # USB device absent (pyusb: ValueError "Device not found", or no libusb),
        # /dev/usb/lp0 missing, a refused connection: the printer is off or unplugged.
        raise _unreachable(name, exc) from exc
    except Exception as exc:  # pyusb's USBError and NoBackendError are not OSErrors
        raise _unreachable(name, exc) from exc
    state = status.get("printer_state")
    if isinstance(state, dict) and state.get("errors"):
        raise brother_problem(name, [str(e) for e in state["errors"]])
