"""Reports in words: every metric a user can pick has a plain label, numbers never use an
exponent, and frequency bins cover every count without a catch-all bar."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from relsim.analysis.economics import COST_LINES
from relsim.analysis.metrics import run_metrics
from relsim.reporting.forecast_report import frequency_bins
from relsim.reporting.style import is_money, label, money, number, with_unit


def test_every_metric_and_cost_line_has_a_label_in_words(small_run):
    names = [*run_metrics(small_run.scenario, small_run.tables()), *COST_LINES]
    for name in names:
        text = label(name)
        assert "_" not in text, (name, text)
    assert label("sales_managers") == "account managers"
    assert label("firms.focal.account_managers") == "focal: account managers"
    assert with_unit("profit", "EUR") == "profit (EUR)"
    assert with_unit("retention_rate", "EUR") == "retention rate"
    assert is_money("clv_paid") and not is_money("customers_end")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_numbers_never_carry_an_exponent_and_keep_their_value(v):
    text = number(v)
    assert not re.search(r"e[+-]?\d", text, re.IGNORECASE), text
    back = float(text.replace(",", ""))
    # Four significant digits, or whole numbers from 1,000 up; tiny values may round to 0.
    assert math.isclose(back, v, rel_tol=5e-4, abs_tol=5e-9 + (0.5 if abs(v) >= 1000 else 0))


def test_money_puts_the_symbol_or_code_where_readers_expect_it():
    assert money(555500.4, "$") == "$555,500"
    assert money(-31000, "$") == "-$31,000"
    assert money(1204, "EUR") == "EUR 1,204"


@given(st.integers(min_value=0, max_value=10**7))
def test_frequency_bins_double_and_cover_every_count_from_zero_to_the_most(most):
    bins = frequency_bins(most)
    assert bins[0] == (0, 0)
    for (_, b), (c, _) in zip(bins, bins[1:], strict=False):
        assert c == b + 1  # no gap, no overlap
    assert bins[-1][0] <= most <= bins[-1][1]
    assert all(b - a + 1 == max(1, a) for a, b in bins)  # widths 1, 1, 2, 4, 8, ...
    assert len(bins) == (1 if most == 0 else 2 + int(math.log2(most)))
