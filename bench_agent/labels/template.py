"""Label templates: data files under ``profiles/labels/`` describing one label stock.

A template gives the page as the printer driver expects it (``width_mm`` ×
``height_mm``), the orientation of the content on it, margins, font sizes, the
QR code size and which fields go on which line. A malformed template is a
:class:`~bench_agent.grading.toml_source.ProfileError` naming the file, the line
and the field, like every other data file under ``profiles/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench_agent.grading.spec import Locator, Spec, convert
from bench_agent.grading.toml_source import Path_, ProfileError, read_toml
from bench_agent.i18n import _t
from bench_agent.model.common import Text

DEFAULT_TEMPLATE = "brother-ql-62x29"

FIELDS = (
    "category",
    "model",
    "serial",
    "asset_tag",
    "cpu",
    "ram",
    "disk",
    "screen",
    "battery",
    "erasure",
    "date",
    "type_number",
    "tests",
    "test_date",
    "tester",
)
"""Every field a label line may name."""
REUSE_FIELDS = ("type_number", "tests", "test_date", "tester")
"""The re-use record (WEEE 2012/19/EU Annex VI §3) beyond the model: a template that
leaves one out must have a QR code, whose verification page carries it."""
BODY_MIN_PT = 6.0
"""No text on a label is smaller (legibility rule, at the label's own size)."""

MM_TO_PT = 72.0 / 25.4
LEADING = 1.2
"""Line height as a multiple of the font size."""


class MarginsSpec(Spec, kw_only=True):
    top: float
    right: float
    bottom: float
    left: float


class FontsSpec(Spec, kw_only=True):
    category: float
    """The category line (big, bold)."""
    title: float
    """The maker and model line (bold)."""
    body: float
    """Every other line."""
    minimum: float
    """A line too long for the label wraps onto a second line when there is room, else
    shrinks down to this size (never under 6 pt), then is cut with "…"."""
    category_minimum: float | None = None
    """The category never shrinks under this (default: its own size); it stays larger
    than any other text."""

    @property
    def category_floor(self) -> float:
        return self.category if self.category_minimum is None else self.category_minimum


class DescriptionSpec(Spec, kw_only=True):
    fr: str
    en: str


class TemplateSpec(Spec, kw_only=True):
    name: str
    stock: str
    """The label stock this template prints on (maker reference)."""
    description: DescriptionSpec
    width_mm: float
    """Page width as the printer driver feeds it."""
    height_mm: float
    orientation: Literal["landscape", "portrait"]
    """How the content runs: along the long edge (landscape) or the short one. When it
    disagrees with the page's shape the content is rotated a quarter turn."""
    qr_size_mm: float
    """Side of the QR code; 0 for no QR code."""
    lines: list[list[str]]
    margins_mm: MarginsSpec
    fonts_pt: FontsSpec


@dataclass(frozen=True)
class LabelTemplate:
    """A validated template."""

    spec: TemplateSpec
    file: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def page_size_pt(self) -> tuple[float, float]:
        return (self.spec.width_mm * MM_TO_PT, self.spec.height_mm * MM_TO_PT)

    @property
    def rotated(self) -> bool:
        """True when the content is drawn a quarter turn from the page."""
        page_landscape = self.spec.width_mm >= self.spec.height_mm
        return page_landscape != (self.spec.orientation == "landscape")

    @property
    def media(self) -> str:
        """The CUPS ``media`` option for this page (``Custom.62x29mm``)."""
        return f"Custom.{_num(self.spec.width_mm)}x{_num(self.spec.height_mm)}mm"

    def line_size_pt(self, first_field: str) -> float:
        """Font size of a line, set by its first field."""
        return _line_size(self.spec, first_field)

    @property
    def description(self) -> Text:
        return Text(fr=self.spec.description.fr, en=self.spec.description.en)


def _line_size(spec: TemplateSpec, first_field: str) -> float:
    if first_field == "category":
        return spec.fonts_pt.category
    if first_field == "model":
        return spec.fonts_pt.title
    return spec.fonts_pt.body


def _num(value: float) -> str:
    return f"{value:g}"


def shipped_dir() -> Path:
    from profiles import profiles_dir

    return profiles_dir() / "labels"


def list_templates(directory: Path | None = None) -> list[Path]:
    return sorted((directory or shipped_dir()).glob("*.toml"))


def find_template(name_or_path: str) -> Path:
    """A shipped template by name, or a file path (anything with a slash or ``.toml``)."""
    if "/" in name_or_path or name_or_path.endswith(".toml"):
        return Path(name_or_path)
    path = shipped_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        names = ", ".join(p.stem for p in list_templates())
        raise ProfileError(
            name_or_path,
            None,
            "(template)",
            _t("modèle d'étiquette inconnu"),
            _t("un de : {names}", names=names),
        )
    return path


def load_template(name_or_path: str | Path) -> LabelTemplate:
    """Load and validate a template; every problem is a located :class:`ProfileError`."""
    path = find_template(str(name_or_path))
    source = read_toml(path)
    locate = Locator.single(source)
    spec = convert(source.data, TemplateSpec, locate)
    _check(spec, locate)
    return LabelTemplate(spec=spec, file=source.file)


def _check(spec: TemplateSpec, locate: Locator) -> None:
    def fail(path: Path_, problem: Text, expected: Text) -> ProfileError:
        return locate.error(path, problem, expected)

    for key in ("width_mm", "height_mm"):
        value = getattr(spec, key)
        if not 10.0 <= value <= 300.0:
            raise fail(
                (key,),
                _t("valeur hors limites ({value:g})", value=value),
                _t("entre 10 et 300 mm"),
            )
    margins = spec.margins_mm
    for key in ("top", "right", "bottom", "left"):
        value = getattr(margins, key)
        if value < 0:
            raise fail(
                ("margins_mm", key),
                _t("marge négative ({value:g})", value=value),
                _t("0 mm ou plus"),
            )
    page_w, page_h = spec.width_mm, spec.height_mm
    # Margins and lines are laid out in the content's orientation (see LabelTemplate.rotated).
    if (page_w >= page_h) == (spec.orientation == "landscape"):
        content_w, content_h = page_w, page_h
    else:
        content_w, content_h = page_h, page_w
    if margins.left + margins.right >= content_w or margins.top + margins.bottom >= content_h:
        raise fail(
            ("margins_mm",),
            _t("les marges couvrent toute l'étiquette"),
            _t("des marges plus petites que l'étiquette"),
        )
    fonts = spec.fonts_pt
    for key in ("category", "title", "body", "minimum"):
        value = getattr(fonts, key)
        if not 2.0 <= value <= 72.0:
            raise fail(
                ("fonts_pt", key),
                _t("taille hors limites ({value:g})", value=value),
                _t("entre 2 et 72 points"),
            )
    if fonts.minimum < BODY_MIN_PT:
        raise fail(
            ("fonts_pt", "minimum"),
            _t("taille trop petite ({minimum:g} pt)", minimum=fonts.minimum),
            _t("{body_min:g} points au moins (lisibilité)", body_min=BODY_MIN_PT),
        )
    floor = fonts.category_floor
    if not fonts.minimum <= floor <= fonts.category or floor <= max(fonts.title, fonts.body):
        raise fail(
            ("fonts_pt", "category_minimum"),
            _t("catégorie pas la plus grande ({floor:g} pt)", floor=floor),
            _t(
                "entre {title:g} (exclu, le titre) et {category:g} points",
                title=max(fonts.title, fonts.body),
                category=fonts.category,
            ),
        )
    if fonts.minimum > min(fonts.category, fonts.title, fonts.body):
        raise fail(
            ("fonts_pt", "minimum"),
            _t("minimum ({minimum:g}) plus grand qu'une autre taille", minimum=fonts.minimum),
            _t("la plus petite des tailles"),
        )
    short_side = min(
        content_w - margins.left - margins.right, content_h - margins.top - margins.bottom
    )
    if spec.qr_size_mm < 0 or spec.qr_size_mm > short_side:
        raise fail(
            ("qr_size_mm",),
            _t("valeur hors limites ({qr_size_mm:g})", qr_size_mm=spec.qr_size_mm),
            _t("0 (pas de QR) à {short_side:g} mm (la zone imprimable)", short_side=short_side),
        )
    if not spec.lines:
        raise fail(
            ("lines",),
            _t("aucune ligne"),
            _t("au moins une ligne de champs"),
        )
    allowed = ", ".join(FIELDS)
    for index, line in enumerate(spec.lines):
        if not line:
            raise fail(
                ("lines", index),
                _t("ligne vide"),
                _t("des champs parmi : {allowed}", allowed=allowed),
            )
        for field in line:
            if field not in FIELDS:
                raise fail(
                    ("lines", index),
                    _t("champ inconnu « {field} »", field=field),
                    _t("un de : {allowed}", allowed=allowed),
                )
    named = {name for line in spec.lines for name in line}
    if spec.qr_size_mm == 0 and not set(REUSE_FIELDS) <= named:
        missing = ", ".join(f for f in REUSE_FIELDS if f not in named)
        raise fail(
            ("qr_size_mm",),
            _t("ni QR code ni fiche de réemploi complète (manque : {missing})", missing=missing),
            _t("un QR code (la page de vérification porte la fiche) ou ces champs"),
        )
    available_pt = (content_h - margins.top - margins.bottom) * MM_TO_PT
    needed_pt = sum(_line_size(spec, line[0]) * LEADING for line in spec.lines)
    if needed_pt > available_pt + 0.01:
        raise fail(
            ("lines",),
            _t(
                "{n_lines} lignes demandent {needed_pt:.1f} pt de haut, "
                "l'étiquette en offre {available_pt:.1f}",
                n_lines=len(spec.lines),
                needed_pt=needed_pt,
                available_pt=available_pt,
            ),
            _t("moins de lignes ou des polices plus petites"),
        )
