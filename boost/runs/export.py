"""Per-epoch metrics as CSV (the run folder's history.csv and `python -m boost export`)."""

from __future__ import annotations

import csv
import io

from boost.runs.store import EPOCH_COLUMNS, RunStore


def epochs_csv(store: RunStore, run_id: str) -> str:
    """The run's epochs as CSV text: one row per epoch, `epoch` first, empty for missing values.

    Raises:
        RunNotFound: no run has this id.
    """
    store.get_run(run_id)  # a clear RunNotFound rather than an empty file
    rows = store.epochs(run_id)
    columns = ["epoch", *EPOCH_COLUMNS]
    columns += sorted({k for r in rows for k in r} - set(columns))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return buf.getvalue()
