"""Calibration in the open: the fit recovers a value it was not given, validation runs on
other seeds, and the shipped default is what the command wrote."""

import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import relsim
from relsim.analysis.metrics import run_metrics
from relsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = """extends = "relsim:baseline_inputs"
name = "small"
simulation = {{ people = 3000, days = 365, warmup_days = 30, start_date = 2024-01-01, seed = 1 }}
switching.relocation_per_year = {relocation}
[firms.focal]
initial_customers = 900
acquisition_budget_per_year = 27000
account_managers = 1
[firms.rival]
initial_customers = 900
acquisition_budget_per_year = 27000
account_managers = 1
"""
TARGETS = """name = "small"
scenario = "small.toml"
[fit]
seed = 11
replications = 2
max_evaluations = 18
steady_years = 4
[validation]
seed = 12
replications = 3
[[free]]
key = "switching.relocation_per_year"
low = 0.005
high = 0.3
[[facts]]
name = "relocation share"
measure = "cause_share_relocation"
low = {low}
high = {high}
role = "calibrated"
source = "leboeuf-1987-why-customers-quit"
[[facts]]
name = "top 20% of revenue"
measure = "revenue_share_top20"
low = 0.5
high = 0.9
role = "predicted"
source = "kim-singh-winer-2017-pareto-cpg"
"""


def _share(tmp_path, relocation, reps=2):
    (tmp_path / "small.toml").write_text(SMALL.format(relocation=relocation))
    sc = relsim.load_scenario(tmp_path / "small.toml")
    runs = [
        run_metrics(sc, relsim.simulate(sc, seed=11, replication=r).tables()) for r in range(reps)
    ]
    share = sum(m["cause_share_relocation"] for m in runs) / reps
    lost = sum(m["lost_total"] for m in runs)
    return share, math.sqrt(share * (1 - share) / lost)  # binomial SE of the pooled share


def test_calibration_recovers_a_hazard_from_the_share_it_produces(tmp_path, capsys):
    # The relocation share a hazard of 0.10 a year produces, on the fit's own seed, is the
    # target; the fit starts from 0.02 and must find 0.10 again, within what the noise of the
    # share allows: 4 standard errors of the share over its local slope.
    truth, start = 0.10, 0.02
    target, se = _share(tmp_path, truth)
    lo, _ = _share(tmp_path, truth * 0.7)
    hi, _ = _share(tmp_path, truth * 1.3)
    slope = (hi - lo) / (0.6 * truth)
    assert slope > 0
    tolerance = 4 * se / slope
    (tmp_path / "small.toml").write_text(SMALL.format(relocation=start))
    (tmp_path / "t.toml").write_text(TARGETS.format(low=target - 0.002, high=target + 0.002))
    out = tmp_path / "cal"
    assert (
        main(
            [
                "calibrate",
                str(tmp_path / "small.toml"),
                "--targets",
                str(tmp_path / "t.toml"),
                "--out",
                str(out),
                "--workers",
                "2",
            ]
        )
        == 0
    )
    text = (out / "calibrated.toml").read_text()
    fitted = tomllib.loads(text)["switching"]["relocation_per_year"]
    assert abs(fitted - truth) < tolerance, (fitted, truth, tolerance)
    assert abs(fitted - truth) < abs(start - truth)
    # calibrated.toml extends its base and sets the fitted value and the steady state
    data = tomllib.loads(text)
    assert Path(data["extends"]).name == "small.toml"
    assert set(data["firms"]["focal"]) == {"initial_customers"}
    assert math.isclose(sum(data["market"]["initial_rung_shares"].values()), 1.0)
    # validation: other seeds, the declared columns, every fact with its role
    val = pd.read_csv(out / "validation.csv")
    for col in ("fact", "role", "low", "high", "value", "ci_low", "ci_high", "holds"):
        assert col in val.columns
    assert list(val["role"]) == ["calibrated", "predicted"]
    assert (val["n"] == 3).all()
    capsys.readouterr()
    # a rerun finds everything on disk: same answer, nothing computed again
    assert (
        main(
            [
                "calibrate",
                str(tmp_path / "small.toml"),
                "--targets",
                str(tmp_path / "t.toml"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (out / "calibrated.toml").read_text().split("\n", 3)[3] == text.split("\n", 3)[3]


@pytest.mark.parametrize("name", ["baseline", "grocery"])
def test_the_shipped_calibrated_scenarios_are_the_output_of_relsim_calibrate(name):
    # scenarios/<name>.toml extends the inputs and sets exactly the free values of the
    # targets file plus the steady state (none in a repertoire market, whose people arrive
    # with their repertoires); its header names the fingerprint of the inputs and targets it
    # was calibrated from, and a digest of the values it holds. A change to the inputs or
    # targets without calibrating again, or a value edited by hand, fails here.
    from relsim.experiments.calibration import (
        plan_calibration,
        values_digest,
        written_values,
    )

    text = (ROOT / "scenarios" / f"{name}.toml").read_text()
    assert text.startswith("# Written by `relsim calibrate")
    plan = plan_calibration(
        ROOT / "scenarios" / f"{name}.targets.toml",
        str(ROOT / "scenarios" / f"{name}_inputs.toml"),
    )
    header = next(line for line in text.splitlines() if line.startswith("# fingerprint"))
    assert f"fingerprint {plan.fingerprint};" in header
    body = tomllib.loads(text)
    assert header.endswith(f"values digest {values_digest(written_values(body))}")
    data = body
    assert data["extends"] == f"relsim:{name}_inputs"
    targets = plan.targets
    set_keys = {f"{section}.{key}" for section in ("switching",) for key in data.get(section, {})}
    assert set_keys == {f.key for f in targets.free}
    if name == "grocery":
        assert set(data) == {"extends", "name", "description", "switching"}
        return
    assert set(data["firms"]["focal"]) == set(data["firms"]["rival"]) == {"initial_customers"}
    assert set(data["market"]) <= {"initial_rung_shares", "initial_rung_shares_by_segment"}


def test_a_targets_file_with_one_seed_for_fit_and_validation_is_refused(tmp_path, capsys):
    (tmp_path / "small.toml").write_text(SMALL.format(relocation=0.02))
    (tmp_path / "t.toml").write_text(
        TARGETS.format(low=0.5, high=0.6).replace("seed = 12", "seed = 11")
    )
    assert (
        main(
            [
                "calibrate",
                str(tmp_path / "small.toml"),
                "--targets",
                str(tmp_path / "t.toml"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "out of sample" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "bad, needle",
    [
        ('measure = "cause_share_relocation"', 'measure = "no_such"'),
        ('source = "leboeuf-1987-why-customers-quit"', 'source = "nobody-2020"'),
    ],
)
def test_facts_with_unknown_measures_or_sources_are_refused(tmp_path, capsys, bad, needle):
    (tmp_path / "small.toml").write_text(SMALL.format(relocation=0.02))
    (tmp_path / "t.toml").write_text(TARGETS.format(low=0.5, high=0.6).replace(bad, needle))
    assert (
        main(
            [
                "calibrate",
                str(tmp_path / "small.toml"),
                "--targets",
                str(tmp_path / "t.toml"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert needle.split('"')[1] in err and "Traceback" not in err
