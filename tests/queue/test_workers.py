"""Background runs with real worker processes and a real store (slow: each worker loads TF)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from boost.queue import local, manager
from boost.runs.store import RunStore
from tests.conftest import tiny_config

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
IDLE_EXIT = 4.0


@pytest.fixture
def bg_store(store: RunStore) -> RunStore:
    """The conftest store: its workers are killed after the test."""
    return store


def wait_for(what: Callable[[], object], timeout: float, step: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def statuses(store: RunStore, ids: list[str]) -> list[str]:
    return [store.get_run(r).status for r in ids]


def start(store: RunStore, configs: list, slots: int = 2) -> list[str]:
    ids = [manager.enqueue(c, store) for c in configs]
    local.ensure_workers(store, slots=slots, idle_exit=IDLE_EXIT)
    return ids


def test_three_runs_on_two_slots_never_more_than_two_at_once(bg_store: RunStore) -> None:
    ids = start(bg_store, [tiny_config(name=f"r{i}", seed=i) for i in range(3)], slots=2)
    assert statuses(bg_store, ids) == ["queued"] * 3  # launching returned at once
    most = 0
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        now = statuses(bg_store, ids)
        most = max(most, now.count("running"))
        assert len(bg_store.workers()) <= 2
        if all(s == "completed" for s in now):
            break
        time.sleep(0.1)
    assert statuses(bg_store, ids) == ["completed"] * 3
    assert most <= 2
    for r in ids:
        run = bg_store.get_run(r)
        assert [e["epoch"] for e in bg_store.epochs(r)] == [1, 2]
        assert run.device == "cpu" and run.metrics["test_accuracy"] >= 0
    # Idle workers leave by themselves.
    wait_for(lambda: not bg_store.workers(), timeout=IDLE_EXIT + 30)


def test_cancel_a_running_run_keeps_its_epochs(bg_store: RunStore) -> None:
    (run_id,) = start(bg_store, [tiny_config(**{"training.epochs": 500})], slots=1)
    wait_for(lambda: len(bg_store.epochs(run_id)) >= 1, timeout=120)
    asked = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "boost", "cancel", run_id], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, "BOOST_HOME": str(bg_store.home)}, check=True,
    )  # fmt: skip
    assert "cancel requested" in out.stdout
    wait_for(lambda: bg_store.get_run(run_id).status == "cancelled", timeout=10)
    assert time.monotonic() - asked < 10
    kept = len(bg_store.epochs(run_id))
    assert 1 <= kept < 500


def test_kill_9_marks_the_run_failed_and_the_others_complete(bg_store: RunStore) -> None:
    long = tiny_config(name="victim", **{"training.epochs": 500})
    ids = start(bg_store, [long, tiny_config(name="a"), tiny_config(name="b")], slots=2)
    victim = ids[0]
    wait_for(lambda: len(bg_store.epochs(victim)) >= 2, timeout=120)
    pid = bg_store.get_run(victim).worker_pid
    os.kill(pid, signal.SIGKILL)
    checked = time.monotonic()
    # "The check": what the dashboard's poll and every worker do before claiming.
    wait_for(lambda: local.recover(bg_store) or bg_store.get_run(victim).status == "failed",
             timeout=15)  # fmt: skip
    assert time.monotonic() - checked < 15
    run = bg_store.get_run(victim)
    assert run.status == "failed"
    assert "worker died" in run.error and str(pid) in run.error
    assert len(bg_store.epochs(victim)) >= 2  # completed epochs are kept
    local.ensure_workers(bg_store, slots=2, idle_exit=IDLE_EXIT)  # the slot is free again
    wait_for(lambda: statuses(bg_store, ids[1:]) == ["completed"] * 2, timeout=180)


def test_restarting_the_manager_loses_and_duplicates_nothing(bg_store: RunStore) -> None:
    configs = [tiny_config(name=f"m{i}", seed=i, **{"training.epochs": 4}) for i in range(4)]
    ids = [manager.enqueue(c, bg_store) for c in configs]
    code = (
        "import sys; from boost.queue import local; from boost.runs.store import RunStore; "
        f"local.ensure_workers(RunStore({str(bg_store.home)!r}), slots=2, idle_exit={IDLE_EXIT})"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)  # manager 1
    wait_for(lambda: "running" in statuses(bg_store, ids), timeout=120)
    # The first manager is gone; its workers go on. A second manager starts no duplicates.
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)  # manager 2
    assert len(bg_store.workers()) == 2
    wait_for(lambda: statuses(bg_store, ids) == ["completed"] * 4, timeout=240)
    logs = "".join(p.read_text() for p in (bg_store.home / "logs").glob("worker-*.log"))
    for r in ids:
        assert logs.count(f"training run {r}") == 1  # each run trained exactly once
        assert [e["epoch"] for e in bg_store.epochs(r)] == [1, 2, 3, 4]


def test_a_failing_run_does_not_stop_the_worker(bg_store: RunStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tiny_config(name="bad", **{"dataset.source": "folder", "dataset.path": str(empty)})
    ids = start(bg_store, [bad, tiny_config(name="good")], slots=1)
    wait_for(lambda: statuses(bg_store, ids) == ["failed", "completed"], timeout=180)
    assert "DatasetError" in bg_store.get_run(ids[0]).error


def test_background_cli_returns_at_once(bg_store: RunStore, tmp_path: Path) -> None:
    cfg = tmp_path / "c.json"
    cfg.write_text(tiny_config().to_json())
    env = {**os.environ, "BOOST_HOME": str(bg_store.home), "BOOST_SLOTS": "1"}
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "boost", "train", str(cfg), "--background"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert time.monotonic() - t0 < 10  # no TensorFlow in the launching process
    assert "queued" in out.stdout
    run_id = bg_store.list_runs()[0].id
    wait_for(lambda: bg_store.get_run(run_id).status == "completed", timeout=120)
    runs = json.loads(subprocess.run([sys.executable, "-m", "boost", "runs", "--json"], cwd=ROOT,
                                     env=env, capture_output=True, text=True).stdout)  # fmt: skip
    assert runs[0]["progress"]["epoch"] == 2 and runs[0]["progress"]["eta_s"] is not None
