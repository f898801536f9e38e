"""Configuration: the scenario schema, reading scenario files, the bundled scenarios.

``schema`` holds the validated data model of a scenario, ``loading`` reads TOML files with
their ``extends`` chains and ``--set`` overrides, and ``scenarios/`` the scenarios shipped
with relsim (``relsim:baseline`` and the strategy scenarios).
"""

from relsim.config.loading import load_scenario, scenario_from_dict
from relsim.config.schema import Scenario, Strategy

__all__ = ["Scenario", "Strategy", "load_scenario", "scenario_from_dict"]
