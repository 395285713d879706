"""Random YAML run files given to ``hyperpilot run``: a run, or one line and exit 1 or 2.

Documents are drawn around a valid run file: every key present or absent, given a valid
value or anything else YAML can hold; unknown keys; broken references to the objective
and the space; documents that are not mappings; text that is not YAML at all. Whatever the
file holds, ``hyperpilot run FILE --trials 1 --storage memory`` raises nothing and exits
0, or 1 or 2 with one line ``hyperpilot: error: ...`` that ends standard error: the only
line when the file is refused (exit 2); after the reports of trials that ran, when the
run stops (exit 1). A trial whose objective raised is reported with that call's
traceback, as in any run.

The examples are derandomized so that a failure in CI replays the same way anywhere;
raise ``max_examples`` or drop ``derandomize`` locally to explore further.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hyperpilot.cli._main import main
from hyperpilot.cli._target import shown

# Derandomized (see above). No per-example deadline (the first example imports the
# optimizers; a slow machine is not a failure); a hang is caught by the test's timeout.
# ``capsys`` is read out before and after every example, so examples may share it.
FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

MODULE = "hp_fuzz_target"
CODE = '''
import hyperpilot as hp

space = {"x": hp.Float(0.0, 1.0), "k": hp.Categorical(["a", "b"])}
not_callable = 3


def objective(config):
    return 0.5


def scores(config):
    return {"loss": 0.5, "acc": 0.25}


def measured(config):
    return {"value": 0.5, "mem": 1.0}


def fails(config):
    raise ValueError("no good")
'''

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(),
    st.text(max_size=8), st.sampled_from(["", "0", "1e-3", "inf", ".nan", "-", ":", "~"]),
    st.sampled_from([10**30, -1, 0, 1e308, 5e-324, math.inf, -math.inf]),
)
ANY_VALUE = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(st.text(max_size=5), st.integers()),
                                            inner, max_size=3)),
    max_leaves=6,
)
OBJECTIVE_REFS = st.sampled_from([
    f"{MODULE}.py:objective", f"{MODULE}.py:scores", f"{MODULE}.py:fails",
    f"{MODULE}.py:measured", "a\x00.py:f", "a\x00:f", "a" * 300 + ".py:f", "..:f", ".:f",
    f"{MODULE}.py:nope", f"{MODULE}.py:not_callable", f"{MODULE}.py:space", f"{MODULE}.py:",
    "nofile.py:objective", "sub/nofile.py:f", ":objective", "objective", f"{MODULE}.py",
    "math:sqrt", "os:getcwd", "no_such_module_anywhere:f", "json:nope", "..:x", "a:b:c",
    f"./{MODULE}.py:objective", f"{MODULE}.py:objective:extra", "/:x", "\\\\:x",
])
SPACE_REFS = st.sampled_from([
    f"{MODULE}.py:space", f"{MODULE}.py:objective", f"{MODULE}.py:not_callable",
    f"{MODULE}.py:nope", "nofile.py:space", "space", "math:pi", "os:environ",
])
HYPERPARAMETERS = st.one_of(
    st.sampled_from([
        {"type": "float", "low": 0, "high": 1},
        {"type": "float", "low": 1e-5, "high": 1e-1, "log": True, "prior": 1e-3,
         "confidence": "high"},
        {"type": "int", "low": 1, "high": 8},
        {"type": "categorical", "choices": ["a", "b", None]},
        {"type": "ordinal", "sequence": [1, 2, 4]},
        {"type": "constant", "value": "v"},
        {"type": "float", "low": 1, "high": 0},
        {"type": "int", "low": ".inf", "high": 10},
        {"type": "int", "low": math.inf, "high": 10},
        {"type": "categorical", "choices": []},
        {"type": "categorical", "choices": "ab"},
        {"type": "integer", "low": 0, "high": 1},
        {"type": ["float"]},
        {"low": 0, "high": 1},
        {"type": "float", "low": 0, "high": 1, "active_if": {"zz": 1}},
        {"type": "float", "low": 0, "high": 1, "active_if": {"x": 0.5}},
        {"type": "float", "low": 0, "high": 1, "log": "yes"},
    ]),
    st.dictionaries(st.sampled_from(["type", "low", "high", "log", "choices", "sequence",
                                     "value", "prior", "confidence", "active_if", "junk"]),
                    st.one_of(st.sampled_from(["float", "int", "categorical", "ordinal"]),
                              ANY_VALUE), max_size=5),
    ANY_VALUE,
)
SPACES = st.one_of(
    st.dictionaries(st.sampled_from(["x", "y", "k", "hyperparameters", "forbidden", ""]),
                    HYPERPARAMETERS, min_size=1, max_size=3),
    st.builds(lambda hps, forbidden: {"hyperparameters": hps, "forbidden": forbidden},
              st.dictionaries(st.sampled_from(["x", "y"]), HYPERPARAMETERS, min_size=1,
                              max_size=2),
              st.one_of(st.just([{"x": 0.5}]), ANY_VALUE)),
    SPACE_REFS,
    ANY_VALUE,
)
VALID = {
    "name": st.text(min_size=1, max_size=12),
    "objectives": st.sampled_from(["maximize", "minimize", {"value": "maximize"}, ["value"]]),
    "constraints": st.sampled_from([{"mem": 2.0}, {"mem": 0.5}]),
    "optimizer": st.sampled_from(["random", "sobol", "lhs", {"name": "random"},
                                  {"name": "sobol", "seed": 3}]),
    "trials": st.integers(0, 3),
    "timeout": st.sampled_from([30, 0.5, 1e9]),
    "trial_timeout": st.sampled_from([30, 2.5, 1e9]),
    "storage": st.sampled_from(["memory", "sqlite:///never-used.db"]),
    "seed": st.integers(0, 2**63),
}
UNKNOWN_KEYS = st.one_of(st.sampled_from(["trails", "Objective", "spaces", "n_trials", "", "1"]),
                         st.text(max_size=6), st.integers(), st.none(), st.booleans())


VALID_SPACES = st.sampled_from([
    {"x": {"type": "float", "low": 0, "high": 1}},
    {"x": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True, "prior": 1e-3,
           "confidence": "high"},
     "k": {"type": "categorical", "choices": ["a", "b", None]},
     "n": {"type": "int", "low": 1, "high": 8, "active_if": {"k": "b"}}},
    {"hyperparameters": {"s": {"type": "ordinal", "sequence": [1, 2, 4]},
                         "c": {"type": "constant", "value": "v"}},
     "forbidden": [{"s": 4}]},
    f"{MODULE}.py:space",
])


@st.composite
def run_documents(draw: st.DrawFn) -> Any:
    """A parsed run document: every part valid, one part wild, or many parts wild.

    Optional keys come and go; a wild part is any value YAML can hold, a broken
    reference or space, a missing required key or an unknown key.
    """
    mode = draw(st.sampled_from(["clean", "clean", "one wild", "one wild", "wild"]))
    parts = ["objective", "space", *VALID, "missing", "unknown"]
    chosen = draw(st.sampled_from(parts))

    def wild(part: str) -> bool:
        return (mode == "wild" and draw(st.booleans())) or (mode == "one wild" and part == chosen)

    # The objective decides which objectives and constraints fit its results.
    objective, fitting = draw(st.sampled_from([
        ("objective", {}),
        ("scores", {"objectives": {"loss": "minimize", "acc": "max"}}),
        ("measured", {"constraints": {"mem": 2.0}}),
        ("measured", {"constraints": {"mem": 0.5}, "objectives": ["value"]}),
        ("fails", {}),
    ]))
    document: dict[Any, Any] = {
        "objective": draw(st.one_of(OBJECTIVE_REFS, OBJECTIVE_REFS, ANY_VALUE))
        if wild("objective")
        else f"{MODULE}.py:{objective}",
        "space": draw(SPACES if wild("space") else VALID_SPACES),
        **fitting,
    }
    for key, valid in VALID.items():
        if wild(key):
            document[key] = draw(ANY_VALUE)
        elif key not in fitting and draw(st.integers(0, 2)) == 0:
            document[key] = draw(valid)
    if wild("missing"):
        del document[draw(st.sampled_from(["objective", "space"]))]
    if wild("unknown"):
        document[draw(UNKNOWN_KEYS)] = draw(ANY_VALUE)
    event(mode)
    return document


ALIAS_BOMB = "".join(
    [f"objective: {MODULE}.py:objective\nspace: {{x: {{type: float, low: 0, high: 1}}}}\n",
     "seed:\n  - &b0 [x, x, x, x, x, x, x, x, x, x]\n"]
    + [f"  - &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]\n" for i in range(1, 9)]
)
"""A run file whose ``seed`` holds 10**9 strings once its aliases are expanded."""

BROKEN_TEXT = st.one_of(
    st.sampled_from([
        "", "---\n", "~\n", "- a\n- b\n", "just text\n", "42\n", "objective: [1, 2\n",
        "objective: f.py:objective\n\tspace: {}\n", "a: b: c\n", "{\n", "]\n",
        "objective: !!python/object/apply:os.system [echo hi]\n",
        "objective: &a [*a]\nspace: *a\n", "? [a, b]\n: 1\n", "--- 1\n--- 2\n",
        "objective: 'unterminated\n", "space: {x: {type: float, low: 0, high: 1}}\n" * 2,
        "%YAML 9.9\n---\na: 1\n", "\ufeffobjective: x\n", "a: \x00\n", "a: \x85\n",
        f"objective: {MODULE}.py:objective\nspace: &s {{x: *s}}\n",
        "seed: " + "[" * 60 + "]" * 60 + "\n", "seed: " + "[" * 2000 + "]" * 2000 + "\n",
        "seed: " + "{a: " * 300 + "1" + "}" * 300 + "\n",
        ALIAS_BOMB,
    ]),
    st.text(max_size=40),
)


@st.composite
def run_files(draw: st.DrawFn) -> bytes:
    """The bytes of a run file: a dumped document, perhaps cut short, or broken text."""
    kind = draw(st.sampled_from(["document"] * 5 + ["cut", "text", "bytes"]))
    if kind == "text":
        return draw(BROKEN_TEXT).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=40))
    text = yaml.safe_dump(draw(run_documents()), allow_unicode=True, sort_keys=False)
    if kind == "cut":
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding the objective module that the run files refer to."""
    path = tmp_path_factory.mktemp("fuzz_run")
    (path / f"{MODULE}.py").write_text(textwrap.dedent(CODE), encoding="utf-8")
    yield path


def _run_and_check(path: Path, capsys: pytest.CaptureFixture[str]) -> int:
    capsys.readouterr()
    code = main(["run", str(path), "--trials", "1", "--storage", "memory", "--no-progress"])
    err = capsys.readouterr().err
    # main() raised nothing. A trial whose objective raised is reported with the traceback
    # of that call (so some output may hold one); the error that ends a command is not.
    assert code in (0, 1, 2), (code, err)
    if code != 0:
        # The error is the last line. Before it, a run that got as far as running trials
        # may have reported them; a file refused before that (exit 2) gives the error alone.
        lines = err.splitlines()
        assert err.endswith("\n") and lines, err
        assert lines[-1].startswith("hyperpilot: error: "), err
        assert sum(line.startswith("hyperpilot: error: ") for line in lines) == 1, err
        if code == 2:
            assert len(lines) == 1, err
    event(f"exit {code}")
    return code


@pytest.mark.timeout(240)
@settings(FUZZ, max_examples=150)
@given(data=run_files())
def test_random_yaml_run_files_run_or_fail_in_one_line(
    data: bytes, folder: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(folder)
    path = folder / "run.yaml"
    path.write_bytes(data)
    _run_and_check(path, capsys)


# ---------------------------------------------------------------------- regressions
def _fails_with(path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    capsys.readouterr()
    code = main(["run", path.name, "--trials", "1", "--storage", "memory", "--no-progress"])
    assert code == 2
    assert capsys.readouterr().err == f"hyperpilot: error: {line}\n"


def test_an_alias_bomb_is_refused_at_once(folder: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    (folder / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    _fails_with(folder / "bomb.yaml", capsys,
                "bomb.yaml: the YAML holds more than 100000 values once its aliases are expanded")


@pytest.mark.parametrize(("text", "message"), [
    ("seed: " + "[" * 2000 + "]" * 2000, "the YAML nests more than 50 levels deep"),
    ("seed: &a [*a]", "the YAML nests more than 50 levels deep (or an alias refers to itself)"),
    ('objective: "a\\0.py:f"', "objective: cannot use the file 'a\\x00.py': embedded null byte"),
    ('objective: "' + "a" * 300 + '.py:f"',
     f"objective: cannot use the file {shown('a' * 300 + '.py')}: File name too long"),
    ("objective: '..:f'",
     "objective: '..' is neither a file (ending in .py) nor a module name (package.module)"),
])
def test_run_files_that_raised_other_errors_fail_in_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    text: str, message: str,
) -> None:
    monkeypatch.chdir(folder)
    path = folder / "odd.yaml"
    path.write_text(f"{text}\nspace: {{x: {{type: float, low: 0, high: 1}}}}\n"
                    if "objective" in text else
                    f"objective: {MODULE}.py:objective\n"
                    f"space: {{x: {{type: float, low: 0, high: 1}}}}\n{text}\n",
                    encoding="utf-8")
    _fails_with(path, capsys, f"odd.yaml: {message}")


def test_a_target_name_too_long_for_the_file_system_fails_in_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(folder)
    name = "b" * 300 + ".yaml"
    _fails_with(Path(name), capsys, f"cannot use the file {shown(name)}: File name too long")
