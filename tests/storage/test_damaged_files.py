"""Damaged SQLite storage files: read as far as they go, or refused in one line.

A study file with a few trials is damaged at random (bytes flipped, the file cut short, a
page overwritten with zeros or noise, garbage appended) and then read the ways a user
reads it: ``hyperpilot studies list``, ``studies show`` and ``studies export --format
json``, and ``hp.load_study`` with its trials in Python. Damage that SQLite does not
notice may change what is read; any other damage must end in one line (a
:class:`~hyperpilot.exceptions.HyperpilotError`, exit code 1 or 2 on the command line),
never another exception or a traceback.

The examples are derandomized so that a failure in CI replays the same way anywhere;
raise ``max_examples`` or drop ``derandomize`` locally to explore further.
"""

from __future__ import annotations

import itertools
import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import hyperpilot as hp
from hyperpilot.cli._main import main
from hyperpilot.exceptions import HyperpilotError, StorageError

# Derandomized (see above). No per-example deadline: a slow machine is not a failure; a
# hang (SQLite looping over a damaged page) is caught by the test's timeout instead.
# ``capsys`` is read out around every command, so examples may share it.
FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

NAME = "damaged"
PAGE = 4096


def _study_file(path: Path) -> bytes:
    """Write a study with a few trials (complete, failed, conditional) and return its bytes."""
    space = hp.Space({
        "x": hp.Float(1e-3, 1.0, log=True, prior=0.1),
        "kind": hp.Categorical(["a", "b", None]),
        "n": hp.Int(1, 9, active_if={"kind": "b"}),
        "size": hp.Ordinal(["s", "m", "l"]),
    })

    def objective(config: dict[str, object]) -> dict[str, float]:
        if config["size"] == "l":
            raise ValueError("too large: ünïcödé text in the error column")
        return {"loss": float(config["x"]), "mem": 0.5}  # type: ignore[arg-type]

    url = f"sqlite:///{path}"
    study = hp.create_study(space=space, name=NAME, storage=url, seed=1, optimizer="random",
                            objectives={"loss": "minimize"}, constraints={"mem": 1.0})
    study.optimize(objective, n_trials=8, show_progress=False)
    study.storage.close()
    # Fold the write-ahead log into the file and leave journal mode as it is: the damage
    # must hit the main file, and no -wal file may hold a clean copy of its pages.
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path.read_bytes()


class Pristine(bytes):
    """The bytes of an undamaged study file (shown short in reports of failed examples)."""

    def __repr__(self) -> str:
        return f"<study file of {len(self)} bytes>"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of an undamaged study file."""
    return Pristine(_study_file(tmp_path_factory.mktemp("pristine") / "runs.db"))


@pytest.fixture(scope="module")
def fresh_path(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """A new file name for every example (SQLite keeps no state between files)."""
    folder = tmp_path_factory.mktemp("damaged")
    counter = itertools.count()
    return lambda: folder / f"runs{next(counter)}.db"


# ---------------------------------------------------------------------- damage
@st.composite
def damages(draw: st.DrawFn) -> tuple[str, int, int]:
    """A kind of damage and two numbers that place and size it (resolved per file)."""
    kind = draw(st.sampled_from(["flip", "flip", "flip text", "flip text", "truncate",
                                 "zero page", "noise page", "append"]))
    return kind, draw(st.integers(0, 2**32 - 1)), draw(st.integers(1, 8))


def damage(data: bytes, kind: str, seed: int, count: int) -> bytes:
    """Apply one damage to *data*, deterministically from *seed*."""
    rng = random.Random(seed)
    out = bytearray(data)
    if kind == "flip":  # anywhere: headers, b-tree pages, records
        for _ in range(count):
            out[rng.randrange(len(out))] ^= rng.randrange(1, 256)
    elif kind == "flip text":  # inside the JSON and text of the rows, past the schema page
        text = [i for i in range(PAGE, len(out)) if 0x20 <= out[i] < 0x7F]
        for _ in range(count):
            out[rng.choice(text)] ^= rng.choice([0x01, 0x20, 0x80, 0xFF, rng.randrange(1, 256)])
    elif kind == "truncate":
        del out[rng.randrange(len(out)):]
    elif kind in ("zero page", "noise page"):
        page = rng.randrange(len(out) // PAGE)
        fill = bytes(PAGE) if kind == "zero page" else rng.randbytes(PAGE)
        out[page * PAGE:(page + 1) * PAGE] = fill
    else:
        out += rng.randbytes(rng.randrange(1, 3 * PAGE))
    return bytes(out)


# ---------------------------------------------------------------------- checks
def _one_line(exc: BaseException) -> None:
    assert isinstance(exc, HyperpilotError), f"{type(exc).__name__}: {exc}"
    assert str(exc).strip() and "\n" not in str(exc), str(exc)


def _command(capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    capsys.readouterr()
    code = main(list(argv))
    err = capsys.readouterr().err  # (the output holds stored tracebacks of failed trials)
    assert "Traceback" not in err, err
    assert code in (0, 1, 2), (code, err)
    if code != 0:
        assert err.startswith("hyperpilot: error: ") and err.count("\n") == 1, err
        assert err.endswith("\n"), err
    return code


def _read_in_python(url: str) -> str:
    try:
        study = hp.load_study(NAME, storage=url)
        try:
            trials = study.get_trials()
            for trial in trials:
                assert isinstance(trial.config, dict)
        finally:
            study.storage.close()
    except HyperpilotError as exc:
        _one_line(exc)
        return "refused"
    return "read"


@pytest.mark.slow
@pytest.mark.timeout(240)
@settings(FUZZ, max_examples=150)
@given(how=damages())
def test_damaged_files_are_read_or_refused_in_one_line(
    how: tuple[str, int, int], pristine: bytes, fresh_path: Callable[[], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = fresh_path()
    path.write_bytes(damage(pristine, *how))
    url = f"sqlite:///{path}"
    codes = [
        _command(capsys, "studies", "list", "--storage", url),
        _command(capsys, "studies", "show", NAME, "--storage", url),
        _command(capsys, "studies", "export", NAME, "--format", "json", "--storage", url),
    ]
    python = _read_in_python(url)
    event(f"{how[0]}: exit codes {codes}, python {python}")


def test_the_pristine_file_reads(pristine: bytes, fresh_path: Callable[[], Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = fresh_path()
    path.write_bytes(pristine)
    url = f"sqlite:///{path}"
    assert _command(capsys, "studies", "show", NAME, "--storage", url) == 0
    assert _read_in_python(url) == "read"
    assert len(hp.load_study(NAME, storage=url).get_trials()) == 8


# ---------------------------------------------------------------------- regressions
def _flip_in(data: bytes, pattern: bytes) -> bytes:
    """*data* with a byte of the first match of *pattern* replaced by one that is not UTF-8."""
    found = re.search(pattern, data)
    assert found is not None
    at = (found.start() + found.end()) // 2
    return data[:at] + b"\xff" + data[at + 1:]


def test_a_schema_with_bytes_that_are_not_utf8_is_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path], capsys: pytest.CaptureFixture[str],
) -> None:
    # SQLite reports the damaged schema in a message that holds the damaged bytes, which
    # Python's sqlite3 module fails to decode (UnicodeDecodeError, a traceback before).
    path = fresh_path()
    path.write_bytes(_flip_in(pristine, rb"ON hp_trials \(study_id"))
    url = f"sqlite:///{path}"
    message = (f"cannot open storage {url}: the file is damaged (SQLite reported the damage "
               "in bytes that are not UTF-8)")
    with pytest.raises(StorageError) as info:
        hp.load_study(NAME, storage=url)
    assert str(info.value) == message
    capsys.readouterr()
    assert main(["studies", "show", NAME, "--storage", url]) == 1
    assert capsys.readouterr().err == f"hyperpilot: error: {message}\n"


def test_a_trial_with_text_that_is_not_utf8_is_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path],
) -> None:
    path = fresh_path()
    path.write_bytes(_flip_in(pristine, rb'\{"x":[0-9.]+,'))  # a trial's config
    url = f"sqlite:///{path}"
    study = hp.load_study(NAME, storage=url)
    with pytest.raises(StorageError) as info:
        study.get_trials()
    assert str(info.value) == (f"storage {url} is damaged: column 'config' holds text that "
                               "is not UTF-8")


def _edited(pristine: bytes, path: Path, *statements: str) -> str:
    """Write *pristine* to *path*, run SQL *statements* on it and return its URL."""
    path.write_bytes(pristine)
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement)
    db.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize(("statement", "damage"), [
    ("UPDATE hp_trials SET created_at = 'yesterday' WHERE id = 2",
     "trial id 2: created_at holds str 'yesterday'"),
    ("UPDATE hp_trials SET state = 'comp\x0fete' WHERE id = 3", "trial id 3: state holds 'comp\\x0fete'"),
    ("UPDATE hp_trials SET config = '[1, 2]' WHERE id = 4",
     "trial id 4: config holds JSON that is not an object"),
    ("UPDATE hp_trials SET vals = '{\"loss\": \"low\"}' WHERE id = 5",
     "trial id 5: vals holds JSON that is not an object of numbers"),
    ("UPDATE hp_trials SET config = X'7B7D' WHERE id = 6", "trial id 6: config holds bytes b'{}'"),
])
def test_rows_of_the_wrong_type_are_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path], statement: str, damage: str,
) -> None:
    url = _edited(pristine, fresh_path(), statement)
    study = hp.load_study(NAME, storage=url)
    with pytest.raises(StorageError) as info:
        study.get_trials()
    assert str(info.value) == f"storage {url} is damaged: {damage}"


@pytest.mark.parametrize(("statement", "damage"), [
    ("UPDATE hp_trials SET state = 'comp\x0fete' WHERE id = 3", "trial id 3: state holds 'comp\\x0fete'"),
    ("UPDATE hp_trials SET vals = '{\"loss\": \"low\"}' WHERE id = 5",
     "trial id 5: vals holds JSON that is not an object of numbers"),
    ("UPDATE hp_trials SET vals = '{\"loss\": 1}, {\"loss\": 2}' WHERE id = 5",
     "trial id 5: vals is not valid JSON"),
    ("UPDATE hp_trials SET vals = '[1]' WHERE id = 2",
     "trial id 2: vals holds JSON that is not an object of numbers"),
    ("UPDATE hp_trials SET number = 'two' WHERE id = 2", "trial id 2: number holds str 'two'"),
    ("UPDATE hp_trials SET error = X'00' WHERE id = 4", "trial id 4: error holds bytes b'\\x00'"),
])
def test_trial_results_of_the_wrong_type_are_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path], statement: str, damage: str,
) -> None:
    """The values-only read (the dashboard's overview) checks rows as the full read does."""
    url = _edited(pristine, fresh_path(), statement)
    study = hp.load_study(NAME, storage=url)
    with pytest.raises(StorageError) as info:
        study.storage.get_trial_results(study.id)
    assert str(info.value) == f"storage {url} is damaged: {damage}"


def test_a_study_whose_description_is_not_an_object_is_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path], capsys: pytest.CaptureFixture[str],
) -> None:
    url = _edited(pristine, fresh_path(), "UPDATE hp_studies SET spec = '[]'")
    message = f"storage {url} is damaged: study id 1: spec holds JSON that is not an object"
    with pytest.raises(StorageError) as info:
        hp.load_study(NAME, storage=url)
    assert str(info.value) == message
    assert _command(capsys, "studies", "list", "--storage", url) == 1


def test_a_trial_without_its_objective_value_is_left_out_of_the_ranking(
    pristine: bytes, fresh_path: Callable[[], Path], capsys: pytest.CaptureFixture[str],
) -> None:
    url = _edited(pristine, fresh_path(),
                  "UPDATE hp_trials SET vals = '{\"lost\": 0.5}' WHERE state = 'complete'")
    for argv in (["studies", "list"], ["studies", "show", NAME]):
        assert _command(capsys, *argv, "--storage", url) == 0


# The study reads the description its storage returns without checking it: a key that
# damage renamed raises KeyError in Study() and Study.best_trial. The check belongs where
# the description is read (study/_study.py), as for the storage's rows above.
def test_a_description_with_a_damaged_key_is_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path],
) -> None:
    url = _edited(pristine, fresh_path(),
                  "UPDATE hp_studies SET spec = replace(spec, '\"objectives\"', '\"objectivez\"')")
    with pytest.raises(StorageError) as info:
        hp.load_study(NAME, storage=url)
    assert str(info.value) == (f"study {NAME!r} in {url} has a damaged description (no key "
                               "'objectives'); the storage file may be damaged")


def test_best_trial_of_a_study_with_a_damaged_value_is_refused_in_one_line(
    pristine: bytes, fresh_path: Callable[[], Path],
) -> None:
    url = _edited(pristine, fresh_path(),
                  "UPDATE hp_trials SET vals = '{\"lost\": 0.5}' WHERE state = 'complete'")
    with pytest.raises(StorageError, match=r"is complete but holds no value for objective "
                       r"'loss' \(it holds \['lost'\]\); the storage may be damaged"):
        hp.load_study(NAME, storage=url).best_trial  # noqa: B018
