"""Random space definitions and configurations: accepted, or refused with one line.

Whatever a user hands to ``hp.Float``, ``hp.Int``, ``hp.Categorical``, ``hp.Ordinal``,
``hp.Constant``, ``hp.Space`` or ``space.validate``, the answer is either a working object
or a :class:`~hyperpilot.exceptions.HyperpilotError` whose message is one line; never
another exception type. Accepted spaces sample valid configurations, encode and decode
them back, and survive the JSON text a study stores.

The examples are derandomized: the suite runs in CI next to other people's changes, and a
failure there must replay the same way on any machine. Exploring new inputs is a matter of
raising ``max_examples`` or dropping ``derandomize`` locally.
"""

from __future__ import annotations

import json
import math
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import hyperpilot as hp
from hyperpilot.exceptions import ConfigurationError, HyperpilotError, SpaceError
from hyperpilot.space._vectorized import VectorSpace

# Derandomized (see above). No per-example deadline: a slow example is not a failure, and
# a hang is caught by the test's timeout instead.
FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def fuzz(max_examples: int) -> settings:
    """The settings of these tests with *max_examples* generated cases."""
    return settings(FUZZ, max_examples=max_examples)


NAMES = ("a", "b", "c", "d")

ODD_NUMBERS = st.sampled_from([
    0, 1, -1, 0.0, -0.0, 0.5, 1e-300, 5e-324, -5e-324, 1e308, -1e308, 1.7976931348623157e308,
    2**53, 2**53 + 1, 2**63, -(2**63), 10**30, 10**400, -(10**400),
    math.inf, -math.inf, math.nan, np.float64(2.5), np.int64(3), np.float32(0.25),
])
NUMBERS = st.one_of(
    st.integers(-1000, 1000),
    st.floats(-1e6, 1e6),
    st.floats(),  # nan, inf, subnormals, huge
    ODD_NUMBERS,
)
JUNK = st.one_of(
    st.booleans(), st.none(), st.text(max_size=4), st.lists(st.integers(), max_size=2),
    st.just({}), st.just(b"1"), st.just(np.bool_(True)), st.just(object()),
)
ANYTHING = st.one_of(NUMBERS, JUNK)
CONFIDENCES = st.one_of(
    st.sampled_from(["low", "medium", "high"]),
    st.floats(0.01, 0.99),
    st.sampled_from([0, 1, 0.0, 1.0, -0.5, 2, math.nan, math.inf, 10**400, "very", "", None,
                     True]),
)
CHOICE_VALUES = st.one_of(
    st.text(max_size=3), st.integers(-5, 5), st.floats(-5, 5), st.booleans(), st.none(),
    st.sampled_from([math.nan, math.inf, 1.0, 1, True, 0, 0.0, -0.0, np.float64(1.0),
                     np.int64(2), [1], {"k": 1}, (1, 2)]),
)


def one_line(exc: BaseException) -> None:
    """Assert that *exc* is a hyperpilot error whose message is one non-empty line."""
    assert isinstance(exc, HyperpilotError), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message.strip(), type(exc).__name__
    assert "\n" not in message and "\r" not in message, message


# ---------------------------------------------------------------------- strategies
# Every part of a definition (a hyperparameter, a condition, the forbidden list) is drawn
# either *clean* (valid, though often odd: huge or tiny ranges, numpy scalars, mixed
# choices) or *wild* (anything at all). A space has no wild part, one, or many, so that
# both accepted spaces and every kind of refusal are common.
ODD_RANGES = st.sampled_from([
    (-1e308, 1e308), (0.0, 1.7976931348623157e308), (5e-324, 1e-300), (1.0, 1.0000000000000002),
    (np.float64(-2.5), np.float64(2.5)), (np.float32(0.25), np.float32(0.75)),
    (np.int64(-3), np.int64(3)), (0, 10**30), (-(2**63), 2**63), (2**53, 2**53 + 3),
    (1, 2), (0.0, 1e-9),
])
ODD_CHOICES = st.sampled_from([
    [1, 1.0], [True, 1, "1", 1.0], [0, -0.0], [math.nan, 1.0], [math.inf, 0], [None, "None"],
    [np.float64(0.5), 0.25], [np.int64(2), 3], [np.str_("a"), "b"], ["", " ", "\n"],
    [10**30, -(10**30)], [5e-324, 0.0],
])


def _plain_finite(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and abs(value) < 1e300)


def _inside(draw: st.DrawFn, cls: type[Any], low: Any, high: Any) -> Any:
    """A value between *low* and *high* (or at one of them) when that makes sense."""
    if not (all(_plain_finite(bound) for bound in (low, high)) and low < high):
        return low
    between = low + draw(st.floats(0, 1)) * (high - low)
    between = between if cls is hp.Float else round(between)
    return draw(st.sampled_from([low, high, between, between]))


@st.composite
def numeric_definition(draw: st.DrawFn, cls: type[Any], wild: bool) -> partial[Any]:
    log = draw(st.booleans())
    if wild:
        low, high = draw(ANYTHING), draw(ANYTHING)
        log = draw(st.one_of(st.booleans(), JUNK))
    elif draw(st.integers(0, 3)) == 0:
        low, high = draw(ODD_RANGES)
        log = log and low > 0
    elif cls is hp.Int:
        low = draw(st.integers(1 if log else -50, 50))
        high = low + draw(st.integers(1, 1000))
    else:
        low = draw(st.floats(1e-6, 1e3) if log else st.floats(-1e3, 1e3))
        high = low + draw(st.floats(1e-3, 1e4))
    inside = _inside(draw, cls, low, high)
    prior = draw(st.sampled_from([None, inside]))
    default = draw(st.sampled_from([None, inside, _inside(draw, cls, low, high)]))
    confidence = draw(st.sampled_from(["low", "medium", "high", 0.3, 0.9]))
    if wild:
        prior = draw(st.one_of(st.just(prior), ANYTHING))
        default = draw(st.one_of(st.just(default), ANYTHING))
        confidence = draw(CONFIDENCES)
    return partial(cls, low, high, log=log, prior=prior, default=default, confidence=confidence)


@st.composite
def choice_definition(draw: st.DrawFn, wild: bool) -> partial[Any]:
    kind = draw(st.sampled_from(["categorical", "ordinal", "constant"]))
    choices: Any = draw(st.one_of(
        st.lists(st.text(max_size=3), min_size=1, max_size=5, unique=True),
        st.lists(st.integers(-5, 5), min_size=1, max_size=5, unique=True),
        st.lists(st.floats(-5, 5), min_size=1, max_size=3, unique=True),
        st.sampled_from([[True, False], [None, 1, "x"], ("a", "b")]),
        ODD_CHOICES,
    ))
    if wild:
        choices = draw(st.one_of(
            st.lists(CHOICE_VALUES, max_size=5),
            st.sampled_from([[], "abc", 5, None, {"a": 1}, {1, 2}, range(3), b"ab"]),
        ))
    known = list(choices) if isinstance(choices, (list, tuple)) and choices else [None]
    prior = draw(st.one_of(st.none(), st.sampled_from(known)))
    default = draw(st.one_of(st.none(), st.sampled_from(known)))
    confidence = draw(st.sampled_from(["low", "medium", "high", 0.3, 0.9]))
    if wild:
        prior = draw(st.one_of(st.just(prior), CHOICE_VALUES))
        default = draw(st.one_of(st.just(default), CHOICE_VALUES))
        confidence = draw(CONFIDENCES)
    if kind == "constant":
        value = known[0] if not wild else draw(st.one_of(st.just(known[0]), CHOICE_VALUES))
        if not wild:
            prior = default = None
        return partial(hp.Constant, value, prior=prior, default=default, confidence=confidence)
    cls = hp.Categorical if kind == "categorical" else hp.Ordinal
    return partial(cls, choices, prior=prior, default=default, confidence=confidence)


def _values_of(recipe: partial[Any]) -> list[Any]:
    """Valid-looking values of the hyperparameter a recipe builds (for conditions)."""
    first, *rest = recipe.args
    if recipe.func is hp.Constant:
        return [first]
    if isinstance(first, (list, tuple)):
        return list(first) or [None]
    return [first, rest[0]] if rest else [first]


@st.composite
def condition(draw: st.DrawFn, names: list[str], params: dict[Any, partial[Any]],
              wild: bool) -> Any:
    """An active_if or forbidden entry on earlier names; on any name, or junk, if wild."""
    if not names or (wild and draw(st.integers(0, 3)) == 0):
        return draw(st.sampled_from([[], {}, "a", 5, [5], [{}], [["a", "gt"]], {"a": set()}]))
    name = draw(st.sampled_from([*names, "zz"] if wild else names))
    values = _values_of(params[name]) if name in params else [None]
    ordered = name in params and params[name].func in (hp.Float, hp.Int, hp.Ordinal)

    def value() -> Any:
        return draw(st.one_of(st.sampled_from(values), ANYTHING) if wild
                    else st.sampled_from(values))

    ops = ["eq", "ne", "in"] + (["gt", "lt"] if ordered or wild else [])
    shape = draw(st.sampled_from(["eq", "cmp", "in", "triples", "or", "helper"]))
    if shape == "eq":
        return {name: value()}
    if shape == "cmp":
        op = draw(st.sampled_from(ops + (["between"] if wild else [])))
        return {name: {"op": op, "value": [value()] if op == "in" else value()}}
    if shape == "in":
        return {name: [value(), value()]}
    if shape == "triples":
        return [[name, draw(st.sampled_from(ops)), value()],
                [name, draw(st.sampled_from(["eq", "ne"])), value()]]
    if shape == "helper":
        helper = draw(st.sampled_from([hp.eq, hp.ne] + ([hp.gt, hp.lt] if ordered else [])))
        return {name: helper(value())}
    other = draw(st.sampled_from(names))
    other_value = draw(st.sampled_from(_values_of(params[other])))
    return [{name: value()}, {other: other_value}]


@st.composite
def space_definition(draw: st.DrawFn) -> tuple[dict[Any, partial[Any]], Any]:
    """Recipes of hyperparameters (their constructors may already refuse) and forbidden."""
    n = draw(st.integers(1, 4))
    mode = draw(st.sampled_from(["clean", "clean", "one wild", "wild"]))
    wild_part = draw(st.integers(0, 2 * n))

    def wild(part: int) -> bool:
        return (mode == "wild" and draw(st.booleans())) or (mode == "one wild" and part == wild_part)

    names: list[Any] = list(NAMES[:n])
    if wild(0):
        names[-1] = draw(st.sampled_from(["", 3, None, "a b", "\n"]))
    params: dict[Any, partial[Any]] = {}
    for i, name in enumerate(names):
        kind = draw(st.sampled_from(["float", "int", "choice"]))
        if kind == "choice":
            params[name] = draw(choice_definition(wild(i + 1)))
        else:
            params[name] = draw(numeric_definition(hp.Float if kind == "float" else hp.Int,
                                                   wild(i + 1)))
    for i, name in enumerate(names):
        earlier = [m for m in names[:i] if isinstance(m, str)]
        is_wild = wild(n + i)
        if is_wild or (earlier and draw(st.integers(0, 2)) == 0):
            # wild conditions may name later hyperparameters too: cycles, self-references
            pool = [m for m in names if isinstance(m, str)] if is_wild else earlier
            params[name].keywords["active_if"] = draw(condition(pool, params, is_wild))
    forbidden = None
    if mode == "wild" and draw(st.booleans()):
        forbidden = draw(st.sampled_from([5, "a", {"a": 1}, [], [None], [[]], ({"a": 1},)]))
    elif draw(st.integers(0, 3)) == 0:
        pool = [m for m in names if isinstance(m, str)]
        forbidden = draw(st.lists(condition(pool, params, mode == "wild"), min_size=1,
                                  max_size=2))
    return params, forbidden


def _build(definition: tuple[dict[Any, partial[Any]], Any]) -> hp.Space | None:
    recipes, forbidden = definition
    try:
        params = {name: recipe() for name, recipe in recipes.items()}
        space = hp.Space(params, forbidden=forbidden)
    except HyperpilotError as exc:
        one_line(exc)
        assert isinstance(exc, SpaceError), f"{type(exc).__name__}: {exc}"
        event("refused")
        return None
    event("built")
    return space


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------------- definitions
@pytest.mark.timeout(120)
@fuzz(300)
@given(space_definition(), st.integers(0, 2**32 - 1))
def test_random_space_definitions_build_or_are_refused_in_one_line(
    definition: tuple[dict[Any, partial[Any]], Any], seed: int
) -> None:
    space = _build(definition)
    if space is None:
        return
    rng = np.random.default_rng(seed)
    # JSON text, as a study stores it: no NaN, no numpy scalars, same space back.
    text = json.dumps(space.to_json(), allow_nan=False)
    assert hp.Space.from_json(json.loads(text)) == space
    assert hp.Space.from_json(space.to_json()) == space
    try:
        samples = space.sample(4, rng) + space.sample(4, rng, from_prior=True)
    except SpaceError as exc:  # forbidden combinations leave (nearly) nothing
        one_line(exc)
        return
    vectors = VectorSpace(space)
    encoded = space.encode(samples)
    for config, row in zip(samples, encoded, strict=True):
        assert space.validate(config) == config
        decoded = space.decode(row)
        assert decoded.keys() == config.keys()
        assert all(_same(decoded[k], config[k]) for k in config), (config, decoded)
    np.testing.assert_allclose(vectors.canonical(encoded), encoded, rtol=1e-9, atol=1e-12)
    try:
        space.validate(space.default_config())
    except ConfigurationError as exc:  # the defaults may fall into a forbidden combination
        one_line(exc)


@pytest.mark.timeout(120)
@fuzz(200)
@given(st.dictionaries(
    st.sampled_from(["type", "low", "high", "log", "choices", "sequence", "value", "prior",
                     "confidence", "default", "active_if", "extra"]),
    st.one_of(ANYTHING, st.sampled_from(["float", "int", "categorical", "ordinal", "constant",
                                         "decimal"]),
              st.lists(CHOICE_VALUES, max_size=3)),
    max_size=6,
))
def test_random_json_hyperparameters_build_or_are_refused_in_one_line(data: dict[str, Any]) -> None:
    """The YAML ``space:`` format: whatever the mapping holds, one line or a space."""
    for description in ({"x": data}, {"hyperparameters": {"x": data}}, data):
        try:
            space = hp.Space.from_json(description)
        except HyperpilotError as exc:
            one_line(exc)
            assert isinstance(exc, SpaceError), f"{type(exc).__name__}: {exc}"
            continue
        assert hp.Space.from_json(json.loads(json.dumps(space.to_json(), allow_nan=False))) == space


# ---------------------------------------------------------------------- configurations
VARIED = hp.Space(
    {
        "lr": hp.Float(1e-5, 1e-1, log=True, prior=1e-3),
        "momentum": hp.Float(0.0, 0.99),
        "layers": hp.Int(1, 8),
        "width": hp.Int(16, 1024, log=True),
        "optimizer": hp.Categorical(["adam", "sgd", None]),
        "nesterov": hp.Categorical([True, False], active_if={"optimizer": "sgd"}),
        "dampening": hp.Float(0.0, 0.5, active_if={"nesterov": False}),
        "size": hp.Ordinal(["s", "m", "l"]),
        "big": hp.Float(-1.0, 1.0, active_if=[["size", "gt", "s"], ["layers", "lt", 5]]),
        "tag": hp.Constant("v1"),
    },
    forbidden=[{"optimizer": "adam", "layers": [7, 8]}],
)
CONFIG_VALUES = st.one_of(
    ANYTHING, CHOICE_VALUES, st.floats(1e-6, 2.0), st.integers(0, 2000),
    st.sampled_from(["adam", "sgd", "s", "m", "l", "v1", "V1", 1e-3, 0.5]),
)


@st.composite
def configuration(draw: st.DrawFn) -> Any:
    """A sample of VARIED with random edits: keys removed, added, values replaced."""
    config: dict[Any, Any] = dict(VARIED.sample(1, draw(st.integers(0, 2**32 - 1)))[0])
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["drop", "set", "add", "inactive"]))
        if edit == "drop" and config:
            config.pop(draw(st.sampled_from(sorted(config, key=str))))
        elif edit == "set":
            config[draw(st.sampled_from(VARIED.names))] = draw(CONFIG_VALUES)
        elif edit == "add":
            config[draw(st.one_of(st.text(max_size=3), st.integers(), st.none()))] = draw(
                CONFIG_VALUES)
        else:
            config.setdefault(draw(st.sampled_from(["nesterov", "dampening", "big"])), 0.1)
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from([None, [], "lr=1", 5, [("lr", 0.1)]]))
    return config


@pytest.mark.timeout(120)
@fuzz(300)
@given(configuration())
def test_random_configurations_are_accepted_or_refused_in_one_line(config: Any) -> None:
    try:
        valid = VARIED.validate(config)
    except ConfigurationError as exc:
        one_line(exc)
        return
    assert VARIED.validate(valid) == valid
    decoded = VARIED.decode(VARIED.encode([valid])[0])
    assert decoded.keys() == valid.keys()
    assert all(_same(decoded[k], valid[k]) for k in valid)


# ---------------------------------------------------------------------- regressions
@pytest.mark.parametrize(("build", "message"), [
    (lambda: hp.Int(float("inf"), 10), "hyperparameter 'n': low must be an integer, got inf"),
    (lambda: hp.Int(0, float("nan")), "hyperparameter 'n': high must be an integer, got nan"),
    (lambda: hp.Int(0, 2**63), "hyperparameter 'n': high must lie within +-2**53, got "
                               "9223372036854775808"),
    (lambda: hp.Float(0, 10**400), "hyperparameter 'n': high must be a finite number, got "
                                   f"{10**400!r}"),
    (lambda: hp.Float(-1e308, 1e308), "hyperparameter 'n': the range is too wide (high - low "
                                      "overflows) to encode, got low=-1e+308, high=1e+308"),
    (lambda: hp.Float(2**53, 2**53 + 1), "hyperparameter 'n': the range is too narrow (low and "
                                         "high are the same float) to encode, got "
                                         "low=9007199254740992, high=9007199254740993"),
    (lambda: hp.Float(0.0, 1.0, log="yes"),  # type: ignore[arg-type]
     "hyperparameter 'n': log must be True or False, got 'yes'"),
    (lambda: hp.Float(0.0, 1.0, prior=0.5, confidence=10**400),
     f"hyperparameter 'n': confidence must lie in (0, 1), got {10**400!r}"),
    (lambda: hp.Categorical([1, 1.0]), "hyperparameter 'n': choices repeat a value: (1, 1.0)"),
    (lambda: hp.Categorical([math.nan, 1.0]),
     "hyperparameter 'n': a numeric choice must be finite, got nan"),
])
def test_definitions_that_raised_other_errors_are_refused_in_one_line(
    build: Any, message: str
) -> None:
    with pytest.raises(SpaceError) as info:
        hp.Space({"n": build()})
    assert str(info.value) == message


def test_forbidden_that_is_not_a_list_is_refused_in_one_line() -> None:
    with pytest.raises(SpaceError) as info:
        hp.Space({"n": hp.Int(0, 3)}, forbidden=5)  # type: ignore[arg-type]
    assert str(info.value) == "forbidden must be a list of mappings {name: value}, got 5"


def test_a_type_that_is_not_a_name_is_refused_in_one_line() -> None:
    with pytest.raises(SpaceError) as info:
        hp.Space.from_json({"n": {"type": ["int"], "low": 0, "high": 3}})
    assert str(info.value) == ("hyperparameter 'n': unknown type ['int']; expected one of "
                               "['categorical', 'constant', 'float', 'int', 'ordinal']")


def test_a_huge_integer_value_is_refused_as_a_configuration() -> None:
    with pytest.raises(ConfigurationError) as info:
        hp.Space({"x": hp.Float(0.0, 1.0)}).validate({"x": 10**400})
    assert str(info.value) == f"configuration: 'x' must be finite, got {10**400!r}"


def test_numpy_scalars_are_stored_as_plain_json() -> None:
    space = hp.Space({
        "x": hp.Float(np.float32(0.25), np.float32(0.75), prior=np.float64(0.5)),
        "n": hp.Int(np.int64(1), np.int64(4), active_if={"x": hp.gt(np.float32(0.5))}),
    }, forbidden=[{"n": np.int64(2)}])
    text = json.dumps(space.to_json(), allow_nan=False)
    assert hp.Space.from_json(json.loads(text)) == space
