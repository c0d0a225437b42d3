"""The unit's label: rendered from a report as a PDF, written or printed through CUPS."""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.bench.paths import BenchPaths
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.host.base import Host
    from bench_agent.labels import LabelTemplate
    from bench_agent.model.report import UnitReport

LP_TIMEOUT_S = 30.0
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


def render(
    report: UnitReport, template: LabelTemplate, lang: str, base_url: str | None
) -> RenderedLabel:
    from bench_agent.labels import FontMissingError, label_content, render_label

    content = label_content(report, lang, base_url)
    title = label_title(report)
    try:
        rendered = render_label(content, template, title=title)
    except FontMissingError as exc:
        raise BenchError(
            _t("Police de caractères introuvable (paquet fonts-dejavu-core)."), detail=exc
        ) from exc
    return RenderedLabel(rendered.pdf, rendered.lines, content.qr_payload, template, title)


def write_pdf(path: Path, pdf: bytes) -> None:
    """Atomically: a half-written label never reaches a printer's hot folder."""
    try:
        write_atomic(path, pdf)
    except OSError as exc:
        raise BenchError(
            _t("Écriture impossible : {path} ({strerror})", path=path, strerror=exc.strerror)
        ) from exc


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
    from bench_agent.labels import printing

    if not 1 <= copies <= MAX_COPIES:
        raise BenchError(
            _t("Exemplaires : entre 1 et {max_copies}.", max_copies=MAX_COPIES),
            exit_code=2,
        )
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
    fd, name = tempfile.mkstemp(prefix="bench-label-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(label.pdf)
        argv = printing.lp_argv(
            queue, name, copies=copies, media=label.template.media, title=label.title, server=server
        )
        # lp has sent the file to the spooler when it returns: the temporary file can go.
        outcome = printing.parse_lp_result(host.run(argv, LP_TIMEOUT_S))
    finally:
        Path(name).unlink(missing_ok=True)
    warnings: list[Text] = []
    if outcome.ok:
        assert outcome.job_id is not None
        if printing.queue_disabled(host.run(printing.queue_state_argv(queue, server), 10.0)):
            warnings.append(
                _t("Attention : l'imprimante {queue} est arrêtée ; la tâche attend.", queue=queue)
            )
        return outcome.job_id, warnings
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
