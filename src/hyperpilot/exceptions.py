"""The error types of hyperpilot.

Every error raised on purpose derives from :class:`HyperpilotError`, and also from the
builtin that fits it best, so ``except ValueError`` keeps working for callers who do not
know hyperpilot. Messages name the thing at fault, what was expected and what was got.
"""

from __future__ import annotations


class HyperpilotError(Exception):
    """Root of every error that hyperpilot raises on purpose."""


class SpaceError(HyperpilotError, ValueError):
    """A search space or one of its hyperparameters is defined wrongly."""


class ConfigurationError(HyperpilotError, ValueError):
    """A configuration does not fit its search space."""


class ObjectiveSpecError(HyperpilotError, ValueError):
    """The objectives or constraints of a study are declared wrongly."""


class InvalidResultError(HyperpilotError, ValueError):
    """An objective returned something that is not a valid result."""


class ResultShapeError(InvalidResultError):
    """A result does not fit the declared objectives: a bug in the objective, not bad luck.

    A missing or unknown key, or a number where a mapping of several objectives is needed.
    """


class ResultTypeError(InvalidResultError, TypeError):
    """A result value is not a number (a string, ``None``, a list...)."""


class TrialTimeoutError(HyperpilotError, TimeoutError):
    """A trial ran past its time limit."""


class TrialStateError(HyperpilotError, RuntimeError):
    """A trial was used in a way its state does not allow (e.g. told twice)."""


class IntermediateValueError(HyperpilotError, ValueError):
    """A learning-curve value was refused: not a finite number, or its step not a new one."""


class StudyFullError(HyperpilotError, RuntimeError):
    """A trial was not added: the study already holds the number of trials asked for."""


class DuplicateConfigurationError(HyperpilotError, ValueError):
    """A trial was not added: asked to be unique, its configuration is already a trial's."""


class StorageError(HyperpilotError, RuntimeError):
    """A storage cannot be opened, read or written."""


class SchemaVersionError(StorageError):
    """A storage was written by a hyperpilot with another schema version."""


class TrialNotFoundError(HyperpilotError, LookupError):
    """No trial of the given id or number exists (in the study)."""


class StudyNotFoundError(HyperpilotError, LookupError):
    """No study of the given name exists in the storage."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DuplicateStudyError(HyperpilotError, ValueError):
    """A study of the given name already exists in the storage."""


class StudyMismatchError(HyperpilotError, ValueError):
    """A stored study was reopened with settings that contradict it."""


class OptimizerError(HyperpilotError, ValueError):
    """An optimizer name or setting is invalid, or it cannot propose a configuration."""


class BudgetError(HyperpilotError, ValueError):
    """A budget lies outside the study's fidelity, or the study has no fidelity."""


class SteeringError(HyperpilotError, ValueError):
    """An intervention on a study does not fit its space, its trials or its state."""


class StudyStoppedError(HyperpilotError, RuntimeError):
    """A study that was stopped was asked to run trials."""


class NoCompleteTrialError(HyperpilotError, ValueError):
    """A best trial was asked for, but no trial of the study has completed."""


class TooManyFailuresError(HyperpilotError, RuntimeError):
    """The objective failed so often in a row that the study stopped."""


class MissingDependencyError(HyperpilotError, ImportError):
    """An optional dependency is needed but not installed."""


class BenchmarkError(HyperpilotError, ValueError):
    """A benchmark suite, problem, budget or results file is invalid."""


_PACKAGES = {"sklearn": "scikit-learn", "psycopg": "psycopg[binary]", "ConfigSpace": "ConfigSpace"}


def require(module: str, extra: str) -> None:
    """Raise :class:`MissingDependencyError` with an install hint if *module* is absent."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        package = _PACKAGES.get(module, module)
        raise MissingDependencyError(
            f"this feature needs the package {package!r} (import {module!r}): "
            f"pip install 'hyperpilot[{extra}]'"
        )
