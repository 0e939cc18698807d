"""The store's disk fills up or its folder turns read-only mid-run: nothing is lost.

Real failures on real processes, no mocks:
- *full*: the process's file-size limit (RLIMIT_FSIZE) is lowered to 0 from outside with
  prlimit(2), so every write to a file fails as on a full disk; raising it again is the
  disk being freed. This is how the outside fault suite filled the disk.
- *read-only*: the data folder is made read-only (chmod a-w) while a worker runs. As root,
  permissions bind nobody, so the worker then runs in a user namespace as an ordinary user
  who owns the files (`unshare --map-user`).

What must hold: the run ends failed with the real cause once the store takes writes again,
no process dies with a traceback, the worker survives, and the queue goes on by itself.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boost.queue import local, manager
from boost.runs.artifacts import MODEL_FILE
from boost.runs.store import RunStore, pid_alive
from tests.conftest import tiny_config
from tests.queue.test_workers import ROOT, statuses, wait_for

FSIZE = resource.RLIMIT_FSIZE
#: TensorFlow's C++ start-up lines, which no setting silences.
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} )")
#: What the recorded cause of a failed write may say (SQLite, or the OS for a plain file).
WRITE_FAILURE = ("cannot write the run store", "File too large", "Permission denied", "disk")


def full(pid: int) -> None:
    """From now on, every file write of process `pid` fails: its disk is full."""
    resource.prlimit(pid, FSIZE, (0, resource.prlimit(pid, FSIZE)[1]))


def freed(pid: int) -> None:
    soft, hard = resource.prlimit(pid, FSIZE)
    resource.prlimit(pid, FSIZE, (hard, hard))


def epochs_logged(store: RunStore, run_id: str) -> int:
    return len(store.epochs(run_id))


def test_a_full_disk_gives_a_clear_error_rolls_back_and_the_write_goes_through_once_freed(
    home: Path,
) -> None:
    """The store API itself, in a child process whose disk we fill and free."""
    script = """
import json, resource, sys, threading, time
from boost.runs.store import RunStore, StoreUnavailable
store = RunStore(sys.argv[1])
run = store.create_run({"name": "r"}, status="running")
store.log_epoch(run, 1, {"loss": 1.0})
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))  # the disk is full
out = {}
try:
    store.log_epoch(run, 2, {"loss": 0.5})
except StoreUnavailable as exc:
    out["error"] = str(exc)
threading.Timer(1.0, lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))).start()
notices = []
t = time.monotonic()
store.retry_write(lambda: store.fail_run(run, "the cause"), what="record it",
                  notice=notices.append)
out.update(waited=time.monotonic() - t, notices=notices, status=store.get_run(run).status,
           error_kept=store.get_run(run).error, epochs=[e["epoch"] for e in store.epochs(run)])
print(json.dumps(out))
"""
    out = subprocess.run([sys.executable, "-c", script, str(home)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    result = json.loads(out.stdout)
    assert result["error"].startswith("cannot write the run store at ")
    assert "Traceback" not in out.stderr
    assert result["waited"] >= 0.9  # it waited for the disk...
    assert len(result["notices"]) == 1 and "waiting to record it" in result["notices"][0]
    assert result["status"] == "failed" and result["error_kept"] == "the cause"  # ...then wrote
    assert result["epochs"] == [1]  # the failed epoch-2 write was rolled back, epoch 1 intact


@pytest.mark.slow
def test_disk_full_mid_run_fails_the_run_with_its_cause_and_the_queue_resumes(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOST_SLOTS", "1")
    long = manager.enqueue(tiny_config(name="long", **{"training.epochs": 60}), store)
    after = manager.enqueue(tiny_config(name="after"), store)
    (pid,) = local.ensure_workers(store, slots=1, idle_exit=60)
    wait_for(lambda: epochs_logged(store, long) >= 1, timeout=120)

    full(pid)
    time.sleep(4)  # training hits the full disk and waits to record why
    assert statuses(store, [long, after]) == ["running", "queued"]
    assert pid_alive(pid)

    freed(pid)
    run = wait_for(lambda: (r := store.get_run(long)).status == "failed" and r, timeout=60)
    assert any(w in run.error for w in WRITE_FAILURE), run.error
    assert "worker died" not in run.error
    assert epochs_logged(store, long) >= 1  # its completed epochs are kept
    assert not (store.home / "runs" / long / MODEL_FILE).exists()
    # The same worker goes on with the queue by itself: nobody launches anything.
    wait_for(lambda: statuses(store, [after]) == ["completed"], timeout=120)
    assert pid_alive(pid) and store.get_run(after).worker_pid == pid
    log = (store.home / "logs" / "worker-0.log").read_text()
    assert "Traceback" not in log


@pytest.mark.slow
def test_disk_full_under_the_command_line_waits_then_fails_in_one_line(
    store: RunStore, tmp_path: Path
) -> None:
    cfg = tmp_path / "long.json"
    cfg.write_text(tiny_config(name="cli long", **{"training.epochs": 60}).to_json())
    proc = subprocess.Popen(
        [sys.executable, "-m", "boost", "train", str(cfg), "--quiet"],
        cwd=ROOT, env={**os.environ, "BOOST_HOME": str(store.home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        run_id = wait_for(lambda: store.list_runs() and store.list_runs()[0].id, timeout=60)
        wait_for(lambda: epochs_logged(store, run_id) >= 1, timeout=120)
        full(proc.pid)
        time.sleep(3)
        assert proc.poll() is None and store.get_run(run_id).status == "running"
        freed(proc.pid)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if not TF_NOISE.match(line)]
    assert len(lines) == 2, lines  # "... waiting to record ...", then "run X failed: ..."
    assert f"waiting to record that run {run_id} failed" in lines[0]
    assert lines[1].startswith(f"run {run_id} failed: ")
    run = store.get_run(run_id)
    assert run.status == "failed" and any(w in run.error for w in WRITE_FAILURE)


def _as_owner_without_root() -> list[str]:
    """A command prefix that runs as an ordinary user owning our files (see the module doc)."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    probe = [unshare or "unshare", "--user", "--map-user=65534", "--map-group=65534", "true"]
    if unshare is None or subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("as root, a read-only folder needs `unshare --user` (util-linux)")
    return probe[:-1]


def _chmod_tree(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


@pytest.mark.slow
def test_read_only_folder_mid_run_records_the_cause_and_the_queue_waits_then_resumes(
    store: RunStore,
) -> None:
    prefix = _as_owner_without_root()
    first = manager.enqueue(tiny_config(name="first", **{"training.epochs": 40}), store)
    second = manager.enqueue(tiny_config(name="second"), store)
    env = {**os.environ, "BOOST_HOME": str(store.home), "PYTHONPATH": str(ROOT)}
    log = open(store.home / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [*prefix, sys.executable, "-m", "boost", "worker", "--slot", "0", "--idle-exit", "60",
         "--threads", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: epochs_logged(store, first) >= 1, timeout=120)
        _chmod_tree(store.home, writable=False)
        try:
            run = wait_for(lambda: (r := store.get_run(first)).status == "failed" and r,
                           timeout=120)  # fmt: skip
            assert "Permission denied" in run.error, run.error
            assert epochs_logged(store, first) >= 1
            assert not (store.home / "runs" / first / MODEL_FILE).exists()
            time.sleep(3)  # the worker sees the folder is still read-only and waits
            assert store.get_run(second).status == "queued"  # not failed: it waits
            assert worker.poll() is None
        finally:
            _chmod_tree(store.home, writable=True)
        wait_for(lambda: statuses(store, [second]) == ["completed"], timeout=120)
        assert worker.poll() is None  # the same worker, never restarted
    finally:
        worker.kill()
        worker.wait()
        log.close()
    text = (store.home / "worker.log").read_text()
    assert "Traceback" not in text
    assert "queued runs wait until it can be written" in text and "takes writes again" in text


@pytest.mark.slow
def test_with_one_slot_a_listing_that_finds_a_dead_worker_starts_a_new_one(
    store: RunStore, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOST_SLOTS", "1")
    doomed = manager.enqueue(tiny_config(name="doomed", **{"training.epochs": 200}), store)
    waiting = manager.enqueue(tiny_config(name="waiting"), store)
    (pid,) = local.ensure_workers(store, slots=1, idle_exit=60)
    wait_for(lambda: epochs_logged(store, doomed) >= 1, timeout=120)
    os.kill(pid, 9)
    out = subprocess.run([sys.executable, "-m", "boost", "runs"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, env={**os.environ, "BOOST_HOME": str(home)})  # fmt: skip
    assert out.returncode == 0
    assert store.get_run(doomed).status == "failed"
    assert "worker died" in store.get_run(doomed).error
    # No launch: the listing that recovered the run started a worker for the queued one.
    wait_for(lambda: statuses(store, [waiting]) == ["completed"], timeout=120)
