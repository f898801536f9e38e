"""The ODD description cannot drift from the code: its registry names only real scenario
values and every scenario value is read by a submodel or by the accounts."""

import relsim
from relsim.cli import main
from relsim.model.registry import ACCOUNTING, SUBMODELS


def _keys(data, prefix=""):
    """Every key path of a scenario down to the values a submodel reads (firms as ``*``)."""
    out = set()
    for k, v in data.items():
        path = f"{prefix}{k}"
        if k == "firms" and not prefix:
            for firm in v.values():
                out |= {f"firms.*.{x}" for x in firm}
        elif isinstance(v, dict) and path.count(".") < 1:
            out |= _keys(v, path + ".")
        else:
            out.add(path)
    return out


def _covered(key, declared):
    return any(key == d or key.startswith(d + ".") or d.startswith(key + ".") for d in declared)


def test_every_registered_parameter_is_a_scenario_value():
    data = relsim.load_scenario().to_dict()
    for sub in SUBMODELS:
        for key in sub.parameters:
            node = data
            parts = key.split(".")
            if parts[0] == "firms" and parts[1] == "*":
                node, parts = next(iter(data["firms"].values())), parts[2:]
            for part in parts:
                assert isinstance(node, dict) and part in node, (sub.name, key)
                node = node[part]


def test_every_scenario_value_is_declared_by_a_submodel_or_the_accounts():
    # The registry is kept by hand: this checks it is complete (no scenario key goes
    # undescribed in the ODD text), not that the model reads each value.
    data = relsim.load_scenario().to_dict()
    declared = {k for s in SUBMODELS for k in s.parameters} | set(ACCOUNTING)
    missing = [k for k in sorted(_keys(data)) if not _covered(k, declared)]
    assert not missing, missing


def test_describe_writes_the_seven_elements_with_the_scenarios_values(capsys):
    assert main(["describe", "--set-not-an-option"]) == 2
    capsys.readouterr()
    assert main(["describe", "relsim:understaffed_growth"]) == 0
    text = capsys.readouterr().out
    for heading in (
        "1. Purpose and patterns",
        "2. Entities, state variables and scales",
        "3. Process overview and scheduling",
        "4. Design concepts",
        "5. Initialisation",
        "6. Input data",
        "7. Submodels",
    ):
        assert f"## {heading}" in text
    # the variant's own value, not the baseline's
    assert "focal: 270000" in text


def test_the_sources_page_is_up_to_date_with_the_register():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "build_sources.py"
    spec = importlib.util.spec_from_file_location("build_sources", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.PAGE.read_text(encoding="utf-8") == mod.page(), "run: python docs/build_sources.py"


def test_every_fact_of_the_default_targets_names_a_registered_source_and_a_measure():
    from relsim.analysis.facts import check_measures
    from relsim.config.sources import sources
    from relsim.config.targets import default_targets_path, load_targets

    targets = load_targets(default_targets_path())
    check_measures(targets.facts, "default targets")
    assert {f.source for f in targets.facts} <= set(sources())
    assert {f.role for f in targets.facts} == {"input", "calibrated", "predicted"}
