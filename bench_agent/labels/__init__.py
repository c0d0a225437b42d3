"""Unit labels: what a label says (content), on which stock (templates) and the PDF
(render). Pure: a UnitReport in, PDF bytes out; printing goes through the host seam
(``bench-agent label --printer``)."""

from bench_agent.labels.content import LabelContent, label_content
from bench_agent.labels.printing import LpOutcome, lp_argv, parse_lp_result
from bench_agent.labels.render import FontMissingError, RenderedLabel, render_label
from bench_agent.labels.template import (
    DEFAULT_TEMPLATE,
    LabelTemplate,
    list_templates,
    load_template,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "FontMissingError",
    "LabelContent",
    "LabelTemplate",
    "LpOutcome",
    "RenderedLabel",
    "label_content",
    "list_templates",
    "load_template",
    "lp_argv",
    "parse_lp_result",
    "render_label",
]
