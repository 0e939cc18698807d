"""boost.compare.stats: intervals, paired effects and interactions against hand-computed numbers.

Expected numbers are written out, not recomputed with scipy: t(0.975, 1) = 12.706205,
t(0.975, 2) = 4.302653, t(0.95, 2) = 2.919986.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from boost import compare
from boost.ablation import AblationConfig, expand_cells, expand_runs, group_definition
from boost.compare.stats import (
    ADD_UP,
    HELPS,
    HURTS,
    IN_THE_WAY,
    NO_SEEDS,
    NO_SPREAD,
    ONE_SEED,
    REINFORCE,
    RESTS_ON_ONE_SEED,
    TOO_FEW,
    UNCLEAR,
    effects_from_results,
    interactions_from_results,
    results_from_runs,
    t_interval,
)
from boost.runs.entities import GroupDesign, Run
from boost.runs.store import RunStore

APPROX = 1e-6


def definition(factors: list[dict[str, Any]], design: str = "one_at_a_time") -> GroupDesign:
    """The stored definition of an ablation, built as launching one builds it."""
    ablation = AblationConfig(factors=factors, design=design, seeds=3)
    return group_definition(ablation, expand_cells(ablation))


def frame(values: dict[str, list[float | None]], test: dict[str, list[float]] | None = None):
    """A results frame: cell -> value per seed 0, 1, 2 (None: that seed's run failed)."""
    rows = []
    for cell, per_seed in values.items():
        for seed, value in enumerate(per_seed):
            rows.append(
                {
                    "run_id": f"{cell}-{seed}",
                    "cell": cell,
                    "seed": seed,
                    "status": "failed" if value is None else "completed",
                    "best_val_accuracy": value,
                    "test_accuracy": (test or values)[cell][seed],
                }
            )
    return pd.DataFrame(rows).astype({"best_val_accuracy": float, "test_accuracy": float})


def row(table: pd.DataFrame, metric: str = "best_val_accuracy", **where: str) -> dict[str, Any]:
    match = table[table["metric"] == metric]
    for column, value in where.items():
        match = match[match[column] == value]
    assert len(match) == 1, match
    return match.iloc[0].to_dict()


def close(got: dict[str, Any], diff: float, low: float, high: float, key: str = "diff") -> bool:
    return (
        got[key] == pytest.approx(diff, abs=APPROX)
        and got["low"] == pytest.approx(low, abs=APPROX)
        and got["high"] == pytest.approx(high, abs=APPROX)
    )


# -- t_interval --------------------------------------------------------------------------------


def test_t_interval_matches_hand_computed_numbers() -> None:
    # sd 0.1, standard error 0.1/sqrt(3) = 0.057735, half-width 4.302653 * 0.057735 = 0.248414
    iv = t_interval([0.8, 0.9, 1.0])
    assert iv.n == 3
    assert iv.mean == pytest.approx(0.9)
    assert iv.sd == pytest.approx(0.1)
    assert iv.low == pytest.approx(0.651586, abs=APPROX)
    assert iv.high == pytest.approx(1.148414, abs=APPROX)
    # Two values: sd 0.028284, half-width 12.706205 * 0.02 = 0.254124.
    two = t_interval([0.80, 0.84])
    assert (two.low, two.high) == pytest.approx((0.565876, 1.074124), abs=APPROX)
    # 90%: half-width 2.919986 * 0.057735 = 0.168585.
    ninety = t_interval([0.8, 0.9, 1.0], confidence=0.90)
    assert (ninety.low, ninety.high) == pytest.approx((0.731415, 1.068585), abs=APPROX)


def test_one_value_has_no_interval_and_nans_are_dropped() -> None:
    iv = t_interval([0.7, math.nan])
    assert iv.n == 1 and iv.mean == pytest.approx(0.7)
    assert math.isnan(iv.low) and math.isnan(iv.high) and math.isnan(iv.sd)
    empty = t_interval([])
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.low)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1])
def test_confidence_must_be_between_zero_and_one(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        t_interval([0.1, 0.2], confidence=confidence)


# -- one_at_a_time effects ---------------------------------------------------------------------

ONE_AT_A_TIME = [
    {"name": "l2", "levels": [0.0, 0.001, 0.01]},
    {"name": "dropout", "levels": [0.0, 0.25, 0.5]},
    {"name": "batch_norm", "levels": [False, True]},
]
#: base sd 0.02; every other cell differs from it in a known way.
VERDICT_DATA = {
    "base": [0.80, 0.82, 0.84],
    "l2=0.001": [0.85, 0.88, 0.89],  # +0.05, +0.06, +0.05: clearly helps
    "l2=0.01": [0.70, 0.73, 0.74],  # -0.10, -0.09, -0.10: clearly hurts
    "dropout=0.25": [0.85, 0.80, 0.86],  # +0.05, -0.02, +0.02: spans zero
    "dropout=0.5": [0.81, 0.83, 0.85],  # +0.01 each: clear, but below the spread
    "batch_norm=on": [0.83, None, None],  # one completed seed
}


def test_one_at_a_time_effects_are_paired_differences_with_verdicts() -> None:
    table = effects_from_results(frame(VERDICT_DATA), definition(ONE_AT_A_TIME))
    assert list(table.columns) == list(compare.EFFECT_COLUMNS)
    assert list(zip(table["factor"], table["level"], strict=True))[::2] == [
        ("l2", "0.001"),
        ("l2", "0.01"),
        ("dropout", "0.25"),
        ("dropout", "0.5"),
        ("batch_norm", "on"),
    ]
    assert set(table["base_level"]) == {"0.0", "off"}

    # diffs sd 0.005774, half-width 4.302653 * 0.003333 = 0.014342
    helps = row(table, level="0.001")
    assert close(helps, 0.053333, 0.038991, 0.067676)
    assert (helps["n"], helps["verdict"], helps["warning"]) == (3, HELPS, "")

    hurts = row(table, level="0.01")
    assert close(hurts, -0.096667, -0.111009, -0.082324)
    assert (hurts["verdict"], hurts["warning"]) == (HURTS, "")

    # diffs sd 0.035119, half-width 4.302653 * 0.020276 = 0.087240
    spans = row(table, level="0.25")
    assert close(spans, 0.016667, -0.070574, 0.103907)
    assert spans["verdict"] == UNCLEAR == "no clear difference at this many seeds"
    assert spans["warning"] == "smaller than the seed-to-seed spread (sd 0.020)"

    # The same +0.01 on every seed: a zero-width interval, which says nothing about how the
    # next seed would go, so no verdict (it used to say "helps").
    small = row(table, level="0.5")
    assert close(small, 0.01, 0.01, 0.01)
    assert small["verdict"] == NO_SPREAD and pd.isna(small["seeds_needed"])
    assert small["warning"] == "smaller than the seed-to-seed spread (sd 0.020)"

    one = row(table, factor="batch_norm")
    assert one["diff"] == pytest.approx(0.03) and one["n"] == 1
    assert math.isnan(one["low"]) and math.isnan(one["high"])
    assert (one["verdict"], one["warning"]) == (ONE_SEED, RESTS_ON_ONE_SEED)
    assert ONE_SEED == "one seed: no confidence interval"
    assert RESTS_ON_ONE_SEED == "rests on one seed"

    # Test accuracy carries the same numbers here, row for row.
    test_rows = table[table["metric"] == "test_accuracy"].reset_index(drop=True)
    val_rows = table[table["metric"] == "best_val_accuracy"].reset_index(drop=True)
    pd.testing.assert_frame_equal(test_rows.drop(columns="metric"), val_rows.drop(columns="metric"))


def test_a_missing_seed_is_dropped_from_that_comparison_only() -> None:
    data = {**VERDICT_DATA, "l2=0.001": [0.85, 0.88, None]}
    table = effects_from_results(frame(data), definition(ONE_AT_A_TIME))
    # Seeds 0 and 1: diffs 0.05, 0.06; sd 0.007071, half-width 12.706205 * 0.005 = 0.063531.
    got = row(table, level="0.001")
    assert close(got, 0.055, -0.008531, 0.118531)
    assert (got["n"], got["verdict"]) == (2, TOO_FEW)
    assert row(table, level="0.01")["n"] == 3


def test_a_seed_missing_from_the_base_leaves_every_comparison() -> None:
    data = {**VERDICT_DATA, "base": [0.80, 0.82, None]}
    table = effects_from_results(frame(data), definition(ONE_AT_A_TIME))
    assert set(table.loc[table["factor"] != "batch_norm", "n"]) == {2}


def test_only_completed_runs_count_and_a_metric_nobody_has_gives_no_seeds() -> None:
    results = frame(VERDICT_DATA)
    # A run still training may report numbers already; they are not final, so they do not count.
    results.loc[results["run_id"] == "l2=0.01-2", "status"] = "running"
    results.loc[results["cell"] == "dropout=0.5", "test_accuracy"] = math.nan
    table = effects_from_results(results, definition(ONE_AT_A_TIME))
    assert row(table, level="0.01")["n"] == 2
    none = row(table, "test_accuracy", level="0.5")
    assert none["n"] == 0 and math.isnan(none["diff"])
    assert (none["verdict"], none["warning"]) == (NO_SEEDS, "")


# -- full designs --------------------------------------------------------------------------------

TWO_BY_TWO = [
    {"name": "l2", "levels": [0.0, 0.001]},
    {"name": "dropout", "levels": [0.0, 0.5]},
]
SEED_OFFSET = [0.0, 0.02, -0.01]  # base cell [0.80, 0.82, 0.79]: sd 0.015275
NOISE = [0.01, -0.01, 0.0]  # in the both-on cell only, so that intervals have a width


def two_by_two(extra: float) -> pd.DataFrame:
    """l2 adds 0.05, dropout takes 0.03; both together add `extra` on top (plus noise)."""
    cells = {
        "base": (0, 0),
        "l2=0.0, dropout=0.5": (0, 1),
        "l2=0.001, dropout=0.0": (1, 0),
        "l2=0.001, dropout=0.5": (1, 1),
    }
    return frame(
        {
            cell: [
                0.80 + 0.05 * a - 0.03 * b + s + (extra + e if a and b else 0.0)
                for s, e in zip(SEED_OFFSET, NOISE, strict=True)
            ]
            for cell, (a, b) in cells.items()
        }
    )


def test_full_design_main_effects_average_over_the_other_factor() -> None:
    table = effects_from_results(two_by_two(0.0), definition(TWO_BY_TWO, "full"))
    # l2 per seed: 0.05 + noise/2 = 0.055, 0.045, 0.05; sd 0.005, half-width 0.012421.
    l2 = row(table, factor="l2")
    assert close(l2, 0.05, 0.037579, 0.062421)
    assert (l2["level"], l2["base_level"], l2["n"], l2["verdict"]) == ("0.001", "0.0", 3, HELPS)
    dropout = row(table, factor="dropout")
    assert close(dropout, -0.03, -0.042421, -0.017579)
    assert dropout["verdict"] == HURTS and dropout["warning"] == ""


def test_additive_effects_show_no_interaction() -> None:
    table = interactions_from_results(two_by_two(0.0), definition(TWO_BY_TWO, "full"))
    assert list(table.columns) == list(compare.INTERACTION_COLUMNS)
    assert len(table) == 2  # one pair of levels, two metrics
    # Per seed: the noise, 0.01, -0.01, 0; sd 0.01, half-width 4.302653 * 0.005774 = 0.024841.
    got = row(table)
    assert (got["factor_a"], got["level_a"], got["factor_b"], got["level_b"]) == (
        "l2",
        "0.001",
        "dropout",
        "0.5",
    )
    assert close(got, 0.0, -0.024841, 0.024841, key="value")
    assert got["verdict"] == ADD_UP == "the effects add up"
    assert got["warning"] == "smaller than the seed-to-seed spread (sd 0.015)"


@pytest.mark.parametrize(
    ("extra", "low", "high", "verdict"),
    [
        (0.04, 0.015159, 0.064841, REINFORCE),
        (-0.04, -0.064841, -0.015159, IN_THE_WAY),
    ],
)
def test_synergy_and_interference(extra: float, low: float, high: float, verdict: str) -> None:
    defn = definition(TWO_BY_TWO, "full")
    got = row(interactions_from_results(two_by_two(extra), defn))
    assert close(got, extra, low, high, key="value")
    assert got["verdict"] == verdict and got["warning"] == ""
    # The main effect of l2 now includes half the synergy: 0.05 + 0.04 / 2.
    assert row(effects_from_results(two_by_two(extra), defn), factor="l2")["diff"] == (
        pytest.approx(0.05 + extra / 2)
    )
    assert REINFORCE == "they reinforce each other"
    assert IN_THE_WAY == "they get in each other's way"


def test_full_design_with_a_missing_seed_drops_it_from_every_contrast() -> None:
    results = two_by_two(0.0)
    results.loc[results["run_id"] == "l2=0.0, dropout=0.5-2", "status"] = "failed"
    defn = definition(TWO_BY_TWO, "full")
    # Seeds 0 and 1 of l2: 0.055, 0.045; sd 0.007071, half-width 12.706205 * 0.005 = 0.063531.
    got = row(effects_from_results(results, defn), factor="l2")
    assert close(got, 0.05, -0.013531, 0.113531)
    assert got["n"] == 2 and got["verdict"] == TOO_FEW
    assert row(interactions_from_results(results, defn))["n"] == 2


def test_three_factor_design_averages_over_the_third() -> None:
    factors = [*TWO_BY_TWO, {"name": "batch_norm", "levels": [False, True]}]
    defn = definition(factors, "full")
    assert len(defn.cells) == 8
    names = [f["name"] for f in factors]
    values = {}
    for cell in defn.cells:
        on = [cell.levels[n] not in ("0.0", "off") for n in names]
        effect = 0.80 + 0.05 * on[0] - 0.03 * on[1] + 0.02 * on[2]
        values[cell.label] = [
            effect + s + (e if all(on) else 0.0) for s, e in zip(SEED_OFFSET, NOISE, strict=True)
        ]
    results = frame(values)
    table = effects_from_results(results, defn)
    # Noise in one of four l2=0.001 cells: per seed 0.05 + noise / 4, mean 0.05.
    assert row(table, factor="l2")["diff"] == pytest.approx(0.05)
    assert row(table, factor="batch_norm")["diff"] == pytest.approx(0.02)
    inter = interactions_from_results(results, defn)
    best = inter[inter["metric"] == "best_val_accuracy"]
    assert list(zip(best["factor_a"], best["factor_b"], strict=True)) == [
        ("l2", "dropout"),
        ("l2", "batch_norm"),
        ("dropout", "batch_norm"),
    ]
    # Each pair's contrast is the noise averaged with a noiseless half: 0.005, -0.005, 0.
    assert list(best["value"]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    assert set(best["verdict"]) == {ADD_UP}


def test_no_interactions_without_a_full_design_of_two_factors() -> None:
    oaat = interactions_from_results(frame(VERDICT_DATA), definition(ONE_AT_A_TIME))
    assert oaat.empty and list(oaat.columns) == list(compare.INTERACTION_COLUMNS)
    single = definition([{"name": "l2", "levels": [0.0, 0.001]}], "full")
    assert interactions_from_results(frame({"base": [0.8] * 3}), single).empty


# -- the store ---------------------------------------------------------------------------------


def val_accuracy(cell: str, seed: int, epoch: int) -> float:
    return (0.52 if cell != "base" else 0.50) + 0.1 * epoch + 0.01 * seed


def launch(store: RunStore) -> str:
    """An l2 ablation written as the launcher writes it.

    base: seeds 0 and 1 complete after 4 epochs, seed 2 fails after 2. l2=0.001: seeds stop
    early after 4, 3 and 2 epochs. Validation accuracy 0.50 (0.52 with l2) + 0.1 * epoch +
    0.01 * seed; test accuracy 0.02 below the best validation accuracy.
    """
    ablation = AblationConfig(name="abl", factors=[{"name": "l2", "levels": [0.0, 0.001]}], seeds=3)
    store.create_group("abl", group_definition(ablation, expand_cells(ablation)))
    epochs_of = {("base", 2): 2, ("l2=0.001", 1): 3, ("l2=0.001", 2): 2}
    for cell, config in expand_runs(ablation):
        seed = config.seed
        run_id = store.create_run(config.to_dict(), group="abl", cell=cell.label, status="running")
        n = epochs_of.get((cell.label, seed), 4)
        for e in range(1, n + 1):
            v = val_accuracy(cell.label, seed, e)
            store.log_epoch(run_id, e, {"accuracy": v + 0.05, "val_accuracy": v, "loss": 1 / e,
                                        "val_loss": 1.2 / e})  # fmt: skip
        best = val_accuracy(cell.label, seed, n)
        if (cell.label, seed) == ("base", 2):
            store.fail_run(run_id, "RuntimeError: boom")
        else:
            store.complete_run(run_id, {"best_val_accuracy": best, "test_accuracy": best - 0.02})
    return "abl"


def test_results_from_a_real_store(store: RunStore) -> None:
    table = compare.results(store, launch(store))
    assert list(table.columns) == [
        "run_id",
        "cell",
        "seed",
        "status",
        "l2",
        "best_val_accuracy",
        "test_accuracy",
    ]
    assert list(zip(table["cell"], table["seed"], table["l2"], strict=True)) == [
        ("base", 0, "0.0"),
        ("base", 1, "0.0"),
        ("base", 2, "0.0"),
        ("l2=0.001", 0, "0.001"),
        ("l2=0.001", 1, "0.001"),
        ("l2=0.001", 2, "0.001"),
    ]
    failed = table[table["status"] == "failed"]
    assert len(failed) == 1 and failed["best_val_accuracy"].isna().all()
    assert list(table["best_val_accuracy"].dropna()) == pytest.approx(
        [0.90, 0.91, 0.92, 0.83, 0.74]
    )


def test_effects_and_interactions_from_a_real_store(store: RunStore) -> None:
    group = launch(store)
    table = compare.effects(store, group)
    # Seed 2 failed in the base: seeds 0, 1 give 0.92 - 0.90 and 0.83 - 0.91, i.e. 0.02, -0.08;
    # sd 0.070711, half-width 12.706205 * 0.05 = 0.635310.
    got = row(table)
    assert close(got, -0.03, -0.665310, 0.605310)
    assert (got["n"], got["verdict"], got["warning"]) == (2, TOO_FEW, "")
    assert row(table, "test_accuracy")["diff"] == pytest.approx(-0.03)
    assert compare.interactions(store, group).empty


def test_cell_curves_bands_follow_the_seeds_present(store: RunStore) -> None:
    bands, seeds = compare.cell_curves(store, launch(store))
    assert list(bands.columns) == list(compare.BAND_COLUMNS)
    assert list(seeds.columns) == list(compare.SEED_COLUMNS)
    assert list(bands["cell"].cat.categories) == ["base", "l2=0.001"]
    # The failed base seed is left out; the l2 seeds are 4 + 3 + 2 epochs.
    assert len(seeds) == 2 * 4 + 9
    assert set(seeds.loc[seeds["cell"] == "base", "seed"]) == {0, 1}

    base = bands[bands["cell"] == "base"].set_index("epoch")
    # Epoch 1: 0.60, 0.61; sd 0.007071, half-width 12.706205 * 0.005 = 0.063531.
    assert base.loc[1, "mean"] == pytest.approx(0.605)
    assert (base.loc[1, "low"], base.loc[1, "high"]) == pytest.approx(
        (0.541469, 0.668531), abs=APPROX
    )
    assert list(base["n"]) == [2, 2, 2, 2]

    l2 = bands[bands["cell"] == "l2=0.001"].set_index("epoch")
    assert list(l2["n"]) == [3, 3, 2, 1]
    # Epoch 2: 0.72, 0.73, 0.74; sd 0.01, half-width 4.302653 * 0.005774 = 0.024841.
    assert (l2.loc[2, "low"], l2.loc[2, "high"]) == pytest.approx((0.705159, 0.754841), abs=APPROX)
    assert l2.loc[3, "mean"] == pytest.approx(0.825)
    assert l2.loc[4, "mean"] == pytest.approx(0.92)
    assert math.isnan(l2.loc[4, "low"]) and math.isnan(l2.loc[4, "high"])


def test_cell_curves_of_training_loss(store: RunStore) -> None:
    bands, seeds = compare.cell_curves(store, launch(store), metric="loss", split="train")
    assert seeds.loc[seeds["epoch"] == 2, "value"].tolist() == pytest.approx([0.5] * 5)
    assert bands.loc[bands["epoch"] == 4, "mean"].tolist() == pytest.approx([0.25, 0.25])


def test_unknown_curve_choices_are_refused(store: RunStore) -> None:
    group = launch(store)
    with pytest.raises(ValueError, match="metric must be 'accuracy' or 'loss'"):
        compare.cell_curves(store, group, metric="f1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="split 'train' or 'validation'"):
        compare.cell_curves(store, group, split="test")  # type: ignore[arg-type]


def test_a_group_without_a_definition_is_not_an_ablation(store: RunStore) -> None:
    store.create_run({"seed": 0}, group="quick variants")
    for read in (compare.results, compare.effects, compare.interactions, compare.cell_curves):
        with pytest.raises(ValueError, match="'quick variants' is not an ablation group"):
            read(store, "quick variants")
    with pytest.raises(ValueError, match="not an ablation group"):
        compare.results(store, "no such group")


def test_a_factor_named_like_a_fixed_column_keeps_both() -> None:
    defn = definition([{"name": "status", "path": "name", "levels": ["a", "b"]}])
    # The base's name is neither level: its level is labelled "base".
    assert defn.cell_order == ["base", "status=a", "status=b"]
    runs = [
        Run(id="r2", name="r2", status="queued", cell="status=b", config={"seed": 0},
            created_at=0.0),
        Run(id="r1", name="r1", status="completed", cell="base", config={"seed": 0},
            created_at=0.0, metrics={"best_val_accuracy": 0.9, "test_accuracy": 0.8}),
    ]  # fmt: skip
    table = results_from_runs(runs, defn)
    assert list(table.columns) == [
        "run_id",
        "cell",
        "seed",
        "status",
        "status (factor)",
        "best_val_accuracy",
        "test_accuracy",
    ]
    assert list(table["status"]) == ["completed", "queued"]
    assert list(table["status (factor)"]) == ["base", "b"]
    assert table["best_val_accuracy"].tolist()[0] == 0.9
    assert math.isnan(table["best_val_accuracy"].tolist()[1])


def test_contrasts_without_their_cells_get_no_row() -> None:
    # The base's l2 (0.0) is not a level: only the base cell has it, so nothing pairs with it.
    defn = definition([{"name": "l2", "levels": [0.001, 0.01]}, TWO_BY_TWO[1]], "full")
    cells = defn.cell_order
    assert cells[0] == "base" and len(cells) == 5
    results = frame({cell: [0.8 + 0.01 * i, 0.81 + 0.01 * i, 0.8] for i, cell in enumerate(cells)})
    table = effects_from_results(results, defn)
    # dropout pairs within each l2 level; l2's levels have no base-level cell at dropout=0.5.
    assert set(zip(table["factor"], table["level"], strict=True)) == {
        ("l2", "0.001"),
        ("l2", "0.01"),
        ("dropout", "0.5"),
    }
    assert interactions_from_results(results, defn).empty


def test_verdicts_are_holm_corrected_across_the_table() -> None:
    """Each row's p-value is the paired t-test's, adjusted by Holm over the table's tested rows
    (checked here by hand); a row significant alone but not after the correction is unclear."""
    from scipy.stats import ttest_1samp

    data = {
        "base": [0.80, 0.82, 0.84],
        "l2=0.001": [0.85, 0.88, 0.89],  # +0.05 +0.06 +0.05: strong
        "l2=0.01": [0.81, 0.86, 0.85],  # +0.01 +0.04 +0.01: p 0.06 alone
        "dropout=0.25": [0.83, 0.84, 0.87],  # +0.03 +0.02 +0.03: p 0.013 alone
        "dropout=0.5": [0.81, 0.84, 0.86],  # +0.01 +0.02 +0.02: p 0.038 alone
        "batch_norm=on": [0.83, 0.85, 0.86],  # +0.03 +0.03 +0.02
    }
    table = effects_from_results(frame(data), definition(ONE_AT_A_TIME))
    best = table[table["metric"] == "best_val_accuracy"]
    tested = table[table["p_holm"].notna()]
    assert len(tested) == len(table) == 10  # 5 levels x 2 metrics, all with 3 seeds
    raw = [ttest_1samp(np.array(data[cell]) - np.array(data["base"]), 0).pvalue
           for cell in ["l2=0.001", "l2=0.01", "dropout=0.25", "dropout=0.5", "batch_norm=on"]]  # fmt: skip
    raw = raw + raw  # test_accuracy repeats best_val_accuracy here
    order = np.argsort(raw, kind="stable")
    holm = np.empty(len(raw))
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(raw) - rank) * raw[i]))
        holm[i] = running
    assert np.allclose(table["p_holm"].to_numpy(), holm[[0, 5, 1, 6, 2, 7, 3, 8, 4, 9]])
    alone = row(best, level="0.5")
    assert raw[3] < 0.05 and alone["p_holm"] > 0.05 and alone["verdict"] == UNCLEAR
    assert alone["seeds_needed"] > 3  # more seeds would settle it
    assert row(best, factor="l2", level="0.001")["verdict"] == HELPS
