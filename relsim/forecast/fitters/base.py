"""Shared base of the buy-till-you-die models: a statsmodels ``GenericLikelihoodModel``.

Each model knows its per-customer log-likelihood and its analytic gradient. Fitting maximises
the likelihood over the logarithms of the (positive) parameters, and over the coefficients of
any covariates, with bounded L-BFGS and the analytic gradient, then hands the optimum to
statsmodels, which builds the results (``params``, ``bse``, ``conf_int()``, ``summary()``) from
the Hessian on the natural scale, taken by forward differences of the analytic score.

Covariates are time-invariant, one row per customer, and enter through the scale parameters
as in Fader & Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and
BG/NBD models": the purchase rate's ``alpha_i = alpha * exp(-g'z_i)``, and the drop-out
process's ``beta_i = beta * exp(d'z_i)`` (Pareto/NBD) or ``b_i = b * exp(d'z_i)`` (BG/NBD,
MBG/NBD). Two choices differ from the note: the drop-out sign is flipped, so that a positive
``purchase:`` coefficient means more purchases and a positive ``dropout:`` coefficient a longer
life; and in BG/NBD only b is scaled (the note scales a and b with separate coefficients),
which moves the mean drop-out probability a/(a+b) with one coefficient per covariate.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from scipy import optimize
from statsmodels.base.model import GenericLikelihoodModel, GenericLikelihoodModelResults
from statsmodels.tools.numdiff import approx_fprime

#: The public names (the type aliases Stats, Rows and Call are for annotations).
__all__ = ["BTYDModel", "ConvergenceWarning", "Params", "WARM_ROWS"]

#: A model's base parameters, each a number or one value per row (with covariates).
Params: TypeAlias = Sequence[Any]
#: The summary statistics of the rows (frequency, recency, age, ...), one array each.
Stats: TypeAlias = tuple[np.ndarray, ...]
#: Each row's log-likelihood and, when asked, its gradient (one row per base parameter).
Rows: TypeAlias = tuple[np.ndarray, np.ndarray | None]

#: Bounds of the positive parameters. A maximum on a bound is a boundary fit: the data do not
#: identify the parameter (a rate without heterogeneity, a drop-out that never happens).
LOWER, UPPER = 1e-7, 1e7


#: Above this many distinct rows the fit starts from a fit to an evenly spaced subset of them.
WARM_ROWS = 4000


class ConvergenceWarning(UserWarning):
    """A fit that did not converge; its estimates should not be trusted."""


class BTYDModel(GenericLikelihoodModel):
    """Base class: a likelihood over customers' summaries with positive parameters.

    Subclasses set ``param_names`` and ``default_start`` and implement ``_evaluate(params,
    stats, grad)``, which returns each row's log-likelihood and, if asked, its gradient (one
    row per parameter) on the natural scale; ``params`` may hold one value per row (that is
    how covariates reach it). Customers with identical summaries and covariates contribute
    identically, so the likelihood is evaluated once per distinct row and weighted by how many
    customers share it.

    Parameters
    ----------
    *stats : array_like
        The per-customer summary statistics the model is defined on (same length).
    covariates : array_like, optional
        Time-invariant covariates, one row per customer (n x k); needs ``purchase_param``.
    covariate_names : sequence of str, optional
        Their names (default ``z0``, ``z1``, ...).
    weights : array_like, optional
        How many customers each row stands for (a summary of counts, as for BG/BB).
    penalizer : float
        L2 penalty per customer on the parameters (as lifetimes' ``penalizer_coef``), for
        small data; 0 is maximum likelihood.
    """

    param_names: tuple[str, ...] = ()
    default_start: tuple[float, ...] = ()
    #: Parameter scaled by exp(-g'z) for purchase covariates, and by exp(d'z) for drop-out.
    purchase_param: str | None = None
    dropout_param: str | None = None

    def __init__(
        self,
        *stats,
        covariates=None,
        covariate_names: Sequence[str] | None = None,
        weights=None,
        penalizer: float = 0.0,
        **kwds,
    ) -> None:
        columns = [np.asarray(c, dtype=float) for c in stats]
        n = len(columns[0])
        z = np.zeros((n, 0)) if covariates is None else np.asarray(covariates, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if z.shape[1] and not (self.purchase_param and self.dropout_param):
            raise ValueError(f"{type(self).__name__} takes no covariates")
        self.covariate_names = tuple(covariate_names or (f"z{j}" for j in range(z.shape[1])))
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        uniq, inverse = np.unique(np.column_stack([*columns, z]), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        self._stats = tuple(uniq[:, j] for j in range(len(columns)))
        self._z = uniq[:, len(columns) :]
        self._inverse = inverse
        self._weights = np.bincount(inverse, weights=w, minlength=len(uniq))
        self.total_weight = float(w.sum())
        self.penalizer = float(penalizer)
        k = z.shape[1]
        self.n_base = len(self.param_names)
        names = [
            *self.param_names,
            *(f"purchase:{c}" for c in self.covariate_names),
            *(f"dropout:{c}" for c in self.covariate_names),
        ]
        self.k_cov = k
        super().__init__(columns[0], extra_params_names=names, **kwds)
        self.all_param_names = tuple(names)
        self.nparams = len(names)
        self.k_extra = 0
        self.df_model = float(self.nparams)
        self.df_resid = float(self.total_weight - self.nparams)

    # -- the model's own part -------------------------------------------------------------
    def _evaluate(self, params: Params, stats: Stats, grad: bool) -> Rows:
        raise NotImplementedError

    # -- covariates -----------------------------------------------------------------------
    def individual(self, params, z) -> list:
        """Base parameters per row (scaled by the covariates ``z``) from the full vector."""
        params = np.asarray(params, dtype=float)
        base = list(params[: self.n_base])
        if self.k_cov:
            g = params[self.n_base : self.n_base + self.k_cov]
            d = params[self.n_base + self.k_cov :]
            i = self.param_names.index(self.purchase_param)
            j = self.param_names.index(self.dropout_param)
            base[i] = base[i] * np.exp(-(z @ g))
            base[j] = base[j] * np.exp(z @ d)
        return base

    def _rows(self, params, grad: bool):
        """Each distinct row's log-likelihood and its gradient in the full parameter vector."""
        return self._rows_of(params, self._stats, self._z, grad)

    def _rows_of(self, params, stats, z, grad: bool):
        """As :meth:`_rows`, for the given rows of statistics and covariates."""
        params = np.asarray(params, dtype=float)
        ind = self.individual(params, z)
        ll, g = self._evaluate(ind, stats, grad)
        if not grad or not self.k_cov:
            return ll, g
        i = self.param_names.index(self.purchase_param)
        j = self.param_names.index(self.dropout_param)
        g = np.array(g, dtype=float)
        gi = g[i] * ind[i]  # d ll / d log(alpha_i)
        gj = g[j] * ind[j]
        g[i] = gi / params[i]
        g[j] = gj / params[j]
        extra = np.vstack([-(z * gi[:, None]).T, (z * gj[:, None]).T])
        return ll, np.vstack([g, extra])

    def _penalty(self, params) -> tuple[float, np.ndarray]:
        """The L2 penalty (summed over customers) and its gradient."""
        if not self.penalizer:
            return 0.0, np.zeros(len(params))
        c = self.penalizer * self.total_weight
        return c * float(np.sum(params**2)), 2 * c * params

    # -- statsmodels' interface -----------------------------------------------------------
    def loglikeobs(self, params) -> np.ndarray:
        """Log-likelihood of each row of the data (unpenalised)."""
        ll, _ = self._rows(params, False)
        return ll[self._inverse]

    def loglike(self, params) -> float:
        """Total log-likelihood, less the penalty if there is one."""
        params = np.asarray(params, dtype=float)
        ll, _ = self._rows(params, False)
        return float(ll @ self._weights) - self._penalty(params)[0]

    def score(self, params) -> np.ndarray:
        """Analytic gradient of :meth:`loglike`."""
        params = np.asarray(params, dtype=float)
        _, g = self._rows(params, True)
        return g @ self._weights - self._penalty(params)[1]

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Hessian of the log-likelihood: forward differences of the analytic score.

        Forward differences of an exact gradient are accurate to about half the digits of the
        arithmetic, some eight, far more than standard errors need, at half the cost of
        central ones (on CDNOW's Pareto/NBD the two agree to six significant figures).
        """
        h = approx_fprime(np.asarray(params, dtype=float), self.score, centered=False)
        return 0.5 * (h + h.T)

    def _warm_start(self, theta0: np.ndarray, bounds: list, maxiter: int) -> np.ndarray:
        """Optimum on every k-th distinct row (weighted up to the whole): a cheap start.

        Most iterations of a fit from a blind start are spent far from the optimum, where a
        subset of the data points the same way at a fraction of the cost; the full fit then
        only polishes. The subset is deterministic, so the fit stays reproducible.
        """
        k = int(np.ceil(len(self._weights) / (WARM_ROWS / 2)))
        idx = np.arange(0, len(self._weights), k)
        stats = tuple(c[idx] for c in self._stats)
        z = self._z[idx]
        w = self._weights[idx] * (self._weights.sum() / self._weights[idx].sum())
        res = optimize.minimize(
            self._objective(stats, z, w),
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "gtol": 1e-6, "ftol": 1e-10},
        )
        return res.x if np.isfinite(res.fun) else theta0

    def _objective(self, stats, z, weights: np.ndarray):
        """Minus the mean (penalised) log-likelihood of these rows and its gradient, in log space.

        Scaled per customer for the optimiser; a non-finite value (parameters far out) becomes
        a large one, so the line search backs off instead of failing.
        """
        n = weights.sum()

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            p = self._to_natural(theta)
            with np.errstate(all="ignore"):
                ll_rows, g_rows = self._rows_of(p, stats, z, True)
                ll = ll_rows @ weights - self._penalty(p)[0]
                g = g_rows @ weights - self._penalty(p)[1]
            if not np.isfinite(ll) or not np.isfinite(g).all():
                return 1e300, np.zeros_like(theta)
            g[: self.n_base] *= p[: self.n_base]  # chain rule into log space
            return -ll / n, -g / n

        return objective

    def _to_natural(self, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([np.exp(theta[: self.n_base]), theta[self.n_base :]])

    def fit(
        self, start_params=None, maxiter: int = 2000, disp: bool = False, **kwargs
    ) -> GenericLikelihoodModelResults:
        """Maximum-likelihood (or penalised) fit.

        Parameters
        ----------
        start_params : array_like, optional
            Starting values on the natural scale (base parameters, then any coefficients).
        maxiter : int
            Iterations allowed to L-BFGS.
        disp : bool
            Ignored (kept for statsmodels' signature).
        **kwargs
            Passed to statsmodels when it builds the results.

        Returns
        -------
        statsmodels.base.model.GenericLikelihoodModelResults
            With ``params`` in the order of ``all_param_names``. ``mle_retvals`` holds
            ``converged`` (False when the optimiser failed or a parameter sits on a bound),
            ``boundary`` (the parameters on a bound), ``iterations`` and ``message``.
        """
        if start_params is None:
            start = np.concatenate([self.default_start, np.zeros(2 * self.k_cov)])
        else:
            start = np.asarray(start_params, float)
        n = self.total_weight
        theta0 = np.concatenate([np.log(start[: self.n_base]), start[self.n_base :]])
        bounds = [(np.log(LOWER), np.log(UPPER))] * self.n_base + [(None, None)] * (2 * self.k_cov)

        if start_params is None and len(self._weights) > WARM_ROWS:
            theta0 = self._warm_start(theta0, bounds, maxiter)
        res = optimize.minimize(
            self._objective(self._stats, self._z, self._weights),
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-14},
        )
        params = self._to_natural(res.x)
        logs = res.x[: self.n_base]
        boundary = tuple(
            name
            for name, v in zip(self.param_names, logs, strict=True)
            if v <= np.log(LOWER) + 0.01 or v >= np.log(UPPER) - 0.01
        )
        with warnings.catch_warnings():
            # statsmodels only builds the results here (maxiter=0), so its own
            # "failed to converge" warning does not apply; convergence is judged below.
            # At a boundary the Hessian may be singular: standard errors are then NaN.
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                fitted = super().fit(
                    start_params=params, method="newton", maxiter=0, disp=False, **kwargs
                )
        with np.errstate(all="ignore"):
            grad = self.score(params)
        scaled = np.concatenate([params[: self.n_base], np.ones(2 * self.k_cov)])
        grad_norm = float(np.max(np.abs(grad * scaled))) / n
        # A maximum with a singular information matrix is no strict maximum: the data cannot
        # tell the parameters apart (one customer, say), so the fit is not reported converged.
        with np.errstate(all="ignore"):
            try:
                cov = np.asarray(fitted.cov_params(), dtype=float)
                identified = bool(np.isfinite(cov).all() and (np.diag(cov) > 0).all())
            except (np.linalg.LinAlgError, ValueError):
                identified = False
        converged = bool((res.success or grad_norm < 1e-6) and not boundary and identified)
        fitted.mle_retvals = {
            "converged": converged,
            "identified": identified,
            "boundary": boundary,
            "iterations": int(res.nit),
            "message": str(res.message),
            "gradient_max": grad_norm,
        }
        fitted.mle_settings = {"optimizer": "L-BFGS-B on log parameters"}
        if not converged:
            why = (
                f"parameter(s) {', '.join(boundary)} at a bound of [{LOWER:g}, {UPPER:g}]"
                if boundary
                else res.message
                if not (res.success or grad_norm < 1e-6)
                else "singular information matrix (the estimates are not identified)"
            )
            warnings.warn(
                f"{type(self).__name__} did not converge: {why}", ConvergenceWarning, stacklevel=2
            )
        return fitted
