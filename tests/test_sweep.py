"""Sweeps: designs, identical results on every backend, resume after any interruption, and
sensitivity indices checked against what theory says they must be."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sampling import z_two

from relsim.config.schema import validate
from relsim.errors import OutputError, SweepError
from relsim.experiments.backends import DaskCluster, InProcess, LocalProcesses
from relsim.experiments.engine import AbortedError
from relsim.experiments.sensitivity import analyse, point_means
from relsim.experiments.store import Store
from relsim.experiments.sweep_summary import summarise_sweep
from relsim.experiments.sweeps import (
    Sweep,
    SweepPlan,
    draw_design,
    load_sweep,
    open_sweep_store,
    plan_sweep,
    point_values,
    read_runs,
)
from relsim.experiments.sweeps import run_sweep as _run_sweep
from relsim.model.rates import YEAR

HERE = Path(__file__).resolve().parent


def run_sweep(plan, out, backend=None, replications=None):
    with open_sweep_store(plan, out) as store:
        return _run_sweep(plan, store, backend, replications)


def finished_runs(out: Path) -> set:
    return Store(out, "sweep", "").finished()


SMALL = (
    'set = { "simulation.people" = 600, "simulation.days" = 365, '
    '"firms.focal.initial_customers" = 150, "firms.rival.initial_customers" = 150 }\n'
)
DAYS = 365


def write_spec(tmp_path: Path, body: str, name: str = "s") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nseed = 5\n' + SMALL + body)
    return path


GRID = """replications = 2
outputs = ["profit", "retention_rate"]
[design]
method = "grid"
[[factors]]
key = "firms.focal.account_managers"
name = "managers"
values = [1, 2]
[[factors]]
key = "firms.focal.price_index"
values = [0.94, 1.0, 1.06, 1.12]
"""


@pytest.fixture(scope="module")
def grid_reference(tmp_path_factory):
    """The grid sweep run uninterrupted in this process: the reference every backend meets."""
    tmp = tmp_path_factory.mktemp("sweep")
    spec = write_spec(tmp, GRID, "grid")
    plan = plan_sweep(load_sweep(spec), spec)
    run_sweep(plan, tmp / "ref")
    return spec, plan, read_runs(tmp / "ref")


# --- the sweep file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            '[design]\nmethod = "sobol"\nsamples = 8\n[[factors]]\nkey = "a.b"\nvalues = [1, 2]\n',
            "samples a range: expected low and high",
        ),
        (
            '[design]\nmethod = "sobol"\nsamples = 10\n'
            '[[factors]]\nkey = "a.b"\nlow = 0\nhigh = 1\n',
            "design: samples",
        ),
        ('[[factors]]\nkey = "a.b"\nlow = 2\nhigh = 1\n', "expected low < high"),
        ('[[factors]]\nkey = "a.b"\nlow = 0\nhigh = 1\n', "a grid needs values"),
        ('replications = 0\n[[factors]]\nkey = "a.b"\nvalues = [1]\n', "replications"),
        ('[[factors]]\nkey = "a.b"\nvalues = [1]\ncolour = "red"\n', "factors.0.colour"),
    ],
)
def test_sweep_file_errors_name_the_file_and_the_key(tmp_path, body, expected):
    spec = write_spec(tmp_path, body)
    with pytest.raises(SweepError) as err:
        load_sweep(spec)
    assert str(spec) in str(err.value) and expected in str(err.value)


def test_a_point_that_is_not_a_valid_scenario_is_named_before_anything_runs(tmp_path):
    spec = write_spec(
        tmp_path, '[[factors]]\nkey = "firms.focal.account_managers"\nvalues = [2, -1]\n'
    )
    with pytest.raises(SweepError) as err:
        plan_sweep(load_sweep(spec), spec)
    msg = str(err.value)
    assert "point 1" in msg and "firms.focal.account_managers=-1" in msg
    assert not (tmp_path / "results").exists()


def test_grid_is_the_full_factorial_and_samples_are_repeatable(tmp_path, grid_reference):
    _, plan, _ = grid_reference
    pairs = set(zip(plan.points["managers"], plan.points["firms_focal_price_index"], strict=True))
    assert pairs == {(m, p) for m in (1, 2) for p in (0.94, 1.0, 1.06, 1.12)}
    lhs = (
        '[design]\nmethod = "lhs"\nsamples = 12\n[[factors]]\n'
        'key = "firms.focal.price_index"\nlow = 0.9\nhigh = 1.1\n'
    )
    a = plan_sweep(load_sweep(write_spec(tmp_path, lhs, "a")), tmp_path / "a.toml")
    b = plan_sweep(load_sweep(write_spec(tmp_path, lhs, "b")), tmp_path / "b.toml")
    np.testing.assert_array_equal(a.design, b.design)
    # A Latin hypercube puts exactly one point in each of the 12 equal strata.
    strata = np.floor((a.design[:, 0] - 0.9) / 0.2 * 12).astype(int)
    assert sorted(strata) == list(range(12))


# --- backends and resume ----------------------------------------------------------------


@pytest.mark.dask_scheduler_in_process
def test_same_sweep_on_local_processes_and_dask_local_cluster_gives_identical_tables(
    tmp_path, grid_reference
):
    _, plan, ref = grid_reference
    with LocalProcesses(2) as backend:
        run_sweep(plan, tmp_path / "local", backend)
    with DaskCluster(local_workers=2) as backend:
        run_sweep(plan, tmp_path / "dask", backend)
    assert len(ref) == 8 * 2
    pd.testing.assert_frame_equal(read_runs(tmp_path / "local"), ref)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "dask"), ref)


def _worker_settings() -> dict:
    import dask

    return {
        "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "profile": dask.config.get("distributed.worker.profile.enabled"),
        "tick": dask.config.get("distributed.admin.tick.interval"),
    }


@pytest.mark.dask_scheduler_in_process
def test_dask_workers_run_with_relsims_settings_and_the_docs_give_the_same():
    import yaml

    from relsim.experiments.backends import QUIET_WORKERS

    with DaskCluster(local_workers=1) as backend:
        seen = backend.submit(_worker_settings).result()
    # no MALLOC_TRIM_THRESHOLD_ (it turns glibc's adaptive mmap threshold off), one
    # OpenMP thread, no profiler, a slow tick
    assert seen == {
        "MALLOC_TRIM_THRESHOLD_": None,
        "OMP_NUM_THREADS": "1",
        "profile": False,
        "tick": "1s",
    }
    # docs/dask-workers.yaml, for workers started by hand on a cluster, says the same
    doc = yaml.safe_load((HERE.parent / "docs" / "dask-workers.yaml").read_text())

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                out.update(flat(v, key))
            else:
                out[key] = v
        return out

    assert flat(doc) == QUIET_WORKERS


def _start_sweep(spec: Path, out: Path, block_price: float, workers: int = 2) -> subprocess.Popen:
    # The points at one price block for ever (tests/blocking.py), so the sweep cannot finish
    # before the test interrupts it, however fast or slow the machine is.
    # SIGINT is restored first: a test run started in the background inherits it ignored, and
    # Python then installs no KeyboardInterrupt handler (Ctrl-C is what the test sends).
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "import sys; sys.path.insert(0, sys.argv[1]); import blocking; "
        "import relsim.experiments.sweeps as s; "
        f"s.replicate = blocking.blocking_at_price({block_price}); "
        "from relsim.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            str(HERE),
            "sweep",
            str(spec),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--no-report",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_runs(out: Path, n: int, proc: subprocess.Popen) -> None:
    # A generous bound, not a measurement: a sweep that stops making progress fails here
    # with its own message, before the suite's per-test timeout (pyproject.toml).
    deadline = time.monotonic() + 300
    while not (out / "metrics").is_dir() or len(finished_runs(out)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"fewer than {n} runs finished in {out}"
        time.sleep(0.05)


def test_killed_sweep_resumed_ends_with_exactly_the_rows_of_an_uninterrupted_one(
    tmp_path, grid_reference
):
    spec, _, ref = grid_reference
    out = tmp_path / "killed"
    proc = _start_sweep(spec, out, block_price=1.12)
    _wait_for_runs(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-sweep
    proc.communicate()
    kept = len(finished_runs(out))
    assert 3 <= kept <= 6  # the two points at price 1.12 never finished
    resumed = subprocess.run(
        [sys.executable, "-m", "relsim.cli", "sweep", str(spec), "--out", str(out), "--no-report"],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(ref) - kept} run now, {kept} found finished" in resumed.stdout
    pd.testing.assert_frame_equal(read_runs(out), ref)


def test_ctrl_c_keeps_finished_replications_and_exits_130(tmp_path, grid_reference):
    spec, _, ref = grid_reference
    out = tmp_path / "interrupted"
    proc = _start_sweep(spec, out, block_price=1.12, workers=1)
    _wait_for_runs(out, 3, proc)  # in this process: points 0-2 done, point 3 blocks
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    kept = len(finished_runs(out))
    assert kept == 3
    assert f"the {kept} finished replications are kept" in err
    assert "Traceback" not in err
    assert not list(out.rglob("*partial*"))  # no half-written file
    rows = read_runs(out)
    key = ["point", "replication"]
    pd.testing.assert_frame_equal(rows, ref.merge(rows[key], on=key))


def test_workers_end_when_the_sweep_process_is_killed(tmp_path, grid_reference):
    spec, _, _ = grid_reference
    out = tmp_path / "orphans"
    proc = _start_sweep(spec, out, block_price=1.12)
    _wait_for_runs(out, 3, proc)
    children = _children(proc.pid)
    assert children, "the sweep should have worker processes"
    os.kill(proc.pid, signal.SIGKILL)  # the driver only: its workers are orphaned
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):  # the orphans hold the other ends open
        if pipe is not None:
            pipe.close()
    # Each worker watches its parent and exits once it is gone (it checks twice a second);
    # the deadline is a generous bound, not a measurement.
    deadline = time.monotonic() + 120
    while any(_alive(c) for c in children):
        assert time.monotonic() < deadline, [c for c in children if _alive(c)]
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_damaged_replication_file_is_set_aside_and_computed_again(tmp_path, grid_reference):
    _, plan, ref = grid_reference
    out = tmp_path / "damaged"
    run_sweep(plan, out)
    victim = sorted((out / "metrics").glob("*.parquet"))[3]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated, as by a crash or a full disk
    with open_sweep_store(plan, out) as store:
        assert [p.name for p in store.set_aside] == [victim.name]
        status = _run_sweep(plan, store)
    assert (status.done, status.found) == (1, len(ref) - 1)
    assert (out / "set_aside" / "metrics" / victim.name).exists()
    pd.testing.assert_frame_equal(read_runs(out), ref)


def test_failed_replication_is_recorded_and_retried_on_rerun(tmp_path, monkeypatch, grid_reference):
    import relsim.experiments.sweeps as sweeps

    _, plan, ref = grid_reference
    real = sweeps.replicate

    def flaky(data, seed, rep, *args):
        if data["firms"]["focal"]["price_index"] == 1.06 and rep == 1:
            raise RuntimeError("disk full")
        return real(data, seed, rep, *args)

    monkeypatch.setattr(sweeps, "replicate", flaky)
    status = run_sweep(plan, tmp_path / "out")
    assert (status.done, status.failed) == (len(ref) - 2, 2)
    failures = sorted((tmp_path / "out" / "failed").glob("*.txt"))
    assert len(failures) == 2 and "disk full" in failures[0].read_text()
    monkeypatch.setattr(sweeps, "replicate", real)
    status = run_sweep(plan, tmp_path / "out")
    assert (status.found, status.done, status.failed) == (len(ref) - 2, 2, 0)
    assert not list((tmp_path / "out" / "failed").glob("*.txt"))
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), ref)


class _DyingWorkers(InProcess):
    """A backend whose workers die ``deaths`` times, as a killed local process pool does."""

    def __init__(self, deaths: int) -> None:
        super().__init__()
        self.deaths, self.restarts = deaths, 0

    def submit(self, fn, *args):
        if self.restarts >= self.deaths:
            return super().submit(fn, *args)
        fut = Future()
        fut.set_exception(BrokenProcessPool("a worker died"))
        return fut

    def restart(self) -> None:
        self.restarts += 1


def test_dead_workers_are_replaced_and_their_replications_rerun(tmp_path, grid_reference):
    _, plan, ref = grid_reference
    status = run_sweep(plan, tmp_path / "out", _DyingWorkers(2))
    assert status.restarts == 2 and status.failed == 0
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), ref)
    with pytest.raises(AbortedError):
        run_sweep(plan, tmp_path / "again", _DyingWorkers(10))
    assert len(finished_runs(tmp_path / "again")) == 0


def test_a_results_directory_of_another_sweep_is_refused(tmp_path, grid_reference):
    spec, plan, _ = grid_reference
    other = write_spec(tmp_path, GRID.replace("0.94", "0.9"), "other")
    out = tmp_path / "out"
    run_sweep(plan, out, replications=1)
    with pytest.raises(OutputError, match="holds the results of a different sweep"):
        run_sweep(plan_sweep(load_sweep(other), other), out)
    assert len(finished_runs(out)) == len(plan.points)


def test_results_are_one_parquet_dataset_that_duckdb_queries(grid_reference, tmp_path):
    import duckdb  # a test dependency: missing is an error, not a skip

    _, plan, ref = grid_reference
    run_sweep(plan, tmp_path / "out")
    con = duckdb.connect()
    got = con.execute(
        "SELECT managers, avg(profit) AS profit FROM "
        f"read_parquet('{tmp_path}/out/metrics/*.parquet') GROUP BY managers ORDER BY managers"
    ).df()
    want = ref.groupby("managers")["profit"].mean()
    np.testing.assert_allclose(got["profit"], want.to_numpy(), rtol=1e-12)


# --- sensitivity: what theory says the indices must be ----------------------------------
# The focal firm's "other" costs enter its profit linearly (profit falls by days / YEAR per
# unit a year) and change nothing customers do; the rival's "other" costs do not touch the
# focal firm at all. With common random numbers the focal profit is therefore exactly
# linear in the first factor and independent of the second: S1 = ST = 1 and 0, and Morris'
# elementary effect of the first is the slope times its range at every step.

COST_FACTORS = """replications = 1
outputs = ["profit"]
[[factors]]
key = "firms.focal.costs.other_per_year"
name = "own_cost"
{own}
[[factors]]
key = "firms.rival.costs.other_per_year"
name = "rival_cost"
{rival}
"""
RANGE = "low = 0\nhigh = 100000"


def _indices(tmp_path: Path, design: str, own: str = RANGE, rival: str = RANGE):
    top, factors = COST_FACTORS.format(own=own, rival=rival).split("[[factors]]", 1)
    spec = write_spec(tmp_path, top + design + "[[factors]]" + factors, "cost")
    plan = plan_sweep(load_sweep(spec), spec)
    run_sweep(plan, tmp_path / "out")
    means, _ = point_means(read_runs(tmp_path / "out"), ["profit"], len(plan.points))
    indices, notes = analyse(plan, means, ["profit"])
    assert not notes
    return indices.set_index(["factor", "measure"])


def test_sobol_glue_recovers_the_ishigami_indices():
    # Ishigami (1990): y = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1 on [-pi, pi]^3 has
    # S1 = (0.3139, 0.4424, 0) and ST = (0.5576, 0.4424, 0.2437) (Saltelli et al. 2008, 4.x).
    # Run through relsim's design and analysis with the sweep's points as the inputs.
    factors = [
        {"key": f"x.x{i}", "name": f"x{i}", "low": -math.pi, "high": math.pi} for i in (1, 2, 3)
    ]
    sweep = validate(
        {
            "name": "ishigami",
            "outputs": ["profit"],
            "factors": factors,
            "design": {"method": "sobol", "samples": 1024},
        },
        Sweep,
    )
    design = draw_design(sweep)
    plan = SweepPlan(sweep, "ishigami", {}, design, point_values(sweep, design))
    x1, x2, x3 = (plan.points[f"x{i}"].to_numpy() for i in (1, 2, 3))
    y = np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    means = pd.DataFrame({"profit": y}, index=plan.points["point"])
    ix, notes = analyse(plan, means, ["profit"])
    assert not notes
    ix = ix.set_index(["factor", "measure"])
    truth = {
        ("x1", "S1"): 0.3139,
        ("x2", "S1"): 0.4424,
        ("x3", "S1"): 0.0,
        ("x1", "ST"): 0.5576,
        ("x2", "ST"): 0.4424,
        ("x3", "ST"): 0.2437,
    }
    for key, want in truth.items():
        value, conf = ix.loc[key, ["value", "conf"]]
        # conf is the half-width of SALib's 95% bootstrap interval (about 2 standard errors):
        # the estimate must lie within two of them of the truth, and they must be narrow.
        assert abs(value - want) <= 2 * conf, (key, value, conf)
        assert conf < 0.1, (key, conf)


def test_a_cost_the_output_does_not_depend_on_has_sobol_indices_exactly_zero(tmp_path):
    ix = _indices(tmp_path, '[design]\nmethod = "sobol"\nsamples = 8\n')
    # Focal profit is untouched by the rival's costs (common random numbers): whatever the
    # sample size, every difference the estimators take for that factor is exactly zero.
    assert ix.loc[("rival_cost", "S1"), "value"] == pytest.approx(0, abs=1e-12)
    assert ix.loc[("rival_cost", "ST"), "value"] == pytest.approx(0, abs=1e-12)


def test_morris_elementary_effect_is_the_cost_slope_times_the_range(tmp_path):
    ix = _indices(tmp_path, '[design]\nmethod = "morris"\nsamples = 4\nlevels = 4\n')
    slope_times_range = DAYS / YEAR * 100000
    assert ix.loc[("own_cost", "mu_star"), "value"] == pytest.approx(slope_times_range, rel=1e-9)
    assert ix.loc[("own_cost", "sigma"), "value"] == pytest.approx(0, abs=1e-6)
    assert ix.loc[("rival_cost", "mu_star"), "value"] == pytest.approx(0, abs=1e-9)


def test_grid_main_effects_split_the_variance_of_an_additive_output_exactly(tmp_path):
    ix = _indices(
        tmp_path,
        '[design]\nmethod = "grid"\n',
        own="values = [0, 50000, 100000]",
        rival="values = [0, 100000]",
    )
    assert ix.loc[("own_cost", "S1"), "value"] == pytest.approx(1, abs=1e-12)
    assert ix.loc[("rival_cost", "S1"), "value"] == pytest.approx(0, abs=1e-12)


def test_rbd_fast_on_a_latin_hypercube_finds_the_cost_that_matters(tmp_path):
    ix = _indices(tmp_path, '[design]\nmethod = "lhs"\nsamples = 24\n')
    # Focal profit is linear in its own cost and untouched by the rival's (common random
    # numbers), so in theory S1 is 1 for the own cost and 0 for the rival's. SALib's ``conf``
    # is the half-width of a 95% bootstrap interval: rescaled to the suite's level, two-sided.
    scale = z_two() / z_two(0.95)
    own, conf = ix.loc[("own_cost", "S1"), ["value", "conf"]]
    rival, rconf = ix.loc[("rival_cost", "S1"), ["value", "conf"]]
    assert abs(own - 1.0) <= scale * conf, (own, conf)
    assert abs(rival) <= scale * rconf, (rival, rconf)


# --- the command ------------------------------------------------------------------------


def test_cli_sweep_writes_dataset_sensitivity_and_report(tmp_path, grid_reference):
    from relsim.cli import main

    spec, plan, ref = grid_reference
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out"
    pd.testing.assert_frame_equal(read_runs(out), ref)
    sens = pd.read_csv(out / "sensitivity.csv")
    assert set(sens["factor"]) == {"managers", "firms_focal_price_index"}
    html = (out / "report.html").read_text()
    assert "Plotly.newPlot" in html and "<script src=" not in html  # plotly.js inlined
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2


def test_summary_uses_only_replications_every_point_has(tmp_path, grid_reference):
    _, plan, ref = grid_reference
    out = tmp_path / "out"
    run_sweep(plan, out, replications=1)
    partial = summarise_sweep(plan, out, 2)
    assert partial.counts["finished"] == len(plan.points)
    means = partial.means
    want = ref[ref["replication"] == 0].set_index("point")["profit"]
    pd.testing.assert_series_equal(means["profit"], want, check_names=False)
