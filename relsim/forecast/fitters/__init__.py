"""Buy-till-you-die models, one module each, on a shared statsmodels base."""
