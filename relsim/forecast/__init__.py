"""Forecasting purchase frequency and value from transaction logs, simulated or real."""
