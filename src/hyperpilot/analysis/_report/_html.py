"""The report as one HTML page: plotly.js inlined once, nothing loaded from elsewhere.

Every section is a ``<section>`` with its title, how to read it, then its warnings (at the
top, prominently), its trust line, and its paragraphs, figures and tables in order. A
failed section shows its one-line reason in its place; the sections a study has too few
trials for are listed together under "Not shown". Figures travel as JSON and are drawn
near the window first, the rest when the browser is idle. The page counts its figures in
``<meta name="hyperpilot-figures">``.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hyperpilot._tables import html_table
from hyperpilot.analysis._report._content import (
    Alert,
    Block,
    SectionResult,
    Table,
    Text,
    Trust,
)
from hyperpilot.exceptions import require

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
 margin:0;background:#f5f7fa;line-height:1.45}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:1.7em;margin:0 0 4px} h2{font-size:1.4em;margin:36px 0 8px;
 border-bottom:2px solid #d9e2ec;padding-bottom:4px} h3{font-size:1.15em;margin:0 0 6px}
.meta,.about,.note{color:#52606d;font-size:.92em}
nav ul{padding-left:18px;margin:6px 0} nav li{margin:2px 0}
nav .sub a{font-size:.88em;margin-right:10px}
section.part{background:#fff;border:1px solid #e4e7eb;border-radius:6px;padding:14px 18px;
 margin:14px 0}
p.summary{font-size:1.05em;background:#f0f4f8;border-left:4px solid #2680c2;
 padding:8px 12px;margin:8px 0}
.alert{border-radius:4px;padding:8px 12px;margin:8px 0;font-weight:600}
.alert.caution{background:#fffbea;border:1px solid #f0b429;color:#8d2b0b}
.alert.danger{background:#ffe3e3;border:1px solid #e12d39;color:#8a041a}
.alert.failed{background:#ffe3e3;border:1px solid #e12d39;color:#8a041a;font-weight:400}
.skipped{color:#7b8794;font-style:italic}
.trust{font-size:.92em;margin:6px 0}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-weight:600;
 font-size:.85em;margin-right:6px}
.badge.trustworthy{background:#e3f9e5;color:#0e5814} .badge.rough{background:#fffbea;
 color:#8d2b0b} .badge.bad{background:#ffe3e3;color:#8a041a}
table{border-collapse:collapse;margin:8px 0 4px;font-size:.88em}
caption{text-align:left;font-weight:600;padding-bottom:4px}
th,td{border-bottom:1px solid #e4e7eb;padding:3px 10px;text-align:left;vertical-align:top}
th{background:#f0f4f8} td.n{text-align:right;font-variant-numeric:tabular-nums}
.more{font-size:.85em;color:#7b8794;margin:0 0 8px}
.figure{margin:6px 0}
details.legend{background:#fff;border:1px solid #e4e7eb;border-radius:6px;padding:6px 12px;
 margin:10px 0;font-size:.92em} details.legend summary{cursor:pointer;font-weight:600}
footer{color:#7b8794;font-size:.85em;padding:24px}
"""

_CONFIG = {"displaylogo": False, "responsive": True}


def _text(text: str) -> str:
    """*text* made safe between tags (quotes stay as they are)."""
    return html.escape(text, quote=False)

_LEGEND = (
    '<details class="legend"><summary>How to read the importances</summary><p>fANOVA, '
    "local importance and the ablation path are statements about a random forest fitted to "
    "the trials (the explanation surrogate); each comes with the forest's fit, "
    "cross-validated: R\u00b2 is the share of the variation between trials that it predicts "
    "on trials it did not see, Spearman's rho how well it orders them. "
    '<span class="badge trustworthy">trustworthy</span> R\u00b2 \u2265 0.6; '
    '<span class="badge rough">rough</span> 0.3 to 0.6: read the shares as rough; '
    '<span class="badge bad">not to be trusted</span> below 0.3: any ranking is mostly '
    "chance. PED-ANOVA uses no model; there the same fit says whether the hyperparameters "
    "explain the objective at all. Error bars are the spread over the forest's trees (or "
    "the bootstrap interval); the tables give the 90% bootstrap interval (the trials "
    "resampled and the analysis redone). Warnings stand at the top of their section.</p>"
    "</details>")


@dataclass(frozen=True)
class StudyPart:
    """One study's part of the page: its anchor, heading and sections."""

    anchor: str
    heading: str
    results: Sequence[SectionResult]


def anchor(text: str) -> str:
    """An id made of lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _plain(value: Any) -> Any:
    """*value* with a numpy scalar turned into its Python value (so it counts as a number)."""
    return value.item() if hasattr(value, "item") else value


def _cell(value: Any) -> str:
    """A table cell's text: floats with 4 significant digits, missing values as a dash."""
    if value is None or value is pd.NA:
        return "\u2013"
    if isinstance(value, float):
        return "\u2013" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    return str(value)


class _Figures:
    """Plotly figures as JSON beside an empty box; :data:`_DRAW` draws them in the page.

    plotly.js goes once into the page's head. The figures near the window are drawn
    first, the others one by one when the browser is idle, so a long report shows its top
    at once instead of after every figure is drawn.
    """

    def __init__(self) -> None:
        require("plotly", "analysis")
        import plotly.io as pio  # type: ignore[import-untyped]

        self.pio = pio
        self.count = 0

    def html(self, figure: Any) -> str:
        self.count += 1
        ident = f"figure-{self.count}"
        spec = str(self.pio.to_json(figure)).replace("</", "<\\/")  # stays inside its tag
        layout = getattr(figure, "layout", None)
        height = int(getattr(layout, "height", None) or 450)
        return (f'<div class="figure"><div class="hp-figure" id="{ident}" '
                f'style="min-height:{height}px"></div><script type="application/json" '
                f'id="{ident}-spec">{spec}</script></div>')

    @staticmethod
    def library() -> str:
        from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

        script: str = get_plotlyjs()
        return script


_DRAW = """
(function () {
  var config = __CONFIG__;
  var figures = Array.prototype.slice.call(document.querySelectorAll("div.hp-figure"));
  function draw(div) {
    if (div.getAttribute("data-drawn")) { return; }
    div.setAttribute("data-drawn", "1");
    var spec = JSON.parse(document.getElementById(div.id + "-spec").textContent);
    Plotly.newPlot(div, spec.data, spec.layout, config);
  }
  function later(next) {
    if (window.requestIdleCallback) { window.requestIdleCallback(next, {timeout: 250}); }
    else { window.setTimeout(next, 1); }
  }
  function next() {
    for (var i = 0; i < figures.length; i++) {
      if (!figures[i].getAttribute("data-drawn")) { draw(figures[i]); later(next); return; }
    }
  }
  if ("IntersectionObserver" in window) {
    var near = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { draw(entry.target); near.unobserve(entry.target); }
      });
    }, {rootMargin: "800px 0px"});
    figures.forEach(function (div) { near.observe(div); });
  }
  later(next);
})();
""".replace("__CONFIG__", json.dumps(_CONFIG))


def _table(block: Table) -> str:
    frame: pd.DataFrame = block.frame
    rows = [[_plain(value) for value in row] for row in frame.itertuples(index=False)]
    return html_table([str(c) for c in frame.columns], rows, cell=_cell, caption=block.caption,
                      max_rows=block.max_rows, escape_quotes=False)


def _trust(block: Trust) -> str:
    lines = []
    for row in block.rows:
        klass = {"trustworthy": "trustworthy", "rough": "rough"}.get(row.verdict, "bad")
        where = "" if math.isnan(row.budget) else f"budget {row.budget:g}: "
        r2 = "\u2013" if math.isnan(row.cv_r2) else f"{row.cv_r2:.2f}"
        rho = "\u2013" if math.isnan(row.spearman) else f"{row.spearman:.2f}"
        lines.append(
            f'<div class="trust"><span class="badge {klass}">{row.verdict}</span>'
            f"{_text(where)}surrogate fit, cross-validated: R\u00b2 {r2} \u00b7 "
            f"Spearman {rho} \u00b7 {row.n_trials:,} trials</div>")
    return "".join(lines)


def _block(block: Block, figures: _Figures) -> str:
    if isinstance(block, Text):
        klass = f' class="{block.style}"' if block.style != "plain" else ""
        return f"<p{klass}>{_text(block.text)}</p>"
    if isinstance(block, Alert):
        return f'<div class="alert {block.level}">\u26a0 {_text(block.text)}</div>'
    if isinstance(block, Trust):
        return _trust(block)
    if isinstance(block, Table):
        return _table(block)
    return figures.html(block.figure)


def _section(result: SectionResult, prefix: str, figures: _Figures) -> str:
    parts = [f'<section class="part" id="{prefix}-{anchor(result.key)}">',
             f"<h3>{_text(result.title)}</h3>"]
    if result.about and result.status == "ok":
        parts.append(f'<p class="about">{_text(result.about)}</p>')
    if result.status == "failed":
        parts.append(f'<div class="alert failed">This section could not be computed: '
                     f"{_text(result.reason)}</div>")
    blocks = sorted(result.blocks, key=lambda b: not isinstance(b, Alert))  # warnings first
    parts.extend(_block(b, figures) for b in blocks)
    parts.append("</section>")
    return "".join(parts)


def _skipped(results: Sequence[SectionResult], prefix: str) -> str:
    """The sections a study lacks the trials for, in one box, grouped by reason."""
    if not results:
        return ""
    reasons: dict[str, list[str]] = {}
    for result in results:
        reasons.setdefault(result.reason, []).append(result.title.split(":")[0])
    lines = "".join(f'<p class="skipped">{_text(", ".join(titles))}: {_text(why)}</p>'
                    for why, titles in reasons.items())
    return (f'<section class="part" id="{prefix}-not-shown"><h3>Not shown</h3>{lines}'
            "</section>")


def _toc(parts: Sequence[StudyPart], overall: Sequence[SectionResult]) -> str:
    items = []
    for part in parts:
        links = "".join(
            f'<a href="#{part.anchor}-{anchor(r.key)}">{_text(r.title.split(":")[0])}'
            f"{'' if r.status == 'ok' else ' (' + r.status + ')'}</a>" for r in part.results
            if r.status != "skipped")
        if any(r.status == "skipped" for r in part.results):
            links += f'<a href="#{part.anchor}-not-shown">not shown</a>'
        items.append(f'<li><a href="#{part.anchor}">{_text(part.heading)}</a>'
                     f'<div class="sub">{links}</div></li>')
    for result in overall:
        items.append(f'<li><a href="#all-{anchor(result.key)}">{_text(result.title)}'
                     "</a></li>")
    return f"<nav><ul>{''.join(items)}</ul></nav>"


def render_page(title: str, meta: str, parts: Sequence[StudyPart],
                overall: Sequence[SectionResult], footer: str) -> tuple[str, int]:
    """The whole page and the number of figures in it."""
    figures = _Figures()
    body = []
    for part in parts:
        body.append(f'<h2 id="{part.anchor}">{_text(part.heading)}</h2>')
        body.extend(_section(r, part.anchor, figures) for r in part.results
                    if r.status != "skipped")
        body.append(_skipped([r for r in part.results if r.status == "skipped"], part.anchor))
    if overall:
        body.append('<h2 id="all">All studies</h2>')
        body.extend(_section(r, "all", figures) for r in overall)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(title)}</title>"
        f'<meta name="hyperpilot-figures" content="{figures.count}">'
        f"<style>{_STYLE}</style>"
        f'<script type="text/javascript">{_Figures.library()}</script></head><body>'
        f'<header><h1>{_text(title)}</h1><p class="meta">{_text(meta)}</p>'
        f"{_toc(parts, overall)}{_LEGEND}</header><main>{''.join(body)}</main>"
        f"<footer>{_text(footer)}</footer><script>{_DRAW}</script></body></html>\n"
    )
    return page, figures.count
