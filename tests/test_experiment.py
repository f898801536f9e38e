"""Declared experiments: validated like scenarios, claims evaluated or told why not, and the
command line writes complete results or nothing."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsim.cli import main
from relsim.errors import ExperimentError
from relsim.experiments.claims import Claim, evaluate_claim, load_experiment

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "simulation.people": 600,
    "simulation.days": 120,
    "firms.focal.initial_customers": 150,
    "firms.rival.initial_customers": 150,
}


def tiny_experiment(tmp_path, claims="", arms_extra="", replications=2):
    sets = ", ".join(f'"{k}" = {v}' for k, v in TINY.items())
    text = f"""
name = "tiny"
replications = {replications}
seed = 3
[[arms]]
name = "base"
scenario = "relsim:baseline"
set = {{ {sets} }}
[[arms]]
name = "staffed"
scenario = "relsim:baseline"
set = {{ {sets}, "firms.focal.account_managers" = 8 }}
{arms_extra}
{claims}
"""
    p = tmp_path / "tiny.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.stem
)
def test_bundled_experiments_validate(path):
    exp, arms = load_experiment(path)
    assert exp.claims and len(arms) == len(exp.arms)
    assert all(a.scenario.market.focal == "focal" for a in arms)


def test_unknown_key_and_unknown_arm_name_the_file_and_key(tmp_path):
    bad = tiny_experiment(
        tmp_path,
        claims="""
[[claims]]
name = "x"
source = "relsim-assumption"
metric = "profit"
arm = "nobody"
range = [0, 1]
colour = "red"
""",
    )
    with pytest.raises(ExperimentError) as err:
        load_experiment(bad)
    msg = str(err.value)
    assert str(bad) in msg and "claims.0.colour" in msg and "unknown key" in msg


def test_claim_needs_its_reference_arm_and_an_ordered_range():
    with pytest.raises(ValueError, match="against"):
        Claim(name="c", source="relsim-assumption", kind="difference", arm="a", range=(0, 1))
    with pytest.raises(ValueError, match="low <= high"):
        Claim(name="c", source="relsim-assumption", arm="a", range=(1, 0))


def test_a_bad_scenario_in_an_arm_names_the_arm(tmp_path):
    p = tmp_path / "e.toml"
    p.write_text('[[arms]]\nname = "a"\nscenario = "missing.toml"\n')
    with pytest.raises(ExperimentError, match=r"arms\[0\] \('a'\).*missing.toml"):
        load_experiment(p)
    p.write_text('[[arms]]\nname = "a"\nset = { "firms.focal.account_managers" = -1 }\n')
    with pytest.raises(ExperimentError, match="account_managers"):
        load_experiment(p)


REPS = pd.DataFrame(
    {
        "arm": ["a"] * 4 + ["b"] * 4,
        "replication": [0, 1, 2, 3] * 2,
        "profit": [100.0, 110.0, 90.0, 100.0, 130.0, 140.0, 118.0, 132.0],
        "retention_rate": [0.60, 0.61, 0.59, 0.60, 0.70, 0.71, 0.69, 0.70],
        "empty": [np.nan] * 8,
    }
)


def claim(**kw):
    return Claim(
        **{"name": "c", "source": "relsim-assumption", "arm": "b", "range": (-1e9, 1e9), **kw}
    )


def test_claim_kinds_compute_what_they_say():
    v = evaluate_claim(claim(metric="profit"), REPS, pd.DataFrame())
    assert v["value"] == pytest.approx(130.0) and v["verdict"] == "held"
    d = evaluate_claim(claim(kind="difference", against="a"), REPS, pd.DataFrame())
    assert d["value"] == pytest.approx(30.0)
    r = evaluate_claim(claim(kind="relative", against="a"), REPS, pd.DataFrame())
    assert r["value"] == pytest.approx(0.30)
    # profit +30% for 10 points of retention: +15% per 5 points, below a 25-85% range
    ps = evaluate_claim(
        claim(kind="per_step", against="a", per="retention_rate", step=0.05, range=(0.25, 0.85)),
        REPS,
        pd.DataFrame(),
    )
    assert ps["value"] == pytest.approx(0.15) and ps["verdict"] == "not held"


def test_a_claim_is_judged_on_its_whole_interval():
    # b - a: 30, 30, 28, 32; mean 30, t-interval 30 +- 3.182 * 1.633 / 2 = [27.40, 32.60]
    def verdict(lo, hi):
        return evaluate_claim(
            claim(kind="difference", against="a", range=(lo, hi)), REPS, pd.DataFrame()
        )

    held = verdict(0, math.inf)
    assert held["verdict"] == "held"
    assert held["ci_low"] == pytest.approx(30 - 3.18245 * math.sqrt(8 / 3) / 2, rel=1e-4)
    straddles = verdict(29, math.inf)  # the mean is inside, the interval is not
    assert straddles["value"] > 29 and straddles["verdict"] == "inconclusive"
    # s = 1.633: a half-width below 1 needs t(n-1) * 1.633 / sqrt(n) < 1, first true at n = 13
    assert straddles["replications_needed"] == 13
    assert "13 replications" in straddles["why"]
    assert verdict(-math.inf, 20)["verdict"] == "not held"


def test_a_claim_that_cannot_be_evaluated_says_why():
    empty = evaluate_claim(claim(metric="empty"), REPS, pd.DataFrame())
    assert empty["verdict"] == "not evaluated" and "undefined in every replication" in empty["why"]
    flat = evaluate_claim(
        claim(kind="per_step", against="b", per="retention_rate", metric="profit"),
        REPS,
        pd.DataFrame(),
    )
    assert flat["verdict"] == "not evaluated" and "did not move" in flat["why"]


def test_an_unknown_metric_is_refused_before_anything_runs(tmp_path):
    p = tiny_experiment(
        tmp_path,
        claims="""
[[claims]]
name = "x"
source = "relsim-assumption"
metric = "no_such_metric"
arm = "base"
range = [0, 1]
""",
    )
    with pytest.raises(ExperimentError, match="unknown metric.*no_such_metric"):
        load_experiment(p)


def _verdict_from_replications(values: np.ndarray, low: float, high: float):
    """A claim's verdict and interval from its per-replication values (scipy's t-interval)."""
    from scipy import stats

    lo, hi = stats.t.interval(0.95, len(values) - 1, values.mean(), stats.sem(values))
    if low <= lo and hi <= high:
        return "held", (lo, hi)
    if hi < low or lo > high:
        return "not held", (lo, hi)
    return "inconclusive", (lo, hi)


def test_experiment_command_writes_results_and_verdicts(tmp_path, capsys):
    # Two claims whose outcome is the simulation's: relocation is exogenous, so its rate is
    # the scenario's hazard (the range holds it); account managers cut neglect defections (the
    # mechanism). The command's verdicts must be those that the replications it wrote give,
    # computed here independently. A third claim can never hold, for --strict.
    from relsim import load_scenario

    h = load_scenario().switching.relocation_per_year
    p = tiny_experiment(
        tmp_path,
        claims=f"""
[[claims]]
name = "relocation at the census rate"
source = "relsim-assumption"
metric = "defections_relocation_per_customer_year"
arm = "base"
range = [{0.5 * h}, {2 * h}]

[[claims]]
name = "managers cut neglect"
source = "relsim-assumption"
kind = "difference"
metric = "defections_neglect_per_customer_year"
arm = "staffed"
against = "base"
range = [-inf, 0]

[[claims]]
name = "an impossible figure"
source = "relsim-assumption"
metric = "revenue"
arm = "base"
range = [1e9, 2e9]
""",
        replications=4,
    )
    out = tmp_path / "out"
    assert main(["experiment", str(p), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    reps = pd.read_parquet(out / "replications.parquet").sort_values(["arm", "replication"])
    assert sorted(reps["arm"].unique()) == ["base", "staffed"] and len(reps) == 8
    base, staffed = (reps[reps["arm"] == a].set_index("replication") for a in ("base", "staffed"))
    relocation = base["defections_relocation_per_customer_year"].to_numpy()
    neglect = (
        staffed["defections_neglect_per_customer_year"]
        - base["defections_neglect_per_customer_year"]
    ).to_numpy()
    (v1, ci1), (v2, ci2) = (
        _verdict_from_replications(relocation, 0.5 * h, 2 * h),
        _verdict_from_replications(neglect, -math.inf, 0.0),
    )
    want = [v1, v2, "not held"]
    claims = pd.read_csv(out / "claims.csv")
    assert list(claims["verdict"]) == want
    assert claims.loc[0, ["ci_low", "ci_high"]].tolist() == pytest.approx(ci1)
    assert claims.loc[1, ["ci_low", "ci_high"]].tolist() == pytest.approx(ci2)
    # theory: neither of the first two can be refuted (the truth lies in their ranges)
    assert "not held" not in want[:2]
    for name, verdict in zip(claims["claim"], want, strict=True):
        assert f"{name}: {verdict.upper()}" in text
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["seed"] == 3 and meta["replications_finished"] == {"base": 4, "staffed": 4}
    assert "an impossible figure" in (out / "report.html").read_text()
    # --strict turns a claim that did not hold into a failing exit status; a rerun reuses
    assert main(["experiment", str(p), "--out", str(out), "--strict"]) == 1
    assert "0 run now, 8 found finished" in capsys.readouterr().out


def test_bad_experiment_exits_2_and_writes_nothing(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('replications = 1\n[[arms]]\nname = "a"\n')
    out = tmp_path / "out"
    assert main(["experiment", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "replications" in err
    assert not out.exists()


def test_compare_command_prints_intervals_and_differences(tmp_path, capsys):
    sets = [x for k, v in TINY.items() for x in ("--set", f"{k}={v}")]
    out = tmp_path / "cmp"
    base = str(ROOT / "scenarios" / "baseline.toml")
    coupon = str(ROOT / "scenarios" / "coupon_acquisition.toml")
    assert (
        main(["compare", base, coupon, "--reps", "2", "--seed", "5", "--out", str(out), *sets]) == 0
    )
    text = capsys.readouterr().out
    assert "coupon_acquisition" in text and "profit" in text
    s = pd.read_csv(out / "summary.csv")
    assert set(s["arm"]) == {"baseline", "coupon_acquisition"}
    assert s.loc[s["arm"] == "baseline", "diff"].isna().all()
    assert (out / "ranking.csv").exists() and (out / "report.html").exists()
    assert main(["compare", base, "--reps", "0", "--out", str(tmp_path / "x")]) == 2


def test_precision_adds_replications_until_the_intervals_are_narrow(tmp_path, capsys):
    # The managers' salaries differ by the same amount in every replication: the interval of
    # the difference has no width from the second replication on, so the rule stops at two
    # after looking five further; revenue's interval never gets within 1e-9 of its mean.
    p = tiny_experiment(
        tmp_path,
        claims="""
[[claims]]
name = "staff cost money"
source = "relsim-assumption"
kind = "difference"
metric = "sales_managers"
arm = "staffed"
against = "base"
range = [0, inf]
""",
    )
    out = tmp_path / "out"
    assert (
        main(
            [
                "experiment",
                str(p),
                "--out",
                str(out),
                "--reps",
                "2",
                "--precision",
                "0.01",
                "--max-reps",
                "20",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "precision reached" in text and "at 2 replications (checked 5 further)" in text
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["replications_finished"] == {"base": 2, "staffed": 2}
    noisy = tiny_experiment(
        tmp_path,
        claims="""
[[claims]]
name = "revenue"
source = "relsim-assumption"
metric = "revenue"
arm = "base"
range = [0, inf]
""",
    )
    assert (
        main(
            [
                "experiment",
                str(noisy),
                "--out",
                str(tmp_path / "o2"),
                "--precision",
                "1e-9",
                "--max-reps",
                "3",
            ]
        )
        == 0
    )
    assert "--max-reps 3 reached before the precision" in capsys.readouterr().out
    assert main(["experiment", str(noisy), "--max-reps", "3"]) == 2  # only with --precision


def test_a_recorded_experiment_reruns_to_the_same_numbers(tmp_path, capsys):
    p = tiny_experiment(
        tmp_path,
        claims="""
[[claims]]
name = "staff cost money"
source = "relsim-assumption"
kind = "difference"
metric = "sales_managers"
arm = "staffed"
against = "base"
range = [0, inf]
""",
    )
    out = tmp_path / "out"
    assert main(["experiment", str(p), "--out", str(out)]) == 0
    assert (out / "odd.md").read_text().startswith("# ODD description")
    p.unlink()  # the rerun needs only the output folder
    capsys.readouterr()
    assert main(["experiment", "--rerun", str(out), "--out", str(tmp_path / "again")]) == 0
    text = capsys.readouterr().out
    assert "claims.csv: identical" in text and "summary.csv: identical" in text
    assert main(["experiment", "--rerun", str(tmp_path / "nothing")]) == 2
