"""Independent workers on a shared storage: ``hyperpilot worker`` started several times.

Four worker processes run one study to 200 trials against SQLite and against the
PostgreSQL test server. Each worker prints how many trials it ran; together they must
account for every stored trial, and the storage must hold exactly 200 finished trials with
unique ids, numbers and configurations, each with the value of its configuration. Workers
that propose the same configuration at the same moment (``bo`` starts with the prior's mode)
store it once: the storage refuses the repeat and the worker asks again.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import hyperpilot as hp
from hyperpilot.trial._trial import TrialState

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX")]

N_WORKERS = 4
TOTAL = 200
CLI = "import sys; from hyperpilot.cli._main import main; sys.exit(main())"

RUN_FILE = '''
import time
import hyperpilot as hp

space = {"x": hp.Float(-5.0, 5.0), "y": hp.Float(-5.0, 5.0)}
seed = 11


def objective(config):
    time.sleep(SLEEP)
    return config["x"] ** 2 + 10 * config["y"]
'''


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _run_file(tmp_path: Path, sleep: float) -> Path:
    path = tmp_path / "quad.py"
    path.write_text(RUN_FILE.replace("SLEEP", repr(sleep)), encoding="utf-8")
    return path


def _start(run_file: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HYPERPILOT_STORAGE", None)
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "worker", str(run_file),
         "--storage", url, "--total-trials", str(TOTAL), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _finish(processes: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for process in processes:
        out, _ = process.communicate(timeout=120)
        outputs.append(out)
    return outputs


def _ran(output: str) -> int:
    match = re.search(r"ran (\d+) trials", output)
    assert match, output
    return int(match.group(1))


def _check_study(url: str, *, abandoned: int = 0) -> list[hp.Trial]:
    study = hp.load_study("quad", url)
    trials = study.trials
    study.storage.close()
    assert len(trials) == TOTAL, "the count is exact"
    assert len({t.id for t in trials}) == TOTAL, "no duplicate trial ids"
    assert sorted(t.number for t in trials) == list(range(TOTAL)), "numbers 0..199 once each"
    assert len({(t.config["x"], t.config["y"]) for t in trials}) == TOTAL, \
        "workers proposed the same configuration twice"
    assert not any(t.state == TrialState.RUNNING for t in trials), "nothing left running"
    failed = [t for t in trials if t.state == TrialState.FAILED]
    assert len(failed) == abandoned, [t.error for t in failed]
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            assert trial.value == pytest.approx(trial.config["x"] ** 2 + 10 * trial.config["y"])
    assert len({t.worker for t in trials}) == N_WORKERS
    return trials


def test_four_workers_share_a_study_exactly(
    url: str, tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    run_file = _run_file(tmp_path, 0.01)
    workers.extend(_start(run_file, url) for _ in range(N_WORKERS))
    outputs = _finish(workers)
    assert all(p.returncode == 0 for p in workers), outputs
    trials = _check_study(url)
    # No lost result: what the workers say they ran is exactly what is stored.
    assert sum(_ran(out) for out in outputs) == TOTAL
    assert all(t.state == TrialState.COMPLETE for t in trials)


def _running_trial_of(url: str, pid: int) -> bool:
    parsed = sa.engine.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT worker FROM hp_trials WHERE state = 'running'").all()
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()
    return any(str(worker).endswith(f":{pid}") for (worker,) in rows)


def test_a_worker_killed_mid_trial_leaves_a_failed_trial_and_the_others_finish(
    url: str, tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    run_file = _run_file(tmp_path, 0.03)
    workers.extend(_start(run_file, url, "--heartbeat-interval", "0.5")
                   for _ in range(N_WORKERS))
    victim = workers[0]
    deadline = time.monotonic() + 60
    while True:  # freeze the victim; kill it only while it runs a trial
        assert time.monotonic() < deadline, "never caught the worker running a trial"
        assert victim.poll() is None, "the worker ended before it could be killed"
        os.kill(victim.pid, signal.SIGSTOP)
        if _running_trial_of(url, victim.pid):
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()  # reap it, so that its process id is free
            break
        os.kill(victim.pid, signal.SIGCONT)
        time.sleep(0.05)
    outputs = _finish(workers[1:])
    assert all(p.returncode == 0 for p in workers[1:]), outputs
    trials = _check_study(url, abandoned=1)
    (dead,) = [t for t in trials if t.state == TrialState.FAILED]
    assert dead.worker is not None and dead.worker.endswith(f":{victim.pid}")
    assert dead.error == f"abandoned: worker {dead.worker} died while running it"
    complete_by_others = sum(_ran(out) for out in outputs)
    by_victim = sum(1 for t in trials if t.worker == dead.worker)
    assert complete_by_others + by_victim == TOTAL, "every trial is accounted for"


# ---------------------------------------------------------------------- proposals
BO_WORKER = '''
import os
import sys
import time
from pathlib import Path

import hyperpilot as hp
from hyperpilot.storage._sql import SQLStorage

space = {"lr": hp.Float(1e-4, 1e-1, log=True, prior=1e-3, confidence="medium"),
         "a": hp.Float(0, 1), "b": hp.Float(0, 1), "c": hp.Categorical(["p", "q", "r"])}


def objective(config):
    time.sleep(0.05)  # long enough that a worker slow to start still gets trials
    return (config["a"] - 0.3) ** 2 + config["b"] + {"p": 0.0, "q": 0.1, "r": 0.2}[config["c"]]


directory, url = Path(sys.argv[1]), sys.argv[2]
n_workers, total = int(sys.argv[3]), int(sys.argv[4])
add_trial = SQLStorage.add_trial


def add_first_trial_together(self, study_id, trial):
    # The workers ask at the same moment: each one's first proposal waits here until
    # every worker has made its own, so all of them propose before any is stored.
    SQLStorage.add_trial = add_trial
    (directory / f"proposed-{os.getpid()}").touch()
    while len(list(directory.glob("proposed-*"))) < n_workers:
        time.sleep(0.002)
    return add_trial(self, study_id, trial)


SQLStorage.add_trial = add_first_trial_together
study = hp.create_study(space=space, optimizer="bo", storage=url, name="priors", seed=5,
                        load_if_exists=True)
hp.run_worker(study, objective, total_trials=total)
'''


def test_independent_bo_workers_never_evaluate_a_configuration_twice(
    tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    # bo starts with the prior's mode, the same configuration in every worker: workers
    # that asked at the same moment each evaluated it.
    script = tmp_path / "bo_worker.py"
    script.write_text(BO_WORKER, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    total = 20
    workers.extend(
        subprocess.Popen([sys.executable, str(script), str(tmp_path), url, str(N_WORKERS),
                          str(total)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL)
        for _ in range(N_WORKERS)
    )
    outputs = _finish(workers)
    assert all(p.returncode == 0 for p in workers), outputs
    study = hp.load_study("priors", url)
    trials = study.trials
    study.storage.close()
    assert len(trials) == total
    assert all(t.state == TrialState.COMPLETE for t in trials), [t.error for t in trials]
    assert len({t.worker for t in trials}) == N_WORKERS
    configs = [tuple(sorted(t.config.items())) for t in trials]
    repeated = {c for c in configs if configs.count(c) > 1}
    assert not repeated, f"configurations evaluated more than once: {repeated}"
    assert sum(t.config == study.space.default_config() for t in trials) == 1


def test_independent_workers_never_propose_the_same_configuration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    base = hp.create_study(space={"x": hp.Float(0, 1)}, storage=url, seed=3, name="w",
                           optimizer="sobol")
    one = hp.Study(storage=base.storage, record=base.record,
                   optimizer=hp.make_optimizer("sobol"), independent=True)
    two = hp.Study(storage=hp.get_storage(url), record=base.record,
                   optimizer=hp.make_optimizer("sobol"), independent=True)
    # Both ask before either trial is stored: same number hint, other streams.
    configs = [one.history(), two.history()]
    assert configs[0].number == configs[1].number == 0
    assert configs[0].seed != configs[1].seed
    first, second = one.ask(), two.ask()
    assert first.config != second.config
    assert (first.number, second.number) == (0, 1)


class _Scripted(hp.Optimizer):
    """Proposes ``x = 0.5`` for the numbers in *repeat*, ``x = number / 100`` otherwise."""

    name = "scripted"

    def __init__(self, *, repeat: tuple[int, ...] = (0,), noisy: bool = False) -> None:
        self.repeat = repeat
        self.noisy = noisy
        self.asked: list[int] = []

    @property
    def wants_repeats(self) -> bool:
        return self.noisy

    def _ask(self, history: hp.History) -> hp.Proposal:
        self.asked.append(history.number)
        number = history.number
        return hp.Proposal({"x": 0.5 if number in self.repeat else number / 100})


def _two_handles(optimizer: hp.Optimizer, *, independent: bool = True) -> tuple[hp.Study,
                                                                                 hp.Study]:
    """One study and a handle that proposed before the first trial was stored."""
    first = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", seed=0,
                            optimizer="random")
    second = hp.Study(storage=first.storage, record=first.record, optimizer=optimizer,
                      independent=independent)
    assert second.history().number == 0  # both ask for trial 0 ...
    first.enqueue({"x": 0.5})
    first.ask()  # ... and the first stores it
    return first, second


def test_an_independent_worker_asks_again_when_its_proposal_is_taken() -> None:
    optimizer = _Scripted()
    _, second = _two_handles(optimizer)
    trial = second.ask()
    assert (trial.number, trial.config) == (1, {"x": 0.01})
    assert optimizer.asked == [0, 1], "asked again with the numbering of the storage"
    assert second.ask().number == 2


@pytest.mark.parametrize(("noisy", "independent"), [(True, True), (False, False)])
def test_a_repeat_is_stored_when_the_optimizer_wants_it_or_one_process_asks(
        noisy: bool, independent: bool) -> None:
    optimizer = _Scripted(noisy=noisy)
    _, second = _two_handles(optimizer, independent=independent)
    assert second.ask().config == {"x": 0.5}
    assert optimizer.asked == [0]


def test_an_independent_worker_stores_a_repeat_after_ten_refusals_and_says_why(
        caplog: pytest.LogCaptureFixture) -> None:
    optimizer = _Scripted(repeat=tuple(range(20)))
    _, second = _two_handles(optimizer)
    with caplog.at_level("WARNING", logger="hyperpilot"):
        trial = second.ask()
    assert trial.config == {"x": 0.5}
    assert len(optimizer.asked) == 11, "ten refusals, then stored without the check"
    (record,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "10 proposals in a row repeated configurations" in record.getMessage()


def test_a_single_process_stays_reproducible_and_resumes_the_sequence(tmp_path: Path) -> None:
    def run(name: str, n: int) -> list[dict[str, float]]:
        study = hp.create_study(space={"x": hp.Float(0, 1)}, storage=url, seed=7, name=name,
                                load_if_exists=True)
        study.optimize(lambda c: c["x"], n_trials=n, show_progress=False)
        return [t.config for t in study.trials]

    url = f"sqlite:///{tmp_path / 'r.db'}"
    straight = run("straight", 6)
    run("resumed", 3)
    resumed = run("resumed", 3)  # a new process would load it the same way
    assert resumed == straight, "a resumed study proposes what an uninterrupted one would"
    assert run("again", 6) == straight
