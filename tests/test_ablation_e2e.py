"""A small ablation end to end: the CLI, the queue, real workers, the statistics."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from boost.compare import stats
from boost.export import group_csv
from boost.runs.store import RunStore
from tests.conftest import tiny_config

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_two_factors_two_seeds_through_the_queue(store: RunStore, tmp_path: Path) -> None:
    base = tiny_config(**{"training.epochs": 1}).to_dict()
    definition = {"name": "e2e", "base": base, "design": "full", "seeds": 2,
                  "factors": [{"name": "l2", "levels": [0.0, 0.01]},
                              {"name": "dropout", "levels": [0.0, 0.5]}]}  # fmt: skip
    path = tmp_path / "ablation.json"
    path.write_text(json.dumps(definition))
    env = {**os.environ, "BOOST_HOME": str(store.home), "BOOST_SLOTS": "2"}
    out = subprocess.run([sys.executable, "-m", "boost", "ablate", str(path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "4 cells x 2 seeds = 8 runs" in out.stdout
    assert "8/8 ended (8 completed, 0 failed)" in out.stdout
    assert "l2 0.0 → 0.01, best_val_accuracy" in out.stdout
    assert "two-way interactions:" in out.stdout

    (group,) = {r.group for r in store.list_runs()}
    effects = stats.effects(store, group)
    assert set(effects["factor"]) == {"l2", "dropout"} and (effects["n"] == 2).all()
    # Two seeds: every row says so instead of calling a winner.
    assert set(effects["verdict"]) <= {stats.TOO_FEW, stats.NO_SPREAD}
    table = pd.read_csv(pd.io.common.BytesIO(group_csv(store, group)))
    assert table["run_id"].nunique() == 8 and sorted(table["seed"].unique()) == [0, 1]
    assert len(stats.interactions(store, group)) == 2  # one pair, two metrics
