"""A worker: holds one slot, claims queued runs oldest first, trains them, one at a time.

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
from types import FrameType

from boost.config import ConfigError, ExperimentConfig
from boost.runs.store import RunStore

#: Seconds between looks at the queue when it is empty.
POLL_S = 0.5


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
        print(f"slot {slot} is held by a live worker; exiting", flush=True)
        return 3
    signal.signal(signal.SIGTERM, _raise_stopped)
    current: dict[str, str | None] = {"run": None}
    try:
        with store.heartbeat_thread(lambda: store.slot_heartbeat(slot, current["run"])):
            _configure_tensorflow(threads)
            from boost.training import TrainingFailed, train  # TensorFlow loads here

            done = 0
            idle_since = time.monotonic()
            while max_runs is None or done < max_runs:
                store.recover_stale()
                run = store.claim_next()
                if run is None:
                    if idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                        break
                    time.sleep(POLL_S)
                    continue
                current["run"] = run["id"]
                print(f"slot {slot}: training {run['id']} ({run['name']})", flush=True)
                try:
                    config = ExperimentConfig.from_dict(run["config"])
                    result = train(config, store, run_id=run["id"])
                    print(f"slot {slot}: {run['id']} {result.status}", flush=True)
                except ConfigError as exc:
                    store.fail_run(run["id"], str(exc))
                except TrainingFailed as exc:
                    print(f"slot {slot}: {run['id']} failed: {exc}", flush=True)
                except _Stopped:
                    store.fail_run(
                        run["id"], "worker stopped (SIGTERM); its completed epochs are kept"
                    )
                    raise
                finally:
                    current["run"] = None
                    _clear_session()
                done += 1
                idle_since = time.monotonic()
    except _Stopped:
        print(f"slot {slot}: stopped", flush=True)
    finally:
        store.release_slot(slot)
    return 0


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
