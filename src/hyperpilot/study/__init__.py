"""Studies: ask/tell, the optimize loop, create and load."""

from hyperpilot.study._optimize import TrialPruned
from hyperpilot.study._study import Study, create_study, load_study, worker_id

__all__ = ["Study", "TrialPruned", "create_study", "load_study", "worker_id"]
