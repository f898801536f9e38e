"""The teaching page's market and its levers: what a student may set, and how it is checked.

The market is the default scenario at 30% of its size (3,000 people, two firms of 900
customers, staff, budgets and fixed costs scaled alike), simulated for two years with one
seed, so every setting of the levers meets the same people and the same luck (common random
numbers): what changes between two runs is caused by the levers.

Every lever is validated here, for the server and, through :func:`lever_spec`, for the browser
(the page checks the same bounds before it asks): a value that is missing, not a number, out of
range or not a whole number where one is needed is refused with one sentence naming the lever
and what it takes, never clamped silently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from relsim.config.loading import load_scenario
from relsim.config.schema import Economics, Scenario
from relsim.errors import InputError

SEED = 20240101
#: The page market keeps the default scenario's currency (a test checks they agree).
CURRENCY = Economics().currency
PEOPLE = 3000
DAYS = 730
# The default scenario at 30% of its size: staff, budgets and fixed costs scaled alike.
# No warm-up: every run starts from the same market "today" (the calibrated steady state
# under the default levers, identical for every setting) and the levers act from day one,
# so the page shows the transition a change sets off, not only where it ends.
MARKET = [
    f"simulation.people={PEOPLE}",
    f"simulation.days={DAYS}",
    "simulation.warmup_days=0",
    *[
        f"firms.{f}.{k}"
        for f in ("focal", "rival")
        for k in (
            "initial_customers=900",
            "account_managers=1",
            "acquisition_budget_per_year=27000",
            "costs.other_per_year=75000",
        )
    ],
]
BASE_CADENCE = {"customer": 30, "client": 90, "supporter": 60, "advocate": 45, "partner": 45}
# Spending on service quality: each percentage point of failures below the default 3% costs
# this much a year (the levers experiment's "better service" arm, scaled to this market).
QUALITY_COST_PER_POINT = 4000.0
DEFAULT_FAILURES = 3.0


class LeverError(InputError):
    """A lever value the page cannot use; the message names the lever and what it takes."""


@dataclass(frozen=True)
class Lever:
    """One setting a student can change.

    Attributes
    ----------
    key : str
        Name in the page's address and in the run's record.
    label : str
        What the page calls it.
    unit : str
        Unit shown beside the box.
    low, high : float
        Smallest and largest value allowed.
    step : float
        Step of the slider and the arrow keys (any value in range is allowed unless
        ``whole`` is set).
    default : float
        The value of the default scenario (scaled to the page's market).
    whole : bool
        Whether only whole numbers make sense (people).
    help : str
        One sentence on what the lever does in the model.
    """

    key: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    default: float
    whole: bool = False
    help: str = ""

    def check(self, raw: Any) -> float:
        """The value of ``raw`` for this lever, or :class:`LeverError` saying what it takes."""
        what = self.expected()
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise LeverError(f"{self.label}: no value given; expected {what}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise LeverError(
                f"{self.label}: {str(raw)[:40]!r} is not a number; expected {what}"
            ) from None
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise LeverError(f"{self.label}: {_show(value)} is out of range; expected {what}")
        if self.whole and value != round(value):
            raise LeverError(f"{self.label}: {_show(value)} is not a whole number; expected {what}")
        return float(round(value)) if self.whole else value

    def expected(self) -> str:
        """What the lever takes, in words."""
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {_show(self.low)} to {_show(self.high)} ({self.unit})"


def _show(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if x == round(x) else f"{x:g}"


LEVERS: tuple[Lever, ...] = (
    Lever(
        "budget",
        "Acquisition spend",
        f"{CURRENCY} a year",
        0,
        90000,
        4500,
        27000,
        help="Advertising that reaches prospects; some try the firm (paid customers).",
    ),
    Lever(
        "managers",
        "Account managers",
        "people",
        0,
        4,
        1,
        1,
        whole=True,
        help="Each makes a fixed number of contacts a day; a customer left too long "
        "without one may leave (neglect).",
    ),
    Lever(
        "cadence",
        "Contact a client every",
        "days; other rungs in proportion",
        30,
        180,
        15,
        90,
        help="How often the plan says to contact each customer, if the team has the time.",
    ),
    Lever(
        "failures",
        "Service failures",
        f"per 100 purchases; each point below {DEFAULT_FAILURES:g} costs "
        f"{QUALITY_COST_PER_POINT:,.0f} a year",
        1,
        8,
        0.5,
        DEFAULT_FAILURES,
        help="A failure not put right may end the relationship (dissatisfaction).",
    ),
    Lever(
        "price",
        "Our price",
        "index; 1 = list price",
        0.9,
        1.1,
        0.01,
        1.0,
        help="A dearer firm loses price-sensitive customers, mostly on the low rungs.",
    ),
    Lever(
        "loyalty",
        "Loyalty discount",
        "% off for supporters and above",
        0,
        15,
        1,
        0,
        help="Raises the switching barrier of the loyal rungs; costs margin on every "
        "purchase they make.",
    ),
    Lever(
        "rival_price",
        "Rival's price",
        "index; 1 = list price",
        0.85,
        1.1,
        0.01,
        1.0,
        help="The rival's move, not ours: a price cut tempts our price-sensitive customers.",
    ),
)
BY_KEY = {lever.key: lever for lever in LEVERS}
DEFAULTS: dict[str, float] = {lever.key: lever.default for lever in LEVERS}


def check_levers(values: Mapping[str, Any]) -> dict[str, float]:
    """Validate a full or partial setting of the levers; missing ones take their defaults.

    Parameters
    ----------
    values : mapping
        Lever key to value (text or number), as sent by the page.

    Returns
    -------
    dict of str to float
        Every lever's value, in :data:`LEVERS` order.

    Raises
    ------
    LeverError
        For an unknown lever or a value the lever does not take.
    """
    unknown = sorted(set(values) - set(BY_KEY))
    if unknown:
        raise LeverError(f"unknown lever {unknown[0]!r}; the page's levers are {', '.join(BY_KEY)}")
    return {
        lever.key: lever.check(values[lever.key]) if lever.key in values else lever.default
        for lever in LEVERS
    }


def key_of(levers: Mapping[str, float]) -> str:
    """A stable text key for a setting (cache key and the static page's lookup)."""
    return "&".join(f"{k}={levers[k]:.6g}" for k in BY_KEY)


def scenario_for(levers: Mapping[str, float]) -> Scenario:
    """The page's market with the focal firm's levers (and the rival's price) as given."""
    lv = check_levers(levers)
    factor = lv["cadence"] / BASE_CADENCE["client"]
    every = ", ".join(f"{k} = {v * factor:g}" for k, v in BASE_CADENCE.items())
    quality = QUALITY_COST_PER_POINT * max(0.0, DEFAULT_FAILURES - lv["failures"])
    return load_scenario(
        overrides=[
            *MARKET,
            f"firms.focal.acquisition_budget_per_year={lv['budget']}",
            f"firms.focal.account_managers={int(lv['managers'])}",
            f"firms.focal.contact_every_days={{{every}}}",
            f"firms.focal.service_failure_prob={lv['failures'] / 100}",
            f"firms.focal.costs.service_quality_per_year={quality}",
            f"firms.focal.price_index={lv['price']}",
            f"firms.focal.loyalty_discount.depth={lv['loyalty'] / 100}",
            f"firms.rival.price_index={lv['rival_price']}",
        ]
    )


def lever_spec() -> list[dict[str, Any]]:
    """The levers as the browser needs them (bounds, step, default, labels)."""
    return [asdict(lever) for lever in LEVERS]
