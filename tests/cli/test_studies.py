"""``hyperpilot studies list|show|export|delete`` on a storage filled by ``run``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp


def _rows(table_text: str) -> list[list[str]]:
    """Split a plain-text table into rows of cells (header first, rule line dropped)."""
    lines = [line for line in table_text.splitlines() if line.strip()]
    return [line.split() for line in lines if not set(line.replace(" ", "")) <= {"-"}]


def test_list_shows_every_study(cli: Any, filled: str) -> None:
    result = cli("studies", "list", "--storage", filled)
    assert result.code == 0, result.err
    rows = _rows(result.out)
    assert rows[0] == ["name", "created", "complete", "failed", "pruned", "running", "pending",
                       "best", "optimizer"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"quad", "mo"}
    # created is "YYYY-MM-DD HH:MM": two cells after splitting on spaces
    assert by_name["quad"][3:8] == ["6", "0", "0", "0", "0"]
    best = hp.load_study("quad", filled).best_trial.value
    assert by_name["quad"][8:] == [f"{best:.6g}", "(min)", "sobol"]
    assert by_name["mo"][3] == "4"
    assert by_name["mo"][8:11] == ["front", "of", str(len(hp.load_study("mo", filled).best_trials))]


def test_show_describes_the_study(cli: Any, filled: str) -> None:
    result = cli("studies", "show", "quad", "--storage", filled, "--top", "3")
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith(f"study 'quad' in {filled}\n")
    assert "objectives   value (minimize)\n" in out
    assert "trials       6 (6 complete, 0 failed)\n" in out
    assert "space        3 hyperparameters\n" in out
    assert "  x     float       [-5, 5]\n" in out
    assert "  n     int         [1, 4]  active if kind = b\n" in out
    study = hp.load_study("quad", filled)
    best = study.best_trial
    assert f"best value: {best.value:.6g} (trial {best.number}, minimize)" in out
    top = out[out.index("top 3 of 6 complete trials (by value):"):].splitlines()[1:]
    rows = _rows("\n".join(top))
    assert rows[0][:2] == ["trial", "value"] and rows[0][-1] == "seconds"
    values = sorted(t.value for t in study.trials if t.value is not None)[:3]
    assert [float(row[1]) for row in rows[1:]] == pytest.approx(values, rel=1e-5)


def test_show_a_multi_fidelity_study_ranks_the_highest_budget_first(
        cli: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mf.db'}"
    study = hp.create_study(space={"x": hp.Float(0.0, 1.0)}, optimizer="hyperband", seed=0,
                            storage=url, name="mf", fidelity=hp.Fidelity("epochs", 1, 9))
    study.optimize(lambda c, budget: c["x"] + 1.0 / budget, n_trials=13, show_progress=False)
    low = study.ask()
    study.tell(low, -5.0)  # best value, lowest budget
    result = cli("studies", "show", "mf", "--storage", url, "--top", "2")
    assert result.code == 0, result.err
    assert "fidelity     epochs in [1, 9]\n" in result.out
    best = study.best_trial
    assert best.budget == 9 and f"(trial {best.number}, epochs 9, minimize)" in result.out
    top = result.out[result.out.index("top 2 of 14 complete trials"):].splitlines()[1:]
    assert int(_rows("\n".join(top))[1][0]) == best.number


def test_show_multi_objective_with_constraint(cli: Any, filled: str) -> None:
    result = cli("studies", "show", "mo", "--storage", filled)
    assert result.code == 0, result.err
    assert "objectives   loss (minimize), cost (minimize)\n" in result.out
    assert "constraints  mem <= 0.8\n" in result.out
    front = hp.load_study("mo", filled).best_trials
    assert f"Pareto front: {len(front)} trial" in result.out
    assert "(feasible first, then by loss):" in result.out
    header = next(line for line in result.out.splitlines() if line.startswith("trial "))
    assert header.split() == ["trial", "loss", "cost", "mem", "x", "pareto", "seconds"]


def test_export_csv_to_stdout(cli: Any, filled: str) -> None:
    result = cli("studies", "export", "quad", "--storage", filled, "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len(rows) == 6
    assert {"number", "state", "objective.value", "config.x", "config.kind", "config.n",
            "duration"} <= set(rows[0])
    trials = hp.load_study("quad", filled).trials
    for row, trial in zip(rows, trials, strict=True):
        assert int(row["number"]) == trial.number
        assert row["state"] == "complete"
        assert float(row["objective.value"]) == pytest.approx(trial.value)
        assert float(row["config.x"]) == pytest.approx(trial.config["x"])


def test_export_json_to_file(cli: Any, filled: str, tmp_path: Path) -> None:
    target = tmp_path / "mo.json"
    result = cli("studies", "export", "mo", "--storage", filled, "--format", "json",
                 "--output", target)
    assert result.code == 0, result.err
    assert result.out == ""
    assert result.err == f"wrote 4 trials of study 'mo' to {target} (json)\n"
    document = json.loads(target.read_text())
    assert document["study"]["name"] == "mo"
    spec = document["study"]["spec"]
    assert spec["objectives"] == [{"name": "loss", "direction": "minimize"},
                                  {"name": "cost", "direction": "minimize"}]
    assert hp.Space.from_json(spec["space"]) == hp.load_study("mo", filled).space
    trials = document["trials"]
    assert len(trials) == 4
    assert set(trials[0]) >= {"id", "number", "state", "config", "values", "constraints",
                              "error", "worker", "started_at", "finished_at", "duration", "meta"}
    assert all(t["state"] == "complete" and set(t["values"]) == {"loss", "cost"}
               for t in trials)
    assert trials[0]["constraints"] == {"mem": trials[0]["config"]["x"]}


def test_delete_needs_yes_then_removes(cli: Any, quad: Path, storage: str) -> None:
    assert cli("run", quad, "--trials", "2", "--storage", storage, "--no-progress").code == 0
    refused = cli("studies", "delete", "quad", "--storage", storage)
    assert refused.code == 2
    assert refused.err == "hyperpilot: error: refusing to delete study 'quad' without --yes\n"
    done = cli("studies", "delete", "quad", "--storage", storage, "--yes")
    assert done.code == 0, done.err
    assert done.out == f"deleted study 'quad' and its 2 trials from {storage}\n"
    assert cli("studies", "list", "--storage", storage).out == f"no studies in {storage}\n"


def test_a_study_whose_optimizer_cannot_be_rebuilt_is_shown_and_refuses_to_run(
        cli: Any, storage: str, tmp_path: Path, write: Any) -> None:
    from hyperpilot.optimizers.bo import RandomForest

    class LabForest(RandomForest):  # only this test can build it
        pass

    space = hp.Space({"x": hp.Float(0.0, 1.0)})
    study = hp.create_study(space=space, storage=storage, name="lab", seed=1,
                            optimizer=hp.BayesianOptimizer(surrogate=LabForest(n_trees=3)))
    study.optimize(lambda c: c["x"], n_trials=6, show_progress=False)
    shown = cli("studies", "show", "lab", "--storage", storage)
    assert shown.code == 0, shown.err
    assert "LabForest" in shown.out and "6 complete" in shown.out
    target = write(tmp_path / "lab.py", """
        import hyperpilot as hp
        space = hp.Space({"x": hp.Float(0.0, 1.0)})
        def objective(config):
            return config["x"]
    """)
    refused = cli("run", target, "--name", "lab", "--trials", "8", "--storage", storage)
    assert refused.code != 0
    assert "study 'lab': its stored optimizer cannot be rebuilt here" in refused.err
    assert "--optimizer on the command line" in refused.err
    resumed = cli("run", target, "--name", "lab", "--trials", "8", "--storage", storage,
                  "--optimizer", "random", "--no-progress")
    assert resumed.code == 0, resumed.err
    assert ("hyperpilot: study 'lab' continues with optimizer random instead of the "
            "stored bo") in resumed.err
    assert len(hp.load_study("lab", storage).trials) == 8


FLAKY = '''
import hyperpilot as hp

space = {"kernel": hp.Categorical(["rbf", "linear"]), "x": hp.Float(0.0, 1.0),
         "gamma": hp.Float(0.001, 1.0, log=True, active_if={"kernel": "rbf"})}
optimizer = "random"
seed = 0


def objective(config):
    if config["x"] > 0.8:
        raise MemoryError("CUDA out of memory")
    return config["x"] + config["gamma"]
'''


def test_show_lists_failure_reasons_grouped_by_error(cli: Any, write: Any, tmp_path: Path,
                                                     storage: str) -> None:
    # Before, `studies show` gave only a count of failures.
    target = write(tmp_path / "flaky.py", FLAKY)
    assert cli("run", target, "--trials", "20", "--storage", storage, "--no-progress").code == 0
    trials = hp.load_study("flaky", storage).trials
    gamma = [t.number for t in trials if t.error and t.error.startswith("KeyError")]
    memory = [t.number for t in trials if t.error and t.error.startswith("MemoryError")]
    assert gamma and memory
    out = cli("studies", "show", "flaky", "--storage", storage).out
    groups = sorted([(len(gamma), "KeyError: 'gamma'", gamma),
                     (len(memory), "MemoryError: CUDA out of memory", memory)],
                    key=lambda g: (-g[0], g[2][0]))
    start = out.splitlines().index(
        f"failures: {len(gamma) + len(memory)} trials, 2 distinct errors")
    for line, (count, error, numbers) in zip(out.splitlines()[start + 1:], groups,
                                             strict=False):
        shown = ", ".join(map(str, numbers[:8]))
        if len(numbers) > 8:
            shown += f", ... ({len(numbers)} in all)"
        assert line == f"  {count:>4}x  {error}  (trials {shown})"


def test_show_one_trial_with_its_traceback(cli: Any, write: Any, tmp_path: Path,
                                           storage: str) -> None:
    target = write(tmp_path / "flaky.py", FLAKY)
    assert cli("run", target, "--trials", "12", "--storage", storage, "--no-progress").code == 0
    failed = next(t for t in hp.load_study("flaky", storage).trials if t.error)
    result = cli("studies", "show", "flaky", "--storage", storage, "--trial", failed.number)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"trial {failed.number} of study 'flaky': failed"
    assert "error:" in lines
    assert 'flaky.py", line' in result.out and "in objective" in result.out
    missing = cli("studies", "show", "flaky", "--storage", storage, "--trial", "99")
    assert missing.code == 2
    assert missing.err == ("hyperpilot: error: study 'flaky' has no trial 99 (its trials are "
                           "numbered 0 to 11)\n")


def test_show_one_trial_says_why_it_was_chosen(cli: Any, storage: str) -> None:
    study = hp.create_study(space={"x": hp.Float(0.0, 1.0, prior=0.2),
                                   "k": hp.Categorical(["a", "b"])},
                            storage=storage, name="why", seed=0)
    study.optimize(lambda c: c["x"], n_trials=8, show_progress=False)
    study.freeze("k", "a")
    study.optimize(lambda c: c["x"], n_trials=1, show_progress=False)
    study.enqueue({"x": 0.3})
    study.optimize(lambda c: c["x"], n_trials=1, show_progress=False)

    def why(number: int) -> list[str]:
        out = cli("studies", "show", "why", "--storage", storage, "--trial", number).out
        lines = out.splitlines()
        return lines[lines.index("why this configuration:") + 1:]

    assert why(0) == ["  initial design: the prior's mode (every prior at its value)"]
    assert why(2) == ["  initial design: a uniform point"]
    model = why(8)
    assert model[0].startswith("  model step ") and "acquisition value" in model[0]
    assert model[-1] == '  in force: frozen {"k": "a"}'
    assert why(9) == ["  queued by hand; x given, the rest from the optimizer"]


def test_show_lists_the_steering_in_force(cli: Any, storage: str) -> None:
    study = hp.create_study(space={"x": hp.Float(0.0, 1.0), "k": hp.Categorical(["a", "b"])},
                            storage=storage, name="steered", seed=0, optimizer="random")
    study.optimize(lambda c: c["x"], n_trials=4, show_progress=False)
    study.set_prior("x", 0.2, "high")
    study.freeze("k", "b")
    study.exclude(1)
    study.pause()
    lines = cli("studies", "show", "steered", "--storage", storage).out.splitlines()
    start = lines.index("steering     paused; 4 events (hyperpilot steer steered events)")
    assert lines[start + 1:start + 4] == ["  prior x = 0.2 (high, since trial 4)",
                                          "  frozen k = b", "  excluded trials 1"]
