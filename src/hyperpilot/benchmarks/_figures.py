"""Static figures of a benchmark summary (SVG), for documents that cannot hold the HTML report.

:func:`write_figures` draws, with matplotlib:

* ``regret-FAMILY.svg`` per problem family: the mean over the family's problems of the mean
  normalized regret over seeds against the number of evaluations (the curve whose end is
  the report's first table), log scale;
* ``ranks.svg``: the mean rank of every optimizer over all problems with the Nemenyi
  critical difference, best at the top;
* ``overhead.svg``: the median optimizer overhead per trial against the trial number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hyperpilot.benchmarks._summary import Summary
from hyperpilot.exceptions import MissingDependencyError

REGRET_FLOOR = 1e-8
"""Regrets are drawn no lower than this (a log axis cannot show 0)."""


def pyplot() -> Any:
    """Return pyplot on the Agg backend, or a helpful error without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError(
            "figures need matplotlib: pip install 'hyperpilot[bench]'") from None
    return plt


def family_curves(summary: Summary) -> dict[str, dict[str, np.ndarray]]:
    """Per family and optimizer, the mean over problems of the mean regret over seeds."""
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for problem in summary.problems:
        for optimizer, curves in problem.curves.items():
            if curves.size == 0:
                continue
            with warnings.catch_warnings():  # columns before a run's first value
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(curves, axis=0)
            out.setdefault(problem.family, {}).setdefault(optimizer, []).append(mean)
    result: dict[str, dict[str, np.ndarray]] = {}
    for family, per_optimizer in out.items():
        result[family] = {}
        for optimizer, rows in per_optimizer.items():
            length = min(len(r) for r in rows)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result[family][optimizer] = np.nanmean(np.vstack([r[:length] for r in rows]),
                                                       axis=0)
    return result


def write_figures(summary: Summary, folder: str | Path) -> list[Path]:
    """Write the SVG figures of *summary* into *folder* (created); return their paths."""
    plt = pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    colors = _colors(plt, summary.optimizers)
    written: list[Path] = []
    for family, curves in sorted(family_curves(summary).items()):
        n_problems = sum(1 for p in summary.problems if p.family == family)
        figure, axes = plt.subplots(figsize=(6.4, 4.0))
        for optimizer in summary.optimizers:
            if optimizer in curves:
                y = np.maximum(curves[optimizer], REGRET_FLOOR)
                axes.plot(np.arange(1, len(y) + 1), y, label=optimizer,
                          color=colors[optimizer], linewidth=1.8)
        axes.set_yscale("log")
        axes.set_xlabel("evaluations")
        axes.set_ylabel("mean normalized regret")
        axes.set_title(f"{family}: {n_problems} problems, {len(summary.seeds)} seeds")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8)
        written.append(save_svg(plt, figure, folder / f"regret-{family}.svg"))
    means = summary.mean_ranks.get("overall", {})
    if means:
        written.append(_ranks(plt, summary, means, colors, folder / "ranks.svg"))
    if summary.overhead:
        written.append(_overhead(plt, summary, colors, folder / "overhead.svg"))
    return written


def _colors(plt: Any, optimizers: Sequence[str]) -> dict[str, Any]:
    palette = plt.get_cmap("tab10").colors
    return {o: palette[i % len(palette)] for i, o in enumerate(optimizers)}


def _ranks(plt: Any, summary: Summary, means: dict[str, float], colors: dict[str, Any],
           path: Path) -> Path:
    order = sorted(means, key=lambda o: means[o])
    figure, axes = plt.subplots(figsize=(6.4, 0.8 + 0.35 * len(order)))
    for i, optimizer in enumerate(order):
        axes.plot([means[optimizer]], [i], "o", color=colors[optimizer], markersize=8)
        axes.annotate(f"{optimizer} ({means[optimizer]:.2f})", (means[optimizer], i),
                      xytext=(8, -3), textcoords="offset points", fontsize=9)
    test = summary.friedman
    title = f"Mean rank over {len(summary.problems)} problems (lower is better)"
    if test is not None and math.isfinite(test.critical_difference):
        best = means[order[0]]
        axes.plot([best, best + test.critical_difference], [-0.8, -0.8], color="#444",
                  linewidth=3)
        axes.annotate("critical difference", (best, -0.8), xytext=(0, 4),
                      textcoords="offset points", fontsize=8)
        title += f"; Friedman p = {test.p_value:.2g}"
    axes.set_ylim(len(order) - 0.5, -1.4)
    axes.set_yticks([])
    axes.set_xlim(1, max(len(order), 2) + 0.5)
    axes.set_xlabel("mean rank")
    axes.set_title(title, fontsize=10)
    axes.grid(True, axis="x", alpha=0.3)
    return save_svg(plt, figure, path)


def _overhead(plt: Any, summary: Summary, colors: dict[str, Any], path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for optimizer in summary.optimizers:
        overhead = summary.overhead.get(optimizer)
        if overhead is None or overhead.per_trial.size == 0:
            continue
        y = np.where(overhead.per_trial > 0, overhead.per_trial, np.nan)
        axes.plot(np.arange(1, len(y) + 1), y, label=optimizer, color=colors[optimizer],
                  linewidth=1.2)
    axes.set_yscale("log")
    axes.set_xlabel("trial")
    axes.set_ylabel("seconds of ask + tell (median over runs)")
    axes.set_title("Optimizer overhead per trial")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8)
    return save_svg(plt, figure, path)


def save_svg(plt: Any, figure: Any, path: str | Path) -> Path:
    """Write *figure* as SVG with its text kept as text, and close it.

    The file is the same for the same figure: no date, and element ids from a fixed salt,
    so regenerated figures change in version control only when the picture does.
    """
    figure.tight_layout()
    # text stays text (smaller, searchable); a fixed salt makes the ids reproducible
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "hyperpilot"}):
        figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)
    return Path(path)
