from pathlib import Path

import pytest

import relsim
from relsim.config.loading import default_scenario_path, load_scenario, parse_override
from relsim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "scenarios" / "baseline.toml").read_text()
# The default scenario extends its inputs file, which spells out every key: the tests that
# break a key edit that file's text.
INPUTS = (ROOT / "scenarios" / "baseline_inputs.toml").read_text()
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.toml") if ".targets." not in p.name)


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_the_bundled_scenarios_are_the_top_level_folder_and_all_ship():
    # One copy of each file: the package's folder is a link to scenarios/, and the package
    # data patterns in pyproject.toml put every file of it into a wheel.
    import fnmatch
    import tomllib

    bundled = default_scenario_path().parent
    assert bundled.resolve() == (ROOT / "scenarios").resolve()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["relsim.config"]
    unshipped = [
        f.name
        for f in (ROOT / "scenarios").iterdir()
        if not any(fnmatch.fnmatch(f"scenarios/{f.name}", pat) for pat in patterns)
    ]
    assert not unshipped, unshipped
    assert default_scenario_path().read_text() == BASELINE


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path):
    sc = load_scenario(path)
    assert sc.market.focal in sc.firms


def test_default_scenario_loads_without_a_path():
    sc = relsim.load_scenario()
    assert sc.name == "baseline"
    assert set(sc.firms) == {"focal", "rival"}


def test_out_of_range_value_names_file_key_and_expectation(tmp_path):
    p = write(tmp_path, INPUTS.replace("account_managers = 3", "account_managers = -3", 1))
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert str(p) in msg
    assert "firms.focal.account_managers" in msg
    assert "expected an integer >= 0" in msg and "-3" in msg


def test_wrong_type_is_reported(tmp_path):
    p = write(tmp_path, INPUTS.replace("people = 10000", 'people = "many"'))
    with pytest.raises(ScenarioError, match=r"simulation\.people"):
        load_scenario(p)


def test_unknown_key_is_reported_with_its_path(tmp_path):
    p = write(tmp_path, INPUTS.replace("[switching]", "[switching]\nneglekt_max_per_year = 1"))
    with pytest.raises(ScenarioError, match=r"switching\.neglekt_max_per_year: unknown key"):
        load_scenario(p)


def test_missing_required_key_is_reported(tmp_path):
    text = "\n".join(line for line in INPUTS.splitlines() if not line.startswith("focal = "))
    with pytest.raises(ScenarioError, match=r"market\.focal: required key is missing"):
        load_scenario(write(tmp_path, text))


def test_segment_shares_must_sum_to_one(tmp_path):
    p = write(
        tmp_path,
        INPUTS.replace(
            "share = 0.20, purchases_per_year = 12", "share = 0.40, purchases_per_year = 12"
        ),
    )
    with pytest.raises(ScenarioError, match=r"population\.segments.*summing to 1, got 1\.2"):
        load_scenario(p)


def test_focal_must_name_a_firm(tmp_path):
    p = write(tmp_path, INPUTS.replace('focal = "focal"', 'focal = "acme"'))
    with pytest.raises(ScenarioError, match="market.focal: names 'acme'"):
        load_scenario(p)


def test_rung_table_must_name_every_rung(tmp_path):
    p = write(tmp_path, INPUTS.replace("bond = { customer = 1.0, ", "bond = { "))
    with pytest.raises(ScenarioError, match=r"ladder\.bond\.customer: required key is missing"):
        load_scenario(p)


def test_not_toml_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(write(tmp_path, "people = = 3"))
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_overrides_reach_nested_values_and_are_validated():
    sc = load_scenario(
        overrides=[
            "firms.focal.account_managers=9",
            "simulation.people=7000",
            "firms.rival.promotion.depth=0.25",
            'name="big-staff"',
        ]
    )
    assert sc.firms["focal"].account_managers == 9
    assert sc.simulation.people == 7000
    assert sc.firms["rival"].promotion.depth == 0.25
    assert sc.name == "big-staff"
    with pytest.raises(ScenarioError, match=r"(?s)--set simulation\.people=0.*simulation\.people"):
        load_scenario(overrides=["simulation.people=0"])


@pytest.mark.parametrize("bad", ["noequals", "=3", "a..b=1"])
def test_malformed_override_is_rejected(bad):
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        parse_override(bad)


def test_cross_field_rule_names_the_keys_without_dumping_the_scenario():
    with pytest.raises(ScenarioError) as err:
        load_scenario(overrides=["simulation.people=100"])
    msg = str(err.value)
    total = sum(f.initial_customers for f in load_scenario().firms.values())
    assert f"initial_customers add up to {total}, more than simulation.people = 100" in msg
    assert len(msg) < 500


def test_override_into_a_value_is_rejected():
    with pytest.raises(ScenarioError, match="'simulation.people' is a value, not a table"):
        load_scenario(overrides=["simulation.people.x=1"])


def test_a_scenario_extends_another_and_changes_only_what_it_says(tmp_path):
    (tmp_path / "base.toml").write_text(INPUTS)
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\nname = "child"\n[firms.focal]\naccount_managers = 9\n'
        "[firms.focal.costs]\nsetup_cost = 5\n"
    )
    child, base = load_scenario(tmp_path / "child.toml"), load_scenario(tmp_path / "base.toml")
    assert child.name == "child" and child.firms["focal"].account_managers == 9
    assert child.firms["focal"].costs.setup_cost == 5
    # everything else, including the rest of the tables it touched, is the base's
    assert child.firms["focal"].contact_every_days == base.firms["focal"].contact_every_days
    assert child.firms["focal"].costs.gross_margin == base.firms["focal"].costs.gross_margin
    assert child.firms["rival"] == base.firms["rival"]


def test_extends_errors_name_the_file(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="loops"):
        load_scenario(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('extends = "nowhere.toml"\n')
    with pytest.raises(ScenarioError, match=r"c.toml: extends: no scenario file .*nowhere.toml"):
        load_scenario(tmp_path / "c.toml")


def test_bundled_strategy_scenarios_validate_and_differ_from_the_baseline():
    folder = ROOT / "scenarios"
    base = load_scenario(folder / "baseline.toml")
    names = set()
    for path in SCENARIOS:
        sc = load_scenario(path)
        names.add(sc.name)
        if sc.market.choice == "repertoire":  # a market of its own (tests/test_repertoire.py)
            continue
        if sc.name not in ("baseline", "baseline_inputs"):
            assert sc.firms["focal"] != base.firms["focal"], path
            assert sc.firms["rival"] == base.firms["rival"], path
    assert {
        "transactional",
        "relationship",
        "balanced",
        "loyalty_programme",
        "win_back",
        "coupon_acquisition",
        "understaffed_growth",
    } <= names
