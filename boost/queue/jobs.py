"""Job kinds: what a worker can do with a job it claims from the queue.

A job is a row of the run store with a `kind`. Every kind has a handler that runs in a worker
process (handlers may import TensorFlow; nothing else here does). Today there is one kind,
a training run; re-evaluating a finished run, Grad-CAM maps or a learning-rate finder are
added as one entry each, and queue, claim, cancel and recover like training runs do.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from boost.runs.entities import TRAIN, Run
from boost.runs.store import RunStore


@dataclass(frozen=True)
class Outcome:
    """How a job ended: its status and, if it failed, why (already written to the store)."""

    status: str
    error: str | None = None


@dataclass(frozen=True)
class JobKind:
    """One kind of job: what it is called and which function runs it."""

    #: Shown in logs and messages, e.g. "training run".
    label: str
    #: "module:function", imported by the worker only; called as function(run, store) with
    #: the claimed `Run`, returning an `Outcome`. It writes the job's
    #: progress, results and end to the store itself, and raises `ConfigError` for a job
    #: that cannot start (the worker records that failure).
    handler: str

    def run(self, run: Run, store: RunStore) -> Outcome:
        module, function = self.handler.split(":")
        handler: Callable[[Run, RunStore], Outcome] = getattr(
            importlib.import_module(module), function
        )
        return handler(run, store)


JOB_KINDS: dict[str, JobKind] = {
    TRAIN: JobKind("training run", "boost.queue.jobs:train"),
}


class UnknownJobKind(ValueError):
    """A job of a kind this Boost Lab does not know (written by a newer version, say)."""

    def __init__(self, kind: str):
        super().__init__(f"unknown job kind {kind!r}; this worker runs {', '.join(JOB_KINDS)}")


def job_kind(kind: str) -> JobKind:
    """The kind named `kind`.

    Raises:
        UnknownJobKind: no such kind.
    """
    try:
        return JOB_KINDS[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def train(run: Run, store: RunStore) -> Outcome:
    """The training run's handler: train the run's config, writing epochs and the end."""
    from boost.training import TrainingFailed  # TensorFlow: only in workers
    from boost.training import train as train_config

    try:
        return Outcome(train_config(run.experiment, store, run_id=run.id).status)
    except TrainingFailed as exc:  # recorded by train(); the worker logs it
        return Outcome("failed", str(exc))
