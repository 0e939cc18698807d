"""boost.charts for ablations: per-cell bands and the forest plot of effects, by structure."""

from __future__ import annotations

import math

import pandas as pd
import plotly.io as pio
import pytest
from plotly.colors import hex_to_rgb

from boost import charts
from boost.compare import EFFECT_COLUMNS, bands_from_seeds
from boost.compare.stats import HELPS, HURTS, ONE_SEED, UNCLEAR

CELLS = ["base", "l2=0.001", "dropout=0.5"]


def seed_frame(cells: list[str] = CELLS, epochs: int = 5) -> pd.DataFrame:
    """Three seeds per cell, except the last cell with one seed only (no band there)."""
    rows = [
        {
            "cell": cell,
            "seed": seed,
            "run_id": f"{cell}-{seed}",
            "epoch": epoch,
            "value": 0.4 + 0.1 * epoch + 0.02 * seed + 0.01 * i,
        }
        for i, cell in enumerate(cells)
        for seed in (range(3) if i < len(cells) - 1 else range(1))
        for epoch in range(1, epochs + 1)
    ]
    frame = pd.DataFrame(rows)
    frame["cell"] = pd.Categorical(frame["cell"], categories=cells)
    return frame


def rgba(color: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(color)
    return f"rgba({r}, {g}, {b}, {alpha})"


def effects_frame() -> pd.DataFrame:
    rows = [
        ("l2", "0.001", 0.05, 0.04, 0.06, 3, HELPS, ""),
        ("l2", "0.01", -0.10, -0.11, -0.08, 3, HURTS, ""),
        ("dropout", "0.5", 0.01, -0.07, 0.10, 3, UNCLEAR, "smaller than the seed-to-seed spread"),
        ("batch_norm", "on", 0.03, math.nan, math.nan, 1, ONE_SEED, "rests on one seed"),
    ]
    frame = pd.DataFrame(
        [
            {"factor": f, "level": lv, "base_level": "0.0", "change": f"{f} 0.0 → {lv}",
             "metric": m, "diff": d, "low": lo, "high": hi, "n": n, "p_holm": math.nan,
             "verdict": v, "seeds_needed": None, "warning": w}
            for m in ("best_val_accuracy", "test_accuracy")
            for f, lv, d, lo, hi, n, v, w in rows
        ]
    )  # fmt: skip
    return frame.astype(EFFECT_COLUMNS)


# -- cell curves -------------------------------------------------------------------------------


def test_a_mean_line_and_a_band_per_cell_in_the_cell_colours() -> None:
    fig = charts.cell_curves_chart(bands_from_seeds(seed_frame()))
    colors = charts.run_colors(CELLS)
    bands = [t for t in fig.data if t.fill == "toself"]
    means = [t for t in fig.data if t.showlegend is not False]
    # The one-seed cell has a mean line but no band; nothing else is drawn without seeds.
    assert [t.name for t in bands] == CELLS[:2]
    assert [t.name for t in means] == CELLS
    assert len(fig.data) == len(bands) + len(means)
    for trace in means:
        assert trace.line.color == colors[trace.name]
    for trace in bands:
        assert trace.fillcolor == rgba(colors[trace.name], charts.BAND_ALPHA)
        assert trace.legendgroup == trace.name and trace.hoverinfo == "skip"
    # Bands sit under the mean lines.
    assert fig.data.index(bands[-1]) < fig.data.index(means[0])


def test_the_band_spans_low_to_high() -> None:
    bands = bands_from_seeds(seed_frame())
    fig = charts.cell_curves_chart(bands)
    base = bands[bands["cell"] == "base"]
    band = next(t for t in fig.data if t.fill == "toself" and t.name == "base")
    assert list(band.x) == [1, 2, 3, 4, 5, 5, 4, 3, 2, 1]
    assert list(band.y) == pytest.approx([*base["high"], *base["low"][::-1]])


def test_a_band_breaks_where_only_one_seed_reached() -> None:
    seeds = seed_frame()
    # Seeds 1 and 2 of the base miss epoch 3 (e.g. no validation value logged there).
    seeds = seeds[~((seeds["cell"] == "base") & (seeds["seed"] > 0) & (seeds["epoch"] == 3))]
    fig = charts.cell_curves_chart(bands_from_seeds(seeds))
    band = next(t for t in fig.data if t.fill == "toself" and t.name == "base")
    assert list(band.x) == [1, 2, 2, 1, None, 4, 5, 5, 4]


def test_hover_shows_mean_interval_and_seeds() -> None:
    fig = charts.cell_curves_chart(bands_from_seeds(seed_frame()))
    mean = next(t for t in fig.data if t.name == "base" and t.fill != "toself")
    assert "mean %{y:.1%}" in mean.hovertemplate and "n = %{customdata[1]} seeds" in (
        mean.hovertemplate
    )
    assert mean.customdata[0][0].startswith("95% interval ")
    assert str(mean.customdata[0][1]) == "3"
    alone = next(t for t in fig.data if t.name == "dropout=0.5")
    assert alone.customdata[0][0] == "one seed: no interval"


def test_seed_lines_only_when_asked_thin_faint_and_grouped() -> None:
    seeds = seed_frame()
    fig = charts.cell_curves_chart(bands_from_seeds(seeds), seeds)
    colors = charts.run_colors(CELLS)
    lines = [t for t in fig.data if " · seed " in t.name]
    assert len(lines) == 3 + 3 + 1
    for trace in lines:
        cell = trace.name.split(" · seed ")[0]
        assert trace.legendgroup == cell and trace.showlegend is False
        assert trace.line.color == colors[cell] and trace.line.width == 1
        assert trace.opacity == charts.SEED_OPACITY
    assert list(lines[0].y) == pytest.approx(
        seeds[(seeds["cell"] == "base") & (seeds["seed"] == 0)]["value"].tolist()
    )


def test_axes_accuracy_in_percent_loss_from_zero() -> None:
    bands = bands_from_seeds(seed_frame())
    acc = charts.cell_curves_chart(bands)
    assert list(acc.layout.yaxis.range) == [0, 1] and acc.layout.yaxis.tickformat == ".0%"
    assert acc.layout.title.text.startswith("Validation accuracy per cell")
    loss = charts.cell_curves_chart(bands, metric="loss", split="train")
    assert loss.layout.yaxis.rangemode == "tozero"
    assert loss.layout.title.text.startswith("Training loss per cell")
    assert acc.layout.template == pio.templates[charts.TEMPLATE]


def test_cell_curve_chart_refuses_unknown_choices() -> None:
    bands = bands_from_seeds(seed_frame())
    with pytest.raises(ValueError, match="metric must be"):
        charts.cell_curves_chart(bands, metric="f1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="split must be"):
        charts.cell_curves_chart(bands, split="test")  # type: ignore[arg-type]


def test_colours_follow_the_definition_order_even_for_cells_without_runs() -> None:
    seeds = seed_frame()
    seeds = seeds[seeds["cell"] != "base"]  # categories still list the base first
    fig = charts.cell_curves_chart(bands_from_seeds(seeds))
    colors = charts.run_colors(CELLS)
    means = [t for t in fig.data if t.showlegend is not False]
    assert [t.line.color for t in means] == [colors["l2=0.001"], colors["dropout=0.5"]]


# -- forest plot ---------------------------------------------------------------------------------


def test_forest_plot_has_a_row_per_level_with_interval_bars() -> None:
    fig = charts.effects_chart(effects_frame())
    assert list(fig.layout.yaxis.ticktext) == [
        "l2=0.001",
        "l2=0.01",
        "dropout=0.5",
        "batch_norm=on",
    ]
    assert list(fig.layout.yaxis.tickvals) == [0, 1, 2, 3]
    assert fig.layout.yaxis.autorange == "reversed"
    by_verdict = {t.name: t for t in fig.data}
    assert set(by_verdict) == {HELPS, HURTS, UNCLEAR, ONE_SEED}
    helps = by_verdict[HELPS]
    assert list(helps.y) == [0] and list(helps.x) == pytest.approx([0.05])
    assert helps.error_x.symmetric is False
    assert list(helps.error_x.array) == pytest.approx([0.01])
    assert list(helps.error_x.arrayminus) == pytest.approx([0.01])
    assert list(by_verdict[UNCLEAR].error_x.array) == pytest.approx([0.09])
    assert list(by_verdict[UNCLEAR].error_x.arrayminus) == pytest.approx([0.08])


def test_forest_plot_colours_by_verdict_and_marks_zero() -> None:
    fig = charts.effects_chart(effects_frame())
    colors = {t.name: t.marker.color for t in fig.data}
    assert colors[HELPS] == "#2CA02C" and colors[HURTS] == "#D62728"
    assert colors[UNCLEAR] == "#7F7F7F" and colors[ONE_SEED] == charts.NO_INTERVAL_COLOR
    zero = [s for s in fig.layout.shapes if s.x0 == 0 and s.x1 == 0]
    assert len(zero) == 1 and zero[0].yref == "y domain"  # the full height
    assert fig.layout.xaxis.tickformat == "+.1~%"
    assert "percentage points" in fig.layout.xaxis.title.text


def test_a_row_without_interval_is_a_dot_whose_hover_says_why() -> None:
    fig = charts.effects_chart(effects_frame())
    one = next(t for t in fig.data if t.name == ONE_SEED)
    assert one.error_x.array is None
    assert list(one.x) == pytest.approx([0.03])
    about = one.customdata[0][2]
    assert about.startswith("one seed: no confidence interval")
    assert one.customdata[0][3] == f"{ONE_SEED}; rests on one seed"
    helps = next(t for t in fig.data if t.name == HELPS)
    assert helps.customdata[0][2] == "95% interval +4.0% to +6.0%, paired over 3 seeds"


def test_forest_plot_shows_one_metric() -> None:
    frame = effects_frame()
    frame.loc[frame["metric"] == "test_accuracy", "diff"] = 0.5
    test = charts.effects_chart(frame, metric="test_accuracy")
    assert all(list(t.x) == [0.5] * len(t.x) for t in test.data)
    assert "test accuracy" in test.layout.title.text
    with pytest.raises(ValueError, match="metric must be one of"):
        charts.effects_chart(frame, metric="val_loss")


def test_user_text_is_escaped_and_kept_out_of_hover_templates() -> None:
    name = "<b>bold</b> & co"
    escaped = "&lt;b&gt;bold&lt;/b&gt; &amp; co"
    seeds = seed_frame(cells=[name, "other"])
    curves = charts.cell_curves_chart(bands_from_seeds(seeds), seeds)
    assert {t.name for t in curves.data if t.legendgroup == name} >= {escaped}
    frame = effects_frame()
    frame["factor"] = name
    forest = charts.effects_chart(frame)
    assert list(forest.layout.yaxis.ticktext)[0] == f"{escaped}=0.001"
    assert forest.data[0].customdata[0][0] == f"{escaped}=0.001"
    for fig in (curves, forest):
        assert all(name not in (t.hovertemplate or "") for t in fig.data)
        assert all(name not in (t.name or "") for t in fig.data)


def test_empty_frames_give_a_message() -> None:
    empty_bands = bands_from_seeds(seed_frame().iloc[:0])
    for fig in (
        charts.cell_curves_chart(empty_bands),
        charts.effects_chart(pd.DataFrame(columns=list(EFFECT_COLUMNS))),
    ):
        assert len(fig.data) == 0
        assert fig.layout.annotations[0].text.startswith("No ")
