"""``hyperpilot worker``: one of several processes working on a study through its storage."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hyperpilot as hp
from hyperpilot.trial._trial import TrialState


def test_worker_help(cli: Any) -> None:
    result = cli("worker", "--help")
    assert result.code == 0
    assert result.out.startswith("usage: hyperpilot worker")
    for flag in ("--study", "--storage", "--trials", "--worker-trials", "--timeout",
                 "--trial-timeout", "--isolation", "--memory-limit", "--heartbeat-interval",
                 "--max-budget"):
        assert flag in result.out
    assert "abandoned" in result.out


def test_worker_creates_the_study_and_runs_its_share(cli: Any, quad: Path, storage: str) -> None:
    result = cli("worker", quad, "--storage", storage, "--worker-trials", "4", "--study", "shared")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert re.fullmatch(r"worker .+:\d+ on study 'shared' in .+runs\.db: 4 trials", lines[0])
    assert re.fullmatch(r"worker .+:\d+ ran 4 trials \(4 complete, 0 failed\); study 'shared' "
                        r"holds 4 \(4 complete, 0 failed\)", lines[-1])
    study = hp.load_study("shared", storage)
    assert study.optimizer.name == "sobol", "the run file's optimizer is used"
    assert [t.number for t in study.trials] == [0, 1, 2, 3]


def test_worker_tops_the_study_up_to_the_total(cli: Any, quad: Path, storage: str) -> None:
    # --trials is the study's total, as in 'hyperpilot run'; --total-trials is its old name.
    assert cli("worker", quad, "--storage", storage, "--trials", "3").code == 0
    result = cli("worker", quad, "--storage", storage, "--trials", "5")
    assert result.code == 0
    assert "ran 2 trials" in result.out
    result = cli("worker", quad, "--storage", storage, "--total-trials", "5")
    assert "ran 0 trials" in result.out
    assert len(hp.load_study("quad", storage).trials) == 5


def test_worker_isolates_trials_on_request(cli: Any, write: Any, tmp_path: Path,
                                           storage: str) -> None:
    target = write(tmp_path / "loud.py", '''
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config):
            print("training", config["x"])
            return config["x"]
    ''')
    result = cli("worker", target, "--storage", storage, "--worker-trials", "2", "--isolation",
                 "process", "--memory-limit", "1GB", "--trial-timeout", "30")
    assert result.code == 0, result.err
    trials = hp.load_study("loud", storage).trials
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.meta["stdout"].startswith("training ") for t in trials)


def test_worker_refuses_an_in_memory_storage(cli: Any, quad: Path) -> None:
    result = cli("worker", quad, "--storage", "memory", "--trials", "1")
    assert result.code == 2
    assert result.err == (
        "hyperpilot: error: workers share a study through its storage; an in-memory storage "
        "cannot be shared: pass --storage sqlite:///FILE or postgresql://...\n")


def test_worker_rejects_a_bad_memory_limit(cli: Any, quad: Path, storage: str) -> None:
    result = cli("worker", quad, "--storage", storage, "--memory-limit", "lots")
    assert result.code == 2
    assert "argument --memory-limit: expected a size such as 2GB" in result.err


def test_worker_stops_at_its_budget(cli: Any, quad: Path, storage: str) -> None:
    # Without a fidelity every trial costs one.
    result = cli("worker", quad, "--storage", storage, "--max-budget", "3", "--trials", "50")
    assert result.code == 0, result.err
    assert "ran 3 trials" in result.out
    result = cli("worker", quad, "--storage", storage, "--max-budget", "-2")
    assert result.code == 2
    assert "expected a positive finite number, got '-2'" in result.err
