"""boost.charts: figure structure from real frames (runs written straight into a store)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from boost import charts, compare
from boost.config import ExperimentConfig
from boost.runs.store import RunStore


def add_run(
    store: RunStore, name: str, n: int, *, status: str = "completed", **settings: Any
) -> str:
    """A run with n plausible epochs (train above validation, L1 raising sparsity)."""
    config = ExperimentConfig().replace(name=name, **settings).to_dict()
    l1 = config["regularization"]["l1"]
    run_id = store.create_run(config, name=name, status="running")
    for e in range(1, n + 1):
        store.log_epoch(
            run_id,
            e,
            {
                "accuracy": 1 - 0.6 * math.exp(-e / 3),
                "val_accuracy": 0.9 - 0.6 * math.exp(-e / 3) - 0.01 * max(0, e - 5),
                "loss": 2 * math.exp(-e / 3),
                "val_loss": 0.3 + 2 * math.exp(-e / 3),
                "wall_time": 1.5 * e,
                "sparsity": 0.05 * e if l1 else 0.01,
                "weight_norm": 20.0 - e,
            },
        )
    if status == "completed":
        store.complete_run(run_id, {})
    elif status == "failed":
        store.fail_run(run_id, "RuntimeError: boom")
    return run_id


@pytest.fixture
def three(store: RunStore) -> tuple[RunStore, list[str]]:
    """baseline / l1 / l2, ten epochs each."""
    ids = [
        add_run(store, "baseline", 10),
        add_run(store, "l1", 10, **{"regularization.l1": 1e-4}),
        add_run(store, "l2", 10, **{"regularization.l2": 1e-3}),
    ]
    return store, ids


def axes(fig: go.Figure, prefix: str) -> dict[str, Any]:
    """The figure's x or y axes by layout name (xaxis, xaxis2, ...)."""
    layout = fig.to_dict()["layout"]
    return {k: v for k, v in layout.items() if k.startswith(prefix)}


def synthetic_curves(n_runs: int, n_points: int) -> pd.DataFrame:
    """A curves frame as compare.curves builds it, without a store (for size tests)."""
    labels = [f"run {i}" for i in range(n_runs)]
    epochs = np.arange(1, n_points + 1)
    parts = [
        pd.DataFrame(
            {
                "run_id": f"id-{i}",
                "run": label,
                "epoch": epochs,
                "wall_time": epochs * 2.0,
                "metric": metric,
                "split": split,
                "value": np.linspace(0.1, 0.9, n_points),
            }
        )
        for i, label in enumerate(labels)
        for metric in ("accuracy", "loss")
        for split in ("train", "validation")
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame["run"] = pd.Categorical(frame["run"], categories=labels)
    return frame


# -- side by side --------------------------------------------------------------------------------


def test_side_by_side_has_a_panel_per_run_with_train_and_validation(three) -> None:
    store, ids = three
    fig = charts.curves_side_by_side(compare.curves(store, ids))
    assert [a.text for a in fig.layout.annotations] == ["baseline", "l1", "l2"]
    assert len(fig.data) == 6
    assert [t.xaxis for t in fig.data] == ["x", "x", "x2", "x2", "x3", "x3"]
    for trace in fig.data:
        split = "train" if trace.name == "training" else "validation"
        assert trace.line.color == charts.SPLIT_COLORS[split]
        assert trace.line.dash == ("dash" if split == "train" else "solid")
    assert [t.name for t in fig.data if t.showlegend is not False] == ["training", "validation"]
    assert {t.legendgroup for t in fig.data} == {"train", "validation"}


def test_side_by_side_shares_axes_and_fixes_the_accuracy_range(three) -> None:
    store, ids = three
    fig = charts.curves_side_by_side(compare.curves(store, ids))
    xs, ys = axes(fig, "xaxis"), axes(fig, "yaxis")
    assert len(xs) == len(ys) == 3
    assert all(ax.get("matches") == "x" for name, ax in xs.items() if name != "xaxis")
    assert all(ax.get("matches") == "y" for name, ax in ys.items() if name != "yaxis")
    assert all(ax["range"] == [0, 1] and ax["tickformat"] == ".0%" for ax in ys.values())
    assert ys["yaxis"]["title"]["text"] == "accuracy"
    assert all(ax["title"]["text"] == "epoch" for ax in xs.values())


def test_side_by_side_loss_over_seconds(three) -> None:
    store, ids = three
    frame = compare.curves(store, ids)
    fig = charts.curves_side_by_side(frame, metric="loss", x="wall_time")
    assert all(ax.get("rangemode") == "tozero" for ax in axes(fig, "yaxis").values())
    assert axes(fig, "xaxis")["xaxis"]["title"]["text"] == "seconds"
    assert list(fig.data[0].x) == [1.5 * e for e in range(1, 11)]
    assert list(fig.data[0].customdata) == list(range(1, 11))  # epochs, for the hover


@pytest.mark.parametrize(("n_runs", "cols"), [(1, 1), (3, 3), (5, 3), (9, 3), (10, 4), (30, 4)])
def test_side_by_side_wraps_and_hides_empty_cells(n_runs: int, cols: int) -> None:
    fig = charts.curves_side_by_side(synthetic_curves(n_runs, 5))
    rows = math.ceil(n_runs / cols)
    xs = axes(fig, "xaxis")
    assert len(xs) == rows * cols
    assert len(fig.layout.annotations) == n_runs
    hidden = [name for name, ax in xs.items() if ax.get("visible") is False]
    assert len(hidden) == rows * cols - n_runs
    # The lowest panel of each column, even where the last row is short, shows x tick labels.
    for col in range(cols):
        last = max(i for i in range(n_runs) if i % cols == col)
        axis = xs["xaxis" if last == 0 else f"xaxis{last + 1}"]
        assert axis.get("showticklabels") is not False and axis["title"]["text"] == "epoch"
    visible = [ax for ax in xs.values() if ax.get("visible") is not False]
    assert sum(ax.get("showticklabels") is not False for ax in visible) == cols


def test_side_by_side_keeps_panels_for_runs_without_epochs(store: RunStore) -> None:
    queued = store.create_run(ExperimentConfig().to_dict(), name="queued")
    done = add_run(store, "done", 3)
    fig = charts.curves_side_by_side(compare.curves(store, [queued, done]))
    assert [a.text for a in fig.layout.annotations] == ["queued", "done"]
    assert {t.xaxis for t in fig.data} == {"x2"}


def test_many_runs_build_with_one_trace_per_series() -> None:
    frame = synthetic_curves(30, 400)
    side = charts.curves_side_by_side(frame)
    over = charts.curves_overlaid(frame, metric="loss")
    assert len(side.data) == 60 and len(over.data) == 60
    assert len(axes(side, "xaxis")) == 32  # 8 rows of 4
    assert all(len(t.x) == 400 for t in over.data)
    assert all(t.mode == "lines" for t in over.data)  # long series: no markers


# -- overlaid --------------------------------------------------------------------------------------


def test_overlaid_colours_runs_and_dashes_training(three) -> None:
    store, ids = three
    fig = charts.curves_overlaid(compare.curves(store, ids))
    colors = charts.run_colors(["baseline", "l1", "l2"])
    assert len(fig.data) == 6
    assert [(t.name, t.line.dash) for t in fig.data] == [
        ("baseline", "solid"),
        ("baseline", "dash"),
        ("l1", "solid"),
        ("l1", "dash"),
        ("l2", "solid"),
        ("l2", "dash"),
    ]
    for trace in fig.data:
        assert trace.line.color == colors[trace.name]
        assert trace.legendgroup == trace.name  # one click hides both lines
    assert [t.name for t in fig.data if t.showlegend is not False] == ["baseline", "l1", "l2"]
    assert fig.layout.yaxis.range == (0, 1)
    assert len(set(colors.values())) == 3


def test_overlaid_loss_axis_starts_at_zero(three) -> None:
    store, ids = three
    fig = charts.curves_overlaid(compare.curves(store, ids), metric="loss", x="wall_time")
    assert fig.layout.yaxis.rangemode == "tozero"
    assert fig.layout.xaxis.title.text == "seconds"


def test_overlaid_shows_a_run_that_has_only_training_values(store: RunStore) -> None:
    run = store.create_run(ExperimentConfig().to_dict(), name="no val", status="running")
    store.log_epoch(run, 1, {"accuracy": 0.5})
    fig = charts.curves_overlaid(compare.curves(store, [run]))
    assert len(fig.data) == 1
    assert fig.data[0].showlegend is not False and fig.data[0].line.dash == "dash"
    assert fig.data[0].mode == "lines+markers"  # one point is still visible


@pytest.mark.parametrize(("metric", "x"), [("recall", "epoch"), ("accuracy", "steps")])
def test_curve_charts_reject_unknown_choices(metric: str, x: str) -> None:
    frame = synthetic_curves(1, 3)
    for build in (charts.curves_side_by_side, charts.curves_overlaid):
        with pytest.raises(ValueError, match="must be"):
            build(frame, metric=metric, x=x)  # type: ignore[arg-type]


# -- gap, weights ----------------------------------------------------------------------------


def test_gap_chart_lines_stars_and_zero_line(three) -> None:
    store, ids = three
    frame = compare.gaps(store, ids)
    fig = charts.gap_chart(frame)
    lines = [t for t in fig.data if t.mode != "markers"]
    stars = [t for t in fig.data if t.mode == "markers"]
    assert len(lines) == len(stars) == 3
    for star in stars:
        best = frame[(frame["run"] == star.name) & frame["is_best"]]
        assert list(star.x) == best["epoch"].tolist()
        assert list(star.y) == pytest.approx(best["gap"].tolist())
        assert star.marker.symbol == "star" and star.showlegend is False
        assert "best validation accuracy" in star.hovertemplate
    line = lines[0]
    expected = frame[frame["run"] == "baseline"]
    assert list(line.y) == pytest.approx(
        (expected["train_accuracy"] - expected["val_accuracy"]).tolist()
    )
    assert [(s.type, s.y0, s.y1) for s in fig.layout.shapes] == [("line", 0, 0)]


def test_weights_chart_has_two_panels_and_labels_with_strengths(three) -> None:
    store, ids = three
    fig = charts.weights_chart(compare.weights(store, ids))
    assert len(fig.data) == 6
    assert [t.xaxis for t in fig.data] == ["x", "x2"] * 3
    labels = [t.name for t in fig.data if t.showlegend is not False]
    assert labels == ["baseline (L1 0, L2 0)", "l1 (L1 0.0001, L2 0)", "l2 (L1 0, L2 0.001)"]
    assert fig.layout.yaxis.range == (0, 1) and fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.yaxis2.rangemode == "tozero"
    assert [t.legendgroup for t in fig.data] == ["baseline", "baseline", "l1", "l1", "l2", "l2"]


def test_a_run_keeps_its_colour_in_every_chart(store: RunStore) -> None:
    first = store.create_run({"name": "no stats"}, name="no stats", status="running")
    store.log_epoch(first, 1, {"accuracy": 0.4, "val_accuracy": 0.3})  # no weight statistics
    ids = [first, add_run(store, "b", 4), add_run(store, "c", 4, status="failed")]
    colors = charts.run_colors(["no stats", "b", "c"])
    figures = [
        charts.curves_overlaid(compare.curves(store, ids)),
        charts.gap_chart(compare.gaps(store, ids)),
        charts.weights_chart(compare.weights(store, ids)),
    ]
    for fig in figures:
        for trace in fig.data:
            color = trace.line.color if trace.mode != "markers" else trace.marker.color
            assert color == colors[trace.legendgroup]
    assert "no stats" not in {t.legendgroup for t in figures[2].data}


def test_run_colors_repeat_only_after_the_palette() -> None:
    runs = [f"r{i}" for i in range(len(charts.PALETTE) + 1)]
    colors = charts.run_colors(runs)
    assert len(set(colors.values())) == len(charts.PALETTE)
    assert colors[runs[-1]] == colors[runs[0]]


# -- confusion -------------------------------------------------------------------------------------


def test_confusion_chart_counts_as_text_row_normalised_colour() -> None:
    matrix = [[8, 2, 0], [0, 0, 0], [1, 1, 2]]
    fig = charts.confusion_chart(matrix, ["cat", "dog", "owl"])
    (heat,) = fig.data
    assert np.array_equal(heat.text, matrix)
    assert np.allclose(heat.z, [[0.8, 0.2, 0], [0, 0, 0], [0.25, 0.25, 0.5]])
    assert (heat.zmin, heat.zmax) == (0, 1)
    assert fig.layout.yaxis.autorange == "reversed"  # first class on top
    assert list(fig.layout.xaxis.ticktext) == ["cat", "dog", "owl"]
    assert fig.layout.xaxis.title.text == "predicted class"
    assert fig.layout.yaxis.title.text == "true class"
    assert list(heat.customdata[2][0]) == ["owl", "cat"]  # [true, predicted]


def test_confusion_chart_keeps_duplicate_and_number_like_names_apart() -> None:
    fig = charts.confusion_chart([[1, 0, 0], [0, 1, 0], [0, 0, 1]], ["10", "2", "2"])
    assert list(fig.data[0].x) == [0, 1, 2]
    assert list(fig.layout.yaxis.ticktext) == ["10", "2", "2"]


@pytest.mark.parametrize(
    ("matrix", "names", "message"),
    [
        ([[1, 2], [3, 4]], ["a", "b", "c"], "3x3"),
        ([[1, 2], [3]], ["a", "b"], "ragged"),
        ([[1, -2], [3, 4]], ["a", "b"], "negative"),
    ],
)
def test_confusion_chart_rejects_bad_matrices(
    matrix: list[list[int]], names: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        charts.confusion_chart(matrix, names)


# -- user text, empty inputs -------------------------------------------------------------------


def test_user_text_is_shown_as_typed_not_as_markup(store: RunStore) -> None:
    name = '<a href="https://example.com">x</a> & <b>y</b>'
    run = add_run(store, name, 3)
    escaped = '&lt;a href="https://example.com"&gt;x&lt;/a&gt; &amp; &lt;b&gt;y&lt;/b&gt;'
    curves = compare.curves(store, [run])
    assert charts.curves_side_by_side(curves).layout.annotations[0].text == escaped
    assert {t.name for t in charts.curves_overlaid(curves).data} == {escaped}
    assert {t.name for t in charts.gap_chart(compare.gaps(store, [run])).data} == {escaped}
    weights = charts.weights_chart(compare.weights(store, [run]))
    assert weights.data[0].name.startswith(escaped)
    heat = charts.confusion_chart([[1]], [name])
    assert list(heat.layout.xaxis.ticktext) == [escaped]
    for fig in (charts.curves_overlaid(curves), heat):
        assert all(name not in (t.hovertemplate or "") for t in fig.data)


def test_empty_inputs_give_a_message_not_an_error(store: RunStore) -> None:
    figures = [
        charts.curves_side_by_side(compare.curves(store, [])),
        charts.curves_overlaid(compare.curves(store, []), metric="loss"),
        charts.gap_chart(compare.gaps(store, [])),
        charts.weights_chart(compare.weights(store, [])),
        charts.confusion_chart([], []),
    ]
    for fig in figures:
        assert len(fig.data) == 0
        assert fig.layout.annotations[0].text.startswith("No ")
        assert fig.layout.title.text


def test_every_chart_uses_the_white_template(three) -> None:
    store, ids = three
    curves = compare.curves(store, ids)
    figures = [
        charts.curves_side_by_side(curves),
        charts.curves_overlaid(curves),
        charts.gap_chart(compare.gaps(store, ids)),
        charts.weights_chart(compare.weights(store, ids)),
        charts.confusion_chart([[1, 0], [0, 1]], ["a", "b"]),
        charts.gap_chart(compare.gaps(store, [])),
    ]
    for fig in figures:
        assert fig.layout.template == pio.templates[charts.TEMPLATE]


def test_a_failed_run_with_two_epochs_is_drawn(store: RunStore) -> None:
    done = add_run(store, "done", 40)
    failed = add_run(store, "failed", 2, status="failed")
    frame = compare.curves(store, [done, failed])
    fig = charts.curves_overlaid(frame)
    failed_traces = [t for t in fig.data if t.name == "failed"]
    assert len(failed_traces) == 2
    assert all(t.mode == "lines+markers" and len(t.x) == 2 for t in failed_traces)
    assert all(t.mode == "lines" for t in fig.data if t.name == "done")
    side = charts.curves_side_by_side(frame)
    assert [t.xaxis for t in side.data] == ["x", "x", "x2", "x2"]
    gaps = compare.gaps(store, [done, failed])
    stars = [t for t in charts.gap_chart(gaps).data if t.mode == "markers"]
    assert [t.name for t in stars] == ["done", "failed"]


def test_a_hand_made_frame_keeps_runs_in_order_of_appearance() -> None:
    frame = synthetic_curves(3, 4)
    frame["run"] = frame["run"].astype(str).map({"run 0": "zeta", "run 1": "alpha", "run 2": "mid"})
    fig = charts.curves_overlaid(frame)
    colors = charts.run_colors(["zeta", "alpha", "mid"])
    assert [t.name for t in fig.data] == ["zeta", "zeta", "alpha", "alpha", "mid", "mid"]
    assert all(t.line.color == colors[t.name] for t in fig.data)
