"""The forecasting models behind one interface: fit, inspect, predict, save and load.

:func:`fit_model` fits any of the models to a summary DataFrame and returns a
:class:`FittedModel` with named parameters, standard errors, a statsmodels ``summary()``, and
the predictions the model defines, for arrays of frequency, recency and age (and covariates):

================  ==========================================================================
model             data per customer, and what it predicts
================  ==========================================================================
``bgnbd``         frequency, recency, T (continuous time); purchases, P(alive), P(X(t)=n)
``mbgnbd``        the same (Batislam, Denizel & Filiztekin 2007)
``paretonbd``     the same (Schmittlein, Morrison & Colombo 1987)
``bgbb``          frequency, recency, periods (discrete opportunities), optional weights
``gammagamma``    frequency, monetary_value; expected spend per transaction
``sbg``           a cohort's survivors by period; survival and retention (contractual)
================  ==========================================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.errors import ForecastDataError
from relsim.forecast.fitters import bgbb, bgnbd, gammagamma, mbgnbd, paretonbd, sbg
from relsim.forecast.fitters.base import BTYDModel


@dataclass(frozen=True)
class ModelSpec:
    """What relsim knows about one model: its class, data columns and prediction formulas."""

    name: str
    title: str
    kind: str  # "continuous", "discrete", "spend" or "cohort"
    model_class: type[BTYDModel]
    columns: tuple[str, ...]
    p_alive: Callable | None = None
    conditional: Callable | None = None
    unconditional: Callable | None = None
    pmf: Callable | None = None
    conditional_pmf: Callable | None = None


SPECS: dict[str, ModelSpec] = {
    "bgnbd": ModelSpec(
        "bgnbd",
        "BG/NBD",
        "continuous",
        bgnbd.BetaGeoModel,
        ("frequency", "recency", "T"),
        bgnbd.probability_alive,
        bgnbd.conditional_expected_purchases,
        bgnbd.expected_purchases,
        bgnbd.probability_of_purchases,
        bgnbd.conditional_probability_of_purchases,
    ),
    "mbgnbd": ModelSpec(
        "mbgnbd",
        "MBG/NBD",
        "continuous",
        mbgnbd.ModifiedBetaGeoModel,
        ("frequency", "recency", "T"),
        mbgnbd.probability_alive,
        mbgnbd.conditional_expected_purchases,
        mbgnbd.expected_purchases,
        mbgnbd.probability_of_purchases,
        mbgnbd.conditional_probability_of_purchases,
    ),
    "paretonbd": ModelSpec(
        "paretonbd",
        "Pareto/NBD",
        "continuous",
        paretonbd.ParetoNBDModel,
        ("frequency", "recency", "T"),
        paretonbd.probability_alive,
        paretonbd.conditional_expected_purchases,
        paretonbd.expected_purchases,
        paretonbd.probability_of_purchases,
        paretonbd.conditional_probability_of_purchases,
    ),
    "bgbb": ModelSpec(
        "bgbb",
        "BG/BB",
        "discrete",
        bgbb.BetaGeoBetaBinomModel,
        ("frequency", "recency", "periods"),
        bgbb.probability_alive,
        bgbb.conditional_expected_purchases,
        bgbb.expected_purchases,
        bgbb.probability_of_purchases,
    ),
    "gammagamma": ModelSpec(
        "gammagamma",
        "Gamma-Gamma",
        "spend",
        gammagamma.GammaGammaModel,
        ("frequency", "monetary_value"),
    ),
    "sbg": ModelSpec(
        "sbg", "shifted-beta-geometric", "cohort", sbg.ShiftedBetaGeometricModel, ("survivors",)
    ),
}

#: Models of purchase counts in continuous time, fitted from a transaction log.
FREQUENCY_MODELS = tuple(n for n, s in SPECS.items() if s.kind == "continuous")


def _vector(values, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ForecastDataError(f"{name}: expected non-negative numbers")
    return arr


@dataclass
class FittedModel:
    """A fitted model: estimates, their uncertainty, and its predictions.

    Attributes
    ----------
    name : str
        Model key (``bgnbd``, ``paretonbd``, ...).
    params : pandas.Series
        Estimates by name; covariate coefficients are ``purchase:COLUMN`` and
        ``dropout:COLUMN``.
    cov : pandas.DataFrame
        Their covariance (from the inverse Hessian; NaN where it is singular).
    loglik : float
        Maximised log-likelihood (less the penalty, if any).
    nobs : float
        Customers (or cohort members) the fit saw.
    converged : bool
        The optimiser converged and no parameter sits on a bound.
    boundary : tuple of str
        Parameters at a bound of their range: the data do not identify them.
    covariates : tuple of str
        Names of the covariates, in the order of the coefficients.
    penalizer : float
        L2 penalty used (0 for maximum likelihood).
    results : statsmodels results or None
        The statsmodels results of the fit (not kept by :meth:`save`).
    """

    name: str
    params: pd.Series
    cov: pd.DataFrame
    loglik: float
    nobs: float
    converged: bool = True
    boundary: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    #: False when the information matrix at the estimates is singular (not identified).
    identified: bool = True
    penalizer: float = 0.0
    results: Any = field(default=None, repr=False)

    # -- the statsmodels vocabulary -------------------------------------------------------
    @property
    def spec(self) -> ModelSpec:
        """The model's :class:`ModelSpec`."""
        return SPECS[self.name]

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the estimates."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def llf(self) -> float:
        """Alias of :attr:`loglik`, as in statsmodels."""
        return self.loglik

    @property
    def aic(self) -> float:
        """Akaike's information criterion."""
        return 2 * len(self.params) - 2 * self.loglik

    @property
    def bic(self) -> float:
        """Schwarz's Bayesian information criterion (n = customers)."""
        return np.log(self.nobs) * len(self.params) - 2 * self.loglik

    @property
    def base_params(self) -> np.ndarray:
        """The model's own parameters, without covariate coefficients."""
        return self.params.to_numpy()[: len(self.spec.model_class.param_names)]

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals; for the positive parameters on the log scale, so they stay positive."""
        from scipy.stats import norm

        zq = norm.ppf(1 - alpha / 2)
        est, se = self.params.to_numpy(), self.bse.to_numpy()
        k = len(self.spec.model_class.param_names)
        low, high = est - zq * se, est + zq * se
        with np.errstate(divide="ignore", invalid="ignore"):
            lse = se[:k] / est[:k]
            low[:k], high[:k] = est[:k] * np.exp(-zq * lse), est[:k] * np.exp(zq * lse)
        return pd.DataFrame({"low": low, "high": high}, index=self.params.index)

    def summary(self):
        """The statsmodels summary table (or a plain table after :meth:`load`)."""
        if self.results is not None:
            return self.results.summary(
                title=f"{self.spec.title} ({'converged' if self.converged else 'NOT converged'})"
            )
        ci = self.conf_int()
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.bse,
                "ci_low": ci["low"],
                "ci_high": ci["high"],
            }
        ).to_string()

    # -- predictions ----------------------------------------------------------------------
    def individual(self, covariates=None, n: int | None = None) -> list:
        """Each customer's parameters (the covariates scale the purchase and drop-out scales)."""
        base = list(self.base_params)
        if not self.covariates:
            if covariates is not None:
                raise ForecastDataError(f"{self.name} was fitted without covariates")
            return base
        if covariates is None:
            raise ForecastDataError(
                f"{self.name} was fitted with covariates {', '.join(self.covariates)}: give them"
            )
        if isinstance(covariates, pd.DataFrame):
            missing = [c for c in self.covariates if c not in covariates.columns]
            if missing:
                raise ForecastDataError(f"covariates: missing column(s) {', '.join(missing)}")
            z = covariates[list(self.covariates)].to_numpy(dtype=float)
        else:
            z = np.asarray(covariates, dtype=float).reshape(-1, len(self.covariates))
        cls = self.spec.model_class
        k = len(self.covariates)
        g = self.params.to_numpy()[len(base) : len(base) + k]
        d = self.params.to_numpy()[len(base) + k :]
        i, j = cls.param_names.index(cls.purchase_param), cls.param_names.index(cls.dropout_param)
        base[i] = base[i] * np.exp(-(z @ g))
        base[j] = base[j] * np.exp(z @ d)
        return base

    def _need(self, kinds: tuple[str, ...], what: str) -> None:
        if self.spec.kind not in kinds:
            raise ForecastDataError(f"{self.spec.title} does not predict {what}")

    def expected_purchases(self, t, frequency, recency, T, covariates=None) -> np.ndarray:
        """Expected purchases in the next ``t`` (time units, or opportunities for BG/BB).

        Parameters
        ----------
        t : float
            Horizon.
        frequency, recency, T : array_like
            Repeat purchases, time of the last one and age (``periods`` for BG/BB).
        covariates : DataFrame or array, optional
            Each customer's covariates, if the model has them.
        """
        self._need(("continuous", "discrete"), "purchases")
        x = _vector(frequency, "frequency")
        spec = self.spec
        assert spec.conditional is not None
        return np.asarray(
            spec.conditional(
                self.individual(covariates),
                float(t),
                x,
                _vector(recency, "recency"),
                _vector(T, "T"),
            ),
            dtype=float,
        )

    predict = expected_purchases

    def p_alive(self, frequency, recency, T, covariates=None) -> np.ndarray:
        """Probability that each customer is still alive (BG/BB: at the next opportunity)."""
        self._need(("continuous", "discrete"), "P(alive)")
        spec = self.spec
        assert spec.p_alive is not None
        return np.asarray(
            spec.p_alive(
                self.individual(covariates),
                _vector(frequency, "frequency"),
                _vector(recency, "recency"),
                _vector(T, "T"),
            ),
            dtype=float,
        )

    def expected_purchases_new(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer within ``t``."""
        self._need(("continuous", "discrete"), "purchases")
        assert self.spec.unconditional is not None
        return np.asarray(self.spec.unconditional(self.base_params, _vector(t, "t")))

    def probability_of_purchases(
        self, t, n: int, frequency=None, recency=None, T=None, covariates=None
    ) -> np.ndarray:
        """P(X(t) = n): probability of ``n`` purchases within ``t``.

        Without ``frequency``, ``recency`` and ``T``: a new customer's repeat purchases in the
        ``t`` after their first (one value per ``t``). With them: each customer's purchases
        in the next ``t`` given their history (BG/NBD, MBG/NBD, Pareto/NBD).
        """
        self._need(("continuous", "discrete"), "purchase counts")
        spec = self.spec
        if frequency is not None:
            if spec.conditional_pmf is None:
                raise ForecastDataError(f"{spec.title}: no conditional purchase probabilities")
            return np.asarray(
                spec.conditional_pmf(
                    self.individual(covariates),
                    float(t),
                    int(n),
                    _vector(frequency, "frequency"),
                    _vector(recency, "recency"),
                    _vector(T, "T"),
                ),
                dtype=float,
            )
        assert spec.pmf is not None
        if spec.kind == "discrete":
            return np.array([spec.pmf(self.base_params, int(v), int(n)) for v in _vector(t, "t")])
        return np.asarray(spec.pmf(self.base_params, _vector(t, "t"), int(n)))

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """Gamma-Gamma: expected value of a transaction given x and the mean spend m."""
        self._need(("spend",), "spend")
        return gammagamma.conditional_expected_spend(
            self.base_params, _vector(frequency, "frequency"), _vector(monetary_value, "spend")
        )

    def survival(self, periods) -> np.ndarray:
        """sBG: share of a cohort still there after each number of periods."""
        self._need(("cohort",), "survival")
        return sbg.survival(self.base_params, _vector(periods, "periods"))

    def retention_rate(self, periods) -> np.ndarray:
        """sBG: share of the previous period's survivors who renew in each period."""
        self._need(("cohort",), "retention")
        return sbg.retention_rate(self.base_params, _vector(periods, "periods"))

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Everything needed to predict again, as plain JSON values."""
        return {
            "model": self.name,
            "params": {k: float(v) for k, v in self.params.items()},
            "cov": self.cov.to_numpy().tolist(),
            "loglik": self.loglik,
            "nobs": self.nobs,
            "converged": self.converged,
            "boundary": list(self.boundary),
            "identified": self.identified,
            "covariates": list(self.covariates),
            "penalizer": self.penalizer,
        }

    def save(self, path: str | Path) -> None:
        """Write the fitted model as JSON (see :meth:`load`)."""
        from relsim._version import __version__

        data = {"relsim": __version__, **self.to_dict()}
        Path(path).write_text(json.dumps(data, indent=1, allow_nan=True))

    @classmethod
    def load(cls, path: str | Path) -> FittedModel:
        """Read a model written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text())
            names = list(data["params"])
            if data["model"] not in SPECS:
                raise KeyError(data["model"])
            return cls(
                name=data["model"],
                params=pd.Series(data["params"], dtype=float),
                cov=pd.DataFrame(np.asarray(data["cov"], dtype=float), index=names, columns=names),
                loglik=float(data["loglik"]),
                nobs=float(data["nobs"]),
                converged=bool(data["converged"]),
                boundary=tuple(data["boundary"]),
                identified=bool(data.get("identified", True)),
                covariates=tuple(data["covariates"]),
                penalizer=float(data["penalizer"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ForecastDataError(f"{path}: not a saved relsim model ({err})") from None


def from_results(name: str, results, covariates: tuple[str, ...] = ()) -> FittedModel:
    """Wrap statsmodels results of one of the models as a :class:`FittedModel`."""
    model = results.model
    names = list(model.all_param_names)
    with np.errstate(all="ignore"):
        try:
            cov = np.asarray(results.cov_params(), dtype=float)
        except (np.linalg.LinAlgError, ValueError):
            cov = np.full((len(names), len(names)), np.nan)
    if not np.isfinite(cov).all() or (np.diag(cov) < 0).any():
        cov = np.full((len(names), len(names)), np.nan)
    retvals = results.mle_retvals
    return FittedModel(
        name=name,
        params=pd.Series(np.asarray(results.params, dtype=float), index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        loglik=float(results.llf),
        nobs=float(model.total_weight),
        converged=bool(retvals["converged"]),
        boundary=tuple(retvals.get("boundary", ())),
        identified=bool(retvals.get("identified", True)),
        covariates=covariates,
        penalizer=float(model.penalizer),
        results=results,
    )


def fit_model(
    name: str,
    data: pd.DataFrame,
    covariates: pd.DataFrame | None = None,
    penalizer: float = 0.0,
    source: str = "<data>",
) -> FittedModel:
    """Fit one model to a summary DataFrame.

    Parameters
    ----------
    name : str
        ``bgnbd``, ``mbgnbd``, ``paretonbd``, ``bgbb``, ``gammagamma`` or ``sbg``.
    data : pandas.DataFrame
        The model's columns (see the module's table); ``weights`` for BG/BB if given; for
        ``sbg``, columns ``period`` and ``survivors``; for ``gammagamma`` only customers with
        repeat purchases and positive spend are used.
    covariates : pandas.DataFrame, optional
        Numeric time-invariant covariates, aligned with ``data``'s rows (BG/NBD, MBG/NBD and
        Pareto/NBD).
    penalizer : float
        L2 penalty for small data (0: maximum likelihood).
    source : str
        Name of the data, for error messages.

    Returns
    -------
    FittedModel
    """
    if name not in SPECS:
        raise ForecastDataError(f"unknown model {name!r}; expected one of {', '.join(SPECS)}")
    spec = SPECS[name]
    names: tuple[str, ...] = ()
    kwds: dict[str, Any] = {"penalizer": penalizer}
    if covariates is not None and covariates.shape[1]:
        if spec.model_class.purchase_param is None:
            raise ForecastDataError(f"{spec.title} takes no covariates")
        names = tuple(str(c) for c in covariates.columns)
        kwds["covariates"] = covariates.to_numpy(dtype=float)
        kwds["covariate_names"] = names
    if name == "sbg":
        rows = sbg.cohort_rows(sbg.check_cohort(data, source))
        rows = rows[rows["weight"] > 0]
        model = spec.model_class(rows["t"], rows["censored"], weights=rows["weight"], **kwds)
    elif name == "gammagamma":
        if "monetary_value" not in data.columns:
            raise ForecastDataError(
                f"{source}: the data have no amounts, so spend cannot be modelled"
            )
        rep = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
        if len(rep) < 3:
            raise ForecastDataError(
                f"{source}: too few customers with repeat purchases to model spend"
            )
        model = spec.model_class(rep["frequency"], rep["monetary_value"], **kwds)
    else:
        missing = [c for c in spec.columns if c not in data.columns]
        if missing:
            raise ForecastDataError(f"{source}: missing column(s) {', '.join(missing)} for {name}")
        if "weights" in data.columns:
            kwds["weights"] = data["weights"].to_numpy(dtype=float)
        model = spec.model_class(*(data[c] for c in spec.columns), **kwds)
    import warnings

    from relsim.forecast.fitters.base import ConvergenceWarning

    with warnings.catch_warnings():
        # non-convergence is recorded on the result and reported by the caller
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = model.fit()
    return from_results(name, results, names)


#: The naive benchmarks the models are scored against, in words.
BENCHMARK_NAMES = {
    "naive_rate": "naive: past rate",
    "naive_last_period": "naive: last period again",
}


def display_name(model: str) -> str:
    """A model's or benchmark's name in words (``bgnbd`` -> ``BG/NBD``); others unchanged."""
    if model in SPECS:
        return SPECS[model].title
    return BENCHMARK_NAMES.get(model, model)
