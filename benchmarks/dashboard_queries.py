"""The storage queries behind the dashboard's trials table, on a large SQLite study.

Fills a study with N trials (10 float hyperparameters, one objective, 2 % failed) by a
bulk insert into the schema's trial table (the storage API would take minutes for 100,000
trials), then times ``count_trials`` and ``get_trials_page`` (50 trials) ordered by number,
by the objective's value and by a hyperparameter, filtered by state and by a value range,
first and deep pages, then the dashboard's API functions (``dashboard/_data.py``) that
use them. Median of five calls each.

Run:  python benchmarks/dashboard_queries.py [--trials 100000] [--storage sqlite:///FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import hyperpilot as hp
from hyperpilot.storage._schema import trials as trials_table
from hyperpilot.storage._sql import SQLStorage


def fill(storage: SQLStorage, n: int) -> int:
    study = hp.create_study(name="big", storage=storage, optimizer="random",
                            space={f"x{i}": hp.Float(0.0, 1.0) for i in range(10)})
    rng = np.random.default_rng(0)
    configs = rng.random((n, 10))
    rows = []
    for number in range(n):
        failed = number % 50 == 7
        config = {f"x{i}": float(configs[number, i]) for i in range(10)}
        rows.append({
            "study_id": study.id, "number": number, "state": "failed" if failed else "complete",
            "config": json.dumps(config), "vals": None if failed else json.dumps(
                {"value": float(np.sum((configs[number] - 0.3) ** 2))}),
            "error": "RuntimeError: boom" if failed else None, "created_at": 1.0 + number,
            "started_at": 1.0 + number, "finished_at": 1.5 + number, "meta": "{}",
        })
    with storage._engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(trials_table.insert(), rows[start:start + 10_000])
    return study.id


def timed(call: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--storage", help="an empty storage URL (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.storage or f"sqlite:///{Path(tmp) / 'big.db'}"
        storage = hp.storage.get_storage(url)
        assert isinstance(storage, SQLStorage)
        start = time.perf_counter()
        sid = fill(storage, args.trials)
        print(f"{args.trials} trials written in {time.perf_counter() - start:.1f} s ({url})")
        cases: dict[str, Callable[[], Any]] = {
            "count_trials": lambda: storage.count_trials(sid),
            "page 1 by number": lambda: storage.get_trials_page(sid, limit=50),
            "last page by number": lambda: storage.get_trials_page(
                sid, offset=args.trials - 50, limit=50),
            "page 1 by value": lambda: storage.get_trials_page(sid, limit=50,
                                                               order_by="value:value"),
            "page 100 by value, desc": lambda: storage.get_trials_page(
                sid, offset=4950, limit=50, order_by="value:value", descending=True),
            "page 1 by hyperparameter": lambda: storage.get_trials_page(
                sid, limit=50, order_by="param:x3"),
            "failed only, by number": lambda: storage.get_trials_page(
                sid, limit=50, states=[hp.TrialState.FAILED]),
            "value in [0, 0.5], by value": lambda: storage.get_trials_page(
                sid, limit=50, value_range=("value", 0.0, 0.5), order_by="value:value"),
            "get_trials (every trial)": lambda: storage.get_trials(sid),
        }
        from hyperpilot.dashboard import _data

        study = hp.load_study("big", storage)
        cases["API: studies list row"] = lambda: _data.study_summary(
            study, storage.list_studies()[0])
        cases["API: trials page by value"] = lambda: _data.trials_page(
            study, {"order": "value:value", "desc": "1"})
        cases["API: poll"] = lambda: _data.poll(study)
        cases["API: trial detail"] = lambda: _data.trial_detail(study, args.trials // 2)
        cases["API: overview, first"] = lambda: _data.overview(study)
        kept = _data.FinishedCache(storage, study.id).load()
        cases["API: overview, again"] = lambda: _data.overview(study, kept)
        for name, call in cases.items():
            print(f"{name:<32} {timed(call) * 1000:9.1f} ms")
        storage.close()


if __name__ == "__main__":
    main()
