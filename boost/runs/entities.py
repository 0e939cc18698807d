"""What the store hands out: typed runs and group designs, not dicts to dig in.

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

from boost.catalog import SEED_CNN
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

    @property
    def arch(self) -> str:
        """The network the run trained, read from the stored JSON, so that a config stored by
        an older Boost Lab (which `experiment` refuses) still says what it was."""
        model = self.config.get("model")
        arch = model.get("arch", SEED_CNN) if isinstance(model, dict) else SEED_CNN
        return arch if isinstance(arch, str) else SEED_CNN

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the CLI's `runs --json`)."""
        return asdict(self)


@dataclass(frozen=True)
class FactorDesign:
    """One factor of an ablation: its level labels, and the level the base run has."""

    name: str
    levels: tuple[str, ...]
    base: str


@dataclass(frozen=True)
class CellDesign:
    """One cell: its label (e.g. "l2=0") and the level of every factor in it."""

    label: str
    levels: dict[str, str]


@dataclass(frozen=True)
class GroupDesign:
    """How an ablation group was designed: what its statistics read back from the store."""

    #: "one_at_a_time" or "full".
    design: str
    seeds: int
    base_cell: str
    factors: tuple[FactorDesign, ...]
    #: In launch order; the base cell first.
    cells: tuple[CellDesign, ...]
    #: The ablation file as launched (plain JSON).
    ablation: dict[str, Any] = field(default_factory=dict)

    @property
    def cell_order(self) -> list[str]:
        return [c.label for c in self.cells]

    def cell_of(self) -> dict[tuple[str, ...], str]:
        """Each combination of levels (in factor order) -> its cell's label."""
        names = [f.name for f in self.factors]
        return {tuple(c.levels[n] for n in names): c.label for c in self.cells}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "ablation",
            "ablation": self.ablation,
            "design": self.design,
            "seeds": self.seeds,
            "base_cell": self.base_cell,
            "factors": [{"name": f.name, "levels": list(f.levels), "base": f.base}
                        for f in self.factors],
            "cells": [{"cell": c.label, "levels": c.levels} for c in self.cells],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupDesign | None:
        """The stored design, or None for a group that is not an ablation."""
        if data.get("kind") != "ablation":
            return None
        return cls(
            design=data["design"],
            seeds=data["seeds"],
            base_cell=data["base_cell"],
            factors=tuple(FactorDesign(f["name"], tuple(f["levels"]), f["base"])
                          for f in data["factors"]),
            cells=tuple(CellDesign(c["cell"], dict(c["levels"])) for c in data["cells"]),
            ablation=data.get("ablation", {}),
        )  # fmt: skip
