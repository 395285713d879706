"""The ``hyperpilot`` entry point: help, version, exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp


@pytest.mark.parametrize("command", [
    [], ["run"], ["studies"], ["studies", "list"], ["studies", "show"], ["studies", "export"],
    ["studies", "delete"],
])
def test_every_command_has_help(cli: Any, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: hyperpilot {' '.join(command)}".rstrip())
    assert len(result.out.splitlines()) > 5


def test_top_level_help_lists_the_commands(cli: Any) -> None:
    out = cli("--help").out
    assert "run       run or resume a study from a Python or YAML file" in out
    assert "studies   list, show, export or delete stored studies" in out


def test_version(cli: Any) -> None:
    result = cli("--version")
    assert (result.code, result.out) == (0, f"hyperpilot {hp.__version__}\n")


@pytest.mark.parametrize(("argv", "line"), [
    ([], "the following arguments are required: COMMAND (see 'hyperpilot --help')"),
    (["studies", "list", "--storage"],
     "argument --storage: expected one argument (see 'hyperpilot studies list --help')"),
    (["run", "x.py", "--trials", "-3"],
     "argument --trials: expected a number >= 0, got '-3' (see 'hyperpilot run --help')"),
])
def test_usage_errors_are_one_line(cli: Any, argv: list[str], line: str) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert result.err == f"hyperpilot: error: {line}\n"


def test_unknown_command(cli: Any) -> None:
    result = cli("fly")
    assert result.code == 2
    assert result.err.startswith("hyperpilot: error: argument COMMAND: invalid choice: 'fly'")
    assert result.err.endswith("(see 'hyperpilot --help')\n") and result.err.count("\n") == 1


def test_unknown_study_lists_the_available_ones(cli: Any, quad: Path, storage: str) -> None:
    assert cli("run", quad, "--trials", "1", "--storage", storage, "--no-progress").code == 0
    for command in ("show", "export"):
        result = cli("studies", command, "qaud", "--storage", storage)
        assert result.code == 1
        assert result.err == (f"hyperpilot: error: no study named 'qaud' in {storage}; "
                              "studies: ['quad']\n")


def test_unopenable_storage_url(cli: Any, quad: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'runs.db'}"
    result = cli("run", quad, "--storage", url, "--no-progress")
    assert result.code == 1
    assert result.err == (f"hyperpilot: error: cannot open storage {url}: "
                          "unable to open database file\n")
    result = cli("run", quad, "--storage", "mysql://db/x", "--no-progress")
    assert result.err == ("hyperpilot: error: unsupported storage URL mysql://db/x; "
                          "use sqlite:///FILE, postgresql://... or memory\n")
    assert "Traceback" not in result.err


def test_reading_a_missing_sqlite_file_does_not_create_it(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    result = cli("studies", "list", "--storage", f"sqlite:///{path}")
    assert result.code == 1
    assert result.err == (f"hyperpilot: error: no storage at sqlite:///{path}: the file "
                          f"'{path}' does not exist (pass --storage, or set HYPERPILOT_STORAGE)\n")
    assert not path.exists()


def test_ctrl_c_exits_130_and_keeps_finished_trials(cli: Any, tmp_path: Path,
                                                    storage: str, write: Any) -> None:
    target = write(tmp_path / "interrupted.py", """
        import hyperpilot as hp
        space = {"x": hp.Float(0.0, 1.0)}
        def objective(config, trial):
            if trial.number == 3:
                raise KeyboardInterrupt
            return config["x"]
    """)
    result = cli("run", target, "--trials", "10", "--storage", storage, "--no-progress")
    assert result.code == 130
    assert result.err.strip() == ("hyperpilot: interrupted; finished trials are stored, run the "
                                  "same command again to resume")
    trials = hp.load_study("interrupted", storage).trials
    assert [t.state.value for t in trials] == ["complete"] * 3 + ["failed"]


@pytest.mark.slow
def test_installed_script_prints_help() -> None:
    script = Path(sys.executable).parent / "hyperpilot"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: hyperpilot [-h] [--version] COMMAND ...")
    assert done.stderr == ""
