"""Every storage backend runs the shared contract suite through one fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperpilot.storage import InMemoryStorage, Storage, get_storage
from hyperpilot.testing import StorageContract

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
]

# (backend, contract test) -> why it fails: a known bug, run as a strict xfail. Once the bug
# is fixed the test passes, the run fails, and the entry must go.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    bug = KNOWN_BUGS.get((request.param, request.function.__name__))
    if bug is not None:
        request.applymarker(pytest.mark.xfail(reason=bug, strict=True))
    store: Storage
    if request.param == "memory":
        store = InMemoryStorage()
    elif request.param == "sqlite":
        store = get_storage(f"sqlite:///{tmp_path / 'contract.db'}")
    else:
        store = get_storage(request.getfixturevalue("postgres_url"))
    yield store
    store.close()


class TestStorageContract(StorageContract):
    def reopen(self, storage: Storage) -> Storage | None:
        return None if isinstance(storage, InMemoryStorage) else get_storage(storage.url)
