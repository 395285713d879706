"""The static figures: what the curves hold, and that every SVG is written."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from hyperpilot.benchmarks._figures import family_curves, write_figures
from hyperpilot.benchmarks._summary import ProblemSummary

pytest.importorskip("matplotlib")


def _problem(name: str, family: str, curves: dict[str, np.ndarray]) -> ProblemSummary:
    return ProblemSummary(name=name, family=family, metric="regret", objective="loss",
                          direction="minimize", curves=curves)


class _Summary:
    """The parts of a Summary the figures read."""

    def __init__(self, problems: list[ProblemSummary]) -> None:
        self.problems = problems
        self.optimizers = ["a", "b"]
        self.seeds = [0, 1]
        self.mean_ranks = {"overall": {"a": 1.25, "b": 1.75}}
        self.friedman = None
        self.overhead: dict[str, object] = {}


def test_family_curve_is_the_mean_over_problems_of_the_mean_over_seeds() -> None:
    p1 = _problem("p1", "bbob", {"a": np.array([[1.0, 0.5], [0.6, 0.3]]),
                                 "b": np.array([[1.0, 1.0], [1.0, 1.0]])})
    p2 = _problem("p2", "bbob", {"a": np.array([[np.nan, 0.2], [0.4, 0.1]])})
    p3 = _problem("p3", "ml", {"b": np.array([[0.9, 0.8, 0.7]])})
    curves = family_curves(_Summary([p1, p2, p3]))  # type: ignore[arg-type]
    np.testing.assert_allclose(curves["bbob"]["a"], [(0.8 + 0.4) / 2, (0.4 + 0.15) / 2])
    np.testing.assert_allclose(curves["bbob"]["b"], [1.0, 1.0])
    np.testing.assert_allclose(curves["ml"]["b"], [0.9, 0.8, 0.7])


def test_write_figures_writes_valid_svgs(tmp_path: Path) -> None:
    p1 = _problem("p1", "bbob", {"a": np.array([[1.0, 0.5, 0.0]]),
                                 "b": np.array([[1.0, 0.9, 0.8]])})
    written = write_figures(_Summary([p1]), tmp_path / "out")  # type: ignore[arg-type]
    assert [p.name for p in written] == ["regret-bbob.svg", "ranks.svg"]
    for path in written:
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg")
    ranks = written[1].read_text(encoding="utf-8")
    assert "a (1.25)" in ranks and "b (1.75)" in ranks


def test_the_same_figure_gives_the_same_file(tmp_path: Path) -> None:
    p1 = _problem("p1", "bbob", {"a": np.array([[1.0, 0.5, 0.0]]),
                                 "b": np.array([[1.0, 0.9, 0.8]])})
    first = write_figures(_Summary([p1]), tmp_path / "one")  # type: ignore[arg-type]
    again = write_figures(_Summary([p1]), tmp_path / "two")  # type: ignore[arg-type]
    for a, b in zip(first, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
