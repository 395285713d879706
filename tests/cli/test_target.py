"""Mistakes in the file given to ``hyperpilot run``: one helpful line, exit 2, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp

KNOWN_KEYS = ("name, objective, space, objectives, constraints, optimizer, trials, timeout, "
              "trial_timeout, storage, seed, fidelity, max_budget, instances, seeds")
OBJECTIVE = "def objective(config):\n    return 0.0\n"

Files = Callable[[str, str], Path]


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Any) -> Files:
    """Work in tmp_path (so messages show short relative names); write files there."""
    monkeypatch.chdir(tmp_path)
    return lambda name, text: write(tmp_path / name, text)


def _fails_with(result: Any, line: str, code: int = 2) -> None:
    assert result.code == code, result.out
    assert result.err == f"hyperpilot: error: {line}\n"
    assert "Traceback" not in result.err + result.out


def test_missing_file(cli: Any, files: Files) -> None:
    _fails_with(cli("run", "nothere.py"), "no such file: 'nothere.py'")


def test_unknown_suffix(cli: Any, files: Files) -> None:
    files("study.toml", "x = 1\n")
    _fails_with(cli("run", "study.toml"), "study.toml: cannot tell what it is from the suffix "
                                          "'.toml'; give a .py or .yaml file")


def test_python_file_without_objective(cli: Any, files: Files) -> None:
    files("noobj.py", "import hyperpilot as hp\nspace = {'x': hp.Float(0, 1)}\n")
    _fails_with(cli("run", "noobj.py"),
                "noobj.py has no module-level 'objective'; define a function objective(config) "
                "that returns a number (or a mapping of objective names to numbers)")


def test_python_file_without_space(cli: Any, files: Files) -> None:
    files("nospace.py", OBJECTIVE)
    _fails_with(cli("run", "nospace.py"),
                "nospace.py has no module-level 'space'; set space = hp.Space({...}) or a dict "
                "of hyperparameters")


def test_python_file_with_syntax_error(cli: Any, files: Files) -> None:
    files("broken.py", "x = 1\ndef objective(:\n")
    _fails_with(cli("run", "broken.py"), "broken.py:2: syntax error: invalid syntax")


def test_python_file_that_raises_on_import(cli: Any, files: Files) -> None:
    files("raises.py", "x = 1\nimport no_such_module_anywhere\n")
    _fails_with(cli("run", "raises.py"),
                "loading raises.py:2 raised ModuleNotFoundError: No module named "
                "'no_such_module_anywhere'", code=1)


def test_unknown_yaml_key(cli: Any, files: Files) -> None:
    files("typo.yaml", """
        objective: f.py:objective
        space: {x: {type: float, low: 0, high: 1}}
        trails: 5
    """)
    _fails_with(cli("run", "typo.yaml"), "typo.yaml: unknown key 'trails' (did you mean "
                                         f"'trials'?); known keys: {KNOWN_KEYS}")


def test_invalid_space_in_yaml_names_the_hyperparameter(cli: Any, files: Files) -> None:
    files("f.py", OBJECTIVE)
    files("badspace.yaml", """
        objective: f.py:objective
        space:
          lr: {type: float, low: 1e-3, high: 1.0, log: true}
          momentum: {type: float, low: 0.9, high: 0.1}
    """)
    _fails_with(cli("run", "badspace.yaml"),
                "badspace.yaml: space: hyperparameter 'momentum': low must be less than high, "
                "got low=0.9, high=0.1")


def test_unknown_hyperparameter_type_in_yaml(cli: Any, files: Files) -> None:
    files("f.py", OBJECTIVE)
    files("badtype.yaml", """
        objective: f.py:objective
        space: {depth: {type: integer, low: 1, high: 9}}
    """)
    _fails_with(cli("run", "badtype.yaml"),
                "badtype.yaml: space: hyperparameter 'depth': unknown type 'integer'; expected one "
                "of ['categorical', 'constant', 'float', 'int', 'ordinal']")


def test_invalid_yaml_syntax(cli: Any, files: Files) -> None:
    files("syntax.yaml", "objective: f.py:objective\nspace: {x: [1, 2}\n")
    result = cli("run", "syntax.yaml")
    assert result.code == 2
    assert result.err.startswith("hyperpilot: error: syntax.yaml:2:")
    assert "invalid YAML" in result.err and result.err.count("\n") == 1


def test_yaml_without_objective(cli: Any, files: Files) -> None:
    files("noobj.yaml", "space: {x: {type: float, low: 0, high: 1}}\n")
    _fails_with(cli("run", "noobj.yaml"), "noobj.yaml: missing the key 'objective'")


def test_yaml_reference_to_a_missing_function(cli: Any, files: Files) -> None:
    files("f.py", "def train(config):\n    return 0.0\n")
    files("ref.yaml", """
        objective: f.py:objective
        space: {x: {type: float, low: 0, high: 1}}
    """)
    _fails_with(cli("run", "ref.yaml"), "ref.yaml: objective: f.py defines no 'objective'; "
                                        "it defines train")


@pytest.mark.parametrize(("line", "message"), [
    ("trials: many", "trials must be an integer >= 0, got 'many'"),
    ("timeout: -1", "timeout must be a positive number of seconds, got -1"),
    ("optimizer: tpe", f"optimizer: unknown optimizer 'tpe'; available: "
                       f"{sorted(hp.OPTIMIZERS)}, or a dotted 'module.Class' path"),
    ("fidelity: {name: epochs, min: 9, max: 3}",
     "fidelity: fidelity 'epochs': min must be below max, got min=9, max=3"),
    ("fidelity: [1, 9]", "fidelity must be an hp.Fidelity or a mapping with name, min, max "
                         "and optionally log, got [1, 9]"),
    ("max_budget: 0", "max_budget must be a positive number, got 0"),
    ("optimizer: {name: bo, acquisition: {name: LCB, beta: -1}}",
     "optimizer: bo: LCB: beta must be >= 0 or None, got -1"),
    ("optimizer: {name: bo, surrogate: {name: Kriging}}",
     "optimizer: bo: surrogate: unknown name 'Kriging'; known: GaussianProcess, "
     "RandomForest, gp, rf, or a dotted 'module.Class' path"),
    ("objectives: {acc: up}",
     "objective 'acc': direction must be 'minimize' or 'maximize', got 'up' (or 'min' / 'max')"),
])
def test_invalid_yaml_settings(cli: Any, files: Files, line: str, message: str) -> None:
    files("f.py", OBJECTIVE)
    files("bad.yaml", "objective: f.py:objective\n"
                      f"space: {{x: {{type: float, low: 0, high: 1}}}}\n{line}\n")
    _fails_with(cli("run", "bad.yaml"), f"bad.yaml: {message}")
