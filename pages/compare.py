"""Compare: curves of several runs side by side and overlaid, the overfitting gap, L1 vs L2."""

from typing import Any

import pandas as pd
import streamlit as st

from boost import charts, compare
from boost.compare import stats
from boost.export import group_csv
from ui.common import REFRESH_S, md, run_detail, run_label, store

st.title("Compare")
st.caption(
    "Pick runs, or a group launched together, and read their curves side by side (one panel "
    "per run) or overlaid (one colour per run). Dashed lines are training, solid validation."
)

s = store()
runs = [r for r in s.list_runs(limit=500) if r.status != "queued"]
if not runs:
    st.info("No runs with curves yet. Launch some on the Train page.")
    st.stop()

groups = sorted({r.group for r in runs if r.group}, reverse=True)
by = st.radio("Choose", ["Runs", "A group"] if groups else ["Runs"], horizontal=True,
              key="cmp_by")  # fmt: skip
group = None
if by == "A group":
    group = st.selectbox("Group", groups, key="cmp_group")
    chosen = [r for r in runs if r.group == group][::-1]
    st.download_button(
        "Download every run and epoch of this group (CSV)", group_csv(s, group),
        file_name="group.csv", mime="text/csv", key="cmp_group_csv",
        help="One tidy row per run and epoch, ready for pandas.",
    )  # fmt: skip
else:
    default = [r for r in runs if r.status in ("completed", "running")][:4]
    chosen = st.multiselect("Runs", runs, default=default, format_func=run_label, key="cmp_runs")
if not chosen:
    st.info("Pick at least one run.")
    st.stop()

cols = st.columns(3)
metric = cols[0].radio("Metric", ["accuracy", "loss"], horizontal=True, key="cmp_metric")
x = cols[1].radio("x axis", ["epoch", "wall_time"], horizontal=True, key="cmp_x",
                  format_func=lambda v: "epoch" if v == "epoch" else "wall time (s)")  # fmt: skip
ids = [r.id for r in chosen]
live = any(r.status == "running" for r in chosen)
if live:
    cols[2].caption("Some of these runs are training: the charts follow them live.")


definition = s.get_group(group) if group else None


def effects_shown(table: Any) -> Any:
    """The effect table as the page shows it: points with two decimals, the interval as it
    is (a zero-width interval reads [+3.75, +3.75], not a range), seeds needed or "–"."""

    def points(x: float) -> str:
        return "–" if x != x else f"{100 * x:+.2f}"

    return pd.DataFrame({
        "change": table["change"],
        "metric": table["metric"],
        "difference (points)": table["diff"].map(points),
        "95% interval": [("–" if lo != lo else f"[{points(lo)}, {points(hi)}]")
                         for lo, hi in zip(table["low"], table["high"], strict=True)],
        "seeds": table["n"],
        "p (Holm)": table["p_holm"].map(lambda p: "–" if p != p else f"{p:.3f}"),
        "verdict": table["verdict"],
        "seeds needed": table["seeds_needed"].map(lambda n: "–" if pd.isna(n) else str(n)),
        "warning": table["warning"],
    })  # fmt: skip


@st.fragment(run_every=REFRESH_S * 2 if live else None)
def ablation_view() -> None:
    """Cells: mean and 95% band over seeds; effects with intervals and verdicts."""
    st.subheader("Ablation: mean over seeds, with 95% confidence bands")
    st.caption(
        f"{definition.design.replace('_', ' ')} design, {len(definition.cells)} cells × "
        f"{definition.seeds} seeds. Bands are 95% t-intervals across seeds; effects compare "
        "each level with the base level seed by seed (paired), so that a difference smaller "
        "than the seed-to-seed noise is not called an improvement."
    )
    show_seeds = st.toggle("Show individual seeds", key="cmp_seeds")
    bands, seeds = stats.cell_curves(s, group, metric=metric)
    st.plotly_chart(charts.cell_curves_chart(bands, seeds if show_seeds else None, metric=metric),
                    key="cmp_cells")  # fmt: skip
    results = stats.results(s, group)  # the group's runs, read once for both tables
    table = stats.effects_from_results(results, definition)
    if table.empty:
        st.info("Effects appear when runs of the base cell and another cell have completed.")
        return
    best, test = st.tabs(["Best validation accuracy", "Final test accuracy"])
    for tab, name in ((best, "best_val_accuracy"), (test, "test_accuracy")):
        tab.plotly_chart(charts.effects_chart(table, metric=name), key=f"cmp_effects_{name}")
    st.caption(
        f"Each row is a change from the base level, paired by seed. A verdict needs at least "
        f"{stats.MIN_SEEDS} seeds with some spread between them; the verdicts of the whole "
        f"table are corrected together (Holm, {stats.ALPHA:.0%} family-wise), so reading "
        "many rows at once does not manufacture a winner. *Seeds needed*: how many seeds "
        f"would settle an unsettled row, if the difference and spread stay as seen "
        f"({stats.POWER:.0%} power)."
    )
    shown = effects_shown(table)
    st.dataframe(shown, hide_index=True, width="stretch", key="cmp_effects_table")
    flagged = table[table["warning"] != ""]
    if len(flagged):
        st.warning(
            "Read these with care:\n\n" + "\n".join(
                f"- {md(r.change)} ({r.metric}): {md(r.warning)}"
                for r in flagged.itertuples())
        )  # fmt: skip
    pairs = stats.interactions_from_results(results, definition)
    if len(pairs):
        st.markdown("**Two-way interactions** (does one method change what another does?)")
        st.dataframe(pairs, hide_index=True, width="stretch", key="cmp_interactions")


@st.fragment(run_every=REFRESH_S * 2 if live else None)
def charts_view() -> None:
    history = compare.load_history(s, ids)  # one read of the store for every chart below
    frame = compare.curves(history)
    side, overlaid = st.tabs(["Side by side", "Overlaid"])
    side.plotly_chart(charts.curves_side_by_side(frame, metric, x), key="cmp_side")
    overlaid.plotly_chart(charts.curves_overlaid(frame, metric, x), key="cmp_overlaid")

    st.subheader("Overfitting: training minus validation accuracy")
    st.caption("The wider the gap, the more the model learns its training images by heart. "
               "Stars mark each run's best validation epoch.")  # fmt: skip
    st.plotly_chart(charts.gap_chart(compare.gaps(history)), key="cmp_gap")

    st.subheader("Weights: L1 makes them sparse, L2 makes them small")
    st.caption("Sparsity is the share of kernel weights within 0.001 of zero; the norm is the "
               "length of all kernel weights together.")  # fmt: skip
    st.plotly_chart(charts.weights_chart(compare.weights(history)), key="cmp_weights")

    st.subheader("Summary")
    table = compare.summary(history)
    st.dataframe(table.rename(columns=compare.SUMMARY_TITLES), hide_index=True, width="stretch",
                 key="cmp_summary")  # fmt: skip
    st.download_button("Download CSV", compare.summary_csv(table), file_name="comparison.csv",
                       mime="text/csv", key="cmp_csv")  # fmt: skip


if definition is not None:
    ablation_view()
charts_view()

st.subheader("Run detail")
one = st.selectbox("Run", chosen, format_func=run_label, key="cmp_detail")
run_detail(s.get_run(one.id), key="cmp_run")
