"""n_workers from a script without ``if __name__ == "__main__":`` stops at once, in one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hyperpilot.execution._main_guard import guarded_lines

UNGUARDED = """
import hyperpilot as hp
space = hp.Space({"x": hp.Float(0.0, 1.0)})
study = hp.create_study(space=space, optimizer="random", seed=0)
study.optimize(lambda c: c["x"], n_trials=4, n_workers=2, show_progress=False)
print(study.best_value)
"""

GUARDED = """
import hyperpilot as hp
space = hp.Space({"x": hp.Float(0.0, 1.0)})

def main():
    study = hp.create_study(space=space, optimizer="random", seed=0)
    study.optimize(lambda c: c["x"], n_trials=4, n_workers=2, show_progress=False)
    print("best", study.best_value)

if __name__ == "__main__":
    main()
"""


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "tune.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


@pytest.mark.slow
def test_a_script_without_the_guard_stops_at_once_with_one_line(tmp_path: Path) -> None:
    # Before: 362 lines of multiprocessing tracebacks, then "no complete trial yet".
    result = _run(tmp_path, UNGUARDED)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "hyperpilot.exceptions.OptimizerError: n_workers=2 starts worker processes that "
        "import tune.py again, and line 5 would start the study again in each of them; put "
        'the code that runs the study under `if __name__ == "__main__":`')
    assert "multiprocessing" not in result.stderr
    assert "hyperpilot: trial" not in result.stderr  # no trial ran


@pytest.mark.slow
def test_a_guarded_script_runs_its_workers(tmp_path: Path) -> None:
    result = _run(tmp_path, GUARDED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("best ")


def test_guarded_lines_finds_either_spelling() -> None:
    source = textwrap.dedent("""
        x = 1
        if __name__ == "__main__":
            a = 2
            b = 3
        if "__main__" == __name__:
            c = 4
        if __name__ == "other":
            d = 5
    """)
    assert guarded_lines(source) == [(4, 5), (7, 7)]
