"""Compare runs: the store's runs as tidy pandas frames, for charts and tables.

`stats` adds the statistics of ablation groups: which methods helped, paired over seeds.

No UI and no TensorFlow here: the dashboard imports this on every rerun.
"""

from boost.compare.downsample import downsample
from boost.compare.frames import (
    CURVE_COLUMNS,
    GAP_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_TITLES,
    WEIGHT_COLUMNS,
    History,
    curves,
    gaps,
    load_history,
    run_labels,
    summary,
    summary_csv,
    weights,
)
from boost.compare.stats import (
    BAND_COLUMNS,
    EFFECT_COLUMNS,
    INTERACTION_COLUMNS,
    METRICS,
    SEED_COLUMNS,
    Interval,
    bands_from_seeds,
    cell_curves,
    effects,
    effects_from_results,
    interactions,
    interactions_from_results,
    results,
    results_from_runs,
    t_interval,
)

__all__ = [
    "BAND_COLUMNS",
    "CURVE_COLUMNS",
    "EFFECT_COLUMNS",
    "GAP_COLUMNS",
    "INTERACTION_COLUMNS",
    "METRICS",
    "SEED_COLUMNS",
    "SUMMARY_COLUMNS",
    "SUMMARY_TITLES",
    "WEIGHT_COLUMNS",
    "History",
    "Interval",
    "bands_from_seeds",
    "cell_curves",
    "curves",
    "downsample",
    "effects",
    "effects_from_results",
    "gaps",
    "interactions",
    "interactions_from_results",
    "load_history",
    "results",
    "results_from_runs",
    "run_labels",
    "summary",
    "summary_csv",
    "t_interval",
    "weights",
]
