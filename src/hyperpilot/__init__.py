"""hyperpilot: hyperparameter optimization that a person can steer and understand.

>>> import hyperpilot as hp
>>> space = hp.Space({"x": hp.Float(-5, 5)})
>>> study = hp.create_study(space=space, storage="memory", seed=0)
>>> _ = study.optimize(lambda c: c["x"] ** 2, n_trials=20, show_progress=False)
>>> study.best_trial.value < 2
True
"""

# No ``from __future__ import annotations`` here: it would put ``annotations`` among the
# package's public names.

__version__ = "0.1.0"

from hyperpilot._logging import install_console_handler as _install_console_handler
from hyperpilot.exceptions import (
    BudgetError,
    ConfigurationError,
    DuplicateStudyError,
    HyperpilotError,
    IntermediateValueError,
    InvalidResultError,
    MissingDependencyError,
    NoCompleteTrialError,
    ObjectiveSpecError,
    OptimizerError,
    ResultShapeError,
    ResultTypeError,
    SchemaVersionError,
    SpaceError,
    StorageError,
    StudyMismatchError,
    StudyNotFoundError,
    TooManyFailuresError,
    TrialStateError,
    TrialTimeoutError,
)
from hyperpilot.optimizers import (
    OPTIMIZERS,
    BayesianOptimizer,
    History,
    LatinHypercubeOptimizer,
    Optimizer,
    Proposal,
    RandomOptimizer,
    SobolOptimizer,
    make_optimizer,
)
from hyperpilot.space import (
    Categorical,
    Constant,
    Fidelity,
    Float,
    Int,
    Ordinal,
    Space,
    eq,
    gt,
    isin,
    lt,
    ne,
)
from hyperpilot.storage import InMemoryStorage, Storage, get_storage
from hyperpilot.study import Study, TrialPruned, create_study, load_study, run_worker
from hyperpilot.trial import Constraint, Objective, Result, Trial, TrialState

_install_console_handler()

__all__ = [
    "OPTIMIZERS",
    "BayesianOptimizer",
    "BudgetError",
    "Categorical",
    "ConfigurationError",
    "Constant",
    "Constraint",
    "DuplicateStudyError",
    "Fidelity",
    "Float",
    "History",
    "HyperpilotError",
    "InMemoryStorage",
    "Int",
    "IntermediateValueError",
    "InvalidResultError",
    "LatinHypercubeOptimizer",
    "MissingDependencyError",
    "NoCompleteTrialError",
    "Objective",
    "ObjectiveSpecError",
    "Optimizer",
    "OptimizerError",
    "Ordinal",
    "Proposal",
    "RandomOptimizer",
    "Result",
    "ResultShapeError",
    "ResultTypeError",
    "SchemaVersionError",
    "SobolOptimizer",
    "Space",
    "SpaceError",
    "Storage",
    "StorageError",
    "Study",
    "StudyMismatchError",
    "StudyNotFoundError",
    "TooManyFailuresError",
    "Trial",
    "TrialPruned",
    "TrialState",
    "TrialStateError",
    "TrialTimeoutError",
    "__version__",
    "create_study",
    "eq",
    "get_storage",
    "gt",
    "isin",
    "load_study",
    "lt",
    "make_optimizer",
    "ne",
    "run_worker",
]
