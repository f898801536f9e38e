"""``relsim rerun``: a folder computed again from its manifest, compared byte for byte."""

import json
import shutil

import pandas as pd

from relsim.cli import main

SMALL = [
    "--set",
    "simulation.people=1500",
    "--set",
    "simulation.days=60",
    "--set",
    "firms.focal.initial_customers=400",
    "--set",
    "firms.rival.initial_customers=400",
]


def test_a_run_reruns_identically_and_a_changed_table_is_caught(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--seed", "4", "--out", str(out), "--no-report", *SMALL]) == 0
    text = capsys.readouterr().out
    assert "report.html" not in text.split("written to")[1]  # only what was written is named
    assert main(["rerun", str(out), "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "all 4 tables identical" in text and "DIFFERS" not in text
    # Tamper with one finished table: the rerun computes it again and sees the difference.
    ev = pd.read_parquet(out / "events.parquet")
    ev.loc[0, "day"] += 1.0
    ev.to_parquet(out / "events.parquet", index=False)
    assert main(["rerun", str(out), "--out", str(tmp_path / "again"), "--no-report"]) == 1
    text = capsys.readouterr().out
    assert "events.parquet: DIFFERS" in text and "transactions.parquet: identical" in text
    # The same values written another way (one row group per 500 rows, plain encoding), as
    # another relsim or pyarrow version may write them: not a difference.
    tx = pd.read_parquet(out / "transactions.parquet")
    shutil.copy(tmp_path / "again" / "events.parquet", out / "events.parquet")  # the original
    tx.to_parquet(
        out / "transactions.parquet", index=False, row_group_size=500, use_dictionary=False
    )
    assert main(["rerun", str(out), "--out", str(tmp_path / "third"), "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "transactions.parquet: same values" in text and "DIFFERS" not in text
    assert "all 4 tables hold the same values" in text
    # a column of another type is a difference, even with equal numbers
    tx["amount"] = tx["amount"].astype("float32").astype("float64")
    tx.astype({"customer_id": "int32"}).to_parquet(out / "transactions.parquet", index=False)
    assert main(["rerun", str(out), "--out", str(tmp_path / "fourth"), "--no-report"]) == 1
    assert "transactions.parquet: DIFFERS" in capsys.readouterr().out


def test_a_comparison_with_another_seed_reruns_from_its_manifest(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "relsim:baseline", "--arm", "hire:firms.focal.account_managers=5"]
    argv += ["--reps", "2", "--seed", "77", "--out", str(out), "--no-report", *SMALL]
    assert main(argv) == 0
    meta = json.loads((out / "manifest.json").read_text())
    # The manifest records the seed actually used, in the scenarios as well as at the top.
    assert meta["seed"] == 77
    assert {a["scenario"]["simulation"]["seed"] for a in meta["arms"]} == {77}
    assert meta["objective"] == "profit_plus_equity" and meta["command"][1] == "compare"
    capsys.readouterr()
    assert main(["rerun", str(out), "--workers", "2", "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "all 6 tables identical" in text


def test_rerun_refuses_what_it_cannot_rerun_in_one_line(tmp_path, capsys):
    assert main(["rerun", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "manifest.json: missing" in err
    (tmp_path / "manifest.json").write_text('{"title": "something else"}')
    assert main(["rerun", str(tmp_path)]) == 2
    assert "not the manifest of a relsim run" in capsys.readouterr().err
    (tmp_path.parent / (tmp_path.name + "-rerun")).mkdir()
    (tmp_path / "manifest.json").write_text('{"seed": 1, "scenario": {}}')
    assert main(["rerun", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
