"""Shared fixtures, and a guard that fails any test touching global random state."""

from __future__ import annotations

import random

import numpy as np
import pytest

import relsim


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "dask_scheduler_in_process: the test runs a Dask "
        "LocalCluster, whose scheduler (in the test process) picks workers "
        "with the random module; numpy's global state is still guarded",
    )


@pytest.fixture(autouse=True)
def no_global_random_state(request):
    """Randomness must flow through explicit Generators: global state must not move."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    yield
    after = np.random.get_state()
    assert (
        after[0] == np_state[0]
        and np.array_equal(after[1], np_state[1])
        and after[2:] == np_state[2:]
    ), "a test or relsim used numpy's global random state"
    if request.node.get_closest_marker("dask_scheduler_in_process") is None:
        assert random.getstate() == py_state, "a test or relsim used the random module's state"


#: The default scenario shrunk for fast tests (``KEY=VALUE``, as ``--set`` takes them).
SMALL_SETS = [
    "simulation.people=3000",
    "simulation.days=365",
    "simulation.warmup_days=0",
    "firms.focal.initial_customers=900",
    "firms.rival.initial_customers=900",
    "firms.focal.account_managers=2",
    "firms.rival.account_managers=2",
    "firms.focal.acquisition_budget_per_year=5000",
    "firms.rival.acquisition_budget_per_year=5000",
]


def small(**overrides: object) -> relsim.Scenario:
    """The default scenario shrunk for fast tests, with extra ``KEY=VALUE`` overrides."""
    sets = [*SMALL_SETS, *(f"{k}={v}" for k, v in overrides.items())]
    return relsim.load_scenario(overrides=sets)


@pytest.fixture(scope="session")
def small_run() -> relsim.SimulationResult:
    """One small run shared by the invariant tests."""
    return relsim.simulate(small(), seed=11)


@pytest.fixture(scope="session")
def default_run() -> relsim.SimulationResult:
    """The bundled default scenario at its default seed."""
    return relsim.simulate(relsim.load_scenario())


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright, one per test module."""
    import playwright.sync_api as playwright  # a test dependency, only the browser tests need it
    from chromium import CHROMIUM, FLAGS

    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()
