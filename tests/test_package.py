"""The package's public namespace."""

from __future__ import annotations

import importlib

import pytest

import hyperpilot as hp


@pytest.mark.parametrize("module", ["hyperpilot", "hyperpilot.space", "hyperpilot.study",
                                    "hyperpilot.storage", "hyperpilot.optimizers",
                                    "hyperpilot.optimizers.bo", "hyperpilot.trial",
                                    "hyperpilot.execution"])
def test_no_stray_names(module: str) -> None:
    # `from __future__ import annotations` in a package's __init__ made
    # `hp.annotations` a public name.
    imported = importlib.import_module(module)
    assert not hasattr(imported, "annotations")
    assert "annotations" not in dir(imported)


def test_every_exported_name_exists() -> None:
    for name in hp.__all__:
        assert hasattr(hp, name), name
