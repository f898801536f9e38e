"""The switching mechanisms' formulas, checked against their definitions."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from relsim.model.causes import neglect_hazard_fraction, neglect_wait, price_switch_probability


@pytest.mark.parametrize("tau", [0.0, 10.0, 200.0, 400.0])
@pytest.mark.parametrize("exposure", [0.01, 0.5, 3.0])
def test_neglect_wait_inverts_the_cumulative_hazard(tau, exposure):
    ceiling, ramp = 0.01, 365.0
    s = neglect_wait(tau, ceiling, ramp, exposure)
    area, _ = integrate.quad(
        lambda u: ceiling * neglect_hazard_fraction(tau + u, ramp),
        0,
        s,
        points=[max(ramp - tau, 0.0)],
        limit=200,
    )
    assert area == pytest.approx(exposure, rel=1e-7)


def test_neglect_waits_follow_the_hazard_distribution():
    # Survival from tau=0 is exp(-ceiling t^2 / (2 ramp)) before the ceiling: a Weibull(2).
    rng = np.random.default_rng(0)
    ceiling, ramp = 0.02, 1000.0
    waits = np.array([neglect_wait(0.0, ceiling, ramp, e) for e in rng.exponential(size=4000)])
    assert (waits < ramp).mean() > 0.99
    scale = math.sqrt(2 * ramp / ceiling)
    assert stats.kstest(waits, stats.weibull_min(2, scale=scale).cdf).pvalue > 0.001


def test_no_neglect_without_a_hazard():
    assert neglect_wait(50.0, 0.0, 365.0, 1.0) == math.inf


def test_price_switching_rises_with_saving_and_falls_with_barrier():
    p = [price_switch_probability(s, 1.0, 0.5, -4.0, 15.0) for s in (-0.1, 0.0, 0.1, 0.2)]
    assert p == sorted(p) and p[0] < p[-1]
    assert price_switch_probability(0.1, 1.0, 2.0, -4.0, 15.0) < price_switch_probability(
        0.1, 1.0, 0.0, -4.0, 15.0
    )
    assert price_switch_probability(0.0, 1.0, 0.0, 0.0, 15.0) == pytest.approx(0.5)
