"""Schema migrations: a storage written by an older release is upgraded in place.

Each step takes a database from one schema version to the next. :func:`migrate` runs the
steps from the stored version to :data:`~hyperpilot.storage._schema.SCHEMA_VERSION`
inside the caller's transaction, which holds the database's write lock (SQLite's
``BEGIN IMMEDIATE``, an advisory lock on PostgreSQL): the upgrade is atomic, and when many
workers open an old database together, one upgrades it and the others find it done.
Steps only add; they never drop or rewrite what users stored.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from hyperpilot.storage._schema import SCHEMA_VERSION, events, intermediate, meta_table


def _add_events(conn: Connection) -> None:
    """1 -> 2: the table of events."""
    events.create(conn)


def _add_intermediate(conn: Connection) -> None:
    """2 -> 3: the table of intermediate values (learning curves)."""
    intermediate.create(conn)


STEPS: dict[int, Callable[[Connection], None]] = {1: _add_events, 2: _add_intermediate}
"""Version -> the step that upgrades a database of that version to the next one."""


def can_migrate(version: int) -> bool:
    """Whether a database of schema *version* can be upgraded to the current one."""
    return all(v in STEPS for v in range(version, SCHEMA_VERSION))


def migrate(conn: Connection, version: int) -> None:
    """Upgrade the database on *conn* from schema *version* to the current one."""
    for step in range(version, SCHEMA_VERSION):
        STEPS[step](conn)
    conn.execute(
        meta_table.update().where(meta_table.c.key == "schema_version")
        .values(value=str(SCHEMA_VERSION))
    )
