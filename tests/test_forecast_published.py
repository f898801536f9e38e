"""The buy-till-you-die models reproduce published fits on the CDNOW 1/10 sample.

The CDNOW files are kept in ``tests/data`` with their provenance.
"""

import os

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.numdiff import approx_fprime

from published import BGNBD_CDNOW, GAMMAGAMMA_CDNOW, PARETONBD_CDNOW
from relsim.forecast.data import Columns, read_transactions, rfm_summary
from relsim.forecast.fitters.bgnbd import BetaGeoModel, fit_bgnbd
from relsim.forecast.fitters.gammagamma import GammaGammaModel, fit_gamma_gamma
from relsim.forecast.fitters.paretonbd import ParetoNBDModel, fit_paretonbd

DATA = os.path.join(os.path.dirname(__file__), "data")  # see data/README.md


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    s = pd.read_csv(os.path.join(DATA, "cdnow_customers_summary_with_transactions.csv"))
    return pd.DataFrame(
        {"frequency": s["x"], "recency": s["t_x"], "T": s["T"], "monetary_value": s["zbar"]}
    )


@pytest.fixture(scope="module")
def cdnow_transactions() -> pd.DataFrame:
    return read_transactions(
        os.path.join(DATA, "CDNOW_sample.txt"),
        Columns(customer="1", date="2", amount="4"),
        date_format="%Y%m%d",
        sep=r"\s+",
        header=False,
    )


def assert_matches(results, published):
    params = dict(zip(results.model.param_names, np.asarray(results.params), strict=True))
    for name, value in published.items():
        if name == "loglik":
            assert results.llf == pytest.approx(value, abs=0.05)
        else:
            assert sig3(params[name]) == sig3(value), (name, params[name], value)
    assert results.mle_retvals["converged"]


def test_bgnbd_matches_fader_hardie_lee_2005_from_the_summary(cdnow_summary):
    res = fit_bgnbd(cdnow_summary)
    assert_matches(res, BGNBD_CDNOW)
    # statsmodels results: standard errors, intervals containing the estimates, AIC
    assert (res.bse > 0).all()
    ci = np.asarray(res.conf_int())
    assert ((ci[:, 0] < res.params) & (res.params < ci[:, 1])).all()
    assert res.aic == pytest.approx(2 * 4 - 2 * res.llf)
    assert "alpha" in str(res.summary())


def test_bgnbd_matches_fader_hardie_lee_2005_from_raw_transactions(cdnow_transactions):
    summary = rfm_summary(cdnow_transactions, "1997-09-30", unit="weeks")
    assert len(summary) == 2357
    assert_matches(fit_bgnbd(summary), BGNBD_CDNOW)


def test_raw_transactions_give_the_published_summary(cdnow_transactions, cdnow_summary):
    summary = rfm_summary(cdnow_transactions, "1997-09-30", unit="weeks")
    np.testing.assert_array_equal(
        summary["frequency"].to_numpy(), cdnow_summary["frequency"].to_numpy()
    )
    np.testing.assert_allclose(summary["recency"], cdnow_summary["recency"], atol=0.005)
    np.testing.assert_allclose(summary["T"], cdnow_summary["T"], atol=0.005)


def test_paretonbd_matches_the_published_cdnow_fit(cdnow_summary):
    assert_matches(fit_paretonbd(cdnow_summary), PARETONBD_CDNOW)


def test_gamma_gamma_matches_fader_hardie_lee_2005(cdnow_summary):
    assert_matches(fit_gamma_gamma(cdnow_summary), GAMMAGAMMA_CDNOW)


@pytest.mark.parametrize(
    "model, params",
    [
        ("bgnbd", [0.3, 5.0, 0.8, 2.5]),
        ("paretonbd", [0.5, 10.0, 0.6, 12.0]),
        ("gammagamma", [6.0, 4.0, 15.0]),
    ],
)
def test_analytic_scores_equal_numerical_derivatives(cdnow_summary, model, params):
    s = cdnow_summary
    m = {
        "bgnbd": lambda: BetaGeoModel(s["frequency"], s["recency"], s["T"]),
        "paretonbd": lambda: ParetoNBDModel(s["frequency"], s["recency"], s["T"]),
        "gammagamma": lambda: GammaGammaModel(
            s.loc[s.frequency > 0, "frequency"], s.loc[s.frequency > 0, "monetary_value"]
        ),
    }[model]()
    p = np.array(params)
    np.testing.assert_allclose(
        m.score(p), approx_fprime(p, m.loglike, centered=True), rtol=1e-5, atol=1e-4
    )


def test_paretonbd_stays_finite_for_heavy_buyers_and_extreme_recency():
    # x in the hundreds overflows the closed form's hypergeometric function
    x = np.array([0, 1, 500, 2000, 300])
    tx = np.array([0.0, 0.001, 38.9, 39.0, 0.5])
    T = np.array([39.0, 39.0, 39.0, 39.0, 39.0])
    m = ParetoNBDModel(x, tx, T)
    for p in ([0.55, 10.6, 0.61, 11.7], [5.0, 0.01, 0.1, 100.0], [0.1, 100.0, 3.0, 0.01]):
        assert np.isfinite(m.loglikeobs(np.array(p))).all()
        assert np.isfinite(m.score(np.array(p))).all()
        assert np.isfinite(m.probability_alive(np.array(p))).all()
