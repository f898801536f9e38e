"""`relsim forecast`: a real CSV and a simulated run go through the same code; bad input
gets a clear message, exit status 2 and nothing written."""

import os
import re

import numpy as np
import pandas as pd
import pytest

from relsim.cli import main

CDNOW = os.path.join(os.path.dirname(__file__), "data", "CDNOW_sample.txt")
CDNOW_ARGS = [
    "--no-header",
    "--sep",
    r"\s+",
    "--customer-col",
    "1",
    "--date-col",
    "2",
    "--amount-col",
    "4",
    "--date-format",
    "%Y%m%d",
]


def test_forecast_of_the_cdnow_csv_writes_every_output(tmp_path, capsys):
    out = tmp_path / "fc"
    assert (
        main(["forecast", CDNOW, *CDNOW_ARGS, "--calibration-end", "1997-09-30", "--out", str(out)])
        == 0
    )
    params = pd.read_csv(out / "parameters.csv")
    bg = params[params["model"] == "bgnbd"].set_index("parameter")["estimate"]
    assert f"{bg['r']:.3g}" == "0.243" and f"{bg['alpha']:.4g}" == "4.414"
    assert {"std_error", "ci_low", "ci_high", "aic"} <= set(params.columns)
    cust = pd.read_parquet(out / "customers.parquet")
    assert len(cust) == 2357
    assert {"bgnbd_expected_purchases", "bgnbd_p_alive", "expected_spend", "bgnbd_clv"} <= set(
        cust.columns
    )
    assert cust["bgnbd_p_alive"].between(0, 1).all()
    acc = pd.read_csv(out / "accuracy.csv")
    actual = acc[(acc["model"] == "bgnbd") & (acc["measure"] == "total_actual")]["value"]
    assert int(actual.iloc[0]) == cust["frequency_holdout"].sum()
    assert (out / "report.html").stat().st_size > 100_000
    # the console summary reports the fit: r printed to 4 digits, 0.243 in the publication
    assert re.search(r"bgnbd: r=0\.24[2-4]\d*, alpha=4\.41", capsys.readouterr().out)


def test_forecast_of_a_simulated_run_scores_against_the_truth(tmp_path):
    run = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--out",
                str(run),
                "--no-report",
                "--set",
                "simulation.people=3000",
                "--set",
                "simulation.days=400",
                "--set",
                "firms.focal.initial_customers=900",
                "--set",
                "firms.rival.initial_customers=900",
            ]
        )
        == 0
    )
    out = tmp_path / "fc"
    assert (
        main(
            [
                "forecast",
                str(run),
                "--calibration-end",
                "2024-09-30",
                "--model",
                "bgnbd",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    acc = pd.read_csv(out / "accuracy.csv").set_index("measure")["value"]
    # Predicting everyone alive with the base rate p scores p (1 - p): the model must beat it.
    p = acc["share_alive_true"]
    assert 0 <= acc["brier_p_alive_vs_truth"] < p * (1 - p)
    cov = pd.read_csv(out / "covariates.csv").set_index("term")
    # twice-weekly buyers buy several times as often as monthly ones (104 vs 12 a year)
    assert 4 < cov.loc["C(segment)[T.twice_weekly]", "rate_ratio"] < 12
    curves = pd.read_csv(out / "defection_curves.csv")
    assert curves["survival"].is_monotonic_decreasing


def test_forecast_from_an_rfm_summary(tmp_path):
    summary = os.path.join(os.path.dirname(CDNOW), "cdnow_customers_summary.csv")
    out = tmp_path / "fc"
    assert (
        main(
            [
                "forecast",
                summary,
                "--summary",
                "--model",
                "bgnbd",
                "--horizon",
                "39",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len(pd.read_parquet(out / "customers.parquet")) == 2357


def write(tmp_path, text, name="tx.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


GOOD = (
    "customer_id,date,amount\n1,2024-01-01,10\n1,2024-02-01,12\n2,2024-01-05,8\n"
    "2,2024-03-01,9\n3,2024-01-09,4\n1,2024-05-01,7\n"
)


@pytest.mark.parametrize(
    "text, extra, needle",
    [
        ("id,date,amount\n1,2024-01-01,5\n", [], "missing column(s) customer_id"),
        ("customer_id,date,amount\n1,2024-13-45,5\n", [], "unparseable date"),
        (
            "customer_id,date,amount\n1,2024-01-01,abc\n",
            [],
            "no amount is a number, the first 'abc'",
        ),
        ("customer_id;date;amount\n1;2024-01-01;5\n", ["--sep", ","], "give --sep ';'"),
        ('customer_id,date,amount\n1,2024-01-01,"5,5"\n', [], "give --decimal ,"),
        (GOOD, ["--calibration-end", "2030-01-01"], "is outside the data"),
        (
            "customer_id,date,amount\n1,2024-01-01,5\n2,2024-01-02,5\n3,2024-02-01,1\n",
            [],
            "no customer made a repeat purchase",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, text, extra, needle):
    src = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["forecast", src, "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err and src in err and "Traceback" not in err
    assert not out.exists()


def test_missing_file_is_reported(tmp_path, capsys):
    assert main(["forecast", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_tracking_curve_follows_the_actual_cumulative_purchases(tmp_path):
    out = tmp_path / "fc"
    assert (
        main(
            [
                "forecast",
                CDNOW,
                *CDNOW_ARGS,
                "--calibration-end",
                "1997-09-30",
                "--model",
                "bgnbd",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    track = pd.read_csv(out / "tracking.csv")
    assert track["actual"].is_monotonic_increasing and track["bgnbd"].is_monotonic_increasing
    # Fader, Hardie & Lee (2005, Figure 2): BG/NBD tracks CDNOW's cumulative repeat purchases
    # closely through the 39-week holdout; within 10% at its end
    end = track.iloc[-1]
    assert abs(end["bgnbd"] - end["actual"]) < 0.10 * end["actual"]
    ahead = pd.read_csv(out / "aggregate_purchases.csv")
    assert (ahead["pi_lower"] >= 0).all() and (ahead["pi_lower"] <= ahead["median"]).all()
    assert (ahead["median"] <= ahead["pi_upper"]).all()


def test_covariates_from_a_file_are_fitted_and_tested(tmp_path, capsys):
    import numpy as np

    raw = pd.read_csv(
        CDNOW, sep=r"\s+", header=None, dtype=str, names=["id", "cust", "when", "cds", "value"]
    )
    raw["value"] = raw["value"].astype(float)
    first = raw.sort_values(["cust", "when"]).groupby("cust")["value"].first()
    cov = tmp_path / "cov.csv"
    pd.DataFrame({"customer_id": first.index, "log_first_spend": np.log1p(first.values)}).to_csv(
        cov, index=False
    )
    out = tmp_path / "fc"
    args = [*CDNOW_ARGS, "--calibration-end", "1997-09-30", "--intervals", "0"]
    assert main(["forecast", CDNOW, *args, "--covariates", str(cov), "--out", str(out)]) == 0
    params = pd.read_csv(out / "parameters.csv").set_index(["model", "parameter"])
    assert ("paretonbd", "purchase:log_first_spend") in params.index
    assert ("bgnbd", "dropout:log_first_spend") in params.index
    tests = pd.read_csv(out / "tests.csv").set_index("model")
    assert (tests["df"] == 2).all()
    # adding a covariate can only raise the maximised likelihood; on CDNOW the first
    # purchase's size predicts repeat buying clearly
    assert (tests["loglik_with"] >= tests["loglik_without"]).all()
    assert (tests["p_value"] < 0.001).all()
    # a customer missing from the file: one line naming it, exit 2, nothing written
    pd.DataFrame({"customer_id": first.index[1:], "x": 1.0 + np.arange(len(first) - 1)}).to_csv(
        cov, index=False
    )
    bad = tmp_path / "bad"
    assert main(["forecast", CDNOW, *args, "--covariates", str(cov), "--out", str(bad)]) == 2
    assert "have no covariates, the first '0001'" in capsys.readouterr().err
    assert not bad.exists()


DONATIONS = os.path.join(os.path.dirname(__file__), "data", "donations.csv")


def test_bgbb_from_a_weighted_summary(tmp_path, capsys):
    out = tmp_path / "fc"
    args = ["forecast", DONATIONS, "--summary", "--model", "bgbb", "--horizon", "5"]
    assert main([*args, "--intervals", "50", "--out", str(out)]) == 0
    params = pd.read_csv(out / "parameters.csv").set_index("parameter")["estimate"]
    assert f"{params['alpha']:.3f}" == "1.204" and f"{params['delta']:.3f}" == "2.783"
    cust = pd.read_parquet(out / "customers.parquet")
    assert len(cust) == 22  # one row per (frequency, recency) pattern
    assert (cust["bgbb_p_alive_low"] <= cust["bgbb_p_alive"]).all()
    assert (cust["bgbb_p_alive"] <= cust["bgbb_p_alive_high"]).all()
    fit_table = pd.read_csv(out / "by_frequency.csv")
    assert fit_table["actual"].sum() == 11104
    assert abs(fit_table["bgbb"].sum() - 11104) < 1e-6
    assert "11,104 customers" in capsys.readouterr().out
    # a pattern that cannot happen: more transactions than opportunities
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("frequency,recency,periods,weights\n7,6,6,10\n1,1,6,5\n")
    assert (
        main(
            [
                "forecast",
                str(bad_file),
                "--summary",
                "--model",
                "bgbb",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 2
    )
    assert "expected frequency <= recency <= periods" in capsys.readouterr().err
    assert main(["forecast", DONATIONS, "--model", "bgbb", "--out", str(tmp_path / "c")]) == 2


def test_sbg_projects_a_cohort(tmp_path, capsys):
    src = tmp_path / "cohort.csv"
    src.write_text(
        "period,survivors\n"
        + "".join(f"{t},{s}\n" for t, s in enumerate([1000, 631, 468, 382, 326, 289, 262, 241]))
    )
    out = tmp_path / "fc"
    assert main(["forecast", str(src), "--model", "sbg", "--horizon", "5", "--out", str(out)]) == 0
    table = pd.read_csv(out / "survival.csv")
    assert len(table) == 13 and table["survivors"].isna().sum() == 5
    # Fader & Hardie (2007) project the regular cohort's later years from years 0-7; the
    # projection must at least lie between the last survivors and zero and keep falling
    ahead = table.loc[~table["calibration"], "expected_survivors"]
    assert (ahead.diff().dropna() < 0).all() and ahead.iloc[0] < 241
    assert (table["expected_low"] <= table["expected_survivors"] + 1e-9).all()
    src.write_text("period,survivors\n0,1000\n1,600\n2,700\n")
    assert main(["forecast", str(src), "--model", "sbg", "--out", str(tmp_path / "b")]) == 2
    assert "never grows" in capsys.readouterr().err
    assert (
        main(
            [
                "forecast",
                str(src),
                "--model",
                "sbg",
                "--model",
                "bgnbd",
                "--out",
                str(tmp_path / "c"),
            ]
        )
        == 2
    )


def test_a_fit_that_did_not_converge_is_flagged_beside_its_parameters(tmp_path):
    # Every customer drops out after a purchase with the same probability, 0.02. BG/NBD mixes
    # that probability over customers with a beta distribution; with no spread at all its
    # likelihood keeps rising as a and b grow with a/(a+b) fixed (the homogeneous limit of
    # Fader, Hardie and Lee 2005), so there is no interior maximum and the fit cannot be
    # trusted: on these data (fixed seed) b runs into the search's bound.
    rng = np.random.default_rng(4)
    rows = []
    for c in range(300):
        price = round(float(rng.gamma(4.0, 5.0)), 2)
        t, rate = rng.uniform(0, 40), rng.gamma(2.0, 0.5)  # weeks, purchases a week
        while t < 90:
            rows.append((f"c{c}", pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=t), price))
            if rng.random() < 0.02:
                break
            t += rng.exponential(1 / rate)
    data = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    data.to_csv(tmp_path / "same_dropout.csv", index=False)
    out = tmp_path / "fc"
    args = ["forecast", str(tmp_path / "same_dropout.csv"), "--calibration-end", "2024-12-31"]
    assert main([*args, "--model", "bgnbd", "--model", "gammagamma", "--out", str(out)]) == 0
    params = pd.read_csv(out / "parameters.csv")
    bad = params.groupby("model").apply(
        lambda p: not p["converged"].all() or p["std_error"].isna().any(), include_groups=False
    )
    assert bad["bgnbd"]
    text = (out / "report.html").read_text()
    section = text[text.index("<h2>Parameters</h2>") : text.index("<table")]
    assert "BG/NBD did not converge" in section  # beside the table, before it
    # exactly the models with a problem in parameters.csv are flagged
    assert ("Gamma-Gamma" in section) == bool(bad["gammagamma"])
