"""The package loads lazily and exports what it lists."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import hyperpilot.analysis as analysis


def test_importing_hyperpilot_loads_neither_analysis_nor_plotly() -> None:
    code = ("import sys, hyperpilot; "
            "print(sorted(m for m in ('hyperpilot.analysis', 'plotly', 'shapiq') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_package_loads_no_module_of_it() -> None:
    code = ("import sys, hyperpilot.analysis as a; "
            "print(sorted(m for m in sys.modules if m.startswith('hyperpilot.analysis.') "
            "or m == 'plotly')); a.fanova; print('hyperpilot.analysis._fanova' in sys.modules, "
            "'plotly' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True False"]


def test_every_listed_name_loads() -> None:
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name
    assert not hasattr(analysis, "annotations")
    assert "annotations" not in dir(analysis)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="fanovaa"):
        analysis.fanovaa  # noqa: B018


def test_errors_derive_from_the_root_and_value_error() -> None:
    from hyperpilot.exceptions import HyperpilotError

    for error in (analysis.AnalysisError, analysis.TooFewTrialsError):
        assert issubclass(error, HyperpilotError)
        assert issubclass(error, ValueError)
    assert importlib.import_module("hyperpilot.analysis._data").AnalysisError is (
        analysis.AnalysisError)


def test_hypershap_loads_shapiq_only_when_it_computes() -> None:
    code = ("import sys, hyperpilot.analysis as a; a.hypershap; a.plot_interaction_graph; "
            "print('hyperpilot.analysis._hypershap' in sys.modules, 'shapiq' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True False"
