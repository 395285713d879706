"""Smoke test of the real ``quick`` suite with our optimizers and the peers, as CI runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hyperpilot.cli._main import main

pytest.importorskip("optuna")
pytest.importorskip("smac")
pytest.importorskip("ioh")


@pytest.mark.slow
def test_quick_suite_runs_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "quick.jsonl"
    html = tmp_path / "quick.html"
    code = main(["bench", "run", "--suite", "quick", "--problems", "bbob-*",
                 "--optimizers", "random,bo,optuna-tpe,smac-hpo", "--trials", "12",
                 "--seeds", "1", "--jobs", "2", "--out", str(out), "--no-progress",
                 "--reference-samples", "20"])
    assert code == 0, capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    runs = [r for r in records if r.get("optimizer") not in (None, "reference")]
    assert {r["optimizer"] for r in runs} == {"random", "bo", "optuna-tpe", "smac-hpo"}
    assert all(r["status"] == "ok" for r in runs), [r.get("error") for r in runs]
    capsys.readouterr()
    assert main(["bench", "report", str(out), "--html", str(html)]) == 0
    text = capsys.readouterr().out
    assert "Mean rank" in text and "overhead" in text.lower()
    page = html.read_text()
    assert "plotly" in page.lower() and "https://" not in page.split("<body", 1)[-1][:2000]
