"""Ablation statistics: which of these methods actually helped, and how sure can we be?

An ablation group runs every cell (a combination of factor levels) with the same seeds, and the
same seed means the same data split and the same initial weights. So the seeds pair up: the
honest comparison of two cells is the per-seed difference, with a Student-t interval over
seeds. Pairing removes the seed-to-seed spread that both cells share, which is usually most of
it.

Only completed runs carry metrics into the statistics; a run still training, failed or
cancelled stays visible in `results` with missing (NaN) metrics, and a seed missing from one
cell of a comparison is left out of that comparison (`n` says how many seeds remain).

The math lives in pure functions over plain frames (`effects_from_results`,
`interactions_from_results`, `bands_from_seeds`); `results`, `effects`, `interactions` and
`cell_curves` read the store and call them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import t as student_t
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

from boost.runs.entities import GroupDesign, Run
from boost.runs.store import EPOCH_COLUMNS, RunStore

#: The final metrics compared between cells, with their words for people.
METRICS: dict[str, str] = {
    "best_val_accuracy": "best validation accuracy",
    "test_accuracy": "test accuracy",
}

HELPS = "helps"
HURTS = "hurts"
UNCLEAR = "no clear difference at this many seeds"
ONE_SEED = "one seed: no confidence interval"
NO_SEEDS = "no completed seeds to compare"
#: No "helps"/"hurts" (or interaction verdict) from fewer paired seeds than this: with two,
#: one unlucky pair of seeds decides, and the t-interval is at its least reliable.
MIN_SEEDS = 3
#: The family-wise error rate of one table's verdicts (Holm), and 1 - the intervals' coverage.
ALPHA = 0.05
TOO_FEW = f"too few seeds for a verdict ({MIN_SEEDS} needed)"
NO_SPREAD = "every seed gave the same difference: no spread to judge it by"
#: The power "seeds needed" asks for: the chance of a verdict if the effect is what was seen.
POWER = 0.8
#: "Seeds needed" is left empty above this: the difference is too small to chase.
MAX_SEEDS_NEEDED = 1000
ADD_UP = "the effects add up"
REINFORCE = "they reinforce each other"
IN_THE_WAY = "they get in each other's way"
RESTS_ON_ONE_SEED = "rests on one seed"

EFFECT_COLUMNS: dict[str, str] = {
    "factor": "str",
    "level": "str",
    "base_level": "str",
    "change": "str",
    "metric": "str",
    "diff": "float64",
    "low": "float64",
    "high": "float64",
    "n": "int64",
    "p_holm": "float64",
    "verdict": "str",
    "seeds_needed": "Int64",
    "warning": "str",
}
INTERACTION_COLUMNS: dict[str, str] = {
    "factor_a": "str",
    "level_a": "str",
    "factor_b": "str",
    "level_b": "str",
    "metric": "str",
    "value": "float64",
    "low": "float64",
    "high": "float64",
    "n": "int64",
    "p_holm": "float64",
    "verdict": "str",
    "seeds_needed": "Int64",
    "warning": "str",
}
BAND_COLUMNS: dict[str, str] = {
    "cell": "category",
    "epoch": "int64",
    "mean": "float64",
    "low": "float64",
    "high": "float64",
    "n": "int64",
}
SEED_COLUMNS: dict[str, str] = {
    "cell": "category",
    "seed": "Int64",
    "run_id": "str",
    "epoch": "int64",
    "value": "float64",
}
#: The columns of `results` before the factor columns (the metrics come after them).
RESULT_COLUMNS: dict[str, str] = {"run_id": "str", "cell": "str", "seed": "Int64", "status": "str"}

#: (metric, split) -> the store's epoch column.
_CURVE_COLUMN = {
    ("accuracy", "train"): "accuracy",
    ("accuracy", "validation"): "val_accuracy",
    ("loss", "train"): "loss",
    ("loss", "validation"): "val_loss",
}


@dataclass(frozen=True)
class Interval:
    """A mean with its Student-t confidence interval; low/high are NaN below two values."""

    mean: float
    low: float
    high: float
    n: int
    sd: float


def t_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean; NaNs are dropped.

    Args:
        values: the observations (e.g. one per seed).
        confidence: the interval's coverage, between 0 and 1.

    Returns:
        mean, low, high, n (values used) and sd (sample sd, ddof 1). With one value the
        mean is that value and sd, low and high are NaN; with none, all are NaN.

    Raises:
        ValueError: confidence is not between 0 and 1.
    """
    _check_confidence(confidence)
    x = np.asarray(list(values), dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n >= 2 else math.nan
    half = float(_half_width(np.array([sd]), np.array([n]), confidence)[0])
    return Interval(mean=mean, low=mean - half, high=mean + half, n=n, sd=sd)


# -- results -------------------------------------------------------------------------------


def results(store: RunStore, group: str) -> pd.DataFrame:
    """One row per run of an ablation group, with its cell, seed, factor levels and metrics.

    Args:
        store: the run store.
        group: the ablation group's name.

    Returns:
        See `results_from_runs`.

    Raises:
        ValueError: the group has no ablation definition.
    """
    return results_from_runs(store.list_runs(group=group), _definition(store, group))


def results_from_runs(runs: Sequence[Run], definition: GroupDesign) -> pd.DataFrame:
    """The results frame from run dicts (as the store returns them) and the group definition.

    Args:
        runs: run dicts (id, status, cell, config with seed, metrics).
        definition: the group definition (`boost.ablation.group_definition`).

    Returns:
        Columns run_id, cell, seed, status, one column per factor holding the run's level
        label (named as the factor; a factor named like a fixed column gets " (factor)"
        appended), best_val_accuracy, test_accuracy. Metrics of runs that did not complete
        are NaN. Rows in the definition's cell order (unknown cells last), then by seed.
    """
    order = definition.cell_order
    levels = {c.label: c.levels for c in definition.cells}
    factors = [f.name for f in definition.factors]
    rows = []
    for run in runs:
        done = run.status == "completed"
        cell_levels = levels.get(run.cell, {})
        rows.append(
            {
                "run_id": run.id,
                "cell": run.cell,
                "seed": run.seed,
                "status": run.status,
                **{_factor_column(f): cell_levels.get(f) for f in factors},
                **{m: run.metrics.get(m) if done else None for m in METRICS},
            }
        )
    columns = {
        **RESULT_COLUMNS,
        **{_factor_column(f): "str" for f in factors},
        **dict.fromkeys(METRICS, "float64"),
    }
    frame = pd.DataFrame(rows, columns=list(columns)).astype(columns)
    rank = frame["cell"].map({c: i for i, c in enumerate(order)}).fillna(len(order))
    frame = frame.assign(_rank=rank).sort_values(["_rank", "seed", "run_id"], kind="stable")
    return frame.drop(columns="_rank").reset_index(drop=True)


# -- effects and interactions -----------------------------------------------------------------


def effects(store: RunStore, group: str) -> pd.DataFrame:
    """Each factor level's effect against the factor's base level; see `effects_from_results`.

    Raises:
        ValueError: the group has no ablation definition.
    """
    definition = _definition(store, group)
    return effects_from_results(
        results_from_runs(store.list_runs(group=group), definition), definition
    )


def effects_from_results(results_df: pd.DataFrame, definition: GroupDesign) -> pd.DataFrame:
    """Each non-base level's effect on each metric, as a paired analysis over seeds.

    one_at_a_time designs: the level's cell minus the base cell. full designs: the main
    effect, the level's cells minus the base level's cells with the other factors held at
    the same levels, averaged over the other factors' combinations (in a complete factorial:
    the mean over all cells at the level minus the mean over all cells at the base level).
    A level with no such pair of cells (the base value is not among a factor's levels) gets
    no row. Both are computed per
    seed (a paired analysis: the same seed means the same split and initialisation in every
    cell) and summarised by a 95% t-interval over seeds. A seed missing (or not completed)
    in any cell of the comparison is dropped from it.

    Args:
        results_df: `results(...)` or a frame with columns cell, seed, status and the metrics.
        definition: the group definition (`boost.ablation.group_definition`).

    Returns:
        Columns factor, level, base_level, change ("l2 0.001 → 0.0"), metric, diff, low,
        high, n, p_holm (the paired t-test's p-value, Holm-adjusted across the table; NaN
        where not tested), verdict ("helps", "hurts", "no clear difference at this many
        seeds", "too few seeds for a verdict (3 needed)", "every seed gave the same
        difference: no spread to judge it by", "one seed: no confidence interval", "no
        completed seeds to compare"), seeds_needed (see `_judge`; NA once settled or when the
        data say nothing), warning ("rests on one seed", "smaller than the seed-to-seed
        spread (sd 0.012)" when |diff| is below the sd of the base cell across seeds, or "").
        Rows by factor, level, then metric.
    """
    index = definition.cell_of()
    rows = []
    for i, factor in enumerate(definition.factors):
        base = factor.base
        for level in factor.levels:
            if level == base:
                continue
            pairs = [
                (cell, index.get(_swap(key, {i: base})))
                for key, cell in index.items()
                if key[i] == level
            ]
            pairs = [(a, b) for a, b in pairs if b is not None]
            if not pairs:
                continue  # no cells to compare (base values outside the factors' levels)
            signed = [(a, 1.0) for a, _ in pairs] + [(b, -1.0) for _, b in pairs]
            weights = _weights(signed, len(pairs))
            for metric in METRICS:
                iv, verdict, warning = _summarise(
                    results_df, definition, metric, weights, (HELPS, HURTS, UNCLEAR)
                )
                rows.append(
                    {
                        "factor": factor.name,
                        "level": level,
                        "base_level": base,
                        "change": f"{factor.name} {base} → {level}",
                        "metric": metric,
                        "diff": iv.mean,
                        "low": iv.low,
                        "high": iv.high,
                        "n": iv.n,
                        "verdict": verdict,
                        "warning": warning,
                        **_test_fields(iv),
                    }
                )
    _judge(rows, (HELPS, HURTS, UNCLEAR), ALPHA)
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS)).astype(EFFECT_COLUMNS)


def interactions(store: RunStore, group: str) -> pd.DataFrame:
    """Two-factor interactions of a full design; see `interactions_from_results`.

    Raises:
        ValueError: the group has no ablation definition.
    """
    definition = _definition(store, group)
    return interactions_from_results(
        results_from_runs(store.list_runs(group=group), definition), definition
    )


def interactions_from_results(results_df: pd.DataFrame, definition: GroupDesign) -> pd.DataFrame:
    """Do two factors' effects add up? Interaction contrasts of a full design, paired by seed.

    For each pair of factors A, B and non-base levels a1, b1 the contrast is
    (y[a1,b1] - y[a0,b1]) - (y[a1,b0] - y[a0,b0]): how much more A helps when B is at b1
    than when B is at its base. It is computed per seed, averaged over the other factors'
    combinations, and summarised by a 95% t-interval over seeds (paired, as in
    `effects_from_results`).

    Args:
        results_df: `results(...)` or a frame with columns cell, seed, status and the metrics.
        definition: the group definition.

    Returns:
        Columns factor_a, level_a, factor_b, level_b, metric, value, low, high, n, verdict
        ("the effects add up" when the interval spans 0, "they reinforce each other" above
        0, "they get in each other's way" below 0, or the one-seed / no-seed verdicts of
        `effects_from_results`), warning (as there). Empty (with the columns) unless the
        design is full with at least two factors; pairs of levels without the four cells
        (a base value outside its factor's levels) get no row.
    """
    factors = definition.factors
    index = definition.cell_of()
    rows = []
    pairs = itertools.combinations(range(len(factors)), 2) if definition.design == "full" else ()
    for i, j in pairs:
        a0, b0 = factors[i].base, factors[j].base
        for a1, b1 in itertools.product(factors[i].levels, factors[j].levels):
            if a1 == a0 or b1 == b0:
                continue
            quads = []
            for key, cell in index.items():
                if key[i] != a1 or key[j] != b1:
                    continue
                others = [index.get(_swap(key, s)) for s in ({i: a0}, {j: b0}, {i: a0, j: b0})]
                if None not in others:
                    quads.append((cell, *others))
            if not quads:
                continue  # no cells to compare (a base value outside its factor's levels)
            signs = (1.0, -1.0, -1.0, 1.0)
            signed = [(c, s) for q in quads for c, s in zip(q, signs, strict=True)]
            weights = _weights(signed, len(quads))
            for metric in METRICS:
                iv, verdict, warning = _summarise(
                    results_df, definition, metric, weights, (REINFORCE, IN_THE_WAY, ADD_UP)
                )
                rows.append(
                    {
                        "factor_a": factors[i].name,
                        "level_a": a1,
                        "factor_b": factors[j].name,
                        "level_b": b1,
                        "metric": metric,
                        "value": iv.mean,
                        "low": iv.low,
                        "high": iv.high,
                        "n": iv.n,
                        "verdict": verdict,
                        "warning": warning,
                        **_test_fields(iv),
                    }
                )
    _judge(rows, (REINFORCE, IN_THE_WAY, ADD_UP), ALPHA)
    return pd.DataFrame(rows, columns=list(INTERACTION_COLUMNS)).astype(INTERACTION_COLUMNS)


# -- curves ------------------------------------------------------------------------------------


def cell_curves(
    store: RunStore,
    group: str,
    metric: Literal["accuracy", "loss"] = "accuracy",
    split: Literal["train", "validation"] = "validation",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cell learning curves: the mean over seeds with a 95% band, and each seed's curve.

    Only completed runs are used (an early-stopped seed simply ends sooner).

    Args:
        store: the run store.
        group: the ablation group's name.
        metric: "accuracy" or "loss".
        split: "train" or "validation".

    Returns:
        (bands, seeds). bands: see `bands_from_seeds`. seeds: columns cell, seed, run_id,
        epoch, value (missing values dropped). `cell` is a categorical over all the
        definition's cells in its order, so charts colour cells alike everywhere.

    Raises:
        ValueError: an unknown metric or split, or the group has no ablation definition.
    """
    if (metric, split) not in _CURVE_COLUMN:
        raise ValueError(
            f"metric must be 'accuracy' or 'loss' and split 'train' or 'validation'; "
            f"got {metric!r}, {split!r}"
        )
    column = _CURVE_COLUMN[(metric, split)]
    order = _definition(store, group).cell_order
    runs = [r for r in store.list_runs(group=group, status="completed") if r.cell in order]
    # Every run's epochs in one read, not one read per run.
    table = pd.DataFrame.from_records(store.epoch_table([r.id for r in runs]),
                                      columns=["run_id", "epoch", *EPOCH_COLUMNS])  # fmt: skip
    cells = {r.id: r.cell for r in runs}
    seeds_of = {r.id: r.seed for r in runs}
    seeds = table[["run_id", "epoch", column]].rename(columns={column: "value"})
    seeds = seeds.assign(cell=seeds["run_id"].map(cells), seed=seeds["run_id"].map(seeds_of))
    if seeds.empty:
        seeds = pd.DataFrame(columns=[*SEED_COLUMNS])
    seeds = seeds[list(SEED_COLUMNS)].astype({k: v for k, v in SEED_COLUMNS.items() if k != "cell"})
    seeds["cell"] = pd.Categorical(seeds["cell"], categories=order)
    seeds = seeds.dropna(subset=["value"]).sort_values(["cell", "seed", "epoch"], kind="stable")
    seeds = seeds.reset_index(drop=True)
    return bands_from_seeds(seeds), seeds


def bands_from_seeds(seeds: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval across seeds per cell and epoch.

    Epochs that only some seeds reached are summarised over the seeds present.

    Args:
        seeds: columns cell, epoch, value (one row per seed and epoch).
        confidence: the interval's coverage.

    Returns:
        Columns cell, epoch, mean, low, high, n (low/high NaN where n < 2); `cell` keeps the
        categories of `seeds["cell"]` (or their order of appearance), rows by cell, epoch.
    """
    _check_confidence(confidence)
    cells = seeds["cell"]
    if not isinstance(cells.dtype, pd.CategoricalDtype):
        cells = cells.astype(pd.CategoricalDtype(pd.unique(cells.dropna())))
    data = seeds.assign(cell=cells).dropna(subset=["value"])
    stats = (
        data.groupby(["cell", "epoch"], observed=True, sort=True)["value"]
        .agg(mean="mean", sd="std", n="count")
        .reset_index()
    )
    half = _half_width(stats["sd"].to_numpy(float), stats["n"].to_numpy(), confidence)
    frame = stats.assign(low=stats["mean"] - half, high=stats["mean"] + half)
    frame = frame[list(BAND_COLUMNS)].astype({k: v for k, v in BAND_COLUMNS.items() if k != "cell"})
    frame["cell"] = pd.Categorical(frame["cell"], categories=cells.cat.categories)
    return frame


# -- verdicts over a whole table ----------------------------------------------------------------


def _judge(rows: list[dict[str, Any]], words: tuple[str, str, str], alpha: float) -> None:
    """Verdicts for one table's rows, in place, with Holm's correction across them.

    A row whose contrast can be tested (at least MIN_SEEDS paired seeds, some spread) gets
    the two-sided paired t-test's p-value, adjusted by Holm's step-down method over every
    testable row of the table (all levels and metrics read together), and the verdict
    `words[0]`/`words[1]` only where the adjusted p-value is below `alpha`. Rows that are
    not resolved get `seeds_needed`: the paired seeds at which a t-test would find a
    difference of the observed size at the observed spread with probability POWER, at
    Holm's strictest level (alpha divided by the number of testable rows).
    """
    above, below, spans = words
    testable = [r for r in rows if r["verdict"] == spans]
    if testable:
        p = [2 * student_t.sf(abs(r["_t"]), r["n"] - 1) for r in testable]
        reject, adjusted, _, _ = multipletests(p, alpha=alpha, method="holm")
        for r, rejected, p_holm in zip(testable, reject, adjusted, strict=True):
            r["p_holm"] = float(p_holm)
            r["verdict"] = (above if r["_mean"] > 0 else below) if rejected else spans
    strictest = alpha / max(1, len(testable))
    for r in rows:
        r.setdefault("p_holm", math.nan)
        resolved = r["verdict"] in (above, below)
        r["seeds_needed"] = None if resolved else _seeds_needed(r["_mean"], r["_sd"], strictest)
        for key in ("_t", "_mean", "_sd"):
            r.pop(key)


def _seeds_needed(mean: float, sd: float, alpha: float) -> int | None:
    """Paired seeds for power POWER against a difference `mean` with spread `sd`; None when
    the data say nothing about it (no spread known, or no difference seen), or when it would
    take more than MAX_SEEDS_NEEDED."""
    if not (sd > 0 and abs(mean) > 0):  # NaN-safe
        return None
    nobs = np.arange(2, MAX_SEEDS_NEEDED + 1)
    power = TTestPower().power(effect_size=abs(mean) / sd, nobs=nobs, alpha=alpha,
                               alternative="two-sided")  # fmt: skip
    enough = np.flatnonzero(power >= POWER)
    return max(MIN_SEEDS, int(nobs[enough[0]])) if len(enough) else None


def _test_fields(iv: Interval) -> dict[str, float]:
    """What `_judge` needs of a contrast: its t statistic, mean and sd (dropped after)."""
    t = iv.mean / (iv.sd / math.sqrt(iv.n)) if iv.n >= 2 and iv.sd > 0 else math.nan
    return {"_t": t, "_mean": iv.mean, "_sd": iv.sd}


# -- helpers ---------------------------------------------------------------------------------


def _definition(store: RunStore, group: str) -> GroupDesign:
    definition = store.get_group(group)
    if definition is None:
        raise ValueError(
            f"{group!r} is not an ablation group: it has no stored design, so its runs "
            "cannot be compared cell by cell (launch an ablation to get statistics)"
        )
    return definition


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}")


def _half_width(sd: np.ndarray, n: np.ndarray, confidence: float) -> np.ndarray:
    """Student-t half-widths, NaN where n < 2 (no spread to estimate)."""
    n = np.asarray(n, dtype=float)
    dof = np.where(n >= 2, n - 1, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return student_t.ppf(0.5 + confidence / 2, dof) * sd / np.sqrt(n)


def _factor_column(name: str) -> str:
    """A factor's column in `results`: its name, unless that would replace a fixed column."""
    return f"{name} (factor)" if name in RESULT_COLUMNS or name in METRICS else name


def _swap(key: tuple[str, ...], changes: dict[int, str]) -> tuple[str, ...]:
    return tuple(changes.get(i, level) for i, level in enumerate(key))


def _weights(signed: list[tuple[str, float]], combos: int) -> dict[str, float]:
    """Cell -> weight of a contrast averaged over `combos` combinations of the other factors."""
    weights: dict[str, float] = {}
    for cell, sign in signed:
        weights[cell] = weights.get(cell, 0.0) + sign / combos
    return weights


def _seed_values(results_df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Completed runs' values as seed x cell (a repeated run of one seed and cell: the mean)."""
    done = results_df[(results_df["status"] == "completed") & results_df["seed"].notna()]
    return done.pivot_table(index="seed", columns="cell", values=metric, aggfunc="mean")


def _summarise(
    results_df: pd.DataFrame,
    definition: GroupDesign,
    metric: str,
    weights: dict[str, float],
    words: tuple[str, str, str],
) -> tuple[Interval, str, str]:
    """The contrast's interval over seeds, its provisional verdict and its warning.

    `words` are the verdicts for a difference above 0, below 0 and not clear; a contrast
    that can be tested is marked with the last, and `_judge` decides it from the table's
    Holm-adjusted p-values.
    """
    values = _seed_values(results_df, metric)
    cells = list(weights)
    # Seeds missing in any cell of the contrast are dropped: pairing needs all of them.
    block = values.reindex(columns=cells).dropna()
    per_seed = block.to_numpy() @ np.array([weights[c] for c in cells])
    iv = t_interval(per_seed)
    spans = words[2]
    if iv.n == 0:
        verdict = NO_SEEDS
    elif iv.n == 1:
        verdict = ONE_SEED
    elif iv.n < MIN_SEEDS:
        verdict = TOO_FEW
    elif iv.sd <= 1e-12 * max(1.0, abs(iv.mean)):
        verdict = NO_SPREAD
    else:
        verdict = spans  # testable: `_judge` decides from the Holm-adjusted p-value
    base = definition.base_cell
    spread = values[base].std(ddof=1) if base in values else math.nan
    if iv.n == 1:
        warning = RESTS_ON_ONE_SEED
    elif abs(iv.mean) < spread:  # False for NaN: no spread known, no warning
        warning = f"smaller than the seed-to-seed spread (sd {spread:.3f})"
    else:
        warning = ""
    return iv, verdict, warning
