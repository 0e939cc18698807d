"""Launching jobs in the background: every launch goes through `enqueue`, then the executor.

Used by the dashboard and the CLI; never imports TensorFlow. The store is the queue and the
record; the executor (`boost.queue.executor`) makes sure something takes the queued jobs.
"""

from __future__ import annotations

import json
import time
from typing import Any

from boost.ablation import AblationConfig, expand_cells, expand_runs, group_definition
from boost.config import ExperimentConfig
from boost.queue.executor import current_executor
from boost.runs.store import RunStore


def enqueue(
    config: ExperimentConfig,
    store: RunStore,
    *,
    group: str | None = None,
    cell: str | None = None,
) -> str:
    """Queue a run; returns its id at once. Every launch (a run, variants, an ablation, the
    transfer demo, from the CLI or a page) goes through here.

    A run that transfers from another run (`transfer.weights: run:<id or name>`) is pinned to
    that run's id and waits for it to complete.

    Raises:
        ConfigError: the run's folder or zip is not there.
        RunNotFound: the source run does not exist.
        ValueError: the source run failed or was cancelled.
    """
    config.check_can_start()
    config, source = pin_source(config, store)
    return store.create_run(
        config.to_dict(), name=config.name, group=group, depends_on=source, cell=cell
    )


def pin_source(config: ExperimentConfig, store: RunStore) -> tuple[ExperimentConfig, str | None]:
    """Resolve `run:<name>` to the run's id; return the config and the id to wait for, if any."""
    ref = config.transfer.source_run
    if ref is None:
        return config, None
    run = store.resolve_run(ref)
    if run.status in ("failed", "cancelled"):
        raise ValueError(f"transfer.weights: source run {run.id} {run.status}")
    pinned = config.replace(**{"transfer.weights": f"run:{run.id}"})
    return pinned, None if run.status == "completed" else run.id


def launch(
    configs: list[ExperimentConfig], store: RunStore, *, group: str | None = None
) -> list[str]:
    """Queue runs and make sure workers are up to train them; returns at once."""
    ids = [enqueue(c, store, group=group) for c in configs]
    current_executor().start(store)
    return ids


def launch_ablation(ablation: AblationConfig, store: RunStore) -> tuple[str, list[str]]:
    """Queue every cell x seed of an ablation as one group; returns (group name, run ids).

    The group records the design (factors, levels, cells), which the statistics read back.
    """
    cells = expand_cells(ablation)
    runs = expand_runs(ablation, cells)
    group = f"{ablation.name} {time.strftime('%Y-%m-%d %H:%M:%S')}"
    store.create_group(group, group_definition(ablation, cells))
    ids = [enqueue(config, store, group=group, cell=cell.label) for cell, config in runs]
    current_executor().start(store)
    return group, ids


def estimate_seconds(configs: list[ExperimentConfig], store: RunStore) -> float | None:
    """Rough wall clock to train `configs` on the default slots, from similar past runs.

    A past run is similar when it trained the same data, network and batch size (with or
    without augmentation alike). None when no similar run has completed yet.
    """
    per_epoch: dict[str, float] = {}
    for run in store.list_runs(status="completed", limit=500):
        key = _shape_key(run.config)
        if key not in per_epoch and run.metrics.get("seconds_per_epoch"):
            per_epoch[key] = run.metrics["seconds_per_epoch"]
    seconds = []
    for config in configs:
        spe = per_epoch.get(_shape_key(config.to_dict()))
        if spe is None:
            return None
        seconds.append(spe * config.training.epochs)
    return current_executor().wall_clock(seconds)


def _shape_key(config: dict[str, Any]) -> str:
    d, m = config.get("dataset", {}), config.get("model", {})
    return json.dumps([d, m, config.get("training", {}).get("batch_size"),
                       bool(config.get("augmentation", {}).get("ops"))], sort_keys=True)  # fmt: skip


