"""The executor boundary: jobs carry a kind, workers run the kind's handler, and every launch
goes through the executor's four methods."""

from __future__ import annotations

from typing import Any

import pytest

from boost import cli
from boost.config import ExperimentConfig
from boost.queue import jobs, manager
from boost.queue.executor import Executor, current_executor
from boost.queue.jobs import JOB_KINDS, JobKind, Outcome
from boost.queue.local import LocalExecutor
from boost.queue.worker import run_worker
from boost.runs.entities import Run
from boost.runs.store import RunStore


def count_to(run: Run, store: RunStore) -> Outcome:
    """A job kind that needs no TensorFlow: logs n epochs, then completes."""
    n = run.config["n"]
    for epoch in range(n):
        store.log_epoch(run.id, epoch, {"loss": float(n - epoch)})
    store.complete_run(run.id, {"counted": n})
    return Outcome("completed")


@pytest.fixture
def counting_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(JOB_KINDS, "count", JobKind("count", f"{__name__}:count_to"))


def test_a_worker_runs_the_kind_of_job_it_claims(store: RunStore, counting_kind: None) -> None:
    run_id = store.create_run({"name": "count", "n": 3}, kind="count")
    assert store.get_run(run_id).kind == "count"
    assert run_worker(store, slot=0, idle_exit=0, max_runs=1) == 0
    run = store.get_run(run_id)
    assert run.status == "completed" and run.metrics == {"counted": 3}
    assert [e["loss"] for e in store.epochs(run_id)] == [3.0, 2.0, 1.0]


def test_a_job_of_an_unknown_kind_fails_by_name_and_the_queue_goes_on(
    store: RunStore, counting_kind: None
) -> None:
    odd = store.create_run({"name": "from a newer version"}, kind="gradcam")
    after = store.create_run({"name": "count", "n": 1}, kind="count")
    run_worker(store, slot=0, idle_exit=0, max_runs=2)
    assert store.get_run(odd).status == "failed"
    assert store.get_run(odd).error == (
        "unknown job kind 'gradcam'; this worker runs train, count"
    )
    assert store.get_run(after).status == "completed"


def test_runs_are_training_jobs_unless_told(store: RunStore) -> None:
    run_id = manager.enqueue(ExperimentConfig(name="plain"), store)
    assert store.get_run(run_id).kind == "train" == jobs.TRAIN
    assert JOB_KINDS["train"].label == "training run"


class Recording:
    """A second executor, to show the boundary: it only records what it was asked."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def start(self, store: RunStore) -> list[int]:
        self.calls.append(("start", None))
        return []

    def cancel(self, store: RunStore, run_id: str) -> str:
        self.calls.append(("cancel", run_id))
        return store.request_cancel(run_id)

    def recover(self, store: RunStore) -> list[tuple[str, str]]:
        self.calls.append(("recover", None))
        return []

    def wall_clock(self, run_seconds: list[float]) -> float:
        return max(run_seconds)


def test_launches_listings_and_cancels_go_through_the_executor(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording: Executor = Recording()
    monkeypatch.setattr("boost.queue.executor.current_executor", lambda: recording)
    monkeypatch.setattr(manager, "current_executor", lambda: recording)
    (run_id,) = manager.launch([ExperimentConfig(name="a")], store)
    home = ["--home", str(store.home)]
    assert cli.main([*home, "runs"]) == 0
    assert cli.main([*home, "cancel", run_id]) == 0
    assert recording.calls == [("start", None), ("recover", None), ("cancel", run_id)]
    assert store.get_run(run_id).status == "cancelled"  # a queued run ends at once


def test_the_local_executor_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from boost.queue import local

    executor = current_executor()
    assert isinstance(executor, LocalExecutor) and executor.name == "local"
    monkeypatch.setattr(local, "gpu_count", lambda: 0)
    monkeypatch.setenv("BOOST_SLOTS", "2")
    assert executor.wall_clock([30.0]) == local.STARTUP_S + 30.0
    assert executor.wall_clock([30.0, 30.0]) == pytest.approx(
        local.STARTUP_S + 60.0 * local.CPU_SHARED_FACTOR
    )
