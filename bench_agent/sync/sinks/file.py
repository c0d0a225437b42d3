"""The file sink: signed documents copied to a folder (a USB stick), for a site without
network or for a hand-carried copy.

The layout is the one ``bench-agent sync export DIR`` writes, so ``bench-agent sync
import DIR`` on a connected bench takes it: one ``<kind>-<item id>.json`` per document,
holding exactly the signed envelope the outbox holds (its signature is the proof), and a
``SHA256SUMS`` file (``sha256sum -c`` checks the copy). Writing is atomic and idempotent:
the same document again changes nothing; another content under the same name is
refused, never written over (evidence is not replaced).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bench_agent.bench.files import write_atomic
from bench_agent.i18n import _t
from bench_agent.sync.sinks.base import Delivery, Document

SUMS = "SHA256SUMS"


def file_name(kind: str, item_id: str) -> str:
    """``report-<id>_<rev>.json``: the name ``sync export`` gives (commands/sync.py
    ``_safe``: keep both in step)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in item_id)[:120]
    return f"{kind}-{safe}.json"


class FileSink:
    """Copies each document to ``directory`` (created when missing)."""

    def __init__(self, directory: Path, *, name: str = "file") -> None:
        self.name = name
        self.directory = directory

    def close(self) -> None:
        pass

    def deliver(self, document: Document) -> Delivery:
        name = file_name(document.kind, document.item_id)
        target = self.directory / name
        digest = hashlib.sha256(document.body).hexdigest()
        try:
            if target.exists():
                if target.read_bytes() != document.body:
                    return Delivery(
                        "rejected",
                        _t(
                            "{name} existe déjà dans {directory} avec un autre contenu : "
                            "rien n'est écrasé",
                            name=name,
                            directory=self.directory,
                        ),
                        detail=f"{target}: different bytes under the same item id",
                    )
            else:
                write_atomic(target, document.body)
            self._record_sum(name, digest)
        except OSError as exc:
            return Delivery(
                "retry",
                _t(
                    "Dossier {directory} inaccessible (clé absente, pleine ou en lecture "
                    "seule) ; nouvel essai plus tard",
                    directory=self.directory,
                ),
                detail=f"{type(exc).__name__}: {exc}",
            )
        return Delivery("sent")

    def _record_sum(self, name: str, digest: str) -> None:
        path = self.directory / SUMS
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        entries = {line[66:]: line[:64] for line in lines if len(line) > 66}
        if entries.get(name) == digest:
            return
        entries[name] = digest
        text = "".join(f"{entries[n]}  {n}\n" for n in sorted(entries))
        write_atomic(path, text.encode("utf-8"))
