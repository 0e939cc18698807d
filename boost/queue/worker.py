"""A worker: holds one slot, claims queued jobs oldest first, runs them, one at a time.

Each job runs its kind's handler (`boost.queue.jobs`): a training run trains.

Started by the manager as a fresh, detached interpreter (`python -m boost worker --slot N`),
or by hand on another machine that shares the data folder. TensorFlow is imported once per
worker, after the slot is taken; each run then trains in this process, and Keras' session is
cleared between runs.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from contextlib import suppress
from functools import partial
from types import FrameType

from boost.config import ConfigError
from boost.queue.jobs import UnknownJobKind, job_kind
from boost.runs.store import RunNotFound, RunStore, StoreError

#: Seconds between looks at the queue when it is empty.
POLL_S = 0.5
#: Longest pause between looks at a store that cannot be written.
OUTAGE_MAX_PAUSE_S = 5.0


class _Stopped(BaseException):
    """SIGTERM/SIGINT arrived: finish this run as failed, release the slot, exit."""


def run_worker(
    store: RunStore,
    slot: int,
    *,
    idle_exit: float | None = None,
    threads: int | None = None,
    max_runs: int | None = None,
) -> int:
    """Serve the queue until idle for `idle_exit` seconds (None: forever).

    A store that cannot be written (full disk, read-only folder) does not end the worker: the
    run it hit fails with that cause once it can be recorded, the worker checks that the
    store takes writes again before it claims the next run, and then goes on by itself. Time
    spent waiting for the store is not idle time.

    Args:
        store: the run store shared with the dashboard and other workers.
        slot: the worker slot to hold; a live worker already holding it makes this one exit.
        idle_exit: exit after this many seconds without a queued run.
        threads: TensorFlow intra-op threads (None: TensorFlow's default, all cores).
        max_runs: exit after this many runs (a fresh process frees all memory).

    Returns:
        A process exit status: 0, or 3 when the slot was taken.
    """
    if not store.claim_slot(slot, os.getpid()):
        _log(f"slot {slot} is held by a live worker; exiting")
        return 3
    signal.signal(signal.SIGTERM, _raise_stopped)
    current: dict[str, str | None] = {"run": None}
    try:
        with store.heartbeat_thread(lambda: store.slot_heartbeat(slot, current["run"])):
            _configure_tensorflow(threads)

            done = 0
            idle_since = time.monotonic()
            outage = _Outage(slot)
            check = False  # check that the store takes writes before the next claim
            while max_runs is None or done < max_runs:
                try:
                    if check:
                        store.check_writable()
                        check = False
                    store.recover_stale()
                    run = store.claim_next()
                except StoreError as exc:
                    outage.waiting(exc)
                    check = True
                    idle_since = time.monotonic()  # the queue may be full: not idle
                    continue
                outage.over()
                if run is None:
                    if idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                        break
                    time.sleep(POLL_S)
                    continue
                current["run"] = run.id
                try:
                    kind = job_kind(run.kind)
                    _log(f"slot {slot}: {kind.label} {run.id} ({run.name})")
                    outcome = kind.run(run, store)
                    if outcome.error is None:
                        _log(f"slot {slot}: {run.id} {outcome.status}")
                    else:
                        _log(f"slot {slot}: {run.id} {outcome.status}: {outcome.error}")
                        check = True  # the cause may be the store's disk: look before claiming
                except (ConfigError, UnknownJobKind) as exc:
                    store.retry_write(
                        partial(store.fail_run, run.id, str(exc)), what="record the failure"
                    )
                except (RunNotFound, StoreError) as exc:  # the run was deleted meanwhile
                    _log(f"slot {slot}: {run.id}: {exc}")
                    check = True
                except _Stopped:
                    with suppress(StoreError):
                        store.fail_run(
                            run.id, "worker stopped (SIGTERM); its completed epochs are kept"
                        )
                    raise
                finally:
                    current["run"] = None
                    _clear_session()
                done += 1
                idle_since = time.monotonic()
    except _Stopped:
        _log(f"slot {slot}: stopped")
    finally:
        try:
            store.release_slot(slot)
        except StoreError as exc:  # recovery frees the slot once this process is gone
            _log(f"slot {slot}: could not release the slot ({exc})")
    return 0


class _Outage:
    """Says once that the store cannot be written, waits with a growing pause, says when it can."""

    def __init__(self, slot: int):
        self.slot = slot
        self.since: float | None = None
        self.pause = POLL_S

    def waiting(self, exc: StoreError) -> None:
        if self.since is None:
            self.since = time.monotonic()
            _log(f"slot {self.slot}: {exc}; queued runs wait until it can be written")
        time.sleep(self.pause)
        self.pause = min(self.pause * 2, OUTAGE_MAX_PAUSE_S)

    def over(self) -> None:
        if self.since is not None:
            _log(f"slot {self.slot}: the run store takes writes again after "
                 f"{time.monotonic() - self.since:.0f} s; serving the queue")  # fmt: skip
            self.since, self.pause = None, POLL_S


def _log(message: str) -> None:
    """One line to the worker's log; a log on a full disk must not end the worker."""
    with suppress(OSError):
        print(message, flush=True)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped()


def _configure_tensorflow(threads: int | None) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def _clear_session() -> None:
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session()
    gc.collect()
