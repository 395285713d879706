"""The registry: sections are checked, chosen by key, and views load when they run."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hyperpilot as hp
from hyperpilot.analysis import (
    REPORT_SECTIONS,
    AnalysisError,
    ReportContext,
    ReportSection,
    lazy_studies_view,
    lazy_view,
    report,
)
from hyperpilot.analysis._report._content import Alert, Figure, Table, Text, Trust, as_blocks
from hyperpilot.analysis._report._sections import select_sections


def test_the_registry_has_unique_keys_and_the_default_order() -> None:
    keys = [s.key for s in REPORT_SECTIONS]
    assert len(keys) == len(set(keys))
    assert keys[:2] == ["summary", "overview"]
    assert {"fanova", "ped-anova", "lpi", "ablation", "agreement", "comparison"} <= set(keys)
    assert select_sections(None) == list(REPORT_SECTIONS)
    assert [s.key for s in select_sections(["lpi", "summary"])] == ["lpi", "summary"]


@pytest.mark.parametrize(("arguments", "message"), [
    ({"key": "Bad Key"}, "report section: key must be lower-case letters, digits, '-' or '_' "
                         "starting with a letter, got 'Bad Key'"),
    ({"scope": "all"}, "report section 'x': scope must be 'study' or 'studies', got 'all'"),
    ({"min_trials": -1}, "report section 'x': min_trials must be a whole number >= 0, got -1"),
    ({"build": 3}, "report section 'x': build must be callable, got 3"),
])
def test_a_section_is_checked_when_made(arguments: dict[str, Any], message: str) -> None:
    given: dict[str, Any] = {"key": "x", "title": "X", "build": print, **arguments}
    with pytest.raises(AnalysisError) as error:
        ReportSection(**given)
    assert str(error.value) == message


@pytest.fixture
def view_module() -> Iterator[types.ModuleType]:
    """A stand-in for a view module of the analysis package, importable by name."""
    module = types.ModuleType("hyperpilot.analysis._fake_views")

    def plot_thing(study: hp.Study, *, objective: str | None = None, colour: str = "red"
                   ) -> Any:
        import plotly.graph_objects as go

        figure = go.Figure(go.Bar(x=[1], y=[2]))
        figure.update_layout(title=f"{study.name} {objective} {colour}")
        return figure

    def compare(studies: list[hp.Study]) -> str:
        return f"{len(studies)} studies"

    def thing(study: hp.Study, *, objective: str | None = None, seed: int = 0,
              size: int = 1) -> pd.DataFrame:
        return pd.DataFrame({"x": [objective] * size, "n_trials": 12, "cv_r2": 0.2,
                             "spearman": 0.4, "warning": "shaky"})

    def plot_table(table: pd.DataFrame) -> Any:
        import plotly.graph_objects as go

        return go.Figure(go.Bar(x=[len(table)], y=[table["x"].iloc[0]]))

    module.plot_thing = plot_thing  # type: ignore[attr-defined]
    module.thing = thing  # type: ignore[attr-defined]
    module.plot_table = plot_table  # type: ignore[attr-defined]
    module.compare = compare  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_a_lazy_view_is_one_line_and_gets_the_options_it_takes(
        tmp_path: Path, built: Callable[[str], hp.Study], view_module: types.ModuleType) -> None:
    study = built("two-objective-one")
    sections = [
        ReportSection("thing", "Thing", lazy_view("_fake_views", "plot_thing", colour="blue")),
        ReportSection("missing", "Missing", lazy_view("_no_such_module", "plot")),
        ReportSection("both", "Both", lazy_studies_view("_fake_views", "compare"),
                      scope="studies"),
    ]
    result = report([study, study], tmp_path / "r.html", sections=sections, objective="acc")
    outcome = [(s.key, s.status, s.reason) for s in result.sections]
    assert outcome == [
        ("thing", "ok", ""), ("missing", "failed",
                              "ModuleNotFoundError: No module named "
                              "'hyperpilot.analysis._no_such_module'"),
        ("thing", "ok", ""), ("missing", "failed", outcome[1][2]), ("both", "ok", "")]
    figure = result.sections[0].blocks[0]
    assert isinstance(figure, Figure)
    assert figure.figure.layout.title.text == f"{study.name} acc blue"
    assert result.sections[-1].blocks == (Text("2 studies"),)


def test_what_a_section_returns_becomes_blocks(built: Callable[[str], hp.Study]) -> None:
    table = ReportContext(built("constant")).analysis("lpi")
    blocks = as_blocks(["words", None, table, [Text("x", "note")]])
    assert [type(b) for b in blocks] == [Text, Trust, Table, Text]
    assert blocks[0] == Text("words")
    trust = blocks[1]
    assert isinstance(trust, Trust) and trust.rows[0].n_trials == 60
    assert trust.rows[0].verdict == "trustworthy"
    plain = as_blocks(pd.DataFrame({"a": [1]}))
    assert [type(b) for b in plain] == [Table]
    untrusted = table.assign(cv_r2=0.1, warning="do not believe it")
    assert as_blocks(untrusted)[0] == Alert("do not believe it", "danger")
    with pytest.raises(TypeError, match="returned a set"):
        as_blocks({1})


def test_a_lazy_view_of_a_table_brings_its_trust_line(
        tmp_path: Path, built: Callable[[str], hp.Study], view_module: types.ModuleType) -> None:
    study = built("two-objective-one")
    section = ReportSection("table", "Table", lazy_view("_fake_views", "plot_table",
                                                       table="thing", size=3))
    result = report(study, tmp_path / "r.html", sections=[section])
    blocks = result.sections[0].blocks
    assert [type(b) for b in blocks] == [Alert, Trust, Figure]
    assert blocks[0] == Alert("shaky", "danger")
    figure = blocks[2]
    assert isinstance(figure, Figure)
    assert list(figure.figure.data[0].x) == [3] and list(figure.figure.data[0].y) == ["loss"]


def test_sections_that_do_not_apply_are_left_out(tmp_path: Path,
                                                 built: Callable[[str], hp.Study]) -> None:
    from hyperpilot.analysis._report._sections import multi_objective, with_budgets

    sections = [ReportSection("mo", "MO", lambda c: "two", applies=multi_objective),
                ReportSection("fidelity", "Budgets", lambda c: "budgets", applies=with_budgets),
                "overview"]
    lines: list[str] = []
    result = report([built("two-objective-one"), built("budgets"), built("constant")],
                    tmp_path / "r.html", sections=sections, progress=lines.append)
    shown = [(s.study, s.key) for s in result.sections]
    names = [built(n).name for n in ("two-objective-one", "budgets", "constant")]
    assert shown == [(names[0], "mo"), (names[0], "overview"), (names[1], "fidelity"),
                     (names[1], "overview"), (names[2], "overview")]
    assert lines[-1].startswith("report [5/5] ")
    with pytest.raises(AnalysisError, match="applies must be callable or None, got 1"):
        ReportSection("x", "X", print, applies=1)  # type: ignore[arg-type]
