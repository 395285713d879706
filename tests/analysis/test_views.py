"""Run views: history, EDF, timeline, footprint, budget correlation, Pareto front and
hypervolume, parallel coordinates, slices, contour, comparison of studies."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hyperpilot as hp
from hyperpilot._pareto import hypervolume
from hyperpilot.analysis import (
    AnalysisError,
    TooFewTrialsError,
    _front,
    _parallel,
    _views,
    budget_correlation,
    compare_importances,
    compare_studies,
    contour,
    edf,
    footprint,
    history,
    hypervolume_history,
    parallel_coordinates,
    pareto_front,
    plot_budget_correlation,
    plot_compare_importances,
    plot_compare_studies,
    plot_contour,
    plot_edf,
    plot_footprint,
    plot_history,
    plot_hypervolume_history,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slices,
    plot_timeline,
    slices,
    timeline,
)
from hyperpilot.analysis._footprint import features, principal_axes
from hyperpilot.analysis._timeline import _lanes
from hyperpilot.trial._trial import Trial, TrialState


def _study(values: list[float], *, direction: str = "minimize",
           constraints: dict[str, float] | None = None,
           measured: list[float] | None = None) -> hp.Study:
    """A study whose trial i has config x=i/100 and value values[i] (NaN: it fails)."""
    space = hp.Space({"x": hp.Float(0.0, 1.0), "k": hp.Categorical(["a", "b"])})
    study = hp.create_study(space=space, storage="memory", objectives=direction,
                            constraints=constraints, optimizer="random", seed=0)
    for i, _ in enumerate(values):
        study.enqueue({"x": i / 100, "k": "a"})

    def objective(c: dict[str, Any]) -> Any:
        i = round(c["x"] * 100)
        if math.isnan(values[i]):
            raise RuntimeError("boom")
        if measured is None:
            return values[i]
        return hp.Result(values=values[i], constraints={"c": measured[i]})

    study.optimize(objective, n_trials=len(values), show_progress=False,
                   max_consecutive_failures=None)
    return study


def _one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


# ---------------------------------------------------------------------- history
def test_history_best_so_far_by_hand() -> None:
    study = _study([3.0, 5.0, math.nan, 1.0, 2.0])
    study.ask()  # left running
    table = history(study)
    assert table["state"].tolist() == ["complete", "complete", "failed", "complete",
                                       "complete", "running"]
    assert table["value"].tolist()[:2] == [3.0, 5.0] and table["value"].isna().tolist() == [
        False, False, True, False, False, True]
    assert table["best"].tolist() == [3.0, 3.0, 3.0, 1.0, 1.0, 1.0]
    assert table["incumbent"].tolist() == [0, 0, 0, 3, 3, 3]
    assert table["best_by_time"].tolist()[:5] == [3.0, 3.0, 3.0, 1.0, 1.0]
    assert math.isnan(table["time"].iloc[-1]) and table["time"].iloc[:5].is_monotonic_increasing
    figure = plot_history(table)
    names = [t.name for t in figure.data]
    assert {"trial", "best so far", "failed"} <= set(names)
    plot_history(table, x="time", log_y=True)


def test_history_of_a_maximized_objective_and_constraints() -> None:
    study = _study([1.0, 4.0, 9.0, 2.0], direction="maximize", constraints={"c": 0.0},
                   measured=[0.0, 0.0, 1.0, 0.0])
    table = history(study)
    # trial 2 is best but infeasible: the incumbent stays feasible, as best_trial ranks
    assert table["best"].tolist() == [1.0, 4.0, 4.0, 4.0]
    assert table["feasible"].tolist() == [True, True, False, True]
    assert study.best_trial.number == table["incumbent"].iloc[-1] == 1
    names = [t.name for t in plot_history(table).data]
    assert "infeasible" in names


def test_history_of_each_objective_or_a_weighting(built: Callable[[str], hp.Study]) -> None:
    study = built("two-objective-one")
    each = history(study)
    assert list(dict.fromkeys(each["objective"])) == ["loss", "acc"]
    acc = each[each["objective"] == "acc"]
    assert acc["best"].iloc[-1] == pytest.approx(acc["value"].max())  # maximized
    weighted = history(study, objective={"loss": 1.0, "acc": 1.0})
    assert weighted["objective"].nunique() == 1 and len(weighted) == len(acc)
    assert len(plot_history(each).layout.annotations) >= 2  # one title per panel
    with pytest.raises(AnalysisError) as error:
        history(study, objective="los")
    assert "unknown objective 'los'" in _one_line(error)
    with pytest.raises(AnalysisError, match="x must be"):
        plot_history(each, x="wall")


def test_history_of_one_budget(built: Callable[[str], hp.Study]) -> None:
    study = built("budgets")
    table = history(study, budget=9.0)
    assert set(table["budget"]) == {9.0}
    assert set(history(study, budget="highest")["budget"]) == {27.0}
    with pytest.raises(AnalysisError, match="no complete trial has budget 2"):
        history(study, budget=2.0)


def test_thinned_figures_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    study = _study(list(np.linspace(0.0, 5.0, 30)))  # trial 0 stays the incumbent
    monkeypatch.setattr(_views, "MAX_POINTS", 10)
    figure = plot_history(history(study))
    trial = next(t for t in figure.data if t.name == "trial")
    assert len(trial.x) == 10 and trial.x[0] == 0
    assert "showing" in figure.layout.annotations[-1].text
    assert _views.thin(100, 10).tolist() == [0, 11, 22, 33, 44, 55, 66, 77, 88, 99]
    assert "showing" in plot_footprint(footprint(study)).layout.annotations[-1].text
    assert "latest 10 of 30" in plot_timeline(timeline(study)).layout.annotations[-1].text


# ---------------------------------------------------------------------- EDF
def test_edf_by_hand_and_overlaid() -> None:
    a, b = _study([3.0, 1.0, 2.0, 2.0]), _study([5.0, math.nan, 4.0])
    table = edf({"first": a, "second": b})
    first = table[table["study"] == "first"]
    assert first["value"].tolist() == [1.0, 2.0, 2.0, 3.0]
    assert first["fraction"].tolist() == [0.25, 0.75, 0.75, 1.0]
    second = table[table["study"] == "second"]
    assert second["fraction"].tolist() == [0.5, 1.0]  # the failed trial has no value
    figure = plot_edf(table)
    assert [t.name for t in figure.data] == ["first", "second"]
    assert edf([a, b])["study"].nunique() == 2
    assert plot_edf([a]).data[0].y[-1] == 1.0


# ---------------------------------------------------------------------- timeline
def _trial(number: int, worker: str | None, start: float, end: float | None,
           state: TrialState = TrialState.COMPLETE) -> Trial:
    return Trial(id=number, number=number, study_id=1, config={}, state=state,
                 worker=worker, created_at=start, started_at=start, finished_at=end)


def test_lanes_per_worker_and_by_overlap() -> None:
    trials = [_trial(0, "h:1", 0, 2), _trial(1, "h:1", 1, 3), _trial(2, "h:1", 2, 4),
              _trial(3, "h:2", 0, 5), _trial(4, None, 0, 1)]
    start = np.array([t.started_at for t in trials], dtype=float)
    end = np.array([t.finished_at for t in trials], dtype=float)
    # trials 0 and 1 overlap; trial 2 starts when trial 0 ends and takes its lane
    assert _lanes(trials, start, end) == ["h:1 \u00b7 1", "h:1 \u00b7 2", "h:1 \u00b7 1",
                                          "h:2", "unknown worker"]


def test_timeline_of_overlapping_and_running_trials() -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=0)
    first, second = study.ask(), study.ask()
    time.sleep(0.01)
    study.tell(first, 1.0)
    study.tell(second, 2.0)
    study.ask()  # running
    study.enqueue({"x": 0.5})  # pending
    table = timeline(study)
    assert table["number"].tolist() == [0, 1, 2]
    assert table["lane"].nunique() == 2  # the first two overlap
    assert table["lane"].iloc[2] == table["lane"].iloc[0]
    assert table["running"].tolist() == [False, False, True]
    assert (table["end"] >= table["start"]).all() and table.attrs["pending"] == 1
    key = table.attrs["cache_key"]
    study.ask()  # the pending trial starts: the key changes though nothing finished
    assert timeline(study).attrs["cache_key"] != key
    figure = plot_timeline(table)
    assert {t.name for t in figure.data} == {"complete", "running"}
    assert "pending" in figure.layout.annotations[-1].text


# ---------------------------------------------------------------------- budgets
def _budget_study(flip_at: float | None) -> hp.Study:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "c": hp.Categorical(["a", "b"])})
    study = hp.create_study(space=space, storage="memory", seed=0,
                            fidelity=hp.Fidelity("epochs", 1, 9))
    configs = [{"x": i / 10, "c": "a"} for i in range(8)]
    for budget in (1.0, 3.0, 9.0):
        for config in configs:
            study.enqueue(config, budget=budget)

    def objective(c: dict[str, Any], budget: float) -> float:
        return -c["x"] if budget == flip_at else c["x"] / budget

    study.optimize(objective, n_trials=24, show_progress=False)
    return study


def test_budget_correlation_by_hand() -> None:
    table = budget_correlation(_budget_study(flip_at=9.0))
    assert table[["budget_a", "budget_b"]].values.tolist() == [[1, 3], [1, 9], [3, 9]]
    assert table["spearman"].tolist() == pytest.approx([1.0, -1.0, -1.0])
    assert table["n_configs"].tolist() == [8, 8, 8]
    figure = plot_budget_correlation(table)
    assert figure.data[0].z.shape == (3, 3)


def test_budget_correlation_without_budgets(built: Callable[[str], hp.Study]) -> None:
    table = budget_correlation(built("constant"))
    assert table.empty and "no complete trial has a budget" in table.attrs["note"]
    assert "no complete trial" in plot_budget_correlation(table).layout.annotations[-1].text
    with pytest.raises(AnalysisError) as error:
        budget_correlation(built("two-objective-one"))
    assert "2 objectives" in _one_line(error)


# ---------------------------------------------------------------------- footprint
def test_principal_axes_of_a_line_and_of_random_rows() -> None:
    t = np.linspace(0.0, 1.0, 50)
    F = np.column_stack([t, t, np.full(50, 0.3)])
    _, axes, shares, coords = principal_axes(F)
    assert shares[0] == pytest.approx(1.0) and shares[1] == 0.0
    assert np.abs(axes[:, 0]).tolist() == pytest.approx([2 ** -0.5, 2 ** -0.5, 0.0], abs=1e-9)
    assert np.all(np.diff(coords[:, 0]) > 0)  # the sign is fixed: along the line
    rows = np.random.default_rng(0).random((10_000, 20))
    begin = time.perf_counter()
    principal_axes(rows)
    assert time.perf_counter() - begin < 1.0


def test_features_one_hot_inactive_and_constants() -> None:
    space = hp.Space({"m": hp.Categorical(["a", "b", "c"]), "c": hp.Constant(1),
                      "x": hp.Float(0.0, 1.0, active_if={"m": "a"})})
    F, names = features(space, space.encode([{"m": "a", "c": 1, "x": 0.25},
                                             {"m": "c", "c": 1}]))
    assert names == ["m=a", "m=b", "m=c", "x"]
    s = 2 ** -0.5
    np.testing.assert_allclose(F, [[s, 0, 0, 0.25], [0, 0, s, -0.5]])


def test_footprint_every_trial_and_the_incumbents(built: Callable[[str], hp.Study]) -> None:
    study = built("failed")
    table = footprint(study)
    assert len(table) == len(study.get_trials())  # failed, running and pending included
    assert set(table["state"]) == {"complete", "failed", "running", "pending"}
    assert np.isfinite(table[["x", "y"]].to_numpy()).all()
    path = table[table["incumbent_step"] >= 0].sort_values("incumbent_step")
    assert path["value"].is_monotonic_decreasing and path["number"].is_monotonic_increasing
    assert path["number"].iloc[-1] == study.best_trial.number
    assert sum(table.attrs["explained"]) <= 1.0 + 1e-9
    again = footprint(study)
    pd.testing.assert_frame_equal(table, again)
    assert again.attrs["cache_key"] == table.attrs["cache_key"]
    figure = plot_footprint(table)
    assert {"complete", "failed", "running", "pending", "incumbent path", "best"} == {
        t.name for t in figure.data}


# ---------------------------------------------------------------------- Pareto front
def _mo_study(points: list[tuple[float, ...]], directions: tuple[str, ...] = (
        "minimize", "minimize"), measured: list[float] | None = None) -> hp.Study:
    names = ["a", "b", "c"][:len(directions)]
    space = hp.Space({"i": hp.Int(0, 99)})
    study = hp.create_study(space=space, storage="memory", seed=0,
                            objectives=dict(zip(names, directions, strict=True)),
                            constraints={"g": 0.0} if measured else None)
    for i in range(len(points)):
        study.enqueue({"i": i})

    def objective(c: dict[str, Any]) -> Any:
        values = dict(zip(names, points[c["i"]], strict=True))
        return hp.Result(values=values, constraints={"g": measured[c["i"]]}) if measured \
            else values

    study.optimize(objective, n_trials=len(points), show_progress=False)
    return study


def test_pareto_front_by_hand_matches_best_trials() -> None:
    points = [(1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (5.0, 1.0), (0.5, 9.0), (2.0, 2.0)]
    study = _mo_study(points, measured=[0, 0, 0, 0, 1, 0])
    table = pareto_front(study)
    assert table["front"].tolist() == [True, True, False, True, False, True]
    assert table["rank"].tolist() == [0, 0, 1, 0, -1, 0]
    assert sorted(table.loc[table["front"], "number"]) == sorted(
        t.number for t in study.best_trials)
    assert table["objective.a"].tolist() == [p[0] for p in points]
    figure = plot_pareto_front(table)
    assert {t.name for t in figure.data} == {"trials", "infeasible", "Pareto front"}
    assert "4 of 6" in figure.layout.title.text


def test_pareto_front_in_three_dimensions_and_wrong_counts(
        built: Callable[[str], hp.Study]) -> None:
    points = [(1.0, 3.0, 1.0), (3.0, 1.0, 1.0), (2.0, 2.0, 2.0), (3.0, 3.0, 0.0)]
    study = _mo_study(points, ("minimize", "minimize", "maximize"))
    table = pareto_front(study)
    assert table["front"].tolist() == [True, True, True, False]  # c is maximized
    minimized = pareto_front(_mo_study(points, ("minimize",) * 3))
    assert minimized["front"].all()
    assert plot_pareto_front(table).data[0].type == "scatter3d"
    two = pareto_front(study, objectives=["a", "c"])
    assert two.columns[1:3].tolist() == ["objective.a", "objective.c"]
    with pytest.raises(AnalysisError) as error:
        pareto_front(built("constant"))
    assert "needs 2 or 3 objectives, got 1" in _one_line(error)
    with pytest.raises(AnalysisError, match="unknown objective 'd'"):
        pareto_front(study, objectives=["a", "d"])


def test_hypervolume_history_by_hand() -> None:
    points = [(2.0, 2.0), (1.0, 3.0), (3.0, 3.0), (0.0, 0.5)]
    study = _mo_study(points, ("minimize", "maximize"))
    # b is maximized: in minimization form the points are (a, -b), the reference (4, 0);
    # (1, -3) covers (2, -2)'s box, (3, -3) adds nothing, (0, -0.5) adds 0.5 x 1
    table = hypervolume_history(study, reference={"a": 4.0, "b": 0.0})
    assert table["hypervolume"].tolist() == pytest.approx([4.0, 9.0, 9.0, 9.5])
    expected = hypervolume(np.array([[p[0], -p[1]] for p in points]), [4.0, 0.0])
    assert table["hypervolume"].iloc[-1] == pytest.approx(expected)
    assert table.attrs["reference"] == [4.0, 0.0]
    default = hypervolume_history(study)
    assert default["hypervolume"].is_monotonic_increasing
    assert "reference point" in plot_hypervolume_history(default).layout.annotations[0].text
    plot_hypervolume_history(default, x="time")
    with pytest.raises(AnalysisError) as error:
        hypervolume_history(study, reference=[1.0])
    assert "one value per objective" in _one_line(error)


def test_hypervolume_history_of_three_objectives_at_checkpoints(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    points = [tuple(float(v) for v in row) for row in rng.random((40, 3))]
    study = _mo_study(points, ("minimize", "minimize", "minimize"))
    full = hypervolume_history(study)
    monkeypatch.setattr(_front, "TRACE_POINTS", 10)
    sparse = hypervolume_history(study)
    assert len(sparse) == 10 and sparse["number"].iloc[-1] == 39
    by_number = dict(zip(full["number"], full["hypervolume"], strict=True))
    assert sparse["hypervolume"].tolist() == pytest.approx(
        [by_number[n] for n in sparse["number"]])


def test_hypervolume_history_without_feasible_trials() -> None:
    study = _mo_study([(1.0, 1.0), (2.0, 0.5)], measured=[1.0, 2.0])
    table = hypervolume_history(study)
    assert table["hypervolume"].tolist() == [0.0, 0.0] and "no complete trial" in table.attrs[
        "note"]


# ---------------------------------------------------------------------- parallel coordinates
def _importance_study(n: int) -> hp.Study:
    space = hp.Space({"weak": hp.Float(0.0, 1.0), "strong": hp.Float(1e-3, 1.0, log=True),
                      "kind": hp.Categorical(["p", "q", "r"]),
                      "child": hp.Int(1, 4, active_if={"kind": "p"})})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=7)
    study.optimize(lambda c: 10 * math.log10(c["strong"]) + 0.1 * c["weak"],
                   n_trials=n, show_progress=False)
    return study


def test_parallel_coordinates_ordered_by_importance(monkeypatch: pytest.MonkeyPatch) -> None:
    study = _importance_study(60)
    table = parallel_coordinates(study)
    assert table.attrs["ordered_by"] == "importance" and table.attrs["order"][0] == "strong"
    assert table["config.child"].isna().any() and table["unit.child"].isna().any()
    figure = plot_parallel_coordinates(table)
    dims = figure.data[0].dimensions
    assert [d.label for d in dims][:2] == ["value", "strong"]
    kind = next(d for d in dims if d.label == "kind")
    assert list(kind.ticktext) == ["p", "q", "r"]
    child = next(d for d in dims if d.label == "child")
    assert child.ticktext[0] == "inactive" and min(child.values) == _parallel.INACTIVE_TICK
    monkeypatch.setattr(_parallel, "MAX_LINES", 20)
    thinned = plot_parallel_coordinates(table)
    assert len(thinned.data[0].dimensions[0].values) <= 20
    assert "showing" in thinned.layout.annotations[-1].text


def test_parallel_coordinates_keep_the_given_order_with_few_trials() -> None:
    table = parallel_coordinates(_importance_study(6))
    assert table.attrs["ordered_by"] == "given"
    assert table.attrs["order"] == ["weak", "strong", "kind", "child"]
    assert parallel_coordinates(_importance_study(60), order="given").attrs["order"] == [
        "weak", "strong", "kind", "child"]
    with pytest.raises(AnalysisError) as error:
        parallel_coordinates(_importance_study(6), hyperparameters=["strong", "nope"])
    assert "unknown hyperparameter 'nope'" in _one_line(error)


# ---------------------------------------------------------------------- slices and contour
def test_slices_one_panel_per_hyperparameter() -> None:
    study = _importance_study(30)
    table = slices(study)
    counts = table.groupby("hyperparameter").size().to_dict()
    assert counts["strong"] == 30 and counts["child"] < 30  # only where it is active
    assert table.attrs["log"] == ["strong"]
    figure = plot_slices(table)
    assert figure.layout.xaxis2.type == "log" and figure.layout.xaxis3.type == "category"
    assert len(figure.data) == 4


def test_contour_follows_the_function_and_checks_names() -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0),
                      "z": hp.Categorical(["a", "b"])})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=3)
    study.optimize(lambda c: c["x"] + 2 * c["y"], n_trials=80, show_progress=False)
    table = contour(study, "x", "y", resolution=5)
    grid = table[table["kind"] == "grid"]
    assert len(grid) == 25 and (table["kind"] == "trial").sum() == 80
    low = grid[(grid["x_unit"] == 0.0) & (grid["y_unit"] == 0.0)]["value"].item()
    high = grid[(grid["x_unit"] == 1.0) & (grid["y_unit"] == 1.0)]["value"].item()
    assert low < 1.0 < 2.0 < high
    average = contour(study, "x", "z", others="average", resolution=4)
    assert (average["kind"] == "grid").sum() == 8
    assert plot_contour(table).data[0].type == "contour"
    assert plot_contour(average).data[0].type == "heatmap"
    assert plot_contour(study, "x", "y", resolution=3).data[0].z.shape == (3, 3)
    with pytest.raises(AnalysisError) as error:
        contour(study, "x", "w")
    assert "unknown hyperparameter 'w'" in _one_line(error)
    with pytest.raises(AnalysisError, match="two different"):
        contour(study, "x", "x")
    few = hp.create_study(space=space, storage="memory", seed=0)
    few.optimize(lambda c: c["x"], n_trials=4, show_progress=False)
    with pytest.raises(TooFewTrialsError):
        contour(few, "x", "y")


# ---------------------------------------------------------------------- comparison
def test_compare_studies_median_and_quartiles_by_hand() -> None:
    seeds = [_study([4.0, 2.0, 3.0]), _study([1.0, 5.0]), _study([math.nan, 3.0, 0.0])]
    table = compare_studies({"opt": seeds, "other": _study([2.0])})
    opt = table[table["group"] == "opt"]
    # best so far: [4, 2, 2], [1, 1], [nan, 3, 0]
    assert opt["median"].tolist() == pytest.approx([2.5, 2.0, 1.0])
    assert opt["n_studies"].tolist() == [2, 3, 2]
    assert opt["best"].tolist() == [1.0, 1.0, 0.0] and opt["worst"].tolist() == [4.0, 3.0, 2.0]
    assert opt["q25"].tolist() == pytest.approx([1.75, 1.5, 0.5])
    figure = plot_compare_studies(table)
    assert [t.name for t in figure.data if t.showlegend is not False] == [
        "opt (median of 3)", "other (median of 1)"]
    by_name = compare_studies(seeds)  # equal names would group; these differ
    assert by_name["group"].nunique() == 3


def test_compare_studies_refuses_what_does_not_compare(
        built: Callable[[str], hp.Study]) -> None:
    with pytest.raises(AnalysisError) as error:
        compare_studies([_study([1.0]), _study([1.0], direction="maximize")])
    assert "minimized in some studies and maximized in others" in _one_line(error)
    with pytest.raises(AnalysisError, match="2 objectives"):
        compare_studies([built("two-objective-one")])
    with pytest.raises(AnalysisError, match="one objective's name"):
        compare_studies([_study([1.0])], objective={"value": 1.0})  # type: ignore[arg-type]


def test_compare_importances_side_by_side() -> None:
    studies = {"a": [_importance_study(40), _importance_study(30)], "b": _importance_study(5)}
    table = compare_importances(studies)
    assert table["group"].unique().tolist() == ["a"]  # b has too few trials
    assert table["study"].nunique() == 2
    assert "b /" in table.attrs["notes"][0]
    top = table.groupby("hyperparameter")["importance"].mean().idxmax()
    assert top == "strong"
    figure = plot_compare_importances(table)
    assert figure.data[0].x[0] == "strong" and figure.data[0].error_y.array is not None


# ---------------------------------------------------------------------- every kind of study
def test_every_view_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    objective = arguments.get("objective")
    names = study.space.names
    tables = {
        "history": history(study, objective=objective),
        "footprint": footprint(study, **arguments),
        "parallel": parallel_coordinates(study, **arguments),
        "slices": slices(study, **arguments),
        "contour": contour(study, names[0], names[-1], **arguments),
        "timeline": timeline(study),
        "budget": budget_correlation(study, **arguments),
        "edf": edf(study, objective=objective),
    }
    for name, table in tables.items():
        assert "cache_key" in table.attrs, name
    for plot, table in ((plot_history, tables["history"]), (plot_footprint, tables["footprint"]),
                        (plot_parallel_coordinates, tables["parallel"]),
                        (plot_slices, tables["slices"]), (plot_contour, tables["contour"]),
                        (plot_timeline, tables["timeline"]),
                        (plot_budget_correlation, tables["budget"]), (plot_edf, tables["edf"])):
        assert plot(table).data is not None
    complete = sum(t.state == TrialState.COMPLETE for t in study.get_trials())
    assert tables["footprint"]["value"].notna().sum() == complete
    assert tables["slices"]["number"].nunique() == complete
    if len(study.objectives) == 2:
        plot_pareto_front(pareto_front(study))
        plot_hypervolume_history(hypervolume_history(study))


def test_results_are_deterministic_and_keys_follow_the_study() -> None:
    study = _importance_study(30)
    first = parallel_coordinates(study)
    second = parallel_coordinates(study)
    pd.testing.assert_frame_equal(first, second)
    assert first.attrs["cache_key"] == second.attrs["cache_key"]
    assert contour(study, "weak", "strong").attrs["cache_key"] == contour(
        study, "weak", "strong").attrs["cache_key"]
    keys = [f(study).attrs["cache_key"] for f in (history, footprint, slices)]
    study.optimize(lambda c: c["weak"], n_trials=1, show_progress=False)
    assert all(f(study).attrs["cache_key"] != k
               for f, k in zip((history, footprint, slices), keys, strict=True))
