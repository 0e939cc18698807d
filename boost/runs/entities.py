"""What the store hands out: typed runs, not dicts to dig in.

A `Run` is one row of the store (a job of some kind; today almost always a training run),
decoded once: its stored config stays the JSON it was launched with (`config`), and
`experiment` parses it on first use. Parsing never looks at the disk, so a run whose
upload was deleted since still reads (`ExperimentConfig.check_can_start` is the separate
"can this run start" check, made at launch and when a worker starts the run).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from boost.config import ExperimentConfig

#: The kind of job a run is when nothing else is said: a training run. Other kinds
#: (`boost.queue.jobs`) are queued and claimed the same way.
TRAIN = "train"


@dataclass(frozen=True)
class Progress:
    """Where a running run is: epoch e of `epochs`, batch b of `steps`, speed and time left."""

    epoch: int
    epochs: int
    batch: int
    steps: int
    samples_per_sec: float | None = None
    eta_s: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress | None:
        """The stored progress, or None before the first batch."""
        if not data:
            return None
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]

    @property
    def fraction(self) -> float:
        """Share of all batches done, in [0, 1]."""
        done = ((self.epoch - 1) * self.steps + self.batch) / (self.epochs * self.steps)
        return min(1.0, max(0.0, done))


@dataclass(frozen=True)
class Run:
    """One run (a job) as the store holds it."""

    id: str
    name: str
    status: str
    #: The experiment as launched: plain JSON (see `experiment` for the parsed form).
    config: dict[str, Any]
    created_at: float
    kind: str = TRAIN
    group: str | None = None
    cell: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    heartbeat_at: float | None = None
    worker_pid: int | None = None
    worker_host: str | None = None
    device: str | None = None
    error: str | None = None
    cancel_requested: bool = False
    depends_on: str | None = None
    progress: Progress | None = None
    #: Final (or partial) results: best_val_accuracy, test_accuracy, epochs_run, ...
    metrics: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def experiment(self) -> ExperimentConfig:
        """The stored config, parsed (once).

        Raises:
            ConfigError: the stored config is not valid for this version of Boost Lab.
        """
        return ExperimentConfig.from_dict(self.config)

    @property
    def seed(self) -> Any:
        """The stored config's seed (None if it has none)."""
        return self.config.get("seed")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the CLI's `runs --json`)."""
        return asdict(self)
