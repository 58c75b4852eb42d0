"""The Figures page's charts: SVG drawn on the server by pygal, inlined in the page, with no
script and nothing fetched from elsewhere; sized by its container (a phone's width too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pygal
from pygal.etree import etree
from pygal.style import Style

STYLE = Style(
    background="white", plot_background="white", font_family="system-ui, sans-serif",
    label_font_size=12, major_label_font_size=12, legend_font_size=13, value_font_size=12,
    colors=("#1f5f8b", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#566573"),
)  # fmt: skip


def draw(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
    bars: bool, shown: Callable[[float], str],
) -> str:  # fmt: skip
    """An SVG chart of `series` over `labels` (a line over months, else bars), `shown`
    writing its values in the reader's language."""
    kind = pygal.Bar if bars else pygal.Line
    chart = kind(
        style=STYLE, js=[], disable_xml_declaration=True, explicit_size=False,
        width=420, height=300, legend_at_bottom=True, legend_at_bottom_columns=2,
        x_label_rotation=30 if len(labels) > 6 else 0, show_minor_x_labels=False,
        x_labels_major_every=max(1, len(labels) // 6), truncate_legend=-1,
        value_formatter=shown, print_values=False, include_x_axis=True,
    )  # fmt: skip
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    svg = chart.render_tree()
    for defs in svg.iter("defs"):  # pygal writes its config as a script, for its own js
        for script in [one for one in defs if one.tag == "script"]:
            defs.remove(script)
    svg.set("role", "img")
    svg.set("aria-label", title)
    return str(etree.tostring(svg, encoding="unicode"))
