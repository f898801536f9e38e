"""Forecast formulas: equal to the papers' closed forms where those are finite, finite where
they overflow, and in agreement with data drawn from the model."""

import numpy as np
import pytest
from scipy.special import hyp2f1

from relsim.forecast.fitters import bgnbd, gammagamma, paretonbd
from relsim.forecast.synthetic import bgnbd_sample, paretonbd_sample

P_BG = (0.2426, 4.4135, 0.7929, 2.4258)
P_PNBD = (0.5533, 10.5776, 0.6062, 11.6679)


def paper_p_alive(x, tx, T, params=P_BG):
    """Fader, Hardie & Lee (2005), eq. 11, as printed (1 for customers without repeats)."""
    r, al, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
    return np.where(x > 0, 1.0 / (1.0 + odds), 1.0)


def paper_bgnbd(t, x, tx, T, params=P_BG):
    """Fader, Hardie & Lee (2005), eq. 10, as printed."""
    r, al, a, b = params
    z = t / (al + T + t)
    tail = 1 - ((al + T) / (al + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * tail * paper_p_alive(x, tx, T, params)


@pytest.mark.parametrize("t", [1.0, 39.0, 200.0])
def test_bgnbd_forecast_equals_the_papers_formula(t):
    x, tx, T = np.array([0, 1, 5, 20, 50.0]), np.array([0, 3, 20, 30, 38.0]), np.full(5, 39.0)
    np.testing.assert_allclose(
        bgnbd.conditional_expected_purchases(P_BG, t, x, tx, T),
        paper_bgnbd(t, x, tx, T),
        rtol=1e-10,
    )


def test_forecasts_stay_finite_for_heavy_buyers_and_extreme_recency():
    x = np.array([0, 1, 500, 2000, 5000])
    tx = np.array([0, 1e-4, 38.9, 39, 39.0])
    T = np.full(5, 39.0)
    for t in (1.0, 52.0, 520.0):
        e_bg = bgnbd.conditional_expected_purchases(P_BG, t, x, tx, T)
        e_pn = paretonbd.conditional_expected_purchases(P_PNBD, t, x, tx, T)
        assert np.isfinite(e_bg).all() and np.isfinite(e_pn).all()
        assert (np.diff(e_bg[2:]) > 0).all()  # more purchases, more expected, when recent
    with np.errstate(invalid="ignore", over="ignore"):
        assert np.isfinite(paper_bgnbd(52.0, x, tx, T)[2:]).sum() < 3  # the printed form is not


def test_expected_purchases_of_new_customers_match_simulation():
    rng = np.random.default_rng(7)
    params, t = (0.8, 4.0, 1.2, 2.5), 30.0
    sample = bgnbd_sample(params, np.full(20_000, t), rng)["frequency"]
    se = sample.std() / np.sqrt(len(sample))
    assert abs(sample.mean() - bgnbd.expected_purchases(params, t)) < 4 * se


def test_paretonbd_p_alive_matches_simulation():
    # among customers with no repeat purchase in T, P(alive) is the share still alive
    rng = np.random.default_rng(8)
    r, alpha, s, beta = 0.8, 6.0, 1.5, 12.0
    n, T = 200_000, 30.0
    lam, mu = rng.gamma(r, 1 / alpha, n), rng.gamma(s, 1 / beta, n)
    life = rng.exponential(1 / mu)
    x = rng.poisson(lam * np.minimum(life, T))
    zero = x == 0
    share = (life[zero] > T).mean()
    model = paretonbd.ParetoNBDModel(np.zeros(1), np.zeros(1), np.array([T]))
    p = model.probability_alive(np.array([r, alpha, s, beta]))[0]
    se = np.sqrt(share * (1 - share) / zero.sum())
    assert abs(p - share) < 4 * se
    assert len(paretonbd_sample((r, alpha, s, beta), np.full(10, T), rng)) == 10


def test_gamma_gamma_spend_is_between_population_and_own_mean():
    p, q, g = 6.25, 3.74, 15.44
    pop = p * g / (q - 1)
    own = np.array([5.0, 100.0])
    e = gammagamma.conditional_expected_spend((p, q, g), np.array([3, 3]), own)
    assert own[0] < e[0] < pop < e[1] < own[1]
    assert gammagamma.conditional_expected_spend((p, q, g), [0], [0.0])[0] == pytest.approx(pop)
    # heavy-tailed spend (q < 1) has no population mean
    assert np.isnan(gammagamma.conditional_expected_spend((0.5, 0.6, 2.0), [0], [0.0])[0])


def test_bgnbd_purchase_count_probabilities_sum_to_one_and_match_simulation():
    params, t = (0.8, 4.0, 1.2, 2.5), 30.0
    probs = np.array(
        [bgnbd.probability_of_purchases(params, np.array([t]), x)[0] for x in range(200)]
    )
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    rng = np.random.default_rng(9)
    n = 20_000
    counts = np.bincount(bgnbd_sample(params, np.full(n, t), rng)["frequency"], minlength=5)
    for x in range(5):
        se = np.sqrt(probs[x] * (1 - probs[x]) / n)
        assert abs(counts[x] / n - probs[x]) < 4 * se, x


def test_bgnbd_purchase_count_probabilities_at_age_zero():
    params = (0.8, 4.0, 1.2, 2.5)
    zero = np.array([0.0])
    assert bgnbd.probability_of_purchases(params, zero, 0)[0] == pytest.approx(1.0)
    assert bgnbd.probability_of_purchases(params, zero, 3)[0] == pytest.approx(0.0)
