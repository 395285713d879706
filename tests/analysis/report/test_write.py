"""report(): one self-contained file, sections that fail or lack trials do not stop it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.analysis import (
    REPORT_SECTIONS,
    AnalysisError,
    ReportContext,
    ReportPathError,
    ReportSection,
    TooFewTrialsError,
    report,
)
from hyperpilot.analysis._report._content import Alert, Text

FAST = {"n_bootstrap": 2}
CORE = ["summary", "overview", "fanova", "ped-anova", "lpi", "ablation", "agreement"]


def _sections(result: Any, study: str | None = None) -> dict[str, Any]:
    return {s.key: s for s in result.sections if s.study == study}


def noise_study() -> hp.Study:
    rng = np.random.default_rng(0)
    space = hp.Space({"a": hp.Float(0.0, 1.0), "b": hp.Float(0.0, 1.0), "c": hp.Int(1, 5)})
    study = hp.create_study(space=space, name="noise", storage="memory", optimizer="random",
                            seed=0)
    study.optimize(lambda c: float(rng.random()), n_trials=40, show_progress=False)
    return study


def test_one_file_with_plotly_inlined_once_and_nothing_remote(
        tmp_path: Path, built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    result = report(study, tmp_path / "r.html", sections=CORE, **FAST)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert result.path == tmp_path / "r.html" and result.size == len(page.encode())
    assert [s.status for s in result.sections] == ["ok"] * 7
    assert [s.key for s in result.sections] == CORE
    assert page.count("plotly.js v") == 1  # the library's banner, once
    library_end = page.index("</script>")  # the library is the page's first script
    assert page.rindex("<script", 0, library_end) < page.index("</head>") < library_end + 10
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page[library_end:])
    assert f'<meta name="hyperpilot-figures" content="{result.figures}">' in page
    assert page.count('class="hp-figure"') == result.figures == sum(
        s.n_figures for s in result.sections)
    assert result.figures == 6  # fANOVA main and pairs, PED-ANOVA, LPI, path, tau


@pytest.mark.parametrize("name", ["conditional", "failed", "two-objective-one", "budgets",
                                  "constant"])
def test_every_registered_section_runs_on_every_kind_of_study(
        tmp_path: Path, built: Callable[[str], hp.Study], name: str) -> None:
    study = built(name)
    result = report(study, tmp_path / "r.html", n_bootstrap=0)
    failed = [(s.key, s.reason) for s in result.sections if s.status == "failed"]
    assert failed == []
    keys = [s.key for s in result.sections]
    wanted = [s.key for s in REPORT_SECTIONS if s.scope == "study" and (
        s.applies is None or s.applies(ReportContext(study)))]
    assert keys == wanted
    assert ("pareto" in keys) == (name == "two-objective-one")
    assert ("budget-correlation" in keys) == (name == "budgets")


def test_the_summary_says_what_matters_in_words(
        tmp_path: Path, built: Callable[[str], hp.Study]) -> None:
    result = report(built("conditional"), tmp_path / "r.html", sections=["summary"], **FAST)
    summary = _sections(result, built("conditional").name)["summary"]
    text = " ".join(b.text for b in summary.blocks if isinstance(b, Text))
    assert text.startswith("The study holds 120 trials (120 complete). The best value is ")
    # the model decides most of the objective (0, 1 or 2 plus small terms)
    assert re.search(r"model explains \d+% of the variance of value \(R² of the surrogate "
                     r"0\.\d\d\)", text)
    assert "local importance" in text


def test_an_untrustworthy_surrogate_gives_no_ranking_and_a_prominent_warning(
        tmp_path: Path) -> None:
    result = report(noise_study(), tmp_path / "r.html", sections=CORE, **FAST)
    sections = _sections(result, "noise")
    summary = " ".join(b.text for b in sections["summary"].blocks if isinstance(b, Text))
    assert "No ranking of the hyperparameters is given" in summary
    assert not re.search(r"\b[abc] explains", summary)
    for key in ("fanova", "lpi", "ablation"):
        first = sections[key].blocks[0]
        assert isinstance(first, Alert) and first.level == "danger"
        assert "not to be trusted" in first.text
    page = result.path.read_text(encoding="utf-8")
    assert page.count('<div class="alert danger">') >= 4


def test_failures_states_and_too_few_trials(tmp_path: Path,
                                           built: Callable[[str], hp.Study]) -> None:
    study = built("failed")
    result = report(study, tmp_path / "r.html", sections=CORE, **FAST)
    sections = _sections(result, study.name)
    page = result.path.read_text(encoding="utf-8")
    assert "RuntimeError: diverged" in page  # the failures, grouped
    summary = sections["summary"].blocks[0]
    assert isinstance(summary, Text) and "failed, all with \u201cRuntimeError: diverged\u201d" in (
        summary.text)
    small = hp.create_study(space=study.space, storage="memory", optimizer="random", seed=0,
                            name="small")
    small.optimize(lambda c: c["x"], n_trials=4, show_progress=False)
    result = report(small, tmp_path / "s.html", sections=CORE, **FAST)
    sections = _sections(result, "small")
    assert sections["overview"].status == "ok"
    assert sections["fanova"].status == "skipped"
    assert sections["fanova"].reason == "needs at least 10 complete trials, the study has 4"
    page = result.path.read_text(encoding="utf-8")
    assert ('<h3>Not shown</h3><p class="skipped">fANOVA, PED-ANOVA, Local importance around '
            "the best trial, Ablation path, Agreement between the methods: needs at least 10 "
            "complete trials, the study has 4</p>") in page


def test_a_failing_section_shows_its_reason_and_the_rest_runs(tmp_path: Path,
                                                              built: Callable[[str], hp.Study]
                                                              ) -> None:
    def broken(context: ReportContext) -> None:
        raise RuntimeError("out of coffee\nsecond line")

    def wrong(context: ReportContext) -> object:
        return 42

    sections: list[str | ReportSection] = [
        ReportSection("broken", "Broken", broken), "overview",
        ReportSection("wrong", "Wrong", wrong)]
    result = report(built("conditional"), tmp_path / "r.html", sections=sections)
    outcome = {s.key: (s.status, s.reason) for s in result.sections}
    assert outcome == {
        "broken": ("failed", "RuntimeError: out of coffee"),
        "overview": ("ok", ""),
        "wrong": ("failed", "TypeError: a report section returned a int; expected text, a "
                            "table, a plotly figure, a block or a list of them")}
    page = result.path.read_text(encoding="utf-8")
    assert "This section could not be computed: RuntimeError: out of coffee</div>" in page


def test_several_studies_are_compared_and_progress_has_a_line_per_section(
        tmp_path: Path, built: Callable[[str], hp.Study]) -> None:
    lines: list[str] = []
    studies = [built("conditional"), built("constant")]
    result = report(studies, tmp_path / "r.html", progress=lines.append,
                    sections=[*CORE, "comparison"], **FAST)
    assert len(lines) == len(result.sections) == 2 * 7 + 1
    assert re.fullmatch(r"report \[1/15\] [\w-]+: summary: \d+\.\d s", lines[0])
    assert lines[-1].startswith("report [15/15] comparison: ")
    comparison = result.sections[-1]
    assert comparison.study is None and comparison.status == "ok"
    assert comparison.n_figures == 1
    page = result.path.read_text(encoding="utf-8")
    assert "fANOVA main effects side by side" in page
    single = report(studies[0], tmp_path / "one.html", sections=["comparison"])
    assert single.sections == ()


def test_multi_objective_explains_the_first_unless_told(tmp_path: Path,
                                                       built: Callable[[str], hp.Study]) -> None:
    study = built("two-objective-one")
    result = report(study, tmp_path / "r.html", sections=["summary", "fanova"], **FAST)
    notes = [b.text for b in result.sections[0].blocks if isinstance(b, Text) and b.style == "note"]
    assert notes == ["The study has 2 objectives (loss, acc); the importances explain 'loss' "
                     "(the first). Choose another with objective=."]
    assert result.sections[1].status == "ok"
    told = report(study, tmp_path / "r.html", sections=["fanova"], objective="acc", **FAST)
    assert told.sections[0].status == "ok"


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"studies": []}, AnalysisError, "report: no study given"),
    ({"sections": ["nope"]}, AnalysisError,
     "report: unknown section 'nope'; the sections are "
     + ", ".join(s.key for s in REPORT_SECTIONS)),
    ({"sections": ["overview", "overview"]}, AnalysisError,
     "report: section 'overview' is given twice"),
    ({"n_bootstrap": -1}, AnalysisError,
     "report: n_bootstrap must be a whole number >= 0, got -1"),
    ({"objective": "acc"}, AnalysisError,
     "report of study 'constant': unknown objective 'acc'; the study has ['value']"),
])
def test_bad_arguments_are_one_line_errors(tmp_path: Path, built: Callable[[str], hp.Study],
                                           arguments: dict[str, Any], error: type,
                                           message: str) -> None:
    study = built("constant")
    given: dict[str, Any] = {"studies": study, **arguments}
    with pytest.raises(error) as raised:
        report(given.pop("studies"), tmp_path / "r.html", **given)
    assert str(raised.value) == message.replace("'constant'", repr(study.name))
    assert not (tmp_path / "r.html").exists()


def test_a_study_without_trials_is_refused(tmp_path: Path) -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", name="empty")
    with pytest.raises(TooFewTrialsError, match=r"^report: study 'empty' has no trials; "
                                                r"there is nothing to report$"):
        report(study, tmp_path / "r.html")


def test_an_unwritable_path_is_refused_before_any_work(tmp_path: Path,
                                                       built: Callable[[str], hp.Study]
                                                       ) -> None:
    calls: list[str] = []
    section = ReportSection("spy", "Spy", lambda context: calls.append("ran"))
    study = built("constant")
    with pytest.raises(ReportPathError) as missing:
        report(study, tmp_path / "no" / "r.html", sections=[section])
    assert str(missing.value) == (f"report: cannot write {str(tmp_path / 'no' / 'r.html')!r}: "
                                  f"the folder {str(tmp_path / 'no')!r} does not exist")
    with pytest.raises(ReportPathError, match=r"it is a folder$"):
        report(study, tmp_path, sections=[section])
    assert isinstance(missing.value, OSError) and calls == []
    assert list(tmp_path.iterdir()) == []  # no probe left behind


def test_results_are_computed_once_per_report(built: Callable[[str], hp.Study]) -> None:
    context = ReportContext(built("constant"))
    assert context.analysis("fanova") is context.analysis("fanova")
    calls = []

    def fail() -> None:
        calls.append(1)
        raise ValueError("bad")

    for _ in range(2):
        with pytest.raises(ValueError, match="bad"):
            context.memo("x", fail)
    assert calls == [1]


def test_names_are_escaped(tmp_path: Path) -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", seed=0,
                            optimizer="random", name="<script>alert(1)</script>")
    study.optimize(lambda c: c["x"], n_trials=3, show_progress=False)
    result = report(study, tmp_path / "r.html", sections=["summary", "overview"])
    page = result.path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "Study '&lt;script&gt;alert(1)&lt;/script&gt;'</h2>" in page
    assert 'id="study-1-script-alert-1-script"' in page
