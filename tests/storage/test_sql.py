"""SQL storage: opening bad URLs and foreign or damaged databases, and several processes."""

from __future__ import annotations

import importlib
import multiprocessing
import random
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import hyperpilot as hp
from hyperpilot.exceptions import MissingDependencyError, SchemaVersionError, StorageError
from hyperpilot.storage import NewTrial, TrialOutcome, get_storage
from hyperpilot.storage._schema import SCHEMA_VERSION
from hyperpilot.trial._trial import TrialState

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def shown(url: str) -> str:
    """*url* as error messages show it: with the password hidden."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class RawDB:
    """The database behind a storage URL, reached without hyperpilot."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = sa.engine.make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if not self.is_sqlite and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self._url = parsed

    def run(self, *statements: str) -> list[tuple[Any, ...]]:
        """Run *statements* in one transaction; return the rows of the last one."""
        rows: list[tuple[Any, ...]] = []
        if self.is_sqlite:
            assert self._url.database is not None
            with sqlite3.connect(self._url.database) as db:
                for statement in statements:
                    rows = db.execute(statement).fetchall()
            db.close()
            return rows
        engine = sa.create_engine(self._url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    result = conn.exec_driver_sql(statement)
                    rows = [tuple(r) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()
        return rows

    def tables(self) -> list[str]:
        if self.is_sqlite:
            query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        else:
            query = ("SELECT table_name FROM information_schema.tables "
                     "WHERE table_schema = current_schema() ORDER BY table_name")
        return [name for (name,) in self.run(query)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database of each SQL backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _stored_study(url: str, n_trials: int = 3) -> list[tuple[Any, ...]]:
    """Store a study with *n_trials* trials (the first complete); return the trial rows."""
    storage = get_storage(url)
    study = storage.create_study("kept", {"v": 1}, 1.0)
    for i in range(n_trials):
        trial = storage.add_trial(study.id, NewTrial(config={"i": i}, created_at=2.0))
        if i == 0:
            storage.finish_trial(trial.id, TrialOutcome(TrialState.COMPLETE, 3.0,
                                                        values={"loss": 0.5}))
    storage.close()
    return _trial_rows(url)


def _trial_rows(url: str) -> list[tuple[Any, ...]]:
    return RawDB(url).run("SELECT id, number, state, config, vals FROM hp_trials ORDER BY id")


# ---------------------------------------------------------------------- URLs
@pytest.mark.parametrize("bad", ["://", "not a url", "::::"])
def test_unparsable_url(bad: str) -> None:
    with pytest.raises(StorageError) as info:
        get_storage(bad)
    assert str(info.value) == (
        f"cannot parse storage URL {bad!r}; expected e.g. sqlite:///runs.db or "
        "postgresql://user:password@host:5432/db"
    )


@pytest.mark.parametrize("bad", ["mysql://me:secret@db.example.org/runs", "http://example.org"])
def test_unsupported_scheme(bad: str) -> None:
    with pytest.raises(StorageError) as info:
        get_storage(bad)
    assert str(info.value) == (
        f"unsupported storage URL {shown(bad)}; use sqlite:///FILE, postgresql://... or memory"
    )
    assert "secret" not in str(info.value)


def test_postgresql_url_with_a_missing_driver() -> None:
    with pytest.raises(MissingDependencyError, match="psycopg2") as info:
        get_storage("postgresql+psycopg2://me:secret@127.0.0.1:1/runs")
    assert isinstance(info.value, ImportError)
    assert "secret" not in str(info.value)


def test_sqlite_url_without_a_file() -> None:
    for bad in ("sqlite://", "sqlite:///", "sqlite:///:memory:"):
        with pytest.raises(StorageError) as info:
            get_storage(bad)
        assert str(info.value) == (
            "an SQLite storage needs a file, e.g. sqlite:///runs.db; "
            "use storage='memory' for an in-memory study"
        )


def test_sqlite_bad_synchronous(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        get_storage(f"sqlite:///{tmp_path / 'x.db'}?synchronous=sometimes")
    assert str(info.value) == (
        "sqlite synchronous must be off, normal, full or extra, got 'sometimes'"
    )
    assert not (tmp_path / "x.db").exists()


def test_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'runs.db'}"
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert str(info.value) == f"cannot open storage {url}: unable to open database file"
    assert not (tmp_path / "no").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_postgresql_port_without_a_server() -> None:
    port = _free_port()
    url = f"postgresql://me:secret@127.0.0.1:{port}/runs"
    with pytest.raises(StorageError) as info:
        get_storage(url)
    message = str(info.value)
    assert message.startswith(
        f"cannot open storage postgresql://me:***@127.0.0.1:{port}/runs: connection failed: "
    ), message
    assert f'port {port} failed: Connection refused' in message
    assert "secret" not in message
    assert "\n" not in message


@pytest.mark.postgres
def test_postgresql_wrong_password(postgres_url: str) -> None:
    url = sa.engine.make_url(postgres_url).set(password="wrong").render_as_string(False)
    with pytest.raises(StorageError) as info:
        get_storage(url)
    message = str(info.value)
    assert message.startswith(f"cannot open storage {shown(url)}: connection failed: ")
    assert "password authentication failed" in message
    assert "wrong" not in message


# ---------------------------------------------------------------------- damaged databases
def test_random_bytes_are_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "random.db"
    garbage = random.Random(0).randbytes(16384)
    path.write_bytes(garbage)
    url = f"sqlite:///{path}"
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert str(info.value) == (
        f"cannot open storage {url}: file is not a database "
        "(the file is corrupt or not a database)"
    )
    assert path.read_bytes() == garbage


def test_text_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("my precious notes\n" * 100)
    with pytest.raises(StorageError, match=r"file is not a database \(the file is corrupt"):
        get_storage(f"sqlite:///{path}")
    assert path.read_text() == "my precious notes\n" * 100


def test_corrupt_trial_pages_raise_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    url = f"sqlite:///{path}"
    storage = get_storage(url)
    study = storage.create_study("s", {}, 0.0)
    for i in range(2000):
        storage.add_trial(study.id, NewTrial(config={"i": i, "pad": "x" * 200}))
    storage.close()
    size = path.stat().st_size
    with path.open("r+b") as f:  # the trial rows fill the second half of the file
        f.seek(size // 2)
        f.write(random.Random(1).randbytes(size - size // 2))
    with pytest.raises(StorageError, match="malformed"):
        get_storage(url).get_trials(study.id)


def test_foreign_database_is_refused_and_left_alone(url: str) -> None:
    raw = RawDB(url)
    raw.run("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)",
            "INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'grace')")
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert type(info.value) is StorageError
    assert str(info.value) == (
        f"storage {shown(url)} holds tables ['orders', 'users'] but is not a hyperpilot "
        "storage; use another file or database"
    )
    assert raw.tables() == ["orders", "users"]
    assert raw.run("SELECT id, name FROM users ORDER BY id") == [(1, "ada"), (2, "grace")]


def test_foreign_sqlite_file_keeps_its_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(StorageError, match="not a hyperpilot storage"):
        get_storage(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


@pytest.mark.parametrize("version", [0, SCHEMA_VERSION + 1])
def test_other_schema_version_is_refused_and_left_alone(url: str, version: int) -> None:
    before = _stored_study(url)
    RawDB(url).run(f"UPDATE hp_meta SET value = '{version}' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError) as info:
        get_storage(url)
    if version < SCHEMA_VERSION:
        expected = (
            f"storage {shown(url)} has schema version {version}, older than this hyperpilot's "
            f"{SCHEMA_VERSION}, and no upgrade exists for it; export the studies with the "
            "hyperpilot that wrote it"
        )
    else:
        expected = (
            f"storage {shown(url)} has schema version {version}, written by a newer hyperpilot "
            f"(this one reads up to {SCHEMA_VERSION}); upgrade hyperpilot to open it (the "
            "storage was left untouched)"
        )
    assert str(info.value) == expected
    assert isinstance(info.value, StorageError)
    assert _trial_rows(url) == before
    assert len(before) == 3
    assert RawDB(url).run("SELECT value FROM hp_meta WHERE key = 'schema_version'") == [
        (str(version),)]


def test_missing_schema_version_counts_as_oldest(url: str) -> None:
    before = _stored_study(url)
    RawDB(url).run("DELETE FROM hp_meta")
    with pytest.raises(SchemaVersionError, match="has schema version 0, older than"):
        get_storage(url)
    assert _trial_rows(url) == before


def test_missing_table_is_reported(url: str) -> None:
    _stored_study(url)
    # PostgreSQL: CASCADE drops the foreign key of hp_intermediate, not the table.
    RawDB(url).run("DROP TABLE hp_trials" + ("" if url.startswith("sqlite") else " CASCADE"))
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert str(info.value) == (
        f"storage {shown(url)} is damaged: tables ['hp_trials'] are missing"
    )


def test_reopening_keeps_everything(url: str) -> None:
    before = _stored_study(url, n_trials=5)
    storage = get_storage(url)
    study = storage.get_study("kept")
    assert [t.number for t in storage.get_trials(study.id)] == [0, 1, 2, 3, 4]
    assert storage.add_trial(study.id, NewTrial(config={})).number == 5
    storage.close()
    assert _trial_rows(url)[:5] == before


# ---------------------------------------------------------------------- processes
@pytest.fixture
def spawn(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Run ``_sql_workers.<function>(*args)`` in spawned processes, one per argument tuple."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    workers = importlib.import_module("_sql_workers")

    def run(function: str, *arg_lists: tuple[Any, ...]) -> None:
        context = multiprocessing.get_context("spawn")
        target = getattr(workers, function)
        processes = [context.Process(target=target, args=args) for args in arg_lists]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
            if process.is_alive():
                process.kill()
                process.join()
        assert [p.exitcode for p in processes] == [0] * len(processes), (
            "a worker process failed; see its traceback in the captured stderr")

    return run


@pytest.mark.slow
def test_two_processes_write_to_one_study(url: str, spawn: Callable[..., None]) -> None:
    hp.create_study(space={"x": hp.Float(-1, 1)}, storage=url, name="shared", seed=0)
    spawn("ask_and_tell", (url, "shared", 200), (url, "shared", 200))

    trials = hp.load_study("shared", url).trials
    assert len(trials) == 400
    assert sorted(t.number for t in trials) == list(range(400))
    assert len({t.id for t in trials}) == 400
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.worker for t in trials}) == 2
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            assert conn.execute(
                "SELECT count(*), count(DISTINCT number), min(number), max(number) "
                "FROM hp_trials WHERE state = 'complete'"
            ).fetchone() == (400, 400, 0, 399)
        conn.close()


@pytest.mark.slow
def test_workers_open_one_new_study_at_once(tmp_path: Path, spawn: Callable[..., None]) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    get_storage(url).close()
    n_workers, names = 4, [f"study-{i}" for i in range(25)]
    barrier = multiprocessing.get_context("spawn").Barrier(n_workers)
    error_files = [tmp_path / f"errors-{k}.txt" for k in range(n_workers)]
    spawn("open_study_together", *[(url, barrier, names, f) for f in error_files])
    errors = [line for f in error_files for line in f.read_text().splitlines()]
    assert errors == []


class _LockedEngine:
    """Stands in for an SQLite engine whose first *busy* connections find the file locked."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.statements: list[str] = []

    def connect(self) -> Any:
        engine = self

        class Conn:
            def __enter__(self) -> Conn:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

            def exec_driver_sql(self, sql: str) -> Any:
                engine.statements.append(sql)
                if engine.busy:
                    engine.busy -= 1
                    raise sa.exc.OperationalError(sql, {}, sqlite3.OperationalError(
                        "database is locked"))
                return _Scalar("delete")

        return Conn()


class _Scalar:
    def __init__(self, value: str) -> None:
        self.value = value

    def scalar(self) -> str:
        return self.value


def test_switching_to_wal_waits_out_a_locked_file() -> None:
    """SQLite may answer "locked" at once while several processes open a new file."""
    from hyperpilot.storage._sql import _use_wal

    engine = _LockedEngine(busy=3)
    _use_wal(engine)  # type: ignore[arg-type]
    assert engine.statements[-2:] == ["PRAGMA journal_mode", "PRAGMA journal_mode=WAL"]
    never = _LockedEngine(busy=10**6)
    with pytest.raises(sa.exc.OperationalError, match="database is locked"):
        _use_wal(never, wait=0.2)  # type: ignore[arg-type]
    assert 3 <= len(never.statements) <= 12  # retried, with growing pauses

