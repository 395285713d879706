"""What the processes spawned by test_sql.py run: a module they can import by name.

The tests put this directory on ``sys.path`` before spawning (spawn copies ``sys.path``);
pytest's importlib mode does not make the test modules themselves importable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hyperpilot as hp


def ask_and_tell(url: str, name: str, n_trials: int) -> None:
    study = hp.load_study(name, url)
    for _ in range(n_trials):
        trial = study.ask()
        study.tell(trial, float(trial.config["x"]) ** 2)
    study.storage.close()


def open_study_together(url: str, barrier: Any, names: list[str], errors: Path) -> None:
    """For each name, wait for the other workers, then create-or-load the study."""
    found = []
    for name in names:
        barrier.wait(timeout=20)
        try:
            hp.create_study(space={"x": hp.Float(0, 1)}, storage=url, name=name, seed=0,
                            load_if_exists=True)
        except Exception as exc:
            found.append(f"{type(exc).__name__}: {exc}\n")
    errors.write_text("".join(found))
