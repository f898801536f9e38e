"""The command line: a run writes a complete directory; bad input writes nothing and exits 2."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from relsim.cli import main

SMALL = [
    "--set",
    "simulation.people=2000",
    "--set",
    "simulation.days=90",
    "--set",
    "firms.focal.initial_customers=500",
    "--set",
    "firms.rival.initial_customers=500",
]


def test_run_writes_tables_manifest_and_report(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--seed", "9", "--out", str(out), *SMALL]) == 0
    for name in ("transactions", "events", "customers", "timeseries"):
        assert len(pd.read_parquet(out / f"{name}.parquet")) > 0
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["seed"] == 9
    assert meta["scenario"]["simulation"]["people"] == 2000
    assert meta["versions"]["simpy"] and meta["timings"]["simulate_seconds"] > 0
    assert meta["event_counts"]["purchases"] == meta["rows"]["transactions"]
    html = (out / "report.html").read_text()
    # plotly.js is inlined, so the report works offline: no script is loaded from elsewhere
    assert "<script" in html and not re.search(r"<script[^>]*\bsrc=", html)
    assert "focal" in capsys.readouterr().out
    # facts reads the run back
    assert main(["facts", str(out)]) == 0
    assert "defections by neglect" in capsys.readouterr().out


def test_console_script_runs_and_validates(tmp_path):
    out = tmp_path / "r"
    done = subprocess.run(
        [sys.executable, "-m", "relsim.cli", "run", "--out", str(out), *SMALL],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "manifest.json").exists()
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
    done = subprocess.run(
        [sys.executable, "-m", "relsim.cli", "validate", str(scenario)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "valid scenario 'baseline'" in done.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--set", "firms.focal.account_managers=-1"], "firms.focal.account_managers"),
        (["--set", "firms.focal.acount_managers=3"], "unknown key"),
        (["--set", "simulation.days=abc"], "simulation.days"),
        (["--set", "nonsense"], "expected KEY=VALUE"),
    ],
)
def test_bad_override_exits_2_and_writes_nothing(tmp_path, capsys, args, needle):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_bad_scenario_file_exits_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation]\npeople = -5\n")
    out = tmp_path / "run"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "simulation.people" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["validate", str(bad)]) == 2


def test_facts_on_something_that_is_not_a_run_exits_2(tmp_path, capsys):
    assert main(["facts", str(tmp_path)]) == 2
    assert "manifest.json: missing" in capsys.readouterr().err


def test_a_failed_rerun_leaves_the_previous_run_intact(tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), *SMALL]) == 0
    before = (out / "manifest.json").read_text()

    def broken(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("relsim.reporting.run_report.write_run_report", broken)
    assert main(["run", "--out", str(out), "--seed", "2", *SMALL]) == 130
    assert (out / "manifest.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no partial directory left


def test_app_host_warns_that_the_page_is_exposed_and_refuses_a_non_address(
    tmp_path, capsys, monkeypatch
):
    import socket

    import relsim.app.server

    served = []
    monkeypatch.setattr(relsim.app.server, "serve", lambda **kw: served.append(kw))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    assert main(["app", "--host", "0.0.0.0", "--port", port]) == 0
    err = capsys.readouterr().err
    assert "warning: --host 0.0.0.0 exposes the page" in err
    assert main(["app", "--port", port]) == 0  # this machine only: no warning
    assert "warning" not in capsys.readouterr().err
    assert [kw["host"] for kw in served] == ["0.0.0.0", "127.0.0.1"]
    assert main(["app", "--host", "classroom", "--port", port]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--host 'classroom': expected an IP address" in err
    assert len(served) == 2


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_app_workers_end_with_the_server(tmp_path, how):
    """No simulation computes on for nobody: the page's workers go when the server goes,
    whether it was stopped (SIGTERM) or killed with no chance to clean up (SIGKILL)."""
    import os
    import signal
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "relsim.cli", "app", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children_file = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if not children_file.exists():
        server.kill()
        pytest.skip("needs Linux's /proc to list a process's children")

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except (FileNotFoundError, IndexError):
            return False

    deadline = time.monotonic() + 120  # a generous bound, not a measurement
    workers: list[int] = []
    while len(workers) < 2:  # the pool starts as the server warms the lesson's runs
        assert server.poll() is None and time.monotonic() < deadline
        workers = [int(p) for p in children_file.read_text().split()]
        time.sleep(0.2)
    os.kill(server.pid, getattr(signal, how))
    server.wait(timeout=60)
    while any(alive(w) for w in workers):
        assert time.monotonic() < deadline, [w for w in workers if alive(w)]
        time.sleep(0.2)
