"""The documentation's Python code runs: every block of README.md and docs/*.md.

The blocks of one page run in order in one namespace (a page reads like a session), in a
fresh working directory, as a script would (``__name__ == "__main__"``). Budgets are kept
small: ``optimize`` runs at most a few trials and workers, and timeouts are shortened. A
block that cannot run here (it needs a cluster, say) is preceded by the line
``<!-- docs-test: skip (the reason) -->``; every other block runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.study import _worker

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = re.compile(r"<!-- docs-test: skip \((?P<reason>[^)]+)\) -->")

MAX_TRIALS = 6
MAX_WORKERS = 2
MAX_SECONDS = 10.0


@dataclass(frozen=True)
class Block:
    """One fenced Python block of a page."""

    page: Path
    line: int
    code: str
    skip: str | None


def blocks(page: Path) -> Iterator[Block]:
    """The ```python blocks of *page*, with the skip reason written before each, if any."""
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            match = SKIP.search(before)
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            yield Block(page, i + 1, "\n".join(lines[i + 1:end]),
                        match.group("reason") if match else None)
            i = end
        i += 1


def _small(value: Any, cap: float) -> Any:
    return value if value is None else min(value, cap)


@pytest.fixture
def small_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every ``optimize`` with a few trials, two workers at most, short timeouts."""
    original = hp.Study.optimize

    def optimize(self: hp.Study, objective: Any, n_trials: int | None = None,
                 **kwargs: Any) -> hp.Study:
        done = sum(1 for t in self.get_trials() if t.state.is_finished)
        if kwargs.get("total_trials") is not None:
            kwargs["total_trials"] = min(kwargs["total_trials"], done + MAX_TRIALS)
        if n_trials is None and kwargs.get("total_trials") is None:
            n_trials = MAX_TRIALS
        kwargs["n_workers"] = _small(kwargs.get("n_workers"), MAX_WORKERS)
        kwargs["timeout"] = _small(kwargs.get("timeout"), MAX_SECONDS)
        kwargs.setdefault("show_progress", False)
        return original(self, objective, _small(n_trials, MAX_TRIALS), **kwargs)

    monkeypatch.setattr(hp.Study, "optimize", optimize)
    assert _worker.Study is hp.Study  # run_worker goes through the same method


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_pages_code_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             small_budgets: None) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HYPERPILOT_STORAGE", raising=False)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    ran = 0
    logger = logging.getLogger("hyperpilot")
    level = logger.level  # a page may show how to silence hyperpilot
    try:
        for block in blocks(page):
            if block.skip is not None:
                continue
            try:
                exec(compile(block.code, f"{page.name}:{block.line}", "exec"), namespace)
            except Exception as exc:
                pytest.fail(f"{page.name}, the block at line {block.line} raised "
                            f"{type(exc).__name__}: {exc}")
            ran += 1
    finally:
        logger.setLevel(level)
    assert ran or not list(blocks(page)), f"{page.name}: every block is skipped"


def test_every_skip_gives_a_reason() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for marker in re.findall(r"<!-- docs-test:[^>]*-->", text):
            assert SKIP.fullmatch(marker), f"{page.name}: {marker} (say why in parentheses)"


def test_the_first_hour_page_is_there_and_runs_most_of_its_code() -> None:
    page = ROOT / "docs" / "first-hour.md"
    found = list(blocks(page))
    assert len(found) >= 6
    assert sum(b.skip is None for b in found) == len(found), "the first hour runs whole"
