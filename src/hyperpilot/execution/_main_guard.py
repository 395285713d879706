"""Refuse, at once and in one line, a process pool that would run the user's script again.

A process pool's workers start as fresh interpreters (``forkserver`` or ``spawn``) that
import the script that started them, as module ``__mp_main__``. Code at the top level of
that script runs again in each of them; when that code starts the study, every worker
starts a pool of its own and the run drowns in multiprocessing tracebacks. Python's rule is
to put such code under ``if __name__ == "__main__":``. :func:`check_main_guard` finds the
line of the script that led to the pool (the outermost call in the script's own module
code) and checks, by parsing the script, that it lies under that guard.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import FrameType, ModuleType

from hyperpilot.exceptions import OptimizerError


def _is_main_test(test: ast.expr) -> bool:
    """Whether *test* is ``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    texts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(texts) == 1


def guarded_lines(source: str) -> list[tuple[int, int]]:
    """The line ranges of *source* that run only when it is the main script."""
    ranges = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body:
            end = node.body[-1].end_lineno or node.body[-1].lineno
            ranges.append((node.body[0].lineno, end))
    return ranges


def _module_frame(main: ModuleType) -> FrameType | None:
    """The frame running *main*'s module code, if the current call comes from there."""
    frame: FrameType | None = sys._getframe(1)
    outermost = None
    while frame is not None:
        if frame.f_globals is main.__dict__ and frame.f_code.co_name == "<module>":
            outermost = frame
        frame = frame.f_back
    return outermost


def check_main_guard(n_workers: int) -> None:
    """Raise when a process pool of *n_workers* would run the calling script again.

    Nothing is checked when the main module has no file (interactive sessions, notebooks,
    ``python -c``: the workers do not run it) or its source cannot be read.

    Raises:
        OptimizerError: naming the script and line, and what to add.

    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path or getattr(main, "__name__", "") != "__main__":
        return
    frame = _module_frame(main)
    if frame is None:
        return
    try:
        ranges = guarded_lines(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return
    line = frame.f_lineno
    if any(start <= line <= end for start, end in ranges):
        return
    raise OptimizerError(
        f"n_workers={n_workers} starts worker processes that import {Path(path).name} again, "
        f"and line {line} would start the study again in each of them; put the code that "
        'runs the study under `if __name__ == "__main__":`'
    )
