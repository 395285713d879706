"""A storage written by an earlier release is upgraded in place and keeps every trial."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import hyperpilot as hp
from hyperpilot.exceptions import SchemaVersionError, StorageError
from hyperpilot.storage import _migrations, get_storage
from hyperpilot.storage._base import NewEvent, NewIntermediate
from hyperpilot.storage._schema import SCHEMA_VERSION

DATA = Path(__file__).parent / "data"
TRIAL_COLUMNS = ("id, study_id, number, state, config, budget, seed, instance, vals, "
                 "constraint_vals, error, worker, created_at, started_at, finished_at, meta, "
                 "heartbeat_at")


def _rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        rows = db.execute(query).fetchall()
    db.close()
    return rows


@pytest.fixture
def release_1(tmp_path: Path) -> Path:
    """A copy of the database written by schema version 1 (see data/README.md)."""
    path = tmp_path / "schema-1.db"
    shutil.copyfile(DATA / "schema-1.db", path)
    return path


@pytest.fixture
def release_2(tmp_path: Path) -> Path:
    """A copy of the database written at schema version 2 (see data/README.md)."""
    path = tmp_path / "schema-2.db"
    shutil.copyfile(DATA / "schema-2.db", path)
    return path


def test_a_schema_1_database_is_upgraded_in_place_and_keeps_everything(
        release_1: Path, caplog: pytest.LogCaptureFixture) -> None:
    trials_before = _rows(release_1, f"SELECT {TRIAL_COLUMNS} FROM hp_trials ORDER BY id")
    studies_before = _rows(release_1, "SELECT * FROM hp_studies ORDER BY id")
    assert _rows(release_1, "SELECT value FROM hp_meta") == [("1",)]
    assert len(trials_before) == 21
    url = f"sqlite:///{release_1}"

    storage = get_storage(url)
    assert f"storage {url} upgraded from schema version 1 to {SCHEMA_VERSION}" in caplog.text
    assert _rows(release_1, "SELECT value FROM hp_meta") == [(str(SCHEMA_VERSION),)]
    assert _rows(release_1, f"SELECT {TRIAL_COLUMNS} FROM hp_trials ORDER BY id") == (
        trials_before)
    assert _rows(release_1, "SELECT * FROM hp_studies ORDER BY id") == studies_before

    svm = hp.load_study("svm", storage)
    states = [t.state.value for t in svm.trials]
    assert states.count("complete") == 11 and states.count("failed") == 1
    assert states.count("pruned") == 1 and states.count("running") == 1
    assert states.count("pending") == 1
    assert svm.objectives[0].direction == "maximize"
    assert svm.space["C"].prior == 1.0
    assert svm.best_trial.user_attrs["layers"] == svm.best_trial.config["layers"]
    mo = hp.load_study("mo", storage)
    assert len(mo.best_trials) >= 1 and mo.constraints[0].upper == 0.8

    # The new parts work on the upgraded file, and the old trials go on.
    event = storage.add_event(svm.id, NewEvent(kind="note", payload={"x": 1}))
    assert event.at_trial == 15
    svm.optimize(lambda c: {"accuracy": 0.5}, n_trials=2, show_progress=False)
    after = hp.load_study("svm", url).trials  # the queued trial ran first, then a new one
    assert len(after) == 16 and after[14].config == {"kernel": "linear", "C": 3.0, "layers": 2}
    assert after[13].error is not None and after[13].error.startswith("abandoned: worker")
    storage.close()
    # Opening it again is a plain open.
    caplog.clear()
    get_storage(url).close()
    assert "upgraded" not in caplog.text


def test_workers_opening_an_old_database_at_once_upgrade_it_once(release_1: Path) -> None:
    url = f"sqlite:///{release_1}"
    barrier = threading.Barrier(6, timeout=60)
    errors: list[BaseException] = []

    def open_it() -> None:
        barrier.wait()
        try:
            get_storage(url).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _rows(release_1, "SELECT value FROM hp_meta") == [(str(SCHEMA_VERSION),)]
    assert len(_rows(release_1, "SELECT * FROM hp_trials")) == 21


def test_a_newer_schema_is_refused_and_the_file_left_untouched(release_1: Path) -> None:
    with sqlite3.connect(release_1) as db:
        db.execute("UPDATE hp_meta SET value = ? WHERE key = 'schema_version'",
                   (str(SCHEMA_VERSION + 1),))
    db.close()
    before = release_1.read_bytes()
    url = f"sqlite:///{release_1}"
    with pytest.raises(SchemaVersionError) as info:
        hp.load_study("svm", url)
    assert str(info.value) == (
        f"storage {url} has schema version {SCHEMA_VERSION + 1}, written by a newer "
        f"hyperpilot (this one reads up to {SCHEMA_VERSION}); upgrade hyperpilot to open it "
        "(the storage was left untouched)")
    assert release_1.read_bytes() == before
    assert sorted(p.name for p in release_1.parent.iterdir()) == ["schema-1.db"]


def test_a_schema_2_database_is_upgraded_in_place_and_keeps_every_trial_and_event(
        release_2: Path, caplog: pytest.LogCaptureFixture) -> None:
    trials_before = _rows(release_2, f"SELECT {TRIAL_COLUMNS} FROM hp_trials ORDER BY id")
    events_before = _rows(release_2, "SELECT * FROM hp_events ORDER BY id")
    studies_before = _rows(release_2, "SELECT * FROM hp_studies ORDER BY id")
    assert _rows(release_2, "SELECT value FROM hp_meta") == [("2",)]
    assert len(trials_before) == 14 and len(events_before) == 5
    url = f"sqlite:///{release_2}"

    storage = get_storage(url)
    assert f"storage {url} upgraded from schema version 2 to {SCHEMA_VERSION}" in caplog.text
    assert _rows(release_2, "SELECT value FROM hp_meta") == [(str(SCHEMA_VERSION),)]
    assert _rows(release_2, f"SELECT {TRIAL_COLUMNS} FROM hp_trials ORDER BY id") == (
        trials_before)
    assert _rows(release_2, "SELECT * FROM hp_events ORDER BY id") == events_before
    assert _rows(release_2, "SELECT * FROM hp_studies ORDER BY id") == studies_before

    mlp = hp.load_study("mlp", storage)
    states = [t.state.value for t in mlp.trials]
    assert (states.count("complete"), states.count("failed"), states.count("pruned")) == (6, 3, 1)
    assert all(t.user_attrs["epochs"] == 3 * t.config["layers"] for t in mlp.trials[:9])
    assert [(e.kind, e.origin, e.author, e.at_trial) for e in mlp.events()] == [
        ("enqueue", "python", None, 1), ("set_prior", "cli", "ada", 6),
        ("exclude", "dashboard", None, 6), ("pause", "python", None, 6),
        ("resume", "python", None, 6)]
    assert mlp.steering().excluded == {2} and mlp.steering().status == "running"
    assert all(t.intermediate == {} for t in mlp.trials)
    mo = hp.load_study("mo", storage)
    assert len(mo.trials) == 4 and mo.constraints[0].upper == 0.8

    # Learning curves work on the upgraded file, beside the old trials.
    def curve(config: dict[str, Any], trial: hp.Trial) -> float:
        for epoch in range(3):
            trial.report(epoch, 1.0 / (epoch + 1))
        return 0.5

    mlp.optimize(curve, n_trials=1, show_progress=False)
    reopened = hp.load_study("mlp", url)
    assert reopened.trials[-1].intermediate == {0: 1.0, 1: 0.5, 2: 1 / 3}
    assert len(reopened.trials) == 11
    storage.close()
    caplog.clear()
    get_storage(url).close()
    assert "upgraded" not in caplog.text


def test_an_upgrade_that_fails_leaves_the_file_as_it_was(
        release_2: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_done(conn: sa.engine.Connection) -> None:
        _migrations._add_intermediate(conn)  # the table exists, then the step fails
        raise sa.exc.OperationalError("CREATE ...", {}, Exception("disk I/O error"))

    monkeypatch.setitem(_migrations.STEPS, 2, half_done)
    tables_before = _rows(release_2, "SELECT name FROM sqlite_master ORDER BY name")
    with pytest.raises(StorageError, match="disk I/O error"):
        get_storage(f"sqlite:///{release_2}")
    assert _rows(release_2, "SELECT value FROM hp_meta") == [("2",)]
    assert _rows(release_2, "SELECT name FROM sqlite_master ORDER BY name") == tables_before
    monkeypatch.undo()
    get_storage(f"sqlite:///{release_2}").close()  # the real step then upgrades it
    assert _rows(release_2, "SELECT value FROM hp_meta") == [(str(SCHEMA_VERSION),)]


@pytest.mark.postgres
def test_a_schema_2_postgresql_database_is_upgraded(postgres_url: str) -> None:
    storage = get_storage(postgres_url)
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage=storage, name="old",
                            optimizer="random", seed=0)
    study.optimize(lambda c: c["x"], n_trials=3, show_progress=False)
    study.pause()
    storage.close()
    engine = sa.create_engine(sa.engine.make_url(postgres_url).set(
        drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # what schema 2 held: no learning curves
        conn.exec_driver_sql("DROP TABLE hp_intermediate")
        conn.exec_driver_sql("UPDATE hp_meta SET value = '2' WHERE key = 'schema_version'")
    reopened = hp.load_study("old", postgres_url)
    assert [t.state.value for t in reopened.trials] == ["complete"] * 3
    assert [e.kind for e in reopened.events()] == ["pause"]
    with engine.begin() as conn:
        version = conn.exec_driver_sql("SELECT value FROM hp_meta").scalar()
    engine.dispose()
    assert version == str(SCHEMA_VERSION)
    trial = reopened.ask()
    reopened.storage.add_intermediate(trial.id, [NewIntermediate(1, 0.5)])
    assert reopened.storage.get_intermediate(reopened.id)[0].step == 1


@pytest.mark.postgres
def test_a_schema_1_postgresql_database_is_upgraded(postgres_url: str) -> None:
    storage = get_storage(postgres_url)
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage=storage, name="old",
                            optimizer="random", seed=0)
    study.optimize(lambda c: c["x"], n_trials=4, show_progress=False)
    storage.close()
    # Turn it into what release 1 wrote: no events table, version 1.
    engine = sa.create_engine(sa.engine.make_url(postgres_url).set(
        drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE hp_intermediate")
        conn.exec_driver_sql("DROP TABLE hp_events")
        conn.exec_driver_sql("UPDATE hp_meta SET value = '1' WHERE key = 'schema_version'")
    reopened = hp.load_study("old", postgres_url)
    assert [t.state.value for t in reopened.trials] == ["complete"] * 4
    with engine.begin() as conn:
        version = conn.exec_driver_sql("SELECT value FROM hp_meta").scalar()
    engine.dispose()
    assert version == str(SCHEMA_VERSION)
    assert reopened.storage.add_event(reopened.id, NewEvent(kind="k")).at_trial == 4
