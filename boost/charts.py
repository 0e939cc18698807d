"""Plotly figures from the tidy frames of boost.compare. No I/O, no UI.

Conventions shared by every chart:
- A run keeps its colour across charts: `run_colors` maps the runs, in their order (the
  categories of a frame's `run` column), onto one qualitative palette.
- Validation lines are solid, training lines dashed: validation is the honest number.
- Accuracy axes span 0 to 1 and loss axes start at 0, so that small differences are not
  blown up by a zoomed axis.
- User text (run and class names) enters plotly only as trace names, axis labels or data,
  never inside hover templates. plotly.js reads a few HTML tags and entities in such text
  (<b>, <br>, <a href>), so `_plain` escapes it: a name shows exactly as typed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pandas.api.typing import DataFrameGroupBy
from plotly.colors import hex_to_rgb, qualitative
from plotly.subplots import make_subplots

from boost.compare import stats

Metric = Literal["accuracy", "loss"]
XAxis = Literal["epoch", "wall_time"]

TEMPLATE = "plotly_white"
#: Run colours: Tableau 10 (clear on white), then Dark24 for runs 11 to 34; then it repeats.
PALETTE: tuple[str, ...] = (*qualitative.D3, *qualitative.Dark24)
#: The two line colours of every side-by-side panel (there the panel names the run).
SPLIT_COLORS: dict[str, str] = {"validation": "#253494", "train": "#F28E2B"}
SPLIT_DASH: dict[str, str] = {"validation": "solid", "train": "dash"}
SPLIT_NAMES: dict[str, str] = {"validation": "validation", "train": "training"}
X_TITLES: dict[str, str] = {"epoch": "epoch", "wall_time": "seconds"}
#: Series longer than this are drawn as plain lines; shorter ones get a marker per epoch so that
#: a run with one or two epochs is still visible.
MARKERS_UP_TO = 30
#: Confusion matrices with more classes than this show colour only: the counts would not fit.
CONFUSION_TEXT_UP_TO = 30

_HOVER_VALUE = {"accuracy": "%{y:.1%}", "loss": "%{y:.4f}"}


def run_colors(runs: Sequence[str]) -> dict[str, str]:
    """One colour per run, by position: the same run order gives the same colours everywhere."""
    return {run: PALETTE[i % len(PALETTE)] for i, run in enumerate(runs)}


def curves_side_by_side(
    frame: pd.DataFrame, metric: Metric = "accuracy", x: XAxis = "epoch"
) -> go.Figure:
    """One panel per run with its training and validation curve, on shared axes.

    Args:
        frame: `boost.compare.curves(...)`.
        metric: "accuracy" or "loss".
        x: "epoch" or "wall_time" (seconds since the run's training started).

    Returns:
        A grid of panels, 3 per row (4 from 10 runs on); the legend says which line is which.
    """
    _check(metric, x)
    runs = _runs(frame)
    title = f"{metric.capitalize()} per run: training and validation"
    if not runs:
        return _empty(title, "No runs selected.")
    cols = min(len(runs), 3 if len(runs) <= 9 else 4)
    rows = math.ceil(len(runs) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes="all",
        shared_yaxes="all",
        subplot_titles=[_plain(run) for run in runs],
        horizontal_spacing=0.03,
        vertical_spacing=min(0.08, 0.5 / rows),
    )
    data = frame[frame["metric"] == metric]
    traces, rows_of, cols_of = [], [], []
    shown: set[str] = set()
    for (run, split), series in _groups(data, ["run", "split"]):
        i = runs.index(run)
        traces.append(
            _line(
                series,
                x,
                metric,
                name=SPLIT_NAMES[split],
                color=SPLIT_COLORS[split],
                dash=SPLIT_DASH[split],
                legendgroup=split,
                showlegend=split not in shown,
            )
        )
        shown.add(split)
        rows_of.append(i // cols + 1)
        cols_of.append(i % cols + 1)
    if traces:
        fig.add_traces(traces, rows=rows_of, cols=cols_of)
    fig.update_yaxes(**_value_axis(metric))
    fig.update_yaxes(title_text=metric, col=1)
    # The last row may be short: hide its empty cells and give the panels above them the
    # x tick labels that shared axes only put on the bottom row.
    for i in range(len(runs), rows * cols):
        row, col = i // cols + 1, i % cols + 1
        fig.update_xaxes(visible=False, row=row, col=col)
        fig.update_yaxes(visible=False, row=row, col=col)
        fig.update_xaxes(showticklabels=True, title_text=X_TITLES[x], row=row - 1, col=col)
    fig.update_xaxes(title_text=X_TITLES[x], row=rows)
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=120 + 240 * rows,
    )
    return fig


def curves_overlaid(
    frame: pd.DataFrame, metric: Metric = "accuracy", x: XAxis = "epoch"
) -> go.Figure:
    """All runs on one chart: a colour per run, validation solid, training dashed.

    Each run has one legend entry; clicking it hides both of the run's lines.

    Args:
        frame: `boost.compare.curves(...)`.
        metric: "accuracy" or "loss".
        x: "epoch" or "wall_time" (seconds since the run's training started).
    """
    _check(metric, x)
    runs = _runs(frame)
    title = f"{metric.capitalize()} of all runs"
    if not runs:
        return _empty(title, "No runs selected.")
    colors = run_colors(runs)
    data = frame[frame["metric"] == metric]
    traces = []
    shown: set[str] = set()
    # Runs in their order, validation first within each run so that its solid line carries
    # the legend entry.
    position = {run: i for i, run in enumerate(runs)}
    order = data["run"].astype(str).map(position) * 2 + (data["split"] == "train")
    data = data.iloc[np.argsort(order.to_numpy(), kind="stable")]
    for (run, split), series in _groups(data, ["run", "split"]):
        traces.append(
            _line(
                series,
                x,
                metric,
                name=_plain(run),
                color=colors[run],
                dash=SPLIT_DASH[split],
                legendgroup=run,
                showlegend=run not in shown,
                what=SPLIT_NAMES[split],
            )
        )
        shown.add(run)
    fig = go.Figure(traces)
    fig.update_yaxes(**_value_axis(metric), title_text=metric)
    fig.update_xaxes(title_text=X_TITLES[x])
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        legend_title_text="run (solid: validation, dashed: training)",
        height=520,
    )
    return fig


def gap_chart(gaps_frame: pd.DataFrame) -> go.Figure:
    """Training minus validation accuracy per epoch: how much the model overfits.

    A star marks each run's epoch of best validation accuracy; above the zero line the model
    does better on data it trained on than on data it has not seen.

    Args:
        gaps_frame: `boost.compare.gaps(...)`.
    """
    title = "Overfitting gap: training minus validation accuracy"
    runs = _runs(gaps_frame)
    if not runs:
        return _empty(title, "No runs selected.")
    colors = run_colors(runs)
    traces = []
    for (run,), series in _groups(gaps_frame, ["run"]):
        custom = series[["train_accuracy", "val_accuracy"]].to_numpy()
        traces.append(
            go.Scatter(
                x=series["epoch"].to_numpy(),
                y=series["gap"].to_numpy(),
                customdata=custom,
                mode="lines+markers" if len(series) <= MARKERS_UP_TO else "lines",
                name=_plain(run),
                legendgroup=run,
                line={"color": colors[run]},
                hovertemplate="%{fullData.name}<br>epoch %{x}: gap %{y:.1%}"
                "<br>training %{customdata[0]:.1%}, validation %{customdata[1]:.1%}"
                "<extra></extra>",
            )
        )
        best = series[series["is_best"]]
        if len(best):
            traces.append(
                go.Scatter(
                    x=best["epoch"].to_numpy(),
                    y=best["gap"].to_numpy(),
                    customdata=best[["train_accuracy", "val_accuracy"]].to_numpy(),
                    mode="markers",
                    name=_plain(run),
                    legendgroup=run,
                    showlegend=False,
                    marker={
                        "symbol": "star",
                        "size": 16,
                        "color": colors[run],
                        "line": {"color": "white", "width": 1},
                    },
                    hovertemplate="%{fullData.name}<br>best validation accuracy "
                    "%{customdata[1]:.1%} at epoch %{x}<br>training %{customdata[0]:.1%}, "
                    "gap %{y:.1%}<extra></extra>",
                )
            )
    fig = go.Figure(traces)
    fig.add_hline(y=0, line={"color": "#555555", "width": 1})
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="training − validation accuracy", tickformat=".1~%")
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        legend_title_text="run (star: best validation epoch)",
        height=480,
    )
    return fig


def weights_chart(weights_frame: pd.DataFrame) -> go.Figure:
    """Kernel sparsity and weight norm per epoch, side by side, a colour per run.

    L1 pushes weights to exactly zero (sparsity rises); L2 shrinks all of them (the norm
    falls). Legend labels carry each run's L1 and L2 strengths.

    Args:
        weights_frame: `boost.compare.weights(...)`.
    """
    title = "Weights: L1 makes them sparse, L2 makes them small"
    runs = _runs(weights_frame)
    if not runs:
        return _empty(title, "No runs selected.")
    colors = run_colors(runs)
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_xaxes="all",
        horizontal_spacing=0.08,
        subplot_titles=(
            "Sparsity: share of near-zero kernel weights",
            "Weight norm: size of all kernel weights",
        ),
    )
    traces, cols_of = [], []
    shown: set[str] = set()
    for (run,), series in _groups(weights_frame, ["run"]):
        first = series.iloc[0]
        label = f"{_plain(run)} (L1 {first['l1']:g}, L2 {first['l2']:g})"
        for col, (column, fmt) in enumerate((("sparsity", ".1%"), ("weight_norm", ".3f")), start=1):
            points = series.dropna(subset=[column])
            if not len(points):
                continue
            traces.append(
                go.Scatter(
                    x=points["epoch"].to_numpy(),
                    y=points[column].to_numpy(),
                    mode="lines+markers" if len(points) <= MARKERS_UP_TO else "lines",
                    name=label,
                    legendgroup=run,
                    showlegend=run not in shown,
                    line={"color": colors[run]},
                    hovertemplate=f"%{{fullData.name}}<br>epoch %{{x}}: %{{y:{fmt}}}<extra></extra>",
                )
            )
            cols_of.append(col)
            shown.add(run)
    if traces:
        fig.add_traces(traces, rows=[1] * len(traces), cols=cols_of)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="sparsity", range=[0, 1], tickformat=".0%", col=1)
    fig.update_yaxes(title_text="weight norm", rangemode="tozero", col=2)
    fig.update_layout(template=TEMPLATE, title=title, legend_title_text="run", height=440)
    return fig


def confusion_chart(matrix: Sequence[Sequence[int]], class_names: Sequence[str]) -> go.Figure:
    """A confusion matrix: true class per row, predicted class per column.

    Cells show counts; colour is the share of the row (of that true class), so that rare
    classes read as clearly as common ones.

    Args:
        matrix: counts, `matrix[i][j]` = images of class i predicted as class j.
        class_names: one name per class, in matrix order.

    Raises:
        ValueError: the matrix is not square, does not match the class names, or has
            negative counts.
    """
    n = len(class_names)
    title = "Confusion matrix (colour: share of each true class)"
    try:
        counts = np.asarray(matrix, dtype=np.int64)
    except ValueError:  # ragged rows
        counts = None
    if counts is not None and counts.size == 0:
        counts = counts.reshape(0, 0)  # [] reads as shape (0,)
    if counts is None or counts.shape != (n, n):
        got = "ragged rows" if counts is None else "x".join(map(str, counts.shape))
        raise ValueError(f"the matrix must be {n}x{n} for {n} class names; got {got}")
    if (counts < 0).any():
        raise ValueError("the matrix holds negative counts")
    if n == 0:
        return _empty(title, "No classes to show.")
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    names = [_plain(str(c)) for c in class_names]
    # Positions, not names, on the axes: duplicate or number-like class names would otherwise
    # merge categories or turn the axis numeric.
    positions = list(range(n))
    custom = np.stack(np.meshgrid(names, names)[::-1], axis=-1)  # [true, predicted] per cell
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=positions,
            y=positions,
            text=counts,
            texttemplate="%{text}" if n <= CONFUSION_TEXT_UP_TO else None,
            customdata=custom,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": {"text": "share of<br>true class"}, "tickformat": ".0%"},
            hovertemplate="true: %{customdata[0]}<br>predicted: %{customdata[1]}"
            "<br>%{text} images, %{z:.1%} of this true class<extra></extra>",
        )
    )
    axis = {"tickmode": "array", "tickvals": positions, "ticktext": names, "showgrid": False}
    fig.update_xaxes(title_text="predicted class", **axis)
    fig.update_yaxes(title_text="true class", autorange="reversed", **axis)
    fig.update_layout(template=TEMPLATE, title=title, height=min(900, 320 + 36 * n))
    return fig


# -- helpers ---------------------------------------------------------------------------------


def _check(metric: str, x: str) -> None:
    if metric not in _HOVER_VALUE:
        raise ValueError(f"metric must be 'accuracy' or 'loss'; got {metric!r}")
    if x not in X_TITLES:
        raise ValueError(f"x must be 'epoch' or 'wall_time'; got {x!r}")


def _runs(frame: pd.DataFrame) -> list[str]:
    """The runs in order: all categories of `run` (runs without rows too), else as they appear."""
    column = frame["run"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return [str(r) for r in pd.unique(column)]


def _groups(frame: pd.DataFrame, keys: list[str]) -> DataFrameGroupBy:
    """(key tuple, rows) per group, in the frame's row order, skipping empty categories."""
    return frame.groupby(keys, observed=True, sort=False)


def _line(
    series: pd.DataFrame,
    x: str,
    metric: str,
    *,
    name: str,
    color: str,
    dash: str,
    legendgroup: str,
    showlegend: bool,
    what: str | None = None,
) -> go.Scatter:
    """One curve; hover shows the epoch and, for overlaid runs, which split (`what`) it is."""
    prefix = "%{fullData.name}<br>" + (f"{what} " if what else "")
    return go.Scatter(
        x=series[x].to_numpy(),
        y=series["value"].to_numpy(),
        customdata=series["epoch"].to_numpy(),
        mode="lines+markers" if len(series) <= MARKERS_UP_TO else "lines",
        name=name,
        legendgroup=legendgroup,
        showlegend=showlegend,
        line={"color": color, "dash": dash},
        marker={"size": 5},
        hovertemplate=f"{prefix}{metric} {_HOVER_VALUE[metric]}<br>epoch %{{customdata}}"
        + (", %{x:.0f} s" if x == "wall_time" else "")
        + "<extra></extra>",
    )


def _plain(text: str) -> str:
    """User text that plotly.js shows as typed, not as markup."""
    return html.escape(text, quote=False)


def _value_axis(metric: str) -> dict[str, Any]:
    if metric == "accuracy":
        return {"range": [0, 1], "tickformat": ".0%"}
    return {"rangemode": "tozero"}


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 16}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(template=TEMPLATE, title=title, height=320)
    return fig


# -- ablation statistics -----------------------------------------------------------------------

#: Forest-plot colours: green helps, red hurts, grey unclear; lighter grey for no interval.
VERDICT_COLORS: dict[str, str] = {
    stats.HELPS: "#2CA02C",
    stats.HURTS: "#D62728",
    stats.UNCLEAR: "#7F7F7F",
}
NO_INTERVAL_COLOR = "#BBBBBB"
#: Opacity of a cell's 95% band and of its individual seed lines.
BAND_ALPHA = 0.18
SEED_OPACITY = 0.35


def cell_curves_chart(
    bands: pd.DataFrame,
    seeds: pd.DataFrame | None = None,
    metric: Metric = "accuracy",
    split: Literal["train", "validation"] = "validation",
) -> go.Figure:
    """Per-cell learning curves: the mean over seeds with a shaded 95% band, a colour per cell.

    Each cell has one legend entry; clicking it hides the cell's mean, band and seed lines.
    Where only one seed reached an epoch there is no band, only the mean.

    Args:
        bands: the first frame of `boost.compare.cell_curves(...)`.
        seeds: its second frame, to draw each seed's curve as a thin faint line; None hides them.
        metric: "accuracy" or "loss" (the metric the frames hold, for axes and hover).
        split: "train" or "validation" (likewise, for the title).
    """
    _check(metric, "epoch")
    if split not in SPLIT_NAMES:
        raise ValueError(f"split must be 'train' or 'validation'; got {split!r}")
    title = f"{SPLIT_NAMES[split].capitalize()} {metric} per cell: mean over seeds, 95% band"
    if bands.empty:
        return _empty(title, "No completed runs yet.")
    colors = run_colors(_cells(bands))
    fmt = _HOVER_VALUE[metric].removeprefix("%{y:").removesuffix("}")  # the hover's format
    band_traces, seed_traces, mean_traces = [], [], []
    for (cell,), rows in _groups(bands, ["cell"]):
        name, color = _plain(cell), colors[cell]
        x, y = _band_outline(rows)
        if x:
            band_traces.append(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    fill="toself",
                    fillcolor=_translucent(color, BAND_ALPHA),
                    line={"width": 0, "color": color},
                    name=name,
                    legendgroup=cell,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        interval = [
            f"95% interval {lo:{fmt}} to {hi:{fmt}}" if n >= 2 else "one seed: no interval"
            for lo, hi, n in zip(rows["low"], rows["high"], rows["n"], strict=True)
        ]
        mean_traces.append(
            go.Scatter(
                x=rows["epoch"].to_numpy(),
                y=rows["mean"].to_numpy(),
                customdata=np.column_stack([interval, rows["n"].to_numpy()]),
                mode="lines+markers" if len(rows) <= MARKERS_UP_TO else "lines",
                name=name,
                legendgroup=cell,
                line={"color": color, "width": 2.5},
                marker={"size": 5},
                hovertemplate=f"%{{fullData.name}}<br>epoch %{{x}}: mean {_HOVER_VALUE[metric]}"
                "<br>%{customdata[0]}<br>n = %{customdata[1]} seeds<extra></extra>",
            )
        )
    for (cell, seed), rows in _groups(seeds, ["cell", "seed"]) if seeds is not None else ():
        seed_traces.append(
            go.Scatter(
                x=rows["epoch"].to_numpy(),
                y=rows["value"].to_numpy(),
                mode="lines",
                name=f"{_plain(cell)} · seed {seed}",
                legendgroup=cell,
                showlegend=False,
                opacity=SEED_OPACITY,
                line={"color": colors[cell], "width": 1},
                hovertemplate=f"%{{fullData.name}}<br>epoch %{{x}}: {_HOVER_VALUE[metric]}"
                "<extra></extra>",
            )
        )
    # Bands under everything, seeds under the means, so that no band hides another cell's mean.
    fig = go.Figure([*band_traces, *seed_traces, *mean_traces])
    fig.update_yaxes(**_value_axis(metric), title_text=metric)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        legend_title_text="cell (band: 95% interval over seeds)",
        height=520,
    )
    return fig


def effects_chart(effects_df: pd.DataFrame, metric: str = "best_val_accuracy") -> go.Figure:
    """A forest plot: each factor level's difference from its base level, with its 95% interval.

    One row per level ("factor=level"), a dot for the difference and a bar for the interval,
    coloured by verdict; a vertical line marks zero. Rows whose difference rests on one seed
    show the dot only, and their hover says why.

    Args:
        effects_df: `boost.compare.effects(...)`.
        metric: "best_val_accuracy" or "test_accuracy".

    Raises:
        ValueError: an unknown metric.
    """
    if metric not in stats.METRICS:
        raise ValueError(f"metric must be one of {', '.join(stats.METRICS)}; got {metric!r}")
    words = stats.METRICS[metric]
    title = f"What changed {words}: difference from the base level, 95% interval over seeds"
    data = effects_df[effects_df["metric"] == metric].reset_index(drop=True)
    if data.empty:
        return _empty(title, "No effects to show yet.")
    labels = [_plain(f"{f}={lv}") for f, lv in zip(data["factor"], data["level"], strict=True)]
    bases = [_plain(f"{f}={b}") for f, b in zip(data["factor"], data["base_level"], strict=True)]
    traces = []
    for verdict, rows in data.groupby("verdict", sort=False):
        has_interval = rows["low"].notna() & rows["high"].notna()
        color = VERDICT_COLORS.get(str(verdict), NO_INTERVAL_COLOR)
        about = [_interval_note(r.low, r.high, r.n) for r in rows.itertuples()]
        notes = [f"{verdict}; {w}" if w else str(verdict) for w in rows["warning"]]
        customdata = np.column_stack(
            [[labels[i] for i in rows.index], [bases[i] for i in rows.index], about, notes]
        )
        traces.append(
            go.Scatter(
                x=rows["diff"].to_numpy(),
                y=rows.index.to_numpy(),
                customdata=customdata,
                mode="markers",
                name=str(verdict),
                marker={"color": color, "size": 11},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (rows["high"] - rows["diff"]).to_numpy(),
                    "arrayminus": (rows["diff"] - rows["low"]).to_numpy(),
                    "color": color,
                    "thickness": 2,
                    "width": 6,
                }
                if has_interval.any()
                else None,
                hovertemplate="%{customdata[0]} vs %{customdata[1]}<br>difference %{x:+.1%}"
                "<br>%{customdata[2]}<br>%{customdata[3]}<extra></extra>",
            )
        )
    fig = go.Figure(traces)
    fig.add_vline(x=0, line={"color": "#555555", "width": 1})
    positions = list(range(len(data)))
    # Positions, not labels, on the axis: two factors may share a label's text.
    fig.update_yaxes(
        tickmode="array",
        tickvals=positions,
        ticktext=labels,
        autorange="reversed",
        zeroline=False,  # y=0 is the first row, not a value
        title_text="",
    )
    fig.update_xaxes(
        title_text=f"difference in {words} (percentage points)", tickformat="+.1~%", zeroline=False
    )
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        legend_title_text="verdict",
        height=min(900, 200 + 40 * len(data)),
    )
    return fig


def _interval_note(low: float, high: float, n: int) -> str:
    """A forest-plot row's interval in words, or why it has none."""
    if not (math.isnan(low) or math.isnan(high)):
        return f"95% interval {low:+.1%} to {high:+.1%}, paired over {n} seeds"
    seeds = "one seed" if n == 1 else "no completed seeds"
    return (f"{seeds}: no confidence interval "
            "(it needs at least two seeds, completed in every cell compared)")


def _cells(frame: pd.DataFrame) -> list[str]:
    """The cells in order: all categories of `cell` (cells without rows too), else as they appear."""
    column = frame["cell"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return [str(c) for c in pd.unique(column)]


def _band_outline(rows: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """The band as closed shapes: high forward, low back, one shape per run of epochs with an
    interval (a None between shapes, which `fill="toself"` closes separately)."""
    ok = (rows["low"].notna() & rows["high"].notna()).to_numpy()
    segment = np.cumsum(~ok)[ok]  # equal within a run of consecutive epochs with an interval
    x: list[Any] = []
    y: list[Any] = []
    for _, seg in rows[ok].groupby(segment, sort=True):
        x += [*seg["epoch"], *seg["epoch"][::-1], None]
        y += [*seg["high"], *seg["low"][::-1], None]
    return x[:-1], y[:-1]


def _translucent(color: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(color)
    return f"rgba({r}, {g}, {b}, {alpha})"
