"""Optimisers and learning-rate schedules from an OptimizerConfig."""

from __future__ import annotations

import keras

from boost.config import OptimizerConfig


def schedule_callbacks(cfg: OptimizerConfig) -> list[keras.callbacks.Callback]:
    """The callbacks a schedule needs: ReduceLROnPlateau for `reduce_on_plateau`."""
    if cfg.schedule != "reduce_on_plateau":
        return []
    return [
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=cfg.plateau_factor, patience=cfg.plateau_patience
        )
    ]


def build_optimizer(
    cfg: OptimizerConfig, *, epochs: int, steps_per_epoch: int
) -> keras.optimizers.Optimizer:
    """The optimiser with its learning-rate schedule (see also `schedule_callbacks`).

    `cosine` decays to 0 over the whole run and `step` multiplies the rate by
    `step_factor` every `step_every` epochs; both update per batch inside the optimiser,
    so they cost nothing at epoch boundaries.
    """
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

    if cfg.name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if cfg.name == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=cfg.weight_decay)
    if cfg.name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=cfg.momentum)
    if cfg.name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr)
    raise ValueError(f"optimizer.name: unknown optimiser {cfg.name!r}")  # validated before


def current_lr(optimizer: keras.optimizers.Optimizer) -> float:
    """The learning rate the optimiser uses now (schedules evaluated at the current step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
