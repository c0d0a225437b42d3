"""central_inventory depends on the bench only through the evidence format: the report
model (bench_agent.model) and the signatures (wipe.signing), and the words shown for its
codes (bench_agent.vocabulary and its catalogues, bench_agent.i18n) — nothing that
touches a machine, no TUI, no HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = [
    "app",
    "cli",
    "web",
    "admin",
    "ingest",
    "evidence",
    "batch_report",
    "unit_document",
    "migrate",
    "staff",
    "staff_pages",
    "search",
]
ALLOWED_PREFIXES = (
    "bench_agent.model",
    "wipe.signing",
    "wipe.certificate",
    "wipe.model",
    "wipe.private",
    "bench_agent.vocabulary",  # the words for stored codes, shared with the bench
    "bench_agent.i18n",  # the vocabulary's gettext catalogues
)
FORBIDDEN = ("textual", "requests", "psutil", "pyudev", "pySMART", "bench_agent.host")


def test_imports_stay_within_the_evidence_format() -> None:
    code = (
        "import json, sys\n"
        + "".join(f"import central_inventory.{m}\n" for m in MODULES)
        + "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    ours = [m for m in loaded if m.split(".")[0] in {"bench_agent", "wipe"}]
    unexpected = [
        m for m in ours if m not in {"bench_agent", "wipe"} and not m.startswith(ALLOWED_PREFIXES)
    ]
    assert unexpected == []
    assert "bench_agent.model" in ours and "wipe.signing" in ours
    assert [m for m in loaded if m.startswith(FORBIDDEN)] == []
