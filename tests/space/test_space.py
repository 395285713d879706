from __future__ import annotations

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import ConfigurationError, SpaceError


def make_space() -> hp.Space:
    return hp.Space(
        {
            "lr": hp.Float(1e-5, 1e-1, log=True, prior=1e-3, confidence="medium"),
            "layers": hp.Int(1, 8),
            "optimizer": hp.Categorical(["adam", "sgd"]),
            "momentum": hp.Float(0.0, 0.99, active_if={"optimizer": "sgd"}),
            "nesterov": hp.Categorical([True, False], active_if={"momentum": hp.gt(0.5)}),
            "width": hp.Ordinal([32, 64, 128, 256]),
            "tag": hp.Constant("v1"),
        },
        forbidden=[{"optimizer": "adam", "layers": [7, 8]}],
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: hp.Float(1.0, 0.0), "hyperparameter 'p': low must be less than high, got low=1.0, high=0.0"),
        (lambda: hp.Float(0.0, 1.0, log=True), "hyperparameter 'p': a log scale needs low > 0, got low=0.0"),
        (lambda: hp.Int(0, 10, log=True), "hyperparameter 'p': a log scale needs low > 0, got low=0"),
        (lambda: hp.Int(0.5, 10), "hyperparameter 'p': low must be an integer, got 0.5"),
        (lambda: hp.Float(0.0, 1.0, prior=2.0), "hyperparameter 'p': prior = 2.0 is outside [0.0, 1.0]"),
        (lambda: hp.Float(0.0, 1.0, prior=0.5, confidence="very"), "hyperparameter 'p': confidence must be one of ['high', 'low', 'medium'] or a number in (0, 1), got 'very'"),
        (lambda: hp.Float(0.0, 1.0, prior=0.5, confidence=1.5), "hyperparameter 'p': confidence must lie in (0, 1), got 1.5"),
        (lambda: hp.Categorical(["a", "b"], prior="c"), "hyperparameter 'p': prior = 'c' is not one of ['a', 'b']"),
        (lambda: hp.Categorical([]), "hyperparameter 'p': needs at least one choice, got none"),
        (lambda: hp.Categorical(["a", "a"]), "hyperparameter 'p': choices repeat a value: ('a', 'a')"),
        (lambda: hp.Float(0.0, 1.0, active_if={"nope": 1}), "hyperparameter 'p': active_if refers to unknown hyperparameter 'nope'; known: ['p', 'q']"),
        (lambda: hp.Float(0.0, 1.0, active_if={"q": "z"}), "hyperparameter 'p': active_if: 'q' = 'z' is not one of ['a', 'b']"),
        (lambda: hp.Float(0.0, 1.0, active_if={"q": hp.gt("a")}), "hyperparameter 'p': active_if: 'gt' needs an ordered parent, but 'q' is categorical"),
    ],
)
def test_invalid_definitions_name_the_culprit(build, message):  # type: ignore[no-untyped-def]
    with pytest.raises(SpaceError) as info:
        hp.Space({"p": build(), "q": hp.Categorical(["a", "b"])})
    assert str(info.value) == message


def test_condition_cycle_is_reported():
    with pytest.raises(SpaceError, match="conditions form a cycle: a -> b -> a"):
        hp.Space({"a": hp.Int(0, 3, active_if={"b": 1}), "b": hp.Int(0, 3, active_if={"a": 1})})


def test_forbidden_on_unknown_name():
    with pytest.raises(SpaceError, match="forbidden refers to unknown hyperparameter 'zz'"):
        hp.Space({"a": hp.Int(0, 3)}, forbidden=[{"zz": 1}])


def test_not_a_hyperparameter():
    with pytest.raises(SpaceError, match="hyperparameter 'a': expected Float, Int, Categorical"):
        hp.Space({"a": (0, 1)})  # type: ignore[dict-item]


def test_samples_are_valid_and_respect_conditions_and_forbidden():
    space = make_space()
    configs = space.sample(500, 0)
    assert len(configs) == 500
    for config in configs:
        assert space.validate(config) == config
        assert ("momentum" in config) == (config["optimizer"] == "sgd")
        assert ("nesterov" in config) == (config.get("momentum", 0) > 0.5)
        assert not (config["optimizer"] == "adam" and config["layers"] >= 7)
    # every choice appears
    assert {c["width"] for c in configs} == {32, 64, 128, 256}
    assert {c["layers"] for c in configs} == set(range(1, 9))


def test_sampling_is_seeded():
    space = make_space()
    assert space.sample(20, 7) == space.sample(20, 7)
    assert space.sample(20, 7) != space.sample(20, 8)


def test_encode_decode_round_trip_and_inactive_nan():
    space = make_space()
    configs = space.sample(200, 1)
    encoded = space.encode(configs)
    assert encoded.shape == (200, len(space))
    active = ~np.isnan(encoded)
    assert np.all((encoded[active] >= 0) & (encoded[active] <= 1))
    j = space.names.index("momentum")
    assert all(np.isnan(row[j]) == ("momentum" not in c) for row, c in zip(encoded, configs, strict=True))
    for row, config in zip(encoded, configs, strict=True):
        decoded = space.decode(np.nan_to_num(row, nan=0.0))
        assert decoded["layers"] == config["layers"]
        assert decoded["optimizer"] == config["optimizer"]
        assert decoded["lr"] == pytest.approx(config["lr"], rel=1e-9)


def test_log_scale_is_uniform_in_log_space():
    space = hp.Space({"x": hp.Float(1e-4, 1.0, log=True)})
    xs = np.array([c["x"] for c in space.sample(4000, 0)])
    below = np.mean(xs < 1e-2)  # half of the log range
    assert 0.45 < below < 0.55


def test_int_bins_are_even():
    space = hp.Space({"k": hp.Int(1, 4)})
    counts = np.bincount([c["k"] for c in space.sample(8000, 0)], minlength=5)[1:]
    assert np.all(np.abs(counts / 8000 - 0.25) < 0.02)


def test_prior_sampling_concentrates_and_density_integrates_to_one():
    space = hp.Space({
        "x": hp.Float(0.0, 10.0, prior=2.0, confidence="high"),
        "c": hp.Categorical(["a", "b", "c", "d"], prior="d", confidence="medium"),
    })
    configs = space.sample(4000, 0, from_prior=True)
    xs = np.array([c["x"] for c in configs])
    assert abs(np.median(xs) - 2.0) < 0.3
    share_d = np.mean([c["c"] == "d" for c in configs])
    expected = 0.25 + 0.5 * 0.75  # 1/k + c (1 - 1/k)
    assert abs(share_d - expected) < 0.03
    grid = np.linspace(0, 1, 20001)
    density = space["x"].prior_pdf(grid)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-3)
    assert space["c"].prior_pdf(np.array([0.9]))[0] == pytest.approx(expected * 4)


def test_default_config_uses_prior_then_centre():
    space = make_space()
    default = space.default_config()
    assert default["lr"] == 1e-3
    assert default["optimizer"] == "adam"
    assert "momentum" not in default
    assert space.validate(default) == default


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"lr": 1.0, "layers": 3, "optimizer": "adam", "width": 32}, "configuration: 'lr' = 1.0 is outside [1e-05, 0.1]"),
        ({"lr": 0.01, "layers": "3", "optimizer": "adam", "width": 32}, "configuration: 'layers' must be a number, got str '3'"),
        ({"lr": 0.01, "layers": 2.5, "optimizer": "adam", "width": 32}, "configuration: 'layers' must be an integer, got 2.5"),
        ({"lr": 0.01, "layers": 3, "optimizer": "rmsprop", "width": 32}, "configuration: 'optimizer' = 'rmsprop' is not one of ['adam', 'sgd']"),
        ({"lr": 0.01, "layers": 3, "optimizer": "adam"}, "configuration is missing active hyperparameter 'width'"),
        ({"lr": 0.01, "layers": 3, "optimizer": "sgd", "width": 32}, "configuration is missing active hyperparameter 'momentum'"),
        ({"lr": 0.01, "layers": 3, "optimizer": "adam", "width": 32, "momentum": 0.9}, "configuration sets 'momentum' = 0.9, but 'momentum' is inactive there (active_if {'optimizer': 'sgd'})"),
        ({"lr": 0.01, "layers": 3, "optimizer": "adam", "width": 32, "color": 1}, "configuration has unknown hyperparameter 'color'; known: ['layers', 'lr', 'momentum', 'nesterov', 'optimizer', 'tag', 'width']"),
        ({"lr": 0.01, "layers": 8, "optimizer": "adam", "width": 32}, "configuration {'lr': 0.01, 'layers': 8, 'optimizer': 'adam', 'width': 32, 'tag': 'v1'} is a forbidden combination"),
        ({"lr": float("nan"), "layers": 3, "optimizer": "adam", "width": 32}, "configuration: 'lr' must be finite, got nan"),
    ],
)
def test_invalid_configurations_name_the_culprit(config, message):  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError) as info:
        make_space().validate(config)
    assert str(info.value) == message


def test_validate_normalizes_types():
    space = make_space()
    config = space.validate({"lr": np.float32(0.01), "layers": np.int64(3), "optimizer": np.str_("adam"), "width": 64})
    assert type(config["lr"]) is float and type(config["layers"]) is int
    assert config["tag"] == "v1"


def test_json_round_trip():
    space = make_space()
    again = hp.Space.from_json(space.to_json())
    assert again == space
    assert again.to_json() == space.to_json()


def test_from_json_reports_bad_types():
    with pytest.raises(SpaceError, match="hyperparameter 'a': unknown type 'decimal'"):
        hp.Space.from_json({"a": {"type": "decimal", "low": 0, "high": 1}})
    with pytest.raises(SpaceError, match="hyperparameter 'a': type 'float' needs the field 'high'"):
        hp.Space.from_json({"a": {"type": "float", "low": 0}})


def test_or_conditions():
    space = hp.Space({
        "a": hp.Categorical(["x", "y", "z"]),
        "b": hp.Int(0, 5),
        "c": hp.Float(0, 1, active_if=[{"a": "x"}, {"b": hp.gt(3)}]),
    })
    for config in space.sample(300, 2):
        assert ("c" in config) == (config["a"] == "x" or config["b"] > 3)


def test_too_restrictive_forbidden_is_reported():
    space = hp.Space({"a": hp.Categorical(["x"])}, forbidden=[{"a": "x"}])
    with pytest.raises(SpaceError, match="forbidden combinations reject nearly every configuration"):
        space.sample(1, 0)


def test_conditions_tell_bools_from_numbers():
    space = hp.Space({"c": hp.Categorical([1, True]), "x": hp.Float(0, 1, active_if={"c": True})})
    assert space.decode([0.1, 0.5]) == {"c": 1}
    assert space.decode([0.9, 0.5]) == {"c": True, "x": 0.5}
    with pytest.raises(ConfigurationError, match="'x' is inactive there"):
        space.validate({"c": 1, "x": 0.5})
