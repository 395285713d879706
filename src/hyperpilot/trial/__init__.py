"""Trials: one evaluation of one configuration, its states, and what it measured."""

from hyperpilot.trial._objectives import Constraint, Objective, Result
from hyperpilot.trial._trial import FINISHED_STATES, Trial, TrialState

__all__ = ["FINISHED_STATES", "Constraint", "Objective", "Result", "Trial", "TrialState"]
