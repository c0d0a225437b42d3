"""The virtual-laptop tests reuse the QEMU guest of tests/wipe/firmware (qemu_guest.py);
the bench stick tests boot the image packaging/build-image.sh builds (``stick_image``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.requirements import require, require_program, require_root

_FIRMWARE_TESTS = str(Path(__file__).resolve().parents[1] / "wipe" / "firmware")
if _FIRMWARE_TESTS not in sys.path:
    sys.path.append(_FIRMWARE_TESTS)


REPO = Path(__file__).resolve().parents[2]
STICK_IMAGE_VARIABLE = "BENCH_STICK_IMAGE"
"""A prebuilt image to boot as is (its pxe/ folder beside it); otherwise build/bench-stick.img,
rebuilt when any source is newer."""
STICK_SOURCES = ("packaging", "bench_agent", "wipe", "profiles", "pyproject.toml")


def _newest_source() -> float:
    newest = 0.0
    for name in STICK_SOURCES:
        root = REPO / name
        paths = [root] if root.is_file() else root.rglob("*")
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def stick_image() -> Path:
    """The bench stick image: BENCH_STICK_IMAGE, or build/bench-stick.img built once per
    session by ``make image`` when missing or older than the sources (cold: ~10 min)."""
    given = os.environ.get(STICK_IMAGE_VARIABLE)
    if given:
        image = Path(given)
        require(image.is_file(), f"{STICK_IMAGE_VARIABLE}={given}: no such image")
        return image
    image = REPO / "build" / "bench-stick.img"
    if image.is_file() and image.stat().st_mtime > _newest_source():
        return image
    require_root()
    for program in ("mmdebstrap", "mksquashfs", "mkfs.vfat", "mcopy", "sfdisk", "grub-mkimage"):
        require_program(program)
    result = subprocess.run(
        [str(REPO / "packaging" / "build-image.sh")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"make image failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return image
