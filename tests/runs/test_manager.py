"""The manager's bookkeeping without worker processes: pinning sources, slots."""

import pytest

from boost.config import ExperimentConfig
from boost.runs import manager
from boost.runs.store import RunNotFound, RunStore


def test_enqueue_pins_a_named_source_and_waits_for_it(store: RunStore) -> None:
    src = manager.enqueue(ExperimentConfig(name="digits 0-4 source"), store)
    cfg = ExperimentConfig().replace(**{"transfer.weights": "run:digits 0-4 source"})
    dst = manager.enqueue(cfg, store)
    run = store.get_run(dst)
    assert run["config"]["transfer"]["weights"] == f"run:{src}"  # reproducible: the id
    assert run["depends_on"] == src


def test_enqueue_refuses_missing_or_failed_sources(store: RunStore) -> None:
    with pytest.raises(RunNotFound):
        manager.enqueue(ExperimentConfig().replace(**{"transfer.weights": "run:nope"}), store)
    bad = store.create_run({"name": "bad"}, status="running")
    store.fail_run(bad, "x")
    with pytest.raises(ValueError, match=f"source run {bad} failed"):
        manager.enqueue(ExperimentConfig().replace(**{"transfer.weights": f"run:{bad}"}), store)


def test_default_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOST_SLOTS", "3")
    assert manager.default_slots() == 3
    monkeypatch.setenv("BOOST_SLOTS", "many")
    with pytest.raises(ValueError, match="BOOST_SLOTS must be a whole number; got 'many'"):
        manager.default_slots()
    monkeypatch.delenv("BOOST_SLOTS")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert manager.default_slots() == manager.CPU_SLOTS
    assert manager.threads_per_worker(64) == 1
