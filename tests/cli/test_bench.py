"""``hyperpilot bench run|report|list`` end to end on toy problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hyperpilot.benchmarks._problem import Problem
from hyperpilot.benchmarks._toy import Conditional, Crashing, Quadratic
from hyperpilot.cli import _bench


@pytest.fixture
def toy_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``--suite toy`` (two toy problems) and ``--suite broken`` (a raising one)."""
    suites: dict[str, list[Problem]] = {
        "toy": [Quadratic(), Conditional()],
        "broken": [Crashing("toy-raise", after=1)],
    }

    def load_suite(name: str) -> list[Problem]:
        if name not in suites:
            raise _bench.UsageError(f"unknown suite {name!r}; known: {', '.join(suites)}")
        return suites[name]

    monkeypatch.setattr(_bench, "load_suite", load_suite)
    monkeypatch.setattr(_bench, "suite_names", lambda: list(suites))


@pytest.mark.parametrize("command", [["bench"], ["bench", "run"], ["bench", "report"],
                                     ["bench", "list"]])
def test_bench_commands_have_help(cli: Any, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: hyperpilot {' '.join(command)}")


def test_run_help_names_the_peers(cli: Any) -> None:
    out = cli("bench", "run", "--help").out
    for text in ("--suite NAME", "--optimizers A,B,...", "--trials N", "--seeds K",
                 "--out FILE", "--jobs J", "optuna-tpe", "smac-hpo", "resumes"):
        assert text in out, text


def test_unknown_suite_lists_the_known_ones(cli: Any) -> None:
    result = cli("bench", "run", "--suite", "quik", "--no-progress")
    assert result.code == 2
    assert result.err.startswith("hyperpilot: error: unknown suite 'quik'; known: quick, ")
    assert result.err.count("\n") == 1


def test_unknown_optimizer_lists_the_known_ones(cli: Any, toy_suite: None) -> None:
    result = cli("bench", "run", "--suite", "toy", "--optimizers", "random,optuna-tp")
    assert result.code == 2
    assert result.err.startswith("hyperpilot: error: unknown optimizer 'optuna-tp'; known: ")
    assert "random" in result.err and "optuna-tpe" in result.err
    assert "smac-hpo" in result.err and result.err.count("\n") == 1


def test_variant_runs_under_its_label(cli: Any, toy_suite: None, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    result = cli("bench", "run", "--suite", "toy", "--problems", "toy-quadratic",
                 "--optimizers", "random,rf-small", "--trials", "5", "--seeds", "1",
                 "--variant", "rf-small={name: bo-rf, n_initial: 2}", "--out", out,
                 "--no-progress", "--reference-samples", "0")
    assert result.code == 0, result.err
    runs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["optimizer"], r["status"]) for r in runs] == [("random", "ok"),
                                                             ("rf-small", "ok")]
    assert runs[1]["optimizer_config"]["name"] == "bo-rf"
    assert runs[1]["optimizer_config"]["n_initial"] == 2


@pytest.mark.parametrize(("variant", "optimizers", "message"), [
    ("bo-x", "bo-x", "--variant 'bo-x': expected LABEL=SETTINGS"),
    ("bo-x=[1", "bo-x", "--variant bo-x: the settings do not parse"),
    ("bo-x={acquisition: lcb}", "bo-x",
     "--variant bo-x: the settings must be a mapping with the optimizer's name"),
    ("bo-x={name: bo, acquisition: lcbb}", "bo-x",
     "--variant: variant 'bo-x': bo: unknown acquisition 'lcbb'"),
    ("sobol={name: bo}", "sobol", "--variant: variant label 'sobol' must be a new name"),
    ("bo-x={name: bo}", "random", "--variant 'bo-x' is defined but not listed in --optimizers"),
])
def test_bad_variants_are_one_line_errors(cli: Any, toy_suite: None, variant: str,
                                          optimizers: str, message: str) -> None:
    result = cli("bench", "run", "--suite", "toy", "--optimizers", optimizers,
                 "--variant", variant)
    assert result.code == 2
    assert result.err.startswith(f"hyperpilot: error: {message}")
    assert result.err.count("\n") == 1


def test_problems_filter_that_matches_nothing(cli: Any, toy_suite: None) -> None:
    result = cli("bench", "run", "--suite", "toy", "--problems", "bbob-*")
    assert result.code == 2
    assert "matches none of the suite's problems: toy-quadratic, toy-conditional" in result.err


def test_run_then_report_end_to_end(cli: Any, toy_suite: None, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("plotly")
    monkeypatch.chdir(tmp_path)
    result = cli("bench", "run", "--suite", "toy", "--optimizers", "random,sobol",
                 "--trials", "8", "--seeds", "2", "--jobs", "2", "--reference-samples", "10",
                 "--no-progress")
    assert result.code == 0, result.err
    assert "suite toy: 2 problems x 2 optimizers x 2 seeds, 8 evaluations per run" in result.out
    assert "ran 8 runs (8 ok, 0 failed, 0 unsupported) and 2 reference samples" in result.out
    assert "summarize with: hyperpilot bench report" in result.out
    lines = Path(_bench.DEFAULT_RESULTS).read_text().splitlines()
    assert len(lines) == 10 and all(json.loads(line)["kind"] for line in lines)

    again = cli("bench", "run", "--suite", "toy", "--optimizers", "random,sobol",
                "--trials", "8", "--seeds", "2", "--reference-samples", "10", "--no-progress")
    assert again.code == 0, again.err
    assert "ran 0 runs" in again.out and "skipped 10 already in" in again.out

    report = cli("bench", "report")
    assert report.code == 0, report.err
    assert "Normalized regret" in report.out and "Mean rank" in report.out
    assert "Wilcoxon signed-rank, " in report.out
    assert report.out.rstrip().endswith("HTML report: bench-results.html")
    page = (tmp_path / "bench-results.html").read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') >= 3 and "<script src=" not in page

    text_only = cli("bench", "report", "bench-results.jsonl", "--no-html", "--trials", "8")
    assert text_only.code == 0 and "HTML report" not in text_only.out

    pytest.importorskip("matplotlib")
    docs = cli("bench", "report", "--no-html", "--markdown", "--figures", "figures")
    assert docs.code == 0, docs.err
    assert "| family | metric | optimizer |" in docs.out
    assert docs.out.rstrip().endswith(
        "figures: figures/regret-toy.svg, figures/ranks.svg, figures/overhead.svg")
    assert (tmp_path / "figures" / "ranks.svg").read_text().lstrip().startswith("<?xml")


def test_report_keeps_the_problems_and_optimizers_asked_for(cli: Any, toy_suite: None,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "toy.jsonl"
    result = cli("bench", "run", "--suite", "toy", "--optimizers", "random,sobol", "--trials",
                 "6", "--seeds", "2", "--out", out, "--reference-samples", "5",
                 "--no-progress")
    assert result.code == 0, result.err
    both = cli("bench", "report", out, "--no-html")
    assert "toy-conditional" in both.out and "sobol" in both.out
    one = cli("bench", "report", out, "--no-html", "--problems", "*-quadratic",
              "--optimizers", "random")
    assert one.code == 0, one.err
    assert "toy-quadratic" in one.out and "toy-conditional" not in one.out
    assert "sobol" not in one.out and "random" in one.out
    nothing = cli("bench", "report", out, "--no-html", "--problems", "bbob-*")
    assert nothing.code == 2
    assert nothing.err == (f"hyperpilot: error: --problems 'bbob-*' matches none of the "
                           f"problems in {out}: toy-conditional, toy-quadratic\n")
    missing = cli("bench", "report", out, "--no-html", "--optimizers", "random,smac-bb")
    assert missing.code == 2
    assert missing.err == (f"hyperpilot: error: --optimizers: 'smac-bb' has no runs in {out}; "
                           "it holds random, sobol\n")


def test_failed_runs_exit_1_and_are_reported(cli: Any, toy_suite: None, tmp_path: Path) -> None:
    out = tmp_path / "broken.jsonl"
    result = cli("bench", "run", "--suite", "broken", "--optimizers", "random", "--trials",
                 "3", "--seeds", "1", "--out", out, "--reference-samples", "0",
                 "--no-progress")
    assert result.code == 1
    assert "failed: toy-raise/random/s0: RuntimeError: toy-raise: evaluation 2 crashed" \
        in result.out
    assert result.err == (f"hyperpilot: error: 1 of 1 runs failed; they are recorded in {out} "
                          f"and listed by 'hyperpilot bench report {out}'\n")
    report = cli("bench", "report", out, "--no-html")
    assert report.code == 0, report.err
    assert "Failed (1):" in report.out and "evaluation 2 crashed on purpose" in report.out


@pytest.mark.parametrize(("content", "message"), [
    (None, "no results file"),
    ('{"kind": "run"\n', "line 1: not valid JSON"),
    ('\n{"kind": "trial"}\n', "line 2: not a benchmark record"),
    ("", "the results hold no run records"),
])
def test_report_errors_are_one_line(cli: Any, tmp_path: Path, content: str | None,
                                    message: str) -> None:
    path = tmp_path / "results.jsonl"
    if content is not None:
        path.write_text(content)
    result = cli("bench", "report", path)
    assert result.code == 2
    assert result.err.startswith("hyperpilot: error: ") and message in result.err
    assert result.err.count("\n") == 1


def test_list_shows_suites_and_optimizers(cli: Any, toy_suite: None) -> None:
    result = cli("bench", "list")
    assert result.code == 0, result.err
    assert "suite toy (2 problems):" in result.out and "toy-conditional" in result.out
    assert "suite broken (1 problem):" in result.out
    names = result.out.splitlines()[-1].removeprefix("optimizers: ").split(", ")
    assert {"random", "sobol", "optuna-tpe", "smac-bb"} <= set(names)
