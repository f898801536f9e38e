"""A replication that never finishes for one price: interrupts in tests need no timing."""

from __future__ import annotations

import time
from functools import partial

from relsim.experiments.replication import replicate


def _replicate_or_block(price: float, scenario_data, *args):
    if scenario_data["firms"]["focal"]["price_index"] == price:
        while True:
            time.sleep(3600)
    return replicate(scenario_data, *args)


def blocking_at_price(price: float):
    """``replicate`` that blocks for ever on points whose focal price index is ``price``."""
    return partial(_replicate_or_block, price)
