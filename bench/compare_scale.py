"""Compare at scale: what the Compare page builds, against a bare SQL read of the same epochs.

A store of 1,000 runs x 100 epochs is written into a temporary folder (in one transaction;
the setup is not measured). Then, for the newest 24 and 200 runs, it times building
everything the Compare page draws from them (curves, gaps, weights, summary: `boost.compare`)
against reading the same epochs with one SQL query into pandas, alternately in this process,
median of the repeats. The page rebuilds these every 2 s while runs are live.

The last line is the ratio Compare build / bare read for 200 runs; the goal is at most 3.

    python bench/compare_scale.py [--runs 1000] [--epochs 100] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from boost import compare  # noqa: E402
from boost.config import ExperimentConfig  # noqa: E402
from boost.runs.store import EPOCH_COLUMNS, RunStore  # noqa: E402


def build_store(home: Path, runs: int, epochs: int) -> RunStore:
    store = RunStore(home)
    base = ExperimentConfig().to_dict()
    ids = []
    for i in range(runs):
        config = {**base, "name": f"run {i % 50}", "seed": i,
                  "regularization": {**base["regularization"], "l2": 1e-3 * (i % 3)}}  # fmt: skip
        ids.append(store.create_run(config, name=config["name"], status="running"))
    rows = []
    for k, run_id in enumerate(ids):
        for e in range(1, epochs + 1):
            acc = 1 - 0.5 * math.exp(-e / 10) - 0.001 * (k % 7)
            rows.append((run_id, e, math.exp(-e / 10), acc, 0.2 + math.exp(-e / 10), acc - 0.05,
                         1e-3, 0.5, 0.5 * e, 0.01 * e, 20.0 - 0.1 * e))  # fmt: skip
    with sqlite3.connect(store.db_path) as conn:
        conn.executemany(
            f"INSERT INTO epochs (run_id, epoch, {', '.join(EPOCH_COLUMNS)}) "
            f"VALUES (?, ?, {', '.join('?' * len(EPOCH_COLUMNS))})",
            rows,
        )
        metrics = json.dumps({"best_val_accuracy": 0.9, "test_accuracy": 0.9, "params": 1234,
                              "seconds_per_epoch": 0.5, "device": "cpu", "epochs_run": epochs})  # fmt: skip
        conn.execute("UPDATE runs SET status = 'completed', metrics_json = ?", (metrics,))
    return store


def compare_page(store: RunStore, ids: list[str]) -> None:
    """What pages/compare.py builds for its charts and tables."""
    history = compare.load_history(store, ids)
    compare.curves(history)
    compare.gaps(history)
    compare.weights(history)
    compare.summary(history)


def bare_read(store: RunStore, ids: list[str]) -> pd.DataFrame:
    """The reference: the same epochs, one query, straight into pandas."""
    marks = ", ".join("?" * len(ids))
    with sqlite3.connect(store.db_path) as conn:
        return pd.read_sql_query(f"SELECT * FROM epochs WHERE run_id IN ({marks})", conn,
                                 params=ids)  # fmt: skip


def median_seconds(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        store = build_store(Path(tmp), args.runs, args.epochs)
        print(f"store: {args.runs} runs x {args.epochs} epochs in {time.perf_counter() - t:.1f} s")
        all_ids = [r.id for r in store.list_runs()]
        ratio = math.nan
        for n in (24, 200):
            ids = all_ids[:n]
            compare_page(store, ids)  # warm: imports, caches, SQLite pages
            bare_read(store, ids)
            page = median_seconds(lambda ids=ids: compare_page(store, ids), args.repeats)
            bare = median_seconds(lambda ids=ids: bare_read(store, ids), args.repeats)
            ratio = page / bare
            print(f"{n:>4} runs: Compare build {page * 1000:7.1f} ms, bare read "
                  f"{bare * 1000:6.1f} ms")  # fmt: skip
    print(f"ratio Compare build / bare read (200 runs): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
