"""The benchmark report: plain-text tables for the terminal and a self-contained HTML file.

The HTML file embeds plotly.js once, inline, so it opens offline in any browser and loads
nothing from elsewhere. It shows the normalized regret at the checkpoints, mean ranks
per family and overall, the significance tests, the incumbents' test values, anytime
curves (median and interquartile band over seeds) per problem, the optimizers' overhead
per trial, and every failed or unsupported run with its reason. See ``_stats.py`` for the
definitions.
"""

from __future__ import annotations

import html
import math
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hyperpilot._tables import CellClass, html_table, markdown_table, text_table
from hyperpilot.benchmarks._stats import REGRET_FLOOR, plural
from hyperpilot.benchmarks._summary import ProblemSummary, Summary
from hyperpilot.exceptions import MissingDependencyError

DETAIL_LIMIT = 40
"""The terminal lists problems one by one up to this many (the HTML always does)."""


# ---------------------------------------------------------------------- text
def _cell(value: Any) -> str:
    """One cell's text: floats with 4 significant digits, ``None`` and NaN as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else "(no reason recorded)"


def _families(summary: Summary) -> list[str]:
    return sorted({p.family for p in summary.problems})


def regret_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Per family and optimizer: the mean over problems of the regret at each checkpoint."""
    headers = ["family", "metric", "optimizer", *(f"@{c}" for c in summary.checkpoints)]
    rows: list[list[Any]] = []
    for family in _families(summary):
        members = [p for p in summary.problems if p.family == family]
        metric = "/".join(sorted({p.metric for p in members}))
        for opt in summary.optimizers:
            cols = []
            for c in summary.checkpoints:
                vals = [p.at[opt][c] for p in members if opt in p.at]
                finite = [v for v in vals if math.isfinite(v)]
                cols.append(float(np.mean(finite)) if finite else math.nan)
            if any(opt in p.at for p in members):
                rows.append([family, metric, opt, *cols])
    return headers, rows


def problem_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Per problem: each optimizer's mean final regret over seeds."""
    headers = ["problem", "family", *summary.optimizers]
    rows = [[p.name, p.family, *(p.final.get(o) for o in summary.optimizers)]
            for p in summary.problems]
    return headers, rows


def rank_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Mean rank per family and overall, with the number of problems ranked."""
    headers = ["family", "problems", *summary.optimizers]
    rows: list[list[Any]] = []
    for group in [*_families(summary), "overall"]:
        means = summary.mean_ranks.get(group)
        if not means:
            continue
        count = sum(1 for p in summary.problems if p.name in summary.ranks
                    and (group == "overall" or p.family == group))
        rows.append([group, count, *(means.get(o) for o in summary.optimizers)])
    return headers, rows


def test_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Problems with a test split: the incumbents' mean validation and test values."""
    headers = ["problem", "objective", *(f"{o} val/test" for o in summary.optimizers)]
    rows: list[list[Any]] = []
    for p in summary.problems:
        if not p.test:
            continue
        cells = [f"{_cell(p.validation.get(o))} / {_cell(p.test.get(o))}"
                 for o in summary.optimizers]
        rows.append([p.name, f"{p.objective} ({p.direction[:3]})", *cells])
    return headers, rows


def overhead_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Per optimizer: set-up time, median and mean overhead per trial, medians per range."""
    ranges: list[str] = []
    for each in summary.overhead.values():
        ranges.extend(r for r in each.ranges if r not in ranges)
    headers = ["optimizer", "setup s", "median s/trial", "mean s/trial",
               *(f"median {r}" for r in ranges)]
    rows = []
    for opt in summary.optimizers:
        o = summary.overhead.get(opt)
        if o is None:
            continue
        mean = o.total / max(1, int(np.sum(np.isfinite(o.per_trial))))
        rows.append([opt, o.setup, o.median, mean, *(o.ranges.get(r) for r in ranges)])
    return headers, rows


def failure_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    """Failed runs (and failed reference samples) with the first line of their error."""
    headers = ["problem", "optimizer", "seed", "error"]
    rows = [[r["problem"], r.get("optimizer", "(reference)"), r.get("seed"),
             _first_line(r.get("error"))] for r in summary.failed]
    return headers, rows


def text_report(summary: Summary, *, source: str = "", markdown: bool = False) -> str:
    """The report as plain text for the terminal, or as Markdown (tables and bullets)."""
    def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        # Markdown needs a blank line between a caption and its table.
        if markdown:
            return "\n" + markdown_table(headers, rows, cell=_cell)
        return text_table(headers, rows, cell=_cell)

    bullet = "* " if markdown else "  "
    c = summary.counts
    seeds = summary.seeds
    lines = [
        f"benchmark results{f' in {source}' if source else ''}: "
        f"{plural(len(summary.problems), 'problem')}, "
        f"{plural(len(summary.optimizers), 'optimizer')}, seeds "
        f"{seeds[0]}-{seeds[-1]} ({len(seeds)}), {summary.n_trials} evaluations per run",
        f"runs: {c['ok']} ok, {c['failed']} failed, {c['unsupported']} unsupported",
    ]
    if summary.ignored:
        lines.append(f"({summary.ignored} runs with another number of trials are not shown; "
                     "choose with --trials)")
    lines += ["", "Normalized regret, mean over problems of the mean over seeds (regret: "
              "0 = optimum, 1 = median random configuration; hypervolume regret: 0 = best "
              "combined front, 1 = no volume):",
              table(*regret_rows(summary))]
    if len(summary.problems) <= DETAIL_LIMIT:
        lines += ["", f"Normalized regret after {summary.n_trials} evaluations per problem "
                  "(mean over seeds):", table(*problem_rows(summary))]
    lines += ["", "Mean rank (1 = best; per problem on the mean final regret, ties averaged, "
              "an optimizer with no finished run ranks last):", table(*rank_rows(summary))]
    lines += ["", "Significance:"]
    if summary.wilcoxon is not None:
        lines.append(bullet + summary.wilcoxon.summary())
    if summary.friedman is not None:
        lines.append(bullet + summary.friedman.summary())
    headers, rows = test_rows(summary)
    if rows:
        lines += ["", "Incumbent's validation / test value (mean over seeds; test on held-out "
                  "data, mean of the test seeds):", table(headers, rows)]
    headers, rows = overhead_rows(summary)
    if rows:
        lines += ["", "Optimizer overhead (seconds of ask + tell per trial, evaluations "
                  "excluded):", table(headers, rows)]
    headers, rows = failure_rows(summary)
    if rows:
        lines += ["", f"Failed ({len(rows)}):", table(headers, rows)]
    if summary.unsupported:
        lines += ["", f"Unsupported ({len(summary.unsupported)}):", table(
            ["problem", "optimizer", "seed", "reason"],
            [[r["problem"], r["optimizer"], r["seed"], _first_line(r.get("error"))]
             for r in summary.unsupported])]
    return "\n".join(lines)


# ---------------------------------------------------------------------- HTML
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
td.best{font-weight:bold;background:#eef7ee}p.note{color:#555;font-size:.9em}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:.8em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:1em}
"""


def _lowest_from(skip: int) -> CellClass:
    """Marks ``best`` the lowest finite float of a row among its columns from *skip* on."""
    def best(row: Sequence[Any], j: int) -> str:
        value = row[j]
        if j < skip or not isinstance(value, float):
            return ""
        finite = [v for v in row[skip:] if isinstance(v, float) and math.isfinite(v)]
        return "best" if finite and value == min(finite) else ""

    return best


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
                cell_class: CellClass | None = None) -> str:
    """:func:`~hyperpilot._tables.html_table` with this report's cells."""
    return html_table(headers, rows, cell=_cell, cell_class=cell_class)


class _Figures:
    """Turns plotly figures into HTML fragments, embedding plotly.js with the first one."""

    def __init__(self, optimizers: Sequence[str]) -> None:
        try:
            import plotly.graph_objects as go  # type: ignore[import-untyped]
            import plotly.io as pio  # type: ignore[import-untyped]
            from plotly.colors import qualitative  # type: ignore[import-untyped]
        except ImportError:
            raise MissingDependencyError(
                "the HTML report needs plotly: pip install 'hyperpilot[bench]'") from None
        self.go, self.pio = go, pio
        palette = [*qualitative.Plotly, *qualitative.D3, *qualitative.Dark24]
        self.colors = {o: palette[i % len(palette)] for i, o in enumerate(optimizers)}
        self._first = True

    def html(self, figure: Any) -> str:
        fragment: str = self.pio.to_html(
            figure, full_html=False, include_plotlyjs=self._first, include_mathjax=False,
            config={"displaylogo": False, "responsive": True},
        )
        self._first = False
        return fragment

    def anytime(self, problem: ProblemSummary) -> Any:
        """Median and interquartile band over seeds of one problem's regret curves."""
        go = self.go
        figure = go.Figure()
        for opt, curves in problem.curves.items():
            x = np.arange(1, curves.shape[1] + 1)
            with warnings.catch_warnings():  # all-NaN columns before the first value
                warnings.simplefilter("ignore", RuntimeWarning)
                q25, median, q75 = (np.nanpercentile(curves, q, axis=0) for q in (25, 50, 75))
            q25, median, q75 = (np.maximum(a, REGRET_FLOOR) for a in (q25, median, q75))
            color = self.colors[opt]
            band_x = np.concatenate([x, x[::-1]])
            band_y = np.concatenate([q75, q25[::-1]])
            keep = np.isfinite(band_y)
            figure.add_trace(go.Scatter(
                x=band_x[keep], y=band_y[keep], fill="toself", fillcolor=color, opacity=0.18,
                line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup=opt))
            figure.add_trace(go.Scatter(
                x=x, y=_nan_to_none(median), name=f"{opt} ({curves.shape[0]})",
                line={"color": color, "width": 2}, legendgroup=opt))
        figure.update_layout(
            title={"text": f"{problem.name} ({problem.family})", "font": {"size": 14}},
            height=340, margin={"l": 60, "r": 10, "t": 40, "b": 40},
            xaxis_title="evaluations", yaxis_title=f"normalized {problem.metric}",
            yaxis_type="log", legend={"font": {"size": 10}}, template="plotly_white")
        return figure

    def overhead(self, summary: Summary) -> Any:
        """Median overhead per trial against the trial number, per optimizer."""
        go = self.go
        figure = go.Figure()
        for opt in summary.optimizers:
            o = summary.overhead.get(opt)
            if o is None:
                continue
            figure.add_trace(go.Scatter(
                x=np.arange(1, len(o.per_trial) + 1), y=_nan_to_none(o.per_trial), name=opt,
                line={"color": self.colors[opt]}))
        figure.update_layout(
            title="Optimizer overhead per trial (median over runs)", height=380,
            xaxis_title="trial", yaxis_title="seconds (ask + tell)", yaxis_type="log",
            template="plotly_white", margin={"l": 60, "r": 10, "t": 40, "b": 40})
        return figure

    def ranks(self, summary: Summary) -> Any:
        """Mean ranks on one axis with the critical difference, as in a CD diagram."""
        go = self.go
        means = summary.mean_ranks.get("overall", {})
        figure = go.Figure()
        order = sorted(means, key=lambda o: means[o])
        for i, opt in enumerate(order):
            figure.add_trace(go.Scatter(
                x=[means[opt]], y=[-i], mode="markers+text", text=[opt],
                textposition="middle right", marker={"size": 12, "color": self.colors[opt]},
                showlegend=False))
        test = summary.friedman
        if test is not None and math.isfinite(test.critical_difference):
            best = means[order[0]] if order else 1.0
            figure.add_trace(go.Scatter(
                x=[best, best + test.critical_difference], y=[1, 1], mode="lines+text",
                line={"width": 4, "color": "#444"}, text=["", "CD"],
                textposition="top center", showlegend=False))
            for j, group in enumerate(test.groups):
                figure.add_trace(go.Scatter(
                    x=[means[group[0]], means[group[-1]]], y=[0.5 + 0.12 * j] * 2,
                    mode="lines", line={"width": 3, "color": "#999"}, showlegend=False))
        figure.update_layout(
            title="Mean rank over all problems (lower is better)", height=120 + 40 * len(order),
            xaxis_title="mean rank", yaxis={"visible": False}, template="plotly_white",
            margin={"l": 20, "r": 120, "t": 40, "b": 40})
        return figure


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def html_report(summary: Summary, *, source: str = "") -> str:
    """The report as one self-contained HTML document.

    Raises:
        MissingDependencyError: when plotly is not installed.

    """
    figures = _Figures(summary.optimizers)
    esc = html.escape
    c = summary.counts
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>hyperpilot benchmark report{esc(' - ' + source if source else '')}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>hyperpilot benchmark report</h1>",
        f"<p>{esc(source)} &middot; written {esc(time.strftime('%Y-%m-%d %H:%M'))} &middot; "
        f"{plural(len(summary.problems), 'problem')}, "
        f"{plural(len(summary.optimizers), 'optimizer')}, "
        f"{len(summary.seeds)} seeds, {summary.n_trials} evaluations per run &middot; runs: "
        f"{c['ok']} ok, {c['failed']} failed, {c['unsupported']} unsupported</p>",
    ]
    if summary.ignored:
        parts.append(f'<p class="note">{summary.ignored} runs with another number of trials '
                     "are not shown.</p>")
    versions = ", ".join(f"{k} {'/'.join(v)}" for k, v in summary.versions.items())
    parts.append(f'<p class="note">versions: {esc(versions)}</p>')
    parts += [
        "<h2>Normalized regret</h2>",
        '<p class="note">0 = the optimum (known, or the best value seen on the problem), '
        "1 = the median of uniform random configurations. Mean over problems of the mean "
        "over seeds. Multi-objective problems use the normalized hypervolume regret: 0 = the "
        "best front of all runs combined, 1 = no volume inside the reference box.</p>",
        _html_table(*regret_rows(summary)),
        f"<h3>After {summary.n_trials} evaluations, per problem (mean over seeds)</h3>",
        _html_table(*problem_rows(summary), cell_class=_lowest_from(2)),
        "<h2>Mean rank</h2>",
        '<p class="note">Ranks per problem on the mean final regret over seeds (ties '
        "averaged; an optimizer with no finished run ranks last), averaged per family.</p>",
        _html_table(*rank_rows(summary), cell_class=_lowest_from(2)),
        "<h2>Significance</h2><ul>",
    ]
    for test in (summary.wilcoxon, summary.friedman):
        if test is not None:
            parts.append(f"<li>{esc(test.summary())}</li>")
    parts.append("</ul>")
    if summary.friedman is not None and summary.friedman.n_problems:
        parts.append(figures.html(figures.ranks(summary)))
    headers, rows = test_rows(summary)
    if rows:
        parts += ["<h2>Test values of the incumbents</h2>",
                  '<p class="note">The incumbent (best validation value of a run) scored on '
                  "data no optimizer saw, mean over the test seeds, then over run seeds.</p>",
                  _html_table(headers, rows)]
    parts.append("<h2>Anytime performance</h2>"
                 '<p class="note">Median (line) and interquartile range (band) over seeds; '
                 "the legend gives the number of seeds.</p>")
    for family in _families(summary):
        parts.append(f"<h3>{esc(family)}</h3><div class=\"grid\">")
        for problem in summary.problems:
            if problem.family == family and problem.curves:
                parts.append(f"<div>{figures.html(figures.anytime(problem))}</div>")
        parts.append("</div>")
    headers, rows = overhead_rows(summary)
    if rows:
        parts += ["<h2>Optimizer overhead</h2>",
                  '<p class="note">Seconds spent in the optimizer\'s ask and tell per trial '
                  "(evaluation time excluded); set-up is building the optimizer once.</p>",
                  _html_table(headers, rows), figures.html(figures.overhead(summary))]
    parts.append(f"<h2>Failed runs ({len(summary.failed)})</h2>")
    if summary.failed:
        parts.append(_html_table(*failure_rows(summary)))
        for r in summary.failed:
            label = f"{r['problem']} / {r.get('optimizer', 'reference')} / seed {r.get('seed')}"
            parts.append(f"<details><summary>{esc(label)}</summary>"
                         f"<pre>{esc(str(r.get('traceback') or r.get('error')))}</pre>"
                         "</details>")
    else:
        parts.append("<p>none</p>")
    if summary.unsupported:
        parts += [f"<h2>Unsupported ({len(summary.unsupported)})</h2>", _html_table(
            ["problem", "optimizer", "seed", "reason"],
            [[r["problem"], r["optimizer"], r["seed"], _first_line(r.get("error"))]
             for r in summary.unsupported])]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(summary: Summary, path: str | Path, *, source: str = "") -> Path:
    """Write :func:`html_report` to *path* atomically and return the path."""
    path = Path(path)
    text = html_report(summary, source=source)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
