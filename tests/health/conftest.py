"""Health tests import the shared ``tests.support`` helpers by their full name."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    # pytest puts tests/ (not the repo) on sys.path for this package; tests.support needs the repo.
    sys.path.insert(0, str(REPO))
