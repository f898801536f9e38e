"""Print the documentation's claims table from experiment results folders.

    for f in experiments/*.toml; do relsim experiment $f --workers 2; done
    python docs/claims_table.py results/acquisition_cost results/coupons ...

Each row is a claim as its experiment judged it: the measured mean with its 95% interval,
the claimed range, the verdict, and the source with its evidence grade.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd


def fmt(v: float) -> str:
    """A number as the table shows it (three significant digits, infinities spelt out)."""
    if not math.isfinite(v):
        return "-inf" if v < 0 else "inf"
    return f"{v:.3g}"


def main(folders: list[str]) -> None:
    """Print the table of every claim of the experiments in ``folders``."""
    print(
        "| experiment | claim | role | measured, mean [95% CI] | claimed | verdict | "
        "source (grade) |"
    )
    print("|---|---|---|---|---|---|---|")
    for folder in folders:
        d = Path(folder)
        claims = pd.read_csv(d / "claims.csv", keep_default_na=False, na_values=[""])
        meta = json.loads((d / "manifest.json").read_text())
        n = min(meta["replications_finished"].values())
        name = f"`{meta['experiment']['name']}` ({n} reps)"
        for i, c in claims.iterrows():
            ci = "" if pd.isna(c["ci_low"]) else f" [{fmt(c['ci_low'])}, {fmt(c['ci_high'])}]"
            value = "n/a" if pd.isna(c["value"]) else f"{fmt(c['value'])}{ci}"
            print(
                f"| {name if i == 0 else ''} | {c['claim']} | {c['role']} | {value} | "
                f"{fmt(c['low'])} to {fmt(c['high'])} | {c['verdict']} | "
                f"{c['source']} ({c['grade']}) |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
