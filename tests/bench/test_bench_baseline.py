"""The baseline file and the comparison against it (no timing here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_tinytorch.bench import baseline as baselines
from pytest_tinytorch.bench.cases import quick_cases
from pytest_tinytorch.bench.results import OK, SKIPPED, Result

COMMITTED_BASELINE = Path(__file__).resolve().parents[2] / baselines.BASELINE_FILE


def row(id: str, tinytorch: float, numpy: float = 1.0, kind: str = "op", status: str = OK) -> Result:
    return Result(id, id, kind, id, tinytorch=tinytorch, numpy=numpy, status=status)


def test_save_and_load_round_trip(tmp_path):
    made = baselines.from_results([row("op/add/1x1", 2.0), row("memory/mlp/b32", 1.5, kind="memory")], command="test")
    path = tmp_path / "baseline.json"
    made.save(path)
    loaded = baselines.Baseline.load(path)
    assert loaded.ratios == {"op/add/1x1": 2.0, "memory/mlp/b32": 1.5}
    assert loaded.margins == baselines.DEFAULT_MARGINS
    assert loaded.measured_on["command"] == "test" and loaded.measured_on["numpy"]


def test_a_ratio_above_its_margin_regresses_and_one_below_does_not():
    base = baselines.Baseline(
        {"op/a": 2.0, "memory/m": 1.0}, {"op/a": "op", "memory/m": "memory"}, margins={"op": 0.3, "memory": 0.1}
    )
    assert base.limit("op/a") == pytest.approx(2.6)
    found = baselines.compare([row("op/a", 2.7), row("memory/m", 1.05, kind="memory")], base)
    assert [r.id for r in found] == ["op/a"]
    assert "ratio 2.70x > limit 2.60x (baseline 2.00x + 30%)" in str(found[0])
    assert baselines.compare([row("op/a", 1.0), row("memory/m", 1.11, kind="memory")], base)[0].id == "memory/m"


def test_unknown_ids_and_unmeasured_rows_are_not_compared():
    base = baselines.Baseline({"op/a": 1.0}, {"op/a": "op"})
    rows = [row("op/new", 99.0), row("op/a", 99.0, status=SKIPPED)]
    assert baselines.compare(rows, base) == []
    assert baselines.unchecked(rows, base) == ["op/new"]


def test_median_of_runs_and_partial_updates():
    runs = [[row("op/a", r)] for r in (1.0, 3.0, 2.0)] + [[row("op/b", 5.0)]]
    made = baselines.median_of_runs(runs)
    assert made.ratios == {"op/a": 2.0, "op/b": 5.0}
    assert made.measured_on["runs"] == 4
    merged = baselines.Baseline({"op/a": 9.0, "op/c": 1.0}, {"op/a": "op", "op/c": "op"}).updated(made)
    assert merged.ratios == {"op/a": 2.0, "op/b": 5.0, "op/c": 1.0}


def test_combining_saved_runs_from_the_command_line(tmp_path, capsys):
    paths = []
    for i, value in enumerate((1.0, 4.0, 2.0)):
        path = tmp_path / f"run{i}.json"
        path.write_text(json.dumps({"results": [row("op/a", value).to_json()]}))
        paths.append(str(path))
    out = tmp_path / "baseline.json"
    assert baselines.main([*paths, "--out", str(out)]) == 0
    assert baselines.Baseline.load(out).ratios == {"op/a": 2.0}
    assert "median of 3 runs" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["not json", "{}", '{"ratios": {"x": {}}, "margins": {}}'])
def test_a_malformed_baseline_is_a_clear_error(tmp_path, text):
    path = tmp_path / "baseline.json"
    path.write_text(text)
    with pytest.raises(baselines.BaselineError, match="is not a benchmark baseline"):
        baselines.Baseline.load(path)


def test_a_missing_baseline_says_how_to_make_one(tmp_path):
    with pytest.raises(baselines.BaselineError, match="--bench-update-baseline"):
        baselines.Baseline.load(tmp_path / "nope.json")


def test_the_committed_baseline_covers_every_ci_measurement_and_says_where_it_was_measured():
    """Otherwise the CI check would skip the uncovered ids silently and could never fail on them."""
    committed = baselines.Baseline.load(COMMITTED_BASELINE)
    ids = [case.id for case in quick_cases()]
    for id in ids:
        if id.startswith("backward/"):
            assert any(known.startswith(id + "/") for known in committed.ratios), id
        else:
            assert id in committed.ratios, id
    for key in ("date", "cpu", "cores", "python", "numpy", "command"):
        assert committed.measured_on.get(key), key
    assert set(committed.margins) == {"op", "backward", "step", "memory"}
