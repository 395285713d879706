"""The results file of a benchmark: JSON lines, one record per finished task.

Two kinds of record share the file, told apart by their ``kind``:

* ``"run"`` - one optimizer run on one problem under one seed (see
  :class:`~hyperpilot.benchmarks._adapters.RunRecord` for its fields);
* ``"reference"`` - uniform random configurations of one problem, evaluated once, whose
  median is the reference point of the normalized regret (see ``_stats.py``).

Records are appended as they finish, each with one ``write`` followed by ``flush`` and
``fsync``, so a killed runner loses only the runs in flight. A kill in the middle of a
write can leave a final line without its newline; readers skip such a line with a warning
(the task is simply run again) and a writer cuts it off before appending.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from hyperpilot.exceptions import HyperpilotError

logger = logging.getLogger("hyperpilot")

RECORD_FORMAT = 1
"""Version of the record layout; stored in every record."""

KINDS = ("run", "reference")

_VERSIONED = ("hyperpilot", "numpy", "scipy", "scikit-learn", "optuna", "smac", "ConfigSpace",
              "torch")


class ResultsFileError(HyperpilotError, ValueError):
    """A results file cannot be read, or one of its lines is not a benchmark record."""


def versions() -> dict[str, str | None]:
    """Python's version and those of the packages that shape results (``None``: absent)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for package in _VERSIONED:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


def _plain(value: Any) -> Any:
    """*value* with non-finite floats as ``None`` (JSON has no NaN) and numpy scalars as Python."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(record: Mapping[str, Any]) -> str:
    """Serialize one record as a single JSON line (without the newline)."""
    return json.dumps(_plain(record), separators=(",", ":"), allow_nan=False)


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Read every record of the results file *path*, in file order.

    A missing file reads as no records. Blank lines are skipped, and so is a final line
    that lacks its newline and does not parse (left by a kill during a write).

    Raises:
        ResultsFileError: when the file cannot be read, or a line is not a JSON object
            with a known ``kind``, naming the file and line number.

    """
    path = Path(path)
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"cannot read results file {str(path)!r}: {exc}") from None
    lines = text.split("\n")
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        partial_tail = number == len(lines) and not text.endswith("\n")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if partial_tail:
                logger.warning("%s line %d is incomplete (a write was interrupted); ignored",
                               path, number)
                continue
            raise ResultsFileError(
                f"{path} line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(record, dict) or record.get("kind") not in KINDS:
            got = record.get("kind") if isinstance(record, dict) else type(record).__name__
            raise ResultsFileError(
                f"{path} line {number}: not a benchmark record (expected an object with "
                f"kind in {list(KINDS)}, got {got!r})"
            )
        missing = [key for key in _REQUIRED[record["kind"]] if key not in record]
        if missing:
            raise ResultsFileError(
                f"{path} line {number}: {record['kind']} record lacks {', '.join(missing)}"
            )
        records.append(record)
    return records


_REQUIRED: dict[str, tuple[str, ...]] = {
    "run": ("problem", "family", "optimizer", "seed", "n_trials", "status"),
    "reference": ("problem", "family", "n_samples", "values"),
}


class ResultsWriter:
    """Append records to a results file, each one durable before :meth:`append` returns."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._needs_newline = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size > 0:
                self._repair_tail()
        except OSError as exc:
            raise ResultsFileError(f"cannot write results file {str(self.path)!r}: {exc}") from None

    def _repair_tail(self) -> None:
        """Cut an incomplete last line (a write that a kill interrupted) before appending."""
        with self.path.open("r+b") as handle:
            data = handle.read()
            if data.endswith(b"\n"):
                return
            start = data.rfind(b"\n") + 1
            try:
                json.loads(data[start:])
            except ValueError:
                logger.warning("%s: cutting an incomplete last line (a write was interrupted)",
                               self.path)
                handle.truncate(start)
            else:
                self._needs_newline = True

    def append(self, record: Mapping[str, Any]) -> None:
        """Write *record* as one line, then flush and fsync.

        Raises:
            ResultsFileError: when the file cannot be written.

        """
        line = dumps(record) + "\n"
        if self._needs_newline:
            line = "\n" + line
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ResultsFileError(f"cannot write results file {str(self.path)!r}: {exc}") from None
        self._needs_newline = False

    def extend(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append several records, one durable write each."""
        for record in records:
            self.append(record)
