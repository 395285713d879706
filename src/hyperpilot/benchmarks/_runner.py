"""The benchmark runner: every (problem, optimizer, seed) run, in worker processes, resumable.

Runs execute in a :class:`~concurrent.futures.ProcessPoolExecutor` (spawn context) with
``jobs`` workers, each limited to one thread for BLAS, OpenMP and PyTorch, the same for
every optimizer, so that overheads compare fairly and parallel runs do not compete.
Every finished run is appended to the results file at once (see ``_records.py``).

Resuming. The results file is read first; a run whose key ``(problem, optimizer, seed,
n_trials)`` is already there as ``ok``, ``failed`` or ``unsupported`` is skipped
(``retry_failed=True`` runs failed ones again; the newer record wins in the report).

Crashes. An exception inside a run is caught in the worker and recorded as a failed run.
A run that kills its worker process (a segfault, ``os._exit``, the OOM killer) breaks the
pool: the pool is recreated, and the runs that were in flight are rerun one at a time in
a pool of their own, so the one that kills its worker again is recorded as failed and the
others complete.

Reference samples. Before the runs, each problem gets one ``reference`` record:
``reference_samples`` uniform random configurations (drawn with seed 0, evaluated at the
full budget under tuning seed 0). Their median is the scale of the normalized regret.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hyperpilot.benchmarks._adapters import (
    TEST_SEED_BASE,
    HyperpilotAdapter,
    OptimizerAdapter,
    RunRecord,
    error_text,
)
from hyperpilot.benchmarks._optuna import KINDS as OPTUNA_KINDS
from hyperpilot.benchmarks._optuna import OptunaAdapter, OptunaHyperbandAdapter
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.benchmarks._records import (
    RECORD_FORMAT,
    ResultsWriter,
    read_records,
    versions,
)
from hyperpilot.benchmarks._smac import KINDS as SMAC_KINDS
from hyperpilot.benchmarks._smac import SmacAdapter
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._registry import OPTIMIZERS

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
"""Environment variables set to 1 for every worker before it imports numerical libraries."""

REFERENCE_SEED = 0
"""Seed of the reference sample draw and of its tuning seed."""

CRASH_MESSAGE = ("the worker process died abruptly while running this run (a crash such as "
                 "a segfault, os._exit, or the out-of-memory killer)")

PEERS: dict[str, Callable[[], OptimizerAdapter]] = {
    **{f"optuna-{kind}": functools.partial(OptunaAdapter, kind) for kind in OPTUNA_KINDS},
    OptunaHyperbandAdapter.name: OptunaHyperbandAdapter,
    "optuna-tpe-hyperband-full": functools.partial(OptunaHyperbandAdapter, continued=False),
    **{f"smac-{kind}": functools.partial(SmacAdapter, kind) for kind in SMAC_KINDS},
}
"""Peer optimizers by their command-line name."""


def optimizer_names() -> list[str]:
    """Every optimizer name the runner knows: hyperpilot's registry, then the peers."""
    return [*sorted(OPTIMIZERS), *PEERS]


def make_adapter(name: str, spec: str | None = None) -> OptimizerAdapter:
    """The adapter for optimizer *name* (a registry name, ``optuna-KIND`` or ``smac-KIND``).

    With *spec* (the JSON text of a hyperpilot optimizer's description), *name* is the
    label of that variant instead.

    Raises:
        OptimizerError: for an unknown name, listing the known ones, or a bad *spec*.

    """
    if spec is not None:
        return HyperpilotAdapter(json.loads(spec), label=name)
    if name in PEERS:
        return PEERS[name]()
    if name in OPTIMIZERS:
        return HyperpilotAdapter(name)
    raise OptimizerError(f"unknown optimizer {name!r}; known: {', '.join(optimizer_names())}")


# ---------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class RunTask:
    """One run: an optimizer on a problem under a seed for *n_trials* evaluations."""

    problem: Problem
    optimizer: str
    seed: int
    n_trials: int
    spec: str | None = None  # a variant's description as JSON text, None for a name

    @property
    def key(self) -> tuple[Any, ...]:
        """What identifies the run in the results file."""
        return ("run", self.problem.name, self.optimizer, self.seed, self.n_trials)

    @property
    def label(self) -> str:
        """``problem/optimizer/seed`` for progress and messages."""
        return f"{self.problem.name}/{self.optimizer}/s{self.seed}"


@dataclass(frozen=True)
class ReferenceTask:
    """Uniform random configurations of one problem, evaluated once."""

    problem: Problem
    n_samples: int

    @property
    def key(self) -> tuple[Any, ...]:
        """What identifies the sample in the results file."""
        return ("reference", self.problem.name, self.n_samples)

    @property
    def label(self) -> str:
        """``problem/reference`` for progress and messages."""
        return f"{self.problem.name}/reference"


Task = RunTask | ReferenceTask


def record_key(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """The key of a record read from a results file (see :attr:`RunTask.key`)."""
    if record["kind"] == "reference":
        return ("reference", record["problem"], record["n_samples"])
    return ("run", record["problem"], record["optimizer"], record["seed"], record["n_trials"])


# ---------------------------------------------------------------------- in the worker
def limit_threads() -> None:
    """Limit this process to one thread for BLAS, OpenMP and PyTorch."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = "1"
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - scikit-learn and scipy bring it
        pass
    else:
        threadpool_limits(limits=1)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def execute(task: Task) -> dict[str, Any]:
    """Carry out *task* and return its record; never raises for a failing run."""
    limit_threads()
    # Thousands of runs: where each study lives and how each run went is the runner's
    # account to give; failures still show.
    logging.getLogger("hyperpilot").setLevel(logging.WARNING)
    if isinstance(task, ReferenceTask):
        return reference_record(task.problem, task.n_samples)
    try:
        adapter = make_adapter(task.optimizer, task.spec)
    except Exception as exc:
        return failed_record(task, exc)
    record = adapter.run(task.problem, n_trials=task.n_trials, seed=task.seed).to_json()
    limit_threads()  # an optimizer may have imported PyTorch during the run
    return record


def reference_record(problem: Problem, n_samples: int) -> dict[str, Any]:
    """Evaluate *n_samples* uniform random configurations of *problem* at the full budget."""
    out: dict[str, Any] = {
        "kind": "reference", "format": RECORD_FORMAT, "problem": problem.name,
        "family": problem.family, "n_samples": n_samples, "seed": REFERENCE_SEED,
        "status": "ok", "error": None, "traceback": None,
        "objectives": [{"name": o.name, "direction": o.direction} for o in problem.objectives],
        "values": {o.name: [] for o in problem.objectives},
        "optimum": problem.optimum, "reference_point": problem.reference_point,
        "versions": versions(), "started_at": time.time(),
    }
    try:
        rng = np.random.default_rng(REFERENCE_SEED)
        for config in problem.space.sample(n_samples, rng):
            raw = problem.evaluate(config, seed=REFERENCE_SEED)
            for objective in problem.objectives:
                value = float(raw[objective.name])
                out["values"][objective.name].append(value if np.isfinite(value) else None)
    except Exception as exc:
        out["status"] = "failed"
        out["error"], out["traceback"] = error_text(exc)
    out["finished_at"] = time.time()
    return out


def failed_record(task: Task, exc: BaseException | None, message: str | None = None
                  ) -> dict[str, Any]:
    """The record of a task that could not run: from *exc*, or with *message*."""
    error, trace = error_text(exc) if exc is not None else (message, None)
    problem = task.problem
    if isinstance(task, ReferenceTask):
        return {"kind": "reference", "format": RECORD_FORMAT, "problem": problem.name,
                "family": problem.family, "n_samples": task.n_samples,
                "seed": REFERENCE_SEED, "status": "failed", "error": error,
                "traceback": trace, "values": {}, "versions": versions()}
    record = RunRecord(
        problem=problem.name, family=problem.family, optimizer=task.optimizer,
        seed=task.seed, n_trials=task.n_trials, status="failed", error=error,
        traceback=trace, objectives=[{"name": o.name, "direction": o.direction}
                                     for o in problem.objectives],
        tuning_seed=task.seed, versions=versions(), started_at=time.time(),
        finished_at=time.time(),
    )
    return record.to_json()


# ---------------------------------------------------------------------- in the parent
@dataclass
class BenchmarkSummary:
    """What a call of :func:`run_benchmark` did."""

    planned: int = 0
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    unsupported: int = 0
    references: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one finished record."""
        if record["kind"] == "reference":
            self.references += 1
            if record["status"] != "ok":
                self.failures.append(f"{record['problem']}/reference: {record['error']}")
            return
        status = record["status"]
        if status == "ok":
            self.ok += 1
        elif status == "unsupported":
            self.unsupported += 1
        else:
            self.failed += 1
            self.failures.append(
                f"{record['problem']}/{record['optimizer']}/s{record['seed']}: {record['error']}")


def plan(problems: Sequence[Problem], optimizers: Sequence[str], *, n_trials: int,
         seeds: Sequence[int], reference_samples: int,
         variants: Mapping[str, Mapping[str, Any]] | None = None) -> list[Task]:
    """Every task of a benchmark: references first, then the runs seed by seed."""
    specs = {label: json.dumps(dict(spec), sort_keys=True)
             for label, spec in (variants or {}).items()}
    tasks: list[Task] = []
    if reference_samples > 0:
        tasks.extend(ReferenceTask(p, reference_samples) for p in problems)
    for seed in seeds:
        for problem in problems:
            tasks.extend(RunTask(problem, name, seed, n_trials, specs.get(name))
                         for name in optimizers)
    return tasks


def check_variants(variants: Mapping[str, Mapping[str, Any]],
                   records: Sequence[Mapping[str, Any]] = ()) -> None:
    """Check variant labels and descriptions, and that *records* ran the same settings.

    Raises:
        ValueError: for a label that is an optimizer's name or empty, or one whose runs
            in *records* used other settings.
        OptimizerError: for a description that does not build a hyperpilot optimizer.

    """
    known = set(optimizer_names())
    for label, spec in variants.items():
        if not label or label in known or "," in label:
            raise ValueError(f"variant label {label!r} must be a new name without commas "
                             f"(not one of {', '.join(sorted(known))})")
        try:
            config = HyperpilotAdapter(dict(spec), label=label).describe()
        except OptimizerError as exc:
            raise OptimizerError(f"variant {label!r}: {exc}") from None
        for record in records:
            stored = record.get("optimizer_config")
            if record.get("optimizer") == label and stored is not None and stored != config:
                raise ValueError(
                    f"variant {label!r}: the results file holds runs of {label!r} with other "
                    f"settings ({json.dumps(stored)}); choose another label or file")


def _check(problems: Sequence[Problem], optimizers: Sequence[str], n_trials: int,
           seeds: Sequence[int], jobs: int, reference_samples: int,
           variants: Mapping[str, Mapping[str, Any]]) -> None:
    if not problems:
        raise ValueError("no problems to run")
    names = [p.name for p in problems]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"problem names must be unique; repeated: {repeated}")
    if not optimizers:
        raise ValueError("no optimizers to run")
    for name in optimizers:
        if name not in variants:
            make_adapter(name)
    unused = sorted(set(variants) - set(optimizers))
    if unused:
        raise ValueError(f"variant {unused[0]!r} is defined but not among the optimizers")
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not seeds:
        raise ValueError("no seeds to run")
    bad = [s for s in seeds if not 0 <= s < TEST_SEED_BASE]
    if bad:
        raise ValueError(f"seeds must lie in [0, {TEST_SEED_BASE}) (larger ones are test "
                         f"seeds), got {bad[0]}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if reference_samples < 0:
        raise ValueError(f"reference_samples must be >= 0, got {reference_samples}")


def run_benchmark(
    problems: Sequence[Problem],
    optimizers: Sequence[str],
    *,
    n_trials: int,
    seeds: Sequence[int],
    out: str | Path,
    jobs: int = 1,
    reference_samples: int = 100,
    retry_failed: bool = False,
    progress: bool = True,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> BenchmarkSummary:
    """Run every optimizer on every problem under every seed, appending to *out*.

    Args:
        problems: the problems (picklable; names unique).
        optimizers: names as accepted by :func:`make_adapter`, and labels of *variants*.
        n_trials: evaluations per run (full-budget equivalents for multi-fidelity).
        seeds: run seeds, each in ``[0, TEST_SEED_BASE)``.
        out: the JSON-lines results file; created, or resumed when it exists.
        jobs: runs in parallel, each in its own worker process.
        reference_samples: random configurations per problem for the regret's scale
            (0: none; the report then uses the median of all observed values).
        retry_failed: run again the runs recorded as failed.
        progress: draw a progress bar on standard error.
        variants: hyperpilot optimizers with other settings under labels of their own,
            e.g. ``{"bo-eipi": {"name": "bo", "acquisition": "ei-pi", "n_trials": 100}}``;
            each run stores the optimizer's ``to_config()``, and resuming with other
            settings under the same label is refused.

    Raises:
        ValueError: for invalid arguments (``OptimizerError`` for an unknown optimizer).
        ResultsFileError: when *out* cannot be read or written.

    """
    variants = dict(variants or {})
    _check(problems, optimizers, n_trials, seeds, jobs, reference_samples, variants)
    finished = {"ok", "unsupported"} if retry_failed else {"ok", "failed", "unsupported"}
    records = read_records(out)
    check_variants(variants, records)
    done = {record_key(r) for r in records if r.get("status") in finished}
    writer = ResultsWriter(out)
    tasks = plan(problems, optimizers, n_trials=n_trials, seeds=seeds,
                 reference_samples=reference_samples, variants=variants)
    todo = [t for t in tasks if t.key not in done]
    summary = BenchmarkSummary(planned=len(tasks), skipped=len(tasks) - len(todo))
    from tqdm.auto import tqdm

    with tqdm(total=len(todo), desc="bench", unit="run", disable=not progress or not todo,
              file=sys.stderr, dynamic_ncols=True) as bar:
        def finish(record: dict[str, Any]) -> None:
            writer.append(record)
            summary.add(record)
            label = record["problem"] + "/" + record.get("optimizer", "reference")
            bar.set_postfix_str(f"{label} {record['status']}, {summary.failed} failed",
                                refresh=False)
            bar.update(1)

        run_tasks(todo, jobs=jobs, on_record=finish)
    return summary


@contextlib.contextmanager
def _single_thread_environment() -> Iterator[None]:
    """Set :data:`THREAD_VARIABLES` to 1 while workers are spawned (they inherit them)."""
    saved = {v: os.environ.get(v) for v in THREAD_VARIABLES}
    os.environ.update({v: "1" for v in THREAD_VARIABLES})
    try:
        yield
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def run_tasks(tasks: Sequence[Task], *, jobs: int,
              on_record: Callable[[dict[str, Any]], None]) -> None:
    """Execute *tasks* in a spawn-context process pool; hand every record to *on_record*."""
    context = multiprocessing.get_context("spawn")
    pending: deque[Task] = deque(tasks)
    with _single_thread_environment():
        while pending:
            suspects = _run_pool(pending, jobs, context, on_record)
            if len(suspects) == 1:
                on_record(failed_record(suspects[0], None, CRASH_MESSAGE))
            else:
                for task in suspects:  # which one killed the pool? each alone will tell
                    _run_pool(deque([task]), 1, context, on_record, crashed=True)


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes at once (their runs in flight are lost).

    ``ProcessPoolExecutor`` has no public way to do this before Python 3.14.
    """
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.terminate()


def _run_pool(pending: deque[Task], jobs: int, context: Any,
              on_record: Callable[[dict[str, Any]], None], *, crashed: bool = False,
              ) -> list[Task]:
    """Run tasks from *pending* until it is empty or the pool breaks.

    Returns the tasks that were in flight when the pool broke (empty if it did not). With
    ``crashed=True`` such tasks are recorded as failed instead.
    """
    suspects: list[Task] = []
    in_flight: dict[Future[dict[str, Any]], Task] = {}
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    interrupted = False
    try:
        broken = False
        while (pending and not broken) or in_flight:
            while pending and not broken and len(in_flight) < jobs:
                task = pending.popleft()
                try:
                    in_flight[pool.submit(execute, task)] = task
                except BrokenProcessPool:
                    pending.appendleft(task)
                    broken = True
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                task = in_flight.pop(future)
                try:
                    record = future.result()
                except BrokenProcessPool:
                    broken = True
                    suspects.append(task)
                    continue
                except Exception as exc:  # e.g. the problem does not pickle
                    record = failed_record(task, exc)
                on_record(record)
    except BaseException:  # Ctrl-C (KeyboardInterrupt): stop the runs in flight now
        interrupted = True
        _terminate_workers(pool)
        raise
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    if crashed:
        for task in suspects:
            on_record(failed_record(task, None, CRASH_MESSAGE))
        return []
    return suspects
