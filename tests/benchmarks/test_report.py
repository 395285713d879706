"""The report's mathematics (regret, ranks, tests) and its text and HTML.

The hypervolume is tested with its home, ``hyperpilot._pareto`` (tests/test_pareto.py).
"""

from __future__ import annotations

import html.parser
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hyperpilot.benchmarks._problem import Problem
from hyperpilot.benchmarks._records import read_records
from hyperpilot.benchmarks._report import html_report, text_report, write_html
from hyperpilot.benchmarks._runner import run_benchmark
from hyperpilot.benchmarks._stats import (
    best_so_far,
    friedman_nemenyi,
    mean_ranks,
    normalized_regret,
    rank_scores,
    regret_scale,
    wilcoxon,
)
from hyperpilot.benchmarks._summary import summarize
from hyperpilot.benchmarks._toy import Budgeted, Conditional, Crashing, Quadratic, TwoObjective
from hyperpilot.exceptions import MissingDependencyError


# ---------------------------------------------------------------------- regret
def test_normalized_regret_by_hand() -> None:
    best = best_so_far([5.0, 3.0, 4.0, 1.0])
    assert best.tolist() == [5.0, 3.0, 3.0, 1.0]
    f_star, scale = regret_scale(0.0, np.array([5.0, 3.0, 4.0, 1.0]), np.array([2.0, 4.0, 6.0]))
    assert (f_star, scale) == (0.0, 4.0)  # known optimum; median of the reference sample
    assert normalized_regret(best, f_star, scale).tolist() == [1.25, 0.75, 0.75, 0.25]


def test_regret_scale_without_optimum_or_reference() -> None:
    observed = np.array([3.0, np.nan, 1.0, 2.0, 10.0])
    assert regret_scale(None, observed, None) == (1.0, 1.5)  # best seen; median of observed
    assert regret_scale(None, np.array([2.0]), np.array([2.0])) == (2.0, 1.0)  # degenerate
    assert normalized_regret(np.array([0.5, np.nan]), 1.0, 2.0)[0] == 0.0  # clipped at 0


def test_best_so_far_on_a_budget_grid() -> None:
    # two half-budget trials, then two at full budget: only those may be the incumbent
    curve = best_so_far([1.0, 0.0, 3.0, 2.0], costs=[0.5, 0.5, 1.0, 1.0],
                        counted=[False, False, True, True], n=3)
    assert np.isnan(curve[0]) and curve[1:].tolist() == [3.0, 2.0]


# ---------------------------------------------------------------------- ranks and tests
def test_ranks_average_ties_and_put_missing_last() -> None:
    ranks = rank_scores({
        "p1": {"a": 0.1, "b": 0.1, "c": 0.5},
        "p2": {"a": 0.3, "b": math.nan, "c": 0.2},
        "p3": {"a": math.nan, "b": math.nan},  # nobody finished: not ranked
    })
    assert ranks == {"p1": {"a": 1.5, "b": 1.5, "c": 3.0}, "p2": {"a": 2.0, "b": 3.0, "c": 1.0}}
    means = mean_ranks(ranks, {"p1": "bbob", "p2": "ml"})
    assert means["overall"] == {"a": 1.75, "b": 2.25, "c": 2.0}
    assert means["bbob"] == ranks["p1"] and means["ml"] == ranks["p2"]


def test_wilcoxon_paths() -> None:
    better = {f"p{i}": {"a": 0.1 * i, "b": 0.1 * i + 0.05 + 0.01 * i} for i in range(10)}
    test = wilcoxon("a", "b", better)
    assert (test.n, test.first_better, test.second_better, test.ties) == (10, 10, 0, 0)
    assert test.p_value < 0.01 and "significant at 0.05" in test.summary()
    same = {f"p{i}": {"a": 1.0, "b": 1.0} for i in range(4)}
    assert wilcoxon("a", "b", same).p_value == 1.0
    assert "identical" in wilcoxon("a", "b", same).summary()
    few = {"p1": {"a": 1.0, "b": 2.0}, "p2": {"a": 3.0, "b": 2.0}, "p3": {"a": math.nan}}
    test = wilcoxon("a", "b", few)
    assert test.n == 2 and "out of reach" in test.note
    assert "no problem" in wilcoxon("a", "c", few).note


def test_friedman_and_critical_difference() -> None:
    scores = {f"p{i}": {"a": 0.1, "b": 0.2 + 0.01 * i, "c": 0.9} for i in range(10)}
    test = friedman_nemenyi(scores, ["a", "b", "c"])
    assert test.mean_ranks == {"a": 1.0, "b": 2.0, "c": 3.0}
    assert test.p_value < 0.001
    assert test.critical_difference == pytest.approx(2.3437 * math.sqrt(3 * 4 / 60), rel=1e-3)
    assert test.groups == [["a", "b"], ["b", "c"]]  # neighbours lie within CD = 1.048
    more = {f"p{i}": {"a": 0.1, "b": 0.2, "c": 0.9} for i in range(20)}
    assert friedman_nemenyi(more, ["a", "b", "c"]).groups == []  # CD = 0.741 < 1
    assert "Friedman" in test.summary()
    assert math.isnan(friedman_nemenyi(scores, ["a", "b"]).p_value)  # needs 3 optimizers


# ---------------------------------------------------------------------- summary and report
@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results file from a real run of the runner on toy problems."""
    path = tmp_path_factory.mktemp("report") / "results.jsonl"
    problems: list[Problem] = [Quadratic(), Conditional(), Budgeted(), TwoObjective(),
                               Crashing("toy-raise", after=4)]
    run_benchmark(problems, ["random", "sobol"], n_trials=30, seeds=[0, 1, 2], out=path,
                  jobs=2, reference_samples=20, progress=False)
    return path


def test_summary_numbers(results: Path) -> None:
    summary = summarize(read_records(results))
    assert summary.n_trials == 30 and summary.checkpoints == [25, 30]
    assert summary.optimizers == ["random", "sobol"] and summary.seeds == [0, 1, 2]
    assert summary.counts == {"ok": 24, "failed": 6, "unsupported": 0}
    by_name = {p.name: p for p in summary.problems}
    quad = by_name["toy-quadratic"]
    assert quad.metric == "regret" and not quad.empirical_optimum and quad.optimum == 0.0
    assert quad.curves["random"].shape == (3, 30)
    assert np.all(np.diff(quad.curves["random"], axis=1) <= 0)  # regret never grows
    assert 0 <= quad.final["random"] < 1
    assert by_name["toy-conditional"].empirical_optimum
    assert set(by_name["toy-conditional"].test) == {"random", "sobol"}
    assert by_name["toy-two-objective"].metric == "hypervolume regret"
    assert math.isnan(by_name["toy-raise"].final["random"])
    assert "toy-raise" not in summary.ranks
    assert set(summary.mean_ranks) == {"toy", "toy-mo", "overall"}
    assert summary.wilcoxon is not None and summary.wilcoxon.n == 4
    assert {r["problem"] for r in summary.failed} == {"toy-raise"}
    assert set(summary.overhead) == {"random", "sobol"}
    assert list(summary.overhead["random"].ranges) == ["1-25", "26-30"]


def test_latest_record_wins_and_other_trial_counts_are_set_aside(results: Path) -> None:
    records = read_records(results)
    first = next(r for r in records if r["kind"] == "run" and r["status"] == "ok")
    retried = {**first, "values": {k: [1e9] * 30 for k in first["values"]}}
    other = {**first, "n_trials": 10}
    summary = summarize([*records, retried, other])
    assert summary.ignored == 1
    problem = next(p for p in summary.problems if p.name == first["problem"])
    assert problem.curves[first["optimizer"]].shape[0] == 3  # replaced, not added
    assert summarize([*records, other], n_trials=10).n_trials == 10
    with pytest.raises(ValueError, match=r"no runs with 7 trials; the results hold \[10, 30\]"):
        summarize([*records, other], n_trials=7)


def test_text_report_has_the_tables(results: Path) -> None:
    text = text_report(summarize(read_records(results)), source=str(results))
    for heading in ("Normalized regret, mean over problems", "@25", "@30",
                    "Mean rank (1 = best", "Significance:", "Wilcoxon signed-rank",
                    "Friedman test", "Incumbent's validation / test value",
                    "Optimizer overhead", "Failed (7):", "toy-raise", "crashed on purpose"):
        assert heading in text, heading
    assert "runs: 24 ok, 6 failed, 0 unsupported" in text


def test_markdown_report_has_well_formed_tables(results: Path) -> None:
    text = text_report(summarize(read_records(results)), markdown=True)
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("| ---")]
    assert len(rules) >= 4  # regret, per problem, rank, overhead, ...
    for i in rules:
        header, rule = lines[i - 1], lines[i]
        assert lines[i - 2] == ""  # a caption needs a blank line before its table
        assert header.count("|") == rule.count("|")
        body = lines[i + 1]
        assert body.startswith("| ") and body.count("|") == header.count("|")
    assert "---:" in text  # numbers align right
    assert "* Wilcoxon signed-rank" in text


class _Checker(html.parser.HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "hr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("src", "href") and value and "://" in value:
                self.external.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")


def test_html_report_is_self_contained_with_figures(results: Path, tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    summary = summarize(read_records(results))
    path = write_html(summary, tmp_path / "report.html", source=str(results))
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # one figure per problem with curves, the rank diagram and the overhead figure
    assert page.count('class="plotly-graph-div"') == 4 + 2
    assert page.count("<script src=") == 0 and "<link" not in page
    checker = _Checker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == [] and checker.external == []
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inline, once
    for text in ("Normalized regret", "Mean rank", "Wilcoxon", "Anytime performance",
                 "Optimizer overhead", "Failed runs (7)", "crashed on purpose", "Traceback"):
        assert text in page, text


def test_html_report_without_plotly_names_the_extra(results: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hyperpilot\[bench\]'"):
        html_report(summarize(read_records(results)))


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "run", "problem": "p", "family": "f", "optimizer": "a", "seed": 0,
        "n_trials": 2, "status": "ok", "objectives": [{"name": "v", "direction": "minimize"}],
        "values": {"v": [2.0, 1.0]}, "overhead": [0.1, 0.2], "problem_info": {"optimum": None},
    }
    return {**base, **fields}


def test_summary_of_a_hand_made_file() -> None:
    records = [
        _record(),
        _record(optimizer="b", values={"v": [3.0, 3.0]}),
        _record(optimizer="c", status="failed", values={"v": []}, error="boom"),
        {"kind": "reference", "problem": "p", "family": "f", "n_samples": 3, "status": "ok",
         "values": {"v": [3.0, 5.0, 9.0]}},
    ]
    summary = summarize(records)
    (problem,) = summary.problems
    # f* = 1 (best seen), f_ref = 5 (median of the reference): regret (f - 1) / 4
    assert problem.curves["a"].tolist() == [[0.25, 0.0]]
    assert problem.curves["b"].tolist() == [[0.5, 0.5]]
    assert problem.final["a"] == 0.0 and math.isnan(problem.final["c"])
    assert summary.ranks == {"p": {"a": 1.0, "b": 2.0, "c": 3.0}}
    assert summary.overhead["a"].median == pytest.approx(0.15)
    assert "boom" in text_report(summary)
