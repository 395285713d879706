"""The dashboard in a headless browser at 100,000 trials, against optuna-dashboard.

Builds one study of N trials (10 hyperparameters: eight floats, an integer and a
categorical; two objectives; 2 % failed) through the storage API (``add_trial`` +
``finish_trial``, no optimizer), serves it with ``hyperpilot dashboard`` in a subprocess
and, in Debian's Chromium driven by playwright, times over several runs (one browser
context, so scripts come from its cache after the first run): the overview until its
progress figure is drawn, the first trials page, a sort by the first objective and a
filter to the failed trials (each until the table shows the answer), and an importance
view from the cache when the analysis API exists (fetched in the page once computed).
The first overview after the server starts is reported apart, over several starts
(``--cold-runs``), each in a newly launched browser (so plotly.js is neither in its
cache nor compiled) against a newly started server (its caches empty, the page asked for
as soon as the server answers).

Then writes the same trials into an Optuna RDB storage (``optuna.trial.create_trial`` +
``study.add_trials`` in batches) and, when ``optuna-dashboard`` is installed (extra
``bench``), serves it in a subprocess and times its study page (until its history figure
is drawn) and its trials table, first page and a sort, in the same browser.

Run:  nice python benchmarks/dashboard.py [--trials 100000] [--runs 5] [--cold-runs 3]
      [--dir DIR] [--skip-optuna]
      (with --dir the databases are kept and reused by the next run)
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import hyperpilot as hp
from hyperpilot.storage._base import NewTrial, TrialOutcome
from hyperpilot.trial._trial import TrialState

CHROMIUM = "/usr/bin/chromium"
FAILED_EVERY = 50
KINDS = ["a", "b", "c"]
TIMEOUT_MS = 180_000


def space() -> dict[str, hp.Float | hp.Int | hp.Categorical]:
    params: dict[str, hp.Float | hp.Int | hp.Categorical] = {
        f"x{i}": hp.Float(0.0, 1.0) for i in range(8)}
    params["n"] = hp.Int(1, 100)
    params["kind"] = hp.Categorical(KINDS)
    return params


def trials_data(n: int) -> list[tuple[dict[str, Any], tuple[float, float] | None]]:
    """Each trial's configuration and its two values (``None`` for a failed trial)."""
    rng = np.random.default_rng(0)
    floats = rng.random((n, 8))
    ints = rng.integers(1, 101, n)
    kinds = rng.integers(0, 3, n)
    out: list[tuple[dict[str, Any], tuple[float, float] | None]] = []
    for i in range(n):
        config: dict[str, Any] = {f"x{j}": float(floats[i, j]) for j in range(8)}
        config["n"] = int(ints[i])
        config["kind"] = KINDS[int(kinds[i])]
        if i % FAILED_EVERY == 7:
            out.append((config, None))
        else:
            loss = float(np.sum((floats[i] - 0.3) ** 2) + 0.1 * kinds[i])
            out.append((config, (loss, float(ints[i]) / 100 + floats[i, 0])))
    return out


def build_hyperpilot(url: str, data: list[tuple[dict[str, Any], tuple[float, float] | None]],
                     ) -> None:
    study = hp.create_study(name="big", storage=url, optimizer="random", space=space(),
                            objectives=["loss", "cost"])
    storage, sid = study.storage, study.id
    for i, (config, values) in enumerate(data):
        trial = storage.add_trial(sid, NewTrial(config=config, created_at=1.0 + i))
        if values is None:
            storage.finish_trial(trial.id, TrialOutcome(
                state=TrialState.FAILED, finished_at=1.5 + i,
                error="RuntimeError: out of memory"))
        else:
            storage.finish_trial(trial.id, TrialOutcome(
                state=TrialState.COMPLETE, finished_at=1.5 + i,
                values={"loss": values[0], "cost": values[1]}))
    storage.close()


def build_optuna(url: str, data: list[tuple[dict[str, Any], tuple[float, float] | None]],
                 ) -> None:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions: dict[str, Any] = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(8)}
    distributions["n"] = IntDistribution(1, 100)
    distributions["kind"] = CategoricalDistribution(KINDS)
    study = optuna.create_study(study_name="big", storage=url,
                                directions=["minimize", "minimize"])
    study.set_metric_names(["loss", "cost"])
    batch: list[optuna.trial.FrozenTrial] = []
    for config, values in data:
        batch.append(optuna.trial.create_trial(
            state=optuna.trial.TrialState.FAIL if values is None
            else optuna.trial.TrialState.COMPLETE,
            values=None if values is None else list(values),
            params=config, distributions=distributions))
        if len(batch) == 5_000:
            study.add_trials(batch)
            batch = []
    if batch:
        study.add_trials(batch)


def executable(name: str) -> str:
    """A command installed next to this Python (the venv's), else on the PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(command: list[str], probe: str) -> Iterator[None]:
    """Run *command* (a web server) until the block ends; wait until *probe* answers."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start: "
                                       f"{process.stderr.read() if process.stderr else ''}"
                                       ) from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


Step = Callable[[Any], None]


def measure(browser: Any, steps: dict[str, tuple[str, Step]], runs: int,
            ) -> dict[str, list[float]]:
    """Seconds per step per run, in one browser context (so the second run on finds the
    scripts in the browser's cache, as a returning user does; the first run loads them).

    A step is an address to open (``""``: stay) and an action that returns once the
    page shows the answer; the clock starts before the navigation or action.
    """
    times: dict[str, list[float]] = {name: [] for name in steps}
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    from playwright.sync_api import TimeoutError as PageTimeout

    for _ in range(runs):
        for name, (address, action) in steps.items():
            start = time.perf_counter()
            try:
                if address:
                    page.goto(address)
                action(page)
            except PageTimeout:  # the page never showed it: no later step can follow
                times[name].append(math.inf)
                context.close()
                return times
            times[name].append(time.perf_counter() - start)
    context.close()
    return times


def hyperpilot_steps(base: str, best: int) -> dict[str, tuple[str, Step]]:
    first_row = "document.querySelector('#trials tr[data-number]')"

    def sort(page: Any) -> None:
        page.click("th[data-order='value:loss']")
        page.wait_for_function(f"{first_row} && {first_row}.dataset.number == '{best}'")

    def failed(page: Any) -> None:
        page.click("#state-filter input[value='failed']")
        page.wait_for_function(
            "(() => { const cells = document.querySelectorAll("
            "'#trials tr[data-number] td:nth-child(2)'); return cells.length > 0 && "
            "Array.from(cells).every(td => td.textContent == 'failed'); })()")

    return {
        "overview": (base + "/study/big",
                     lambda page: page.wait_for_selector("#progress svg.main-svg")),
        "trials, first page": (base + "/study/big/trials",
                               lambda page: page.wait_for_selector("#trials tr[data-number]")),
        "sort by loss": ("", sort),
        "filter: failed": ("", failed),
    }


def importance_step(base: str, wait: float) -> tuple[str, Step] | None:
    """Fetch an importance view from the cache in the page, once it has been computed.

    ``None`` without the analysis API, or when the view is not computed within *wait*
    seconds.
    """
    try:
        with urllib.request.urlopen(base + "/api/studies/big/analysis", timeout=30) as answer:
            views = json.load(answer)
    except OSError:
        return None
    names = [v["view"] for v in views if v.get("importance")]
    if not names:
        return None
    path = f"/api/studies/big/analysis/{names[0]}"
    start = time.monotonic()
    while time.monotonic() < start + wait:
        with urllib.request.urlopen(base + path, timeout=60) as answer:
            status = json.load(answer).get("status")
        if status in ("done", "error"):
            break
        time.sleep(1.0)
    else:
        print(f"hyperpilot: importance view {names[0]!r} not computed within {wait:.0f} s")
        return None
    print(f"hyperpilot: importance view {names[0]!r} {status} after "
          f"{time.monotonic() - start:.0f} s")
    script = (f"async () => {{ const r = await fetch('{path}'); const body = await r.json();"
              " return body.status; }")
    return (base + "/study/big/events",
            lambda page: page.evaluate(script) == "done" or None)


def optuna_steps(base: str) -> dict[str, tuple[str, Step]]:
    """optuna-dashboard 0.21: the study page's history figure, the trial list's first trial.

    Its trial table (``trialTable``) is no longer linked and draws nothing, and the trial
    list neither sorts by a value nor pages, so only these two steps compare.
    """
    return {
        "overview": (base + "/dashboard/studies/1",
                     lambda page: page.wait_for_selector(".js-plotly-plot svg.main-svg")),
        "trials, first page": (base + "/dashboard/studies/1/trials",
                               lambda page: page.wait_for_selector("text=(trial_id=1)")),
    }


def hyperpilot_command(db: Path, port: int) -> list[str]:
    return [executable("hyperpilot"), "dashboard", "--storage", f"sqlite:///{db}",
            "--port", str(port)]


def first_overview(playwright: Any, db: Path, best: int) -> float:
    """Seconds to the first overview drawn, in a new browser against a new server."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serve(hyperpilot_command(db, port), base + "/api/studies"):
            steps = {"overview": hyperpilot_steps(base, best)["overview"]}
            return measure(browser, steps, 1)["overview"][0]
    finally:
        browser.close()


def summary(times: list[float]) -> str:
    if math.inf in times:
        return f"> {TIMEOUT_MS / 1000:.0f} s (not shown)"
    return f"{statistics.median(times):7.2f} s  ({min(times):.2f}-{max(times):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", help="keep the databases here and reuse them")
    parser.add_argument("--cold-runs", type=int, default=3,
                        help="server starts for the first overview (each in a new browser)")
    parser.add_argument("--skip-optuna", action="store_true")
    parser.add_argument("--importance-wait", type=float, default=600.0,
                        help="seconds to wait for the importance view to be computed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = tempfile.mkdtemp(prefix="hp-dash-bench-")
    directory = Path(args.dir) if args.dir else Path(tmp)
    directory.mkdir(parents=True, exist_ok=True)
    hp_file = directory / f"hp-{args.trials}.db"
    optuna_file = directory / f"optuna-{args.trials}.db"
    data = trials_data(args.trials)
    complete = [(i, v) for i, (_, v) in enumerate(data) if v is not None]
    best = min(complete, key=lambda item: item[1][0])[0]
    try:
        if not hp_file.exists():
            start = time.perf_counter()
            build_hyperpilot(f"sqlite:///{hp_file}.part", data)
            Path(f"{hp_file}.part").rename(hp_file)
            print(f"hyperpilot: {args.trials} trials written through the storage API in "
                  f"{time.perf_counter() - start:.1f} s")
        results: dict[str, dict[str, list[float]]] = {}
        with sync_playwright() as playwright:
            cold = []
            for _ in range(args.cold_runs):
                cold.append(first_overview(playwright, hp_file, best))
                print(f"hyperpilot: first overview after start {cold[-1]:.2f} s", flush=True)
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with serve(hyperpilot_command(hp_file, port), base + "/api/studies"):
                results["hyperpilot"] = measure(browser, hyperpilot_steps(base, best),
                                                args.runs)
                if cold:
                    results["hyperpilot"]["first overview (cold server)"] = cold
                for name, times in results["hyperpilot"].items():  # in case the peer hangs
                    print(f"hyperpilot: {name:<30} {summary(times)}", flush=True)
                importance = importance_step(base, args.importance_wait)
                if importance is not None:
                    results["hyperpilot"].update(measure(
                        browser, {"importance (cached)": importance}, args.runs))
            if not args.skip_optuna:
                try:
                    import optuna_dashboard  # noqa: F401
                except ImportError:
                    print("optuna-dashboard is not installed (pip install optuna-dashboard)")
                else:
                    if not optuna_file.exists():
                        start = time.perf_counter()
                        build_optuna(f"sqlite:///{optuna_file}.part", data)
                        Path(f"{optuna_file}.part").rename(optuna_file)
                        print(f"optuna: {args.trials} trials written with add_trials in "
                              f"{time.perf_counter() - start:.1f} s")
                    port = free_port()
                    base = f"http://127.0.0.1:{port}"
                    with serve([executable("optuna-dashboard"), f"sqlite:///{optuna_file}",
                                "--host", "127.0.0.1", "--port", str(port)],
                               base + "/dashboard"):
                        results["optuna-dashboard"] = measure(browser, optuna_steps(base),
                                                              args.runs)
            browser.close()
        print(f"\n{args.trials} trials, {args.runs} runs, median (min-max):")
        ours, theirs = results["hyperpilot"], results.get("optuna-dashboard", {})
        print(f"{'step':<30} {'hyperpilot':>26} {'optuna-dashboard':>26} {'ratio':>8}")
        for name, times in ours.items():
            other = theirs.get(name)
            ratio = (f"{statistics.median(other) / statistics.median(times):7.1f}x"
                     if other and math.inf not in other else "      -")
            print(f"{name:<30} {summary(times):>26} "
                  f"{summary(other) if other else '-':>26} {ratio:>8}")
    finally:
        if not args.dir:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
