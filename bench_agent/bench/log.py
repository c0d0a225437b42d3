"""The bench log: technical detail of problems, kept out of the technician's screen."""

from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path

from bench_agent.bench.errors import BenchError
from bench_agent.i18n import _t, join
from bench_agent.model.common import Text
from wipe.private import make_private_dir, open_private

MAX_LOG_BYTES = 4 << 20
"""Past this size the log starts again (the previous one is kept as ``bench.log.1``)."""


def log_problem(log_path: Path, where: str, exc: BaseException | None, detail: str = "") -> None:
    """Append one dated entry; never raises (a full disk must not hide the first problem)."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    lines = [f"{stamp} {where}: {detail}".rstrip()]
    if exc is not None:
        lines += traceback.format_exception(type(exc), exc, exc.__traceback__)
    try:
        make_private_dir(log_path.parent)
        if log_path.exists() and log_path.stat().st_size > MAX_LOG_BYTES:
            os.replace(log_path, log_path.with_name(log_path.name + ".1"))
        fd = open_private(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    except OSError:
        pass


def problem_text(exc: BaseException, log_path: Path, where: str) -> Text:
    """The sentence a technician reads for an exception of a service: a BenchError's own
    text, otherwise a plain sentence that points to the log (the detail goes there)."""
    if isinstance(exc, BenchError):
        if exc.detail is None:
            return exc.text
        log_problem(log_path, where, exc)
        return join(" ", [exc.text, _t("Détail dans le journal du banc.")])
    log_problem(log_path, where, exc)
    if isinstance(exc, PermissionError):
        return _t(
            "Droits insuffisants : lancez le banc en administrateur (root). "
            "Détail dans le journal du banc."
        )
    if isinstance(exc, LookupError) and type(exc).__name__ == "FixtureMissingError":
        return _t(
            "Cette mesure n'a pas été enregistrée pour cet ordinateur. "
            "Détail dans le journal du banc."
        )
    return _t("Erreur inattendue : l'étape n'a pas pu se faire. Détail dans le journal du banc.")
