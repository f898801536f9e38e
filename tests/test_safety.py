"""Safe with a user's files and inputs: relsim deletes or replaces only what it wrote, bad
input gets one clear line and exit status 2, and no input ends in a traceback."""

from __future__ import annotations

import errno
import json
import os
import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relsim.cli import main
from relsim.storage.ownership import MARKER, FolderLock

ROOT = Path(__file__).resolve().parent.parent
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
TINY_SWEEP = (
    'name = "s"\nreplications = 1\nseed = 1\nset = { "simulation.people" = 400, '
    '"simulation.days" = 60, "firms.focal.initial_customers" = 100, '
    '"firms.rival.initial_customers" = 100 }\n[[factors]]\n'
    'key = "firms.focal.account_managers"\nvalues = [1, 2]\n'
)
TINY_EXPERIMENT = (
    'name = "e"\nreplications = 2\nseed = 1\n[[arms]]\nname = "{arm}"\n'
    'set = { "simulation.people" = 400, "simulation.days" = 60, '
    '"firms.focal.initial_customers" = 100, "firms.rival.initial_customers" = 100 }'
    "\n"
)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "internal error" not in err, err  # a bug, reported as such
    lines = [x for x in err.splitlines() if x.strip() and "%|" not in x]
    assert len(lines) == 1, err
    return lines[0]


def user_folder(tmp_path: Path) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "thesis.txt").write_text("four years of work")
    return d


def csv_log(tmp_path: Path) -> Path:
    rows = ["customer_id,date,amount"]
    for c in range(30):
        for k in range(1 + c % 4):
            rows.append(f"{c},2024-{1 + (c + 3 * k) % 12:02d}-{1 + k:02d},{5 + c % 7}")
    p = tmp_path / "log.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def commands(tmp_path: Path) -> dict[str, list[str]]:
    """Each command that writes a folder, with everything but --out."""
    sweep = tmp_path / "s.toml"
    sweep.write_text(TINY_SWEEP)
    exp = tmp_path / "e.toml"
    exp.write_text(TINY_EXPERIMENT.replace("{arm}", "a"))
    return {
        "run": ["run", *TINY],
        "compare": ["compare", "relsim:baseline", "--reps", "1", *TINY],
        "experiment": ["experiment", str(exp)],
        "sweep": ["sweep", str(sweep)],
        "forecast": ["forecast", str(csv_log(tmp_path)), "--model", "bgnbd"],
    }


# --- ownership -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare", "experiment", "sweep", "forecast"])
def test_a_users_folder_or_file_at_out_is_refused_and_left_alone(tmp_path, capsys, command):
    args = commands(tmp_path)[command]
    mine = user_folder(tmp_path)
    assert main([*args, "--out", str(mine)]) == 2
    assert "relsim did not write it" in one_line_error(capsys)
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.txt"]
    assert (mine / "thesis.txt").read_text() == "four years of work"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    assert main([*args, "--out", str(a_file)]) == 2
    assert "a file is there" in one_line_error(capsys)
    assert a_file.read_text() == "keep me"
    assert not list(tmp_path.glob(".*"))  # nothing hidden beside them either


def test_the_current_folder_is_refused_even_when_it_is_empty(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", *TINY, "--out", "."]) == 2
    assert "the current folder" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_run_replaces_only_its_own_earlier_run(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    first = json.loads((out / "manifest.json").read_text())
    assert json.loads((out / MARKER).read_text())["kind"] == "run"
    assert main(["run", *TINY, "--seed", "5", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5 != first["seed"]
    # a folder of another kind of results is not a run folder
    assert main(["forecast", str(out), "--out", str(out), "--model", "bgnbd"]) == 2
    assert "holds relsim run results" in one_line_error(capsys)


@pytest.mark.parametrize("name", ["../../x", "/abs/x", "..", "a/b", "x" * 65, "é"])
def test_names_that_would_become_paths_are_refused(tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert main(["run", *TINY, "--set", f'name="{name}"']) == 2
    assert "name:" in one_line_error(capsys)
    exp = tmp_path / "e.toml"
    exp.write_text(TINY_EXPERIMENT.replace("{arm}", name))
    assert main(["experiment", str(exp), "--out", str(tmp_path / "o")]) == 2
    one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml"]


def test_a_scenario_file_name_that_is_no_slug_becomes_one(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    odd = tmp_path / "my scenario (v2).toml"
    odd.write_text('extends = "relsim:baseline"\n')
    assert main(["validate", str(odd)]) == 0
    assert "'my-scenario-v2'" in capsys.readouterr().out


def test_comparisons_of_different_questions_never_share_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "relsim:baseline", "--reps", "1", *TINY]) == 0
    assert (
        main(
            [
                "compare",
                "relsim:baseline",
                "--reps",
                "1",
                *TINY,
                "--set",
                "firms.focal.account_managers=5",
            ]
        )
        == 0
    )
    assert main(["compare", "relsim:baseline", "--reps", "1", "--seed", "9", *TINY]) == 0
    folders = sorted(p.name for p in (tmp_path / "results" / "compare").iterdir())
    assert len(folders) == 3 and all(f.startswith("baseline-") for f in folders)
    # the same question again resumes its own folder
    assert main(["compare", "relsim:baseline", "--reps", "1", *TINY]) == 0
    assert "0 run now, 1 found finished" in capsys.readouterr().out
    assert len(list((tmp_path / "results" / "compare").iterdir())) == 3


def test_a_folder_another_process_writes_is_refused(tmp_path, capsys):
    args = commands(tmp_path)
    out = tmp_path / "busy"
    assert main([*args["sweep"], "--out", str(out), "--no-report"]) == 0
    with FolderLock(out):  # as a second relsim process would hold it
        assert main([*args["sweep"], "--out", str(out)]) == 2
        assert "another relsim process is writing it" in one_line_error(capsys)
        assert main(["report", str(out)]) == 2
        assert "another relsim process is writing it" in one_line_error(capsys)
    run = tmp_path / "run"
    assert main([*args["run"], "--out", str(run)]) == 0
    with FolderLock(run):
        assert main([*args["run"], "--out", str(run)]) == 2
        assert "another relsim process" in one_line_error(capsys)


def test_rebuilding_a_sweep_report_keeps_the_manifests_provenance(tmp_path):
    args = commands(tmp_path)
    out = tmp_path / "sw"
    assert main([*args["sweep"], "--out", str(out), "--workers", "1"]) == 0
    before = json.loads((out / "manifest.json").read_text())
    assert main(["report", str(out)]) == 0
    after = json.loads((out / "manifest.json").read_text())
    for key in ("command", "backend", "wall_seconds", "last_call"):
        assert after[key] == before[key], key


def test_leftovers_of_a_killed_write_are_cleaned_by_the_next_run(tmp_path):
    from relsim.storage.atomic import OLD, partial_name

    out = tmp_path / "r"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    stale = partial_name(out)
    stale.mkdir()
    (stale / "transactions.parquet").write_bytes(b"half")
    assert main(["run", *TINY, "--out", str(out)]) == 0
    assert not stale.exists()
    # killed between the two renames of a replacement: the complete old folder is put back
    # before anything else happens to it
    from relsim.storage.ownership import write_owned_dir

    before = (out / "manifest.json").read_text()
    old = partial_name(out, OLD)
    os.replace(out, old)

    def interrupted(tmp):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # the next write is interrupted in turn
        write_owned_dir(out, "run", interrupted)
    assert (out / "manifest.json").read_text() == before and not old.exists()


# --- the disk --------------------------------------------------------------------------------


def test_a_full_disk_is_an_expected_failure_and_the_previous_run_survives(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "r"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    before = (out / "manifest.json").read_text()

    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    import pyarrow.parquet as pq

    # the tables are written a row group at a time: the disk fills up in the middle of one
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    assert main(["run", *TINY, "--seed", "3", "--out", str(out)]) == 2
    assert "the disk is full" in one_line_error(capsys)
    assert (out / "manifest.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_long_but_legal_output_name_works(tmp_path):
    out = tmp_path / ("r" * 245)
    assert main(["run", *TINY, "--out", str(out), "--no-report"]) == 0
    assert (out / "manifest.json").exists()


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        "switching.price_intercept=nan",
        "switching.neglect_max_per_year=inf",
        "firms.focal.costs.other_per_year=inf",
        "population.trial_logit=-inf",
    ],
)
def test_nan_and_infinity_are_refused_in_scenarios(capsys, setting):
    assert main(["validate", "relsim:baseline", "--set", setting]) == 2
    assert "finite number" in one_line_error(capsys)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["forecast", "X", "--margin", "nan"], "--margin"),
        (["forecast", "X", "--horizon", "-5"], "--horizon"),
        (["forecast", "X", "--horizon", "0"], "--horizon"),
        (["forecast", "X", "--calibration-end", "notadate"], "--calibration-end"),
        (["experiment", "X", "--reps", "0"], "--reps"),
        (["compare", "X", "--workers", "0"], "--workers"),
        (["run", "--seed", "-1"], "--seed"),
        (["app", "--port", "99999"], "--port"),
    ],
)
def test_bad_options_get_one_line_and_exit_2(capsys, args, needle):
    assert main(args) == 2
    assert needle in one_line_error(capsys)


def test_an_experiment_range_of_nan_is_refused(tmp_path, capsys):
    p = tmp_path / "e.toml"
    p.write_text(
        TINY_EXPERIMENT.replace("{arm}", "a") + '[[claims]]\nname = "c"\nsource = "s"\n'
        'arm = "a"\nrange = [nan, nan]\n'
    )
    assert main(["experiment", str(p)]) == 2
    assert "not nan" in one_line_error(capsys)


def test_an_unknown_sweep_output_is_refused_before_anything_runs(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text(TINY_SWEEP.replace("seed = 1\n", 'seed = 1\noutputs = ["profit", "proft"]\n'))
    assert main(["sweep", str(p), "--out", str(tmp_path / "o")]) == 2
    assert "proft" in one_line_error(capsys)
    assert not (tmp_path / "o").exists()


# --- files that are not what they should be -------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00binary\x00",
        b'name = "\xe9t\xe9"\n',
        b"a = " + b"[" * 2000 + b"]" * 2000 + b"\n",
        b"a = " + b"{b = " * 1000 + b"1" + b"}" * 1000 + b"\n",
    ],
)
def test_unreadable_scenario_files_get_one_line(tmp_path, capsys, content):
    p = tmp_path / "bad.toml"
    p.write_bytes(content)
    assert main(["validate", str(p)]) == 2
    assert str(p) in one_line_error(capsys)
    child = tmp_path / "child.toml"
    child.write_text('extends = "bad.toml"\n')
    assert main(["run", str(child), "--out", str(tmp_path / "o")]) == 2
    assert str(p) in one_line_error(capsys)
    exp = tmp_path / "e.toml"
    exp.write_bytes(content)
    assert main(["experiment", str(exp)]) == 2
    one_line_error(capsys)


@pytest.fixture(scope="module")
def a_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    assert (
        main(["run", *TINY, "--set", "simulation.days=400", "--out", str(out), "--no-report"]) == 0
    )
    return out


@pytest.mark.parametrize(
    "damage",
    [
        "manifest-not-json",
        "manifest-no-scenario",
        "manifest-seed-text",
        "table-wrong-columns",
        "table-truncated",
    ],
)
@pytest.mark.parametrize("command", ["facts", "report", "forecast"])
def test_a_tampered_run_folder_gets_one_line(tmp_path, capsys, a_run, damage, command):
    import shutil

    d = tmp_path / "r"
    shutil.copytree(a_run, d)
    meta = json.loads((d / "manifest.json").read_text())
    if damage == "manifest-not-json":
        (d / "manifest.json").write_text("{oops")
    elif damage == "manifest-no-scenario":
        del meta["scenario"]
        (d / "manifest.json").write_text(json.dumps(meta))
    elif damage == "manifest-seed-text":
        meta["seed"] = "seven"
        (d / "manifest.json").write_text(json.dumps(meta))
    elif damage == "table-wrong-columns":
        pd.DataFrame({"x": [1]}).to_parquet(d / "customers.parquet")
        pd.DataFrame({"x": [1]}).to_parquet(d / "transactions.parquet")
    else:
        raw = (d / "transactions.parquet").read_bytes()
        (d / "transactions.parquet").write_bytes(raw[: len(raw) // 2])
    args = {
        "facts": ["facts", str(d)],
        "report": ["report", str(d)],
        "forecast": [
            "forecast",
            str(d),
            "--calibration-end",
            "2024-12-31",
            "--out",
            str(tmp_path / "fc"),
        ],
    }[command]
    assert main(args) == 2
    one_line_error(capsys)


def test_a_log_with_utc_offsets_is_forecast(tmp_path, capsys):
    p = tmp_path / "tz.csv"
    rows = ["customer_id,date,amount"]
    for c in range(40):
        for k in range(1 + c % 5):
            off = "+02:00" if (c + k) % 2 else "-05:00"
            rows.append(f"{c},2024-{1 + (c + 2 * k) % 12:02d}-{1 + k:02d}T10:00:00{off},{3 + c}")
    p.write_text("\n".join(rows) + "\n")
    assert main(["forecast", str(p), "--model", "bgnbd", "--out", str(tmp_path / "o")]) == 0


def test_an_unexpected_error_is_reported_as_a_bug_with_its_traceback_in_a_file(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something relsim did not expect")

    monkeypatch.setattr("relsim.config.loading.load_scenario", broken)
    assert main(["validate", "relsim:baseline"]) == 1
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(lines) == 1, lines
    line = lines[0]
    assert "internal error (a bug in relsim" in line and "something relsim did not" in line
    path = line.split("the full traceback is in ")[1].split(";")[0]
    assert "Traceback" in Path(path).read_text()
    Path(path).unlink()


# --- fuzz: no input may produce a traceback or touch a file relsim did not write ------------

KEYS = [
    "simulation.people",
    "simulation.days",
    "switching.price_slope",
    "switching.neglect_ramp_days",
    "firms.focal.account_managers",
    "firms.focal.promotion",
    "firms.rival.price_index",
    "ladder.bond.client",
    "population.segments.weekly.share",
    "market.focal",
    "economics.period",
    "firms.focal.contact_every_days",
    "name",
    "nonexistent.key",
    "firms",
]
TOML_VALUES = st.one_of(
    st.integers(-(10**6), 10**12).map(str),
    st.floats(allow_nan=True).map(repr),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "true",
            "[]",
            "{}",
            '"x"',
            '""',
            "{a=1}",
            "[1, [2]]",
            "1979-05-27",
            "0x1f",
            "1e400",
            "-0.0",
        ]
    ),
    st.text(string.printable, max_size=12),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(key=st.sampled_from(KEYS), value=TOML_VALUES)
def test_fuzz_set_values_never_give_a_traceback(capsys, key, value):
    status = main(["validate", "relsim:baseline", "--set", f"{key}={value}"])
    captured = capsys.readouterr()
    assert status in (0, 2) and "internal error" not in captured.err, captured.err
    if status == 2:
        assert len(captured.err.strip().splitlines()) == 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.lists(
            st.sampled_from(
                [
                    "[simulation]\n",
                    "people = 5\n",
                    "days = -1\n",
                    "[firms.x]\n",
                    'extends = "relsim:baseline"\n',
                    'extends = "nope.toml"\n',
                    "price_index = nan\n",
                    "[market]\n",
                    'focal = "x"\n',
                    "a.b.c = 1\n",
                    "[[arms]]\n",
                    'name = ".."\n',
                    "seed = 1e3\n",
                ]
            ),
            max_size=8,
        ).map(lambda xs: "".join(xs).encode()),
    )
)
def test_fuzz_scenario_files_never_give_a_traceback(tmp_path, capsys, content):
    p = tmp_path / "fuzz.toml"
    p.write_bytes(content)
    for args in (["validate", str(p)], ["experiment", str(p), "--out", str(tmp_path / "o")]):
        status = main(args)
        captured = capsys.readouterr()
        assert status in (0, 2) and "internal error" not in captured.err, captured.err
        if status == 2:
            assert len(captured.err.strip().splitlines()) == 1
    assert sorted(x.name for x in tmp_path.iterdir() if x.name != "o") == ["fuzz.toml"]


CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "abc",
            "-5",
            "1e309",
            "nan",
            "2024-13-45",
            "0",
            "2024-02-30",
            "2024-01-01T10:00+02:00",
            "3,5",
            "NULL",
        ]
    ),
    st.integers(0, 50).map(str),
    st.floats(0, 500).map(lambda v: f"{v:.2f}"),
    st.dates().map(str),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.tuples(st.integers(0, 8).map(str), CELL, CELL), min_size=0, max_size=40),
    header=st.sampled_from(
        ["customer_id,date,amount", "customer_id;date;amount", "id,date,amount", ""]
    ),
)
def test_fuzz_csv_logs_never_give_a_traceback(tmp_path, capsys, rows, header):
    p = tmp_path / "log.csv"
    p.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n")
    status = main(["forecast", str(p), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status in (0, 2) and "internal error" not in captured.err, captured.err
    assert {x.name for x in tmp_path.iterdir()} <= {"log.csv", "out"}
    # A folder of relsim's own, if anything: remove it so the next example starts afresh.
    if (tmp_path / "out").exists():
        import shutil

        assert (tmp_path / "out" / MARKER).exists()
        shutil.rmtree(tmp_path / "out")
