"""Real-world inputs: time zones, decimal commas, separators, returns, bad amounts, constant
spend, fits at a boundary, and the Python API on DataFrames with their own column names."""

import numpy as np
import pandas as pd
import pytest
from sampling import assert_near

from relsim.cli import main
from relsim.forecast import forecast
from relsim.forecast.data import Columns, read_transactions, rfm_summary
from relsim.forecast.models import fit_model


def base_log(n: int = 300, seed: int = 5, amount=None) -> pd.DataFrame:
    """A small log: each customer buys a few times in 2024 (Poisson gaps)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        for _ in range(int(rng.integers(1, 6))):
            value = amount if amount is not None else float(np.round(rng.gamma(4, 5), 2))
            rows.append((f"c{c}", day, value))
            day += pd.Timedelta(days=int(rng.exponential(40)) + 1)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_utc_offsets_single_and_mixed_are_converted(tmp_path):
    text = (
        "customer_id,date,amount\n"
        "a,2024-03-01T23:30:00-05:00,5\n"  # 04:30 UTC on 2 March
        "a,2024-03-05T10:00:00Z,6\n"
        "b,2024-03-02T01:00:00+02:00,7\n"  # 23:00 UTC on 1 March
    )
    path = tmp_path / "tz.csv"
    path.write_text(text)
    tx = read_transactions(path)
    assert list(tx["date"].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2024-03-02 04:30",
        "2024-03-05 10:00",
        "2024-03-01 23:00",
    ]


def test_decimal_commas_and_a_sniffed_separator(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("customer_id;date;amount\na;2024-01-01;12,50\na;2024-02-01;1.234,75\n")
    tx = read_transactions(path, decimal=",")
    assert tx["amount"].tolist() == [12.5, 1234.75]


def test_returns_are_netted_per_customer_day():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-10", "2024-01-10", "2024-01-20", "2024-02-01"]
            ),
            "amount": [10.0, 30.0, -10.0, -5.0, 8.0],
        }
    )
    s = rfm_summary(tx, "2024-02-28", unit="days")
    # 10 Jan nets to 20 (a purchase), 20 Jan is a return only (no purchase)
    assert s.loc["a", "frequency"] == 2
    assert s.loc["a", "monetary_value"] == pytest.approx((20.0 + 8.0) / 2)
    assert s.attrs["returns_days"] == 1


def test_a_bad_amount_touches_only_the_spend_model(tmp_path):
    log = base_log()
    log["amount"] = log["amount"].astype(object)
    log.loc[3, "amount"] = "n/a"
    path = tmp_path / "tx.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "fc"
    assert main(["forecast", str(path), "--out", str(out), "--intervals", "40"]) == 0
    clean = base_log()
    clean.loc[3, "amount"] = np.nan
    cust = pd.read_parquet(out / "customers.parquet")
    # the frequency models saw every purchase, the bad one included
    s = rfm_summary(clean, clean["date"].max(), "weeks")
    assert cust["frequency"].sum() == s["frequency"].sum()
    assert np.isfinite(cust["bgnbd_clv"]).all()
    assert np.isfinite(cust[["bgnbd_clv_low", "bgnbd_clv_high"]]).all().all()


def test_constant_spend_makes_gamma_gamma_step_aside(tmp_path, capsys):
    path = tmp_path / "flat.csv"
    base_log(amount=10.0).to_csv(path, index=False)
    out = tmp_path / "fc"
    assert main(["forecast", str(path), "--out", str(out), "--intervals", "20"]) == 0
    printed = capsys.readouterr().out
    assert "Gamma-Gamma stepped aside" in printed
    cust = pd.read_parquet(out / "customers.parquet")
    assert (cust["expected_spend"] == 10.0).all()
    assert np.isfinite(cust["paretonbd_clv"]).all() and np.isfinite(cust["bgnbd_clv"]).all()
    # CLV intervals from the frequency model's uncertainty alone, around the point value
    assert (cust["bgnbd_clv_low"] <= cust["bgnbd_clv"] + 1e-9).all()
    assert (cust["bgnbd_clv"] <= cust["bgnbd_clv_high"] + 1e-9).all()


def test_a_fit_at_its_boundary_says_so_and_still_forecasts():
    # identical Poisson buyers who never leave: no heterogeneity, no drop-out; BG/NBD's r and
    # alpha run to infinity and its forecast must tend to the Poisson one, rate * t
    rng = np.random.default_rng(9)
    n, rate, T = 4000, 0.3, 52.0
    times = [np.cumsum(rng.exponential(1 / rate, 60)) for _ in range(n)]
    x = np.array([(t <= T).sum() for t in times])
    tx = np.array([t[t <= T].max() if (t <= T).any() else 0.0 for t in times])
    data = pd.DataFrame({"frequency": x, "recency": tx, "T": np.full(n, T)})
    fit = fit_model("bgnbd", data)
    assert {"r", "alpha"} & set(fit.boundary) and not fit.converged
    pred = fit.expected_purchases(10.0, x, tx, data["T"])
    assert np.isfinite(pred).all()
    # At the boundary the forecast is the Poisson one at the maximum-likelihood rate
    # sum(x) / sum(T) (a limit, met to the boundary's precision, not a sampling statement)...
    mle = x.sum() / (n * T)
    assert pred.mean() == pytest.approx(mle * 10, rel=1e-4)
    # ...and that rate is the true one up to its sampling error, sqrt(rate / (n T))
    assert_near(mle, rate, np.sqrt(rate / (n * T)))


def test_one_customer_is_not_reported_as_converged(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("customer_id,date\na,2024-01-01\na,2024-02-01\na,2024-03-15\n")
    out = tmp_path / "fc"
    code = main(["forecast", str(path), "--out", str(out), "--model", "bgnbd", "--amount-col", ""])
    printed = capsys.readouterr()
    # one customer cannot identify four parameters: the fit is made, and said not to converge
    assert code == 0, printed.err
    params = pd.read_csv(out / "parameters.csv")
    assert not params["converged"].any()
    assert "NOT CONVERGED" in printed.out


def test_python_api_takes_its_own_column_names_and_timezone_aware_dates():
    log = base_log()
    renamed = log.rename(columns={"customer_id": "cust", "date": "when", "amount": "value"})
    renamed["when"] = renamed["when"].dt.strftime("%Y-%m-%d")
    cols = {"customer": "cust", "date": "when", "amount": "value"}
    a = forecast(renamed, columns=cols, interval_draws=0)
    aware = log.assign(date=log["date"].dt.tz_localize("Europe/Paris"))
    b = forecast(aware, interval_draws=0)
    end = pd.Timestamp("2024-06-30 23:00", tz="Europe/Paris")  # 21:00 UTC, the same day
    c = forecast(aware, calibration_end=end, interval_draws=0)
    assert c.has_holdout and len(c.customers) > 0
    assert a.fits["bgnbd"].params.index.tolist() == ["r", "alpha", "a", "b"]
    assert len(a.customers) == len(b.customers) == log["customer_id"].nunique()
    fit = a.fits["bgnbd"]
    one = fit.predict(10, [2], [20], [30])
    assert one.shape == (1,) and 0 < one[0] < 10
    assert 0 <= fit.p_alive([2], [20], [30])[0] <= 1
    p = sum(fit.probability_of_purchases([20.0], k)[0] for k in range(100))
    assert p == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(Exception, match="missing column"):
        forecast(renamed, columns=Columns("id", "when", "value"))


def test_only_the_needed_columns_are_read_and_every_row_is_still_checked(tmp_path, capsys):
    good = tmp_path / "export.csv"
    good.write_text(
        "\ufeffcustomer_id,date,amount,note\n"
        'a,2024-01-01,3,"x, y"\na,2024-02-01,4,z\nb,2024-01-03,5,\n'
    )
    tx = read_transactions(good)
    assert list(tx.columns) == ["customer_id", "date", "amount"]  # the note is not kept
    assert tx["amount"].tolist() == [3.0, 4.0, 5.0]
    bad = tmp_path / "shifted.csv"  # a row with more fields than the header names
    bad.write_text("customer_id,date,amount,note\na,2024-01-01,3,x\nb,2024-01-02,4,1,5,6\n")
    assert main(["forecast", str(bad), "--out", str(tmp_path / "fc")]) == 2
    err = capsys.readouterr().err
    assert "cannot read CSV" in err and "Traceback" not in err
    assert not (tmp_path / "fc").exists()
