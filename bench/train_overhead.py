"""What the engine costs on top of a bare `model.fit`.

The same model (examples/baseline.json: the seed CNN on digits) and the same arrays are
trained by a bare Keras `model.fit` and by `boost.training.train` (store writes, batch
progress, kernel statistics, op determinism; the bare run has none of these), alternately,
in one process. Each run's steady-state epoch time is the median of its epochs after the
first (the first includes graph tracing). The last line is the median over repeats of the
paired ratio engine/bare; the goal is at most 1.05.

    python bench/train_overhead.py [--epochs 6] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from tensorflow.python.framework import config as tf_config  # noqa: E402

from boost.config import ExperimentConfig  # noqa: E402
from boost.data import load_dataset  # noqa: E402
from boost.models import build_model, output_spec  # noqa: E402
from boost.runs.store import RunStore  # noqa: E402
from boost.training import train  # noqa: E402
from boost.training.optim import build_optimizer  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Wall time between consecutive epoch ends, the same way the engine's rows are spaced."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[float] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.ends = [time.perf_counter()]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.ends.append(time.perf_counter())


def steady(intervals: list[float]) -> float:
    """Median epoch time, skipping the first epoch (tracing and warm-up)."""
    return statistics.median(intervals[1:])


def bare_fit(config: ExperimentConfig, data, deterministic: bool = False) -> float:  # type: ignore[no-untyped-def]
    # As a user writes it: seeded, and without op determinism unless asked (the engine's
    # previous run switched it on for the whole process).
    if deterministic:
        tf_config.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, data.input_shape, data.num_classes)
    optimizer = build_optimizer(config.optimizer, epochs=config.training.epochs, steps_per_epoch=1)
    model.compile(optimizer=optimizer, loss=output_spec(data.num_classes)[2], metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(
        data.x_train,
        data.y_train,
        validation_data=(data.x_val, data.y_val),
        epochs=config.training.epochs,
        batch_size=config.training.batch_size,
        callbacks=[timer],
        verbose=0,
    )
    return steady([b - a for a, b in zip(timer.ends, timer.ends[1:], strict=False)])


def engine_fit(config: ExperimentConfig, store: RunStore) -> float:
    result = train(config, store)
    walls = [0.0] + [row["wall_time"] for row in store.epochs(result.run_id)]
    return steady([b - a for a, b in zip(walls, walls[1:], strict=False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    config = ExperimentConfig.from_file(ROOT / "examples" / "baseline.json").replace(
        **{"training.epochs": args.epochs}
    )
    data = load_dataset(config.dataset, config.seed)
    print(
        f"model: {config.model.arch} width {config.model.width}, data: {config.dataset.source} "
        f"{data.input_shape}, {len(data.x_train)} train images, batch {config.training.batch_size}, "
        f"{args.epochs} epochs x {args.repeats} repeats"
    )
    store = RunStore(tempfile.mkdtemp(prefix="boost-bench-"))
    bare_fit(config, data)  # warm-up: first-use costs of TF kernels are nobody's overhead
    runners = {
        "bare": lambda: bare_fit(config, data),
        "bare+determinism": lambda: bare_fit(config, data, deterministic=True),
        "engine": lambda: engine_fit(config, store),
    }
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for i in range(args.repeats):
        # Rotate the order so that no variant always runs first or last in a repeat.
        for name in names[i % 3 :] + names[: i % 3]:
            times[name].append(runners[name]())
        print(
            f"repeat {i + 1}: "
            + ", ".join(f"{n} {t[-1] * 1000:.0f} ms/epoch" for n, t in times.items())
        )
    bare, det, engine = times["bare"], times["bare+determinism"], times["engine"]
    # Paired ratios (each engine run against the bare runs of the same repeat) cancel the slow
    # drift of a shared machine; their median is robust to one disturbed repeat.
    vs_det = statistics.median(e / d for e, d in zip(engine, det, strict=True))
    vs_bare = statistics.median(e / b for e, b in zip(engine, bare, strict=True))
    print(f"engine/(bare+determinism) ratio, the store and callbacks alone: {vs_det:.3f}")
    print(f"engine/bare ratio: {vs_bare:.3f}")


if __name__ == "__main__":
    main()
