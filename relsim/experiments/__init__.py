"""Many runs: comparisons, declared experiments and sweeps, over one execution engine.

:mod:`~relsim.experiments.engine` runs replications of *units* (the arms of a comparison,
the points of a sweep) on a :mod:`~relsim.experiments.backends` backend into a resumable
:mod:`~relsim.experiments.store`; the designs sit on top of it.
"""
