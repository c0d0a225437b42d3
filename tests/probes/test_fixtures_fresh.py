"""The committed corpus-derived hosts are exactly what build_hosts.py makes today."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_committed_fixtures_match_the_builder(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("probes_build_hosts", HERE / "build_hosts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    written = module.build_all(tmp_path)
    assert len(written) == len(module.MACHINES) >= 4
    for fresh in written:
        committed = HERE / "hosts" / fresh.name
        assert _files(committed) == _files(fresh), (
            f"{committed} is stale: run python tests/probes/build_hosts.py"
        )
