"""Shared base of the buy-till-you-die models: a statsmodels ``GenericLikelihoodModel``.

Each model knows its per-customer log-likelihood and its analytic gradient. Fitting maximises
the likelihood over the logarithms of the (positive) parameters with L-BFGS and the analytic
gradient, then hands the optimum to statsmodels, which builds the results (``params``,
``bse``, ``conf_int()``, ``aic``, ``bic``, ``summary()``) from the Hessian on the natural
scale, taken by central differences of the analytic score.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize
from statsmodels.base.model import GenericLikelihoodModel, GenericLikelihoodModelResults
from statsmodels.tools.numdiff import approx_fprime
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning


class ConvergenceWarning(UserWarning):
    """A fit that did not converge; its estimates should not be trusted."""


class BTYDModel(GenericLikelihoodModel):
    """Base class: a likelihood over customers' summaries with positive parameters.

    Subclasses set ``param_names`` and ``default_start`` and implement ``_evaluate(params,
    stats, grad)``, which returns each row's log-likelihood and, if asked, its gradient (one
    row per parameter) on the natural scale. Customers with identical summaries contribute
    identically, so the likelihood is evaluated once per distinct summary and weighted by how
    many customers share it.

    Parameters
    ----------
    *stats : array_like
        The per-customer summary statistics the model is defined on (same length).
    """

    param_names: tuple[str, ...] = ()
    default_start: tuple[float, ...] = ()

    def __init__(self, *stats, **kwds) -> None:
        columns = [np.asarray(c, dtype=float) for c in stats]
        uniq, inverse, counts = np.unique(
            np.column_stack(columns), axis=0, return_inverse=True, return_counts=True
        )
        self._stats = tuple(uniq[:, j] for j in range(uniq.shape[1]))
        self._inverse = inverse.ravel()
        self._weights = counts.astype(float)
        super().__init__(columns[0], extra_params_names=list(self.param_names), **kwds)
        self.nparams = len(self.param_names)
        self.k_extra = 0
        self.df_model = float(self.nparams)
        self.df_resid = float(len(self.endog) - self.nparams)

    def _evaluate(self, params, stats, grad: bool):
        raise NotImplementedError

    def loglikeobs(self, params) -> np.ndarray:
        """Log-likelihood of each customer."""
        ll, _ = self._evaluate(np.asarray(params, dtype=float), self._stats, False)
        return ll[self._inverse]

    def loglike(self, params) -> float:
        """Total log-likelihood."""
        ll, _ = self._evaluate(np.asarray(params, dtype=float), self._stats, False)
        return float(ll @ self._weights)

    def score(self, params) -> np.ndarray:
        """Analytic gradient of the total log-likelihood."""
        _, g = self._evaluate(np.asarray(params, dtype=float), self._stats, True)
        return g @ self._weights

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Hessian of the log-likelihood: central differences of the analytic score."""
        h = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
        return 0.5 * (h + h.T)

    def fit(
        self, start_params=None, maxiter: int = 2000, disp: bool = False, **kwargs
    ) -> GenericLikelihoodModelResults:
        """Maximum-likelihood fit.

        Parameters
        ----------
        start_params : array_like, optional
            Starting values on the natural scale.
        maxiter : int
            Iterations allowed to L-BFGS.
        disp : bool
            Ignored (kept for statsmodels' signature).
        **kwargs
            Passed to statsmodels when it builds the results.

        Returns
        -------
        statsmodels.base.model.GenericLikelihoodModelResults
            With ``params`` named after the model's parameters. ``mle_retvals['converged']``
            says whether the optimiser converged; if not, a :class:`ConvergenceWarning` is
            issued.
        """
        start = np.asarray(self.default_start if start_params is None else start_params, float)
        n = len(self.endog)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            p = np.exp(theta)
            ll_rows, g_rows = self._evaluate(p, self._stats, True)
            ll = ll_rows @ self._weights
            if not np.isfinite(ll):
                return 1e300, np.zeros_like(theta)
            # gradient in log space: d/dtheta = p * d/dp; scaled per customer for the optimiser
            return -ll / n, -((g_rows @ self._weights) * p) / n

        res = optimize.minimize(
            objective,
            np.log(start),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-14},
        )
        params = np.exp(res.x)
        with warnings.catch_warnings():
            # statsmodels only builds the results here (maxiter=0), so its own
            # "failed to converge" warning does not apply; convergence is judged below.
            warnings.simplefilter("ignore", SMConvergenceWarning)
            fitted = super().fit(
                start_params=params, method="newton", maxiter=0, disp=False, **kwargs
            )
        grad_norm = float(np.max(np.abs(self.score(params) * params))) / n
        converged = bool(res.success or grad_norm < 1e-6)
        fitted.mle_retvals = {
            "converged": converged,
            "iterations": int(res.nit),
            "message": str(res.message),
            "gradient_max": grad_norm,
        }
        fitted.mle_settings = {"optimizer": "L-BFGS-B on log parameters"}
        if not converged:
            warnings.warn(
                f"{type(self).__name__} did not converge: {res.message}",
                ConvergenceWarning,
                stacklevel=2,
            )
        return fitted
