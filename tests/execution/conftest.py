"""Fixtures of the execution tests: importable objectives and a fresh study per test."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def objectives(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The module of objectives, on ``sys.path`` so that other processes import it too."""
    monkeypatch.syspath_prepend(str(HERE))
    sys.modules.pop("_exec_objectives", None)
    return importlib.import_module("_exec_objectives")
