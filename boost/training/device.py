"""Choosing where a run trains: the GPU when asked for or when `auto` finds one, else the CPU."""

from __future__ import annotations

import keras
import tensorflow as tf

from boost.config import TrainingConfig


class DeviceError(RuntimeError):
    """The requested device is not available."""


def setup_device(cfg: TrainingConfig) -> str:
    """Make TensorFlow use the configured device; return a label for the run record.

    Call before the first TensorFlow op of the process: device visibility cannot change
    afterwards (later calls keep the first choice). GPUs get memory growth, so that
    several workers can share one card. Mixed precision is switched on only on a GPU.

    Raises:
        DeviceError: `gpu` was requested and TensorFlow sees none.
    """
    gpus = tf.config.list_physical_devices("GPU")
    use_gpu = bool(gpus) and cfg.device in ("auto", "gpu")
    if cfg.device == "gpu" and not gpus:
        raise DeviceError(
            "training.device is 'gpu' but TensorFlow sees no GPU; install the CUDA build "
            "(make run GPU=1) or choose 'auto' or 'cpu'"
        )
    try:
        if use_gpu:
            for gpu in gpus:
                tf.config.experimental.set_memory_growth(gpu, True)
        elif gpus:
            tf.config.set_visible_devices([], "GPU")
    except RuntimeError:
        pass  # devices already initialised by an earlier run in this process
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if (use_gpu and cfg.mixed_precision) else "float32"
    )
    if not use_gpu:
        return "cpu"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"gpu ({details.get('device_name', gpus[0].name)})"


def enable_determinism(seed: int, device_label: str) -> None:
    """Seed Python, NumPy and TensorFlow; on the CPU also make TF ops deterministic.

    On the CPU determinism is cheap (see bench/train_overhead.py); on a GPU it forces slow
    cuDNN algorithms, so GPU runs are reproducible only up to floating-point noise.
    """
    keras.utils.set_random_seed(seed)
    if device_label == "cpu":
        tf.config.experimental.enable_op_determinism()
