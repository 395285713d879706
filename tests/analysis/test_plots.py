"""Figures: plotly on first use, a one-line hint without it, warnings shown."""

from __future__ import annotations

import importlib.util
from typing import Any

import pandas as pd
import pytest

from hyperpilot.analysis._plots import as_table, graph_objects, importance_bars
from hyperpilot.exceptions import MissingDependencyError


def test_without_plotly_a_one_line_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "plotly" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError) as error:
        graph_objects()
    assert str(error.value) == ("this feature needs the package 'plotly' (import 'plotly'): "
                                "pip install 'hyperpilot[analysis]'")


def table() -> pd.DataFrame:
    frame = pd.DataFrame({
        "budget": [1.0, 1.0, 3.0, 3.0], "hyperparameter": ["a", "b", "a", "b"],
        "importance": [0.7, 0.3, 0.4, 0.6], "std": [0.1, 0.05, 0.1, 0.1],
        "low": [0.6, 0.2, 0.3, 0.5], "high": [0.8, 0.4, 0.5, 0.7],
        "warning": ["", "", "careful", "careful"],
    })
    frame.attrs["warnings"] = ["careful"]
    return frame


def test_one_trace_per_budget_with_error_bars_and_the_warning() -> None:
    figure = importance_bars(table(), title="t", error="interval", top=10)
    assert [trace.name for trace in figure.data] == ["budget 1", "budget 3"]
    assert list(figure.data[0].y) == ["b", "a"]  # most important on top
    assert list(figure.data[0].error_x.array) == pytest.approx([0.1, 0.1])
    assert "careful" in figure.layout.annotations[0].text
    assert importance_bars(table(), title="t", error="std", top=1).data[1].y == ("b",)


def test_a_table_is_used_as_it_is() -> None:
    frame = table()
    assert as_table(frame, lambda *a, **k: pytest.fail("computed"), {}) is frame
