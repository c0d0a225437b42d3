"""Only glyphs the Linux console can draw.

The bench stick runs the app on the kernel console (``TERM=linux``), whose font —
Debian's default, ``Lat15-Fixed16`` from console-setup — has box drawing (─│╭╮═║━),
the full block and the French letters, but none of the partial blocks (▊▔▁▀▄▌▐) that
Textual draws by default for inputs, lists, check boxes, scroll bars and toasts: on
the console they would be diamonds. The borders are set in ``app.tcss``; the glyphs
Textual draws from Python are replaced here, once, when the app starts.
``tests/tui/test_console_glyphs.py`` checks every snapshot against that font.
"""

from __future__ import annotations

from typing import ClassVar

from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets._toggle_button import ToggleButton


class ConsoleScrollBarRender(ScrollBarRender):
    """A scroll bar whose thumb ends on whole cells (its colour shows it): no eighth
    blocks."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def use_console_glyphs() -> None:
    """Check boxes as ``[X]`` and whole-cell scroll bars (class settings Textual
    provides for this)."""
    ToggleButton.BUTTON_LEFT = "["
    ToggleButton.BUTTON_RIGHT = "]"
    ScrollBar.renderer = ConsoleScrollBarRender
