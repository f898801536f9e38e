"""relsim: simulation and forecasting for relationship marketing.

An agent-based SimPy model of customers on the relationship ladder, leaving for named causes,
under firms' strategies, with buy-till-you-die forecasting of purchase frequency and value.

>>> import relsim
>>> result = relsim.simulate(relsim.load_scenario(), seed=7)   # doctest: +SKIP

The names below are imported on first use, so ``import relsim`` (and ``relsim --help``) stays
fast; the layers are the subpackages ``config``, ``model``, ``analysis``, ``experiments``,
``forecast``, ``reporting``, ``studies`` (``compare``, ``experiment``, ``sweep``), ``app``
and ``cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relsim._version import __version__

_LAZY = {
    "Scenario": "relsim.config.schema",
    "load_scenario": "relsim.config.loading",
    "simulate": "relsim.analysis.simulation",
    "SimulationResult": "relsim.analysis.simulation",
    "compare": "relsim.studies",
    "experiment": "relsim.studies",
    "sweep": "relsim.studies",
    "RelsimError": "relsim.errors",
    "ScenarioError": "relsim.errors",
}

__all__ = [
    "RelsimError",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "compare",
    "experiment",
    "load_scenario",
    "simulate",
    "sweep",
]

if TYPE_CHECKING:  # pragma: no cover
    from relsim.analysis.simulation import SimulationResult, simulate
    from relsim.config.loading import load_scenario
    from relsim.config.schema import Scenario
    from relsim.errors import RelsimError, ScenarioError
    from relsim.studies import compare, experiment, sweep


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'relsim' has no attribute {name!r}")
