"""relsim: simulation and forecasting for relationship marketing.

An agent-based SimPy model of customers on the relationship ladder, leaving for named causes,
under firms' strategies; see ``README.md`` and ``shared/design.md``.
"""

from relsim.scenario import Scenario, ScenarioError, load_scenario
from relsim.simulation import SimulationResult, simulate

__all__ = ["Scenario", "ScenarioError", "SimulationResult", "load_scenario", "simulate"]
__version__ = "0.1.0"
