"""The README's and the guides' Python examples run as printed (on smaller markets, for speed)."""

import re
from pathlib import Path

import pytest

import relsim

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SMALL = [
    "simulation.people=1500",
    "simulation.days=120",
    "simulation.warmup_days=30",
    "firms.focal.initial_customers=450",
    "firms.rival.initial_customers=450",
]


def small_sweep(spec: Path, folder: Path) -> Path:
    """A copy of a sweep file whose points run on the small market."""
    import json
    import tomllib

    data = tomllib.loads(spec.read_text())
    sets = dict(x.split("=") for x in SMALL)
    keep = [k for k, v in data.items() if isinstance(v, int | str) or k == "outputs"]
    lines = [f"{k} = {json.dumps(data[k])}" for k in keep]  # JSON scalars and lists are TOML
    lines.append("set = { " + ", ".join(f'"{k}" = {v}' for k, v in sets.items()) + " }")
    lines.append(f'[design]\nmethod = "{data["design"]["method"]}"')
    for f in data["factors"]:
        lines.append("[[factors]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in f.items()))
    out = folder / spec.name
    out.write_text("\n".join(lines) + "\n")
    return out


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.S)


@pytest.fixture
def smaller(monkeypatch, tmp_path):
    """Every scenario, study and sweep of an example on a small market, in a scratch folder."""
    import relsim.studies as studies
    from relsim.config import loading

    real = loading.load_scenario

    def load(path=None, overrides=None, values=None):
        return real(path, [*SMALL, *(overrides or [])], values)

    monkeypatch.setattr(relsim, "load_scenario", load)
    monkeypatch.setattr(loading, "load_scenario", load)
    import relsim.experiments.claims as claims

    monkeypatch.setattr(claims, "load_scenario", load)
    for name in ("compare", "experiment", "sweep"):
        real_study = getattr(studies, name)

        def small_study(*a, _real=real_study, _name=name, **k):
            k.setdefault("out", tmp_path / _name)
            k["reps"] = 2  # the examples' questions, answered roughly and quickly
            if _name == "sweep":  # the sweep file's design on the small market
                a = (small_sweep(Path(ROOT / a[0]), tmp_path), *a[1:])
            return _real(*a, **k)

        monkeypatch.setattr(relsim, name, small_study)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    return tmp_path


def test_the_readme_s_python_examples_run_in_order(smaller):
    scope: dict = {}
    for block in python_blocks(README):  # the second block uses the first's import
        exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the README's own
    assert len(scope["result"].transactions) > 0 and "hire" in scope["study"].verdict()
    assert {"held", "not held", "inconclusive", "not evaluated"} >= set(
        scope["exp"].claims["verdict"]
    )


def test_the_getting_started_example_runs(smaller):
    (block,) = python_blocks(ROOT / "docs" / "getting-started.md")
    scope: dict = {}
    exec(compile(block, "getting-started.md", "exec"), scope)  # noqa: S102 - the page's own
    assert len(scope["result"].transactions) > 0


def test_the_forecasting_guide_s_example_runs(smaller):
    block = next(
        b for b in python_blocks(ROOT / "docs" / "guide" / "forecasting.md") if "forecast(" in b
    )
    scope: dict = {}
    exec(compile(block, "forecasting.md", "exec"), scope)  # noqa: S102 - the page's own
    assert (smaller / "pnbd.json").exists()
    assert scope["fit"].params.index.tolist() == ["r", "alpha", "s", "beta"]
    assert len(scope["res"].customers) == 2357
