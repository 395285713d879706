"""Storages for studies and trials: in memory, SQLite (default) and PostgreSQL."""

from hyperpilot.storage._base import (
    IntermediateValue,
    NewIntermediate,
    NewTrial,
    Storage,
    StudyRecord,
    StudySummary,
    TrialOutcome,
)
from hyperpilot.storage._memory import InMemoryStorage
from hyperpilot.storage._url import DEFAULT_STORAGE, default_storage_url, get_storage

__all__ = [
    "DEFAULT_STORAGE",
    "InMemoryStorage",
    "IntermediateValue",
    "NewIntermediate",
    "NewTrial",
    "Storage",
    "StudyRecord",
    "StudySummary",
    "TrialOutcome",
    "default_storage_url",
    "get_storage",
]


def __getattr__(name: str) -> object:
    if name == "SQLStorage":
        from hyperpilot.storage._sql import SQLStorage

        return SQLStorage
    raise AttributeError(name)
