"""
An experiment with claims
=========================

A researcher declares the arms and what they expect, with a source for each claim, and relsim
judges every claim on its whole 95% interval: *held*, *not held*, or *inconclusive* with the
replications that would decide it. Here: account managers cut neglect defections (the
mechanism says so), and relocation, which no strategy touches, stays at the census rate the
scenario sets.
"""

# %%
import tempfile
from pathlib import Path

import relsim

h = relsim.load_scenario().switching.relocation_per_year
# the default market scaled to 4,000 people, its staff too, with two years to settle
small = (
    '"simulation.people" = 4000, "simulation.days" = 730, "simulation.warmup_days" = 730, '
    '"firms.focal.initial_customers" = 1200, "firms.rival.initial_customers" = 1200, '
    '"firms.rival.account_managers" = 1, '
    '"firms.focal.acquisition_budget_per_year" = 36000, '
    '"firms.rival.acquisition_budget_per_year" = 36000'
)
folder = Path(tempfile.mkdtemp())
spec = folder / "managers.toml"
spec.write_text(
    f"""
name = "managers"
replications = 5
seed = 5
[[arms]]
name = "base"
scenario = "relsim:baseline"
set = {{ {small}, "firms.focal.account_managers" = 1 }}
[[arms]]
name = "staffed"
scenario = "relsim:baseline"
set = {{ {small}, "firms.focal.account_managers" = 4 }}

[[claims]]
name = "managers cut neglect"
source = "relsim-assumption"
kind = "difference"
metric = "defections_neglect_per_customer_year"
arm = "staffed"
against = "base"
range = [-inf, 0]

[[claims]]
name = "relocation at the census rate"
source = "relsim-assumption"
metric = "defections_relocation_per_customer_year"
arm = "staffed"
range = [{0.5 * h}, {2 * h}]
"""
)
study = relsim.experiment(spec, out=folder / "out", report=False)
study.claims[["claim", "value", "ci_low", "ci_high", "verdict", "why"]]

# %%
# The warm-up is tested on the replications too. Both arms start from the base market's mix
# of rungs; with four managers the focal firm's top rungs keep filling after the warm-up,
# and the test says so (the staffed arm's figures are measured while it still moves).
study.warmup_warnings() or "no warm-up bias detected"
