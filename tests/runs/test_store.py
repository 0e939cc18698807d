import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boost.runs.store import HOST, SCHEMA_VERSION, RunNotFound, RunStore, StoreError
from boost.runs.tables import epochs_csv


def test_create_and_read_back(store: RunStore) -> None:
    run_id = store.create_run({"name": "a", "seed": 1}, group="g")
    run = store.get_run(run_id)
    assert run.status == "queued"
    assert run.name == "a" and run.group == "g"
    assert run.config == {"name": "a", "seed": 1}
    assert store.run_dir(run_id).is_dir()


def test_wal_mode_busy_timeout_and_schema_version(store: RunStore) -> None:
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    assert store._conn().execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000


def test_newer_schema_is_refused(home: Path) -> None:
    RunStore(home)
    conn = sqlite3.connect(home / "boost.db")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,))
    conn.commit()
    with pytest.raises(StoreError, match="newer"):
        RunStore(home)


def test_epochs_are_ordered_and_idempotent(store: RunStore) -> None:
    run_id = store.create_run({}, status="running")
    store.log_epoch(run_id, 2, {"loss": 0.5, "accuracy": 0.8})
    store.log_epoch(run_id, 1, {"loss": 1.0, "accuracy": 0.5, "note": "x"})
    store.log_epoch(run_id, 2, {"loss": 0.4, "accuracy": 0.9})  # re-logged: replaced
    rows = store.epochs(run_id)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["loss"] == 0.4
    assert rows[0]["note"] == "x"


def test_nan_metrics_are_stored_as_missing(store: RunStore) -> None:
    run_id = store.create_run({}, status="running")
    store.log_epoch(run_id, 1, {"loss": float("nan"), "accuracy": float("inf")})
    row = store.epochs(run_id)[0]
    assert row["loss"] is None and row["accuracy"] is None


def test_status_transitions(store: RunStore) -> None:
    a = store.create_run({"name": "a"})
    b = store.create_run({"name": "b"})
    claimed = store.claim_next(device="cpu")
    assert claimed is not None and claimed.id == a  # oldest first
    assert claimed.status == "running" and claimed.device == "cpu"
    store.log_epoch(a, 1, {"loss": 1.0})
    store.fail_run(a, "ValueError: boom")
    run = store.get_run(a)
    assert run.status == "failed" and run.error == "ValueError: boom"
    assert len(store.epochs(a)) == 1  # epochs survive a failure
    assert store.request_cancel(b) == "cancelled"  # queued: cancelled at once
    assert store.claim_next() is None
    assert [r.id for r in store.list_runs(status="failed")] == [a]


def test_cancel_request_on_a_running_run(store: RunStore) -> None:
    run_id = store.create_run({}, status="running")
    assert not store.cancel_requested(run_id)
    assert store.request_cancel(run_id) == "running"
    assert store.cancel_requested(run_id)


def test_unknown_run(store: RunStore) -> None:
    with pytest.raises(RunNotFound, match="no run with id 'nope'"):
        store.get_run("nope")
    with pytest.raises(RunNotFound):
        store.complete_run("nope", {})


def test_list_runs_newest_first_with_limit(store: RunStore) -> None:
    ids = [store.create_run({"name": str(i)}) for i in range(3)]
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert len(store.list_runs(limit=2)) == 2


def test_export_csv(store: RunStore) -> None:
    run_id = store.create_run({}, status="running")
    store.log_epoch(run_id, 1, {"loss": 1.5, "val_accuracy": 0.25})
    lines = epochs_csv(store, run_id).splitlines()
    assert lines[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy,lr")
    assert lines[1].startswith("1,1.5,,,0.25,")
    with pytest.raises(RunNotFound):
        epochs_csv(store, "nope")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_recover_marks_runs_of_dead_workers_failed_and_keeps_epochs(store: RunStore) -> None:
    alive = store.create_run({"name": "alive"}, status="running")  # this process: alive
    dead = store.create_run({"name": "dead"}, status="running")
    pid = _dead_pid()
    with store._write() as conn:
        conn.execute("UPDATE runs SET worker_pid = ? WHERE id = ?", (pid, dead))
    store.log_epoch(dead, 1, {"loss": 1.0})
    failed = store.recover_stale(exit_codes={pid: -9})
    assert [f[0] for f in failed] == [dead]
    run = store.get_run(dead)
    assert run.status == "failed"
    assert f"process {pid} is gone (killed by signal 9 (SIGKILL))" in run.error
    assert len(store.epochs(dead)) == 1
    assert store.get_run(alive).status == "running"
    assert store.recover_stale() == []  # idempotent


def test_recover_marks_silent_workers_failed(store: RunStore) -> None:
    run_id = store.create_run({}, status="running")
    with store._write() as conn:
        conn.execute("UPDATE runs SET heartbeat_at = ?, worker_host = 'elsewhere' WHERE id = ?",
                     (time.time() - 100, run_id))  # fmt: skip
    assert store.recover_stale(stale_after=30)[0][0] == run_id
    assert "no heartbeat for 100 s" in store.get_run(run_id).error


def test_slots_are_held_by_one_live_worker(store: RunStore) -> None:
    assert store.claim_slot(0, os.getpid())
    assert not store.claim_slot(0, os.getppid())  # held by a live process
    assert [w["slot"] for w in store.workers()] == [0]
    store.release_slot(0)
    assert store.workers() == []
    with store._write() as conn:
        conn.execute("INSERT INTO workers VALUES (1, ?, ?, 0, 0, NULL)", (_dead_pid(), HOST))
    assert store.workers() == []  # a dead holder does not count
    assert store.claim_slot(1, os.getpid())
    store.release_slot(1)


def test_heartbeat_thread_beats_while_the_block_runs(store: RunStore, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from boost.runs import store as store_module

    monkeypatch.setattr(store_module, "HEARTBEAT_S", 0.05)
    run_id = store.create_run({}, status="running")
    before = store.get_run(run_id).heartbeat_at
    with store.heartbeat_thread(lambda: store.heartbeat(run_id)):
        time.sleep(0.3)
    assert store.get_run(run_id).heartbeat_at > before


# -- several processes at once ------------------------------------------------------------

WRITERS = 8
EPOCHS_EACH = 40


def _writer(home: str, run_id: str, start: mp.Event) -> None:  # type: ignore[valid-type]
    store = RunStore(home)
    start.wait()
    for epoch in range(1, EPOCHS_EACH + 1):
        store.log_epoch(run_id, epoch, {"loss": 1.0 / epoch, "accuracy": epoch / EPOCHS_EACH})
        store.update_progress(run_id, {"epoch": epoch})
    store.complete_run(run_id, {"epochs_run": EPOCHS_EACH})


@pytest.mark.slow
def test_concurrent_writers_lose_no_row(home: Path) -> None:
    store = RunStore(home)
    run_ids = [store.create_run({"name": f"w{i}"}, status="running") for i in range(WRITERS)]
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(home), r, start)) for r in run_ids]
    for p in procs:
        p.start()
    start.set()
    reads = 0
    while any(p.is_alive() for p in procs):
        for r in store.list_runs():  # the dashboard's poll, while everybody writes
            store.epochs(r.id)
        reads += 1
        time.sleep(0.01)
    for p in procs:
        p.join()
        assert p.exitcode == 0, "a writer failed (database is locked?)"
    assert reads > 0
    for r in run_ids:
        assert [e["epoch"] for e in store.epochs(r)] == list(range(1, EPOCHS_EACH + 1))
        assert store.get_run(r).status == "completed"


def test_a_run_waits_for_its_source_and_fails_with_it(store: RunStore) -> None:
    src = store.create_run({"name": "src"})
    dst = store.create_run({"name": "dst"}, depends_on=src)
    other = store.create_run({"name": "other"})
    assert store.claim_next().id == src
    assert store.claim_next().id == other  # dst waits: its source is still running
    assert store.claim_next() is None
    store.complete_run(src, {})
    assert store.claim_next().id == dst
    # A source that fails takes its dependants with it, with the reason.
    src2 = store.create_run({"name": "src2"})
    dst2 = store.create_run({"name": "dst2"}, depends_on=src2)
    store.claim_next()
    store.fail_run(src2, "boom")
    assert store.claim_next() is None
    run = store.get_run(dst2)
    assert run.status == "failed" and f"source run {src2} ended failed" in run.error


def test_resolve_run_by_id_or_newest_name(store: RunStore) -> None:
    old = store.create_run({"name": "src"})
    new = store.create_run({"name": "src"})
    store.claim_next()
    store.claim_next()
    store.fail_run(new, "x")
    assert store.resolve_run(new).id == new  # by id: whatever its status
    assert store.resolve_run("src").id == old  # by name: the newest that did not fail
    with pytest.raises(RunNotFound):
        store.resolve_run("nobody")


def test_a_store_from_before_job_kinds_gains_the_columns_and_keeps_its_runs(home: Path) -> None:
    first = RunStore(home)
    old = first.create_run({"name": "old", "seed": 4}, name="old")
    first.close()
    # Rebuild the runs table as the first release had it: no depends_on, cell or kind.
    conn = sqlite3.connect(home / "boost.db")
    keep = [r[1] for r in conn.execute("PRAGMA table_info(runs)")
            if r[1] not in ("depends_on", "cell", "kind")]  # fmt: skip
    conn.executescript(
        f"CREATE TABLE runs_v0 AS SELECT {', '.join(keep)} FROM runs; DROP TABLE runs; "
        "ALTER TABLE runs_v0 RENAME TO runs;"
    )
    conn.close()
    store = RunStore(home)
    run = store.get_run(old)
    assert (run.name, run.kind, run.cell, run.seed) == ("old", "train", None, 4)
    new = store.create_run({"name": "new"}, kind="train", cell="base")
    assert store.get_run(new).cell == "base"


def test_a_group_design_comes_back_as_it_was_stored(store: RunStore) -> None:
    from boost.ablation import AblationConfig, expand_cells, group_definition

    ablation = AblationConfig(factors=[{"name": "l2", "levels": [0.0, 0.001]},
                                       {"name": "dropout", "levels": [0.0, 0.5]}],
                              design="full", seeds=2)  # fmt: skip
    design = group_definition(ablation, expand_cells(ablation))
    store.create_group("g", design)
    assert store.get_group("g") == design
    assert design.cell_order[0] == "base" and len(design.cells) == 4  # 2 x 2
    assert design.cell_of()[("0.001", "0.5")] == "l2=0.001, dropout=0.5"
    assert store.get_group("no such group") is None
