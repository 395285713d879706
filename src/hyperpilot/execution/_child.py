"""The child process of an isolated trial; run as a script, it imports nothing of hyperpilot.

``python -u _child.py FD REPLY_FD``: the parent writes one pickle to standard input, a
dict with ``sys_path``, ``objective`` (cloudpickle bytes), ``args`` (the pickled
``(config, kwargs)``) and ``memory_limit`` (bytes or ``None``). The child runs the
objective and talks to the parent in frames (an 8-byte big-endian length, then a pickle)
on the file descriptor FD:

* ``("report", step, value)`` and ``("should_stop",)`` while the objective runs, from
  ``trial.report`` and ``trial.should_stop`` (the trial's reporter is a
  :class:`_PipeReporter`); each waits for the parent's answer, a frame on REPLY_FD:
  ``("ok", answer)`` or ``("error", exception)``, which is raised in the objective;
* ``("result", kind, payload, peak_rss, user_attrs)`` at the end, with kind ``ok``
  (payload: the result), ``error`` (the error text), ``pruned`` (the message), ``memory``
  (the error text of a MemoryError) or ``exit`` (the ``sys.exit`` code), and the
  attributes the objective set on its ``trial`` argument.

A child that dies sends no result; the parent then reads its exit status. Standard
output and error stay the process's own file descriptors 1 and 2, which the parent
captures.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

_PRUNED_CLASS = ("hyperpilot.execution._call", "TrialPruned")


def _format(exc: BaseException, *, skip_own_frame: bool = False) -> str:
    tb = exc.__traceback__
    if skip_own_frame and tb is not None:
        tb = tb.tb_next  # the traceback starts in the objective, not in this file
    head = f"{type(exc).__name__}: {exc}".strip()
    return head + "\n" + "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def _status_bytes(key: str) -> int | None:
    """A ``Vm*`` figure of this process from /proc (Linux), in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _peak_rss() -> int | None:
    peak = _status_bytes("VmHWM")
    if peak is None and sys.platform == "darwin":
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    return peak


def _limit_memory(limit: int | None) -> Callable[[], None]:
    """Let the process map at most *limit* more bytes of data; return the undo.

    ``RLIMIT_DATA`` (Linux 4.7+) counts private writable memory: heap, anonymous maps and
    thread stacks, but not shared libraries or address space that is only reserved (as
    GPU frameworks and malloc arenas do), so it fails allocations, not imports or threads.
    """
    data = _status_bytes("VmData")
    if limit is None or data is None:
        return lambda: None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = data + limit
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
    return lambda: resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _is_pruned(exc: BaseException) -> bool:
    return any((cls.__module__, cls.__name__) == _PRUNED_CLASS for cls in type(exc).__mro__)


_KWARGS: dict[str, Any] = {}
_HEADER = 8


def send_frame(fd: int, message: Any) -> None:
    """Write *message* to *fd* as one frame: its pickle's length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(_HEADER, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            raise RuntimeError("the study's process stopped answering this isolated trial")
        chunks += chunk
    return bytes(chunks)


class _PipeReporter:
    """The reporter of the trial in the child: asks the parent, which stores and answers."""

    travels = False

    def __init__(self, out_fd: int, in_fd: int) -> None:
        self._out = out_fd
        self._in = in_fd
        self._lock = threading.Lock()  # one question at a time, from any thread

    def _ask(self, message: tuple[Any, ...]) -> Any:
        with self._lock:
            send_frame(self._out, message)
            size = int.from_bytes(_read_exactly(self._in, _HEADER), "big")
            status, answer = pickle.loads(_read_exactly(self._in, size))
        if status == "error":
            raise answer
        return answer

    def report(self, trial: Any, step: Any, value: float, at: float) -> None:
        self._ask(("report", step, value))

    def should_stop(self, trial: Any) -> bool:
        return bool(self._ask(("should_stop",)))

    def curve(self, trial: Any) -> dict[Any, float]:
        return {}  # never asked: the trial is bound fresh and keeps its own curve

    def drain(self) -> list[tuple[Any, float, float]]:
        return []


def _bind_pipe(kwargs: dict[str, Any], out_fd: int, in_fd: int) -> None:
    """Let the ``trial`` argument report through the pipes to the parent."""
    if "trial" not in kwargs:
        return
    # Unpickling the trial has imported this module already.
    from hyperpilot.trial._trial import bind_reporter

    bind_reporter(kwargs["trial"], _PipeReporter(out_fd, in_fd), fresh=True)


def _user_attrs() -> dict[str, Any] | None:
    """The attributes the objective set on its ``trial`` argument (``meta["user_attrs"]``)."""
    trial = _KWARGS.get("trial")
    attrs = getattr(trial, "meta", {}).get("user_attrs") if trial is not None else None
    return dict(attrs) if isinstance(attrs, dict) and attrs else None


def _run(request: dict[str, Any], out_fd: int, in_fd: int) -> tuple[str, Any]:
    try:
        objective = pickle.loads(request["objective"])
        config, kwargs = pickle.loads(request["args"])
        _bind_pipe(kwargs, out_fd, in_fd)
    except BaseException as exc:
        return "error", "cannot load the objective in the child process: " + _format(exc)
    _KWARGS.update(kwargs)
    restore = _limit_memory(request["memory_limit"])
    try:
        value = objective(config, **kwargs)
    except MemoryError as exc:
        restore()
        return "memory", _format(exc, skip_own_frame=True)
    except SystemExit as exc:
        restore()
        return "exit", exc.code
    except BaseException as exc:
        restore()
        if _is_pruned(exc):
            return "pruned", str(exc)
        return "error", _format(exc, skip_own_frame=True)
    restore()
    return "ok", value


def _answer(fd: int, kind: str, payload: Any) -> None:
    try:
        send_frame(fd, ("result", kind, payload, _peak_rss(), _user_attrs()))
    except BaseException as exc:
        send_frame(fd, ("result", "error", "the objective's result cannot be sent back to "
                        f"the study: {_format(exc)}", _peak_rss(), None))
    os.close(fd)


def main() -> None:
    """Run one objective call as the parent asked, answer, and exit at once."""
    faulthandler.enable()  # a crash prints the Python stack to the captured stderr
    fd, reply_fd = int(sys.argv[1]), int(sys.argv[2])
    request = pickle.loads(sys.stdin.buffer.read())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.path[:] = request["sys_path"]
    kind, payload = _run(request, fd, reply_fd)
    _answer(fd, kind, payload)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # Leave at once: threads the objective left running must not keep the trial alive.
    os._exit(0)


if __name__ == "__main__":
    main()
