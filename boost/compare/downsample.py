"""Thin long curves for drawing, keeping their peaks.

A browser draws a few hundred points per line as well as thousands, and far faster. The method
is min/max per bucket (the "M4" family of line-chart reductions, without the first/last pair):
the points between the first and the last are cut into equal runs of consecutive rows, and each
run keeps its lowest and its highest value. So every spike and every dip of the curve stays
visible, and the global best and worst values always survive.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def downsample(
    frame: pd.DataFrame,
    max_points: int,
    *,
    x: str = "epoch",
    y: str = "value",
    keep: Iterable[float] = (),
) -> pd.DataFrame:
    """At most `max_points` rows of one series, chosen by min/max per bucket.

    Args:
        frame: one series, one row per x value (other columns ride along).
        max_points: the most rows to return.
        x: the column the series runs along; rows are taken in its order.
        y: the column whose extremes each bucket keeps. Rows where it is missing are dropped.
        keep: x values whose rows are always kept (the best epoch), besides the first and last.

    Returns:
        A subset of the rows, in x order, with the original index. The frame itself (sorted,
        without missing values) when it already has at most `max_points` rows.

    Raises:
        ValueError: `max_points` is smaller than the rows that must be kept.
    """
    frame = frame.dropna(subset=[y]).sort_values(x, kind="stable")
    n = len(frame)
    if n <= max_points:
        return frame
    chosen = np.zeros(n, dtype=bool)
    chosen[[0, -1]] = True
    chosen |= np.isin(frame[x].to_numpy(), list(keep))
    n_kept = int(chosen.sum())
    if n_kept > max_points:
        raise ValueError(
            f"max_points must be at least {n_kept} here (first, last and kept rows); "
            f"got {max_points}"
        )
    buckets = (max_points - n_kept) // 2
    if buckets:
        interior = pd.Series(frame[y].to_numpy(dtype=float)[1:-1])
        bucket = np.arange(n - 2) * buckets // (n - 2)
        groups = interior.groupby(bucket)
        # +1: positions in `interior` are one behind positions in `frame`.
        chosen[groups.idxmin().to_numpy() + 1] = True
        chosen[groups.idxmax().to_numpy() + 1] = True
    return frame[chosen]
