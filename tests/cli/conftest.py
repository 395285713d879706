"""Fixtures for the command-line tests: toy run files, storages and a main() runner."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hyperpilot.cli._main import main


@dataclass
class Outcome:
    """What one ``hyperpilot`` invocation returned and printed."""

    code: int
    out: str
    err: str


Run = Callable[..., Outcome]

QUAD = '''
import hyperpilot as hp

space = {
    "x": hp.Float(-5.0, 5.0),
    "kind": hp.Categorical(["a", "b"]),
    "n": hp.Int(1, 4, active_if={"kind": "b"}),
}
optimizer = "sobol"
seed = 3


def objective(config):
    penalty = 0.5 if config["kind"] == "a" else 0.1 * config["n"]
    return (config["x"] - 1.0) ** 2 + penalty
'''


MO = '''
import hyperpilot as hp

space = {"x": hp.Float(0.0, 1.0)}
objectives = {"loss": "minimize", "cost": "minimize"}
constraints = {"mem": 0.8}


def objective(config):
    x = config["x"]
    return {"loss": x, "cost": 1.0 - x, "mem": x}
'''


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def write() -> Callable[[Path, str], Path]:
    """Write dedented text to a path (creating folders) and return the path."""
    return _write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """Call ``main([...])`` in-process; return exit code and captured output."""

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def storage(tmp_path: Path) -> str:
    """An SQLite storage URL in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'runs.db'}"


@pytest.fixture
def quad(tmp_path: Path) -> Path:
    """A Python run file: a 3-hyperparameter conditional quadratic, minimized."""
    return _write(tmp_path / "quad.py", QUAD)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A storage holding 'quad' (6 trials) and 'mo' (4 trials, two objectives, a constraint)."""
    folder = tmp_path_factory.mktemp("studies")
    url = f"sqlite:///{folder / 'runs.db'}"
    for name, text, trials in (("quad", QUAD, 6), ("mo", MO, 4)):
        code = main(["run", str(_write(folder / f"{name}.py", text)), "--trials", str(trials),
                     "--storage", url, "--no-progress"])
        assert code == 0
    return url
