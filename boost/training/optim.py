"""Optimisers and learning-rate schedules from an OptimizerConfig."""

from __future__ import annotations

import keras

from boost.config import OptimizerConfig


def build_optimizer(
    cfg: OptimizerConfig, *, epochs: int, steps_per_epoch: int
) -> tuple[keras.optimizers.Optimizer, list[keras.callbacks.Callback]]:
    """The optimiser, plus any callback the schedule needs (reduce_on_plateau).

    `cosine` decays to 0 over the whole run and `step` multiplies the rate by
    `step_factor` every `step_every` epochs; both update per batch inside the optimiser,
    so they cost nothing at epoch boundaries.
    """
    callbacks: list[keras.callbacks.Callback] = []
    lr: float | keras.optimizers.schedules.LearningRateSchedule = cfg.learning_rate
    if cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, epochs * steps_per_epoch)
    elif cfg.schedule == "step":
        lr = keras.optimizers.schedules.ExponentialDecay(
            cfg.learning_rate,
            decay_steps=cfg.step_every * steps_per_epoch,
            decay_rate=cfg.step_factor,
            staircase=True,
        )
    elif cfg.schedule == "reduce_on_plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=cfg.plateau_factor, patience=cfg.plateau_patience
            )
        )

    if cfg.name == "adam":
        opt = keras.optimizers.Adam(learning_rate=lr)
    elif cfg.name == "adamw":
        opt = keras.optimizers.AdamW(learning_rate=lr, weight_decay=cfg.weight_decay)
    elif cfg.name == "sgd":
        opt = keras.optimizers.SGD(learning_rate=lr, momentum=cfg.momentum)
    elif cfg.name == "rmsprop":
        opt = keras.optimizers.RMSprop(learning_rate=lr)
    else:  # unreachable: the config validates the name
        raise ValueError(f"optimizer.name: unknown optimiser {cfg.name!r}")
    return opt, callbacks


def current_lr(optimizer: keras.optimizers.Optimizer) -> float:
    """The learning rate the optimiser uses now (schedules evaluated at the current step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
