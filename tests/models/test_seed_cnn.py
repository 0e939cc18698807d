import keras
import numpy as np
import pytest

from boost.config import ExperimentConfig
from boost.models import build_model, kernel_stats, output_spec

SHAPE = (32, 32, 1)


def _cfg(**changes: object) -> ExperimentConfig:
    return ExperimentConfig().replace(**changes) if changes else ExperimentConfig()


def _layers(model: keras.Model, kind: type) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_seed_architecture() -> None:
    model = build_model(_cfg(), SHAPE, 10)
    convs = _layers(model, keras.layers.Conv2D)
    assert [c.filters for c in convs] == [32, 64, 128]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert len(_layers(model, keras.layers.MaxPooling2D)) == 3
    dense = model.get_layer("dense")
    assert dense.units == 512
    assert not _layers(model, keras.layers.Dropout)
    assert not model.losses  # no regulariser by default


@pytest.mark.parametrize(
    ("classes", "units", "activation"), [(2, 1, "sigmoid"), (10, 10, "softmax")]
)
def test_output_for_two_and_many_classes(classes: int, units: int, activation: str) -> None:
    model = build_model(_cfg(), SHAPE, classes)
    out = model.get_layer("output")
    assert out.units == units
    assert out.activation.__name__ == activation
    assert model.output_shape == (None, units)
    assert output_spec(classes)[2] == (
        "binary_crossentropy" if classes == 2 else "sparse_categorical_crossentropy"
    )


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 classes"):
        build_model(_cfg(), SHAPE, 1)


@pytest.mark.parametrize(
    ("changes", "l1", "l2"),
    [
        ({"regularization.l2": 1e-3}, 0.0, 1e-3),
        ({"regularization.l1": 1e-4}, 1e-4, 0.0),
        ({"regularization.l1": 1e-4, "regularization.l2": 1e-3}, 1e-4, 1e-3),
    ],
)
def test_regularisers_on_every_conv_and_dense_kernel(changes: dict, l1: float, l2: float) -> None:
    model = build_model(_cfg(**changes), SHAPE, 10)
    regularised = ["conv1", "conv2", "conv3", "dense"]
    for name in regularised:
        reg = model.get_layer(name).kernel_regularizer
        assert reg is not None
        assert reg.l1 == pytest.approx(l1) and reg.l2 == pytest.approx(l2)
    assert model.get_layer("output").kernel_regularizer is None
    # One penalty term per regularised kernel, and it is positive.
    assert len(model.losses) == len(regularised)
    assert float(sum(keras.ops.convert_to_numpy(x) for x in model.losses)) > 0


def test_dropout_before_output() -> None:
    model = build_model(_cfg(**{"regularization.dropout": 0.5}), SHAPE, 10)
    names = [layer.name for layer in model.layers]
    assert names[-2:] == ["dropout", "output"]
    assert model.get_layer("dropout").rate == 0.5


def test_width_and_batch_norm() -> None:
    model = build_model(_cfg(**{"model.width": 0.5, "model.batch_norm": True}), (24, 24, 3), 3)
    assert [c.filters for c in _layers(model, keras.layers.Conv2D)] == [16, 32, 64]
    assert len(_layers(model, keras.layers.BatchNormalization)) == 3
    assert model.get_layer("dense").units == 256


def test_kernel_stats() -> None:
    model = build_model(_cfg(**{"model.width": 0.25}), SHAPE, 10)
    for layer in _layers(model, keras.layers.Conv2D) + _layers(model, keras.layers.Dense):
        w = np.zeros(layer.kernel.shape, dtype="float32")
        w.flat[0] = 3.0
        w.flat[1] = 4.0
        layer.kernel.assign(w)
    n_kernels = len(_layers(model, keras.layers.Conv2D)) + len(_layers(model, keras.layers.Dense))
    total = sum(
        int(np.prod(layer.kernel.shape))
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)
    )
    stats = kernel_stats(model)
    assert stats["weight_norm"] == pytest.approx(5.0 * n_kernels**0.5)
    assert stats["sparsity"] == pytest.approx((total - 2 * n_kernels) / total)
