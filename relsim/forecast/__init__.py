"""Forecasting purchase frequency and value from transaction logs, simulated or real."""

from relsim.errors import ForecastDataError
from relsim.forecast.data import Columns, calibration_holdout, read_transactions, rfm_summary
from relsim.forecast.fitters.bgnbd import fit_bgnbd
from relsim.forecast.fitters.gammagamma import fit_gamma_gamma
from relsim.forecast.fitters.paretonbd import fit_paretonbd
from relsim.forecast.predict import ForecastResult, accuracy, forecast, forecast_from_summary

__all__ = [
    "Columns",
    "ForecastDataError",
    "ForecastResult",
    "accuracy",
    "calibration_holdout",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_paretonbd",
    "forecast",
    "forecast_from_summary",
    "read_transactions",
    "rfm_summary",
]
