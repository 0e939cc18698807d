import pytest

from boost.presets import DIGITS_SOURCE, DIGITS_TARGET, transfer_demo
from boost.queue import local, manager
from boost.runs.store import RunStore


def test_transfer_demo_configs() -> None:
    source, scratch, transfer = transfer_demo(per_class=5, epochs=10, tag="t")
    assert source.dataset.classes == DIGITS_SOURCE and not source.transfer.enabled
    for c in (scratch, transfer):
        assert c.dataset.classes == DIGITS_TARGET
        assert c.dataset.max_per_class == 25  # 5 for training after 40% val and 40% test
        assert c.training.epochs == 10 and c.seed == source.seed
    assert not scratch.transfer.enabled
    assert transfer.transfer.weights == f"run:{source.name}"
    assert transfer.transfer.freeze and transfer.transfer.fine_tune_layers == 1
    assert transfer.transfer.fine_tune_after == 5
    # The two target runs differ only in where the features start.
    assert scratch.replace(name="x", transfer=transfer.transfer.model_dump()) == transfer.replace(
        name="x"
    )
    with pytest.raises(ValueError, match="per_class"):
        transfer_demo(per_class=0)


@pytest.mark.slow
def test_transfer_demo_through_the_queue(store: RunStore) -> None:
    from tests.queue.test_workers import wait_for

    configs = transfer_demo(per_class=3, epochs=2, tag="t")
    ids = [manager.enqueue(c, store, group="demo") for c in configs]
    assert store.get_run(ids[2]).depends_on == ids[0]
    local.ensure_workers(store, slots=2, idle_exit=3)
    wait_for(lambda: all(store.get_run(i).status == "completed" for i in ids), timeout=240)
    source, transfer = store.get_run(ids[0]), store.get_run(ids[2])
    assert transfer.started_at >= source.finished_at  # it waited for its source
    assert transfer.config["transfer"]["weights"] == f"run:{ids[0]}"
    assert [e["phase"] for e in store.epochs(ids[2])] == ["frozen", "fine-tune"]
    assert {r.group for r in store.list_runs()} == {"demo"}
