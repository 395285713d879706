"""Storage URLs that are not quite URLs: refused in one line, in Python and on the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperpilot.cli._main import main
from hyperpilot.exceptions import StorageError
from hyperpilot.storage import get_storage
from hyperpilot.storage._url import display_url, sqlite_file


@pytest.mark.parametrize("url", ["postgresql://[::1", "postgresql://me@host:port/db"])
def test_a_port_that_is_not_a_number_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert str(info.value) == (
        f"cannot parse storage URL {url!r}; expected e.g. sqlite:///runs.db or "
        "postgresql://user:password@host:5432/db"
    )
    assert display_url(url) == url
    assert sqlite_file(url) is None


def test_an_sqlite_file_name_with_a_nul_byte_is_refused_in_one_line() -> None:
    with pytest.raises(StorageError) as info:
        get_storage("sqlite:///runs%00.db")
    assert str(info.value) == "an SQLite file name cannot hold a NUL byte, got 'runs\\x00.db'"


def test_reading_a_file_name_too_long_for_the_file_system_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / ('a' * 300)}.db"
    capsys.readouterr()
    assert main(["studies", "list", "--storage", url]) == 1
    assert capsys.readouterr().err == (
        f"hyperpilot: error: cannot open storage {url}: File name too long\n"
    )
