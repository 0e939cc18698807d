"""Runs from the store as tidy pandas frames, ready for charts and tables.

Every per-epoch frame names each run twice: `run_id` (the stable key) and `run` (a short
unique label for legends, see `run_labels`). `run` is a categorical whose categories are all the
requested runs in the order given, even those without rows in that frame (a queued run, a run
without weight statistics), so that charts give a run the same colour in every chart.

Runs are read as they are: a running or failed run contributes the epochs it has, and missing
values stay missing (NaN), never filled in.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import pandas as pd

from boost.compare.downsample import downsample
from boost.config import ExperimentConfig
from boost.runs.export import csv_text
from boost.runs.store import EPOCH_COLUMNS, RunStore

CURVE_COLUMNS: dict[str, str] = {
    "run_id": "str",
    "run": "category",
    "epoch": "int64",
    "wall_time": "float64",
    "metric": "str",
    "split": "str",
    "value": "float64",
}
GAP_COLUMNS: dict[str, str] = {
    "run_id": "str",
    "run": "category",
    "epoch": "int64",
    "train_accuracy": "float64",
    "val_accuracy": "float64",
    "gap": "float64",
    "is_best": "bool",
}
WEIGHT_COLUMNS: dict[str, str] = {
    "run_id": "str",
    "run": "category",
    "epoch": "int64",
    "sparsity": "float64",
    "weight_norm": "float64",
    "l1": "float64",
    "l2": "float64",
}
SUMMARY_COLUMNS: dict[str, str] = {
    "run": "str",
    "id": "str",
    "status": "str",
    "best_val_accuracy": "float64",
    "best_epoch": "Int64",
    "test_accuracy": "float64",
    "params": "Int64",
    "seconds_per_epoch": "float64",
    "device": "str",
    "epochs": "Int64",
    "l1": "float64",
    "l2": "float64",
    "dropout": "float64",
    "augmentation": "str",
    "optimizer": "str",
    "learning_rate": "float64",
    "batch_size": "Int64",
    "width": "float64",
}
#: Plain-words titles for the summary's columns (table headers, CSV for people).
SUMMARY_TITLES: dict[str, str] = {
    "run": "run",
    "id": "id",
    "status": "status",
    "best_val_accuracy": "best validation accuracy",
    "best_epoch": "best epoch",
    "test_accuracy": "test accuracy",
    "params": "parameters",
    "seconds_per_epoch": "seconds per epoch",
    "device": "device",
    "epochs": "epochs",
    "l1": "L1",
    "l2": "L2",
    "dropout": "dropout",
    "augmentation": "augmentation",
    "optimizer": "optimizer",
    "learning_rate": "learning rate",
    "batch_size": "batch size",
    "width": "width",
}

#: (metric, split, epoch column) for each curve.
_SERIES = (
    ("accuracy", "train", "accuracy"),
    ("accuracy", "validation", "val_accuracy"),
    ("loss", "train", "loss"),
    ("loss", "validation", "val_loss"),
)
#: first, last, best validation accuracy, lowest validation loss.
_MIN_POINTS = 4


def run_labels(runs: Sequence[dict[str, Any]]) -> dict[str, str]:
    """A short unique legend label per run: its name, plus an id suffix where names repeat.

    Args:
        runs: run dicts from the store (`id` and `name` are read).

    Returns:
        run id -> label, e.g. {"…-3f7a85": "l2 · 3f7a85", "…-9b01c2": "l2 · 9b01c2"}.
    """
    names = {run["id"]: str(run.get("name") or run["id"]) for run in runs}
    counts = Counter(names.values())
    labels = {
        rid: name if counts[name] == 1 else f"{name} · {rid[-6:]}" for rid, name in names.items()
    }
    # Rare: two ids ending alike, or a name that happens to equal another run's label.
    clashes = Counter(labels.values())
    for rid, label in labels.items():
        if clashes[label] > 1:
            labels[rid] = f"{names[rid]} · {rid}"
    return labels


def curves(store: RunStore, run_ids: Sequence[str], *, max_points: int = 400) -> pd.DataFrame:
    """Accuracy and loss curves of the runs, one row per point (long format).

    Args:
        store: the run store.
        run_ids: the runs, in the order charts should show them.
        max_points: the most points per curve; longer curves are thinned with `downsample`,
            keeping the first and last epoch, the epoch of best validation accuracy and the
            epoch of lowest validation loss.

    Returns:
        Columns run_id, run, epoch, wall_time, metric ("accuracy" | "loss"),
        split ("train" | "validation"), value; missing values dropped.

    Raises:
        RunNotFound: a run id is not in the store.
        ValueError: `max_points` is below 4.
    """
    if max_points < _MIN_POINTS:
        raise ValueError(f"max_points must be at least {_MIN_POINTS}; got {max_points}")
    runs, labels = _load(store, run_ids)
    parts = []
    for run in runs:
        epochs = _epochs(store, run["id"])
        keep = [_best_epoch(epochs, "val_accuracy"), _best_epoch(epochs, "val_loss", lowest=True)]
        for metric, split, column in _SERIES:
            series = epochs[["epoch", "wall_time", column]].rename(columns={column: "value"})
            series = downsample(series, max_points, keep=[e for e in keep if e is not None])
            parts.append(
                series.assign(run_id=run["id"], run=labels[run["id"]], metric=metric, split=split)
            )
    return _tidy(parts, CURVE_COLUMNS, labels)


def gaps(store: RunStore, run_ids: Sequence[str]) -> pd.DataFrame:
    """The overfitting picture: training minus validation accuracy, per epoch and run.

    Returns:
        Columns run_id, run, epoch, train_accuracy, val_accuracy, gap (train − val),
        is_best (True on the epoch of best validation accuracy, the first one on ties).
        Epochs missing either accuracy are left out.

    Raises:
        RunNotFound: a run id is not in the store.
    """
    runs, labels = _load(store, run_ids)
    parts = []
    for run in runs:
        epochs = _epochs(store, run["id"])
        best = _best_epoch(epochs, "val_accuracy")
        frame = epochs[["epoch", "accuracy", "val_accuracy"]].dropna()
        parts.append(
            frame.rename(columns={"accuracy": "train_accuracy"}).assign(
                run_id=run["id"],
                run=labels[run["id"]],
                gap=frame["accuracy"] - frame["val_accuracy"],
                is_best=frame["epoch"] == best,
            )
        )
    return _tidy(parts, GAP_COLUMNS, labels)


def weights(store: RunStore, run_ids: Sequence[str]) -> pd.DataFrame:
    """Kernel sparsity and weight norm per epoch, with each run's L1 and L2 strengths.

    Returns:
        Columns run_id, run, epoch, sparsity, weight_norm, l1, l2. Epochs with neither
        statistic are left out.

    Raises:
        RunNotFound: a run id is not in the store.
    """
    runs, labels = _load(store, run_ids)
    parts = []
    for run in runs:
        epochs = _epochs(store, run["id"])
        frame = epochs[["epoch", "sparsity", "weight_norm"]].dropna(
            subset=["sparsity", "weight_norm"], how="all"
        )
        parts.append(
            frame.assign(
                run_id=run["id"],
                run=labels[run["id"]],
                l1=_setting(run["config"], "regularization.l1"),
                l2=_setting(run["config"], "regularization.l2"),
            )
        )
    return _tidy(parts, WEIGHT_COLUMNS, labels)


def summary(store: RunStore, run_ids: Sequence[str]) -> pd.DataFrame:
    """One row per run: results, then the settings that tell runs apart.

    A run still training, failed or cancelled shows what it has: its best validation accuracy,
    best epoch, epochs and seconds per epoch come from the epochs logged so far when the run
    has no final metrics; the rest is missing (NaN/NA).

    Returns:
        Columns as in SUMMARY_COLUMNS (plain-words titles in SUMMARY_TITLES). `augmentation`
        is "off" or the number of ops ("1 op", "3 ops").

    Raises:
        RunNotFound: a run id is not in the store.
    """
    runs, labels = _load(store, run_ids)
    rows = []
    for run in runs:
        metrics, config = run["metrics"], run["config"]
        epochs = _epochs(store, run["id"])
        seconds = epochs["seconds"].dropna()
        derived = {
            "best_val_accuracy": epochs["val_accuracy"].max(),
            "best_epoch": _best_epoch(epochs, "val_accuracy"),
            "epochs_run": len(epochs),
            # Median, as the trainer does: the first epoch includes graph tracing.
            "seconds_per_epoch": statistics.median(seconds) if len(seconds) else None,
            "device": run.get("device"),
        }
        # Final metrics where the run has them, else what its epochs so far say.
        final = {k: v if metrics.get(k) is None else metrics[k] for k, v in derived.items()}
        ops = _setting(config, "augmentation.ops")
        rows.append(
            {
                "run": labels[run["id"]],
                "id": run["id"],
                "status": run["status"],
                "best_val_accuracy": final["best_val_accuracy"],
                "best_epoch": final["best_epoch"],
                "test_accuracy": metrics.get("test_accuracy"),
                "params": metrics.get("params"),
                "seconds_per_epoch": final["seconds_per_epoch"],
                "device": final["device"],
                "epochs": final["epochs_run"],
                "l1": _setting(config, "regularization.l1"),
                "l2": _setting(config, "regularization.l2"),
                "dropout": _setting(config, "regularization.dropout"),
                "augmentation": f"{len(ops)} op{'s' if len(ops) > 1 else ''}" if ops else "off",
                "optimizer": _setting(config, "optimizer.name"),
                "learning_rate": _setting(config, "optimizer.learning_rate"),
                "batch_size": _setting(config, "training.batch_size"),
                "width": _setting(config, "model.width"),
            }
        )
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return frame.astype(SUMMARY_COLUMNS)


def summary_csv(frame: pd.DataFrame) -> bytes:
    """The summary as UTF-8 CSV for download.

    Text cells that a spreadsheet would run as a formula (starting with =, +, -, @) get a
    leading apostrophe, since run names are user text.
    """
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(csv_text, na_action="ignore")
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


# -- helpers ---------------------------------------------------------------------------------


def _load(store: RunStore, run_ids: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The runs (a repeated id once, order kept) and their labels; RunNotFound first."""
    runs = [store.get_run(rid) for rid in dict.fromkeys(run_ids)]
    return runs, run_labels(runs)


def _epochs(store: RunStore, run_id: str) -> pd.DataFrame:
    """The run's epochs with every metric column as float (None -> NaN)."""
    columns = ["epoch", *EPOCH_COLUMNS]
    frame = pd.DataFrame.from_records(store.epochs(run_id), columns=columns)
    return frame.astype({"epoch": "int64", **dict.fromkeys(EPOCH_COLUMNS, "float64")})


def _best_epoch(epochs: pd.DataFrame, column: str, *, lowest: bool = False) -> int | None:
    """The epoch of the highest (or lowest) value, the first on ties; None if all missing."""
    values = epochs[column]
    if values.isna().all():
        return None
    return int(epochs.loc[values.idxmin() if lowest else values.idxmax(), "epoch"])


def _tidy(
    parts: list[pd.DataFrame], columns: dict[str, str], labels: dict[str, str]
) -> pd.DataFrame:
    """Concatenate per-run parts into the frame's columns and dtypes, `run` ordered as given."""
    parts = [p for p in parts if len(p)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(columns))
    frame = frame[list(columns)].astype({k: v for k, v in columns.items() if k != "run"})
    frame["run"] = pd.Categorical(frame["run"], categories=list(labels.values()))
    return frame


@cache
def _defaults() -> dict[str, Any]:
    """ExperimentConfig's defaults, for configs that lack a field (older or hand-written)."""
    return ExperimentConfig().to_dict()


def _setting(config: dict[str, Any], dotted: str) -> Any:
    """A config value by dotted path; ExperimentConfig's default where the run's config lacks it."""
    value: Any = config
    default: Any = _defaults()
    for key in dotted.split("."):
        default = default[key]
        value = value.get(key, default) if isinstance(value, dict) else default
    return value

