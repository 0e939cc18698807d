"""Local worker processes: the first executor (see `boost.queue.executor`).

Workers are fresh interpreters (`python -m boost worker`) in their own session, so that
closing the browser, restarting the dashboard or ending the CLI leaves them training. Each
holds a slot in the store; a worker started for a slot that a live worker already holds
exits at once, so racing managers cannot start more workers than slots. Never imports
TensorFlow.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from boost.runs.store import RunStore, StoreUnavailable

#: CPU worker slots when there is no GPU. Measured by bench/ablation_throughput.py on 2
#: cores: see the README. Override with BOOST_SLOTS.
CPU_SLOTS = 2
#: Wall clock of several runs on CPU slots sharing the cores, over the same runs one after
#: another (bench/ablation_throughput.py on 2 cores: 0.78 for 2 and for 3 slots).
CPU_SHARED_FACTOR = 0.78
#: Seconds for a worker to start (Python, TensorFlow) and load a small dataset.
STARTUP_S = 8.0
#: Workers exit after this long without a queued run; the next launch starts them again.
IDLE_EXIT_S = 300.0

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: Workers this process started (pid -> process), to tell how one died.
_children: dict[int, subprocess.Popen[bytes]] = {}


def gpu_count() -> int:
    """GPUs visible to this machine, without importing TensorFlow (nvidia-smi)."""
    return _gpu_count(os.environ.get("CUDA_VISIBLE_DEVICES"))


@functools.lru_cache(maxsize=4)
def _gpu_count(visible: str | None) -> int:
    # Cached: the dashboard asks every second while runs are queued, and the machine's GPUs
    # do not change while it runs.
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    n = sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))
    if visible:
        n = min(n, len([v for v in visible.split(",") if v.strip()]))
    return n


def default_slots() -> int:
    """One worker per GPU; else BOOST_SLOTS or CPU_SLOTS."""
    env = os.environ.get("BOOST_SLOTS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"BOOST_SLOTS must be a whole number; got {env!r}") from None
    return gpu_count() or CPU_SLOTS


def threads_per_worker(slots: int) -> int:
    """CPU threads for each worker's TensorFlow: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // slots)


def recover(store: RunStore, *, restart: bool = True) -> list[tuple[str, str]]:
    """Mark runs of dead workers failed, naming the signal when this process started them.

    A worker that died leaves its slot free; if runs are still queued, a worker is started
    for it here (`restart`), so that the queue goes on without a new launch, whoever
    noticed the death: a `runs` listing, the dashboard, another worker.
    """
    codes = {}
    for pid, proc in list(_children.items()):
        code = proc.poll()  # also reaps the zombie, so the pid check sees it gone
        if code is not None:
            codes[pid] = code
            del _children[pid]
    failed = store.recover_stale(exit_codes=codes)
    if failed and restart:
        _start_workers(store)
    return failed


def ensure_workers(
    store: RunStore,
    *,
    slots: int | None = None,
    threads: int | None = None,
    idle_exit: float = IDLE_EXIT_S,
) -> list[int]:
    """Start a worker for every free slot while runs are queued; returns the new pids.

    Args:
        slots: worker slots (default: `default_slots()`).
        threads: TensorFlow threads per CPU worker (default: the cores shared out).
        idle_exit: seconds a worker waits for work before it exits.

    Raises:
        StoreError: the store cannot be read or written, or a worker's log cannot be opened.
    """
    recover(store, restart=False)
    return _start_workers(store, slots=slots, threads=threads, idle_exit=idle_exit)


def _start_workers(
    store: RunStore,
    *,
    slots: int | None = None,
    threads: int | None = None,
    idle_exit: float = IDLE_EXIT_S,
) -> list[int]:
    if not store.list_runs(status="queued", limit=1):
        return []
    slots = slots or default_slots()
    gpus = gpu_count()
    held = {w["slot"] for w in store.workers()}
    started = []
    for slot in range(slots):
        if slot in held:
            continue
        proc = _spawn(store, slot, gpu=slot if slot < gpus else None,
                      threads=threads or threads_per_worker(slots), idle_exit=idle_exit)  # fmt: skip
        # Hold the slot for the child now: a second manager polling before the child has
        # started must not start another worker for it.
        store.claim_slot(slot, proc.pid)
        started.append(proc.pid)
    return started


def _spawn(
    store: RunStore, slot: int, *, gpu: int | None, threads: int, idle_exit: float
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["BOOST_HOME"] = str(store.home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    args = [sys.executable, "-m", "boost", "worker", "--slot", str(slot),
            "--idle-exit", str(idle_exit)]  # fmt: skip
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)  # each GPU worker sees only its own card
    else:
        args += ["--threads", str(threads)]
    logs = store.home / "logs"
    try:
        logs.mkdir(exist_ok=True)
        log = open(logs / f"worker-{slot}.log", "ab")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot start a worker: its log {logs / f'worker-{slot}.log'} cannot be written "
            f"({exc.strerror or exc})"
        ) from exc
    with log:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=str(store.home),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the dashboard, the CLI and Ctrl-C
        )
    _children[proc.pid] = proc
    return proc


class LocalExecutor:
    """Jobs run by worker processes on this machine, one per slot (one per GPU)."""

    name = "local"

    def start(self, store: RunStore) -> list[int]:
        return ensure_workers(store)

    def cancel(self, store: RunStore, run_id: str) -> str:
        return store.request_cancel(run_id)

    def recover(self, store: RunStore) -> list[tuple[str, str]]:
        return recover(store)

    def wall_clock(self, run_seconds: list[float]) -> float:
        """Seconds to train runs that take `run_seconds` each alone, on the default slots."""
        total = sum(run_seconds)
        parallel = min(default_slots(), len(run_seconds))
        if parallel <= 1:
            return STARTUP_S + total
        if gpu_count():  # one card per worker: runs go side by side
            return STARTUP_S + total / parallel
        # CPU workers share the cores: n slots finish n runs in about the time of n/1.3 alone
        # (bench/ablation_throughput.py: 0.78 of the sequential time on 2 cores).
        return STARTUP_S + total * CPU_SHARED_FACTOR
