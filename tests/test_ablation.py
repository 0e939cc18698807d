import pytest

from boost.ablation import methods_on, switch_off_variants
from boost.config import ExperimentConfig


def test_variants_switch_off_one_method_each() -> None:
    c = ExperimentConfig().replace(
        name="full",
        **{"regularization.l2": 1e-3, "regularization.dropout": 0.5,
           "augmentation.ops": [{"op": "rotate"}]},
    )  # fmt: skip
    assert methods_on(c) == ["augmentation", "L2", "dropout"]
    v = switch_off_variants(c)
    assert [x.name for x in v] == ["full", "full without augmentation", "full without L2",
                                   "full without dropout"]  # fmt: skip
    assert v[0] == c
    assert v[1].augmentation.ops == [] and v[1].regularization.l2 == 1e-3
    assert v[2].regularization.l2 == 0 and v[2].regularization.dropout == 0.5
    assert v[3].regularization.dropout == 0 and v[3].augmentation.enabled
    assert {x.seed for x in v} == {c.seed}


def test_only_chosen_methods_and_errors() -> None:
    c = ExperimentConfig().replace(**{"regularization.l1": 1e-4, "model.batch_norm": True})
    assert [x.name for x in switch_off_variants(c, ["batch norm"])] == [
        "run",
        "run without batch norm",
    ]
    assert switch_off_variants(ExperimentConfig()) == [ExperimentConfig()]
    with pytest.raises(ValueError, match="'L2' is not on"):
        switch_off_variants(c, ["L2"])


# -- grids --------------------------------------------------------------------------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from boost.ablation import AblationConfig, expand_cells, expand_runs  # noqa: E402
from boost.config import ConfigError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASE = {"name": "b", "regularization": {"l2": 0.001},
        "augmentation": {"ops": [{"op": "rotate"}, {"op": "hflip"}]}}  # fmt: skip


def grid(design: str, seeds: int = 2, **extra: object) -> AblationConfig:
    return AblationConfig.from_dict({
        "name": "g", "base": BASE, "design": design, "seeds": seeds,
        "factors": [{"name": "l2", "levels": [0.0, 0.001]},
                    {"name": "dropout", "levels": {"off": 0.0, "half": 0.5, "most": 0.8}},
                    {"name": "flip", "op": "hflip"}], **extra})  # fmt: skip


def _diff(a: dict, b: dict, prefix: str = "") -> set[str]:
    out = set()
    for k in a:
        if isinstance(a[k], dict):
            out |= _diff(a[k], b[k], f"{prefix}{k}.")
        elif a[k] != b[k]:
            out.add(prefix + k)
    return out


def test_one_at_a_time_counts_and_changes_one_factor_per_cell() -> None:
    cells = expand_cells(grid("one_at_a_time"))
    # base + l2 off + dropout half/most + flip off
    assert [c.label for c in cells] == ["base", "l2=0.0", "dropout=half", "dropout=most",
                                        "flip=off"]  # fmt: skip
    assert cells[0].levels == {"l2": "0.001", "dropout": "off", "flip": "on"}
    base = cells[0].config.to_dict()
    changed = {c.label: _diff(c.config.to_dict(), base) for c in cells[1:]}
    assert changed == {"l2=0.0": {"regularization.l2"}, "dropout=half": {"regularization.dropout"},
                       "dropout=most": {"regularization.dropout"},
                       "flip=off": {"augmentation.ops"}}  # fmt: skip
    assert [o["op"] for o in cells[-1].config.augmentation.ops] == ["rotate"]


def test_full_design_is_the_product_with_the_base_first() -> None:
    cells = expand_cells(grid("full"))
    assert len(cells) == 2 * 3 * 2
    assert cells[0].label == "base" and len({c.label for c in cells}) == 12
    assert {tuple(c.levels.values()) for c in cells} == {
        (a, b, c) for a in ("0.0", "0.001") for b in ("off", "half", "most") for c in ("on", "off")
    }


def test_runs_repeat_each_cell_over_the_same_seeds() -> None:
    runs = expand_runs(grid("one_at_a_time", seeds=3, first_seed=5))
    assert len(runs) == 5 * 3
    by_cell: dict[str, list[int]] = {}
    for cell, config in runs:
        by_cell.setdefault(cell.label, []).append(config.seed)
        assert _diff(config.to_dict(), cell.config.to_dict()) <= {"seed", "name"}
    assert all(seeds == [5, 6, 7] for seeds in by_cell.values())


def test_bad_grids_are_refused_with_the_field() -> None:
    with pytest.raises(ConfigError, match="give a path"):
        AblationConfig.from_dict({"factors": [{"name": "mystery", "levels": [1, 2]}]})
    with pytest.raises(ConfigError, match="factor names must differ"):
        AblationConfig.from_dict({"factors": [{"name": "l2", "levels": [0]},
                                              {"name": "l2", "levels": [1]}]})  # fmt: skip
    with pytest.raises(ConfigError, match=r"cell dropout=1.5: regularization.dropout"):
        expand_cells(AblationConfig.from_dict(
            {"factors": [{"name": "dropout", "levels": [0.0, 1.5]}]}))  # fmt: skip
    with pytest.raises(ValueError, match="op 'cutout' is not in the base spec"):
        expand_cells(AblationConfig.from_dict({"factors": [{"name": "c", "op": "cutout"}]}))
    with pytest.raises(ConfigError, match="seeds"):
        AblationConfig.from_dict({"seeds": 0, "factors": [{"name": "l2", "levels": [0]}]})


def test_example_ablation_file(tmp_path: Path) -> None:
    a = AblationConfig.from_file(ROOT / "examples" / "ablation.json")
    assert a.seeds == 3 and a.design == "full"
    assert [f.name for f in a.factors] == ["augmentation", "l2", "dropout"]
    assert len(expand_runs(a)) == 24
    (tmp_path / "bad.json").write_text(json.dumps({"base": "nope.json", "factors": []}))
    with pytest.raises(ConfigError, match="cannot read"):
        AblationConfig.from_file(tmp_path / "bad.json")


def test_estimate_from_similar_runs(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from boost.queue import local, manager

    monkeypatch.setenv("BOOST_SLOTS", "2")
    cfg = ExperimentConfig()
    assert manager.estimate_seconds([cfg], store) is None
    run = store.create_run(cfg.to_dict(), status="running")
    store.complete_run(run, {"seconds_per_epoch": 0.5})
    monkeypatch.setattr(local, "gpu_count", lambda: 0)
    secs = manager.estimate_seconds([cfg, cfg.replace(seed=1)], store)
    assert secs == pytest.approx(local.STARTUP_S + 2 * 10 * 0.5 * 0.78)  # CPU slots share
    assert manager.estimate_seconds([cfg], store) == pytest.approx(local.STARTUP_S + 10 * 0.5)
    monkeypatch.setattr(local, "gpu_count", lambda: 2)  # a card per worker: side by side
    secs = manager.estimate_seconds([cfg, cfg.replace(seed=1)], store)
    assert secs == pytest.approx(local.STARTUP_S + 10 * 0.5)
