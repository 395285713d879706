"""Run one objective call in a fresh child process, under time and memory limits.

The child is a new interpreter (``subprocess``, so it works from any thread, in Dask
workers and in process-pool workers alike) in its own process group. The parent:

* writes the pickled call to the child's standard input and reads the child's messages
  from a pipe (:mod:`hyperpilot.execution._child`): the learning-curve points the
  objective reports, each handed at once to the ``trial`` argument of this side (so the
  trial's reporter stores it, or keeps it for the result), ``should_stop`` questions,
  answered on a second pipe, and at the end the result;
* keeps the last :attr:`Isolation.output_limit` bytes of the child's stdout and stderr
  (file descriptors 1 and 2, so output of C code and of subprocesses is captured too);
* enforces the wall-time limit: ``SIGTERM`` to the process group, ``SIGKILL`` after
  :attr:`Isolation.kill_grace` seconds;
* enforces the memory limit on the resident memory of the child and its descendants
  (sampled with psutil every 50 ms, and the child's own peak read when it ends), while
  the child caps its data segment at its size at start plus the limit (``RLIMIT_DATA``),
  so that a runaway allocation fails at once with ``MemoryError`` instead of swamping
  the machine between two samples;
* turns the exit status into a reason a person can read.
"""

from __future__ import annotations

import contextlib
import copy
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hyperpilot.execution._child import send_frame
from hyperpilot.execution._limits import format_bytes
from hyperpilot.trial._trial import USER_ATTRS, Step, Trial, TrialState, bind_reporter

CHILD_SCRIPT = str(Path(__file__).with_name("_child.py"))
_MEMORY_POLL = 0.05
_IDLE_POLL = 0.1
_DRAIN_AFTER_EXIT = 0.2
_STDERR_LINES = 20


@dataclass(frozen=True)
class Isolation:
    """How an isolated trial runs: each in a fresh child process with these limits.

    Args:
        memory_limit: bytes of resident memory the trial's processes may use together;
            ``None`` for no limit.
        output_limit: bytes of stdout and of stderr kept per trial (the last ones).
        kill_grace: seconds between ``SIGTERM`` and ``SIGKILL`` when a trial runs out of
            time.

    """

    memory_limit: int | None = None
    output_limit: int = 64 * 1024
    kill_grace: float = 2.0


@dataclass(frozen=True)
class CallOutcome:
    """How one objective call ended: what the study tells.

    ``state`` is complete (then ``result`` is what the objective returned), failed (then
    ``error`` says why) or pruned; ``meta`` holds captured output and measurements;
    ``intermediate`` the learning-curve points ``(step, value, time)`` that could not be
    stored while the trial ran (a worker that cannot reach the storage), to store first.
    """

    state: TrialState
    result: Any = None
    error: str | None = None
    meta: dict[str, Any] | None = None
    intermediate: tuple[tuple[Step, float, float], ...] = ()


class _Tail:
    """The last *limit* bytes written to a stream, and how many came before them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.cut = 0

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        excess = len(self.data) - self.limit
        if excess > 0:
            del self.data[:excess]
            self.cut += excess

    def text(self) -> str:
        body = self.data.decode("utf-8", errors="replace")
        if self.cut:
            return f"[... {self.cut} earlier bytes cut ...]\n{body}"
        return body


def _signal_text(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"killed by signal {number}"
    description = signal.strsignal(number) or ""
    description = description[:1].lower() + description[1:]
    return f"killed by signal {name} ({description})" if description else f"killed by {name}"


def exit_reason(code: Any) -> str:
    """The reason for a trial whose objective called ``sys.exit(code)``."""
    if code is None or isinstance(code, int):
        return f"exited with code {code or 0} (sys.exit)"
    return f"exited with code 1 (sys.exit({code!r}))"


def _tree_rss(pid: int) -> int:
    """Resident bytes of process *pid* and its descendants (0 if it is gone)."""
    import psutil  # type: ignore[import-untyped,unused-ignore]

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_info().rss
    return total


class _Supervisor:
    """Watches one child: reads its output and answer, enforces the limits."""

    def __init__(self, process: subprocess.Popen[bytes], answer_fd: int, reply_fd: int,
                 isolation: Isolation, timeout: float | None,
                 cancel: threading.Event | None, trial: Any = None) -> None:
        self.process = process
        self.answer_fd = answer_fd
        self.reply_fd = reply_fd
        self.isolation = isolation
        self.timeout = timeout
        self.cancel = cancel
        self.trial = trial
        self.tails = {"stdout": _Tail(isolation.output_limit),
                      "stderr": _Tail(isolation.output_limit)}
        self.inbox = bytearray()
        self.answer: tuple[str, Any, int | None, dict[str, Any] | None] | None = None
        self.unreadable: str | None = None
        self.killed_for: str | None = None
        self.peak = 0
        self._term_at: float | None = None

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _stop(self, reason: str, *, now: float, gently: bool) -> None:
        self.killed_for = reason
        if gently and self.isolation.kill_grace > 0:
            self._signal_group(signal.SIGTERM)
            self._term_at = now
        else:
            self._signal_group(signal.SIGKILL)

    def _check(self, now: float, deadline: float, next_sample: float) -> float:
        """Apply the limits; return when to sample memory next."""
        if self.killed_for is None:
            if now >= deadline:
                self._stop("timeout", now=now, gently=True)
            elif self.cancel is not None and self.cancel.is_set():
                self._stop("cancelled", now=now, gently=False)
        elif self._term_at is not None and now >= self._term_at + self.isolation.kill_grace:
            self._signal_group(signal.SIGKILL)
            self._term_at = None
        limit = self.isolation.memory_limit
        if limit is not None and now >= next_sample:
            rss = _tree_rss(self.process.pid)
            self.peak = max(self.peak, rss)
            if rss > limit and self.killed_for is None:
                self._stop("memory", now=now, gently=False)
            return now + _MEMORY_POLL
        return next_sample

    def run(self, payload: bytes) -> CallOutcome:
        stdin: IO[bytes] | None = self.process.stdin
        assert stdin is not None and self.process.stdout and self.process.stderr
        with contextlib.suppress(BrokenPipeError, OSError):
            stdin.write(payload)
        with contextlib.suppress(BrokenPipeError, OSError):
            stdin.close()
        selector = selectors.DefaultSelector()
        streams = {self.process.stdout.fileno(): "stdout",
                   self.process.stderr.fileno(): "stderr", self.answer_fd: "answer"}
        for fd in streams:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        start = time.monotonic()
        deadline = start + self.timeout if self.timeout is not None else float("inf")
        next_sample = start if self.isolation.memory_limit is not None else float("inf")
        exited_at: float | None = None
        try:
            while selector.get_map():
                now = time.monotonic()
                next_sample = self._check(now, deadline, next_sample)
                if exited_at is None and self.process.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > _DRAIN_AFTER_EXIT:
                    break  # descendants hold the pipes open; they are killed below
                wake = [now + _IDLE_POLL, next_sample]
                if self.killed_for is None:
                    wake.append(deadline)
                elif self._term_at is not None:
                    wake.append(self._term_at + self.isolation.kill_grace)
                wait = max(min(wake) - now, 0.0)
                for key, _ in selector.select(wait):
                    self._read(selector, key.fd, streams[key.fd])
        finally:
            selector.close()
            self._signal_group(signal.SIGKILL)  # whatever the trial left running
            self.process.wait()
            self._signal_group(signal.SIGKILL)
            for stream in (self.process.stdout, self.process.stderr):
                stream.close()
            os.close(self.answer_fd)
            os.close(self.reply_fd)
        return self._outcome()

    def _read(self, selector: selectors.BaseSelector, fd: int, name: str) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            selector.unregister(fd)
            return
        if name == "answer":
            self.inbox += chunk
            self._dispatch()
        else:
            self.tails[name].add(chunk)

    def _dispatch(self) -> None:
        """Handle every complete frame the child has sent."""
        while len(self.inbox) >= 8:
            size = int.from_bytes(self.inbox[:8], "big")
            if len(self.inbox) < 8 + size:
                return
            data = bytes(self.inbox[8:8 + size])
            del self.inbox[:8 + size]
            try:
                message = pickle.loads(data)
            except Exception as exc:
                self.unreadable = f"{type(exc).__name__}: {exc}"
                continue
            if message[0] == "result":
                self.answer = message[1:]
            else:
                self._answer_question(message)

    def _answer_question(self, message: tuple[Any, ...]) -> None:
        """Report a point or ask should_stop through this side's trial; answer the child."""
        reply: tuple[str, Any]
        try:
            if self.trial is None:
                raise RuntimeError(f"an isolated trial asked {message[0]!r} without a trial")
            if message[0] == "report":
                self.trial.report(message[1], message[2])
                reply = ("ok", None)
            else:
                reply = ("ok", bool(self.trial.should_stop()))
        except Exception as exc:
            reply = ("error", exc)
        try:
            send_frame(self.reply_fd, reply)
        except (BrokenPipeError, OSError):
            pass  # the child is gone
        except Exception:  # the exception does not pickle: send its text
            error = reply[1]
            with contextlib.suppress(BrokenPipeError, OSError):
                send_frame(self.reply_fd, ("error", RuntimeError(
                    f"{type(error).__name__}: {error}")))

    def _outcome(self) -> CallOutcome:
        meta: dict[str, Any] = {name: tail.text() for name, tail in self.tails.items()
                                if tail.data or tail.cut}
        answer = self.answer
        if answer is None and self.unreadable is not None:
            return CallOutcome(TrialState.FAILED, meta=meta,
                               error=f"cannot read the trial's result: {self.unreadable}")
        if answer is not None and answer[2]:
            self.peak = max(self.peak, int(answer[2]))
        if answer is not None and answer[3]:
            meta[USER_ATTRS] = answer[3]
        if self.peak:
            meta["peak_memory_mb"] = round(self.peak / 1e6, 1)
        limit = self.isolation.memory_limit
        out_of_memory = f"ran out of memory (memory limit {format_bytes(limit or 0)})"
        if self.killed_for == "timeout":
            error = f"trial exceeded its time limit of {self.timeout:g} s"
            return CallOutcome(TrialState.FAILED, error=self._with_stderr(error), meta=meta)
        if self.killed_for == "memory":
            error = f"{out_of_memory}\nresident memory reached {format_bytes(self.peak)}"
            return CallOutcome(TrialState.FAILED, error=error, meta=meta)
        if self.killed_for == "cancelled":
            return CallOutcome(TrialState.FAILED, error="cancelled while running", meta=meta)
        if answer is None:
            code = self.process.returncode
            if code < 0:
                near = limit is not None and self.peak >= 0.9 * limit
                error = out_of_memory if near else _signal_text(-code)
            else:
                error = f"exited with code {code}" + (
                    " without returning a result" if code == 0 else "")
            return CallOutcome(TrialState.FAILED, error=self._with_stderr(error), meta=meta)
        kind, payload, _, _ = answer
        if kind == "memory":
            return CallOutcome(TrialState.FAILED, error=f"{out_of_memory}\n{payload}", meta=meta)
        if limit is not None and self.peak > limit:
            error = f"{out_of_memory}\nresident memory reached {format_bytes(self.peak)}"
            return CallOutcome(TrialState.FAILED, error=error, meta=meta)
        if kind == "ok":
            return CallOutcome(TrialState.COMPLETE, result=payload, meta=meta)
        if kind == "pruned":
            return CallOutcome(TrialState.PRUNED, error=payload or None, meta=meta)
        if kind == "exit":
            return CallOutcome(TrialState.FAILED, error=self._with_stderr(exit_reason(payload)),
                           meta=meta)
        return CallOutcome(TrialState.FAILED, error=str(payload), meta=meta)

    def _with_stderr(self, reason: str) -> str:
        tail = self.tails["stderr"].data.decode("utf-8", errors="replace").rstrip()
        if not tail:
            return reason
        lines = tail.splitlines()[-_STDERR_LINES:]
        return reason + "\nlast lines of stderr:\n" + "\n".join(lines)


def run_isolated(objective: bytes, config: dict[str, Any], kwargs: dict[str, Any], *,
                 isolation: Isolation, timeout: float | None,
                 sys_path: tuple[str, ...] = (),
                 cancel: threading.Event | None = None) -> CallOutcome:
    """Call the pickled *objective* in a fresh child process under *isolation*'s limits.

    Args:
        objective: the objective as :func:`cloudpickle.dumps` wrote it.
        config: the configuration, passed first.
        kwargs: further keyword arguments (``trial``, ``budget``, ...). The child's
            ``trial`` reports through this one (see the module docstring).
        isolation: memory limit, output capture and kill grace.
        timeout: wall-time limit in seconds.
        sys_path: the import path of the child (the caller's by default).
        cancel: when set, the child is killed at once and the call fails.


    Never raises for what the objective does: crashes, exits, timeouts and memory
    exhaustion come back as a failed :class:`CallOutcome` with the reason.

    """
    trial = kwargs.get("trial")
    if isinstance(trial, Trial):  # the child's copy reports through its pipe
        kwargs = {**kwargs, "trial": bind_reporter(copy.copy(trial), None)}
    payload = pickle.dumps({
        "sys_path": list(sys_path or sys.path), "objective": objective,
        "args": pickle.dumps((config, kwargs), protocol=pickle.HIGHEST_PROTOCOL),
        "memory_limit": isolation.memory_limit,
    }, protocol=pickle.HIGHEST_PROTOCOL)
    answer_fd, child_fd = os.pipe()
    child_reply_fd, reply_fd = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-u", CHILD_SCRIPT, str(child_fd), str(child_reply_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(child_fd, child_reply_fd), start_new_session=True,
        )
    except BaseException:
        os.close(answer_fd)
        os.close(reply_fd)
        raise
    finally:
        os.close(child_fd)
        os.close(child_reply_fd)
    return _Supervisor(process, answer_fd, reply_fd, isolation, timeout, cancel,
                       trial=trial).run(payload)
