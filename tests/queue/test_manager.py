"""The manager's bookkeeping without worker processes: pinning sources, slots."""

import pytest

from boost.config import ExperimentConfig
from boost.queue import local, manager
from boost.runs.store import RunNotFound, RunStore


def test_enqueue_pins_a_named_source_and_waits_for_it(store: RunStore) -> None:
    src = manager.enqueue(ExperimentConfig(name="digits 0-4 source"), store)
    cfg = ExperimentConfig().replace(**{"transfer.weights": "run:digits 0-4 source"})
    dst = manager.enqueue(cfg, store)
    run = store.get_run(dst)
    assert run.config["transfer"]["weights"] == f"run:{src}"  # reproducible: the id
    assert run.depends_on == src


def test_an_ablation_goes_through_the_same_enqueue_path(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ablation whose base transfers from a named run is pinned and waits, like a run."""
    from boost.ablation import AblationConfig

    monkeypatch.setattr(local, "ensure_workers", lambda s: [])  # bookkeeping only
    src = manager.enqueue(ExperimentConfig(name="source"), store)
    base = ExperimentConfig().replace(**{"transfer.weights": "run:source"}).to_dict()
    ablation = AblationConfig.from_dict(
        {"base": base, "seeds": 2, "factors": [{"name": "l2", "levels": [0.0, 1e-3]}]}
    )
    group, ids = manager.launch_ablation(ablation, store)
    runs = [store.get_run(i) for i in ids]
    assert len(runs) == 4 and {r.group for r in runs} == {group}
    assert {r.depends_on for r in runs} == {src}
    assert {r.config["transfer"]["weights"] for r in runs} == {f"run:{src}"}
    assert sorted(r.cell for r in runs) == ["base", "base", "l2=0.001", "l2=0.001"]


def test_enqueue_refuses_missing_or_failed_sources(store: RunStore) -> None:
    with pytest.raises(RunNotFound):
        manager.enqueue(ExperimentConfig().replace(**{"transfer.weights": "run:nope"}), store)
    bad = store.create_run({"name": "bad"}, status="running")
    store.fail_run(bad, "x")
    with pytest.raises(ValueError, match=f"source run {bad} failed"):
        manager.enqueue(ExperimentConfig().replace(**{"transfer.weights": f"run:{bad}"}), store)


def test_default_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOST_SLOTS", "3")
    assert local.default_slots() == 3
    monkeypatch.setenv("BOOST_SLOTS", "many")
    with pytest.raises(ValueError, match="BOOST_SLOTS must be a whole number; got 'many'"):
        local.default_slots()
    monkeypatch.delenv("BOOST_SLOTS")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert local.default_slots() == local.CPU_SLOTS
    assert local.threads_per_worker(64) == 1
