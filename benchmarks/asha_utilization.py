"""Worker utilization of ASHA, Hyperband and BOHB with four workers.

The objective sleeps ``unit`` seconds per budget unit (default 0.05 s on epochs 1..27, so
a trial takes 0.05, 0.15, 0.45 or 1.35 s at the rungs 1, 3, 9, 27 of ``eta = 3``) and
records, in the trial's user attributes, the process that ran it and when its sleep began
and ended. Each optimizer runs for a fixed time (``optimize(timeout=...)``: no trial starts
after it) on a fresh SQLite file, with four workers in two ways:

* ``pool``: ``study.optimize(objective, timeout=..., n_workers=4)``; the process that
  asks and tells hands the trials to a pool of four processes (created inside the call;
  the forkserver that pools start their processes from is started once, before the first
  run, as it is once per process);
* ``workers``: four processes started together, each ``hyperpilot.run_worker(name,
  objective, storage=url, timeout=...)``, that share the study through the file only.

From the stored trials:

* **busy** per worker: the seconds its objective slept (a trial's useful work), inside
  the window;
* **window**: from the first trial's start to the last trial's start (while trials were
  still being started: the tail, where workers run out of trials once the time is up, is
  left out), and over the whole **span** (first start to last end, tail included);
* **utilization** = busy worker-seconds / (4 x window), per worker and overall;
* **slot** utilization: the same with each trial's stored start..end (from the ask to
  the tell), so the difference to *busy* is what the handling of a trial costs
  (sending it, the tell, the next ask);
* **gap**: the mean time a worker waited between the end of one sleep and the start of
  its next one, split (medians) into **to tell** (from the end of the sleep to the stored
  end of the trial: the result's way back and the tell) and **to next** (from there to
  the worker's next sleep: the next ask and the way out); **start-up**: the mean time
  from the first trial's start to a worker's first sleep (starting the pool or the
  worker processes), and **busy (after start-up)**, the utilization from the moment
  every worker has started its first trial.

For Hyperband and BOHB it also counts rungs that hold more trials than the schedule
allows (possible only with independent workers, which decide from what they read).

Run:  python benchmarks/asha_utilization.py [--seconds 20] [--unit 0.05]
                                            [--optimizers asha,hyperband,bohb]
                                            [--modes pool,workers]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hyperpilot as hp
from hyperpilot.execution import process_pool
from hyperpilot.optimizers._hyperband import bracket_sizes, rung_budgets

WORKERS = 4
FIDELITY = hp.Fidelity("epochs", 1, 27)
SPACE = {"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)}
UNIT = 0.05  # seconds of sleep per budget unit; set from --unit before any run


def objective(config: dict[str, float], budget: int, trial: hp.Trial) -> float:
    """Sleep ``UNIT * budget`` s; record the process and the sleep's start and end."""
    start = time.time()
    time.sleep(UNIT * budget)
    trial.set_user_attr("run", [os.getpid(), start, time.time()])
    return (config["x"] - 0.3) ** 2 + (config["y"] - 0.6) ** 2 + 1.0 / budget


@dataclass
class Row:
    optimizer: str
    mode: str
    trials: int
    top: int  # trials at the full budget
    window: float
    span: float
    per_worker: list[float]  # busy share of the window, per worker, descending
    busy: float  # overall, window
    busy_span: float  # overall, span
    slot: float  # from stored start..end, window
    gap_ms: float
    startup: float  # mean seconds from the first trial's start to each worker's first sleep
    steady: float  # overall busy share once every worker has started its first trial
    tell_ms: float  # median: end of a sleep to its trial's stored end
    next_ms: float  # median: a trial's stored end to the next sleep of the same worker
    overfilled: str | None = None
    notes: list[str] = field(default_factory=list)


def _clip(start: float, end: float, lo: float, hi: float) -> float:
    return max(0.0, min(end, hi) - max(start, lo))


def _overfilled(trials: Sequence[hp.Trial], key: str) -> str:
    """Rungs of Hyperband's brackets that hold more trials than the bracket allows:
    ``"first rungs/later rungs"``."""
    s_max = len(rung_budgets(FIDELITY, 3)) - 1
    counts: dict[tuple[int, int], int] = defaultdict(int)
    halvings: dict[int, int] = {}
    for trial in trials:
        tag = trial.meta.get(key) or {}
        counts[tag["bracket"], tag["rung"]] += 1
        halvings[tag["bracket"]] = tag["s"]
    over = [rung for (k, rung), count in counts.items()
            if count > bracket_sizes(halvings[k], s_max, 3)[rung]]
    return f"{over.count(0)}/{len(over) - over.count(0)}"


def measure(optimizer: str, mode: str, url: str) -> Row:
    study = hp.load_study("util", url)
    trials = [t for t in study.trials if t.state.is_finished]
    study.storage.close()
    runs = [(t, *t.user_attrs["run"]) for t in trials if "run" in t.user_attrs]
    first = min(t.started_at or t.created_at for t in trials)
    last_start = max(t.started_at or t.created_at for t in trials)
    last_end = max(t.finished_at or 0.0 for t in trials)
    window, span = last_start - first, last_end - first
    busy: dict[int, float] = defaultdict(float)
    total_span = 0.0
    sleeps: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    for trial, pid, start, end in runs:
        busy[pid] += _clip(start, end, first, last_start)
        total_span += end - start
        sleeps[pid].append((start, end, trial.finished_at or end))
    ready = max(min(r)[0] for r in sleeps.values())
    steady = sum(_clip(start, end, ready, last_start) for _, _, start, end in runs)
    slot = sum(_clip(t.started_at or t.created_at, t.finished_at or 0.0, first, last_start)
               for t in trials)
    gaps = [b[0] - a[1] for runs_of in sleeps.values()
            for a, b in zip(sorted(runs_of), sorted(runs_of)[1:], strict=False)]
    schedule = "hyperband" if optimizer in ("hyperband", "bohb") else None
    row = Row(
        optimizer=optimizer, mode=mode, trials=len(trials),
        top=sum(t.budget == FIDELITY.max for t in trials), window=window, span=span,
        per_worker=sorted((b / window for b in busy.values()), reverse=True),
        busy=sum(busy.values()) / (WORKERS * window),
        busy_span=total_span / (WORKERS * span),
        slot=slot / (WORKERS * window),
        gap_ms=1000 * sum(gaps) / max(len(gaps), 1),
        startup=sum(min(r)[0] - first for r in sleeps.values()) / max(len(sleeps), 1),
        steady=steady / (WORKERS * (last_start - ready)),
        tell_ms=1000 * statistics.median(told - end for _, end, told in
                                         (x for r in sleeps.values() for x in r)),
        next_ms=1000 * statistics.median(b[0] - a[2] for r in sleeps.values()
                                         for a, b in zip(sorted(r), sorted(r)[1:],
                                                         strict=False)),
        overfilled=_overfilled(trials, schedule) if schedule else None,
    )
    if len(busy) != WORKERS:
        row.notes.append(f"{len(busy)} processes ran trials")
    if any(t.state != hp.TrialState.COMPLETE for t in trials):
        row.notes.append(f"{sum(t.state != hp.TrialState.COMPLETE for t in trials)} not "
                         f"complete")
    return row


def run_pool(optimizer: str, folder: Path, seconds: float) -> str:
    url = f"sqlite:///{folder / f'{optimizer}-pool.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="util", seed=0,
                            optimizer=optimizer, fidelity=FIDELITY)
    study.optimize(objective, timeout=seconds, n_workers=WORKERS, show_progress=False)
    study.storage.close()
    return url


def run_workers(optimizer: str, folder: Path, seconds: float) -> str:
    url = f"sqlite:///{folder / f'{optimizer}-workers.db'}"
    hp.create_study(space=SPACE, storage=url, name="util", seed=0, optimizer=optimizer,
                    fidelity=FIDELITY).storage.close()
    env = {k: v for k, v in os.environ.items() if k != "HYPERPILOT_STORAGE"}
    argv = [sys.executable, __file__, "--worker", url, "--seconds", str(seconds),
            "--unit", str(UNIT)]
    processes = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(WORKERS)]
    for process in processes:
        err = process.communicate()[1]
        if process.returncode != 0:
            raise SystemExit(f"a worker failed with {process.returncode}:\n{err}")
    return url


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| optimizer | workers | trials | at 27 | window s | busy per worker % | busy % "
        "| slot % | busy % (span) | busy % (after start-up) | start-up s | gap ms "
        "| to tell ms | to next ms | overfilled rungs (first/later) | note |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        per = " / ".join(f"{100 * b:.1f}" for b in r.per_worker)
        over = "-" if r.overfilled is None else r.overfilled
        lines.append(
            f"| {r.optimizer} | {r.mode} | {r.trials} | {r.top} | {r.window:.1f} | {per} | "
            f"{100 * r.busy:.1f} | {100 * r.slot:.1f} | {100 * r.busy_span:.1f} | "
            f"{100 * r.steady:.1f} | {r.startup:.2f} | {r.gap_ms:.1f} | {r.tell_ms:.1f} | "
            f"{r.next_ms:.1f} | {over} | {'; '.join(r.notes)} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    global UNIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--unit", type=float, default=UNIT)
    parser.add_argument("--optimizers", default="asha,hyperband,bohb")
    parser.add_argument("--modes", default="pool,workers")
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    UNIT = args.unit
    if args.worker:
        hp.run_worker("util", objective, storage=args.worker, timeout=args.seconds)
        return
    runners: dict[str, Any] = {"pool": run_pool, "workers": run_workers}
    with process_pool(1) as pool:  # start the forkserver
        pool.submit(time.sleep, 0).result()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for optimizer in args.optimizers.split(","):
            for mode in args.modes.split(","):
                url = runners[mode](optimizer, Path(tmp), args.seconds)
                rows.append(measure(optimizer, mode, url))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.seconds:g} s per run, "
          f"{args.unit:g} s per budget unit\n")
    print(table(rows))


if __name__ == "__main__":
    main()
