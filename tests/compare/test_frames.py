"""boost.compare: tidy frames from a real run store (epochs written directly, no training)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from boost import compare
from boost.compare import (
    CURVE_COLUMNS,
    GAP_COLUMNS,
    SUMMARY_COLUMNS,
    WEIGHT_COLUMNS,
    downsample,
    run_labels,
)
from boost.config import ExperimentConfig
from boost.runs.entities import Run
from boost.runs.store import RunNotFound, RunStore


def add_run(
    store: RunStore,
    name: str,
    epochs: Sequence[dict[str, Any]],
    *,
    status: str = "completed",
    metrics: dict[str, Any] | None = None,
    **settings: Any,
) -> str:
    """A run with these epochs (epoch numbers from 1), ended with `status`."""
    config = ExperimentConfig().replace(name=name, **settings).to_dict()
    run_id = store.create_run(config, name=name, status="running")
    for i, row in enumerate(epochs, start=1):
        store.log_epoch(run_id, i, row)
    if status == "completed":
        store.complete_run(run_id, metrics or {})
    elif status == "failed":
        store.fail_run(run_id, "RuntimeError: boom", metrics)
    return run_id


def epoch_rows(n: int, **overrides: Callable[[int], float | None]) -> list[dict[str, Any]]:
    """n plausible epochs; `overrides` maps a metric to a function of the epoch number."""
    rows = []
    for e in range(1, n + 1):
        row = {
            "accuracy": 1 - 0.5 * math.exp(-e / 3),
            "val_accuracy": 0.9 - 0.5 * math.exp(-e / 3),
            "loss": math.exp(-e / 3),
            "val_loss": 0.2 + math.exp(-e / 3),
            "seconds": 2.0,
            "wall_time": 2.0 * e,
            "sparsity": 0.01 * e,
            "weight_norm": 10.0 + e,
        }
        row.update({k: f(e) for k, f in overrides.items()})
        rows.append(row)
    return rows


# -- run_labels ------------------------------------------------------------------------------


def run_of(run_id: str, name: str) -> Run:
    return Run(id=run_id, name=name, status="completed", config={}, created_at=0.0)


def test_labels_are_names_with_an_id_suffix_only_where_names_repeat() -> None:
    runs = [
        run_of("20250101-000000-3f7a85", "l2"),
        run_of("20250101-000001-9b01c2", "l2"),
        run_of("20250101-000002-aaaaaa", "baseline"),
    ]
    assert run_labels(runs) == {
        "20250101-000000-3f7a85": "l2 · 3f7a85",
        "20250101-000001-9b01c2": "l2 · 9b01c2",
        "20250101-000002-aaaaaa": "baseline",
    }


def test_labels_stay_unique_when_suffixes_clash() -> None:
    runs = [
        run_of("20250101-000000-abcdef", "x"),
        run_of("20250102-000000-abcdef", "x"),  # same 6-character suffix
        run_of("20250103-000000-123456", "y"),
        run_of("20250104-000000-123456", "y"),
        run_of("20250105-000000-999999", "y · 123456"),  # equals another's label
    ]
    labels = run_labels(runs)
    assert len(set(labels.values())) == len(runs)
    assert labels["20250101-000000-abcdef"] == "x · 20250101-000000-abcdef"


def test_labels_of_real_runs_are_unique(store: RunStore) -> None:
    ids = [add_run(store, "same", epoch_rows(1)) for _ in range(5)]
    labels = run_labels([store.get_run(i) for i in ids])
    assert len(set(labels.values())) == 5
    assert all(label.startswith("same · ") for label in labels.values())


# -- curves ----------------------------------------------------------------------------------


def test_curves_are_tidy_in_the_given_run_order(store: RunStore) -> None:
    a = add_run(store, "a", epoch_rows(3))
    b = add_run(store, "b", epoch_rows(2))
    frame = compare.curves(store, [b, a])
    assert list(frame.columns) == list(CURVE_COLUMNS)
    assert list(frame["run"].cat.categories) == ["b", "a"]
    assert list(pd.unique(frame["run_id"])) == [b, a]
    assert len(frame) == (2 + 3) * 4  # four series per run
    sizes = frame.groupby(["run_id", "metric", "split"]).size()
    assert set(sizes[b]) == {2} and set(sizes[a]) == {3}
    row = frame.query("run_id == @a and metric == 'loss' and split == 'validation' and epoch == 2")
    assert row["value"].item() == pytest.approx(0.2 + math.exp(-2 / 3))
    assert row["wall_time"].item() == 4.0


def test_curves_drop_missing_values(store: RunStore) -> None:
    run = add_run(
        store,
        "gappy",
        epoch_rows(4, val_loss=lambda e: None if e == 2 else 0.5, wall_time=lambda e: None),
        status="running",
    )
    frame = compare.curves(store, [run])
    val_loss = frame.query("metric == 'loss' and split == 'validation'")
    assert list(val_loss["epoch"]) == [1, 3, 4]
    assert frame["value"].notna().all()
    assert frame["wall_time"].isna().all()  # missing times stay missing, never invented


def test_curves_thin_long_runs_but_keep_first_last_and_best(store: RunStore) -> None:
    n = 600
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, n + 1)
    rows = epoch_rows(
        n,
        val_accuracy=lambda e: 0.99 if e == 321 else 0.8 + noise[e],
        val_loss=lambda e: 0.01 if e == 457 else 0.5 + noise[e],
    )
    long_run = add_run(store, "long", rows)
    short_run = add_run(store, "short", epoch_rows(10))
    frame = compare.curves(store, [long_run, short_run], max_points=50)
    for (run_id, _, _), series in frame.groupby(["run_id", "metric", "split"]):
        epochs = set(series["epoch"])
        if run_id == short_run:
            assert epochs == set(range(1, 11))
            continue
        assert len(series) <= 50
        assert {1, n, 321, 457} <= epochs
        assert series["epoch"].is_monotonic_increasing


def test_curves_reject_a_tiny_max_points(store: RunStore) -> None:
    with pytest.raises(ValueError, match="max_points"):
        compare.curves(store, [], max_points=3)


# -- downsample --------------------------------------------------------------------------------


def series(values: Sequence[float]) -> pd.DataFrame:
    return pd.DataFrame({"epoch": np.arange(1, len(values) + 1), "value": values})


@pytest.mark.parametrize("n", [5, 101, 1000, 4321])
@pytest.mark.parametrize("max_points", [4, 5, 50, 400])
def test_downsample_never_exceeds_max_points(n: int, max_points: int) -> None:
    frame = series(np.random.default_rng(n).normal(size=n))
    out = downsample(frame, max_points, keep=[n // 2])
    assert len(out) <= max_points
    assert out["epoch"].iloc[0] == 1 and out["epoch"].iloc[-1] == n
    assert n // 2 in set(out["epoch"])
    if n <= max_points:
        pd.testing.assert_frame_equal(out, frame)


def test_downsample_keeps_peaks_and_dips() -> None:
    values = np.sin(np.linspace(0, 20, 2000)) * 0.01  # small wiggle
    spikes = {137: 5.0, 901: -4.0, 1500: 3.0, 1999: 2.0}
    for position, value in spikes.items():
        values[position] = value
    out = downsample(series(values), 40)
    assert {p + 1 for p in spikes} <= set(out["epoch"])  # epochs count from 1
    assert out["value"].max() == 5.0 and out["value"].min() == -4.0


def test_downsample_keeps_other_columns_and_index() -> None:
    frame = series(np.arange(100.0)).assign(wall_time=lambda f: f["epoch"] * 1.5)
    out = downsample(frame, 10)
    assert list(out.columns) == ["epoch", "value", "wall_time"]
    assert (out["wall_time"] == out["epoch"] * 1.5).all()
    assert (frame.loc[out.index, "value"] == out["value"]).all()


def test_downsample_drops_missing_values_and_sorts() -> None:
    frame = series([3.0, np.nan, 1.0, 2.0]).iloc[::-1]
    out = downsample(frame, 10)
    assert list(out["epoch"]) == [1, 3, 4]


def test_downsample_refuses_too_few_points_for_what_it_must_keep() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        downsample(series(np.arange(100.0)), 3, keep=[10, 20])


# -- gaps ------------------------------------------------------------------------------------


def test_gap_is_train_minus_val_and_best_is_the_first_top_epoch(store: RunStore) -> None:
    vals = {1: 0.5, 2: 0.8, 3: 0.7, 4: 0.8, 5: 0.6}  # best 0.8 at epochs 2 and 4
    run = add_run(store, "r", epoch_rows(5, val_accuracy=vals.get))
    frame = compare.gaps(store, [run])
    assert list(frame.columns) == list(GAP_COLUMNS)
    assert np.allclose(frame["gap"], frame["train_accuracy"] - frame["val_accuracy"])
    assert list(frame.loc[frame["is_best"], "epoch"]) == [2]
    assert frame["is_best"].dtype == bool


def test_gaps_leave_out_epochs_missing_an_accuracy(store: RunStore) -> None:
    run = add_run(
        store,
        "r",
        epoch_rows(4, accuracy=lambda e: None if e == 1 else 0.9, val_accuracy=lambda e: 0.7),
    )
    frame = compare.gaps(store, [run])
    assert list(frame["epoch"]) == [2, 3, 4]
    assert frame["gap"].tolist() == pytest.approx([0.2] * 3)


# -- weights -----------------------------------------------------------------------------------


def test_weights_carry_each_runs_l1_and_l2(store: RunStore) -> None:
    base = add_run(store, "base", epoch_rows(3))
    l1 = add_run(store, "l1", epoch_rows(3), **{"regularization.l1": 1e-4})
    l2 = add_run(store, "l2", epoch_rows(3), **{"regularization.l2": 1e-3})
    frame = compare.weights(store, [base, l1, l2])
    assert list(frame.columns) == list(WEIGHT_COLUMNS)
    per_run = frame.groupby("run_id")[["l1", "l2"]].first()
    assert per_run.loc[base].tolist() == [0.0, 0.0]
    assert per_run.loc[l1].tolist() == [1e-4, 0.0]
    assert per_run.loc[l2].tolist() == [0.0, 1e-3]
    assert frame.query("run_id == @l1 and epoch == 2")["sparsity"].item() == 0.02


def test_weights_skip_epochs_without_statistics_and_default_missing_settings(
    store: RunStore,
) -> None:
    rows = epoch_rows(3, sparsity=lambda e: None, weight_norm=lambda e: None if e < 3 else 4.0)
    run = store.create_run({"regularization": {"l2": 0.01}}, name="partial", status="running")
    for i, row in enumerate(rows, start=1):
        store.log_epoch(run, i, row)
    frame = compare.weights(store, [run])
    assert list(frame["epoch"]) == [3]
    assert np.isnan(frame["sparsity"].item()) and frame["weight_norm"].item() == 4.0
    assert frame["l1"].item() == 0.0 and frame["l2"].item() == 0.01  # l1 from the defaults


def test_run_categories_include_runs_without_rows(store: RunStore) -> None:
    queued = store.create_run(ExperimentConfig().to_dict(), name="queued")
    done = add_run(store, "done", epoch_rows(2))
    for frame in (
        compare.curves(store, [queued, done]),
        compare.gaps(store, [queued, done]),
        compare.weights(store, [queued, done]),
    ):
        assert list(frame["run"].cat.categories) == ["queued", "done"]
        assert set(frame["run_id"]) == {done}


# -- summary -------------------------------------------------------------------------------------


def test_summary_one_row_per_run_with_final_metrics_and_settings(store: RunStore) -> None:
    metrics = {
        "best_val_accuracy": 0.91,
        "best_epoch": 7,
        "test_accuracy": 0.9,
        "test_loss": 0.3,
        "params": 123_456,
        "seconds_per_epoch": 1.25,
        "device": "GPU:0",
        "epochs_run": 10,
    }
    ops = [{"op": "hflip", "p": 0.5}, {"op": "rotate", "angle_range": [-10, 10]}]
    run = add_run(
        store,
        "aug",
        epoch_rows(10),
        metrics=metrics,
        **{
            "augmentation.ops": ops,
            "regularization.dropout": 0.5,
            "optimizer.name": "sgd",
            "optimizer.learning_rate": 0.01,
            "training.batch_size": 64,
            "model.width": 0.5,
        },
    )
    frame = compare.summary(store, [run])
    assert list(frame.columns) == list(SUMMARY_COLUMNS)
    row = frame.iloc[0].to_dict()
    assert row == {
        "run": "aug",
        "id": run,
        "status": "completed",
        "best_val_accuracy": 0.91,
        "best_epoch": 7,
        "test_accuracy": 0.9,
        "params": 123_456,
        "seconds_per_epoch": 1.25,
        "device": "GPU:0",
        "epochs": 10,
        "l1": 0.0,
        "l2": 0.0,
        "dropout": 0.5,
        "augmentation": "2 ops",
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "batch_size": 64,
        "width": 0.5,
    }


def test_summary_shows_what_unfinished_runs_have(store: RunStore) -> None:
    failed = add_run(
        store,
        "failed",
        epoch_rows(2, val_accuracy=lambda e: 0.5 + 0.1 * e, seconds=lambda e: 3.0 * e),
        status="failed",
    )
    running = add_run(store, "running", epoch_rows(3), status="running")
    queued = store.create_run(ExperimentConfig().to_dict(), name="queued")
    one_op = add_run(store, "one op", [], **{"augmentation.ops": [{"op": "vflip"}]})
    frame = compare.summary(store, [failed, running, queued, one_op]).set_index("run")
    assert list(frame["status"]) == ["failed", "running", "queued", "completed"]
    assert frame.loc["failed", "best_val_accuracy"] == pytest.approx(0.7)
    assert frame.loc["failed", "best_epoch"] == 2
    assert frame.loc["failed", "epochs"] == 2
    assert frame.loc["failed", "seconds_per_epoch"] == pytest.approx(4.5)  # median of 3 and 6
    assert frame.loc["running", "epochs"] == 3
    for column in ("test_accuracy", "params"):
        assert frame[column].isna().all()
    queued_row = frame.loc["queued"]
    assert pd.isna(queued_row["best_val_accuracy"]) and pd.isna(queued_row["best_epoch"])
    assert queued_row["epochs"] == 0 and pd.isna(queued_row["device"])
    assert frame.loc["one op", "augmentation"] == "1 op"
    assert frame.loc["queued", "augmentation"] == "off"


def test_summary_csv_is_utf8_and_defuses_formulas(store: RunStore) -> None:
    runs = [add_run(store, name, epoch_rows(2)) for name in ("数据增强 + L2", "=HYPERLINK(1)")]
    frame = compare.summary(store, runs)
    data = compare.summary_csv(frame)
    assert isinstance(data, bytes)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8")
    assert list(back.columns) == list(SUMMARY_COLUMNS)
    assert list(back["run"]) == ["数据增强 + L2", "'=HYPERLINK(1)"]
    assert back["best_val_accuracy"].tolist() == pytest.approx(frame["best_val_accuracy"].tolist())
    assert compare.summary_csv(compare.summary(store, [])).decode() == (
        ",".join(SUMMARY_COLUMNS) + "\n"
    )


# -- errors, empties, repeats -------------------------------------------------------------------

FRAMES = {
    "curves": (compare.curves, CURVE_COLUMNS),
    "gaps": (compare.gaps, GAP_COLUMNS),
    "weights": (compare.weights, WEIGHT_COLUMNS),
    "summary": (compare.summary, SUMMARY_COLUMNS),
}


@pytest.mark.parametrize("name", FRAMES)
def test_unknown_run_ids_raise_run_not_found(store: RunStore, name: str) -> None:
    known = add_run(store, "known", epoch_rows(1))
    with pytest.raises(RunNotFound):
        FRAMES[name][0](store, [known, "no-such-run"])


@pytest.mark.parametrize("name", FRAMES)
def test_no_runs_give_empty_frames_with_the_right_columns(store: RunStore, name: str) -> None:
    build, columns = FRAMES[name]
    frame = build(store, [])
    assert frame.empty
    assert list(frame.columns) == list(columns)
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        c: str(pd.api.types.pandas_dtype(t)) for c, t in columns.items()
    }


@pytest.mark.parametrize("name", FRAMES)
def test_a_repeated_run_id_counts_once(store: RunStore, name: str) -> None:
    run = add_run(store, "r", epoch_rows(2))
    build, _ = FRAMES[name]
    pd.testing.assert_frame_equal(build(store, [run, run]), build(store, [run]))


def test_a_failed_run_with_two_epochs_is_in_every_frame(store: RunStore) -> None:
    done = add_run(store, "done", epoch_rows(5))
    failed = add_run(store, "failed", epoch_rows(2), status="failed")
    ids = [done, failed]
    assert set(compare.curves(store, ids).query("run_id == @failed")["epoch"]) == {1, 2}
    assert len(compare.gaps(store, ids).query("run_id == @failed")) == 2
    assert len(compare.weights(store, ids).query("run_id == @failed")) == 2
    assert compare.summary(store, ids).set_index("id").loc[failed, "status"] == "failed"


def test_everything_compare_draws_comes_from_two_reads_whatever_the_number_of_runs(
    store: RunStore,
) -> None:
    ids = [add_run(store, f"r{i}", epoch_rows(3 + i % 4)) for i in range(30)]
    statements: list[str] = []
    store._conn().set_trace_callback(statements.append)
    try:
        history = compare.load_history(store, ids)
        frames = [f(history) for f in (compare.curves, compare.gaps, compare.weights,
                                       compare.summary)]  # fmt: skip
    finally:
        store._conn().set_trace_callback(None)
    assert [s.split()[0].upper() for s in statements] == ["SELECT", "SELECT"]  # runs, epochs
    assert len(frames[3]) == 30 and frames[0]["run_id"].nunique() == 30
    # The same frames as asking with the store and the ids.
    pd.testing.assert_frame_equal(frames[0], compare.curves(store, ids))
    pd.testing.assert_frame_equal(frames[3], compare.summary(store, ids))
