"""Ablation throughput: the queue and its workers against a bare script, wall clock.

The four seed examples (examples/baseline, l2, l1, dropout: the seed CNN on digits) are
trained (a) one after another by a bare Keras script in a fresh interpreter, and (b) through
Boost Lab's queue: enqueued at once, trained by worker processes in their slots. Both times are
wall clock from start to the last run's end, TensorFlow start-up included on both sides.

By default the queue runs with the product's default slots (see boost/queue/local.py); pass
`--slots 1 2` to compare slot counts, `--threads` for TensorFlow threads per worker. The last
line is the ratio queue/bare for the first slot count given; the goal is at most 1.0.

    python bench/ablation_throughput.py [--epochs 15] [--slots 2] [--threads N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boost.config import ExperimentConfig  # noqa: E402
from boost.queue import local, manager  # noqa: E402
from boost.runs.store import TERMINAL, RunStore  # noqa: E402

EXAMPLES = ("baseline", "l2", "l1", "dropout")

# The bare script: what a person would write with Keras alone, the same data and models.
BARE = """
import os, sys, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from boost.config import ExperimentConfig
from boost.data import load_dataset
from boost.models import build_model, output_spec
for text in sys.argv[1:]:
    c = ExperimentConfig.from_json(text)
    keras.utils.set_random_seed(c.seed)
    d = load_dataset(c.dataset, c.seed)
    m = build_model(c, d.input_shape, d.num_classes)
    m.compile(optimizer=keras.optimizers.Adam(c.optimizer.learning_rate),
              loss=output_spec(d.num_classes)[2], metrics=["accuracy"])
    m.fit(d.x_train, d.y_train, validation_data=(d.x_val, d.y_val), epochs=c.training.epochs,
          batch_size=c.training.batch_size, verbose=0)
    m.evaluate(d.x_test, d.y_test, verbose=0)
"""


def configs(epochs: int) -> list[ExperimentConfig]:
    return [
        ExperimentConfig.from_file(ROOT / "examples" / f"{n}.json").replace(
            **{"training.epochs": epochs}
        )
        for n in EXAMPLES
    ]


def bare(cfgs: list[ExperimentConfig]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE, *[c.to_json(None) for c in cfgs]], cwd=ROOT,
                   check=True)  # fmt: skip
    return time.perf_counter() - t0


def queued(cfgs: list[ExperimentConfig], slots: int, threads: int | None) -> float:
    store = RunStore(tempfile.mkdtemp(prefix="boost-bench-"))
    t0 = time.perf_counter()
    ids = [manager.enqueue(c, store) for c in cfgs]
    local.ensure_workers(store, slots=slots, threads=threads, idle_exit=1.0)
    while True:
        runs = [store.get_run(r) for r in ids]
        if all(r.status in TERMINAL for r in runs):
            break
        time.sleep(0.05)
    elapsed = max(r["finished_at"] for r in runs) - (t0 - time.perf_counter() + time.time())
    bad = [r.id for r in runs if r.status != "completed"]
    if bad:
        raise SystemExit(f"runs did not complete: {bad}; see {store.home / 'logs'}")
    while store.workers():  # let the idle workers leave before the next measurement
        time.sleep(0.2)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--slots", type=int, nargs="+", default=[local.default_slots()])
    parser.add_argument("--threads", type=int, help="TF threads per worker (default: shared out)")
    args = parser.parse_args()
    cfgs = configs(args.epochs)
    print(f"{len(cfgs)} runs ({', '.join(EXAMPLES)}), {args.epochs} epochs each")
    b = bare(cfgs)
    print(f"bare script, one after another: {b:.1f} s")
    results = {}
    for slots in args.slots:
        results[slots] = queued(cfgs, slots, args.threads)
        threads = args.threads or local.threads_per_worker(slots)
        print(f"queue, {slots} slot(s) x {threads} thread(s): {results[slots]:.1f} s "
              f"(ratio {results[slots] / b:.3f})")  # fmt: skip
    print(f"queue/bare ratio: {results[args.slots[0]] / b:.3f}")


if __name__ == "__main__":
    main()
