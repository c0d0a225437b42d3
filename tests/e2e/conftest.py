"""The virtual-laptop tests reuse the QEMU guest of tests/wipe/firmware (qemu_guest.py)."""

import sys
from pathlib import Path

_FIRMWARE_TESTS = str(Path(__file__).resolve().parents[1] / "wipe" / "firmware")
if _FIRMWARE_TESTS not in sys.path:
    sys.path.append(_FIRMWARE_TESTS)
