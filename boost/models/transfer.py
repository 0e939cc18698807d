"""Knowledge transfer (the seed's section 4.4): pretrained feature layers under a new head.

Feature layers come from ImageNet (Keras application backbones, from the Keras cache) or from
a completed run in our own store (transfer between runs), and load only into architectures
this module builds itself. A run's model file is opened with Keras' safe_mode on; uploads are
never deserialised as models.
"""

from __future__ import annotations

from pathlib import Path

import keras

from boost.config import ExperimentConfig
from boost.models.backbones import build_backbone, preprocessing_layers, set_fine_tune
from boost.models.seed_cnn import FEATURE_LAYERS, build_model, head_layers


class TransferError(RuntimeError):
    """The source of the transferred weights cannot be used; the message says why."""


def build_classifier(
    config: ExperimentConfig,
    input_shape: tuple[int, int, int],
    num_classes: int,
    source: Path | None = None,
) -> keras.Model:
    """The configured network, with transferred feature layers frozen if asked.

    Args:
        config: the experiment; `model` and `transfer` sections decide the network.
        input_shape: (height, width, channels) of the 0..255 images fed to the model.
        num_classes: 2 gives a sigmoid output, more a softmax.
        source: the `model.keras` of the completed run to transfer from (weights `run:<id>`).

    Raises:
        TransferError: the source run's network does not match this one.
        ImagenetWeightsError: ImageNet weights are neither cached nor downloadable.
    """
    t = config.transfer
    if config.model.arch == "seed_cnn":
        model = build_model(config, input_shape, num_classes)
        if source is not None:
            _copy_layers(_load_source(source), model, [n for n in _feature_names(model)])
    else:
        model = _backbone_classifier(config, input_shape, num_classes, source)
    if t.enabled and t.freeze:
        for layer in feature_layers(model):
            layer.trainable = False
    return model


def feature_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers that transfer: the seed CNN's convolution blocks, or the backbone."""
    if "backbone" in {layer.name for layer in model.layers}:
        return [model.get_layer("backbone")]
    return [model.get_layer(n) for n in _feature_names(model)]


def unfreeze_top(model: keras.Model, k: int) -> list[str]:
    """Make the top k feature layers with weights trainable (batch norm stays frozen).

    Returns:
        The names of the layers now trainable.
    """
    if "backbone" in {layer.name for layer in model.layers}:
        backbone = model.get_layer("backbone")
        backbone.trainable = True  # set_fine_tune re-freezes all but the top k
        return set_fine_tune(backbone, k)
    convs = [model.get_layer(n) for n in FEATURE_LAYERS]
    if k > len(convs):
        raise ValueError(f"the seed CNN has {len(convs)} convolutions to fine-tune; got {k}")
    chosen = convs[len(convs) - k :]
    for layer in chosen:
        layer.trainable = True
    return [layer.name for layer in chosen]


def _feature_names(model: keras.Model) -> list[str]:
    names = {layer.name for layer in model.layers}
    return [n for i in (1, 2, 3) for n in (f"conv{i}", f"bn{i}") if n in names]


def _backbone_classifier(
    config: ExperimentConfig,
    input_shape: tuple[int, int, int],
    num_classes: int,
    source: Path | None,
) -> keras.Model:
    t, m = config.transfer, config.model
    size = t.input_size or input_shape[0]
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if input_shape[2] == 1:  # ImageNet backbones see colour: repeat the grey channel
        x = keras.layers.Concatenate(name="grey_to_rgb")([x, x, x])
    if (size, size) != tuple(input_shape[:2]):
        x = keras.layers.Resizing(size, size, name="resize")(x)
    for layer in preprocessing_layers(m.arch):
        x = layer(x)
    backbone = build_backbone(m.arch, size, "imagenet" if t.weights == "imagenet" else "none")
    if source is not None:
        src = _load_source(source)
        if "backbone" not in {layer.name for layer in src.layers}:
            raise TransferError(f"the source run is a {src.name}, not a {m.arch}")
        _copy_layers(src.get_layer("backbone"), backbone, None)
    # Pretrained: batch norm keeps its learnt statistics (inference mode), even when the top
    # layers are fine-tuned. From scratch, batch norm must learn them.
    x = backbone(x, training=False) if t.enabled else backbone(x)
    outputs = head_layers(config, x, num_classes)
    return keras.Model(inputs, outputs, name=m.arch)


def _load_source(path: Path) -> keras.Model:
    if not path.exists():
        raise TransferError(f"the source run has no model file ({path.name}); did it complete?")
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def _copy_layers(src: keras.Model, dst: keras.Model, names: list[str] | None) -> None:
    """Copy weights layer by layer (all layers of `dst` if names is None), checking shapes."""
    pairs = (
        [(src.get_layer(n) if n in {x.name for x in src.layers} else None, dst.get_layer(n))
         for n in names]
        if names is not None
        else list(zip(src.layers, dst.layers, strict=False))
    )  # fmt: skip
    if names is None and len(src.layers) != len(dst.layers):
        raise TransferError(
            f"the source backbone has {len(src.layers)} layers, this one {len(dst.layers)}"
        )
    for s, d in pairs:
        if s is None:
            raise TransferError(f"the source run's network has no layer {d.name!r}")
        sw, dw = s.get_weights(), d.get_weights()
        shapes = [w.shape for w in sw], [w.shape for w in dw]
        if shapes[0] != shapes[1]:
            raise TransferError(
                f"layer {d.name!r} has weights of shape {shapes[0]} in the source run and "
                f"{shapes[1]} here (same model width, batch norm and colour mode are needed)"
            )
        d.set_weights(sw)
