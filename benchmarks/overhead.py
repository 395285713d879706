"""Optimizer overhead: trials per second through ``optimize`` with an instant objective.

Compares hyperpilot's random optimizer with Optuna's RandomSampler on the same space, on
in-memory and SQLite storage, for 1,000 and 10,000 trials, in one run. "flat" compares the
rate over the last 10% of trials with the rate over the first 10% (1.0 = no slow-down).

Run:  python benchmarks/overhead.py [--trials 1000,10000] [--optuna-sqlite-cap 120]

Optuna on SQLite is slow enough that 10,000 trials would take hours: it is stopped after
``--optuna-sqlite-cap`` seconds and its rate is reported over the trials it finished.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import hyperpilot as hp


@dataclass
class Row:
    tool: str
    storage: str
    requested: int
    done: int
    seconds: float
    flat: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else math.nan


def _flatness(finish_times: Sequence[float]) -> float:
    """Rate over the last 10% of trials divided by the rate over the first 10%."""
    times = sorted(finish_times)
    k = max(len(times) // 10, 2)
    if len(times) < 2 * k:
        return math.nan
    first = (times[k - 1] - times[0]) / (k - 1)
    last = (times[-1] - times[-k]) / (k - 1)
    return first / last if last > 0 else math.nan


SPACE = hp.Space({
    "x": hp.Float(-5.0, 5.0),
    "y": hp.Int(0, 100),
    "z": hp.Float(1e-4, 1.0, log=True),
    "c": hp.Categorical(["a", "b", "c"]),
})


def _objective(config: dict[str, object]) -> float:
    return float(config["x"]) ** 2 + float(config["y"]) * 0.01  # type: ignore[arg-type]


def run_hyperpilot(storage: str, n: int) -> Row:
    study = hp.create_study(space=SPACE, storage=storage, optimizer="random", seed=0)
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n, show_progress=False)
    seconds = time.perf_counter() - start
    trials = study.trials
    done = sum(t.state == hp.TrialState.COMPLETE for t in trials)
    flat = _flatness([t.finished_at for t in trials if t.finished_at is not None])
    return Row("hyperpilot random", _kind(storage), n, done, seconds, flat)


def run_optuna(storage: str | None, n: int, cap: float | None) -> Row:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_int("y", 0, 100)
        trial.suggest_float("z", 1e-4, 1.0, log=True)
        trial.suggest_categorical("c", ["a", "b", "c"])
        return x * x + y * 0.01

    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=n, timeout=cap)
    seconds = time.perf_counter() - start
    trials = study.get_trials(deepcopy=False)
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    flat = _flatness([t.datetime_complete.timestamp() for t in trials if t.datetime_complete])
    note = f"stopped after {cap:.0f} s" if done < n else ""
    return Row(f"optuna {optuna.__version__} RandomSampler",
               "memory" if storage is None else "sqlite", n, done, seconds, flat, note)


def _kind(storage: str) -> str:
    return "memory" if storage == "memory" else "sqlite"


def _progress(label: str) -> None:
    print(f"  running {label} ...", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", default="1000,10000",
                        help="comma-separated trial counts (default: 1000,10000)")
    parser.add_argument("--optuna-sqlite-cap", type=float, default=120.0,
                        help="seconds after which Optuna on SQLite is stopped (default: 120)")
    parser.add_argument("--no-optuna", action="store_true", help="skip the Optuna rows")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.trials.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            db = Path(tmp) / f"hp-{n}.db"
            _progress(f"hyperpilot memory {n}")
            rows.append(run_hyperpilot("memory", n))
            _progress(f"hyperpilot sqlite {n}")
            rows.append(run_hyperpilot(f"sqlite:///{db}", n))
            if not args.no_optuna:
                _progress(f"optuna memory {n}")
                rows.append(run_optuna(None, n, None))
                _progress(f"optuna sqlite {n}")
                odb = Path(tmp) / f"optuna-{n}.db"
                rows.append(run_optuna(f"sqlite:///{odb}", n, args.optuna_sqlite_cap))
    print(f"\nOptimizer overhead, instant objective, random search "
          f"(Python {platform.python_version()}, {platform.machine()})\n")
    print("| tool | storage | trials | finished | seconds | trials/s | flat (last/first 10%) "
          "| note |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r.tool} | {r.storage} | {r.requested:,} | {r.done:,} | {r.seconds:.2f} | "
              f"{r.rate:,.0f} | {r.flat:.2f} | {r.note} |")
    if not args.no_optuna:
        print("\n| storage | trials | hyperpilot / optuna (trials/s) |")
        print("|---|---:|---:|")
        for n in counts:
            for kind in ("memory", "sqlite"):
                ours = [r for r in rows if r.tool.startswith("hyperpilot")
                        and r.storage == kind and r.requested == n]
                theirs = [r for r in rows if r.tool.startswith("optuna")
                          and r.storage == kind and r.requested == n]
                if ours and theirs:
                    ratio = ours[0].rate / theirs[0].rate
                    print(f"| {kind} | {n:,} | {ratio:,.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
