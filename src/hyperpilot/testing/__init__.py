"""Contract suites that every implementation of a hyperpilot interface must pass.

They are public so that plugin authors can run them on their own storages and optimizers;
they import pytest, so import them from test code only.
"""

from hyperpilot.testing.optimizer import OptimizerContract
from hyperpilot.testing.storage import StorageContract

__all__ = ["OptimizerContract", "StorageContract"]
