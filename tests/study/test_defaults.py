"""The defaults a user expects: auto (bo here), no anonymous studies piling up, no stray files."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import DuplicateStudyError, StudyNotFoundError, TooManyFailuresError

SPACE = hp.Space({"x": hp.Float(0.0, 1.0)})


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HYPERPILOT_STORAGE", raising=False)
    return tmp_path


def test_a_new_study_uses_auto_by_default_which_runs_bo_here(
        workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Before, a study created without optimizer= got random search.
    caplog.set_level(logging.INFO, logger="hyperpilot")
    study = hp.create_study(space=SPACE)
    assert study.optimizer.name == "auto"
    assert study.record.spec["optimizer"]["name"] == "auto"
    study.optimize(lambda c: c["x"], n_trials=2, show_progress=False)
    assert study.trials[0].meta["auto"] == {
        "chose": "bo", "why": "the study has no fidelity and no priors"}
    assert "optimizer auto runs bo: the study has no fidelity and no priors" in [
        r.getMessage() for r in caplog.records]


def test_an_unnamed_study_lives_in_memory_and_says_so(
        workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hyperpilot")
    for _ in range(2):  # the same script, run twice
        study = hp.create_study(space=SPACE)
        study.optimize(lambda c: c["x"], n_trials=2, show_progress=False)
    assert not (workdir / "hyperpilot.db").exists()
    assert study.storage.url == "memory"
    created = [r.getMessage() for r in caplog.records if "created" in r.getMessage()]
    assert len(created) == 2
    assert created[-1] == (f"study {study.name!r} created in memory (gone when this process "
                           "ends) with optimizer auto (give name=... to keep it in "
                           "sqlite:///hyperpilot.db)")


def test_a_named_study_goes_to_the_default_file_and_resumes(
        workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hyperpilot")
    study = hp.create_study(space=SPACE, name="mlp")
    study.optimize(lambda c: c["x"], n_trials=2, show_progress=False)
    assert (workdir / "hyperpilot.db").exists()
    with pytest.raises(DuplicateStudyError, match=re.escape(
            "a study named 'mlp' already exists in sqlite:///hyperpilot.db; pass "
            "load_if_exists=True to continue it, or choose another name")):
        hp.create_study(space=SPACE, name="mlp")
    again = hp.create_study(space=SPACE, name="mlp", load_if_exists=True)
    assert len(again.trials) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert "study 'mlp' created in sqlite:///hyperpilot.db with optimizer auto" in messages
    assert "study 'mlp' reopened from sqlite:///hyperpilot.db with 2 finished trials" in (
        messages)


def test_the_environment_names_the_default_file(workdir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERPILOT_STORAGE", f"sqlite:///{workdir / 'env.db'}")
    hp.create_study(space=SPACE, name="a")
    hp.create_study(space=SPACE)  # unnamed: memory, whatever the environment says
    assert [s.record.name for s in hp.get_storage().list_studies()] == ["a"]


def test_load_study_never_creates_a_file(workdir: Path) -> None:
    # Before, this left an empty missing.db behind.
    with pytest.raises(StudyNotFoundError) as info:
        hp.load_study("x", "sqlite:///missing.db")
    assert str(info.value) == ("no study named 'x': the storage file 'missing.db' does not "
                               "exist (nothing was created)")
    assert not (workdir / "missing.db").exists()
    with pytest.raises(StudyNotFoundError):
        hp.load_study("x")  # the default file, which does not exist either
    assert not (workdir / "hyperpilot.db").exists()


def test_messages_never_claim_that_memory_keeps_anything(workdir: Path) -> None:
    study = hp.create_study(space=SPACE)

    def broken(config: dict[str, float]) -> float:
        raise RuntimeError("boom")

    with pytest.raises(TooManyFailuresError) as info:
        study.optimize(broken, n_trials=20, max_consecutive_failures=3, show_progress=False)
    assert "stored" not in str(info.value)
    assert str(info.value).endswith(
        "its finished trials stay in this Study object until the process ends")
