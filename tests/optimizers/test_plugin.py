"""A plugin optimizer, named by its dotted path, runs the public optimizer contract."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers import make_optimizer
from hyperpilot.testing.optimizer import MakeOptimizer, OptimizerContract

# A module outside the package, as a user would write one: a uniform draw per trial,
# except that every third proposal draws one value of the best configuration anew.
SOURCE = textwrap.dedent('''
    from __future__ import annotations

    import numpy as np

    from hyperpilot.exceptions import ConfigurationError
    from hyperpilot.optimizers import History, Optimizer, Proposal


    class NearBest(Optimizer):
        name = "near-best"

        def __init__(self, *, every: int = 3) -> None:
            self.every = every

        def _ask(self, history: History) -> Proposal:
            rng = np.random.default_rng((history.seed, history.number, 77))
            config = history.space.sample(1, rng)[0]
            done = history.complete
            if done and history.number % self.every == 0:
                best = min(done, key=lambda t: next(iter(t.values.values())))
                name = str(rng.choice(sorted(config)))
                try:  # the best configuration with one value drawn anew
                    config = history.space.validate({**best.config, name: config[name]})
                except ConfigurationError:
                    pass  # that value makes it invalid: keep the fresh draw
            return Proposal(config)
''')

PATH = "hyperpilot_plugin_demo.NearBest"


@pytest.fixture(scope="module", autouse=True)
def plugin_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("plugin")
    (root / "hyperpilot_plugin_demo.py").write_text(SOURCE)
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    sys.modules.pop("hyperpilot_plugin_demo", None)


class TestPluginContract(OptimizerContract):
    @pytest.fixture
    def make(self) -> MakeOptimizer:
        return lambda: make_optimizer({"name": PATH, "every": 2})


def test_a_study_stores_the_path_and_reopens_with_the_plugin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = hp.create_study(space={"x": hp.Float(0.0, 1.0)}, optimizer=PATH, storage=url,
                            name="p", seed=0)
    study.optimize(lambda c: (c["x"] - 0.5) ** 2, n_trials=4, show_progress=False)
    assert study.record.spec["optimizer"] == {"name": PATH, "every": 3}
    again = hp.load_study("p", storage=url)
    assert type(again.optimizer).__name__ == "NearBest"
    assert again.optimizer.config_name() == PATH


@pytest.mark.parametrize(("name", "message"), [
    ("no_such_module_xyz.Opt", "optimizer 'no_such_module_xyz.Opt' cannot be imported "
                               "(No module named 'no_such_module_xyz')"),
    ("hyperpilot_plugin_demo.Missing", "optimizer 'hyperpilot_plugin_demo.Missing' cannot be "
                                       "imported (module 'hyperpilot_plugin_demo' has no "
                                       "attribute 'Missing')"),
    ("collections.OrderedDict", "optimizer 'collections.OrderedDict' is not an Optimizer "
                                "subclass"),
    ("tpe", "unknown optimizer 'tpe'; available: "),
])
def test_a_bad_name_is_one_line(name: str, message: str) -> None:
    with pytest.raises(OptimizerError) as info:
        make_optimizer(name)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
