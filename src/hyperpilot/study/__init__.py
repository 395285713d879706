"""Studies: ask/tell, the optimize loop, create and load, independent workers."""

from hyperpilot.execution._call import TrialPruned
from hyperpilot.study._study import Study, create_study, load_study, worker_id
from hyperpilot.study._worker import run_worker

__all__ = ["Study", "TrialPruned", "create_study", "load_study", "run_worker", "worker_id"]
