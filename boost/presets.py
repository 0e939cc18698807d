"""Ready-made sets of runs that tell one story each."""

from __future__ import annotations

import time

from boost.config import ExperimentConfig

DIGITS_SOURCE = ["0", "1", "2", "3", "4"]
DIGITS_TARGET = ["5", "6", "7", "8", "9"]
# The target task keeps most of its few images for measuring: 40% validation, 40% test.
_TARGET_VAL = _TARGET_TEST = 0.4


def transfer_demo(
    *, per_class: int = 5, epochs: int = 10, seed: int = 0, tag: str | None = None
) -> list[ExperimentConfig]:
    """Offline transfer learning on digits: learn 0-4, then 5-9 from a few images per class.

    Returns three configs, to be queued in this order: the source run (the seed CNN on
    digits 0-4), then the target task (digits 5-9 with `per_class` training images per class)
    trained from scratch, and trained from the source run's convolutions: frozen for the
    first half of the epochs, then with the top convolution fine-tuned at a tenth of the
    learning rate.

    Args:
        per_class: training images per class of the target task.
        epochs: epochs of each target run (the source trains for 10).
        seed: the same for all three runs, so the only difference is the start.
        tag: ends the run names (default: the time; "" for none), so that the transfer run
            finds its own source by name.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1; got {per_class}")
    if epochs < 2:
        raise ValueError(f"epochs must be at least 2 (frozen, then fine-tuned); got {epochs}")
    suffix = f" {time.strftime('%H:%M:%S')}" if tag is None else (f" {tag}" if tag else "")
    source_name = f"digits 0-4 source{suffix}"
    base = {"seed": seed, "model": {"arch": "seed_cnn"}, "optimizer": {"learning_rate": 1e-3}}
    source = ExperimentConfig.from_dict(
        {**base, "name": source_name, "training": {"epochs": 10},
         "dataset": {"source": "digits", "image_size": 32, "classes": DIGITS_SOURCE}}
    )  # fmt: skip
    # max_per_class counts before the split: scale it so that training keeps `per_class`.
    cap = round(per_class / (1 - _TARGET_VAL - _TARGET_TEST))
    target = {"source": "digits", "image_size": 32, "classes": DIGITS_TARGET,
              "max_per_class": cap, "val_fraction": _TARGET_VAL, "test_fraction": _TARGET_TEST}  # fmt: skip
    batch = min(32, max(8, per_class))
    scratch = ExperimentConfig.from_dict(
        {**base, "name": f"digits 5-9 from scratch{suffix}", "dataset": target,
         "training": {"epochs": epochs, "batch_size": batch}}
    )  # fmt: skip
    transfer = ExperimentConfig.from_dict(
        {**base, "name": f"digits 5-9 from 0-4{suffix}", "dataset": target,
         "training": {"epochs": epochs, "batch_size": batch},
         "transfer": {"weights": f"run:{source_name}", "freeze": True, "fine_tune_layers": 1,
                      "fine_tune_after": epochs // 2, "fine_tune_lr_factor": 0.1}}
    )  # fmt: skip
    return [source, scratch, transfer]
