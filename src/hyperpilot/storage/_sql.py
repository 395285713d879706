"""SQL storage through SQLAlchemy: SQLite (embedded default) and PostgreSQL (many machines).

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
death of the process (SIGKILL included); only a power loss or an operating-system crash can
lose the last commits. Add ``?synchronous=full`` to the URL to survive those too, at the
price of an ``fsync`` per commit. Write transactions start with ``BEGIN IMMEDIATE`` so that
concurrent processes queue for the lock (``busy_timeout``, 60 s) instead of failing with
"database is locked".

PostgreSQL claims pending trials with ``FOR UPDATE SKIP LOCKED`` and numbers trials through
a row lock on the study, so concurrent workers never share a trial or a number. Events and
intermediate values take the same lock, so their ids are drawn and committed in one order
and a reader's cursor (``min_id``) never passes a row that commits later.

Conditional inserts (``max_trials``, ``unique``) are one ``INSERT ... SELECT ... WHERE``
statement under that lock (SQLite: under its write lock). Configurations are stored as
JSON text in the order given; ``unique`` compares their canonical form: SQLite through a
function each connection registers (``hp_config_key``, :func:`config_key` of the text),
PostgreSQL through ``jsonb``, whose text has sorted keys too.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from hyperpilot.exceptions import (
    DuplicateConfigurationError,
    DuplicateStudyError,
    HyperpilotError,
    IntermediateValueError,
    MissingDependencyError,
    SchemaVersionError,
    StorageError,
    StudyFullError,
    StudyNotFoundError,
    TrialNotFoundError,
    TrialStateError,
    require,
)
from hyperpilot.storage._base import (
    Event,
    IntermediateValue,
    NewEvent,
    NewIntermediate,
    NewTrial,
    Storage,
    StudyRecord,
    StudySummary,
    TrialOutcome,
    TrialPage,
    TrialResult,
    check_page,
    config_key,
    parse_order,
)
from hyperpilot.storage._migrations import can_migrate, migrate
from hyperpilot.storage._schema import (
    SCHEMA_VERSION,
    events,
    intermediate,
    meta_table,
    metadata,
    studies,
    trials,
)
from hyperpilot.trial._trial import Trial, TrialState, check_point

_STATES = {s.value: s for s in TrialState}
logger = logging.getLogger("hyperpilot")


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


_CLAIM_ATTEMPTS = 20
_INSERT_COLUMNS = ("state", "config", "budget", "seed", "instance", "worker", "created_at",
                   "started_at", "meta", "heartbeat_at")
_HEARTBEAT_CHUNK = 500
_FINISH_COLUMNS = ("state", "finished_at", "vals", "constraint_vals", "error")


class _Statement:
    """A Core statement compiled once for a dialect, run on a driver cursor."""

    def __init__(self, statement: sa.sql.ClauseElement, dialect: sa.engine.Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._order: list[str] | None = (
            list(compiled.positiontup or []) if compiled.positional else None
        )
        self._fixed = {k: v for k, v in compiled.params.items() if v is not None}

    def run(self, cursor: Any, params: dict[str, Any]) -> None:
        """Execute with *params* (names as in the statement's bind parameters)."""
        values = {**self._fixed, **params}
        if self._order is not None:
            cursor.execute(self.sql, tuple(values[k] for k in self._order))
        else:
            cursor.execute(self.sql, values)

    def run_many(self, cursor: Any, rows: Sequence[dict[str, Any]]) -> None:
        """Execute once per row of *rows* (``executemany``)."""
        if self._order is not None:
            order = self._order
            cursor.executemany(self.sql, [tuple({**self._fixed, **row}[k] for k in order)
                                          for row in rows])
        else:
            cursor.executemany(self.sql, [{**self._fixed, **row} for row in rows])


class _DamagedRow(StorageError):
    """A row does not hold what hyperpilot writes (the storage names itself on the way up)."""


def _field(row: Any, column: str, kinds: tuple[type, ...], where: str,
           optional: bool = True) -> Any:
    """The value of *column*, checked to be one of *kinds* (``None`` if *optional*)."""
    value = getattr(row, column)
    if value is None and optional:
        return None
    if not isinstance(value, kinds) or isinstance(value, bool):
        raise _DamagedRow(f"{where}: {column} holds {type(value).__name__} {value!r:.40}")
    return value


def _json_object(row: Any, column: str, where: str, optional: bool = True,
                 numbers: bool = False) -> dict[str, Any] | None:
    """The JSON object that the text of *column* holds (of numbers, if *numbers*)."""
    text = _field(row, column, (str,), where, optional)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _DamagedRow(f"{where}: {column} is not valid JSON") from None
    if not isinstance(value, dict) or (numbers and not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
    )):
        expected = "an object of numbers" if numbers else "an object"
        raise _DamagedRow(f"{where}: {column} holds JSON that is not {expected}")
    return value


_NUMBER = (int, float)
_NUMBER_TYPES = frozenset(_NUMBER)  # exact types: a bool (a subclass of int) is not one


def _row_to_trial(row: Any) -> Trial:
    """The trial a row of ``hp_trials`` holds.

    Raises:
        StorageError: when the row holds values of the wrong type or text that is not JSON.

    """
    where = f"trial id {row.id!r:.20}"
    state = _field(row, "state", (str,), where, optional=False)
    if state not in _STATES:
        raise _DamagedRow(f"{where}: state holds {state!r:.40}")
    config = _json_object(row, "config", where, optional=False)
    assert config is not None
    return Trial(
        id=_field(row, "id", (int,), where, optional=False),
        number=_field(row, "number", (int,), where, optional=False),
        study_id=_field(row, "study_id", (int,), where, optional=False), config=config,
        state=_STATES[state], budget=_field(row, "budget", _NUMBER, where),
        seed=_field(row, "seed", (int,), where), instance=_field(row, "instance", (str,), where),
        values=_json_object(row, "vals", where, numbers=True),
        constraints=_json_object(row, "constraint_vals", where, numbers=True),
        error=_field(row, "error", (str,), where), worker=_field(row, "worker", (str,), where),
        created_at=_field(row, "created_at", _NUMBER, where, optional=False),
        started_at=_field(row, "started_at", _NUMBER, where),
        finished_at=_field(row, "finished_at", _NUMBER, where),
        meta=_json_object(row, "meta", where) or {},
        heartbeat_at=_field(row, "heartbeat_at", _NUMBER, where),
    )


_ResultRow = collections.namedtuple("_ResultRow", ["id", "number", "state", "vals", "error"])


def _parse_values(rows: Sequence[tuple[Any, ...]]) -> list[Any]:
    """The ``vals`` JSON of every row ``(id, number, state, vals, error)``, parsed at once.

    One ``json.loads`` of all the texts as one array costs a fraction of one call per row.
    When that does not give one object or null per row (text that is not JSON, or that is
    several values), every entry is ``...`` and each row is checked on its own.
    """
    texts = [row[3] for row in rows]
    if all(t is None or type(t) is str for t in texts):
        try:
            parsed = json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")
        except (ValueError, RecursionError):
            parsed = None
        if (type(parsed) is list and len(parsed) == len(texts) and all(
                (v is None) == (t is None) and (v is None or type(v) is dict)
                for v, t in zip(parsed, texts, strict=True))):
            return parsed
    return [...] * len(rows)


def _row_to_result(row: tuple[Any, ...], values: Any = ...) -> TrialResult:
    """The :class:`TrialResult` of a row ``(id, number, state, vals, error)`` of ``hp_trials``.

    *values* is the row's ``vals`` already parsed (``...``: not parsed). Rows as hyperpilot
    writes them take a fast path; any other goes through the checks of
    :func:`_row_to_trial` (and raises as it does).
    """
    id_, number, state, _, error = row
    if (type(id_) is int and type(number) is int and state in _STATES
            and (error is None or type(error) is str)):
        if values is ... or (values is not None and not _NUMBER_TYPES.issuperset(
                map(type, values.values()))):
            values = _json_object(_ResultRow(*row), "vals", f"trial id {id_!r:.20}",
                                  numbers=True)
        return TrialResult(id_, number, _STATES[state], values, error)
    named = _ResultRow(*row)
    where = f"trial id {named.id!r:.20}"
    state = _field(named, "state", (str,), where, optional=False)
    if state not in _STATES:
        raise _DamagedRow(f"{where}: state holds {state!r:.40}")
    return TrialResult(
        id=_field(named, "id", (int,), where, optional=False),
        number=_field(named, "number", (int,), where, optional=False), state=_STATES[state],
        values=_json_object(named, "vals", where, numbers=True),
        error=_field(named, "error", (str,), where))


def _row_to_record(row: Any) -> StudyRecord:
    """The study record a row of ``hp_studies`` holds (raises as :func:`_row_to_trial`)."""
    where = f"study id {row.id!r:.20}"
    spec = _json_object(row, "spec", where, optional=False)
    assert spec is not None
    return StudyRecord(_field(row, "id", (int,), where, optional=False),
                       _field(row, "name", (str,), where, optional=False),
                       _field(row, "created_at", _NUMBER, where, optional=False), spec)


_EventRow = collections.namedtuple("_EventRow", [c.name for c in events.columns])  # type: ignore[misc]


def _row_to_event(row: Any) -> Event:
    """The event a row of ``hp_events`` holds (raises as :func:`_row_to_trial`)."""
    where = f"event id {row.id!r:.20}"
    payload = _json_object(row, "payload", where, optional=False)
    assert payload is not None
    return Event(
        id=_field(row, "id", (int,), where, optional=False),
        study_id=_field(row, "study_id", (int,), where, optional=False),
        at_trial=_field(row, "at_trial", (int,), where, optional=False),
        created_at=_field(row, "created_at", _NUMBER, where, optional=False),
        origin=_field(row, "origin", (str,), where, optional=False),
        author=_field(row, "author", (str,), where),
        kind=_field(row, "kind", (str,), where, optional=False), payload=payload,
    )


_ValueRow = collections.namedtuple(  # type: ignore[misc]
    "_ValueRow", [c.name for c in intermediate.columns])


def _row_to_value(row: Any) -> IntermediateValue:
    """The point a row of ``hp_intermediate`` holds (raises as :func:`_row_to_trial`)."""
    where = f"intermediate value id {row.id!r:.20}"
    step = _field(row, "step", _NUMBER, where, optional=False)
    value = _field(row, "value", _NUMBER, where, optional=False)
    try:
        step, value = check_point(step, value)
    except IntermediateValueError:
        raise _DamagedRow(f"{where}: holds step {step!r:.20} and value {value!r:.20}") from None
    return IntermediateValue(
        id=_field(row, "id", (int,), where, optional=False),
        study_id=_field(row, "study_id", (int,), where, optional=False),
        trial_id=_field(row, "trial_id", (int,), where, optional=False), step=step,
        value=value, created_at=_field(row, "created_at", _NUMBER, where, optional=False),
    )


class SQLStorage(Storage):
    """A storage in an SQL database (SQLite file or PostgreSQL server).

    Args:
        url: an SQLAlchemy URL, e.g. ``sqlite:///runs.db`` or
            ``postgresql://user:pass@host/db``.
        engine_kwargs: extra arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        StorageError: when the database cannot be opened or is not a hyperpilot storage.
        SchemaVersionError: when it was written by a hyperpilot with another schema.

    """

    def __init__(self, url: str, *, engine_kwargs: dict[str, Any] | None = None) -> None:
        self.url = url
        self._engine = _make_engine(url, engine_kwargs or {})
        self._local = threading.local()
        self._connections: list[Connection] = []
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        self._dbapi: Any = self._engine.dialect.loaded_dbapi
        try:
            self._ensure_schema()
            if self._is_sqlite:
                # Only now that the file is known to be ours: WAL mode is stored in the file.
                _use_wal(self._engine)
        except BaseException as exc:
            self.close()
            if isinstance(exc, StorageError):
                raise
            if isinstance(exc, (sa.exc.DBAPIError, UnicodeDecodeError)):
                raise _open_error(url, exc) from None
            raise
        # The three statements of every trial (ask, claim, tell) are compiled once and run
        # on the driver's connection: SQLAlchemy's per-execute machinery costs several
        # times what SQLite itself needs for them.
        c = trials.c
        dialect = self._engine.dialect
        self._select_trials = sa.select(trials).order_by(c.id)
        next_number = (
            sa.select(sa.func.coalesce(sa.func.max(c.number) + 1, 0))
            .where(c.study_id == sa.bindparam("sid"))
            .scalar_subquery()
        )
        self._insert_trial = _Statement(
            trials.insert()
            .values(
                study_id=sa.bindparam("sid"), number=next_number,
                **{k: sa.bindparam(k) for k in _INSERT_COLUMNS},
            )
            .returning(c.id, c.number),
            dialect,
        )
        # The same insert, made only under conditions (see _conditional_insert).
        self._conditional: dict[tuple[bool, bool], _Statement] = {}
        self._conditional_insert(limited=True, unique=False)
        self._lock_study = _Statement(
            sa.select(studies.c.id).where(studies.c.id == sa.bindparam("sid")).with_for_update(),
            dialect,
        )
        pending = (
            sa.select(c.id)
            .where(c.study_id == sa.bindparam("sid"), c.state == TrialState.PENDING.value)
            .order_by(c.id)
            .limit(1)
        )
        self._pending = _Statement(pending, dialect)
        self._finish = _Statement(
            trials.update()
            .where(c.id == sa.bindparam("tid"), c.state == TrialState.RUNNING.value)
            .values(**{k: sa.bindparam(k) for k in _FINISH_COLUMNS}),
            dialect,
        )
        self._select_meta = _Statement(
            sa.select(c.meta).where(c.id == sa.bindparam("tid")), dialect
        )
        self._select_state = _Statement(
            sa.select(c.state).where(c.id == sa.bindparam("tid")), dialect
        )
        self._claim_query = pending.with_for_update(skip_locked=True)
        # Every trial a loop starts reads the study's new events (usually none): on the
        # driver, like the trial statements.
        self._select_events = _Statement(
            sa.select(events)
            .where(events.c.study_id == sa.bindparam("sid"),
                   events.c.id >= sa.bindparam("min_id"))
            .order_by(events.c.id),
            dialect,
        )
        self._finish_meta = _Statement(
            trials.update()
            .where(c.id == sa.bindparam("tid"), c.state == TrialState.RUNNING.value)
            .values(**{k: sa.bindparam(k) for k in (*_FINISH_COLUMNS, "meta")}),
            dialect,
        )

    def _conditional_insert(self, *, limited: bool, unique: bool) -> _Statement:
        """The insert as ``INSERT ... SELECT``, compiled on first use.

        It stores nothing while the study holds ``:limit`` trials (*limited*), or while a
        trial of the study has the configuration and budget being added (*unique*).
        """
        key = (limited, unique)
        if key not in self._conditional:
            c = trials.c
            numbered = (
                sa.select(sa.func.coalesce(sa.func.max(c.number) + 1, 0).label("n"))
                .where(c.study_id == sa.bindparam("sid", type_=sa.Integer))
                .subquery()
            )
            conditions = []
            if limited:
                conditions.append(numbered.c.n < sa.bindparam("limit", type_=sa.Integer))
            if unique:
                conditions.append(~sa.exists().where(self._same_config(trials.alias("same"))))
            self._conditional[key] = _Statement(
                trials.insert()
                .from_select(
                    ["study_id", "number", *_INSERT_COLUMNS],
                    sa.select(
                        sa.bindparam("sid", type_=sa.Integer), numbered.c.n,
                        *(sa.bindparam(k, type_=c[k].type) for k in _INSERT_COLUMNS),
                    ).where(*conditions),
                )
                .returning(c.id, c.number),
                self._engine.dialect,
            )
        return self._conditional[key]

    def _same_config(self, table: sa.FromClause) -> sa.ColumnElement[bool]:
        """Rows of *table* in study ``:sid`` with budget ``:budget`` and config ``:key``.

        ``:key`` is the canonical text (:func:`config_key`); a stored text has the length of
        its canonical form, so lengths are compared first and only rows of that length
        are made canonical.
        """
        c = table.c
        stored = (sa.func.hp_config_key(c.config) if self._is_sqlite
                  else sa.cast(sa.cast(c.config, JSONB), sa.Text))
        given = (sa.bindparam("key", type_=sa.Text) if self._is_sqlite
                 else sa.cast(sa.cast(sa.bindparam("key", type_=sa.Text), JSONB), sa.Text))
        return sa.and_(
            c.study_id == sa.bindparam("sid", type_=sa.Integer),
            c.budget.is_not_distinct_from(sa.bindparam("budget", type_=c.budget.type)),
            sa.func.length(c.config) == sa.bindparam("key_length", type_=sa.Integer),
            stored == given,
        )

    @cached_property
    def _next_number(self) -> _Statement:
        c = trials.c
        return _Statement(
            sa.select(sa.func.coalesce(sa.func.max(c.number) + 1, 0))
            .where(c.study_id == sa.bindparam("sid", type_=sa.Integer)),
            self._engine.dialect,
        )

    @cached_property
    def _same_config_number(self) -> _Statement:
        return _Statement(
            sa.select(sa.func.min(trials.c.number)).where(self._same_config(trials)),
            self._engine.dialect,
        )

    def _refusal(self, cursor: Any, params: dict[str, Any], trial: NewTrial) -> HyperpilotError:
        """Why a conditional insert stored nothing (the full study wins when both refuse)."""
        study_id = params["sid"]
        if trial.max_trials is not None:
            self._next_number.run(cursor, {"sid": study_id})
            held = cursor.fetchone()[0]
            if held >= trial.max_trials:
                return StudyFullError(
                    f"study id {study_id} in {_safe(self.url)} already holds {held} trials "
                    f"(limit {trial.max_trials})"
                )
        self._same_config_number.run(cursor, params)
        number = cursor.fetchone()[0]
        at = "" if trial.budget is None else f" at budget {trial.budget}"
        return DuplicateConfigurationError(
            f"study id {study_id} in {_safe(self.url)} already has configuration "
            f"{dict(trial.config)}{at} as trial {number}; a unique trial must be new"
        )

    # ------------------------------------------------------------------ plumbing
    def _connection(self) -> Connection:
        """Return this thread's connection, kept open between calls.

        A pool checkout per call would cost as much as the statements; a forked child
        opens its own.
        """
        local = self._local
        conn: Connection | None = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid() or conn.closed or conn.invalidated:
            conn = self._engine.connect()
            local.conn, local.pid = conn, os.getpid()
            self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        try:
            conn = self._connection().execution_options(hp_write=write)
        except (sa.exc.DBAPIError, UnicodeDecodeError) as exc:
            raise _open_error(self.url, exc) from None
        try:
            with conn.begin():
                yield conn
        except sa.exc.IntegrityError:
            raise
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                self._local.conn = None
            raise _failure(self.url, exc) from None
        except (UnicodeDecodeError, _DamagedRow) as exc:
            raise _failure(self.url, exc) from None

    def _write(self) -> contextlib.AbstractContextManager[Connection]:
        return self._transaction(True)

    def _read(self) -> contextlib.AbstractContextManager[Connection]:
        return self._transaction(False)

    @contextmanager
    def _driver(self, write: bool) -> Iterator[Any]:
        """A cursor on this thread's driver connection, inside one transaction."""
        conn = self._connection()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            if self._is_sqlite and write:
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            raw.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                raw.rollback()
            if isinstance(exc, self._dbapi.OperationalError):
                self._local.conn = None
                with contextlib.suppress(Exception):
                    conn.invalidate()
            driver_error = isinstance(exc, self._dbapi.Error) and not isinstance(
                exc, self._dbapi.IntegrityError
            )
            if driver_error or isinstance(exc, UnicodeDecodeError):
                raise _failure(self.url, exc) from None
            raise
        finally:
            cursor.close()

    def _ensure_schema(self) -> None:
        with self._write() as conn:
            if not self._is_sqlite:
                # One creator at a time when many workers open a new database together.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7391044)"))
            names = set(sa.inspect(conn).get_table_names())
            if not names:
                metadata.create_all(conn)
                conn.execute(meta_table.insert().values(key="schema_version",
                                                        value=str(SCHEMA_VERSION)))
                return
            if meta_table.name not in names:
                raise StorageError(
                    f"storage {_safe(self.url)} holds tables {sorted(names)[:5]} but is not a "
                    "hyperpilot storage; use another file or database"
                )
            row = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
            ).first()
            stored = row[0] if row else 0
            try:
                version = int(stored)
            except (TypeError, ValueError):
                raise _DamagedRow(f"schema version holds {stored!r:.40}") from None
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"storage {_safe(self.url)} has schema version {version}, written by a newer "
                    f"hyperpilot (this one reads up to {SCHEMA_VERSION}); upgrade hyperpilot to "
                    "open it (the storage was left untouched)"
                )
            if version < SCHEMA_VERSION:
                if not can_migrate(version):
                    raise SchemaVersionError(
                        f"storage {_safe(self.url)} has schema version {version}, older than "
                        f"this hyperpilot's {SCHEMA_VERSION}, and no upgrade exists for it; "
                        "export the studies with the hyperpilot that wrote it"
                    )
                migrate(conn, version)
                logger.info("storage %s upgraded from schema version %d to %d", _safe(self.url),
                            version, SCHEMA_VERSION)
                names = set(sa.inspect(conn).get_table_names())
            missing = {t.name for t in metadata.sorted_tables} - names
            if missing:
                raise StorageError(
                    f"storage {_safe(self.url)} is damaged: tables {sorted(missing)} are missing"
                )

    def close(self) -> None:
        for conn in self._connections:
            with contextlib.suppress(Exception):
                conn.close()
        self._connections.clear()
        self._local = threading.local()
        self._engine.dispose()

    # ------------------------------------------------------------------ studies
    def create_study(self, name: str, spec: dict[str, Any], created_at: float) -> StudyRecord:
        try:
            with self._write() as conn:
                study_id = conn.execute(
                    studies.insert().values(name=name, created_at=created_at, spec=_dumps(spec))
                ).inserted_primary_key[0]  # type: ignore[index]
        except sa.exc.IntegrityError:
            raise DuplicateStudyError(
                f"a study named {name!r} already exists in {_safe(self.url)}"
            ) from None
        return StudyRecord(int(study_id), name, created_at, json.loads(json.dumps(spec)))

    def get_study(self, name: str) -> StudyRecord:
        with self._read() as conn:
            row = conn.execute(
                sa.select(studies.c.id, studies.c.name, studies.c.created_at, studies.c.spec)
                .where(studies.c.name == name)
            ).first()
            if row is None:
                known = conn.execute(sa.select(studies.c.name).order_by(studies.c.id)).scalars()
                names = list(known)
            else:
                return _row_to_record(row)
        hint = f"studies: {names[:10]}" if names else "it holds no study"
        raise StudyNotFoundError(f"no study named {name!r} in {_safe(self.url)}; {hint}")

    def list_studies(self) -> list[StudySummary]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(studies.c.id, studies.c.name, studies.c.created_at, studies.c.spec)
                .order_by(studies.c.id)
            ).all()
            counts = conn.execute(
                sa.select(trials.c.study_id, trials.c.state, sa.func.count())
                .group_by(trials.c.study_id, trials.c.state)
            ).all()
            records = [_row_to_record(r) for r in rows]
            per_study: dict[Any, dict[TrialState, int]] = {
                r.id: dict.fromkeys(TrialState, 0) for r in records
            }
            for study_id, state, count in counts:
                if state not in _STATES:
                    raise _DamagedRow(f"a trial of study id {study_id!r:.20} has state "
                                      f"{state!r:.40}")
                if study_id in per_study:  # else a damaged study id: its study is not listed
                    per_study[study_id][_STATES[state]] = count
        return [StudySummary(record, per_study[record.id]) for record in records]

    def delete_study(self, name: str) -> None:
        with self._write() as conn:
            study_id = conn.execute(
                sa.select(studies.c.id).where(studies.c.name == name)
            ).scalar()
            if study_id is None:
                raise StudyNotFoundError(f"no study named {name!r} in {_safe(self.url)}")
            conn.execute(intermediate.delete().where(intermediate.c.study_id == study_id))
            conn.execute(trials.delete().where(trials.c.study_id == study_id))
            conn.execute(events.delete().where(events.c.study_id == study_id))
            conn.execute(studies.delete().where(studies.c.id == study_id))

    # ------------------------------------------------------------------ trials
    def add_trial(self, study_id: int, trial: NewTrial) -> Trial:
        running = trial.state == TrialState.RUNNING
        started = trial.created_at if running else None
        beat = trial.heartbeat_at if running else None
        meta = dict(trial.meta) if trial.meta else {}
        params: dict[str, Any] = {
            "sid": study_id, "state": trial.state.value, "config": _dumps(trial.config),
            "budget": trial.budget, "seed": trial.seed, "instance": trial.instance,
            "worker": trial.worker, "created_at": trial.created_at, "started_at": started,
            "meta": _dumps(meta) if meta else None, "heartbeat_at": beat,
        }
        insert = self._insert_trial
        if trial.max_trials is not None or trial.unique:
            insert = self._conditional_insert(limited=trial.max_trials is not None,
                                              unique=trial.unique)
        if trial.max_trials is not None:
            params["limit"] = trial.max_trials
        if trial.unique:
            params["key"] = config_key(trial.config)
            params["key_length"] = len(params["key"])
        refusal = None
        with self._driver(write=True) as cursor:
            if not self._is_sqlite:
                # Serialize numbering per study; SQLite's BEGIN IMMEDIATE already does.
                self._lock_study.run(cursor, {"sid": study_id})
                if cursor.fetchone() is None:
                    raise StudyNotFoundError(f"no study with id {study_id} in {_safe(self.url)}")
            try:
                insert.run(cursor, params)
            except self._dbapi.IntegrityError:
                raise StudyNotFoundError(
                    f"no study with id {study_id} in {_safe(self.url)}"
                ) from None
            row = cursor.fetchone()
            if row is None:
                refusal = self._refusal(cursor, params, trial)
        if refusal is not None:
            raise refusal
        trial_id, number = row
        return Trial(
            id=int(trial_id), number=number, study_id=study_id, config=dict(trial.config),
            state=trial.state, budget=trial.budget, seed=trial.seed, instance=trial.instance,
            worker=trial.worker, created_at=trial.created_at, started_at=started, meta=meta,
            heartbeat_at=beat,
        )

    def claim_pending(self, study_id: int, worker: str | None, started_at: float) -> Trial | None:
        # PostgreSQL's SKIP LOCKED passes over rows that others are claiming right now; if
        # they give one up, or one was enqueued meanwhile, the plain check sees it again.
        for _ in range(_CLAIM_ATTEMPTS):
            with self._driver(write=False) as cursor:
                self._pending.run(cursor, {"sid": study_id})
                if cursor.fetchone() is None:
                    return None
            with self._write() as conn:
                trial_id = conn.execute(self._claim_query, {"sid": study_id}).scalar()
                if trial_id is None:
                    continue
                row = conn.execute(
                    trials.update()
                    .where(trials.c.id == trial_id)
                    .values(state=TrialState.RUNNING.value, worker=worker, started_at=started_at)
                    .returning(*trials.c)
                ).one()
            return _row_to_trial(row)
        return None

    def finish_trial(self, trial_id: int, outcome: TrialOutcome) -> None:
        params: dict[str, Any] = {
            "tid": trial_id, "state": outcome.state.value, "finished_at": outcome.finished_at,
            "vals": _dumps(outcome.values), "constraint_vals": _dumps(outcome.constraints),
            "error": outcome.error,
        }
        with self._driver(write=True) as cursor:
            statement = self._finish
            if outcome.meta:
                self._select_meta.run(cursor, {"tid": trial_id})
                old = cursor.fetchone()
                merged = {**((_loads(old[0]) if old else None) or {}), **dict(outcome.meta)}
                params["meta"] = _dumps(merged)
                statement = self._finish_meta
            statement.run(cursor, params)
            if cursor.rowcount == 1:
                return
            self._select_state.run(cursor, {"tid": trial_id})
            found = cursor.fetchone()
        state = found[0] if found else "missing"
        raise TrialStateError(
            f"trial id {trial_id} cannot be finished: it is {state}, not running"
        )

    def get_trial(self, trial_id: int) -> Trial:
        with self._read() as conn:
            row = conn.execute(self._select_trials.where(trials.c.id == trial_id)).first()
            if row is None:
                raise TrialNotFoundError(f"no trial with id {trial_id} in {_safe(self.url)}")
            return _row_to_trial(row)

    # ------------------------------------------------------------------ events
    def add_event(self, study_id: int, event: NewEvent) -> Event:
        e = events.c
        count = (sa.select(sa.func.coalesce(sa.func.max(trials.c.number) + 1, 0))
                 .where(trials.c.study_id == study_id).scalar_subquery())
        payload = _dumps(dict(event.payload)) or "{}"
        with self._write() as conn:
            # The study's row lock orders the event among trial inserts (PostgreSQL; SQLite
            # writers are serialized anyway), so at_trial is the count at that moment.
            query = sa.select(studies.c.id).where(studies.c.id == study_id)
            if not self._is_sqlite:
                query = query.with_for_update()
            if conn.execute(query).first() is None:
                raise StudyNotFoundError(f"no study with id {study_id} in {_safe(self.url)}")
            row = conn.execute(
                events.insert().values(
                    study_id=study_id, at_trial=count, created_at=event.created_at,
                    origin=event.origin, author=event.author, kind=event.kind, payload=payload,
                ).returning(e.id, e.at_trial)
            ).one()
        return Event(id=int(row.id), study_id=study_id, at_trial=int(row.at_trial),
                     created_at=event.created_at, origin=event.origin, author=event.author,
                     kind=event.kind, payload=json.loads(payload))

    def get_events(self, study_id: int, *, min_id: int = 0) -> list[Event]:
        with self._driver(write=False) as cursor:
            self._select_events.run(cursor, {"sid": study_id, "min_id": min_id})
            rows = cursor.fetchall()
        return [_row_to_event(_EventRow(*row)) for row in rows]

    # ------------------------------------------------------------------ intermediate values
    @cached_property
    def _trial_for_values(self) -> _Statement:
        """A trial's study and state; on PostgreSQL its row is locked against finishing."""
        query = sa.select(trials.c.study_id, trials.c.state).where(
            trials.c.id == sa.bindparam("tid", type_=sa.Integer))
        if not self._is_sqlite:
            query = query.with_for_update(read=True)
        return _Statement(query, self._engine.dialect)

    @cached_property
    def _insert_value(self) -> _Statement:
        return _Statement(
            intermediate.insert().values(**{c.name: sa.bindparam(c.name, type_=c.type)
                                            for c in intermediate.columns if c.name != "id"}),
            self._engine.dialect,
        )

    @cached_property
    def _select_values(self) -> _Statement:
        v = intermediate.c
        return _Statement(
            sa.select(intermediate)
            .where(v.study_id == sa.bindparam("sid", type_=sa.Integer),
                   v.id >= sa.bindparam("min_id", type_=sa.Integer))
            .order_by(v.id),
            self._engine.dialect,
        )

    def add_intermediate(self, trial_id: int, values: Sequence[NewIntermediate]) -> None:
        points = [(*check_point(v.step, v.value), v.created_at) for v in values]
        if not points:
            return
        steps = [step for step, _, _ in points]
        if len(set(steps)) < len(steps):
            twice = next(s for s in steps if steps.count(s) > 1)
            raise IntermediateValueError(
                f"trial id {trial_id}: step {twice} is given twice; each step is reported once")
        study_id = 0
        try:
            with self._driver(write=True) as cursor:
                self._trial_for_values.run(cursor, {"tid": trial_id})
                found = cursor.fetchone()
                if found is None:
                    raise TrialNotFoundError(f"no trial with id {trial_id} in {_safe(self.url)}")
                study_id, state = found
                if state != TrialState.RUNNING.value:
                    raise TrialStateError(f"trial id {trial_id} is {state}; only a running "
                                          "trial's learning curve grows")
                if not self._is_sqlite:
                    # Ids in commit order per study (see the module docstring).
                    self._lock_study.run(cursor, {"sid": study_id})
                self._insert_value.run_many(cursor, [
                    {"study_id": study_id, "trial_id": trial_id, "step": step, "value": value,
                     "created_at": at} for step, value, at in points])
        except self._dbapi.IntegrityError:
            stored = {v.step for v in self.get_intermediate(study_id, trial_ids=[trial_id])}
            step = next((s for s in steps if s in stored), steps[0])
            raise IntermediateValueError(
                f"trial id {trial_id} already has a value at step {step}; each step is "
                "reported once") from None

    def get_intermediate(self, study_id: int, *, trial_ids: Sequence[int] | None = None,
                         min_id: int = 0) -> list[IntermediateValue]:
        if trial_ids is None:
            with self._driver(write=False) as cursor:
                self._select_values.run(cursor, {"sid": study_id, "min_id": min_id})
                rows: list[Any] = [_ValueRow(*row) for row in cursor.fetchall()]
        else:
            ids = sorted({int(i) for i in trial_ids})
            v = intermediate.c
            rows = []
            with self._read() as conn:
                for start in range(0, len(ids), _HEARTBEAT_CHUNK):
                    rows.extend(conn.execute(
                        sa.select(intermediate)
                        .where(v.study_id == study_id, v.id >= min_id,
                               v.trial_id.in_(ids[start:start + _HEARTBEAT_CHUNK]))
                        .order_by(v.id)
                    ))
            rows.sort(key=lambda row: row.id)
        try:
            return [_row_to_value(row) for row in rows]
        except _DamagedRow as exc:
            raise _failure(self.url, exc) from None

    def count_trials(self, study_id: int) -> dict[TrialState, int]:
        counts = dict.fromkeys(TrialState, 0)
        with self._read() as conn:
            rows = conn.execute(
                sa.select(trials.c.state, sa.func.count())
                .where(trials.c.study_id == study_id).group_by(trials.c.state)
            ).all()
        for state, count in rows:
            if state not in _STATES:
                raise _DamagedRow(f"a trial of study id {study_id} has state {state!r:.40}")
            counts[_STATES[state]] = count
        return counts

    def _json_number(self, column: sa.ColumnElement[Any], key: str) -> sa.ColumnElement[Any]:
        """The number at *key* of a JSON text column (NULL when absent)."""
        document: sa.ColumnElement[Any] = (sa.type_coerce(column, sa.JSON) if self._is_sqlite
                                           else sa.cast(column, JSONB))
        number: sa.ColumnElement[Any] = document[key].as_float()
        return number

    def _json_scalar(self, column: sa.ColumnElement[Any], key: str) -> sa.ColumnElement[Any]:
        """The value at *key* of a JSON text column, ordered as the JSON value orders.

        SQLite's ``json_extract`` gives the native value (numbers compare as numbers, text
        as text); PostgreSQL compares ``jsonb`` values the same way within a type. A JSON
        ``null`` becomes SQL NULL on both.
        """
        if self._is_sqlite:
            path = '$."' + key.replace('"', '\\"') + '"'
            return sa.func.json_extract(column, path)
        value = sa.cast(column, JSONB)[key]
        return sa.func.nullif(value, sa.cast(sa.literal("null"), JSONB))

    def get_trials_page(
        self, study_id: int, *, offset: int = 0, limit: int | None = 50,
        order_by: str = "number", descending: bool = False,
        states: Sequence[TrialState] | None = None,
        value_range: tuple[str, float | None, float | None] | None = None,
    ) -> TrialPage:
        check_page(offset, limit, value_range)
        kind, name = parse_order(order_by)
        c = trials.c
        where: list[sa.ColumnElement[bool]] = [c.study_id == study_id]
        if states is not None:
            where.append(c.state.in_([TrialState(s).value for s in states]))
        if value_range is not None:
            objective, low, high = value_range
            value = self._json_number(c.vals, objective)
            where.append(value.is_not(None))
            if low is not None:
                where.append(value >= float(low))
            if high is not None:
                where.append(value <= float(high))
        if kind == "number":
            order: list[sa.ColumnElement[Any]] = [c.number.desc() if descending else c.number]
        else:
            key = (self._json_number(c.vals, name or "") if kind == "value"
                   else self._json_scalar(c.config, name or ""))
            missing = sa.case((key.is_(None), 1), else_=0)
            order = [missing, key.desc() if descending else key.asc(), c.number]
        query = sa.select(trials).where(*where).order_by(*order).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(trials)
                                 .where(*where)).scalar_one()
            rows = [_row_to_trial(row) for row in conn.execute(query)]
        return TrialPage(rows, int(total))

    def get_trials(self, study_id: int, *, min_id: int = 0) -> list[Trial]:
        query = self._select_trials.where(trials.c.study_id == study_id)
        if min_id > 0:
            query = query.where(trials.c.id >= min_id)
        with self._read() as conn:
            return [_row_to_trial(row) for row in conn.execute(query)]

    @cached_property
    def _select_results(self) -> _Statement:
        c = trials.c
        return _Statement(
            sa.select(c.id, c.number, c.state, c.vals, c.error)
            .where(c.study_id == sa.bindparam("sid", type_=sa.Integer),
                   c.id >= sa.bindparam("min_id", type_=sa.Integer))
            .order_by(c.id),
            self._engine.dialect,
        )

    def get_trial_results(self, study_id: int, *, min_id: int = 0) -> list[TrialResult]:
        # On the driver's cursor, like the hot path: at 100,000 trials SQLAlchemy's rows
        # and the per-column checks of _row_to_trial cost more than the query.
        with self._driver(write=False) as cursor:
            self._select_results.run(cursor, {"sid": study_id, "min_id": min_id})
            rows = cursor.fetchall()
        try:
            return [_row_to_result(row, values)
                    for row, values in zip(rows, _parse_values(rows), strict=True)]
        except _DamagedRow as exc:
            raise _failure(self.url, exc) from None

    def heartbeat(self, trial_ids: Sequence[int], at: float) -> None:
        ids = sorted({int(i) for i in trial_ids})
        if not ids:
            return
        with self._write() as conn:
            for start in range(0, len(ids), _HEARTBEAT_CHUNK):
                conn.execute(
                    trials.update()
                    .where(trials.c.id.in_(ids[start:start + _HEARTBEAT_CHUNK]),
                           trials.c.state == TrialState.RUNNING.value)
                    .values(heartbeat_at=at)
                )


def _use_wal(engine: Engine, wait: float = 60.0) -> None:
    """Put the SQLite file in WAL mode, waiting out other connections that open it too.

    Switching needs the file to itself for a moment. SQLite answers "database is locked"
    at once, without waiting, when it sees that waiting could deadlock (several processes
    opening a new file together), so the switch is retried for up to *wait* seconds.
    """
    deadline = time.monotonic() + wait
    delay = 0.01
    while True:
        try:
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                if str(mode).lower() != "wal":
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            return
        except sa.exc.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _make_engine(url: str, kwargs: dict[str, Any]) -> Engine:
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StorageError(
            f"cannot parse storage URL {url!r}; expected e.g. sqlite:///runs.db or "
            "postgresql://user:password@host:5432/db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, kwargs)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername == "postgresql+psycopg":
            require("psycopg", "postgres")
        try:
            return sa.create_engine(parsed, pool_pre_ping=True, **kwargs)
        except ImportError as exc:
            raise MissingDependencyError(
                f"storage {_safe(url)} needs the database driver {exc.name or exc}: "
                "install it, or use postgresql:// with pip install 'hyperpilot[postgres]'"
            ) from None
    raise StorageError(
        f"unsupported storage URL {_safe(url)}; use sqlite:///FILE, postgresql://... or memory"
    )


def _sqlite_engine(parsed: sa.engine.URL, kwargs: dict[str, Any]) -> Engine:
    query = dict(parsed.query)
    synchronous = str(query.pop("synchronous", "normal")).upper()
    if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise StorageError(
            f"sqlite synchronous must be off, normal, full or extra, got {synchronous.lower()!r}"
        )
    parsed = parsed.set(query=query)
    if parsed.database in (None, "", ":memory:"):
        raise StorageError("an SQLite storage needs a file, e.g. sqlite:///runs.db; "
                           "use storage='memory' for an in-memory study")
    if "\x00" in parsed.database:
        raise StorageError(f"an SQLite file name cannot hold a NUL byte, got {parsed.database!r}")
    engine = sa.create_engine(
        parsed, connect_args={"timeout": 60.0, "check_same_thread": False}, **kwargs
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()
        dbapi_conn.create_function("hp_config_key", 1, _stored_config_key, deterministic=True)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Reads run without BEGIN: each statement then sees one consistent WAL snapshot,
        # and a read costs no transaction round trip.
        if conn.get_execution_options().get("hp_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _stored_config_key(text: str) -> str:
    """:func:`config_key` of a stored configuration's JSON text (SQLite's hp_config_key)."""
    return config_key(json.loads(text))


def _safe(url: str) -> str:
    """Return *url* with any password hidden."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return repr(url)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# What SQLite says about a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB), and what Python's
# sqlite3 module says about text that is not UTF-8.
# A column or table of hyperpilot's own schema that SQLite cannot find means the schema
# text in the file was changed.
_DAMAGE_MARKS = ("malformed", "not a database", "corrupt", "no such column", "no such table")
_UNDECODABLE = re.compile(r"Could not decode to UTF-8 column '([^']*)'")
_NOT_UTF8 = "SQLite reported the damage in bytes that are not UTF-8"


def _damage(exc: BaseException) -> str | None:
    """Why *exc* shows the stored data to be damaged, or ``None`` if it does not."""
    if isinstance(exc, _DamagedRow):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):  # SQLite's message quotes the damaged bytes
        return _NOT_UTF8
    reason = _reason(exc)
    undecodable = _UNDECODABLE.search(reason)
    if undecodable:
        return f"column {undecodable.group(1)!r} holds text that is not UTF-8"
    return reason if any(mark in reason.lower() for mark in _DAMAGE_MARKS) else None


def _failure(url: str, exc: BaseException) -> StorageError:
    """The error for a driver error (or damaged row) met while using the storage at *url*."""
    damage = _damage(exc)
    if damage is not None:
        return StorageError(f"storage {_safe(url)} is damaged: {damage}")
    return StorageError(f"storage {_safe(url)} failed: {_reason(exc)}")


def _open_error(url: str, exc: BaseException) -> StorageError:
    """The error for a driver error met while connecting to the storage at *url*."""
    if isinstance(exc, UnicodeDecodeError):
        return StorageError(f"cannot open storage {_safe(url)}: the file is damaged "
                            f"({_NOT_UTF8})")
    if isinstance(exc, sa.exc.DatabaseError) and not isinstance(exc, sa.exc.OperationalError):
        return StorageError(f"cannot open storage {_safe(url)}: {_reason(exc)} "
                            "(the file is corrupt or not a database)")
    return StorageError(f"cannot open storage {_safe(url)}: {_reason(exc)}")

