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
import pandas as pd
from scipy import optimize
from statsmodels.base.model import GenericLikelihoodModel, GenericLikelihoodModelResults
from statsmodels.tools.numdiff import approx_fprime
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning


class ConvergenceWarning(UserWarning):
    """A fit that did not converge; its estimates should not be trusted."""


class BTYDModel(GenericLikelihoodModel):
    """Base class: a likelihood over customers' summaries with positive parameters.

    Subclasses set ``param_names`` and ``default_start`` and implement ``loglikeobs`` and
    ``score`` (the gradient of the total log-likelihood on the natural scale).
    """

    param_names: tuple[str, ...] = ()
    default_start: tuple[float, ...] = ()

    def __init__(self, endog: np.ndarray, **kwds) -> None:
        super().__init__(np.asarray(endog, dtype=float), extra_params_names=list(self.param_names),
                         **kwds)
        self.nparams = len(self.param_names)
        self.k_extra = 0
        self.df_model = float(self.nparams)
        self.df_resid = float(len(self.endog) - self.nparams)

    def loglike(self, params: np.ndarray) -> float:
        """Total log-likelihood."""
        return float(np.sum(self.loglikeobs(params)))

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Hessian of the log-likelihood: central differences of the analytic score."""
        h = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
        return 0.5 * (h + h.T)

    def fit(self, start_params=None, maxiter: int = 2000, disp: bool = False,
            **kwargs) -> GenericLikelihoodModelResults:
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
            ll = self.loglike(p)
            if not np.isfinite(ll):
                return 1e300, np.zeros_like(theta)
            # gradient in log space: d/dtheta = p * d/dp; scaled per customer for the optimiser
            return -ll / n, -(self.score(p) * p) / n

        res = optimize.minimize(objective, np.log(start), jac=True, method="L-BFGS-B",
                                options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-14})
        params = np.exp(res.x)
        with warnings.catch_warnings():
            # statsmodels only builds the results here (maxiter=0), so its own
            # "failed to converge" warning does not apply; convergence is judged below.
            warnings.simplefilter("ignore", SMConvergenceWarning)
            fitted = super().fit(start_params=params, method="newton", maxiter=0, disp=False,
                                 **kwargs)
        grad_norm = float(np.max(np.abs(self.score(params) * params))) / n
        converged = bool(res.success or grad_norm < 1e-6)
        fitted.mle_retvals = {"converged": converged, "iterations": int(res.nit),
                              "message": str(res.message), "gradient_max": grad_norm}
        fitted.mle_settings = {"optimizer": "L-BFGS-B on log parameters"}
        if not converged:
            warnings.warn(f"{type(self).__name__} did not converge: {res.message}",
                          ConvergenceWarning, stacklevel=2)
        return fitted


def named(results: GenericLikelihoodModelResults) -> pd.Series:
    """The fitted parameters as a Series named after the model's parameters."""
    return pd.Series(np.asarray(results.params), index=results.model.param_names)
