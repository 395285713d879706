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
