"""Runs from the store as tidy pandas frames, ready for charts and tables.

Every per-epoch frame names each run twice: `run_id` (the stable key) and `run` (a short
unique label for legends, see `run_labels`). `run` is a categorical whose categories are all the
requested runs in the order given, even those without rows in that frame (a queued run, a run
without weight statistics), so that charts give a run the same colour in every chart.

Runs are read as they are: a running or failed run contributes the epochs it has, and missing
values stay missing (NaN), never filled in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from boost.compare.downsample import downsample
from boost.config import ExperimentConfig
from boost.runs.entities import Run
from boost.runs.store import EPOCH_COLUMNS, RunStore
from boost.runs.tables import csv_text

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


def run_labels(runs: Sequence[Run]) -> dict[str, str]:
    """A short unique legend label per run: its name, plus an id suffix where names repeat.

    Args:
        runs: run dicts from the store (`id` and `name` are read).

    Returns:
        run id -> label, e.g. {"…-3f7a85": "l2 · 3f7a85", "…-9b01c2": "l2 · 9b01c2"}.
    """
    names = {run.id: str(run.name or run.id) for run in runs}
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


@dataclass(frozen=True)
class History:
    """The chosen runs and all their epochs, read from the store once.

    Every frame below is a pure function of it, so a page that draws curves, gaps, weights
    and a summary reads the store twice (runs, epochs) whatever the number of runs.
    """

    #: The runs in the order given (a repeated id once).
    runs: list[dict[str, Any]]
    #: run id -> legend label (see `run_labels`).
    labels: dict[str, str]
    #: run_id, run (the label, categorical in the runs' order), epoch and every EPOCH_COLUMNS
    #: metric (float, NaN where missing), sorted by the runs' order, then epoch.
    epochs: pd.DataFrame


def load_history(store: RunStore, run_ids: Sequence[str]) -> History:
    """The runs and their epochs in two reads.

    Raises:
        RunNotFound: a run id is not in the store (the first missing, in the order given).
    """
    runs = store.get_runs(run_ids)
    columns = ["run_id", "epoch", *EPOCH_COLUMNS]
    epochs = pd.DataFrame.from_records(store.epoch_table([r.id for r in runs]), columns=columns)
    epochs = epochs.astype({"run_id": "object", "epoch": "int64",
                            **dict.fromkeys(EPOCH_COLUMNS, "float64")})  # fmt: skip
    labels = run_labels(runs)
    position = epochs["run_id"].map({r.id: i for i, r in enumerate(runs)}).to_numpy()
    epochs = epochs.iloc[np.lexsort((epochs["epoch"].to_numpy(), position))]
    run = pd.Categorical.from_codes(position[epochs.index], categories=list(labels.values()))
    epochs.insert(1, "run", run)
    return History(runs, labels, epochs.reset_index(drop=True))


Source = RunStore | History


def curves(
    source: Source, run_ids: Sequence[str] | None = None, *, max_points: int = 400
) -> pd.DataFrame:
    """Accuracy and loss curves of the runs, one row per point (long format).

    Args:
        source: a `History`, or the run store to read `run_ids` from.
        run_ids: the runs, in the order charts should show them (with a store).
        max_points: the most points per curve; longer curves are thinned with `downsample`,
            keeping the first and last epoch, the epoch of best validation accuracy and the
            epoch of lowest validation loss.

    Returns:
        Columns run_id, run, epoch, wall_time, metric ("accuracy" | "loss"),
        split ("train" | "validation"), value; missing values dropped. Rows go by run (in
        the order given), then curve, then epoch.

    Raises:
        RunNotFound: a run id is not in the store.
        ValueError: `max_points` is below 4.
    """
    if max_points < _MIN_POINTS:
        raise ValueError(f"max_points must be at least {_MIN_POINTS}; got {max_points}")
    h = _history(source, run_ids)
    e = h.epochs
    parts = [
        e[["run_id", "run", "epoch", "wall_time", column]]
        .rename(columns={column: "value"})
        .dropna(subset=["value"])
        .assign(metric=metric, split=split, _series=i)
        for i, (metric, split, column) in enumerate(_SERIES)
    ]
    long = pd.concat(parts, ignore_index=True)
    if len(e) and e["run_id"].value_counts().max() > max_points:
        long = _thin(long, e, max_points)  # only curves that need it: most are far shorter
    # By run (in the order given), then curve, then epoch.
    at = np.lexsort((long["epoch"].to_numpy(), long["_series"].to_numpy(),
                     long["run"].cat.codes.to_numpy()))  # fmt: skip
    return _tidy(long.iloc[at], CURVE_COLUMNS, h.labels)


def gaps(source: Source, run_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The overfitting picture: training minus validation accuracy, per epoch and run.

    Returns:
        Columns run_id, run, epoch, train_accuracy, val_accuracy, gap (train − val),
        is_best (True on the epoch of best validation accuracy, the first one on ties).
        Epochs missing either accuracy are left out.

    Raises:
        RunNotFound: a run id is not in the store.
    """
    h = _history(source, run_ids)
    best = _best_epochs(h.epochs, "val_accuracy")
    frame = h.epochs[["run_id", "run", "epoch", "accuracy", "val_accuracy"]].dropna()
    frame = frame.rename(columns={"accuracy": "train_accuracy"}).assign(
        gap=frame["accuracy"] - frame["val_accuracy"],
        is_best=frame["epoch"].to_numpy() == frame["run_id"].map(best).to_numpy(),
    )
    return _tidy(frame, GAP_COLUMNS, h.labels)


def weights(source: Source, run_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Kernel sparsity and weight norm per epoch, with each run's L1 and L2 strengths.

    Returns:
        Columns run_id, run, epoch, sparsity, weight_norm, l1, l2. Epochs with neither
        statistic are left out.

    Raises:
        RunNotFound: a run id is not in the store.
    """
    h = _history(source, run_ids)
    frame = h.epochs[["run_id", "run", "epoch", "sparsity", "weight_norm"]].dropna(
        subset=["sparsity", "weight_norm"], how="all"
    )
    l1 = {r.id: _setting(r.config, "regularization.l1") for r in h.runs}
    l2 = {r.id: _setting(r.config, "regularization.l2") for r in h.runs}
    frame = frame.assign(l1=frame["run_id"].map(l1), l2=frame["run_id"].map(l2))
    return _tidy(frame, WEIGHT_COLUMNS, h.labels)


def summary(source: Source, run_ids: Sequence[str] | None = None) -> pd.DataFrame:
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
    h = _history(source, run_ids)
    by_run = h.epochs.groupby("run_id", sort=False)
    best_val = by_run["val_accuracy"].max()
    best_epoch = _best_epochs(h.epochs, "val_accuracy")
    count = by_run.size()
    # Median, as the trainer does: the first epoch includes graph tracing.
    seconds = by_run["seconds"].median()
    rows = []
    for run in h.runs:
        rid, metrics, config = run.id, run.metrics, run.config
        spe = seconds.get(rid)
        derived = {
            "best_val_accuracy": best_val.get(rid, math.nan),
            "best_epoch": best_epoch.get(rid),
            "epochs_run": int(count.get(rid, 0)),
            "seconds_per_epoch": None if spe is None or math.isnan(spe) else float(spe),
            "device": run.device,
        }
        # Final metrics where the run has them, else what its epochs so far say.
        final = {k: v if metrics.get(k) is None else metrics[k] for k, v in derived.items()}
        ops = _setting(config, "augmentation.ops")
        rows.append(
            {
                "run": h.labels[rid],
                "id": rid,
                "status": run.status,
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


def _history(source: Source, run_ids: Sequence[str] | None) -> History:
    if isinstance(source, History):
        return source
    return load_history(source, run_ids or [])


def _best_epochs(epochs: pd.DataFrame, column: str, *, lowest: bool = False) -> dict[str, int]:
    """run id -> the epoch of its highest (or lowest) value, the first on ties; runs whose
    values are all missing are left out."""
    valid = epochs.dropna(subset=[column])
    if valid.empty:
        return {}
    grouped = valid.groupby("run_id", sort=False)[column]
    at = grouped.idxmin() if lowest else grouped.idxmax()
    return dict(zip(at.index, valid.loc[at.to_numpy(), "epoch"].astype(int), strict=True))


def _thin(long: pd.DataFrame, epochs: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """`long` with every curve of more than `max_points` points downsampled (see `curves`)."""
    sizes = long.groupby(["run_id", "_series"], sort=False).size()
    too_long = set(sizes[sizes > max_points].index)
    best = _best_epochs(epochs, "val_accuracy")
    lowest = _best_epochs(epochs, "val_loss", lowest=True)
    kept, thinned = [], []
    for (rid, i), series in long.groupby(["run_id", "_series"], sort=False):
        if (rid, i) in too_long:
            keep = [x for x in (best.get(rid), lowest.get(rid)) if x is not None]
            thinned.append(downsample(series, max_points, keep=keep))
        else:
            kept.append(series)
    return pd.concat([*kept, *thinned], ignore_index=True)


def _tidy(frame: pd.DataFrame, columns: dict[str, str], labels: dict[str, str]) -> pd.DataFrame:
    """The frame's columns in their dtypes, a fresh index, `run` ordered as given."""
    frame = frame.reset_index(drop=True)[list(columns)]
    frame = frame.astype({k: v for k, v in columns.items() if k != "run"})
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

