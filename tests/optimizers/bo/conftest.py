from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Small matrices: threaded BLAS only adds contention (the BO loop pins it to 1 too)."""
    with threadpool_limits(1):
        yield
