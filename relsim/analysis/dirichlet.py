"""The NBD-Dirichlet model of repeat buying: theoretical brand performance measures, and its fit.

Goodhardt, Ehrenberg & Chatfield (1984, JRSS A 147(5)): over a period, a person's number of
category purchases is Poisson with a gamma-distributed mean across people, so the category
count is negative binomial (NBD) with mean ``M`` and shape ``K``; each purchase goes to brand
``j`` with the person's own probability ``p_j``, and the vector of probabilities is Dirichlet
across people with parameters ``S * share_j``. Given ``n`` category purchases, the count of
brand ``j`` is then beta-binomial with ``alpha = S * share_j`` and ``beta = S - alpha``, and
the measures of the field follow from sums over ``n``:

- penetration ``b_j = 1 - sum_n P(n) E[(1 - p_j)^n]``;
- purchases per buyer ``w_j = M share_j / b_j``;
- category purchases per buyer of ``j`` ``sum_n n P(n) (1 - E[(1 - p_j)^n]) / b_j``;
- share of category requirements, ``w_j`` over the category purchases of ``j``'s buyers;
- sole buyers, the share of ``j``'s buyers who bought only ``j``: ``sum_n P(n) E[p_j^n] / b_j``;
- duplication, the share of ``i``'s buyers who also bought ``j``, from the aggregation
  property (``1 - p_i - p_j`` is beta with ``S - alpha_i - alpha_j`` and ``alpha_i + alpha_j``).

The moments of a beta are ratios of gamma functions, so every sum is exact up to the NBD tail
left out (below ``1e-12``). :func:`fit_dirichlet` estimates the parameters from a period's
summary the way the NBDdirichlet package does (Chen 2008; Ehrenberg 1988, appendix C): ``M`` is
category penetration times the category buyers' rate, ``K`` makes the NBD's zero class equal
the non-buyers, and ``S`` is the share-weighted mean of the values that reproduce each brand's
penetration, leaving out the boxplot outliers among them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

#: The NBD tail left out of the sums over the number of category purchases.
TAIL = 1e-12

#: The brand performance measures, in the order the tables give them.
MEASURES = (
    "market_share",
    "penetration",
    "purchases_per_buyer",
    "category_purchases_per_buyer",
    "scr",
    "sole_buyers",
)


def _beta_moment(a: float, b: float, n: np.ndarray) -> np.ndarray:
    """``E[x^n]`` for ``x ~ Beta(a, b)``, one value per count in ``n``."""
    if a <= 0.0:  # a point mass at zero: x^0 = 1, x^n = 0 otherwise
        return (n == 0).astype(float)
    if b <= 0.0:  # a point mass at one
        return np.ones_like(n, dtype=float)
    return np.exp(
        special.gammaln(a + n)
        + special.gammaln(a + b)
        - special.gammaln(a)
        - special.gammaln(a + b + n)
    )


def _none(pn: np.ndarray, n: np.ndarray, S: float, alpha: float) -> float:
    """Chance of buying none of a brand (or brands) of parameter ``alpha``: ``E[(1 - p)^n]``."""
    return float(np.dot(pn, _beta_moment(S - alpha, alpha, n)))


@dataclass(frozen=True)
class Dirichlet:
    """The NBD-Dirichlet model with given parameters.

    Parameters
    ----------
    M : float
        Mean number of category purchases per person (buyers or not) in the period.
    K : float
        Shape of the gamma mixing distribution of category purchase rates (the NBD's ``k``).
    S : float
        Concentration of the Dirichlet distribution of brand choice probabilities.
    shares : sequence of float
        The brands' shares of category purchases (their market shares); they may sum to less
        than one when some brands are left out, since each brand's measures depend only on
        its own share and ``S``.
    names : sequence of str, optional
        Brand names (default ``B1``, ``B2``, ...).
    """

    M: float
    K: float
    S: float
    shares: tuple[float, ...]
    names: tuple[str, ...] = ()
    _n: np.ndarray = field(init=False, repr=False, compare=False)
    _pn: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.M > 0.0 and self.K > 0.0 and self.S > 0.0):
            raise ValueError(f"M, K and S must be positive (got {self.M}, {self.K}, {self.S})")
        shares = tuple(float(s) for s in self.shares)
        if not shares or any(not 0.0 < s <= 1.0 for s in shares) or sum(shares) > 1.0 + 1e-9:
            raise ValueError("shares: expected values in (0, 1] adding up to at most 1")
        names = tuple(self.names) or tuple(f"B{i + 1}" for i in range(len(shares)))
        if len(names) != len(shares):
            raise ValueError("names: expected one name per share")
        object.__setattr__(self, "shares", shares)
        object.__setattr__(self, "names", names)
        p = self.K / (self.K + self.M)
        top = int(stats.nbinom.isf(TAIL, self.K, p)) + 1
        n = np.arange(top + 1)
        object.__setattr__(self, "_n", n)
        object.__setattr__(self, "_pn", stats.nbinom.pmf(n, self.K, p))

    # -- the category ------------------------------------------------------------------------

    @property
    def category_penetration(self) -> float:
        """Share of people who buy the category at least once in the period."""
        return float(1.0 - (1.0 + self.M / self.K) ** (-self.K))

    @property
    def category_buy_rate(self) -> float:
        """Category purchases per category buyer."""
        return self.M / self.category_penetration

    def period(self, multiple: float) -> Dirichlet:
        """The market over ``multiple`` times the period: ``M`` scales, ``K`` and ``S`` stay."""
        return Dirichlet(self.M * multiple, self.K, self.S, self.shares, self.names)

    # -- one brand ---------------------------------------------------------------------------

    def _none(self, alpha: float) -> float:
        """Probability that a person buys none of a brand (or brands) of parameter ``alpha``."""
        return _none(self._pn, self._n, self.S, alpha)

    def penetration(self) -> np.ndarray:
        """Each brand's penetration: the share of people who buy it at least once."""
        return np.array([1.0 - self._none(self.S * s) for s in self.shares])

    def purchases_per_buyer(self) -> np.ndarray:
        """Each brand's average purchases per buyer (``w``)."""
        return self.M * np.asarray(self.shares) / self.penetration()

    def category_purchases_per_buyer(self) -> np.ndarray:
        """Average category purchases of each brand's buyers."""
        out = []
        for s in self.shares:
            alpha = self.S * s
            buys = 1.0 - _beta_moment(self.S - alpha, alpha, self._n)
            out.append(float(np.dot(self._n * self._pn, buys)))
        return np.asarray(out) / self.penetration()

    def scr(self) -> np.ndarray:
        """Share of category requirements: a brand's share of its own buyers' category purchases."""
        return self.purchases_per_buyer() / self.category_purchases_per_buyer()

    def sole_buyers(self) -> np.ndarray:
        """Share of each brand's buyers who bought only that brand in the period."""
        out = []
        for s in self.shares:
            alpha = self.S * s
            only = _beta_moment(alpha, self.S - alpha, self._n)
            out.append(float(np.dot(self._pn[1:], only[1:])))
        return np.asarray(out) / self.penetration()

    def duplication(self) -> np.ndarray:
        """Duplication of purchase: ``[i, j]`` is the share of ``i``'s buyers who bought ``j``.

        The diagonal is one.
        """
        k = len(self.shares)
        alpha = [self.S * s for s in self.shares]
        none = [self._none(a) for a in alpha]
        b = 1.0 - np.asarray(none)
        out = np.ones((k, k))
        for i in range(k):
            for j in range(i + 1, k):
                neither = self._none(alpha[i] + alpha[j])
                both = 1.0 - none[i] - none[j] + neither
                out[i, j] = both / b[i]
                out[j, i] = both / b[j]
        return out

    def measures(self) -> pd.DataFrame:
        """Every measure, one row per brand, and ``dup_<brand>`` columns (see :func:`MEASURES`)."""
        df = pd.DataFrame(
            {
                "market_share": np.asarray(self.shares),
                "penetration": self.penetration(),
                "purchases_per_buyer": self.purchases_per_buyer(),
                "category_purchases_per_buyer": self.category_purchases_per_buyer(),
                "scr": self.scr(),
                "sole_buyers": self.sole_buyers(),
            },
            index=pd.Index(self.names, name="firm"),
        )
        dup = self.duplication()
        for j, name in enumerate(self.names):
            df[f"dup_{name}"] = dup[:, j]
        return df


@dataclass(frozen=True)
class DirichletFit:
    """The Dirichlet fitted to a period's summary, with how it was fitted.

    Attributes
    ----------
    model : Dirichlet
        The fitted model.
    brand_S : numpy.ndarray
        The ``S`` that reproduces each brand's observed penetration on its own.
    used : numpy.ndarray
        Which brands' values entered the share-weighted mean (not boxplot outliers).
    at_bound : tuple of str
        Brands whose penetration no ``S`` reproduces (their value is a bound).
    """

    model: Dirichlet
    brand_S: np.ndarray
    used: np.ndarray
    at_bound: tuple[str, ...] = ()


def fit_K(M: float, category_penetration: float) -> float:
    """The NBD shape whose zero class is ``1 - category_penetration`` at mean ``M``.

    Raises
    ------
    ValueError
        If no NBD has that mean and that share of non-buyers (more buyers than a Poisson
        with mean ``M`` would give, the most an NBD can).
    """
    if not 0.0 < category_penetration < 1.0:
        raise ValueError(
            f"category penetration: expected a share between 0 and 1, not all of the panel "
            f"(got {category_penetration:g})"
        )
    target = -math.log1p(-category_penetration)
    if target >= M:
        raise ValueError(
            f"category penetration {category_penetration:.4g} with {M:.4g} purchases per person: "
            "more buyers than even a Poisson (every person alike) gives; no NBD fits"
        )

    def gap(log_k: float) -> float:
        k = math.exp(log_k)
        return k * math.log1p(M / k) - target

    hi = 0.0
    while gap(hi) < 0.0:  # K ln(1 + M/K) rises from 0 to M with K
        hi += 5.0
    return math.exp(optimize.brentq(gap, -40.0, hi, xtol=1e-14, rtol=1e-13))


def _tukey_outliers(values: np.ndarray) -> np.ndarray:
    """Boxplot outliers: beyond 1.5 times the spread of Tukey's hinges from the hinges."""
    x = np.sort(values)
    n = len(x)
    half = (n + 1) // 2  # the halves share the median when n is odd (Tukey's hinges)
    lower, upper = np.median(x[:half]), np.median(x[n - half :])
    spread = 1.5 * (upper - lower)
    return (values < lower - spread) | (values > upper + spread)


def fit_dirichlet(
    category_penetration: float,
    category_buy_rate: float,
    shares: Sequence[float],
    penetrations: Sequence[float],
    names: Sequence[str] = (),
    max_S: float = 1e4,
) -> DirichletFit:
    """Fit the NBD-Dirichlet to one period's category and brand summary.

    Parameters
    ----------
    category_penetration : float
        Share of the panel who bought the category in the period.
    category_buy_rate : float
        Category purchases per category buyer.
    shares : sequence of float
        The brands' market shares (of category purchases).
    penetrations : sequence of float
        The brands' observed penetrations (share of the panel who bought each).
    names : sequence of str, optional
        Brand names.
    max_S : float
        Largest ``S`` considered (a market where every person splits purchases alike).

    Returns
    -------
    DirichletFit
    """
    M = category_penetration * category_buy_rate
    K = fit_K(M, category_penetration)
    shares = tuple(float(s) for s in shares)
    names = tuple(names) or tuple(f"B{i + 1}" for i in range(len(shares)))
    if len(penetrations) != len(shares):
        raise ValueError("penetrations: expected one per brand")
    probe = Dirichlet(M, K, 1.0, shares, names)
    brand_S = []
    bound = []
    for j, (s, observed) in enumerate(zip(shares, penetrations, strict=True)):

        def gap(log_s: float, s: float = s, observed: float = observed) -> float:
            S = math.exp(log_s)
            return 1.0 - _none(probe._pn, probe._n, S, S * s) - observed

        lo, hi = math.log(1e-6), math.log(max_S)
        g_lo, g_hi = gap(lo), gap(hi)
        if g_lo >= 0.0:  # fewer buyers than even one-brand-each buying gives
            brand_S.append(math.exp(lo))
            bound.append(names[j])
        elif g_hi <= 0.0:  # more buyers than even identical choice probabilities give
            brand_S.append(max_S)
            bound.append(names[j])
        else:
            brand_S.append(math.exp(optimize.brentq(gap, lo, hi, xtol=1e-12)))
    values = np.asarray(brand_S)
    used = ~_tukey_outliers(values)
    weights = np.asarray(shares)[used]
    S = float(np.dot(values[used], weights) / weights.sum())
    return DirichletFit(Dirichlet(M, K, S, shares, names), values, used, tuple(bound))
