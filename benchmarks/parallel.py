"""Parallel speedup: 1, 2, 4 and 8 workers on an objective that sleeps 1 s, 64 trials.

Engines, each on a fresh SQLite storage, random search on one float:

* ``process pool``: ``study.optimize(..., executor=hyperpilot.execution.process_pool(k))``
  (the pool hyperpilot builds for ``n_workers=k``; created inside the timed call);
* ``dask``: ``study.optimize(..., executor=client)`` on a ``distributed.LocalCluster`` of
  k single-threaded worker processes (the cluster is started before the clock runs, as a
  cluster usually runs already);
* ``shared-storage workers``: k ``hyperpilot worker`` processes with ``--total-trials``;
* ``optuna``: Optuna's own way to run several processes: k processes that each
  ``load_study`` on the same ``RDBStorage`` (SQLite) and run ``n_trials = total / k`` with
  its ``RandomSampler`` (processes rather than ``n_jobs`` threads, because that is what it
  recommends beyond one process and what matches independent workers).

Two wall-clock figures per run: **wall** from the start of the call (or the launch of the
processes) until everything has ended, and **span** from the first trial's start to the
last trial's end (what the study itself took, without interpreter start-up). Speedups are
relative to the same engine with one worker.

Run:  python benchmarks/parallel.py [--trials 64] [--seconds 1] [--workers 1,2,4,8]
                                    [--engines pool,dask,workers,optuna]
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import hyperpilot as hp
from hyperpilot.execution import process_pool

SECONDS = 1.0
SPACE = {"x": hp.Float(0.0, 1.0)}


def sleep_objective(config: dict[str, float]) -> float:
    time.sleep(SECONDS)
    return config["x"]


@dataclass
class Row:
    engine: str
    workers: int
    trials: int
    wall: float
    span: float
    note: str = ""


def _span(trials: Sequence[hp.Trial]) -> float:
    starts = [t.started_at for t in trials if t.started_at is not None]
    ends = [t.finished_at for t in trials if t.finished_at is not None]
    return max(ends) - min(starts)


def _finished(url: str, name: str) -> list[hp.Trial]:
    study = hp.load_study(name, url)
    trials = [t for t in study.trials if t.state == hp.TrialState.COMPLETE]
    study.storage.close()
    return trials


def run_pool(folder: Path, k: int, total: int) -> Row:
    url = f"sqlite:///{folder / f'pool-{k}.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="pool", seed=0, optimizer="random")
    start = time.perf_counter()
    pool = process_pool(k)
    study.optimize(sleep_objective, n_trials=total, executor=pool, show_progress=False)
    pool.shutdown()
    wall = time.perf_counter() - start
    trials = _finished(url, "pool")
    return Row("process pool", k, len(trials), wall, _span(trials))


def run_dask(folder: Path, k: int, total: int) -> Row:
    from distributed import Client, LocalCluster

    url = f"sqlite:///{folder / f'dask-{k}.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="dask", seed=0, optimizer="random")
    with LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(k)
        start = time.perf_counter()
        study.optimize(sleep_objective, n_trials=total, executor=client, show_progress=False)
        wall = time.perf_counter() - start
    trials = _finished(url, "dask")
    return Row("dask", k, len(trials), wall, _span(trials), "cluster started beforehand")


RUN_FILE = """
import time
import hyperpilot as hp

space = {{"x": hp.Float(0.0, 1.0)}}
name = "workers"
seed = 0


def objective(config):
    time.sleep({seconds!r})
    return config["x"]
"""


def _launch(argvs: Sequence[Sequence[str]]) -> float:
    """Start the processes together, wait for all; return the wall time."""
    env = {k: v for k, v in os.environ.items() if k != "HYPERPILOT_STORAGE"}
    start = time.perf_counter()
    processes = [subprocess.Popen(list(argv), env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for argv in argvs]
    errors = [p.communicate()[1] for p in processes]
    wall = time.perf_counter() - start
    for process, err in zip(processes, errors, strict=True):
        if process.returncode != 0:
            raise SystemExit(f"a worker failed with {process.returncode}:\n{err}")
    return wall


def run_workers(folder: Path, k: int, total: int) -> Row:
    url = f"sqlite:///{folder / f'workers-{k}.db'}"
    run_file = folder / "workers_run.py"
    run_file.write_text(textwrap.dedent(RUN_FILE.format(seconds=SECONDS)), encoding="utf-8")
    hp.create_study(space=SPACE, storage=url, name="workers", seed=0,
                    optimizer="random").storage.close()
    cli = str(Path(sys.executable).with_name("hyperpilot"))
    wall = _launch([[cli, "worker", str(run_file), "--storage", url,
                     "--total-trials", str(total)]] * k)
    trials = _finished(url, "workers")
    return Row("shared-storage workers", k, len(trials), wall, _span(trials),
               "`hyperpilot worker` x k")


OPTUNA_WORKER = """
import sys, time
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
url, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
study = optuna.load_study(study_name="optuna", storage=url,
                          sampler=optuna.samplers.RandomSampler())

def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    time.sleep(seconds)
    return x

study.optimize(objective, n_trials=n)
"""


def run_optuna(folder: Path, k: int, total: int) -> Row:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{folder / f'optuna-{k}.db'}"
    optuna.create_study(study_name="optuna", storage=url)
    shares = [total // k + (1 if i < total % k else 0) for i in range(k)]
    wall = _launch([[sys.executable, "-c", OPTUNA_WORKER, url, str(n), str(SECONDS)]
                    for n in shares])
    study = optuna.load_study(study_name="optuna", storage=url)
    trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    starts = [t.datetime_start.timestamp() for t in trials if t.datetime_start]
    ends = [t.datetime_complete.timestamp() for t in trials if t.datetime_complete]
    return Row(f"optuna {optuna.__version__} (RDB, SQLite)", k, len(trials), wall,
               max(ends) - min(starts), "k processes, n_trials = total / k")


ENGINES: dict[str, Callable[[Path, int, int], Row]] = {
    "pool": run_pool, "dask": run_dask, "workers": run_workers, "optuna": run_optuna,
}


def table(rows: Sequence[Row]) -> str:
    base = {r.engine: r for r in rows if r.workers == 1}
    lines = [
        "| engine | workers | trials | wall s | speedup (wall) | span s | speedup (span) "
        "| note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        one = base.get(r.engine)
        wall_x = f"{one.wall / r.wall:.2f}x" if one else "-"
        span_x = f"{one.span / r.span:.2f}x" if one else "-"
        lines.append(f"| {r.engine} | {r.workers} | {r.trials} | {r.wall:.2f} | {wall_x} | "
                     f"{r.span:.2f} | {span_x} | {r.note} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    global SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args(argv)
    SECONDS = args.seconds
    counts = [int(k) for k in args.workers.split(",")]
    # Worker processes start from byte code, as after a regular install; an editable
    # install under PYTHONDONTWRITEBYTECODE would otherwise compile hyperpilot in every one.
    compileall.compile_dir(Path(hp.__file__).parent, quiet=1)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            for k in counts:
                row = ENGINES[engine](Path(tmp), k, args.trials)
                print(f"# {row.engine:<32} {k} workers: wall {row.wall:6.2f} s, "
                      f"span {row.span:6.2f} s, {row.trials} trials", file=sys.stderr,
                      flush=True)
                rows.append(row)
    print(f"Parallel speedup, objective sleeping {SECONDS:g} s, {args.trials} trials, "
          f"random search, SQLite storage ({os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.machine()})\n")
    print(table(rows))


if __name__ == "__main__":
    main()
