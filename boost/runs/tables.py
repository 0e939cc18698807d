"""CSV: per-epoch metrics (history.csv, `python -m boost export`), and text cells made safe."""

from __future__ import annotations

import csv
import io
from typing import Any

from boost.runs.store import EPOCH_COLUMNS, RunStore

#: Cells starting with these are run as formulas by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(cell: Any) -> Any:
    """A cell for a CSV that people open in spreadsheets: user text that would run as a
    formula (=, +, -, @ first) gets a leading apostrophe; anything else is left as it is."""
    if not isinstance(cell, str):
        return cell
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


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
