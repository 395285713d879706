"""The ``hyperpilot`` logger, and the console handler it has until a program sets up logging.

Everything hyperpilot reports while it runs (a failed trial, where a study lives, the
summary of a run) goes through ``logging.getLogger("hyperpilot")`` at INFO or WARNING.
So that a script shows these lines without any set-up, the logger carries one handler of
its own that writes ``hyperpilot: message`` to standard error (through ``tqdm.write``, so
a progress bar is not torn), but only while no other handler would receive the record: as
soon as a program calls ``logging.basicConfig()`` or adds a handler of its own, the lines
go there instead, once. To silence them::

    logging.getLogger("hyperpilot").setLevel(logging.ERROR)
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

LOGGER_NAME = "hyperpilot"


class ConsoleHandler(logging.Handler):
    """Writes ``hyperpilot: message`` to standard error unless another handler takes it."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("hyperpilot: %(message)s"))
        self.always = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.always and self._handled_elsewhere(record):
            return
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)

    def _handled_elsewhere(self, record: logging.LogRecord) -> bool:
        """Whether a handler other than this one receives *record* on its way up."""
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            for handler in logger.handlers:
                if handler is not self and record.levelno >= handler.level:
                    return True
            if not logger.propagate:
                return False
            logger = logger.parent
        return False


def install_console_handler() -> ConsoleHandler:
    """Give the ``hyperpilot`` logger its console handler (once) and the level INFO.

    A level the program set before is kept.
    """
    logger = logging.getLogger(LOGGER_NAME)
    handler = next((h for h in logger.handlers if isinstance(h, ConsoleHandler)), None)
    if handler is None:
        handler = ConsoleHandler()
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return handler


@contextlib.contextmanager
def console_only(level: int = logging.WARNING) -> Iterator[None]:
    """While the ``hyperpilot`` command runs, send its messages to standard error only.

    Only messages at *level* and above are shown. The command is the program, so it
    decides where its lines go, whatever handlers the process has (a test runner's, for
    instance); it prints its own account of a run, so the library's INFO lines are left
    out by default.
    """
    logger = logging.getLogger(LOGGER_NAME)
    handler = install_console_handler()
    saved = handler.always, logger.propagate, logger.level
    handler.always, logger.propagate = True, False
    logger.setLevel(level)
    try:
        yield
    finally:
        handler.always, logger.propagate = saved[:2]
        logger.setLevel(saved[2])
