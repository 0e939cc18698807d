"""Transfer-learning backbones, built for real at small sizes; ImageNet files are faked locally."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras.src.applications import efficientnet, resnet, vgg16
from keras.src.backend.config import keras_home
from keras.src.legacy.saving import legacy_h5_format
from keras.src.utils import file_utils

from boost.models.backbones import (
    BACKBONES,
    ImagenetWeightsError,
    build_backbone,
    fine_tune_candidates,
    imagenet_weights_path,
    preprocessing_layers,
    set_fine_tune,
)

ARCHS = list(BACKBONES)
KERAS_MODULES = {
    "vgg16": keras.applications.vgg16,
    "mobilenet_v2": keras.applications.mobilenet_v2,
    "resnet50": keras.applications.resnet50,
    "efficientnet_b0": keras.applications.efficientnet,
}


def _rgb_batch(size: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (2, size, size, 3)).astype(np.float32)


def _randomise(model: keras.Model, seed: int) -> None:
    """Give every float weight a seeded value unlike any initialiser's (variances positive)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        if "int" in str(v.dtype):
            continue  # Normalization's sample count
        if "variance" in v.path:
            value = rng.uniform(0.5, 1.5, v.shape)
        else:
            value = rng.normal(0.0, 0.1, v.shape)
        v.assign(value.astype(v.dtype))


def _write_imagenet_file(model: keras.Model, path: Path) -> None:
    """Save weights in the legacy .h5 layout of Keras' published ImageNet files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def _stem_and_output(model: keras.Model, x: np.ndarray) -> list[np.ndarray]:
    """The first block's activations (sensitive to input scaling; random deep layers wash it
    out) and the model's output."""
    probe = keras.Model(model.input, [model.get_layer("stem_activation").output, model.output])
    return probe.predict(x, verbose=0)


def _no_download(*args: object, **kwargs: object) -> None:
    raise AssertionError("tried to download")


def test_specs_name_the_files_keras_publishes() -> None:
    vgg = BACKBONES["vgg16"].weights_file(32)
    assert (
        vgg.url == vgg16.WEIGHTS_PATH_NO_TOP and vgg.file_hash == "6d6bbae143d832006294945121d1f1fc"
    )
    res = BACKBONES["resnet50"].weights_file(64)
    assert res.url == resnet.BASE_WEIGHTS_PATH + res.name
    assert res.file_hash == resnet.WEIGHTS_HASHES["resnet50"][1]
    eff = BACKBONES["efficientnet_b0"].weights_file(32)
    assert eff.url == efficientnet.BASE_WEIGHTS_PATH + "efficientnetb0_notop.h5"
    assert eff.file_hash == efficientnet.WEIGHTS_HASHES["b0"][1]
    mob = BACKBONES["mobilenet_v2"].weights_file(160)
    assert mob.name == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5"
    assert mob.url.startswith("https://storage.googleapis.com/tensorflow/keras-applications/")
    assert all(spec.min_input_size == 32 for spec in BACKBONES.values())


@pytest.mark.parametrize("arch", ARCHS)
def test_builds_without_weights_at_minimum_size(arch: str) -> None:
    size = BACKBONES[arch].min_input_size
    model = build_backbone(arch, size, "none")
    assert model.name == "backbone"
    assert model.input_shape == (None, size, size, 3)
    assert len(model.output_shape) == 4
    out = model.predict(_rgb_batch(size), verbose=0)
    assert out.shape[0] == 2 and np.isfinite(out).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_preprocessing_layers_equal_keras_preprocess_input(arch: str, tmp_path: Path) -> None:
    x = _rgb_batch()
    expected = KERAS_MODULES[arch].preprocess_input(x.copy())
    layers = preprocessing_layers(arch)
    if BACKBONES[arch].preprocessing == "none":
        assert layers == []
        np.testing.assert_array_equal(expected, x)
        return
    inputs = keras.Input((8, 8, 3))
    y = inputs
    for layer in layers:
        y = layer(y)
    model = keras.Model(inputs, y)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-4)
    assert not model.trainable_weights
    # Our models are saved as .keras and loaded in safe mode, which refuses Lambda layers.
    model.save(tmp_path / "pre.keras")
    loaded = keras.saving.load_model(tmp_path / "pre.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-4)


def test_set_fine_tune_unfreezes_exactly_the_top_k() -> None:
    backbone = build_backbone("mobilenet_v2", 32, "none")
    candidates = fine_tune_candidates(backbone)
    assert candidates and not any(
        isinstance(layer, keras.layers.BatchNormalization) for layer in candidates
    )
    names = set_fine_tune(backbone, 3)
    assert names == [layer.name for layer in candidates[-3:]]
    assert [layer.name for layer in backbone.layers if layer.trainable_weights] == names
    assert all(
        not layer.trainable
        for layer in backbone.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    assert len(backbone.trainable_weights) == sum(
        len(backbone.get_layer(n).trainable_weights) for n in names
    )

    assert set_fine_tune(backbone, 0) == []
    assert backbone.trainable_weights == []
    assert len(set_fine_tune(backbone, len(candidates))) == len(candidates)
    with pytest.raises(ValueError, match=f"between 0 and {len(candidates)}"):
        set_fine_tune(backbone, len(candidates) + 1)
    with pytest.raises(ValueError, match="got -1"):
        set_fine_tune(backbone, -1)


@pytest.mark.parametrize(("arch", "size"), [("mobilenet_v2", 96), ("vgg16", 32)])
def test_imagenet_weights_load_from_the_cache_without_network(
    arch: str, size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = build_backbone(arch, size, "none")
    _randomise(source, seed=1)
    path = imagenet_weights_path(arch, size, cache_dir=tmp_path)
    assert path == tmp_path / "models" / BACKBONES[arch].weights_file(size).name
    _write_imagenet_file(source, path)
    monkeypatch.setattr(keras.utils, "get_file", _no_download)

    model = build_backbone(arch, size, "imagenet", cache_dir=tmp_path)
    fresh = build_backbone(arch, size, "none")
    for loaded, saved, init in zip(model.weights, source.weights, fresh.weights, strict=True):
        assert np.array_equal(loaded.numpy(), saved.numpy()), loaded.path
        assert not np.array_equal(loaded.numpy(), init.numpy()), loaded.path


def test_efficientnet_imagenet_matches_keras_own_imagenet_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = build_backbone("efficientnet_b0", 32, "none")
    _randomise(source, seed=2)
    path = imagenet_weights_path("efficientnet_b0", 32, cache_dir=tmp_path)
    _write_imagenet_file(source, path)
    # Keras' own weights="imagenet" model, given our file instead of a download.
    monkeypatch.setattr(file_utils, "get_file", lambda *a, **k: str(path))
    reference = keras.applications.EfficientNetB0(
        include_top=False, weights="imagenet", input_shape=(32, 32, 3)
    )
    monkeypatch.setattr(keras.utils, "get_file", _no_download)

    model = build_backbone("efficientnet_b0", 32, "imagenet", cache_dir=tmp_path)
    x = _rgb_batch(32)
    expected = _stem_and_output(reference, x)
    for got, want in zip(_stem_and_output(model, x), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))
    # The folded input scaling is part of the weights, so it survives a safe-mode round trip.
    model.save(tmp_path / "eff.keras")
    loaded = keras.saving.load_model(tmp_path / "eff.keras", safe_mode=True)
    for got, want in zip(_stem_and_output(loaded, x), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))


def test_uncached_imagenet_offline_names_path_and_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A refused local port stands in for "no internet", also on machines that have it.
    real = BACKBONES["mobilenet_v2"]
    spec = dataclasses.replace(
        real, facts=dataclasses.replace(real.facts, weights_base_url="http://127.0.0.1:9/")
    )
    monkeypatch.setitem(BACKBONES, "mobilenet_v2", spec)
    path = imagenet_weights_path("mobilenet_v2", 128, cache_dir=tmp_path)
    start = time.monotonic()
    with pytest.raises(ImagenetWeightsError) as info:
        build_backbone("mobilenet_v2", 128, "imagenet", cache_dir=tmp_path)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "ImageNet weights for mobilenet_v2 could not be downloaded" in message
    assert str(path) in message
    assert spec.weights_file(128).url in message
    assert not path.exists()


def test_unreadable_cached_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keras.utils, "get_file", _no_download)
    path = imagenet_weights_path("vgg16", 32, cache_dir=tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an HDF5 file")
    with pytest.raises(ImagenetWeightsError, match=str(path)):
        build_backbone("vgg16", 32, "imagenet", cache_dir=tmp_path)
    # A good HDF5 file of another network.
    _write_imagenet_file(build_backbone("mobilenet_v2", 32, "none"), path)
    with pytest.raises(ImagenetWeightsError, match="could not read the ImageNet weights for vgg16"):
        build_backbone("vgg16", 32, "imagenet", cache_dir=tmp_path)


def test_weights_path_follows_keras_cache_resolution(tmp_path: Path) -> None:
    name = BACKBONES["resnet50"].weights_file(64).name
    home = Path(keras_home()).expanduser()
    if home.is_dir():
        assert imagenet_weights_path("resnet50", 64) == home / "models" / name
    # Like keras.utils.get_file, a cache folder that cannot be written falls back to /tmp/.keras.
    missing = imagenet_weights_path("resnet50", 64, cache_dir=tmp_path / "missing")
    assert missing == Path("/tmp/.keras/models") / name


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="vgg16, mobilenet_v2, resnet50, efficientnet_b0"):
        build_backbone("alexnet", 32, "none")
    with pytest.raises(ValueError, match="input_size >= 32; got 16"):
        build_backbone("resnet50", 16, "none")
    with pytest.raises(ValueError, match="weights must be 'none' or 'imagenet'"):
        build_backbone("vgg16", 32, "random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="96, 128, 160, 192, 224; got 64"):
        build_backbone("mobilenet_v2", 64, "imagenet")
    with pytest.raises(ValueError, match="96, 128, 160, 192, 224; got 64"):
        imagenet_weights_path("mobilenet_v2", 64)
    with pytest.raises(ValueError, match="unknown backbone"):
        preprocessing_layers("alexnet")
