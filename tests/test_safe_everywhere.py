"""One rule for every file relsim writes, one notion of a finished unit, one date reader.

Each class of the "safe everywhere" promise has its test here: a single file at a path the
user chose, a folder written as a whole, a marker that must prove the folder, dates that are
read one way or refused, a store that trusts a replication only when all its files are there
unchanged, and inputs that used to end in a traceback or a hang.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relsim.cli import main
from relsim.storage.ownership import MARKER
from relsim.storage.signature import is_signed, sign

TINY = [
    "--set",
    "simulation.people=400",
    "--set",
    "simulation.days=60",
    "--set",
    "firms.focal.initial_customers=100",
    "--set",
    "firms.rival.initial_customers=100",
]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err, err
    lines = [x for x in err.splitlines() if x.strip() and "%|" not in x]
    assert len(lines) == 1, err
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (links as their target's name)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(folder))] = os.readlink(p).encode()
        elif p.is_file():
            out[str(p.relative_to(folder))] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def a_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    return out


# --- single files at a path the user chose --------------------------------------------------


def test_the_signature_proves_content_unchanged(tmp_path):
    p = tmp_path / "a.md"
    p.write_text(sign("# title\n\nbody\n"))
    assert is_signed(p)
    p.write_text(p.read_text().replace("body", "bodY"))  # one character changed
    assert not is_signed(p)
    p.write_text("# title\n\nbody\n")  # no signature at all
    assert not is_signed(p)


@pytest.mark.parametrize("what", ["user file", "symlink", "dangling symlink", "fifo", "folder"])
def test_describe_out_replaces_only_its_own_file(tmp_path, capsys, what):
    target = tmp_path / "target.txt"
    target.write_text("the user's own words")
    out = tmp_path / "odd.md"
    if what == "user file":
        out.write_text("the user's own words")
    elif what == "symlink":
        out.symlink_to(target)
    elif what == "dangling symlink":
        out.symlink_to(tmp_path / "nowhere")
    elif what == "fifo":
        os.mkfifo(out)
    else:
        out.mkdir()
    before = snapshot(tmp_path)
    assert main(["describe", "--out", str(out)]) == 2
    assert "--out" in one_line_error(capsys)
    assert snapshot(tmp_path) == before
    assert out.is_symlink() == (what in ("symlink", "dangling symlink"))


def test_describe_out_rewrites_its_own_file_but_not_once_edited(tmp_path, capsys):
    out = tmp_path / "odd.md"
    assert main(["describe", "--out", str(out)]) == 0
    assert main(["describe", "relsim:understaffed_growth", "--out", str(out)]) == 0
    assert "understaffed" in out.read_text()
    capsys.readouterr()
    out.write_text(out.read_text() + "\nmy note\n")
    assert main(["describe", "--out", str(out)]) == 2
    assert "did not write" in one_line_error(capsys)
    assert out.read_text().endswith("my note\n")


# --- folders written as a whole, and the marker that proves them ------------------------------


def test_report_refuses_a_users_copy_of_a_run(tmp_path, capsys, a_run):
    copy = tmp_path / "mycopy"
    copy.mkdir()
    for p in a_run.iterdir():
        if p.name != MARKER and p.is_file():
            shutil.copy(p, copy / p.name)
    (copy / "report.html").write_text("<p>my own report</p>")
    before = snapshot(copy)
    assert main(["report", str(copy)]) == 2
    assert "marker" in one_line_error(capsys)
    assert snapshot(copy) == before


def test_a_copied_marker_does_not_make_a_folder_relsims(tmp_path, capsys, a_run):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("four years of work")
    shutil.copy(a_run / MARKER, mine / MARKER)
    before = snapshot(mine)
    for argv in (["run", *TINY, "--out", str(mine)], ["report", str(mine)]):
        assert main(argv) == 2
        assert "another folder" in one_line_error(capsys)
        assert snapshot(mine) == before


def test_a_whole_copy_of_a_run_is_not_the_run(tmp_path, capsys, a_run):
    copy = tmp_path / "copy"
    shutil.copytree(a_run, copy)  # a new folder: its own identity, the old one's marker
    before = snapshot(copy)
    assert main(["run", *TINY, "--out", str(copy)]) == 2
    assert "another folder" in one_line_error(capsys)
    assert snapshot(copy) == before


@pytest.mark.parametrize("extra", ["my_notes.txt", "figures/plot.png", "empty/"])
def test_rerunning_into_a_run_folder_keeps_what_the_user_put_there(tmp_path, capsys, extra):
    out = tmp_path / "r"
    assert main(["run", *TINY, "--no-report", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0  # a report added later is relsim's too
    assert main(["run", *TINY, "--no-report", "--out", str(out)]) == 0
    capsys.readouterr()
    p = out / extra.rstrip("/")
    if extra.endswith("/"):
        p.mkdir()
    else:
        p.parent.mkdir(exist_ok=True)
        p.write_text("mine")
    before = snapshot(out)
    assert main(["run", *TINY, "--out", str(out)]) == 2
    assert extra.rstrip("/").split("/")[0] in one_line_error(capsys)
    assert snapshot(out) == before
    assert p.exists()


# --- dates: one way for the whole column, or refused ----------------------------------------


def _log(tmp_path: Path, dates: list[str]) -> Path:
    rows = ["customer_id,date,amount"]
    rows += [f"{i % 7},{d},{5 + i % 3}" for i, d in enumerate(dates)]
    p = tmp_path / "log.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.lists(st.dates(dt.date(2020, 1, 1), dt.date(2024, 12, 31)), min_size=1, max_size=30),
    layout=st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%y"]),
)
def test_a_date_column_is_read_right_or_refused_never_misread(days, layout):
    from relsim.errors import ForecastDataError
    from relsim.forecast.data import read_dates

    text = pd.Series([d.strftime(layout) for d in days])
    try:
        got = read_dates(text, None, "log.csv", "date")
    except ForecastDataError as err:
        # refused only when another layout reads every date too, and differently
        assert "--date-format" in str(err)
        assert "two ways" in str(err)
        return
    assert [t.date() for t in got] == days


def test_an_ambiguous_export_is_refused_and_read_with_the_format_given(tmp_path, capsys):
    # day-first dates whose days are all <= 12: month-first reads every one of them too
    dates = [f"{d:02d}/{m:02d}/2024" for m in range(1, 13) for d in (1, 5, 11) if d != m]
    src = _log(tmp_path, dates)
    assert main(["forecast", str(src), "--model", "bgnbd", "--out", str(tmp_path / "f")]) == 2
    line = one_line_error(capsys)
    assert "--date-format %d/%m/%Y" in line and "--date-format %m/%d/%Y" in line
    assert not (tmp_path / "f").exists()
    from relsim.forecast.data import read_transactions

    tx = read_transactions(src, date_format="%d/%m/%Y")
    assert sorted(tx["date"].dt.strftime("%d/%m/%Y")) == sorted(dates)


def test_a_column_mixing_layouts_is_refused(tmp_path, capsys):
    src = _log(tmp_path, ["2024-03-01", "2024-03-05", "15/03/2024", "2024-04-01"])
    assert main(["forecast", str(src), "--model", "bgnbd", "--out", str(tmp_path / "f")]) == 2
    assert "'15/03/2024' in row 3" in one_line_error(capsys)


# --- stores: a replication is finished only when all its files are there, unchanged --------


@pytest.fixture(scope="module")
def a_comparison(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cmp") / "c"
    argv = ["compare", "relsim:baseline", "--reps", "2", *TINY, "--no-report", "--out", str(out)]
    assert main(argv) == 0
    return out


def _damaged_comparison(tmp_path: Path, original: Path, damage: str) -> Path:
    c = tmp_path / "c"
    argv = ["compare", "relsim:baseline", "--reps", "2", *TINY, "--no-report", "--out", str(c)]
    assert main(argv) == 0
    led = sorted((c / "ledger").glob("*.parquet"))[1]
    met = c / "metrics" / led.name
    if damage == "ledger deleted":
        led.unlink()
    elif damage == "metrics deleted":
        met.unlink()
    elif damage == "metrics of other columns":
        pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(met)
    elif damage == "ledger of other content":
        df = pd.read_parquet(led)
        df.iloc[: len(df) // 2].to_parquet(led, index=False)
    elif damage == "metrics truncated":
        met.write_bytes(met.read_bytes()[:-40])
    return c


@pytest.mark.parametrize(
    "damage",
    [
        "ledger deleted",
        "metrics deleted",
        "metrics of other columns",
        "ledger of other content",
        "metrics truncated",
    ],
)
def test_a_damaged_replication_is_computed_again(tmp_path, capsys, a_comparison, damage):
    c = _damaged_comparison(tmp_path, a_comparison, damage)
    argv = ["compare", "relsim:baseline", "--reps", "2", *TINY, "--no-report", "--out", str(c)]
    assert main(argv) == 0, capsys.readouterr().err
    # the same replications as a comparison that was never damaged
    for name in ("summary.csv", "differences.csv"):
        assert (c / name).read_text() == (a_comparison / name).read_text(), name
    pd.testing.assert_frame_equal(
        pd.read_parquet(c / "ledgers.parquet"), pd.read_parquet(a_comparison / "ledgers.parquet")
    )


@pytest.mark.parametrize("table", ["metrics", "ledger"])
def test_a_table_folder_planted_as_a_link_is_refused(tmp_path, capsys, table):
    c = _damaged_comparison(tmp_path, tmp_path, "none")
    elsewhere = tmp_path / "users"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    shutil.rmtree(c / table)
    (c / table).symlink_to(elsewhere, target_is_directory=True)
    argv = ["compare", "relsim:baseline", "--reps", "2", *TINY, "--no-report", "--out", str(c)]
    assert main(argv) == 2
    assert "symbolic link" in one_line_error(capsys)
    assert snapshot(elsewhere) == {"keep.txt": b"mine"}


def test_a_sweep_report_on_a_truncated_metrics_file_is_one_line(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(
        'name = "s"\nreplications = 1\nseed = 1\nset = { "simulation.people" = 400, '
        '"simulation.days" = 60, "firms.focal.initial_customers" = 100, '
        '"firms.rival.initial_customers" = 100 }\n[[factors]]\n'
        'key = "firms.focal.account_managers"\nvalues = [1, 2]\n'
    )
    out = tmp_path / "sw"
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    met = sorted((out / "metrics").glob("*.parquet"))[0]
    met.write_bytes(met.read_bytes()[:100])
    capsys.readouterr()
    assert main(["report", str(out)]) == 2
    assert "damaged" in one_line_error(capsys)


# --- inputs that used to end in a traceback or a hang ---------------------------------------


@pytest.mark.parametrize("argv_of", ["run", "describe", "validate", "forecast"])
@pytest.mark.parametrize("length", ["component", "path"])
def test_names_too_long_for_the_file_system_get_one_line(tmp_path, capsys, argv_of, length):
    name = "f" * 260 if length == "component" else "/".join(["f" * 200] * 25)
    p = str(tmp_path / name)
    argv = {
        "run": ["run", *TINY, "--out", p],
        "describe": ["describe", "--out", p],
        "validate": ["validate", p],
        "forecast": ["forecast", p],
    }[argv_of]
    assert main(argv) == 2
    one_line_error(capsys)


def test_a_deep_extends_chain_and_a_loop_get_one_line(tmp_path, capsys):
    for i in range(300):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i + 1}.toml"\n')
    (tmp_path / "s300.toml").write_text('extends = "relsim:baseline"\n')
    assert main(["validate", str(tmp_path / "s0.toml")]) == 2
    assert "more than" in one_line_error(capsys)
    # a short chain still works, and one that loops is named as such
    assert main(["validate", str(tmp_path / "s290.toml")]) == 0
    capsys.readouterr()
    (tmp_path / "s300.toml").write_text('extends = "s299.toml"\n')
    assert main(["validate", str(tmp_path / "s298.toml")]) == 2
    assert "loops" in one_line_error(capsys)


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_validate_refuses_devices_and_pipes_without_reading(tmp_path, special):
    path = special
    if special == "fifo":
        path = str(tmp_path / "pipe.toml")
        os.mkfifo(path)
    # in a child process: a read without end would hang this test, not fail it
    r = subprocess.run(
        [sys.executable, "-m", "relsim", "validate", path],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    assert "device or pipe" in r.stderr and "Traceback" not in r.stderr


def test_a_deleted_current_folder_does_not_break_a_run(tmp_path, capsys, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    out = tmp_path / "r"
    assert main(["run", *TINY, "--no-report", "--out", str(out)]) == 0
    assert (out / "manifest.json").is_file()


def _catches(pid: int, sig: int) -> bool:
    # /proc/PID/status lists, as a hex mask, the signals the process has a handler for
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(x.split()[1], 16) for x in text.splitlines() if x.startswith("SigCgt:"))
    return bool(mask >> (sig - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_sigterm_ends_a_run_with_a_line_and_nothing_half_written(tmp_path):
    p = subprocess.Popen(
        [sys.executable, "-m", "relsim", "run", *TINY, "--set", "simulation.people=20000"]
        + ["--set", "simulation.days=3000", "--no-report", "--out", "R"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Signalled once relsim has taken charge of SIGTERM (an event, not a delay).
    while p.poll() is None and not _catches(p.pid, signal.SIGTERM):
        os.sched_yield()
    if p.poll() is not None:  # pragma: no cover - ended before it could be signalled
        pytest.fail(f"relsim ended before SIGTERM: {p.communicate()}")
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=600)
    if p.returncode == 0:  # pragma: no cover - the whole run finished first
        pytest.skip("the run ended before SIGTERM")
    assert p.returncode == 143, err
    assert "SIGTERM" in err and "Traceback" not in err
    left = [x.name for x in (tmp_path / "R").iterdir()] if (tmp_path / "R").exists() else []
    assert all(n.startswith(".") for n in left), left


def test_a_sweep_or_rerun_of_absurd_size_is_refused(tmp_path, capsys, a_comparison):
    spec = tmp_path / "big.toml"
    keys = [
        "firms.focal.account_managers",
        "firms.rival.account_managers",
        "firms.focal.initial_customers",
    ]
    spec.write_text(
        'name = "big"\nreplications = 1\n'
        + "".join(f'[[factors]]\nkey = "{k}"\nvalues = {list(range(1, 60))}\n' for k in keys)
    )
    assert main(["sweep", str(spec), "--out", str(tmp_path / "sw")]) == 2
    assert "205,379 simulations" in one_line_error(capsys)
    assert not (tmp_path / "sw").exists()
    src = tmp_path / "cmp"
    shutil.copytree(a_comparison, src)
    meta = json.loads((src / "manifest.json").read_text())
    meta["replications_finished"] = dict.fromkeys(meta["replications_finished"], 2_000_000)
    (src / "manifest.json").write_text(json.dumps(meta))
    assert main(["rerun", str(src), "--out", str(tmp_path / "again")]) == 2
    assert "2,000,000 simulations" in one_line_error(capsys)


def test_the_app_server_is_quiet_when_a_client_hangs_up(capsys):
    from relsim.app.server import Server

    handle = Server.handle_error
    try:
        raise BrokenPipeError(32, "Broken pipe")
    except BrokenPipeError:
        handle(None, None, ("127.0.0.1", 5000))  # type: ignore[arg-type]
    assert capsys.readouterr().err == ""
    try:
        raise ValueError("odd request")
    except ValueError:
        handle(None, None, ("127.0.0.1", 5000))  # type: ignore[arg-type]
    assert capsys.readouterr().err.count("\n") == 1


# --- messages that name what the user wrote -------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["compare", "relsim:baseline", "--arm", "a:"], "--arm a:"),
        (["compare", "relsim:baseline", "--arm", "a:=3"], "--arm a:=3"),
    ],
)
def test_arm_messages_name_the_arm_option(capsys, argv, needle):
    assert main(argv) == 2
    line = one_line_error(capsys)
    assert needle in line and "--set" not in line


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_penalizer_that_is_no_finite_number_is_refused_up_front(tmp_path, capsys, value):
    src = _log(tmp_path, ["2024-01-01", "2024-02-01", "2024-03-01"])
    assert main(["forecast", str(src), "--penalizer", value, "--out", str(tmp_path / "f")]) == 2
    assert "--penalizer" in one_line_error(capsys)


@pytest.mark.parametrize(
    "header", ["customer_id,date,amount,amount", "customer_id,date,amount,x,x"]
)
def test_a_header_naming_a_column_twice_is_refused(tmp_path, capsys, header):
    extra = header.count(",") - 2
    rows = [header] + [f"{i},2024-0{1 + i % 9}-01,5" + ",1" * extra for i in range(20)]
    src = tmp_path / "dup.csv"
    src.write_text("\n".join(rows) + "\n")
    assert main(["forecast", str(src), "--out", str(tmp_path / "f")]) == 2
    assert "more than once" in one_line_error(capsys)


def test_a_sweep_with_no_outputs_is_refused(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(
        'name = "s"\noutputs = []\n[[factors]]\nkey = "firms.focal.account_managers"\n'
        "values = [1, 2]\n"
    )
    assert main(["sweep", str(spec), "--out", str(tmp_path / "sw")]) == 2
    assert "outputs" in one_line_error(capsys)
    assert not (tmp_path / "sw").exists()
