"""Where a bench keeps its evidence and state: one folder, ``$BENCH_AGENT_HOME``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOME_VARIABLE = "BENCH_AGENT_HOME"


@dataclass(frozen=True, slots=True)
class BenchPaths:
    """Every file of the bench, under one home folder (the stick's persistent partition
    on a live image, ``~/.local/share/bench-agent`` elsewhere)."""

    home: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> BenchPaths:
        home = environ.get(HOME_VARIABLE)
        if home:
            return cls(Path(home))
        return cls(Path(environ.get("HOME", "~")).expanduser() / ".local/share/bench-agent")

    @property
    def key(self) -> Path:
        return self.home / "bench-key.pem"

    @property
    def journal(self) -> Path:
        return self.home / "erasure-journal.jsonl"

    @property
    def certificates(self) -> Path:
        return self.home / "certificates"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def labels(self) -> Path:
        return self.home / "labels"

    @property
    def sittings(self) -> Path:
        return self.home / "sittings"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox.sqlite"

    @property
    def sync_config(self) -> Path:
        return self.home / "sync.toml"

    @property
    def token(self) -> Path:
        return self.home / "central-token"

    @property
    def trust(self) -> Path:
        """What the network said the bench can trust (``bench-agent sync`` fills it)."""
        return self.home / "trust"

    @property
    def network_key(self) -> Path:
        """The network's public key (PEM): the anchor of ``bench-agent verify``."""
        return self.trust / "network-key.pub"

    @property
    def key_statement(self) -> Path:
        """The network's signed statement for this bench's key."""
        return self.trust / "key-statement.json"

    @property
    def log(self) -> Path:
        """Technical detail of every problem (what the technician hands over)."""
        return self.home / "bench.log"

    def report(self, report_id: str) -> Path:
        return self.reports / f"{report_id}.json"
