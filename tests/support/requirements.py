"""Requirements of tests that need real parts (root, loop devices, PostgreSQL, CUPS,
QEMU, Chromium).

On a laptop a missing part skips the test with a reason; in CI (``CI=true``)
it fails it, because CI provisions every part and nothing required may skip.
"""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip (laptop) or fail (CI) the calling test unless ``condition`` holds."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required in CI but missing: {reason}", pytrace=False)
    pytest.skip(reason)


def require_root() -> None:
    require(os.geteuid() == 0, "needs root (run as root or in CI)")


def require_program(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin")
    require(path is not None, f"needs the program {name!r} (Debian package)")
    assert path is not None
    return path


def require_loop_devices() -> None:
    require_root()
    require(os.path.exists("/dev/loop-control"), "needs loop devices (/dev/loop-control)")
    require_program("losetup")


def postgres_url() -> str:
    """URL of a PostgreSQL server for tests: BENCH_TEST_POSTGRES_URL (set by .ci/run)."""
    url = os.environ.get("BENCH_TEST_POSTGRES_URL", "")
    require(bool(url), "needs BENCH_TEST_POSTGRES_URL (a PostgreSQL server; .ci/run starts one)")
    return url


def chromium_path() -> str:
    return require_program("chromium")
