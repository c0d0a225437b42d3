"""Draw a label: :class:`LabelContent` + :class:`LabelTemplate` → PDF bytes (reportlab).

Text is set in DejaVu Sans (accents, "✓", "…"); a line too long for the label
shrinks down to the template's minimum size, then is cut with "…". The QR code
is reportlab's own widget (no extra dependency). Output is deterministic for
the same input (reportlab's invariant mode), which keeps tests and reprints stable.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from bench_agent.labels.content import LabelContent
from bench_agent.labels.template import LEADING, MM_TO_PT, LabelTemplate

ASCENT = 0.93
"""DejaVu Sans ascent, in em: where the first baseline sits below the top margin."""
QR_GAP_MM = 1.5
QR_BORDER_MODULES = 2
"""White modules around the QR code; the label's own margin completes the quiet zone."""

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian/Ubuntu fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora, Arch
    "/usr/local/share/fonts",
)
REGULAR = "BenchLabelSans"
BOLD = "BenchLabelSans-Bold"


class FontMissingError(LookupError):
    """Neither DejaVu Sans nor reportlab's bundled Vera could be found."""


@dataclass(frozen=True)
class RenderedLabel:
    pdf: bytes
    lines: list[str]
    """Each line as printed (after shrinking and cutting), top to bottom."""
    font_file: str


def _font_files() -> tuple[Path, Path]:
    for folder in _FONT_DIRS:
        regular = Path(folder) / "DejaVuSans.ttf"
        bold = Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    # No DejaVu (a minimal system): Bitstream Vera ships inside reportlab; it has the
    # Latin-1 accents but no "✓", which _printable() replaces.
    import reportlab

    bundled = Path(reportlab.__file__).parent / "fonts"
    regular, bold = bundled / "Vera.ttf", bundled / "VeraBd.ttf"
    if regular.is_file() and bold.is_file():
        return regular, bold
    raise FontMissingError(
        "no DejaVu Sans font (install fonts-dejavu-core) and no bundled reportlab Vera"
    )


def register_fonts() -> str:
    """Register the label fonts with reportlab once; returns the regular font's file."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR in registered and BOLD in registered:
        font = pdfmetrics.getFont(REGULAR)
        return str(getattr(font.face, "filename", ""))
    regular, bold = _font_files()
    pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
    return str(regular)


def _has_glyph(font_name: str, char: str) -> bool:
    from reportlab.pdfbase import pdfmetrics

    face = getattr(pdfmetrics.getFont(font_name), "face", None)
    mapping = getattr(face, "charToGlyph", None)
    return mapping is None or ord(char) in mapping


def _printable(text: str, font_name: str) -> str:
    if "✓" in text and not _has_glyph(font_name, "✓"):
        text = text.replace("✓", "OK")
    if "…" in text and not _has_glyph(font_name, "…"):
        text = text.replace("…", "...")
    return text


def fit_text(text: str, font: str, size: float, minimum: float, width: float) -> tuple[str, float]:
    """Shrink ``text`` down to ``minimum`` points to fit ``width``, then cut it with "…"."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    current = size
    while stringWidth(text, font, current) > width and current > minimum:
        current = max(minimum, current - 0.25)
    if stringWidth(text, font, current) <= width:
        return text, current
    ellipsis = "…" if _has_glyph(font, "…") else "..."
    low, high = 0, len(text)
    while low < high:  # longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if stringWidth(text[:mid].rstrip() + ellipsis, font, current) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + ellipsis, current


def wrap_text(text: str, font: str, size: float, width: float) -> tuple[str, str] | None:
    """``text`` split at a space into a first row that fits ``width`` at ``size`` and
    the rest; None when no word boundary makes a first row that fits."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    words = text.split(" ")
    for cut in range(len(words) - 1, 0, -1):
        head = " ".join(words[:cut]).rstrip(" ·")
        if head and stringWidth(head, font, size) <= width:
            return head, " ".join(words[cut:]).lstrip(" ·")
    return None


@dataclass(frozen=True)
class PlacedRow:
    """One row of text as drawn: its text, font, size and baseline."""

    text: str
    font: str
    size: float
    x: float
    baseline: float
    note: str = ""
    """Set only on the category's row: the grade's note, in the body font and size."""


def layout(
    content: LabelContent, template: LabelTemplate, box_w: float, box_h: float
) -> tuple[list[PlacedRow], tuple[float, float, float] | None]:
    """Where every row goes, and the QR code's (x, y, side).

    Legibility rules: the category's rows span the whole width (the QR code sits under
    them, at the right); a line too long wraps onto a second row while the label has
    height to spare, else shrinks to the template's minimum (≥ 6 pt; the category to its
    own minimum), then is cut with "…".
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    spec = template.spec
    fonts = spec.fonts_pt
    margins = spec.margins_mm
    left, right = margins.left * MM_TO_PT, margins.right * MM_TO_PT
    top, bottom = margins.top * MM_TO_PT, margins.bottom * MM_TO_PT
    inner_w, inner_h = box_w - left - right, box_h - top - bottom
    sizes = [template.line_size_pt(line[0]) for line in spec.lines]
    spare = inner_h - sum(size * LEADING for size in sizes)

    qr_side = spec.qr_size_mm * MM_TO_PT if content.qr_payload else 0.0
    qr_top = box_h - top
    if qr_side > 0 and spec.lines[0][0] == "category":
        # Right under the category's row; lower only as far as the label needs.
        qr_top = min(qr_top, max(qr_top - sizes[0] * LEADING, bottom + qr_side))
    qr = (box_w - right - qr_side, qr_top - qr_side, qr_side) if qr_side > 0 else None
    gap = QR_GAP_MM * MM_TO_PT

    rows: list[PlacedRow] = []
    cursor = box_h - top
    for line, size in zip(spec.lines, sizes, strict=True):
        first = line[0]
        font = BOLD if first in {"category", "model"} else REGULAR
        minimum = fonts.category_floor if first == "category" else fonts.minimum
        text = _printable(" · ".join(content.fields.get(name, "—") for name in line), font)
        note = " " + content.note if first == "category" and content.note else ""
        note_w = stringWidth(note, REGULAR, fonts.body) if note else 0.0

        def width_at(top_y: float, height: float) -> float:
            clear = qr is None or top_y - height >= qr[1] + qr[2] - 0.01 or top_y <= qr[1] + 0.01
            return inner_w if clear else inner_w - qr_side - gap

        width = width_at(cursor, size * LEADING) - note_w
        if stringWidth(text, font, size) > width and spare >= size * LEADING:
            split = wrap_text(text, font, size, width)
            if split is not None:
                head, rest = split
                spare -= size * LEADING
                rows.append(PlacedRow(head, font, size, left, cursor - size * ASCENT, note))
                cursor -= size * LEADING
                text, note = rest, ""
                width = width_at(cursor, size * LEADING)
        fitted, fitted_size = fit_text(text, font, size, minimum, width)
        rows.append(PlacedRow(fitted, font, fitted_size, left, cursor - size * ASCENT, note))
        cursor -= size * LEADING
    return rows, qr


def render_label(content: LabelContent, template: LabelTemplate, title: str = "") -> RenderedLabel:
    """The label as a one-page PDF the size of the template's page."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    font_file = register_fonts()
    page_w, page_h = template.page_size_pt
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    canvas.setTitle(title or "Étiquette bench-agent")
    canvas.setAuthor("bench-agent")
    canvas.setCreator("bench-agent label")
    if template.rotated:
        # Content runs along the page's long edge: a quarter turn counter-clockwise.
        canvas.translate(page_w, 0)
        canvas.rotate(90)
        box_w, box_h = page_h, page_w
    else:
        box_w, box_h = page_w, page_h
    rows, qr = layout(content, template, box_w, box_h)
    if qr is not None:
        qr_x, qr_y, qr_side = qr
        widget = QrCodeWidget(content.qr_payload, barLevel="M", barBorder=QR_BORDER_MODULES)
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(
            qr_side,
            qr_side,
            transform=[qr_side / (x1 - x0), 0, 0, qr_side / (y1 - y0), 0, 0],
        )
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, qr_x, qr_y)
    printed: list[str] = []
    body = template.spec.fonts_pt.body
    for row in rows:
        canvas.setFont(row.font, row.size)
        canvas.drawString(row.x, row.baseline, row.text)
        if row.note:
            canvas.setFont(REGULAR, body)
            canvas.drawString(
                row.x + stringWidth(row.text, row.font, row.size), row.baseline, row.note
            )
        printed.append(row.text + row.note)
    canvas.showPage()
    canvas.save()
    return RenderedLabel(pdf=buffer.getvalue(), lines=printed, font_file=font_file)
