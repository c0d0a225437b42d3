"""Every character the app draws is in the Linux console's font.

The bench stick runs the app on the kernel console; a glyph its font lacks is drawn
as a diamond. The snapshots (``test_snapshots.py`` keeps them equal to the screens)
hold every screen at 80x25 and 120x40 in both languages: each character in them must
be in Debian's default console font, ``Lat15-Fixed16`` (console-setup). Its character
set is in ``console_font_lat15.txt``, read from the font's Unicode table
(console-setup-linux 1.221, ``/usr/share/consolefonts/Lat15-Fixed16.psf.gz``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

HERE = Path(__file__).parent
FONT = (HERE / "console_font_lat15.txt").read_text(encoding="utf-8")
SNAPSHOTS = sorted((HERE / "snapshots").glob("*.svg"))


def drawn(svg: Path) -> set[str]:
    """The characters of the terminal cells in a Textual SVG screenshot (the window
    title, which is ours, not the screen's, is left out)."""
    text = svg.read_text(encoding="utf-8")
    cells = set()
    for match in re.finditer(r'<text class="[^"]*-r\d+"[^>]*>(.*?)</text>', text, re.S):
        cells |= set(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))))
    return cells


def test_the_font_table_is_the_real_one() -> None:
    # French letters and box drawing in, the partial blocks Textual uses by default out.
    assert set("éèêàçùœÉÀÈ…—«»→↑↓≥╭─│═█") <= set(FONT)
    assert not set("▊▔▁▀▄▌▐✓") & set(FONT)


def test_every_screen_draws_only_glyphs_of_the_console_font() -> None:
    assert len(SNAPSHOTS) >= 40
    missing = {}
    for svg in SNAPSHOTS:
        lacking = {ch for ch in drawn(svg) if ord(ch) > 126 and ch not in FONT}
        if lacking:
            missing[svg.name] = "".join(sorted(lacking))
    assert missing == {}
