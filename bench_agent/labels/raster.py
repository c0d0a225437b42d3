"""The label as a black-and-white bitmap for printers fed pixels (Brother QL raster).

Pure: :class:`LabelContent` + :class:`LabelTemplate` + a resolution in, a Pillow image
out. The rows are placed by the PDF's own :func:`~bench_agent.labels.render.layout`
(same wrapping, same sizes), drawn with the same DejaVu fonts; the QR code is
reportlab's encoder, one square of whole pixels per module. The image is in the
content's orientation (the long edge across for a landscape label).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench_agent.labels.content import LabelContent
from bench_agent.labels.render import QR_BORDER_MODULES, _font_files, layout, register_fonts
from bench_agent.labels.template import LabelTemplate

if TYPE_CHECKING:
    from PIL.Image import Image


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR code's modules (error correction M, as on the PDF), dark = True."""
    from reportlab.graphics.barcode import qrencoder

    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    return [[bool(cell) for cell in row] for row in code.modules]


def content_box_pt(template: LabelTemplate) -> tuple[float, float]:
    """The content's width and height in points (the page turned when rotated)."""
    page_w, page_h = template.page_size_pt
    return (page_h, page_w) if template.rotated else (page_w, page_h)


def render_raster(content: LabelContent, template: LabelTemplate, dpi: int) -> Image:
    """The label at ``dpi``, mode "1" (black on white), in the content's orientation."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    register_fonts()
    regular, bold = _font_files()
    box_w, box_h = content_box_pt(template)
    scale = dpi / 72.0
    width, height = round(box_w * scale), round(box_h * scale)
    image = PILImage.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    rows, qr = layout(content, template, box_w, box_h)
    fonts: dict[tuple[str, float], ImageFont.FreeTypeFont] = {}
    body = template.spec.fonts_pt.body
    for row in rows:
        path = str(bold if row.font.endswith("Bold") else regular)
        key = (path, row.size)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(path, max(1, round(row.size * scale)))
        font = fonts[key]
        y = (box_h - row.baseline) * scale
        draw.text((row.x * scale, y), row.text, font=font, fill=0, anchor="ls")
        if row.note:
            note_font = ImageFont.truetype(str(regular), max(1, round(body * scale)))
            x = row.x * scale + draw.textlength(row.text, font=font)
            draw.text((x, y), row.note, font=note_font, fill=0, anchor="ls")
    if qr is not None:
        qr_x, qr_y, qr_side = qr
        matrix = qr_matrix(content.qr_payload)
        modules = len(matrix) + 2 * QR_BORDER_MODULES
        # Whole pixels per module: a scanner reads square, equal modules.
        pixel = max(1, int(qr_side * scale // modules))
        left = round(qr_x * scale) + QR_BORDER_MODULES * pixel
        top = round((box_h - qr_y - qr_side) * scale) + QR_BORDER_MODULES * pixel
        for r, line in enumerate(matrix):
            for c, dark in enumerate(line):
                if dark:
                    x0, y0 = left + c * pixel, top + r * pixel
                    draw.rectangle((x0, y0, x0 + pixel - 1, y0 + pixel - 1), fill=0)
    return image.point(lambda v: 255 if v >= 128 else 0, mode="1")
