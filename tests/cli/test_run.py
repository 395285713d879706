"""``hyperpilot run`` on Python and YAML files: results, resume, overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import hyperpilot as hp


def _finished(storage: str, name: str) -> list[hp.Trial]:
    return [t for t in hp.load_study(name, storage).trials if t.state.is_finished]


def test_python_file_runs_and_reports_best(cli: Any, quad: Path, storage: str) -> None:
    result = cli("run", quad, "--trials", "6", "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    assert f"study 'quad' created in {storage} (optimizer sobol, seed 3)" in result.out
    assert "study 'quad': 6 trials (6 complete, 0 failed)" in result.out
    study = hp.load_study("quad", storage)
    best = study.best_trial
    assert f"best value: {best.value:.6g} (trial {best.number}, minimize)" in result.out
    assert f"  x    = {best.config['x']:.6g}" in result.out
    assert result.out.rstrip().endswith(f"next: hyperpilot studies show quad --storage {storage}")
    assert study.record.spec["optimizer"]["name"] == "sobol"
    assert study.seed == 3


def test_yaml_file_with_file_reference(cli: Any, tmp_path: Path, storage: str, write: Any) -> None:
    write(tmp_path / "code" / "train.py", """
        def score(config):
            return {"acc": 1.0 - abs(config["lr"] - 0.01) - (0.1 if config["opt"] == "sgd" else 0)}
    """)
    target = write(tmp_path / "study.yaml", """
        name: yaml-study
        objective: code/train.py:score
        objectives: {acc: maximize}
        space:
          lr: {type: float, low: 1e-4, high: 1e-1, log: true, prior: 1e-2, confidence: high}
          opt: {type: categorical, choices: [adam, sgd]}
        optimizer: {name: random, prior_fraction: 1.0}
        trials: 4
        seed: 7
    """)
    result = cli("run", target, "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    assert "study 'yaml-study': 4 trials (4 complete, 0 failed)" in result.out
    assert "best acc: " in result.out and "maximize)" in result.out
    study = hp.load_study("yaml-study", storage)
    assert study.record.spec["optimizer"] == {"name": "random", "prior_fraction": 1.0,
                                              "seed": None}
    assert study.space["lr"] == hp.Float(1e-4, 1e-1, log=True, prior=1e-2, confidence="high")
    assert [o.direction for o in study.objectives] == ["maximize"]


def test_yaml_sets_the_parts_of_bo_and_a_rerun_continues(cli: Any, tmp_path: Path,
                                                          storage: str, write: Any) -> None:
    write(tmp_path / "f.py", "def f(config):\n    return (config['x'] - 0.3) ** 2\n")
    target = write(tmp_path / "parts.yaml", """
        objective: f.py:f
        space: {x: {type: float, low: 0, high: 1}}
        optimizer:
          name: bo
          surrogate: {name: GaussianProcess, noise: deterministic}
          acquisition: {name: LCB, beta: 2.0}
        trials: 7
        seed: 1
    """)
    for total in (7, 9):
        result = cli("run", target, "--trials", str(total), "--storage", storage,
                     "--no-progress")
        assert result.code == 0, result.err
    study = hp.load_study("parts", storage)
    optimizer = study.record.spec["optimizer"]
    assert optimizer["surrogate"]["noise"] == "deterministic"
    assert optimizer["acquisition"] == {"name": "LCB", "beta": 2.0}
    assert len(_finished(storage, "parts")) == 9
    assert study.trials[-1].meta["bo"]["kind"] == "model"


def test_yaml_module_reference_and_space_reference(cli: Any, tmp_path: Path,
                                                   storage: str, write: Any) -> None:
    write(tmp_path / "helpers_cli_mod.py", """
        import hyperpilot as hp
        space = hp.Space({"x": hp.Float(0.0, 1.0)})
        def objective(config):
            return config["x"]
    """)
    target = write(tmp_path / "s.yaml", """
        objective: helpers_cli_mod:objective
        space: helpers_cli_mod.py:space
        trials: 3
    """)
    result = cli("run", target, "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    assert len(_finished(storage, "s")) == 3


def test_python_file_imports_its_neighbours(cli: Any, tmp_path: Path, storage: str,
                                            write: Any) -> None:
    write(tmp_path / "neighbour_cli_helper.py", "def f(x):\n    return x * 2\n")
    target = write(tmp_path / "uses.py", """
        import hyperpilot as hp
        from neighbour_cli_helper import f
        space = hp.Space({"x": hp.Float(0.0, 1.0)})
        def objective(config):
            return f(config["x"])
    """)
    result = cli("run", target, "--trials", "2", "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    assert "study 'uses': 2 trials (2 complete, 0 failed)" in result.out


def test_rerun_resumes_and_tops_up(cli: Any, quad: Path, storage: str) -> None:
    first = cli("run", quad, "--trials", "5", "--storage", storage, "--no-progress")
    assert first.code == 0, first.err
    second = cli("run", quad, "--trials", "8", "--storage", storage, "--no-progress")
    assert second.code == 0, second.err
    assert f"resuming study 'quad' in {storage}: 5 of 8 trials finished" in second.out
    assert len(_finished(storage, "quad")) == 8
    third = cli("run", quad, "--trials", "8", "--storage", storage, "--no-progress")
    assert "already holds 8 finished trials (target 8); nothing to run" in third.out
    assert len(_finished(storage, "quad")) == 8


def test_new_refuses_an_existing_study(cli: Any, quad: Path, storage: str) -> None:
    assert cli("run", quad, "--trials", "1", "--storage", storage, "--no-progress").code == 0
    result = cli("run", quad, "--trials", "2", "--storage", storage, "--new")
    assert result.code == 2
    assert result.err == (f"hyperpilot: error: study 'quad' already exists in {storage}; "
                          "drop --new to resume it, or choose another --name\n")


def test_flags_override_file_settings(cli: Any, quad: Path, storage: str) -> None:
    result = cli("run", quad, "--trials", "3", "--storage", storage, "--name", "other",
                 "--optimizer", "random", "--seed", "11", "--no-progress")
    assert result.code == 0, result.err
    study = hp.load_study("other", storage)
    assert study.record.spec["optimizer"]["name"] == "random"
    assert study.seed == 11
    again = cli("run", quad, "--trials", "4", "--storage", storage, "--name", "other",
                "--seed", "12", "--no-progress")
    assert "(optimizer sobol)" in again.out  # the file's setting, as no flag overrides it
    assert again.err == ("hyperpilot: study 'other' keeps its stored seed 11; "
                         "the seed 12 given applies to new studies only\n"
                         "hyperpilot: study 'other' continues with optimizer sobol "
                         "instead of the stored random; its trials so far came from the "
                         "stored settings\n")


def test_resume_keeps_the_stored_optimizer(cli: Any, tmp_path: Path, storage: str,
                                           write: Any) -> None:
    target = write(tmp_path / "plain.py", """
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config):
            return config["x"]
    """)
    first = cli("run", target, "--trials", "2", "--optimizer", "sobol", "--storage", storage,
                "--no-progress")
    assert "(optimizer sobol, seed" in first.out
    again = cli("run", target, "--trials", "3", "--storage", storage, "--no-progress")
    assert "2 of 3 trials finished (optimizer sobol)" in again.out


def test_default_is_fifty_trials_and_memory_is_announced(cli: Any, tmp_path: Path,
                                                         write: Any) -> None:
    target = write(tmp_path / "fast.py", """
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config):
            return config["x"]
    """)
    result = cli("run", target, "--storage", "memory", "--no-progress")
    assert result.code == 0, result.err
    assert "running 50 trials" in result.out
    assert "study 'fast': 50 trials (50 complete, 0 failed)" in result.out
    assert "kept in memory and is gone" in result.out


def test_multi_objective_prints_the_pareto_front(cli: Any, tmp_path: Path,
                                                 storage: str, write: Any) -> None:
    target = write(tmp_path / "mo.py", """
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        objectives = {"loss": "minimize", "cost": "minimize"}
        n_trials = 6
        def objective(config):
            return {"loss": config["x"], "cost": 1.0 - config["x"]}
    """)
    result = cli("run", target, "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    assert "Pareto front: 6 trials, first 5 by loss" in result.out
    lines = result.out.splitlines()
    start = lines.index("Pareto front: 6 trials, first 5 by loss")
    assert lines[start + 1].split() == ["trial", "loss", "cost", "x"]
    losses = [float(line.split()[1]) for line in lines[start + 3:start + 8]]
    assert losses == sorted(losses)


def test_failures_and_trial_timeout_are_reported(cli: Any, tmp_path: Path,
                                                 storage: str, write: Any) -> None:
    target = write(tmp_path / "flaky.py", """
        import time
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config, trial):
            if trial.number == 1:
                raise ValueError("bad luck")
            if trial.number == 2:
                time.sleep(5)
            return config["x"]
    """)
    result = cli("run", target, "--trials", "4", "--trial-timeout", "0.2", "--storage", storage,
                 "--no-progress")
    assert result.code == 0, result.err
    assert "study 'flaky': 4 trials (2 complete, 2 failed)" in result.out
    assert "hyperpilot: trial 1 failed: ValueError: bad luck" in result.err
    assert "hyperpilot: trial 2 failed: trial exceeded its time limit of 0.2 s" in result.err
    assert "failures: 2 trials, 2 distinct errors" in result.out
    assert "1x  ValueError: bad luck  (trials 1)" in result.out
    assert "1x  trial exceeded its time limit of 0.2 s  (trials 2)" in result.out


def test_an_objective_that_always_fails_stops_with_one_line(cli: Any, tmp_path: Path,
                                                            storage: str, write: Any) -> None:
    target = write(tmp_path / "boom.py", """
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config):
            raise RuntimeError("boom")
    """)
    result = cli("run", target, "--trials", "20", "--storage", storage, "--no-progress")
    assert result.code == 1
    assert result.err.splitlines()[-1] == (
        "hyperpilot: error: the objective failed 10 times in a row, so study 'boom' stopped; "
        f"last error: RuntimeError: boom; its finished trials are stored in {storage}")
    # The objective's own traceback is shown once, for the first failure, without
    # hyperpilot's frames; every later failure gets one line.
    assert result.err.count("Traceback") == 1
    assert 'boom.py", line 4, in objective' in result.err
    assert "hyperpilot/" not in result.err.split("Traceback", 1)[1]
    assert result.err.count("hyperpilot: trial ") == 10
    assert len(_finished(storage, "boom")) == 10


def test_changed_space_is_refused_on_resume(cli: Any, tmp_path: Path, storage: str,
                                            write: Any) -> None:
    text = """
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, HIGH)}
        def objective(config):
            return config["x"]
    """
    target = write(tmp_path / "grow.py", text.replace("HIGH", "1.0"))
    assert cli("run", target, "--trials", "2", "--storage", storage, "--no-progress").code == 0
    write(target, text.replace("HIGH", "2.50"))  # another size: no stale .pyc
    result = cli("run", target, "--trials", "4", "--storage", storage, "--no-progress")
    assert result.code == 1
    assert result.err.startswith("hyperpilot: error: study 'grow' exists with another space: "
                                 "hyperparameter 'x' is ")
    assert result.err.count("\n") == 1


def test_run_with_workers(cli: Any, write: Any, tmp_path: Path, storage: str) -> None:
    target = write(tmp_path / "pids.py", """
        import os
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config, trial):
            trial.set_user_attr("pid", os.getpid())
            return config["x"]
    """)
    result = cli("run", target, "--trials", "8", "--workers", "2", "--storage", storage,
                 "--no-progress")
    assert result.code == 0, result.err
    trials = hp.load_study("pids", storage).trials
    assert len(trials) == 8 and all(t.state == hp.TrialState.COMPLETE for t in trials)
    pids = {t.user_attrs["pid"] for t in trials}
    assert os.getpid() not in pids, "pool processes ran the trials, not the command"
    bad = cli("run", target, "--workers", "0", "--storage", storage)
    assert bad.code == 2 and "--workers: expected a number >= 1, got '0'" in bad.err


def test_a_yaml_fidelity_and_max_budget_run_a_multi_fidelity_study(
        cli: Any, tmp_path: Path, storage: str, write: Any) -> None:
    write(tmp_path / "train.py", """
        def train(config, budget):
            return (config["x"] - 0.3) ** 2 + 1.0 / budget
    """)
    target = write(tmp_path / "mf.yaml", """
        name: mf
        objective: train.py:train
        space: {x: {type: float, low: 0, high: 1}}
        fidelity: {name: epochs, min: 1, max: 9}
        optimizer: hyperband
        max_budget: 30
        trials: 100
    """)
    result = cli("run", target, "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    study = hp.load_study("mf", storage)
    assert study.fidelity == hp.Fidelity("epochs", 1, 9)
    spent = sum(t.budget for t in study.trials)
    assert 20 < spent <= 30
    # The flag overrides the file and counts this run's spending only.
    result = cli("run", target, "--storage", storage, "--no-progress", "--max-budget", "9")
    assert result.code == 0, result.err
    assert spent < sum(t.budget for t in hp.load_study("mf", storage).trials) <= spent + 9


def test_a_yaml_run_file_with_instances_races(cli: Any, tmp_path: Path, storage: str,
                                              write: Any) -> None:
    write(tmp_path / "solve.py", """
        def solve(config, instance):
            return config["x"] * {"easy": 1.0, "hard": 10.0}[instance]
    """)
    target = write(tmp_path / "ac.yaml", """
        name: ac
        objective: solve.py:solve
        space: {x: {type: float, low: 0, high: 1}}
        instances: [easy, hard]
        trials: 8
    """)
    result = cli("run", target, "--storage", storage, "--no-progress")
    assert result.code == 0, result.err
    study = hp.load_study("ac", storage)
    assert study.instances is not None and study.instances.names == ("easy", "hard")
    assert {t.instance for t in study.trials} <= {"easy", "hard"}
    assert study.trials[0].meta["auto"]["chose"] == "race"
    bad = write(tmp_path / "bad.yaml", """
        objective: solve.py:solve
        space: {x: {type: float, low: 0, high: 1}}
        instances: [easy, easy]
    """)
    result = cli("run", bad, "--storage", storage, "--no-progress")
    assert result.code == 2, result.err
    assert result.err.startswith("hyperpilot: error: ")
    assert result.err.endswith("bad.yaml: instance names must be unique, got 'easy' twice\n")
    assert result.err.count("\n") == 1


def test_the_multi_fidelity_example_runs_within_its_budget(cli: Any, storage: str) -> None:
    example = Path(__file__).parents[2] / "examples" / "tune_mlp_epochs.py"
    result = cli("run", example, "--storage", storage, "--no-progress", "--max-budget", "30")
    assert result.code == 0, result.err
    assert "running 500 trials, or until this run has spent 30 epochs" in result.out
    study = hp.load_study("tune_mlp_epochs", storage)
    assert study.trials[0].meta["auto"]["chose"] == "bohb"
    assert 20 < sum(t.budget for t in study.trials) <= 30
    best = study.best_trial
    assert f"(trial {best.number}, epochs {best.budget}, minimize)" in result.out
    assert len(best.intermediate) == best.budget  # one reported error per epoch
