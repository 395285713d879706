"""A multi-fidelity study killed with SIGKILL mid-bracket resumes the same schedule.

A child process runs a study with a fidelity (epochs 1..9, so the rungs are 1, 3 and 9)
and ``hyperband`` or ``asha`` on SQLite, its objective sleeping 20 ms: alone, with a pool
of two workers, or as two independent ``run_worker`` processes. Once enough trials are
finished the processes are frozen with SIGSTOP at a moment when a trial runs, and killed
with SIGKILL (with their pool workers). New processes reopen the study and complete it.
Then:

* nothing stored before the kill changed, and the trials running at the kill were failed
  as abandoned (their worker died) and never promoted; no trial was promoted twice, and
  each promotion carries its source's configuration one rung up;
* when one process asks (alone, or with a pool), every trial before and after the kill is
  what the schedule rules prescribe given the trials stored when it was asked for: its
  bracket, rung, budget and, for a promotion, the trial it promotes. The rules are
  replayed here from the stored trials (a trial was finished at an ask when it was
  finished before the asked trial was created), with Hyperband also written out as the
  paper's loop of brackets. Independent workers each decide from what they read a moment
  before: each promotion is one the rules allowed at some moment of the second before;
* no bracket starts again: the bracket cut by the kill is continued and no rung holds
  more trials than its bracket allows (two independent workers that fill the last place
  of a first rung at once add one too many);
* run alone, the resumed study equals an uninterrupted run with the same seed in which the
  trials that were running at the kill fail.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.trial._trial import Trial, TrialState

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX")]

STUDY = "mf-kill-resume"
SEED = 3
ETA = 3
LEVELS = (1, 3, 9)  # the rungs of epochs 1..9 with eta 3
CYCLE = (2, 1, 0)  # Hyperband's brackets: 9, 3, 1 at 1, 3, 9; 5, 1 at 3, 9; 3 at 9
TOTAL = 44  # two rounds of Hyperband's three brackets (13 + 6 + 3 trials each)

CHILD = """
import math, sys, time
import hyperpilot as hp

def objective(config, budget):
    time.sleep(0.02)
    x = config["x"]
    return (x - 0.3) ** 2 + 0.05 * math.sin(9 * x) / budget

if __name__ == "__main__":
    mode, url, name, optimizer, total, workers = sys.argv[1:7]
    if mode == "create":
        study = hp.create_study(space={"x": hp.Float(0, 1)}, storage=url, name=name,
                                seed=int(sys.argv[7]), optimizer=optimizer,
                                fidelity=hp.Fidelity("epochs", 1, 9))
    elif mode == "new":  # only create it, for the workers
        hp.create_study(space={"x": hp.Float(0, 1)}, storage=url, name=name,
                        seed=int(sys.argv[7]), optimizer=optimizer,
                        fidelity=hp.Fidelity("epochs", 1, 9))
        sys.exit(0)
    if mode == "worker":  # one of several independent workers
        hp.run_worker(name, objective, storage=url, total_trials=int(total))
    else:
        study = study if mode == "create" else hp.load_study(name, url)
        study.optimize(objective, total_trials=int(total), n_workers=int(workers) or None,
                       show_progress=False)
"""


def objective(config: dict[str, Any], budget: int) -> float:
    """The child's objective, without the sleep."""
    x = config["x"]
    return float((x - 0.3) ** 2 + 0.05 * math.sin(9 * x) / budget)


@dataclass
class Child:
    """Starts the study's processes (each alone in its process group), reads its database.

    *workers*: 0 for independent workers (``run_worker``), else ``optimize``'s
    ``n_workers``.
    """

    tmp_path: Path
    optimizer: str
    workers: int
    started: int = 0

    @property
    def db(self) -> Path:
        return self.tmp_path / "mf.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def start(self, mode: str) -> subprocess.Popen[bytes]:
        script = self.tmp_path / "child.py"
        script.write_text(CHILD, encoding="utf-8")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("HYPERPILOT_STORAGE", None)
        self.started += 1
        stderr = (self.tmp_path / f"{self.started}.stderr").open("wb")
        try:
            return subprocess.Popen(
                [sys.executable, str(script), mode, self.url, STUDY, self.optimizer,
                 str(TOTAL), str(self.workers), str(SEED)],
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env,
                cwd=self.tmp_path, start_new_session=True)
        finally:
            stderr.close()

    def counts(self) -> dict[str, int]:
        query = "SELECT state, count(*) FROM hp_trials GROUP BY state"
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
                rows = conn.execute(query).fetchall()
            conn.close()
        except sqlite3.Error:
            return {}  # not created yet
        return dict(rows)

    def errors(self) -> str:
        return "\n".join(path.read_text(errors="replace")
                         for path in sorted(self.tmp_path.glob("*.stderr")))

    def run(self, mode: str) -> list[subprocess.Popen[bytes]]:
        """Start the study's processes: one, or two independent workers."""
        if self.workers:
            return [self.start("create" if mode == "first" else "resume")]
        if mode == "first":
            assert self.start("new").wait(timeout=60) == 0, self.errors()
        return [self.start("worker") for _ in range(2)]

    def kill_while_a_trial_runs(self, processes: Sequence[subprocess.Popen[bytes]],
                                finished: int) -> None:
        """Wait for *finished* finished trials, then kill everything while a trial runs."""
        deadline = time.monotonic() + 60
        while sum(n for s, n in self.counts().items() if s != "running") < finished:
            if any(p.poll() is not None for p in processes):
                pytest.fail(f"a process of the study exited early:\n{self.errors()}")
            if time.monotonic() > deadline:
                pytest.fail(f"only {self.counts()} trials in 60 s")
            time.sleep(0.01)
        for _ in range(500):
            for process in processes:  # freeze the processes that ask and tell
                os.kill(process.pid, signal.SIGSTOP)
            if self.counts().get("running", 0) >= 1:
                for process in processes:  # and their pool workers with them
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()  # reap it: a zombie counts as alive
                return
            for process in processes:
                os.kill(process.pid, signal.SIGCONT)
            time.sleep(0.003)
        pytest.fail("never caught the study with a running trial")

    def resume(self) -> None:
        """Run new processes on the study until it holds its trials."""
        processes = self.run("again")
        try:
            for process in processes:
                assert process.wait(timeout=60) == 0, self.errors()
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture(params=["hyperband", "asha"])
def optimizer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=[1, 2, 0], ids=["alone", "pool-of-two", "two-run-workers"])
def child(request: pytest.FixtureRequest, tmp_path: Path, optimizer: str) -> Child:
    return Child(tmp_path, optimizer, int(request.param))


# ---------------------------------------------------------------- the rules, replayed
@dataclass(frozen=True)
class Seen:
    """A trial as the optimizer saw it when a later trial was asked for."""

    trial: Trial
    finished: bool

    @property
    def complete(self) -> bool:
        return self.finished and self.trial.state == TrialState.COMPLETE

    def tag(self, key: str) -> dict[str, Any]:
        return dict(self.trial.meta[key])


def _seen_at(trials: Sequence[Trial], asked: Trial) -> list[Seen]:
    """The trials before *asked*, finished iff they finished before it was created."""
    return [Seen(t, t.finished_at is not None and t.finished_at <= asked.created_at)
            for t in trials if t.number < asked.number]


def _best(seen: Sequence[Seen], count: int) -> list[int]:
    """The numbers of the *count* best complete trials (value, then number)."""
    done = sorted((s.trial.value, s.trial.number) for s in seen if s.complete)
    return [number for _, number in done[:count]]


def _sizes(s: int) -> list[int]:
    """Trials per rung of the bracket with *s* halvings (the paper's table for 1..9)."""
    return {2: [9, 3, 1], 1: [5, 1], 0: [3]}[s]


def hyperband_rule(seen: Sequence[Seen]) -> dict[str, Any]:
    """What Hyperband asks next: the oldest bracket with something to do gets the trial."""
    brackets: dict[int, dict[int, list[Seen]]] = {}
    for s in seen:
        tag = s.tag("hyperband")
        brackets.setdefault(tag["bracket"], {}).setdefault(tag["rung"], []).append(s)
    for k in range(len(brackets) + 1):
        s_ = CYCLE[k % len(CYCLE)]
        sizes, rungs, base = _sizes(s_), brackets.get(k, {}), len(LEVELS) - 1 - s_
        if len(rungs.get(0, [])) < sizes[0]:
            return {"bracket": k, "s": s_, "rung": 0, "budget": LEVELS[base]}
        expected = sizes[0]
        for rung in range(1, s_ + 1):
            below = rungs.get(rung - 1, [])
            if len(below) < expected or not all(b.finished for b in below):
                break
            best = _best(below, sizes[rung])
            done = {a.tag("hyperband")["from"] for a in rungs.get(rung, [])}
            todo = [number for number in best if number not in done]
            if todo:
                return {"bracket": k, "s": s_, "rung": rung, "from": todo[0],
                        "budget": LEVELS[base + rung]}
            expected = len(best)
    raise AssertionError("a new bracket always has room")


def asha_rule(seen: Sequence[Seen]) -> dict[str, Any]:
    """What ASHA asks next: a promotion from the highest rung that has one, else a new one."""
    rungs: list[list[Seen]] = [[] for _ in LEVELS]
    for s in seen:
        rungs[s.tag("asha")["rung"]].append(s)
    for rung in range(len(LEVELS) - 2, -1, -1):
        finished = sum(s.finished for s in rungs[rung])
        done = {a.tag("asha")["from"] for a in rungs[rung + 1]}
        todo = [n for n in _best(rungs[rung], finished // ETA) if n not in done]
        if todo:
            return {"rung": rung + 1, "from": todo[0], "budget": LEVELS[rung + 1]}
    return {"rung": 0, "budget": LEVELS[0]}


def _as_asked(trial: Trial, key: str) -> dict[str, Any]:
    return {**trial.meta[key], "budget": trial.budget}


def _paper_hyperband(trials: Sequence[Trial]) -> list[dict[str, Any]]:
    """Hyperband as the paper's loop, one bracket after the other (one worker only).

    Each rung's survivors are the best complete trials of the rung below, read from the
    stored outcomes; the tags are those the trials in *trials* must carry, in order.
    """
    tags: list[dict[str, Any]] = []
    k = 0
    while len(tags) < len(trials):
        s_ = CYCLE[k % len(CYCLE)]
        sizes, base = _sizes(s_), len(LEVELS) - 1 - s_
        rung_trials = trials[len(tags):len(tags) + sizes[0]]
        tags += [{"bracket": k, "s": s_, "rung": 0, "budget": LEVELS[base]}] * sizes[0]
        for rung in range(1, s_ + 1):
            ranked = sorted((t.value, t.number) for t in rung_trials
                            if t.state == TrialState.COMPLETE)
            survivors = [number for _, number in ranked[:sizes[rung]]]
            start = len(tags)
            tags += [{"bracket": k, "s": s_, "rung": rung, "from": n,
                      "budget": LEVELS[base + rung]} for n in survivors]
            rung_trials = trials[start:start + len(survivors)]
        k += 1
    return tags[:len(trials)]


# ---------------------------------------------------------------- the test
def _key(optimizer: str) -> str:
    return "hyperband" if optimizer == "hyperband" else "asha"


def _partly_done(trials: Sequence[Trial], optimizer: str) -> bool:
    """Whether the kill left work behind: Hyperband, a bracket that its next trial continues
    (the running trials taken as failed); ASHA, promotions made and a trial running."""
    if optimizer == "asha":
        return (any(t.meta["asha"]["rung"] > 0 for t in trials)
                and any(t.state == TrialState.RUNNING for t in trials))
    failed = [Seen(t if t.state.is_finished else replace(t, state=TrialState.FAILED), True)
              for t in trials]
    return bool(hyperband_rule(failed)["bracket"] <= max(
        t.meta["hyperband"]["bracket"] for t in trials))


def _promotable(trials: Sequence[Trial], promotion: Trial, key: str) -> bool:
    """Whether the rule could promote *promotion*'s source at some moment of the second
    before it was created (an independent worker asks from what it read a moment ago)."""
    tag = promotion.meta[key]
    source = trials[tag["from"]]
    rung = [t for t in trials if t.meta[key]["rung"] == tag["rung"] - 1
            and t.meta[key].get("bracket") == tag.get("bracket")]
    created = promotion.created_at
    moments = [created, *(t.finished_at for t in rung if t.finished_at is not None
                          and created - 1.0 <= t.finished_at <= created)]
    for moment in moments:
        done = [Seen(t, True) for t in rung
                if t.finished_at is not None and t.finished_at <= moment]
        quota = (len(done) // ETA if key == "asha"
                 else _sizes(tag["s"])[tag["rung"]])
        if source.number in _best(done, quota):
            return True
    return False


def test_a_killed_study_resumes_its_schedule(child: Child, optimizer: str) -> None:
    processes = child.run("first")
    try:
        child.kill_while_a_trial_runs(processes, finished=15)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    before_study = hp.load_study(STUDY, child.url)
    before = before_study.trials
    before_study.storage.close()
    running = [t for t in before if t.state == TrialState.RUNNING]
    assert 1 <= len(running) <= max(child.workers, len(processes))
    killed = {f"{socket.gethostname()}:{process.pid}" for process in processes}
    assert {t.worker for t in running} <= killed
    assert _partly_done(before, optimizer), "the kill did not land mid-bracket"

    child.resume()

    study = hp.load_study(STUDY, child.url)
    after = study.trials
    study.storage.close()
    assert [t.number for t in after] == list(range(len(after)))
    assert sum(t.state.is_finished for t in after) == len(after) == TOTAL
    by_id = {t.id: t for t in after}
    # Nothing stored is lost or changed; the trials running at the kill were abandoned.
    for old in before:
        new = by_id[old.id]
        if old.state == TrialState.RUNNING:
            assert (new.state, new.error) == (
                TrialState.FAILED, f"abandoned: worker {old.worker} died while running it")
            assert (new.number, new.config, new.budget, new.meta) == (
                old.number, old.config, old.budget, old.meta)
        else:
            assert new == old
    key = _key(optimizer)
    abandoned = {t.number for t in running}
    sources = [t.meta[key]["from"] for t in after if "from" in t.meta[key]]
    assert len(sources) == len(set(sources)), "a trial was promoted twice"
    assert not abandoned & set(sources)
    for trial in after:
        source = trial.meta[key].get("from")
        if source is not None:  # a promotion carries its source's configuration up
            assert trial.config == after[source].config
            assert after[source].state == TrialState.COMPLETE
            assert trial.meta[key]["rung"] == after[source].meta[key]["rung"] + 1
            assert trial.budget == LEVELS[LEVELS.index(after[source].budget) + 1]
    if child.workers:
        # One process asks: every trial is what the rules prescribe given the trials
        # stored when it was asked for.
        rule = hyperband_rule if optimizer == "hyperband" else asha_rule
        for trial in after:
            assert _as_asked(trial, key) == rule(_seen_at(after, trial)), trial.number
    else:
        # Independent workers decide from what each read a moment before.
        for trial in after:
            if "from" in trial.meta[key]:
                assert _promotable(after, trial, key), trial.number
    if optimizer == "hyperband":
        # Resumed, not restarted: the first trial after the kill continues a stored
        # bracket, and no rung holds more trials than its bracket allows. (Two independent
        # workers that fill the last place of a first rung at once add one too many.)
        brackets = [t.meta["hyperband"]["bracket"] for t in after]
        assert brackets[len(before)] <= max(brackets[:len(before)])
        for k in set(brackets):
            members = [t for t in after if t.meta["hyperband"]["bracket"] == k]
            sizes = _sizes(members[0].meta["hyperband"]["s"])
            sizes[0] += 0 if child.workers else len(processes) - 1
            for rung, size in enumerate(sizes):
                assert sum(t.meta["hyperband"]["rung"] == rung for t in members) <= size
    if child.workers == 1:
        if optimizer == "hyperband":
            assert [_as_asked(t, key) for t in after] == _paper_hyperband(after)
        _same_as_an_uninterrupted_run(after, optimizer, failing=abandoned)


def _same_as_an_uninterrupted_run(after: Sequence[Trial], optimizer: str,
                                  failing: set[int]) -> None:
    """One process, same seed, the abandoned trials failing: the very same trials."""

    def fail_some(config: dict[str, Any], budget: int, trial: hp.Trial) -> float:
        if trial.number in failing:
            raise RuntimeError("failed as the killed run's trial was")
        return objective(config, budget)

    reference = hp.create_study(space={"x": hp.Float(0, 1)}, seed=SEED, optimizer=optimizer,
                                fidelity=hp.Fidelity("epochs", 1, 9))
    reference.optimize(fail_some, total_trials=TOTAL, show_progress=False)

    def outline(trials: Sequence[Trial]) -> list[tuple[Any, ...]]:
        return [(t.number, t.config, t.budget, t.meta[_key(optimizer)], t.state, t.values)
                for t in trials]

    assert outline(after) == outline(reference.trials)
