"""The ``hyperpilot`` logger's console handler, seen from a real script."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = """
import logging
import hyperpilot as hp
{setup}
space = hp.Space({{"x": hp.Float(0.0, 1.0)}})
def objective(config):
    if config["x"] > 0.5:
        raise KeyError("gamma")
    return config["x"]
study = hp.create_study(space=space, optimizer="random", seed=0)
study.optimize(objective, n_trials=10, show_progress=False)
"""


def _run(tmp_path: Path, setup: str = "") -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT.format(setup=setup)))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, check=True)


@pytest.mark.slow
def test_a_script_shows_failures_and_the_summary_without_any_setup(tmp_path: Path) -> None:
    err = _run(tmp_path).stderr.splitlines()
    assert err[0].startswith("hyperpilot: study 'study-") and "created in memory" in err[0]
    failed = [line for line in err if line.startswith("hyperpilot: trial ")]
    assert failed and all(" failed: KeyError: 'gamma'" in line for line in failed)
    assert err.count("Traceback (most recent call last):") == 1
    assert err[-1].startswith("hyperpilot: study 'study-") and "10 trials in this run" in err[-1]
    assert not (tmp_path / "hyperpilot.db").exists(), "an unnamed study stays in memory"


@pytest.mark.slow
def test_a_program_that_sets_up_logging_gets_each_line_once(tmp_path: Path) -> None:
    err = _run(tmp_path, "logging.basicConfig(format='%(name)s|%(message)s')").stderr
    lines = [line for line in err.splitlines() if "failed: KeyError" in line]
    assert lines and all(line.startswith("hyperpilot|trial ") for line in lines)
    assert "hyperpilot: trial" not in err


@pytest.mark.slow
def test_a_program_can_silence_hyperpilot(tmp_path: Path) -> None:
    err = _run(tmp_path, "logging.getLogger('hyperpilot').setLevel(logging.ERROR)").stderr
    assert err == ""
