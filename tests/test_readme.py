"""The README's Python example runs as printed (on a smaller market, for speed)."""

import re
from pathlib import Path

import relsim

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_python_example_in_the_readme_runs(monkeypatch):
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    real = relsim.load_scenario

    def smaller(path=None, overrides=None, values=None):
        small = [
            "simulation.people=1500",
            "simulation.days=120",
            "simulation.warmup_days=30",
            "firms.focal.initial_customers=450",
            "firms.rival.initial_customers=450",
        ]
        return real(path, [*small, *(overrides or [])], values)

    monkeypatch.setattr(relsim, "load_scenario", smaller)
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert len(scope["result"].transactions) > 0


def test_the_forecasting_example_in_the_readme_runs(monkeypatch, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    block = next(b for b in blocks if "from relsim.forecast import" in b)
    data = README.parent / "tests" / "data"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(data)
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert (tmp_path / "pnbd.json").exists()
    assert scope["fit"].params.index.tolist() == ["r", "alpha", "s", "beta"]
    assert len(scope["res"].customers) == 2357
