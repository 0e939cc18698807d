"""Choosing where a run trains: the GPU when asked for or when `auto` finds one, else the CPU."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import keras
import tensorflow as tf

from boost.config import TrainingConfig


class DeviceError(RuntimeError):
    """The requested device is not available."""


def setup_device(cfg: TrainingConfig) -> tuple[str, AbstractContextManager[Any]]:
    """Choose the device for one run; return a label for the run record and a scope.

    Build and fit the model inside the returned scope. A scope (not device visibility,
    which is fixed once TensorFlow has started) lets one long-lived worker train a `cpu` run
    after a `gpu` one. GPUs get memory growth, so that several workers can share one card.
    Mixed precision is switched on only on a GPU.

    Raises:
        DeviceError: `gpu` was requested and TensorFlow sees none.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if cfg.device == "gpu" and not gpus:
        raise DeviceError(
            "training.device is 'gpu' but TensorFlow sees no GPU; install the CUDA build "
            "(make run GPU=1) or choose 'auto' or 'cpu'"
        )
    use_gpu = bool(gpus) and cfg.device in ("auto", "gpu")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialised by an earlier run in this process: set back then
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if (use_gpu and cfg.mixed_precision) else "float32"
    )
    if not use_gpu:
        return "cpu", tf.device("/CPU:0")
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"gpu ({details.get('device_name', gpus[0].name)})", tf.device("/GPU:0")


def enable_determinism(seed: int, device_label: str) -> None:
    """Seed Python, NumPy and TensorFlow; on the CPU also make TF ops deterministic.

    On the CPU determinism is cheap (see bench/train_overhead.py); on a GPU it forces slow
    cuDNN algorithms, so GPU runs are reproducible only up to floating-point noise.
    """
    keras.utils.set_random_seed(seed)
    if device_label == "cpu":
        tf.config.experimental.enable_op_determinism()
