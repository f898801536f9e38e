"""Sweeps: many scenario values times many replications, on processes or a Dask cluster.

:mod:`~relsim.sweep.spec` reads a sweep file and draws its design, :mod:`~relsim.sweep.runner`
runs it into a resumable Parquet dataset on a :mod:`~relsim.sweep.backends` backend,
:mod:`~relsim.sweep.sensitivity` computes SALib indices and :mod:`~relsim.sweep.summary`
writes the report.
"""

from relsim.sweep.backends import make_backend
from relsim.sweep.runner import SweepStatus, read_runs, run_sweep
from relsim.sweep.spec import Sweep, SweepError, SweepPlan, load_sweep, plan_sweep
from relsim.sweep.summary import summarise_sweep

__all__ = ["Sweep", "SweepError", "SweepPlan", "SweepStatus", "load_sweep", "make_backend",
           "plan_sweep", "read_runs", "run_sweep", "summarise_sweep"]
