"""Compare runs: the store's runs as tidy pandas frames, for charts and tables.

No UI and no TensorFlow here: the dashboard imports this on every rerun.
"""

from boost.compare.downsample import downsample
from boost.compare.frames import (
    CURVE_COLUMNS,
    GAP_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_TITLES,
    WEIGHT_COLUMNS,
    curves,
    gaps,
    run_labels,
    summary,
    summary_csv,
    weights,
)

__all__ = [
    "CURVE_COLUMNS",
    "GAP_COLUMNS",
    "SUMMARY_COLUMNS",
    "SUMMARY_TITLES",
    "WEIGHT_COLUMNS",
    "curves",
    "downsample",
    "gaps",
    "run_labels",
    "summary",
    "summary_csv",
    "weights",
]
