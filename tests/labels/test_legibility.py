"""Legibility rules of the label templates, measured on the rendered PDF.

The point sizes are read back from the PDF's own content stream (every ``Tf`` before a
text is shown): the category is the largest text and never under its template's
minimum, nothing is under 6 pt, a long model name wraps before it shrinks. The QR code
is decoded from a black-and-white raster at 203 and 300 dpi (thermal printers' two
resolutions). The cosmetic scale uses words French law allows for refurbished goods.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from bench_agent.grading import load_cosmetic_scale
from bench_agent.labels import label_content, list_templates, load_template, render_label
from bench_agent.labels.content import Organisation
from bench_agent.labels.template import BODY_MIN_PT
from tests.labels.test_labels import BASE, CERT_ID, bare_report, x1_report
from tests.support.requirements import require_program

TEMPLATES = [p.stem for p in list_templates()]
LONG_MODELS = [
    "ThinkPad X1 Carbon 5th",
    "HP EliteBook x360 1040 G8 Notebook PC",  # 37 characters, a real HP product name
    "Pavilion dv6 Notebook PC",
]


def shown_sizes(pdf: bytes) -> list[tuple[float, str]]:
    """(font size in pt, text) of every string the page shows."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    stream = ContentStream(page.get_contents(), page.pdf)
    size = 0.0
    shown: list[tuple[float, str]] = []
    for operands, operator in stream.operations:
        if operator == b"Tf":
            size = float(operands[1])
        elif operator in (b"Tj", b"TJ", b"'", b'"'):
            shown.append((size, repr(operands[-1])))
    return shown


def graded(model: str, category: str) -> object:
    report = x1_report()
    report.unit.model = model
    assert report.grade is not None
    report.grade.category = category
    return report


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("model", LONG_MODELS)
@pytest.mark.parametrize("category", ["NOT_DISTRIBUTABLE", "B"])
def test_category_is_largest_and_nothing_under_6_pt(
    template: str, model: str, category: str
) -> None:
    report = graded(model, category)
    chosen = load_template(template)
    content = label_content(report, "fr", BASE, Organisation("La Collecte", "1 rue A, Lyon"))  # type: ignore[arg-type]
    rendered = render_label(content, chosen)
    sizes = shown_sizes(rendered.pdf)
    assert sizes, "no text in the PDF"
    category_size = sizes[0][0]  # the category is drawn first
    fonts = chosen.spec.fonts_pt
    assert category_size >= fonts.category_floor
    assert all(size >= BODY_MIN_PT for size, _ in sizes), sizes
    assert category_size > max(size for size, _ in sizes[1:])
    # Nothing of the model was cut: it wrapped instead of shrinking.
    printed = " ".join(rendered.lines)
    assert f"Lenovo {model}" in printed
    assert "…" not in printed


def test_long_model_wraps_before_it_shrinks() -> None:
    report = graded(LONG_MODELS[1], "B")
    chosen = load_template("brother-ql-62x29")
    rendered = render_label(label_content(report, "fr", BASE), chosen)  # type: ignore[arg-type]
    title = chosen.spec.fonts_pt.title
    model_rows = [r for r in rendered.lines if "EliteBook" in r or "Notebook" in r]
    assert len(model_rows) == 2  # two rows...
    sizes = shown_sizes(rendered.pdf)
    assert [s for s, t in sizes if "EliteBook" in t or "Notebook" in t] == [title, title]


def test_a_template_with_no_room_shrinks_to_its_minimum_never_below(tmp_path: Path) -> None:
    # Every line of the small label filled: no room to wrap, so the 300-character name
    # shrinks to the template's minimum and is cut, but never goes under 6 pt.
    report = bare_report(maker="Lenovo", model="X" * 300, serial="S" * 200)
    rendered = render_label(label_content(report, "fr", BASE), load_template("brother-ql-62x29"))
    sizes = shown_sizes(rendered.pdf)
    assert min(s for s, _ in sizes) >= BODY_MIN_PT
    assert any(line.endswith("…") for line in rendered.lines)


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("dpi", [203, 300])
def test_qr_scans_in_black_and_white_at_thermal_resolutions(
    template: str, dpi: int, tmp_path: Path
) -> None:
    report = x1_report()
    rendered = render_label(label_content(report, "fr", BASE), load_template(template))
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(rendered.pdf)
    prefix = tmp_path / "mono"
    subprocess.run(
        [
            require_program("pdftoppm"),
            "-r",
            str(dpi),
            "-mono",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    out = subprocess.run(
        [require_program("zbarimg"), "--quiet", "--raw", str(prefix) + ".pbm"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.split() == [f"{BASE}/verify/{CERT_ID}"]


FORBIDDEN = ("neuf", "comme neuf", "new", "like new", "as new")


def test_cosmetic_scale_uses_permitted_words() -> None:
    scale = load_cosmetic_scale()
    codes = [g.code for g in scale.grades]
    assert codes == ["Z", "A", "B", "C", "D", "E"]  # the codes keep their meaning
    for grade in scale.grades:
        for text in (grade.fr, grade.en):
            words = text.casefold()
            assert not any(
                w in words.replace(",", " ").replace(".", " ").split() for w in ("neuf", "new")
            ), text
            assert "comme neuf" not in words and "like new" not in words, text
    assert scale.grades[1].fr.startswith("Excellent état")


def test_battery_words() -> None:
    # Described by the firmware, unseen by the system: a fault to check.
    report = x1_report()
    assert not report.inventory.batteries
    assert label_content(report).fields["battery"] == "Batterie non détectée : à vérifier"
    # Nothing described at all: absent.
    assert label_content(bare_report()).fields["battery"] == "Batterie absente"  # type: ignore[arg-type]


def test_longest_corpus_model_names_keep_the_rules() -> None:
    """The corpus's own longest maker + model strings, on every template."""
    from bench_agent.host.recorded import RecordedHost
    from bench_agent.inventory import collect_inventory
    from bench_agent.labels.content import model_text
    from bench_agent.unit import build_report
    from tests.labels.test_labels import CORPUS_HOSTS

    reports = [build_report(collect_inventory(RecordedHost(h))) for h in CORPUS_HOSTS]
    longest = sorted(reports, key=lambda r: len(model_text(r) or ""), reverse=True)[:3]
    assert len(model_text(longest[0]) or "") >= 25  # "HP Pavilion dv6 Notebook PC"...
    for report in longest:
        name = model_text(report)
        assert name is not None
        for template in TEMPLATES:
            chosen = load_template(template)
            rendered = render_label(label_content(report, "fr", BASE), chosen)
            sizes = shown_sizes(rendered.pdf)
            assert sizes[0][0] >= chosen.spec.fonts_pt.category_floor
            assert min(s for s, _ in sizes) >= BODY_MIN_PT
            assert name in " ".join(rendered.lines), (template, rendered.lines)
