"""The executor boundary: what runs the store's queued jobs, and where.

The store (`boost.runs.store`) is the queue and the record: `manager.enqueue` writes a job
there, with its kind (`boost.queue.jobs`); a worker claims it, runs its kind's handler,
writes its progress and epochs, and honours a cancel request it reads there. An executor
only decides where workers run and keeps them going, so it stays small:

- `start(store)`: make sure queued jobs will be taken (start workers if none are up);
- `cancel(store, run_id)`: ask a job to stop (the worker stops it after the current batch);
- `recover(store)`: mark jobs whose worker died as failed, and keep the queue served;
- `wall_clock(run_seconds)`: how long jobs of those lengths take together here.

Today's executor is `LocalExecutor` (worker processes on this machine). Another (a Ray
cluster) implements the same four methods; its workers run `boost.queue.worker`'s loop.
"""

from __future__ import annotations

from typing import Protocol

from boost.queue.local import LocalExecutor
from boost.runs.store import RunStore


class Executor(Protocol):
    name: str

    def start(self, store: RunStore) -> list[int]:
        """Make sure queued jobs will be taken; returns the ids of workers started (pids)."""
        ...

    def cancel(self, store: RunStore, run_id: str) -> str:
        """Ask a job to stop; returns its status after the request."""
        ...

    def recover(self, store: RunStore) -> list[tuple[str, str]]:
        """Fail jobs whose worker died; returns (run id, reason) of each."""
        ...

    def wall_clock(self, run_seconds: list[float]) -> float:
        """Seconds to run jobs of these lengths (each alone) together, start-up included."""
        ...


def current_executor() -> Executor:
    """The executor launches go to."""
    return LocalExecutor()
