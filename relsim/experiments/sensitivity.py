"""Sensitivity of a sweep's outputs to its factors (SALib).

Each point's output is its mean over the replications every point has finished; with common
random numbers the noise is the same at every point, so the indices measure the factors and
not the luck of the draws. The measure follows the design:

- *sobol*: first-order and total Sobol' indices (Saltelli 2010 estimators, bootstrap
  intervals);
- *morris*: mean absolute elementary effect mu* (with interval), its spread sigma, and mu;
- *lhs*: first-order indices by RBD-FAST (Tarantola et al. 2006; Plischke 2010);
- *grid*: the main-effect share of variance of the full factorial, Var(E[Y | X_i]) / Var(Y).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from relsim.experiments.sweeps import SweepPlan

COLUMNS = ["output", "factor", "measure", "value", "conf"]


def point_means(
    runs: pd.DataFrame,
    outputs: Sequence[str],
    n_points: int,
) -> tuple[pd.DataFrame, list[int]]:
    """Each point's mean of each output over the replications that every point has finished.

    Returns
    -------
    pandas.DataFrame
        Indexed by point (only points with results), a column per output.
    list of int
        The replications averaged.
    """
    if runs.empty:
        return pd.DataFrame(columns=list(outputs)), []
    per_rep = runs.groupby("replication")["point"].nunique()
    complete = sorted(int(r) for r in per_rep.index[per_rep == n_points])
    use = runs[runs["replication"].isin(complete)] if complete else runs
    cols = [c for c in outputs if c in runs.columns]
    return use.groupby("point")[cols].mean(), complete


def _grid_main_effects(plan: SweepPlan, y: np.ndarray) -> list[dict]:
    rows = []
    total = float(np.var(y))
    for j, f in enumerate(plan.sweep.factors):
        level_means = pd.Series(y).groupby(plan.design[:, j]).mean()
        counts = pd.Series(plan.design[:, j]).value_counts().sort_index()
        between = float(np.average((level_means - y.mean()) ** 2, weights=counts))
        rows.append(
            {"factor": f.column, "measure": "S1", "value": between / total, "conf": math.nan}
        )
    return rows


def analyse(
    plan: SweepPlan,
    means: pd.DataFrame,
    outputs: Sequence[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices of each output with respect to each factor.

    Parameters
    ----------
    plan : SweepPlan
        The sweep (its design and factors).
    means : pandas.DataFrame
        From :func:`point_means`.
    outputs : sequence of str
        Outputs to analyse.

    Returns
    -------
    pandas.DataFrame
        ``output, factor, measure, value, conf`` (``conf`` is the half-width of the 95%
        bootstrap interval where the method gives one).
    list of str
        Why an output or the whole analysis was left out.
    """
    n = len(plan.points)
    if len(means) < n:
        return pd.DataFrame(columns=COLUMNS), [
            f"only {len(means)} of {n} points have results: sensitivity needs every point"
        ]
    from SALib.analyze import morris, rbd_fast, sobol

    method = plan.sweep.design.method
    problem = plan.sweep.problem()
    seed = plan.sweep.design_seed()
    rows, notes = [], []
    for out in outputs:
        if out not in means.columns:
            notes.append(f"{out}: not a figure of the runs")
            continue
        y = means[out].sort_index().to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            notes.append(f"{out}: undefined at {int((~np.isfinite(y)).sum())} points")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{out}: the same at every point")
            continue
        if method == "grid":
            found = _grid_main_effects(plan, y)
        elif method == "sobol":
            res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
            found = [
                {
                    "factor": name,
                    "measure": m,
                    "value": float(res[m][j]),
                    "conf": float(res[f"{m}_conf"][j]),
                }
                for j, name in enumerate(problem["names"])
                for m in ("S1", "ST")
            ]
        elif method == "morris":
            res = morris.analyze(
                problem, plan.design, y, num_levels=plan.sweep.design.levels, seed=seed
            )
            found = [
                {
                    "factor": name,
                    "measure": m,
                    "value": float(res[m][j]),
                    "conf": float(res["mu_star_conf"][j]) if m == "mu_star" else math.nan,
                }
                for j, name in enumerate(problem["names"])
                for m in ("mu_star", "sigma", "mu")
            ]
        else:
            # RBD-FAST's bootstrap halves the sample and needs 2M harmonics below its size.
            harmonics = max(1, min(10, len(y) // 4 - 1))
            res = rbd_fast.analyze(problem, plan.design, y, M=harmonics, seed=seed)
            found = [
                {
                    "factor": name,
                    "measure": "S1",
                    "value": float(res["S1"][j]),
                    "conf": float(res["S1_conf"][j]),
                }
                for j, name in enumerate(problem["names"])
            ]
        rows += [{"output": out, **r} for r in found]
    return pd.DataFrame(rows, columns=COLUMNS), notes


def sensitivity_table(indices: pd.DataFrame) -> pd.DataFrame:
    """The indices one row per output and factor, a column per measure."""
    if indices.empty:
        return indices
    wide = indices.pivot_table(
        index=["output", "factor"], columns="measure", values="value", sort=False
    )
    wide.columns.name = None
    return wide.reset_index()
