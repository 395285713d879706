"""Open a storage from a URL or pass an existing one through."""

from __future__ import annotations

import os
from pathlib import Path

from hyperpilot.storage._base import Storage

DEFAULT_STORAGE = "sqlite:///hyperpilot.db"
"""Where studies go unless told otherwise: an SQLite file in the working directory."""

_MEMORY_NAMES = ("memory", ":memory:", "memory://")


def display_url(url: str) -> str:
    """*url* with any password replaced by ``***``, for messages."""
    if "://" not in url or "@" not in url:
        return url
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        return url


def sqlite_file(storage: str | Storage | None) -> Path | None:
    """The file an SQLite URL (or bare ``.db`` path) names; ``None`` for other storages."""
    if isinstance(storage, Storage):
        return None
    url = default_storage_url() if storage is None else str(storage)
    if "://" not in url:
        return Path(url) if url.endswith((".db", ".sqlite", ".sqlite3")) else None
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def default_storage_url() -> str:
    """The storage URL from ``$HYPERPILOT_STORAGE``, else :data:`DEFAULT_STORAGE`."""
    return os.environ.get("HYPERPILOT_STORAGE") or DEFAULT_STORAGE


def get_storage(storage: str | Storage | None = None) -> Storage:
    """Return a :class:`Storage` for *storage*.

    Args:
        storage: a storage object (returned as is); ``"memory"`` for an in-memory storage;
            an SQLAlchemy URL such as ``sqlite:///runs.db`` or ``postgresql://...``; a bare
            path ending in ``.db``/``.sqlite``/``.sqlite3`` (read as an SQLite file); or
            ``None`` for :func:`default_storage_url`.

    Raises:
        StorageError: when the URL cannot be parsed or the database cannot be opened.

    """
    if isinstance(storage, Storage):
        return storage
    url = default_storage_url() if storage is None else str(storage)
    if url in _MEMORY_NAMES:
        from hyperpilot.storage._memory import InMemoryStorage

        return InMemoryStorage()
    if "://" not in url and url.endswith((".db", ".sqlite", ".sqlite3")):
        url = f"sqlite:///{url}"
    from hyperpilot.storage._sql import SQLStorage

    return SQLStorage(url)
