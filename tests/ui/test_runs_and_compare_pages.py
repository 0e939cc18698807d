"""Runs and Compare pages through AppTest, on runs written straight into a temporary store."""

from __future__ import annotations

import subprocess
import sys

from boost.runs.store import RunStore
from tests.ui.conftest import APP, log_run, open_page


def summary_table(at):  # type: ignore[no-untyped-def]
    """The Compare summary: the last table on the page (AppTest does not expose its key)."""
    return at.dataframe[-1].value


def test_runs_page_lists_runs_and_cancels_a_running_one(store: RunStore) -> None:
    done = log_run(store, "baseline", 3)
    running = log_run(store, "<b>live</b>", 1, status="running")
    store.update_progress(running, {"epoch": 2, "epochs": 5, "batch": 3, "steps": 10,
                                    "samples_per_sec": 100.0, "eta_s": 30.0})  # fmt: skip
    at = open_page("pages/runs.py")
    assert not at.exception
    bar = at.get("progress")[0]
    assert "epoch 2/5, batch 3/10" in bar.proto.text and r"\<b\>live\</b\>" in bar.proto.text
    at.button(key=f"runs_cancel_{running}").click().run()
    assert store.get_run(running).cancel_requested
    assert store.get_run(done).status == "completed"


def test_a_group_shows_its_progress_as_a_whole(store: RunStore) -> None:
    log_run(store, "a", 2, group="grid")
    log_run(store, "b", 1, group="grid", status="running")
    store.create_run({"name": "c"}, group="grid")
    at = open_page("pages/runs.py")
    texts = [p.proto.text for p in at.get("progress")]
    assert "group **grid**: 1/3 runs ended" in texts


def test_run_detail_shows_a_failure_and_offers_downloads(store: RunStore) -> None:
    failed = log_run(store, "broken", 2, status="failed")
    at = open_page("pages/runs.py")
    at.selectbox(key="runs_detail").set_value(store.get_run(failed)).run()
    assert not at.exception
    assert at.error[0].value == "This run failed:"
    assert "no decodable image in class folder 'cats'" in at.code[0].value
    assert {b.key for b in at.get("download_button")} >= {"runs_csv", "runs_config", "runs_bundle"}
    assert any("def build_model" in c.value for c in at.code)  # "show code"


def test_compare_draws_curves_gap_weights_and_summary(store: RunStore) -> None:
    a = log_run(store, "baseline", 5)
    b = log_run(store, "l2", 8, **{"regularization.l2": 1e-3})
    at = open_page("pages/compare.py")
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # side by side, overlaid, gap, weights
    assert len(summary_table(at)) == 2
    at.radio(key="cmp_metric").set_value("loss").run()
    assert not at.exception and len(at.get("plotly_chart")) == 4
    at.radio(key="cmp_x").set_value("wall_time").run()
    assert not at.exception
    at.multiselect(key="cmp_runs").set_value([store.get_run(a)]).run()
    assert list(summary_table(at)["run"]) == ["baseline"]  # only the chosen run
    assert store.get_run(b).status == "completed"  # the other run is still in the store


def test_compare_by_group(store: RunStore) -> None:
    for name in ("full", "full without L2"):
        log_run(store, name, 4, group="g1")
    log_run(store, "other", 4)
    at = open_page("pages/compare.py")
    at.radio(key="cmp_by").set_value("A group").run()
    assert not at.exception
    assert sorted(summary_table(at).iloc[:, 0]) == ["full", "full without L2"]
    assert "cmp_group_csv" in {b.key for b in at.get("download_button")}


def test_compare_with_no_runs_says_so(store: RunStore) -> None:
    at = open_page("pages/compare.py")
    assert not at.exception and "No runs with curves yet" in at.info[0].value


def test_no_page_imports_tensorflow(store: RunStore) -> None:
    log_run(store, "baseline", 3)
    code = f"""
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({APP!r}, default_timeout=60).run()
for page in ("pages/home.py", "pages/augment.py", "pages/train.py", "pages/runs.py",
             "pages/compare.py"):
    at.switch_page(page).run()
    assert not at.exception, (page, at.exception)
bad = [m for m in ("tensorflow", "keras") if m in sys.modules]
assert not bad, bad
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300,
                   env={**__import__("os").environ, "BOOST_HOME": str(store.home)})  # fmt: skip


def test_compare_an_ablation_group_shows_bands_effects_and_warnings(store: RunStore) -> None:
    from boost.ablation import AblationConfig, expand_cells, expand_runs, group_definition

    ablation = AblationConfig.from_dict(
        {"name": "abl", "seeds": 3, "factors": [{"name": "l2", "levels": [0.0, 0.001]}]}
    )
    cells = expand_cells(ablation)
    store.create_group("abl g", group_definition(ablation, cells))
    shift = {"base": 0.0, "l2=0.001": 0.05}  # L2 helps by 5 to 5.6 points, seed by seed
    for cell, cfg in expand_runs(ablation):
        noise = 0.002 * cfg.seed + (0.003 * cfg.seed if cell.label != "base" else 0.0)
        log_run(store, cfg.name, 4, group="abl g", cell=cell.label, acc_shift=shift[cell.label] + noise,
                seed=cfg.seed, **{"regularization.l2": cfg.regularization.l2})  # fmt: skip
    at = open_page("pages/compare.py")
    at.radio(key="cmp_by").set_value("A group").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 4 + 2 + 1  # cell bands, two forest plots, per-run
    effects = at.dataframe[0].value
    best = effects[effects["metric"] == "best_val_accuracy"].iloc[0]
    assert best["change"] == "l2 0.0 → 0.001" and best["verdict"] == "helps"
    assert best["difference (points)"] == "+5.30" and best["seeds"] == 3
    assert best["seeds needed"] == "–"  # settled: no more seeds asked for
    at.toggle(key="cmp_seeds").set_value(True).run()
    assert not at.exception


def test_two_seeds_that_agree_exactly_get_no_verdict_and_an_exact_interval(
    store: RunStore,
) -> None:
    """The outside check's case: 2 seeds, both +3.75 points. It used to read "[+3.7%, +3.8%]"
    and "helps"; the page now shows the zero-width interval as it is and gives no verdict."""
    from boost.ablation import AblationConfig, expand_cells, expand_runs, group_definition

    ablation = AblationConfig.from_dict(
        {"name": "two", "seeds": 2, "factors": [{"name": "l2", "levels": [0.0, 0.001]}]}
    )
    store.create_group("two g", group_definition(ablation, expand_cells(ablation)))
    for cell, cfg in expand_runs(ablation):
        shift = 0.0375 if cell.label != "base" else 0.0
        log_run(store, cfg.name, 4, group="two g", cell=cell.label, seed=cfg.seed,
                acc_shift=shift + 0.01 * cfg.seed)  # fmt: skip
    at = open_page("pages/compare.py")
    at.radio(key="cmp_by").set_value("A group").run()
    assert not at.exception
    effects = at.dataframe[0].value
    best = effects[effects["metric"] == "best_val_accuracy"].iloc[0]
    assert best["verdict"] == "too few seeds for a verdict (3 needed)"
    assert best["95% interval"] == "[+3.75, +3.75]" and best["seeds"] == 2
    assert best["seeds needed"] == "–"  # no spread seen: nothing to base a number on
    assert any("Holm" in c.value for c in at.caption)


def test_an_unsettled_effect_says_how_many_seeds_would_settle_it(store: RunStore, capsys) -> None:  # type: ignore[no-untyped-def]
    """Three seeds, a +1 point difference with a spread of about 1.5 points: no verdict yet,
    and the number of seeds that would give a verdict, on the page and from the CLI."""
    from scipy.stats import nct
    from scipy.stats import t as student_t

    from boost import cli
    from boost.ablation import AblationConfig, expand_cells, expand_runs, group_definition

    ablation = AblationConfig.from_dict(
        {"name": "more", "seeds": 3, "factors": [{"name": "l2", "levels": [0.0, 0.001]}]}
    )
    store.create_group("more g", group_definition(ablation, expand_cells(ablation)))
    diffs = [0.01, 0.025, -0.005]  # mean 0.01, sd 0.015
    for cell, cfg in expand_runs(ablation):
        shift = diffs[cfg.seed] if cell.label != "base" else 0.0
        log_run(store, cfg.name, 4, group="more g", cell=cell.label, seed=cfg.seed,
                acc_shift=shift)  # fmt: skip
    at = open_page("pages/compare.py")
    at.radio(key="cmp_by").set_value("A group").run()
    effects = at.dataframe[0].value
    best = effects[effects["metric"] == "best_val_accuracy"].iloc[0]
    assert best["verdict"] == "no clear difference at this many seeds"
    needed = int(best["seeds needed"])

    # Independently: the smallest n whose paired t-test (two-sided, alpha 0.05 / 2 rows
    # tested, Holm's strictest step) has 80% power at effect size mean / sd.
    def power(n: int) -> float:
        crit = student_t.ppf(1 - 0.025 / 2, n - 1)
        nc = (0.01 / 0.015) * n**0.5
        return float(nct.sf(crit, n - 1, nc) + nct.cdf(-crit, n - 1, nc))

    assert power(needed) >= 0.8 > power(needed - 1)
    cli._print_effects(store, "more g")
    assert f"seeds needed: {needed}" in capsys.readouterr().out



def test_the_cli_prints_interactions_with_their_seeds(store: RunStore, capsys) -> None:  # type: ignore[no-untyped-def]
    from boost import cli
    from boost.ablation import AblationConfig, expand_cells, expand_runs, group_definition

    ablation = AblationConfig.from_dict({"name": "ff", "seeds": 3, "design": "full", "factors": [
        {"name": "l2", "levels": [0.0, 0.001]}, {"name": "dropout", "levels": [0.0, 0.5]}]})  # fmt: skip
    store.create_group("ff g", group_definition(ablation, expand_cells(ablation)))
    for cell, cfg in expand_runs(ablation):
        both = cell.levels == {"l2": "0.001", "dropout": "0.5"}
        log_run(store, cfg.name, 3, group="ff g", cell=cell.label, seed=cfg.seed,
                acc_shift=(0.02 + 0.01 * cfg.seed) if both else 0.003 * cfg.seed)  # fmt: skip
    cli._print_effects(store, "ff g")
    out = capsys.readouterr().out
    lines = out.split("two-way interactions:")[1].strip().splitlines()
    assert lines[0].startswith("l2=0.001 x dropout=0.5, best_val_accuracy: ")
    assert ", n=3: " in lines[0]
