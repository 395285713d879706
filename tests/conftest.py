"""Fixtures shared by the whole test suite.

PostgreSQL tests run against the server named by ``HYPERPILOT_TEST_POSTGRES_URL``; start a
throwaway one with ``scripts/pg_test_server.sh start``. Without the variable those tests
are skipped, unless ``HYPERPILOT_REQUIRE_POSTGRES=1`` (set in CI), which makes them fail.
The ``browser`` tests drive Debian's Chromium with playwright; without either they are
skipped, unless ``CI`` is set, which makes them fail.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

POSTGRES_URL_VAR = "HYPERPILOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VAR = "HYPERPILOT_REQUIRE_POSTGRES"
POSTGRES_HINT = (
    f"set {POSTGRES_URL_VAR}=postgresql://USER:PASSWORD@HOST:PORT/DB to run the PostgreSQL "
    f"tests; start a throwaway server with: export {POSTGRES_URL_VAR}=$(scripts/pg_test_server.sh"
    " start)"
)


def postgres_url_or_skip() -> str:
    """The test server's URL; skip the test without one (fail if it is required)."""
    url = os.environ.get(POSTGRES_URL_VAR, "").strip()
    if url:
        return url
    if os.environ.get(REQUIRE_POSTGRES_VAR) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set; "
                    f"{POSTGRES_HINT}", pytrace=False)
    pytest.skip(POSTGRES_HINT)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``postgres`` when no server is named (one summary line per file)."""
    if os.environ.get(POSTGRES_URL_VAR, "").strip() or (
        os.environ.get(REQUIRE_POSTGRES_VAR) == "1"
    ):
        return
    skip = pytest.mark.skip(reason=POSTGRES_HINT)
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[sa.engine.Engine]:
    """An SQLAlchemy engine on the test server, logged in as the URL's user."""
    url = postgres_url_or_skip()
    parsed = sa.engine.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        pytest.fail(f"{POSTGRES_URL_VAR} is set but its server does not answer: "
                    f"{str(exc.orig).strip()}", pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_engine: sa.engine.Engine) -> Iterator[str]:
    """A URL on the test server whose tables live in a fresh schema, dropped afterwards.

    The schema is chosen through the connection's ``search_path``, so every storage opened
    with this URL (in this process or a child) sees only this test's tables.
    """
    schema = f"hp_test_{secrets.token_hex(6)}"
    with postgres_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    base = os.environ[POSTGRES_URL_VAR].strip()
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    with postgres_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, which the browser tests drive through playwright (Playwright's own
browser download needs the network, so it is never used)."""


def chromium_or_skip() -> str:
    """The Chromium to drive; skip without it or playwright, but fail when ``CI`` is set."""
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package is missing (pip install -e '.[dev]')")
    if not missing:
        return CHROMIUM
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set but {'; '.join(missing)}", pytrace=False)
    pytest.skip("; ".join(missing))


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of the Chromium executable for the ``browser`` tests (see above)."""
    return chromium_or_skip()
