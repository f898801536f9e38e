"""What a simulated run knows and a real log does not: who was really still a customer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from relsim.storage.rundir import focal_firm, read_manifest


def simulation_truth(run_dir: str | Path, calibration_end, firm: str | None = None) -> pd.DataFrame:
    """Each customer's true state at the calibration end, from a run's customers table.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (as text, like the forecasts): ``alive`` (a customer of the
        firm at the calibration end) and ``true_purchases_per_year``.
    """
    run = Path(run_dir)
    meta = read_manifest(run)
    firm = firm or focal_firm(meta)
    start = pd.Timestamp(meta["scenario"]["simulation"]["start_date"])
    day = (pd.Timestamp(calibration_end) + pd.Timedelta(days=1) - start).days
    cust = pd.read_parquet(run / "customers.parquet")
    cust = cust[cust["firm"].astype(str) == firm]
    alive = (cust["start_day"] <= day) & (cust["end_day"].isna() | (cust["end_day"] > day))
    cust = cust.assign(alive=alive, customer_id=cust["customer_id"].astype(str))
    return cust.groupby("customer_id").agg(
        alive=("alive", "any"), true_purchases_per_year=("true_purchases_per_year", "first")
    )
