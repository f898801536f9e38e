"""Studies from Python: the same folders, files and numbers as the command line."""

import pandas as pd
import pytest
from test_experiment import tiny_experiment

import relsim
from relsim.cli import main

TINY = [
    "simulation.people=600",
    "simulation.days=120",
    "firms.focal.initial_customers=150",
    "firms.rival.initial_customers=150",
]
ARMS = {"hire": ["firms.focal.account_managers=6"]}


def test_compare_from_python_writes_the_replications_the_command_writes(tmp_path, capsys):
    py = relsim.compare(
        "relsim:baseline", arms=ARMS, reps=3, seed=9, sets=TINY, out=tmp_path / "py"
    )
    argv = ["compare", "relsim:baseline", "--arm", "hire:firms.focal.account_managers=6"]
    argv += ["--reps", "3", "--seed", "9", "--out", str(tmp_path / "cli")]
    argv += [x for s in TINY for x in ("--set", s)]
    assert main(argv) == 0
    capsys.readouterr()
    for name in ("replications.parquet", "ledgers.parquet"):
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    for name in ("summary.csv", "differences.csv", "ranking.csv"):
        assert (tmp_path / "py" / name).read_text() == (tmp_path / "cli" / name).read_text()
    # what the object holds is what it wrote
    assert py.arms == ["baseline", "hire"] and len(py.replications) == 6
    pd.testing.assert_frame_equal(
        py.replications, pd.read_parquet(tmp_path / "cli" / "replications.parquet")
    )
    assert "hire" in py.verdict() and (tmp_path / "py" / "report.html").exists()
    d = py.differences("focal")
    assert set(d["firm"]) == {"focal"} and {"hire", "baseline"} <= set(d["arm"])
    profit = py.summary(["profit"])
    assert set(profit["metric"]) == {"profit"} and len(profit) == 2
    # a second call finds every replication finished and computes nothing
    again = relsim.compare(
        "relsim:baseline", arms=ARMS, reps=3, seed=9, sets=TINY, out=tmp_path / "py"
    )
    assert (again.done, again.found) == (0, 6)
    other = py.report(tmp_path / "elsewhere.html")
    assert other.exists() and other.read_text().count("Plotly.newPlot") > 0


def test_experiment_from_python_judges_the_claims_the_command_judges(tmp_path, capsys):
    spec = tiny_experiment(  # the experiment tests' two arms, a claim the simulation decides
        tmp_path,
        claims="""
[[claims]]
name = "managers cut neglect"
source = "relsim-assumption"
kind = "difference"
metric = "defections_neglect_per_customer_year"
arm = "staffed"
against = "base"
range = [-inf, 0]
""",
        replications=3,
    )
    py = relsim.experiment(spec, out=tmp_path / "py", report=False)
    assert main(["experiment", str(spec), "--out", str(tmp_path / "cli"), "--no-report"]) == 0
    capsys.readouterr()
    assert py.claims is not None
    pd.testing.assert_frame_equal(py.claims, pd.read_csv(tmp_path / "cli" / "claims.csv"))
    assert not (tmp_path / "py" / "report.html").exists()


def test_sweep_from_python_gives_the_command_s_point_means(tmp_path, capsys):
    sets = ", ".join(f'"{k}" = {v}' for k, v in (s.split("=") for s in TINY))
    spec = tmp_path / "s.toml"
    spec.write_text(
        'name = "s"\nscenario = "relsim:baseline"\nreplications = 2\nseed = 3\n'
        f'outputs = ["profit"]\nset = {{ {sets} }}\n'
        '[design]\nmethod = "grid"\n'
        '[[factors]]\nkey = "firms.focal.account_managers"\nvalues = [0, 4]\n'
    )
    py = relsim.sweep(spec, out=tmp_path / "py", report=False)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "cli"), "--no-report"]) == 0
    capsys.readouterr()
    cli = pd.read_parquet(tmp_path / "cli" / "point_means.parquet")
    pd.testing.assert_frame_equal(py.means.reset_index(), cli, check_index_type=False)
    assert len(py.points) == 2 and len(py.runs()) == 4


def test_a_run_measures_itself_and_keeps_its_ledger():
    from conftest import small

    res = relsim.simulate(small(**{"simulation.days": 200}), seed=2)
    m = res.metrics()
    monthly = res.ledger("month")
    # the run's profit is its months' profits; the rival has its own figures
    assert monthly["profit"].sum() == pytest.approx(m["profit"])
    assert res.ledger("day")["profit"].sum() == pytest.approx(m["profit"])
    assert res.metrics("rival")["revenue"] != m["revenue"]
    with pytest.raises(KeyError, match="nobody"):
        res.metrics("nobody")
