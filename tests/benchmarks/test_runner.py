"""The benchmark harness: adapters, the results file, and the resumable parallel runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from hyperpilot.benchmarks._adapters import TEST_SEEDS, HyperpilotAdapter
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.benchmarks._records import ResultsFileError, ResultsWriter, read_records
from hyperpilot.benchmarks._runner import (
    CRASH_MESSAGE,
    make_adapter,
    optimizer_names,
    run_benchmark,
)
from hyperpilot.benchmarks._smac import SmacAdapter
from hyperpilot.benchmarks._toy import (
    Budgeted,
    Conditional,
    Crashing,
    Quadratic,
    ThreadCount,
    TwoObjective,
)
from hyperpilot.exceptions import OptimizerError


def _runs(path: Path) -> list[dict[str, Any]]:
    return [r for r in read_records(path) if r["kind"] == "run"]


# ---------------------------------------------------------------------- adapters
def test_adapter_records_every_trial_in_order() -> None:
    record = HyperpilotAdapter("random").run(Quadratic(), n_trials=8, seed=1)
    assert record.status == "ok" and record.error is None
    losses = record.values["loss"]
    assert len(losses) == len(record.overhead) == len(record.eval_seconds) == 8
    running = [min(losses[: i + 1]) for i in range(8)]
    assert record.best["loss"] == running
    assert all(t >= 0 for t in record.overhead + record.eval_seconds)
    assert record.wall_seconds >= sum(record.overhead) + sum(record.eval_seconds)
    assert record.incumbent is not None
    assert record.incumbent["values"]["loss"] == min(losses)
    assert Quadratic().evaluate(record.incumbent["config"])["loss"] == min(losses)
    assert record.budgets is None and record.test is None  # synthetic: no test split
    line = record.to_json()
    assert line["kind"] == "run" and line["versions"]["python"]
    json.dumps(line)


def test_adapter_is_reproducible_per_seed() -> None:
    def losses(seed: int) -> list[Any]:
        return HyperpilotAdapter("sobol").run(Quadratic(), n_trials=5, seed=seed).values["loss"]

    assert losses(3) == losses(3)
    assert losses(3) != losses(4)


def test_incumbent_is_scored_on_test_seeds() -> None:
    record = HyperpilotAdapter("random").run(Conditional(), n_trials=10, seed=0)
    assert record.status == "ok"
    assert record.incumbent is not None
    config = record.incumbent["config"]
    assert ("n" in config) == (config["kind"] == "b")  # the condition held
    assert record.incumbent["values"]["score"] == max(record.values["score"])  # maximized
    assert record.test is not None
    assert record.test["seeds"] == list(TEST_SEEDS)
    assert record.tuning_seed not in record.test["seeds"]
    expected = [Conditional().test(config, seed=s)["score"] for s in TEST_SEEDS]
    assert record.test["values"]["score"] == pytest.approx(sum(expected) / 3)


def test_multi_fidelity_problem_runs_at_full_budget() -> None:
    record = HyperpilotAdapter("random").run(Budgeted(), n_trials=4, seed=0)
    assert record.budgets == [9.0] * 4
    assert record.incumbent is not None
    best = Quadratic().evaluate(record.incumbent["config"])["loss"]  # no low-budget offset
    assert record.incumbent["values"]["loss"] == pytest.approx(best)


def test_raising_problem_fails_the_run_and_keeps_earlier_trials() -> None:
    record = HyperpilotAdapter("random").run(Crashing(after=3), n_trials=10, seed=0)
    assert record.status == "failed"
    assert record.error == "RuntimeError: toy-crashing: evaluation 4 crashed on purpose"
    assert record.traceback is not None and "Traceback" in record.traceback
    assert len(record.values["loss"]) == 3


def test_unsupported_is_recorded_not_run() -> None:
    record = SmacAdapter("hpo").run(TwoObjective(), n_trials=5, seed=0)
    assert record.status == "unsupported"
    assert "2 objectives" in (record.error or "")
    assert record.values == {"f1": [], "f2": []}


def test_missing_peer_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "smac", None)  # import smac -> ImportError
    record = SmacAdapter("bb").run(Quadratic(), n_trials=3, seed=0)
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith("MissingDependencyError: smac-bb needs SMAC3")
    assert "pip install 'hyperpilot[bench]'" in record.error


def test_optimizer_names() -> None:
    names = optimizer_names()
    assert {"random", "sobol", "optuna-tpe", "optuna-gp", "optuna-cmaes", "optuna-random",
            "smac-hpo", "smac-bb"} <= set(names)
    assert make_adapter("optuna-tpe").name == "optuna-tpe"
    with pytest.raises(OptimizerError, match=r"unknown optimizer 'tpe'; known: .*optuna-tpe"):
        make_adapter("tpe")


def test_invalid_arguments(tmp_path: Path) -> None:
    adapter = HyperpilotAdapter("random")
    with pytest.raises(ValueError, match="n_trials"):
        adapter.run(Quadratic(), n_trials=0, seed=0)
    with pytest.raises(ValueError, match="seed must lie"):
        adapter.run(Quadratic(), n_trials=1, seed=1_000_000)
    with pytest.raises(OptimizerError, match="unknown optimizer 'nope'"):
        run_benchmark([Quadratic()], ["nope"], n_trials=1, seeds=[0], out=tmp_path / "r")
    with pytest.raises(ValueError, match="unique"):
        run_benchmark([Quadratic(), Quadratic()], ["random"], n_trials=1, seeds=[0],
                      out=tmp_path / "r")


# ---------------------------------------------------------------------- results file
def test_results_file_round_trip_and_partial_tail(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = ResultsWriter(path)
    writer.append({"kind": "reference", "problem": "p", "family": "toy", "n_samples": 2,
                   "values": {"loss": [1.0, float("nan")]}})
    with path.open("a") as handle:  # a kill in the middle of the next write
        handle.write('{"kind": "run", "problem"')
    records = read_records(path)
    assert len(records) == 1 and records[0]["values"]["loss"] == [1.0, None]
    ResultsWriter(path).append({"kind": "reference", "problem": "q", "family": "toy",
                                "n_samples": 1, "values": {}})
    assert [r["problem"] for r in read_records(path)] == ["p", "q"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"kind": "run"}\nnot json\n', "line 1: run record lacks problem"),
    ('\n{"kind": "reference", "problem": "p", "family": "f", "n_samples": 1, "values": {}}\n'
     '{"kind": "run",\n', "line 3: not valid JSON"),
    ('[1, 2]\n', "line 1: not a benchmark record"),
])
def test_malformed_results_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(ResultsFileError, match=message):
        read_records(path)


# ---------------------------------------------------------------------- the runner
@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """Two toy problems and a raising one, random and sobol, two seeds (one worker)."""
    path = tmp_path_factory.mktemp("bench") / "results.jsonl"
    problems: list[Problem] = [Quadratic(), Conditional(), Crashing("toy-raise", after=2)]
    summary = run_benchmark(problems, ["random", "sobol"], n_trials=6, seeds=[0, 1],
                            out=path, reference_samples=10, progress=False)
    return path, summary


def test_runner_writes_one_record_per_run(benchmark: tuple[Path, Any]) -> None:
    path, summary = benchmark
    records = read_records(path)
    references = [r for r in records if r["kind"] == "reference"]
    runs = [r for r in records if r["kind"] == "run"]
    assert sorted(r["problem"] for r in references) == ["toy-conditional", "toy-quadratic",
                                                        "toy-raise"]
    assert len(runs) == 3 * 2 * 2
    assert {(r["problem"], r["optimizer"], r["seed"]) for r in runs} == {
        (p, o, s) for p in ("toy-quadratic", "toy-conditional", "toy-raise")
        for o in ("random", "sobol") for s in (0, 1)}
    ok = [r for r in runs if r["status"] == "ok"]
    assert len(ok) == 8 and all(len(r["values"][r["objectives"][0]["name"]]) == 6 for r in ok)
    failed = [r for r in runs if r["status"] == "failed"]
    assert {r["problem"] for r in failed} == {"toy-raise"}
    assert all("crashed on purpose" in r["error"] for r in failed)
    assert summary.ok == 8 and summary.failed == 4 and summary.references == 3
    assert summary.skipped == 0 and summary.planned == 15


def test_rerun_resumes_and_runs_nothing(benchmark: tuple[Path, Any]) -> None:
    path, _ = benchmark
    before = path.read_bytes()
    summary = run_benchmark([Quadratic(), Conditional(), Crashing("toy-raise", after=2)],
                            ["random", "sobol"], n_trials=6, seeds=[0, 1], out=path,
                            reference_samples=10, progress=False)
    assert summary.skipped == summary.planned == 15
    assert summary.ok + summary.failed + summary.references == 0
    assert path.read_bytes() == before


def test_retry_failed_runs_only_the_failed(benchmark: tuple[Path, Any]) -> None:
    path, _ = benchmark
    count = len(read_records(path))
    summary = run_benchmark([Quadratic(), Crashing("toy-raise", after=2)], ["random"],
                            n_trials=6, seeds=[0], out=path, reference_samples=10,
                            retry_failed=True, progress=False)
    # toy-raise's run and its reference sample (which failed too) run again
    assert (summary.failed, summary.ok, summary.references, summary.skipped) == (1, 0, 1, 2)
    assert len(read_records(path)) == count + 2


def test_variants_run_under_their_labels_and_store_their_settings(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    lcb = {"name": "bo", "acquisition": {"name": "LCB", "beta": 2.0}, "n_initial": 3}
    summary = run_benchmark([Quadratic()], ["sobol", "bo-lcb"], n_trials=6, seeds=[0],
                            out=path, reference_samples=0, progress=False,
                            variants={"bo-lcb": lcb})
    assert summary.ok == 2
    runs = {r["optimizer"]: r for r in _runs(path)}
    assert runs["sobol"]["optimizer_config"] == {"name": "sobol", "from_prior": False,
                                                 "seed": None}
    config = runs["bo-lcb"]["optimizer_config"]
    assert config["acquisition"] == {"name": "LCB", "beta": 2.0} and config["n_initial"] == 3
    # the variant is the optimizer it describes: the same proposals, seed for seed
    direct = HyperpilotAdapter(lcb).run(Quadratic(), n_trials=6, seed=0)
    assert runs["bo-lcb"]["values"] == direct.values
    again = run_benchmark([Quadratic()], ["bo-lcb"], n_trials=6, seeds=[0], out=path,
                          reference_samples=0, progress=False, variants={"bo-lcb": lcb})
    assert again.skipped == 1
    with pytest.raises(ValueError, match="the results file holds runs of 'bo-lcb' with "
                                         "other settings"):
        run_benchmark([Quadratic()], ["bo-lcb"], n_trials=6, seeds=[0], out=path,
                      reference_samples=0, progress=False,
                      variants={"bo-lcb": {**lcb, "n_initial": 4}})


@pytest.mark.parametrize(("variants", "optimizers", "error", "message"), [
    ({"random": {"name": "bo"}}, ["random"], ValueError,
     "variant label 'random' must be a new name"),
    ({"bo-x": {"name": "bo", "acquisition": "lcbb"}}, ["bo-x"], OptimizerError,
     "variant 'bo-x': bo: unknown acquisition 'lcbb'"),
    ({"bo-x": {"name": "optuna-tpe"}}, ["bo-x"], OptimizerError,
     "variant 'bo-x': unknown optimizer 'optuna-tpe'"),
    ({"bo-x": {"name": "bo"}}, ["bo"], ValueError,
     "variant 'bo-x' is defined but not among the optimizers"),
])
def test_invalid_variants(tmp_path: Path, variants: dict[str, Any], optimizers: list[str],
                          error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        run_benchmark([Quadratic()], optimizers, n_trials=4, seeds=[0],
                      out=tmp_path / "r.jsonl", progress=False, variants=variants)
    assert not (tmp_path / "r.jsonl").exists()


def test_parallel_jobs_survive_a_crashing_worker(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    problems: list[Problem] = [Quadratic(), Crashing(mode="exit", after=2),
                               Quadratic("toy-quadratic-2", offset=1.0)]
    summary = run_benchmark(problems, ["random"], n_trials=5, seeds=[0], out=path, jobs=2,
                            reference_samples=0, progress=False)
    runs = {r["problem"]: r for r in _runs(path)}
    assert set(runs) == {"toy-quadratic", "toy-crashing", "toy-quadratic-2"}
    assert runs["toy-crashing"]["status"] == "failed"
    assert runs["toy-crashing"]["error"] == CRASH_MESSAGE
    assert runs["toy-quadratic"]["status"] == runs["toy-quadratic-2"]["status"] == "ok"
    assert min(runs["toy-quadratic-2"]["values"]["loss"]) >= 1.0
    assert (summary.ok, summary.failed) == (2, 1)


def test_workers_are_limited_to_one_thread(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    run_benchmark([ThreadCount()], ["random"], n_trials=2, seeds=[0], out=path,
                  reference_samples=0, progress=False)
    (run,) = _runs(path)
    assert run["status"] == "ok", run["error"]
    assert run["values"]["loss"] == [1.0, 1.0]


@pytest.mark.slow
def test_ctrl_c_stops_the_runs_in_flight_at_once(tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    path = tmp_path / "results.jsonl"
    script = (
        "from hyperpilot.benchmarks._runner import run_benchmark\n"
        "from hyperpilot.benchmarks._toy import Quadratic, Slow\n"
        f"run_benchmark([Quadratic(), Slow(seconds=1.0)], ['random'], n_trials=30, "
        f"seeds=[0, 1], out={str(path)!r}, jobs=2, reference_samples=0, progress=False)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE,
                             text=True, preexec_fn=lambda: signal.signal(
                                 signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (path.exists() and path.read_text()):
        time.sleep(0.1)
    assert path.read_text(), "no run finished within a minute"
    time.sleep(1.0)  # the slow runs (30 s each) are in flight now
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert child.returncode != 0 and "KeyboardInterrupt" in err
    assert all(r["problem"] == "toy-quadratic" for r in _runs(path))
