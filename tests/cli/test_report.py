"""``hyperpilot report``: a file from stored studies, a line per section, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.analysis import REPORT_SECTIONS
from hyperpilot.cli._main import main

from .conftest import QUAD, _write


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A storage with 'quad' (30 trials), 'quad2' (12 trials) and 'empty' (no trials)."""
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'runs.db'}"
    target = _write(folder / "quad.py", QUAD)
    for name, trials in (("quad", 30), ("quad2", 12)):
        code = main(["run", str(target), "--trials", str(trials), "--storage", url,
                     "--name", name, "--no-progress"])
        assert code == 0
    hp.create_study(space={"x": hp.Float(0, 1)}, name="empty", storage=url)
    return url


def test_writes_the_report_with_a_line_per_section(cli: Any, stored: str,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "quad", "quad2", "--storage", stored, "-o", out, "--bootstrap", "0")
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    per_study = [s.key for s in REPORT_SECTIONS if s.scope == "study" and s.applies is None]
    overall = [s.key for s in REPORT_SECTIONS if s.scope == "studies"]
    n = 2 * len(per_study) + len(overall)
    assert len(lines) == n
    assert re.fullmatch(rf"report \[1/{n}\] quad: summary: \d+\.\d s", lines[0])
    assert [line.split(": ")[0].split()[-1] for line in lines] == [
        *(["quad"] * len(per_study)), *(["quad2"] * len(per_study)), *overall]
    assert not [line for line in lines if "failed" in line]
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \(2 studies, {n} sections; \d+ "
                        r"figures, \d+\.\d MB\) in \d+\.\d s\n", result.out)
    page = out.read_text(encoding="utf-8")
    assert "<h2 id=\"study-1-quad\">Study 'quad'</h2>" in page
    assert "Comparison of the studies" in page


def test_sections_and_quiet(cli: Any, stored: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "quad", "--storage", stored, "-o", out, "--sections",
                 "overview,fanova", "--bootstrap", "0", "--no-progress")
    assert result.code == 0, result.err
    assert result.err == ""
    assert "(1 study, 2 sections; 2 figures," in result.out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["nope"], 1, "no study named 'nope' in sqlite:///{db}; studies: ['quad', 'quad2', "
                  "'empty']"),
    (["empty"], 1, "report: study 'empty' has no trials; there is nothing to report"),
    (["quad", "-o", "{tmp}/missing/r.html"], 1,
     "report: cannot write '{tmp}/missing/r.html': the folder '{tmp}/missing' does not exist"),
    (["quad", "-o", "{tmp}"], 1, "report: cannot write '{tmp}': it is a folder"),
    (["quad", "quad"], 2, "study 'quad' is named twice"),
    (["quad", "--sections", "overview,nope"], 2,
     "--sections: unknown section 'nope'; known: " + ", ".join(s.key for s in REPORT_SECTIONS)),
    (["quad", "--objective", "loss"], 2,
     "--objective: study 'quad' has no objective 'loss'; its objectives: value"),
    (["quad", "--bootstrap", "-1"], 2,
     "argument --bootstrap: expected a number >= 0, got '-1' (see 'hyperpilot report --help')"),
])
def test_bad_input_is_one_line(cli: Any, stored: str, tmp_path: Path, argv: list[str],
                               code: int, message: str) -> None:
    given = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    result = cli("report", *given, "--storage", stored)
    assert result.code == code
    db = stored.removeprefix("sqlite:///")
    expected = message.replace("{tmp}", str(tmp_path)).replace("{db}", db)
    assert result.err == f"hyperpilot: error: {expected}\n"
    assert result.out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_missing_storage_file_is_not_created(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    result = cli("report", "quad", "--storage", f"sqlite:///{db}", "-o", tmp_path / "r.html")
    assert result.code == 1
    assert result.err.startswith(f"hyperpilot: error: no storage at sqlite:///{db}: ")
    assert not db.exists()


def test_the_command_line_loads_the_analysis_only_to_report() -> None:
    code = ("import sys; from hyperpilot.cli._main import build_parser; build_parser(); "
            "print(sorted(m for m in ('hyperpilot.analysis', 'plotly', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = out.stdout.strip()
    assert "hyperpilot.analysis" not in loaded and "plotly" not in loaded
