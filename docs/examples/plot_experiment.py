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
small = (
    '"simulation.people" = 4000, "simulation.days" = 730, '
    '"firms.focal.initial_customers" = 1200, "firms.rival.initial_customers" = 1200'
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
set = {{ {small} }}
[[arms]]
name = "staffed"
scenario = "relsim:baseline"
set = {{ {small}, "firms.focal.account_managers" = 8 }}

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
# The warm-up is tested on the replications too: a bias in the window's first fifth would
# be reported here.
study.warmup_warnings() or "no warm-up bias detected"
