"""The seed document's CNN (section 4.2) with the regularisation of section 4.3.

Conv 32 -> pool -> Conv 64 -> pool -> Conv 128 -> pool -> Flatten -> Dense 512 -> [Dropout]
-> output. Filters and units scale with `model.width`; L1/L2 penalties apply to every conv and
dense kernel; Dropout sits before the output layer. Two classes get one sigmoid unit with
binary cross-entropy (as in the seed), more get softmax.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from boost.catalog import SEED_CNN_FILTERS
from boost.config import ExperimentConfig

#: Layer names that later code (transfer between runs, kernel statistics) relies on.
FEATURE_LAYERS = ("conv1", "conv2", "conv3")


def output_spec(num_classes: int) -> tuple[int, str, str]:
    """(units, activation, loss) of the output layer for `num_classes` classes."""
    if num_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes; got {num_classes}")
    if num_classes == 2:
        return 1, "sigmoid", "binary_crossentropy"
    return num_classes, "softmax", "sparse_categorical_crossentropy"


def _regularizer(l1: float, l2: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def build_model(
    config: ExperimentConfig, input_shape: tuple[int, int, int], num_classes: int
) -> keras.Model:
    """Build (not compile) the configured network.

    Args:
        config: the experiment; its `model` and `regularization` sections are used.
        input_shape: (height, width, channels) of the uint8 images fed to the model.
        num_classes: number of classes; 2 gives a sigmoid output.

    Returns:
        A functional Keras model taking 0..255 pixel values (it rescales them itself).
    """
    m, reg = config.model, config.regularization

    def scaled(n: int) -> int:
        return max(1, round(n * m.width))

    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    for i, filters in enumerate(SEED_CNN_FILTERS, start=1):
        x = keras.layers.Conv2D(
            scaled(filters),
            (3, 3),
            activation=None if m.batch_norm else "relu",
            kernel_regularizer=_regularizer(reg.l1, reg.l2),
            name=f"conv{i}",
        )(x)
        if m.batch_norm:
            x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
            x = keras.layers.Activation("relu", name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D((2, 2), name=f"pool{i}")(x)
    return keras.Model(inputs, head_layers(config, x, num_classes), name=m.arch)


def head_layers(
    config: ExperimentConfig, x: keras.KerasTensor, num_classes: int
) -> keras.KerasTensor:
    """The classifier head on feature maps `x`: Flatten (or global average pooling), Dense with
    the configured L1/L2, Dropout, output. The seed's 4.2 and 4.4 share this head."""
    m, reg = config.model, config.regularization
    units, activation, _ = output_spec(num_classes)
    if m.head == "flatten":
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(
        max(1, round(m.dense_units * m.width)),
        activation="relu",
        kernel_regularizer=_regularizer(reg.l1, reg.l2),
        name="dense",
    )(x)
    if reg.dropout > 0:
        x = keras.layers.Dropout(reg.dropout, name="dropout")(x)
    # float32 output even under mixed precision, so the loss is computed stably.
    return keras.layers.Dense(units, activation=activation, dtype="float32", name="output")(x)


def kernel_stats(model: keras.Model, threshold: float = 1e-3) -> dict[str, Any]:
    """Teaching statistics over all conv and dense kernels.

    Returns:
        sparsity: fraction of kernel weights with |w| < threshold (L1 drives it up);
        weight_norm: the L2 norm of all kernel weights together (L2 drives it down).
    """
    total = near_zero = 0
    sq = 0.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense):
            w = np.asarray(layer.kernel.numpy() if hasattr(layer.kernel, "numpy") else layer.kernel)
            total += w.size
            near_zero += int(np.count_nonzero(np.abs(w) < threshold))
            sq += float(np.square(w, dtype=np.float64).sum())
    return {"sparsity": near_zero / total if total else 0.0, "weight_norm": sq**0.5}
