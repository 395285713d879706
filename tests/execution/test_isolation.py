"""Isolated trials: each in a fresh child process; crashes and limits fail only that trial."""

from __future__ import annotations

import sys
import time
from types import ModuleType

import psutil
import pytest

import hyperpilot as hp
from hyperpilot.execution._limits import format_bytes, parse_memory
from hyperpilot.trial._trial import TrialState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

SPACE = {"mode": hp.Categorical(["ok", "hang", "hog", "segfault", "exit", "exit0", "print",
                                 "raise", "prune", "spawn"]),
         "x": hp.Float(0.0, 1.0)}


def _run(objectives: ModuleType, mode: str, **options: object) -> list[hp.Trial]:
    """Enqueue *mode* then ``ok``; run both isolated; return the two trials."""
    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    study.enqueue({"mode": mode, "x": 0.25})
    study.enqueue({"mode": "ok", "x": 0.5})
    study.optimize(objectives.misbehave, n_trials=2, isolation="process",
                   show_progress=False, max_consecutive_failures=None, **options)  # type: ignore[arg-type]
    trials = study.trials
    assert [t.config["mode"] for t in trials] == [mode, "ok"]
    after = trials[1]
    assert (after.state, after.value) == (TrialState.COMPLETE, 0.5), "the next trial must run"
    return trials


def _first_line(trial: hp.Trial) -> str:
    return (trial.error or "").splitlines()[0]


def test_timeout_kills_the_child_and_the_next_trial_runs(objectives: ModuleType) -> None:
    start = time.monotonic()
    failed, _ = _run(objectives, "hang", trial_timeout=1.0)
    assert time.monotonic() - start < 10
    assert failed.state == TrialState.FAILED
    assert _first_line(failed) == "trial exceeded its time limit of 1 s"


@pytest.mark.slow
def test_memory_hog_runs_out_of_memory(objectives: ModuleType) -> None:
    failed, _ = _run(objectives, "hog", memory_limit="200MB")
    assert failed.state == TrialState.FAILED
    assert _first_line(failed) == "ran out of memory (memory limit 200 MB)"
    assert "MemoryError" in (failed.error or "")


def test_segfault_is_reported_with_the_signal(objectives: ModuleType) -> None:
    failed, _ = _run(objectives, "segfault")
    assert failed.state == TrialState.FAILED
    assert _first_line(failed) == "killed by signal SIGSEGV (segmentation fault)"
    # faulthandler wrote the Python stack to the captured stderr.
    assert "Segmentation fault" in failed.meta["stderr"]
    assert "string_at" in failed.meta["stderr"]


def test_sys_exit_is_reported_with_the_code(objectives: ModuleType) -> None:
    failed, _ = _run(objectives, "exit")
    assert (failed.state, failed.error) == (TrialState.FAILED, "exited with code 3 (sys.exit)")


def test_os_exit_without_a_result(objectives: ModuleType) -> None:
    failed, _ = _run(objectives, "exit0")
    assert failed.error == "exited with code 0 without returning a result"


def test_exception_keeps_the_traceback_of_the_objective(objectives: ModuleType) -> None:
    failed, _ = _run(objectives, "raise")
    assert _first_line(failed) == "ValueError: the objective said no"
    assert "in misbehave" in (failed.error or "")
    assert "_child.py" not in (failed.error or "")


def test_pruned_in_the_child_is_pruned(objectives: ModuleType) -> None:
    pruned, _ = _run(objectives, "prune")
    assert (pruned.state, pruned.error) == (TrialState.PRUNED, "not promising")


def test_output_is_captured_and_capped(objectives: ModuleType) -> None:
    printed, ok = _run(objectives, "print")
    assert printed.state == TrialState.COMPLETE
    out = printed.meta["stdout"]
    cap = 64 * 1024
    kept = out.split("\n", 1)[1]
    assert out.startswith(f"[... {100_000 + 14 - cap} earlier bytes cut ...]\n")
    assert len(kept.encode()) == cap
    assert kept.endswith("o" * 100 + "END-OF-STDOUT\n")
    assert printed.meta["stderr"] == "warning: about to finish\n"
    assert "stdout" not in ok.meta
    assert ok.meta["peak_memory_mb"] > 0


def test_timeout_kills_what_the_trial_started(objectives: ModuleType) -> None:
    failed, _ = _run(objectives, "spawn", trial_timeout=1.5)
    assert _first_line(failed) == "trial exceeded its time limit of 1.5 s"
    grandchild = int(failed.meta["stdout"].split()[0])
    deadline = time.monotonic() + 5
    while psutil.pid_exists(grandchild) and time.monotonic() < deadline:
        try:
            if psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        assert not psutil.pid_exists(grandchild), "the trial's own subprocess survived it"


def test_closures_run_isolated() -> None:
    offset = 0.125
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", seed=1)
    study.optimize(lambda c: c["x"] + offset, n_trials=3, isolation="process",
                   show_progress=False)
    assert all(t.value == pytest.approx(t.config["x"] + offset) for t in study.trials)
    assert all(t.meta["peak_memory_mb"] > 0 for t in study.trials)


def test_isolation_none_refuses_a_memory_limit() -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory")
    with pytest.raises(hp.OptimizerError, match="memory_limit needs isolation='process'"):
        study.optimize(lambda c: 0.0, n_trials=1, isolation="none", memory_limit="1GB")
    with pytest.raises(hp.OptimizerError, match="isolation must be one of"):
        study.optimize(lambda c: 0.0, n_trials=1, isolation="thread")
    with pytest.raises(hp.OptimizerError, match="memory_limit must be a positive size"):
        study.optimize(lambda c: 0.0, n_trials=1, memory_limit="lots")


@pytest.mark.parametrize(("text", "size"), [
    ("200MB", 200 * 10**6), ("2GB", 2 * 10**9), ("512MiB", 512 * 2**20), ("2G", 2 * 2**30),
    ("1.5 GB", 1_500_000_000), (4096, 4096), ("100kB", 100_000),
])
def test_parse_memory(text: str | int, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize(("size", "text"), [
    (200 * 10**6, "200 MB"), (2 * 2**30, "2 GiB"), (1_500_000_000, "1500 MB"),
    (2_500_000_001, "2.5 GB"), (123_456, "0.123 MB"),
])
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text

