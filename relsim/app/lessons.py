"""What the teaching page says: presets, the guided lesson, the glossary.

The steps follow the leaky-bucket argument of relationship marketing (Payne et al., 1997:
filling the bucket with new customers against plugging its holes): first the bucket as it is,
then growth bought with advertising while the account team stays the same size, then the
three retention levers one at a time (contact frequency, service, a loyalty discount), and
last the rival's move. Each step sets every lever, so a step gives the same run whatever was
on the page before; steps 3 to 6 build on one another. What a step asks the class to notice
is worded as a question about the figures on the page, not as an answer, because the answer
is whatever the run shows.
"""

from __future__ import annotations

import itertools
from typing import Any

from relsim.app.levers import DEFAULTS, LEVERS, check_levers

#: The two strategies of scenarios/transactional.toml and scenarios/relationship.toml, on
#: this page's levers: fill the bucket faster, or plug its holes.
PRESETS: dict[str, dict[str, float]] = {
    "default": dict(DEFAULTS),
    "transactional": {**DEFAULTS, "budget": 81000, "price": 0.97},
    "relationship": {
        **DEFAULTS,
        "budget": 18000,
        "managers": 2,
        "cadence": 45,
        "failures": 2,
        "loyalty": 5,
    },
}

_RETAIN = {**DEFAULTS, "managers": 2, "cadence": 45}
STEPS: list[dict[str, Any]] = [
    {
        "title": "The bucket as it is",
        "levers": dict(DEFAULTS),
        "notice": "Customers pour in (green, up) and drain out (below zero), and the level "
        "barely moves. One account manager looks after about 900 customers.",
        "question": "Which cause drains the most customers? Is that a cause the firm controls? "
        "(Pin this run: the next steps compare with it.)",
    },
    {
        "title": "Growth without more staff",
        "levers": {**DEFAULTS, "budget": 81000},
        "notice": "Three times the advertising: the paid inflow grows. Watch the neglect "
        "outflow: the same manager now shares the same contacts among more customers.",
        "question": "How many more customers are there at the end than in step 1 (pinned), "
        "and how much more went on ads? What did each extra customer kept cost?",
    },
    {
        "title": "Contact customers more often",
        "levers": dict(_RETAIN),
        "notice": "Back to the old budget, with a second account manager and a plan to "
        "contact everyone twice as often. Profit over two years pays a salary more; "
        "customer equity counts the customers kept.",
        "question": "Does the second manager pay for themselves in two years? Set the "
        "horizon to ten years: and now?",
    },
    {
        "title": "Fewer service failures",
        "levers": {**_RETAIN, "failures": 1.5},
        "notice": "Half the failures, at a cost for service quality each year. Watch the "
        "dissatisfaction outflow.",
        "question": "Which outflow fell, and which did not change? Why would a failure "
        "matter more for some customers than for others?",
    },
    {
        "title": "A loyalty discount",
        "levers": {**_RETAIN, "failures": 1.5, "loyalty": 5},
        "notice": "5% off for supporters and above: a higher barrier against the rival's "
        "price, paid on every purchase of the customers who were loyal anyway.",
        "question": "Pin step 4 first. How many price losses did the discount prevent, and "
        "how much more was given away in discounts?",
    },
    {
        "title": "The rival cuts its price",
        "levers": {**_RETAIN, "failures": 1.5, "loyalty": 5, "rival_price": 0.92},
        "notice": "The rival sells 8% below list price. Pin the previous step first, then "
        "compare the price outflow. Try the same cut on the default levers.",
        "question": "Which rungs leave for price? Does the relationship strategy protect "
        "the firm against the price cut?",
    },
]

GLOSSARY: list[tuple[str, str]] = [
    ("prospect", "Someone in the market who does not buy from the firm (yet)."),
    ("customer", "Has bought once."),
    ("client", "Buys again and again, but may feel nothing for the firm."),
    ("supporter", "Likes the firm, though passively."),
    ("advocate", "Recommends the firm to others: brings referrals."),
    ("partner", "Works with the firm; the strongest bond, the least likely to leave."),
    ("price", "Left for a cheaper rival at a price comparison."),
    ("neglect", "Left after too long without a contact from the firm."),
    ("dissatisfaction", "Left after service failures that were not put right."),
    ("relocation", "Moved away: lost whatever the firm does."),
    ("other", "Death, closure and other exits from the market."),
    (
        "customer equity",
        "What the customers kept at the end are expected to bring over the next years "
        "(margin less the cost of keeping them, discounted), from the run's own rates of "
        "moving between rungs and leaving (Gupta, Lehmann & Stuart, 2004).",
    ),
    (
        "same luck",
        "Every run meets the same people with the same random draws, so a difference "
        "between two runs is caused by the levers, not by chance.",
    ),
]


def precomputed_settings(lessons_only: bool = False) -> list[dict[str, float]]:
    """Settings worth computing ahead: the presets and the lesson's steps.

    An exported page also holds every lever's marked values, one lever at a time, from the
    default, transactional and relationship presets.

    Parameters
    ----------
    lessons_only : bool
        Only the presets and the lesson's steps.

    Returns
    -------
    list of dict
        Distinct, checked settings.
    """
    chosen = [*PRESETS.values(), *(s["levers"] for s in STEPS)]
    if not lessons_only:
        for base, lever in itertools.product(
            (DEFAULTS, PRESETS["relationship"], PRESETS["transactional"]), LEVERS
        ):
            for value in marks(lever.key):
                chosen.append({**base, lever.key: value})
    seen: dict[tuple[float, ...], dict[str, float]] = {}
    for s in chosen:
        lv = check_levers(s)
        seen.setdefault(tuple(lv.values()), lv)
    return list(seen.values())


def marks(key: str) -> list[float]:
    """The values marked on a lever's scale (five, evenly spread, on its step)."""
    lever = next(lv for lv in LEVERS if lv.key == key)
    n = round((lever.high - lever.low) / lever.step)
    picks = sorted({round(n * i / 4) for i in range(5)})
    values = {round(lever.low + k * lever.step, 6) for k in picks} | {lever.default}
    return sorted(values)
