"""Pretrained Keras applications as feature extractors (the seed's section 4.4, transfer learning).

`build_backbone` gives the convolutional part of VGG16 (the seed's choice), MobileNetV2, ResNet50
or EfficientNetB0 without its classifier, with random or ImageNet weights. `preprocessing_layers`
gives the backbone's own input preprocessing as standard, serialisable layers (no Lambda, so models
saved as .keras load with `safe_mode=True`). `set_fine_tune` unfreezes the top layers.

ImageNet weights come from Keras' cache folder (`<cache>/models/<file>`). Keras' own
`weights="imagenet"` is not used: its `get_file` re-downloads a cached file whose hash it does not
like, which breaks offline use with a file the user placed there by hand.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import keras
import numpy as np

# Keras has no public accessor for its home ($KERAS_HOME or ~/.keras, fixed when Keras was
# imported); get_file uses this one.
from keras.src.backend.config import keras_home

from boost import catalog


class ImagenetWeightsError(RuntimeError):
    """ImageNet weights could not be downloaded, or the cached file could not be read."""


@dataclass(frozen=True)
class WeightsFile:
    """One ImageNet no-top weights file as Keras publishes it."""

    name: str
    url: str
    #: md5 published by Keras, checked after a download; None where Keras publishes none.
    file_hash: str | None


@dataclass(frozen=True)
class BackboneSpec:
    """One backbone's facts (`boost.catalog`) with the Keras constructor they name."""

    facts: catalog.Backbone
    #: Smallest square input: five 2x downsamplings must leave a pixel.
    min_input_size: int = catalog.BACKBONE_MIN_SIZE

    @property
    def constructor(self) -> Callable[..., keras.Model]:
        return getattr(keras.applications, self.facts.application)

    @property
    def preprocessing(self) -> Literal["caffe", "tf", "none"]:
        return self.facts.preprocessing

    @property
    def weights_sizes(self) -> tuple[int, ...] | None:
        return self.facts.weights_sizes

    @property
    def imagenet_input_stddev(self) -> tuple[float, float, float] | None:
        return self.facts.imagenet_input_stddev

    def weights_file(self, input_size: int) -> WeightsFile:
        """The no-top weights file for square inputs of `input_size` pixels."""
        name = self.facts.weights_name.format(size=input_size)
        return WeightsFile(name, self.facts.weights_base_url + name, self.facts.weights_hash)


#: The backbones offered, by the names used in ExperimentConfig (see boost.catalog).
BACKBONES: dict[str, BackboneSpec] = {
    name: BackboneSpec(facts) for name, facts in catalog.BACKBONES.items()
}

# Unfreezing these changes nothing useful: BatchNormalization stays in inference mode while
# fine-tuning (its statistics would be ruined by small batches), and Normalization only holds
# fixed input statistics.
_NEVER_FINE_TUNED = (keras.layers.BatchNormalization, keras.layers.Normalization)


def _spec(arch: str) -> BackboneSpec:
    try:
        return BACKBONES[arch]
    except KeyError:
        raise ValueError(
            f"unknown backbone {arch!r}; choose one of: {', '.join(BACKBONES)}"
        ) from None


def _checked_spec(arch: str, input_size: int) -> BackboneSpec:
    spec = _spec(arch)
    if input_size < spec.min_input_size:
        raise ValueError(f"{arch} needs input_size >= {spec.min_input_size}; got {input_size}")
    return spec


def _imagenet_file(arch: str, input_size: int) -> WeightsFile:
    spec = _checked_spec(arch, input_size)
    if spec.weights_sizes is not None and input_size not in spec.weights_sizes:
        sizes = ", ".join(map(str, spec.weights_sizes))
        raise ValueError(
            f"ImageNet weights for {arch} exist only for input sizes {sizes}; got {input_size}"
        )
    return spec.weights_file(input_size)


def _cache_base(cache_dir: Path | None) -> str:
    """The Keras cache folder, resolved exactly as keras.utils.get_file resolves it."""
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    # get_file falls back to /tmp/.keras when the folder is not writable (or does not exist).
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return base


def imagenet_weights_path(arch: str, input_size: int, cache_dir: Path | None = None) -> Path:
    """Where the ImageNet no-top weights file of `arch` is expected (and downloaded to).

    Args:
        arch: a key of BACKBONES.
        input_size: the square input size (it picks MobileNetV2's file).
        cache_dir: the Keras cache folder; default `$KERAS_HOME` or `~/.keras`.

    Raises:
        ValueError: unknown arch, or an input size without ImageNet weights.
    """
    return Path(_cache_base(cache_dir)) / "models" / _imagenet_file(arch, input_size).name


def preprocessing_layers(arch: str) -> list[keras.layers.Layer]:
    """The backbone's own input preprocessing, for RGB inputs in 0..255, as standard layers.

    Equal to `keras.applications.<module>.preprocess_input`. The layers compute in float32 even
    under mixed precision: a mean subtracted in float16 loses the fraction.
    """
    mode = _spec(arch).preprocessing
    if mode == "caffe":
        # One 1x1 convolution does RGB->BGR (output channel o reads input channel 2 - o) and the
        # mean subtraction (bias); a 0/1 kernel keeps it exact.
        kernel = [[[[1.0 if i == 2 - o else 0.0 for o in range(3)] for i in range(3)]]]
        return [
            keras.layers.Conv2D(
                3,
                1,
                kernel_initializer=keras.initializers.Constant(kernel),
                bias_initializer=keras.initializers.Constant([-m for m in catalog.CAFFE_MEAN_BGR]),
                trainable=False,
                dtype="float32",
                name=f"{arch}_preprocess",
            )
        ]
    if mode == "tf":
        return [
            keras.layers.Rescaling(
                1.0 / 127.5, offset=-1.0, dtype="float32", name=f"{arch}_preprocess"
            )
        ]
    return []


def build_backbone(
    arch: str,
    input_size: int,
    weights: Literal["none", "imagenet"],
    *,
    cache_dir: Path | None = None,
) -> keras.Model:
    """Build the convolutional part of `arch` (no classifier), named "backbone".

    Args:
        arch: a key of BACKBONES.
        input_size: height and width of the RGB input.
        weights: "none" for random initialisation, "imagenet" for pretrained weights, read from
            the Keras cache (see `imagenet_weights_path`) or downloaded there when missing.
        cache_dir: the Keras cache folder; default `$KERAS_HOME` or `~/.keras`.

    Returns:
        A functional model from (input_size, input_size, 3) inputs, preprocessed as
        `preprocessing_layers(arch)` does, to a 4-D feature map.

    Raises:
        ValueError: unknown arch or weights, or an input size that is too small or has no
            ImageNet weights.
        ImagenetWeightsError: the weights could not be downloaded or read.
    """
    if weights not in ("none", "imagenet"):
        raise ValueError(f"weights must be 'none' or 'imagenet'; got {weights!r}")
    spec = _checked_spec(arch, input_size)
    file = _imagenet_file(arch, input_size) if weights == "imagenet" else None
    model = spec.constructor(
        include_top=False,
        weights=None,
        input_shape=(input_size, input_size, 3),
        name="backbone",
    )
    if file is not None:
        _load_imagenet(model, arch, file, imagenet_weights_path(arch, input_size, cache_dir))
        if spec.imagenet_input_stddev is not None:
            _fold_input_stddev(model, spec.imagenet_input_stddev)
    return model


def _load_imagenet(model: keras.Model, arch: str, file: WeightsFile, path: Path) -> None:
    if not path.exists():
        try:
            keras.utils.get_file(
                file.name,
                file.url,
                cache_subdir="models",
                file_hash=file.file_hash,
                cache_dir=os.fspath(path.parent.parent),
            )
        except Exception as exc:  # get_file raises bare Exception for network failures
            raise ImagenetWeightsError(
                f"ImageNet weights for {arch} could not be downloaded ({exc}). Without internet "
                f"access, download {file.url} and save it as {path}."
            ) from exc
    try:
        model.load_weights(path)  # a legacy .h5 file: Keras loads it layer by layer, in order
    except (OSError, ValueError, KeyError) as exc:  # not HDF5 / other layers / other shapes
        raise ImagenetWeightsError(
            f"could not read the ImageNet weights for {arch} from {path} ({exc}); delete the "
            f"file to download it again, or replace it with a good copy of {file.url}."
        ) from exc


def _fold_input_stddev(model: keras.Model, stddev: tuple[float, float, float]) -> None:
    """Give the model the input scaling Keras' own ImageNet EfficientNet has.

    That model divides by sqrt(variance) in its Normalization layer, then by sqrt(stddev) in an
    extra Rescaling layer it only adds for weights="imagenet". Multiplying the variance by stddev
    does both in the Normalization layer, so the file's weights work in the model we built.
    """
    norm = next(layer for layer in model.layers if isinstance(layer, keras.layers.Normalization))
    variance = np.asarray(norm.adapt_variance.numpy()) * np.asarray(stddev, np.float32)
    norm.adapt_variance.assign(variance)
    norm.finalize_state()  # the layer computes with a copy made from adapt_variance


def fine_tune_candidates(backbone: keras.Model) -> list[keras.layers.Layer]:
    """The backbone's layers with weights worth training, bottom to top.

    BatchNormalization (and EfficientNet's input Normalization) layers are left out: they stay
    frozen, in inference mode, when fine-tuning.
    """
    return [
        layer
        for layer in backbone.layers
        if layer.weights and not isinstance(layer, _NEVER_FINE_TUNED)
    ]


def set_fine_tune(backbone: keras.Model, k: int) -> list[str]:
    """Freeze the backbone except its top `k` fine-tune candidates.

    Args:
        backbone: a model from `build_backbone`.
        k: how many candidate layers, counted from the top, become trainable; 0 freezes all.

    Returns:
        The names of the trainable layers, bottom to top.

    Raises:
        ValueError: k is negative or larger than the number of candidates.
    """
    candidates = fine_tune_candidates(backbone)
    if not 0 <= k <= len(candidates):
        raise ValueError(
            f"k must be between 0 and {len(candidates)} (the backbone's fine-tunable layers); "
            f"got {k}"
        )
    # The model itself stays trainable: a frozen model hides the weights of every layer in it.
    backbone.trainable = True
    for layer in backbone.layers:
        layer.trainable = False
    top = candidates[len(candidates) - k :]
    for layer in top:
        layer.trainable = True
    return [layer.name for layer in top]
