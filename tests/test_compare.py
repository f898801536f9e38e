"""Replicated comparisons: common random numbers, any number of workers, nothing lost."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import small
from relsim.analysis.statistics import mean_ci
from relsim.errors import OutputError
from relsim.experiments.backends import InProcess, LocalProcesses
from relsim.experiments.comparison import (
    Arm,
    load_replications,
    open_store,
    pairwise_differences,
    payback,
    run_arms,
    summarize,
)

TINY = {
    "simulation.people": 600,
    "simulation.days": 120,
    "firms.focal.initial_customers": 150,
    "firms.rival.initial_customers": 150,
}


def tiny(**extra):
    return small(**{**TINY, **extra})


def test_mean_ci_is_the_student_t_interval():
    mean, lo, hi = mean_ci(np.array([1.0, 2.0, 3.0]))
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert mean == 2.0 and lo == pytest.approx(2 - half) and hi == pytest.approx(2 + half)
    assert math.isnan(mean_ci(np.array([5.0]))[1])
    assert mean_ci(np.array([1.0, np.nan, 3.0]))[0] == 2.0


def test_paired_differences_use_matching_replications():
    reps = pd.DataFrame(
        {
            "arm": ["a"] * 3 + ["b"] * 3,
            "replication": [0, 1, 2] * 2,
            "x": [10.0, 20.0, 30.0, 11.0, 21.0, 31.0],
        }
    )
    s = summarize(reps, "a").set_index("arm")
    # b - a is exactly 1 in every replication: the paired interval has zero width
    assert s.loc["b", "diff"] == pytest.approx(1.0)
    assert s.loc["b", "diff_low"] == pytest.approx(1.0) == s.loc["b", "diff_high"]
    # while the unpaired intervals of the two means overlap widely
    assert s.loc["b", "ci_low"] < s.loc["a", "mean"]


def test_payback_is_where_the_cumulative_difference_turns_positive_for_good():
    periods = pd.date_range("2024-01-01", periods=5, freq="MS")
    rows = []
    for rep in range(2):
        for i, p in enumerate(periods):
            rows.append({"arm": "base", "replication": rep, "period": p, "profit": 100.0})
            extra = [-10.0, 5.0, 5.0, 5.0, 5.0][i]
            rows.append({"arm": "prog", "replication": rep, "period": p, "profit": 100 + extra})
    pb = payback(pd.DataFrame(rows), "prog", "base")
    # cumulative difference -10, -5, 0, 5, 10: at or above zero from the third period on
    assert pb["periods"] == 3.0 and pb["paid_back_share"] == 1.0
    assert list(pb["per_replication"]) == [3.0, 3.0]
    never = payback(pd.DataFrame(rows), "base", "prog")
    assert math.isnan(never["periods"])


@pytest.fixture(scope="module")
def arms():
    return [
        Arm("base", tiny()),
        Arm("more_staff", tiny(**{"firms.focal.account_managers": 6})),
        Arm("same_as_base", tiny()),
    ]


def run(arms, reps, seed, folder, backend=None, on_progress=None):
    with open_store(folder, arms, seed) as store:
        return run_arms(store, arms, reps, seed, backend, on_progress)


def test_results_are_identical_on_one_and_on_two_processes(tmp_path, arms):
    run(arms[:2], 2, 7, tmp_path / "one", InProcess())
    with LocalProcesses(2) as backend:
        run(arms[:2], 2, 7, tmp_path / "two", backend)
    one, led1 = load_replications(tmp_path / "one", arms[:2], 2)
    two, led2 = load_replications(tmp_path / "two", arms[:2], 2)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(led1, led2)


def test_common_random_numbers_pair_the_arms(tmp_path, arms):
    run(arms, 2, 7, tmp_path)
    reps, _ = load_replications(tmp_path, arms, 2)
    s = summarize(reps, "base").set_index(["arm", "metric"])
    # an arm identical to the reference sees the very same draws: every difference is zero
    same = s.loc["same_as_base"]
    assert (same["diff"].dropna() == 0).all()
    # replications differ from one another
    base = reps[reps["arm"] == "base"]
    assert base["revenue"].nunique() == 2


def test_an_interrupted_comparison_keeps_what_finished_and_resumes(tmp_path, arms):
    def stop_after_first(status):
        if status.done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(arms[:2], 2, 7, tmp_path / "cut", on_progress=stop_after_first)
    kept, _ = load_replications(tmp_path / "cut", arms[:2], 2)
    assert len(kept) == 0  # one replication of one arm: nothing paired yet
    status = run(arms[:2], 2, 7, tmp_path / "cut")
    assert (status.done, status.found) == (3, 1)
    run(arms[:2], 2, 7, tmp_path / "whole")
    resumed, led_r = load_replications(tmp_path / "cut", arms[:2], 2)
    whole, led_w = load_replications(tmp_path / "whole", arms[:2], 2)
    pd.testing.assert_frame_equal(resumed, whole)
    pd.testing.assert_frame_equal(led_r, led_w)
    # no half-written files anywhere
    assert not list((tmp_path / "cut").rglob("*partial*"))


def test_a_folder_of_a_changed_question_is_refused_not_mixed(tmp_path, arms):
    run(arms[:1], 1, 7, tmp_path / "c")
    changed = Arm("base", tiny(**{"firms.focal.service_failure_prob": 0.2}))
    with pytest.raises(OutputError, match="holds the results of a different comparison"):
        run([changed], 1, 7, tmp_path / "c")
    with pytest.raises(OutputError, match="different comparison"):
        run(arms[:1], 1, 8, tmp_path / "c")  # another seed
    # the same question resumes: nothing to compute
    assert run(arms[:1], 1, 7, tmp_path / "c").found == 1


def test_arms_on_the_command_line_collect_their_values_by_name():
    from relsim.cli.compare import arm_overrides
    from relsim.errors import InputError

    got = arm_overrides(
        ["hire:firms.focal.account_managers=5", "spend:x.y=1", "hire:firms.focal.cadence=2"]
    )
    assert got == {
        "hire": ["firms.focal.account_managers=5", "firms.focal.cadence=2"],
        "spend": ["x.y=1"],
    }
    for bad in ["noname", "a=b:c=1", "../x:a=1", "ok:novalue"]:
        with pytest.raises(InputError, match=r"--arm|expected KEY=VALUE"):
            arm_overrides([bad])


def test_every_ordered_pair_is_the_mirror_of_its_reverse():
    reps = pd.DataFrame(
        {
            "arm": ["a"] * 4 + ["b"] * 4,
            "firm": ["f", "f", "g", "g"] * 2,
            "replication": [0, 1, 0, 1] * 2,
            "x": [1.0, 2.0, 5.0, 6.0, 4.0, 7.0, 5.0, 9.0],
        }
    )
    d = pairwise_differences(reps, ["a", "b"]).set_index(["arm", "against", "firm", "metric"])
    ab, ba = d.loc[("a", "b", "f", "x")], d.loc[("b", "a", "f", "x")]
    assert ab["mean"] == pytest.approx(-4.0)  # (1-4 + 2-7) / 2
    assert (ab["mean"], ab["ci_low"], ab["ci_high"]) == pytest.approx(
        (-ba["mean"], -ba["ci_high"], -ba["ci_low"])
    )
    assert d.loc[("b", "a", "g", "x"), "mean"] == pytest.approx(1.5)  # (0 + 3) / 2


def test_compare_with_arms_writes_every_pair_for_every_firm(tmp_path, capsys):
    from relsim.cli import main

    base = tmp_path / "base.toml"
    base.write_text(
        'extends = "relsim:baseline"\nname = "base"\n'
        + "".join(f"{k} = {v}\n" for k, v in TINY.items())
    )
    out = tmp_path / "cmp"
    argv = ["compare", str(base), "--arm", "same:firms.focal.price_index=1.0"]
    argv += ["--arm", "hire:firms.focal.account_managers=6", "--reps", "3", "--out", str(out)]
    assert main([*argv, "--no-report"]) == 0
    text = capsys.readouterr().out
    # The verdict opens the output; the arm that changes nothing is reported as such, and
    # payback and ROI appear only for the arm that spends more on the levers (hire).
    assert "Verdict on profit_plus_equity" in text
    assert "same and base gave the same profit_plus_equity in every replication" in text
    invest = pd.read_csv(out / "investments.csv")
    assert list(invest["arm"]) == ["hire"]
    assert "  same:" not in text.split("Investments")[1]
    # The output names only files that exist (no report.html with --no-report).
    listed = text.split("written to ")[1].split("(")[1].split(")")[0].split(", ")
    assert "report.html" not in listed
    assert all((out / name).is_file() for name in listed)
    # The report, rebuilt from the folder's files, opens with the same verdict.
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert page.index("Verdict") < page.index("Investments") < page.index("Summary")
    assert "hire: spends" in page and "same: spends" not in page
    d = pd.read_csv(out / "differences.csv")
    assert set(zip(d["arm"], d["against"], strict=True)) == {
        (a, b) for a in ("base", "same", "hire") for b in ("base", "same", "hire") if a != b
    }
    assert set(d["firm"]) == {"focal", "rival"}
    # An arm that changes nothing meets the same people and the same luck as the base:
    # with common random numbers every difference is exactly zero.
    same = d[(d["arm"] == "same") & (d["against"] == "base")]
    assert (same["mean"].fillna(0) == 0).all()
    # Where the lost customers went adds up to all that were lost, for every firm; in a
    # market of two firms the focal firm's losses to the rival are the rival's switchers
    # (counted from the other firm's acquisitions, a different table).
    reps = pd.read_parquet(out / "replications.parquet")
    allf, _ = load_replications(
        out, [Arm(n, tiny()) for n in ("base", "same", "hire")], 3, focal_only=False
    )
    parts = allf["lost_to_rivals"] + allf["lost_out_of_market"] + allf["lost_to_pool"]
    assert (parts == allf["lost_total"]).all()
    focal = allf[allf["firm"] == "focal"].set_index(["arm", "replication"])
    rival = allf[allf["firm"] == "rival"].set_index(["arm", "replication"])
    assert (focal["lost_to_rival"] == rival["acquired_switch"]).all()
    assert (focal["lost_to_rival"] == focal["lost_to_rivals"]).all()
    assert len(reps) == 9


def test_a_replication_filed_before_a_table_existed_stays_finished(tmp_path):
    # A store that gains a table (the warm-up's batch means) keeps what an earlier relsim
    # filed, when that table is optional; a required table's absence sets it aside.
    from relsim.experiments.store import METRICS, Store

    tables = {"ledger": pd.DataFrame({"x": [1.0]}), METRICS: pd.DataFrame({"y": [2.0]})}
    with Store(tmp_path / "s", "comparison", "fp", ("ledger", METRICS)).open() as old:
        old.write(0, 0, tables)
    with Store(
        tmp_path / "s", "comparison", "fp", ("ledger", "warmup", METRICS), optional=("warmup",)
    ).open() as new:
        assert new.finished() == {(0, 0)} and not new.set_aside
    with Store(tmp_path / "s", "comparison", "fp", ("ledger", "warmup", METRICS)).open() as req:
        assert req.finished() == set() and req.set_aside
