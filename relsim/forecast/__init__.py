"""Forecasting purchase frequency and value from transaction logs, simulated or real."""

from relsim.errors import ForecastDataError
from relsim.forecast.data import Columns, calibration_holdout, read_transactions, rfm_summary
from relsim.forecast.fitters.bgbb import fit_bgbb
from relsim.forecast.fitters.bgnbd import fit_bgnbd
from relsim.forecast.fitters.gammagamma import fit_gamma_gamma
from relsim.forecast.fitters.mbgnbd import fit_mbgnbd
from relsim.forecast.fitters.paretonbd import fit_paretonbd
from relsim.forecast.fitters.sbg import fit_sbg
from relsim.forecast.models import FittedModel, fit_model
from relsim.forecast.predict import ForecastResult, accuracy, forecast, forecast_from_summary

__all__ = [
    "Columns",
    "FittedModel",
    "ForecastDataError",
    "ForecastResult",
    "accuracy",
    "calibration_holdout",
    "fit_bgbb",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_model",
    "fit_paretonbd",
    "fit_sbg",
    "forecast",
    "forecast_from_summary",
    "read_transactions",
    "rfm_summary",
]
