"""Objectives that the execution tests send to other processes, importable by name.

The tests put this directory on ``sys.path``; pool workers and isolated children get the
parent's ``sys.path`` and import this module to unpickle the functions.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hyperpilot as hp


def square(config: dict[str, Any]) -> float:
    return float(config["x"]) ** 2


def sleepy(config: dict[str, Any]) -> float:
    time.sleep(0.3)
    return float(config["x"])


def misbehave(config: dict[str, Any]) -> float:
    """Do what ``config["mode"]`` says, then return ``x``."""
    mode = config["mode"]
    if mode == "hang":
        time.sleep(60)
    elif mode == "hog":
        hog = bytearray(10**9)  # 1 GB, written to (zeroed) by the allocation
        return float(len(hog))
    elif mode == "segfault":
        ctypes.string_at(0)
    elif mode == "exit":
        sys.exit(3)
    elif mode == "exit0":
        os._exit(0)
    elif mode == "print":
        sys.stdout.write("o" * 100_000 + "END-OF-STDOUT\n")
        sys.stderr.write("warning: about to finish\n")
    elif mode == "raise":
        raise ValueError("the objective said no")
    elif mode == "prune":
        raise hp.TrialPruned("not promising")
    elif mode == "spawn":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(child.pid, flush=True)
        time.sleep(60)
    return float(config["x"])


def crash_at_half(config: dict[str, Any]) -> float:
    """Crash the process when ``x`` is exactly 0.5 (only an enqueued trial has that)."""
    if config["x"] == 0.5:
        ctypes.string_at(0)
    return float(config["x"])


def report_and_wait(config: dict[str, Any], trial: hp.Trial, folder: str,
                    wait: float = 20.0) -> float:
    """Report step 0, wait until the test saw it in the storage (a file says so), go on.

    ``user_attrs["seen_while_running"]`` says whether the file came before *wait* seconds.
    """
    trial.report(0, config["x"])
    seen = Path(folder) / f"seen-{trial.number}"
    deadline = time.monotonic() + wait
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    trial.set_user_attr("seen_while_running", seen.exists())
    trial.report(1, config["x"] / 2)
    trial.set_user_attr("stop", trial.should_stop())
    return float(config["x"])


def prunable(config: dict[str, Any], trial: hp.Trial) -> float:
    """Report ``x`` at steps 0..3 and stop as soon as ``should_stop()`` says so."""
    for step in range(4):
        trial.report(step, config["x"])
        if trial.should_stop():
            raise hp.TrialPruned(f"pruned at step {step}")
    return float(config["x"])


class PruneAbove(hp.RandomOptimizer):
    """Random search whose rule prunes a trial above 0.5 once it reported two steps.

    It checks that the history it gets holds the trial's curve as stored.
    """

    threshold = 0.5

    def should_prune(self, history: hp.History, trial: hp.Trial,
                     curve: Mapping[float, float]) -> bool:
        if dict(history.intermediate.get(trial.id, {})) != dict(curve):
            raise AssertionError(f"the history lacks trial {trial.number}'s curve {curve}")
        return len(curve) >= 2 and list(curve.values())[-1] > self.threshold


def reports_nan(config: dict[str, Any], trial: hp.Trial) -> float:
    """Report two values, then one that is not a number."""
    trial.report(0, 1.0)
    trial.report(1, 0.5)
    trial.report(2, float("nan"))
    return 0.0
