"""Erasure test fixtures (defined in wipe_helpers so tests can import its helpers too).

tests/ is on sys.path (pytest's prepend mode) and tests/wipe/ has no __init__.py,
so the path finder would take this folder for a namespace package ``wipe`` before
the editable-install finder is asked; ``wipe.firmware`` would then be the tests'
folder. Putting the repository first makes the real package win.
"""

import sys
from pathlib import Path

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)
if getattr(sys.modules.get("wipe"), "__file__", "") is None:  # a namespace 'wipe' got in first
    for _name in [n for n in sys.modules if n == "wipe" or n.startswith("wipe.")]:
        del sys.modules[_name]

from wipe_helpers import bench_key, ctx, faulty_loop, loop_factory  # noqa: E402

__all__ = ["bench_key", "ctx", "faulty_loop", "loop_factory"]
