"""Print the documentation's validation table of a calibration folder.

    relsim calibrate scenarios/grocery_inputs.toml --targets scenarios/grocery.targets.toml
        --out results/grocery_calibration --workers 2   (one command)
    python docs/validation_table.py results/grocery_calibration

Each row is a fact as the out-of-sample validation judged it: role, source with its grade,
target range, the measured mean with its 95% interval over the validation replications, and
the verdict.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from claims_table import fmt


def main(folder: str) -> None:
    """Print the table of ``folder``/validation.csv."""
    v = pd.read_csv(Path(folder) / "validation.csv")
    print("| fact | role | source (grade) | target | measured, mean [95% CI] | verdict |")
    print("|---|---|---|---|---|---|")
    for _, r in v.iterrows():
        print(
            f"| {r['fact']} | {r['role']} | {r['source']} ({r['grade']}) | "
            f"{fmt(r['low'])} to {fmt(r['high'])} | "
            f"{fmt(r['value'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}] | {r['verdict']} |"
        )


if __name__ == "__main__":
    main(sys.argv[1])
