"""Make ``wipe.firmware`` resolve to the package, not to this test folder.

tests/wipe/ has no ``__init__.py`` and tests/ is on sys.path (prepend import
mode), so the import system's path finder sees tests/wipe/ as a namespace
package ``wipe`` before the editable-install finder is asked. Submodules that
exist only in the real package still resolve (through the editable finder),
but ``wipe.firmware`` would be this very folder. A regular package wins over
namespace portions, so we add the real package directory to the search path.
(``pythonpath = ["."]`` in the pytest settings would fix it for every folder.)
"""

import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[3]
if str(_REPO) not in sys.path:
    sys.path.append(str(_REPO))
_wipe = sys.modules.get("wipe")
if _wipe is not None and getattr(_wipe, "__file__", None) is None:
    _real = str(_REPO / "wipe")
    if _real not in list(_wipe.__path__):
        _wipe.__path__.append(_real)
