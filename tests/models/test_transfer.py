"""Transfer between runs and pretrained backbones, built for real (small sizes)."""

from __future__ import annotations

import numpy as np
import pytest

from boost.config import ExperimentConfig
from boost.models.transfer import TransferError, build_classifier, feature_layers, unfreeze_top
from boost.runs.store import RunStore
from boost.training import train
from tests.conftest import tiny_config

BACKBONES = ["vgg16", "mobilenet_v2", "resnet50", "efficientnet_b0"]


@pytest.mark.parametrize("arch", BACKBONES)
@pytest.mark.parametrize(("classes", "units"), [(2, 1), (10, 10)])
def test_each_backbone_builds_a_classifier(arch: str, classes: int, units: int) -> None:
    cfg = ExperimentConfig().replace(**{"model.arch": arch, "model.head": "global_avg",
                                        "model.dense_units": 16})  # fmt: skip
    model = build_classifier(cfg, (32, 32, 1), classes)  # grey, expanded to RGB inside
    assert model.output_shape == (None, units)
    out = model.predict(np.zeros((2, 32, 32, 1), np.float32), verbose=0)
    assert out.shape == (2, units) and np.isfinite(out).all()
    assert model.get_layer("backbone").trainable  # weights none: trained from scratch


def test_frozen_backbone_then_fine_tune_exactly_top_k() -> None:
    cfg = ExperimentConfig().replace(**{
        "model.arch": "mobilenet_v2", "transfer.weights": "run:x", "transfer.input_size": 32,
        "dataset.image_size": 32})  # fmt: skip
    # Weights "run:" with no source given: the network as it would be before copying.
    model = build_classifier(cfg, (32, 32, 3), 3)
    backbone = model.get_layer("backbone")
    assert not any(w.trainable for w in backbone.weights)
    names = unfreeze_top(model, 3)
    trainable = [layer.name for layer in backbone.layers if layer.trainable_weights]
    assert trainable == names and len(names) == 3
    assert model.get_layer("dense").trainable


@pytest.mark.slow
def test_run_transfer_starts_from_the_source_weights(store: RunStore) -> None:
    source = train(tiny_config(name="src", **{"training.epochs": 1}), store)
    cfg = tiny_config(name="dst", **{"transfer.weights": f"run:{source.run_id}",
                                     "dataset.classes": ["1", "2", "3"]})  # fmt: skip
    path = store.home / "runs" / source.run_id / "model.keras"
    import keras

    src = keras.saving.load_model(path)
    model = build_classifier(cfg, (24, 24, 1), 3, path)
    for name in ("conv1", "conv2", "conv3"):
        for a, b in zip(src.get_layer(name).get_weights(), model.get_layer(name).get_weights(),
                        strict=True):  # fmt: skip
            assert np.array_equal(a, b)
    assert [layer.trainable for layer in feature_layers(model)] == [False, False, False]
    assert model.get_layer("dense").trainable  # the head is new and trains
    # A different width cannot take these weights: a clear error, not a crash.
    with pytest.raises(TransferError, match="layer 'conv1' has weights of shape"):
        build_classifier(cfg.replace(**{"model.width": 0.5}), (24, 24, 1), 3, path)


@pytest.mark.slow
def test_two_phase_training_records_the_phases_and_lower_lr(store: RunStore) -> None:
    source = train(tiny_config(name="src", **{"training.epochs": 1}), store)
    cfg = tiny_config(name="dst", **{"transfer.weights": "run:src", "training.epochs": 4,
                                     "transfer.fine_tune_layers": 1,
                                     "transfer.fine_tune_after": 2})  # fmt: skip
    result = train(cfg, store)
    epochs = store.epochs(result.run_id)
    assert [e["phase"] for e in epochs] == ["frozen", "frozen", "fine-tune", "fine-tune"]
    assert epochs[2]["lr"] == pytest.approx(epochs[0]["lr"] * 0.1)
    assert [e["epoch"] for e in epochs] == [1, 2, 3, 4]
    assert epochs[3]["wall_time"] > epochs[1]["wall_time"]  # one clock over both phases
    assert source.run_id != result.run_id


@pytest.mark.slow
def test_transfer_from_an_unfinished_or_other_arch_run_fails_clearly(store: RunStore) -> None:
    from boost.training import TrainingFailed

    queued = store.create_run(tiny_config(name="q").to_dict())
    with pytest.raises(TrainingFailed, match=f"source run {queued} is queued, not completed"):
        train(tiny_config(**{"transfer.weights": f"run:{queued}"}), store)
    with pytest.raises(TrainingFailed, match="RunNotFound"):
        train(tiny_config(**{"transfer.weights": "run:nobody"}), store)


@pytest.mark.slow
def test_offline_uncached_imagenet_fails_the_run_with_the_file_to_place(
    store: RunStore, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from boost.models import backbones
    from boost.training import TrainingFailed

    # No network, an empty cache: the download fails fast wherever the test runs.
    real = backbones.BACKBONES["mobilenet_v2"]
    spec = dataclasses.replace(
        real, facts=dataclasses.replace(real.facts, weights_base_url="http://127.0.0.1:9/")
    )
    monkeypatch.setitem(backbones.BACKBONES, "mobilenet_v2", spec)
    (tmp_path / "keras").mkdir()
    monkeypatch.setattr(backbones, "keras_home", lambda: str(tmp_path / "keras"))
    cfg = tiny_config(**{"model.arch": "mobilenet_v2", "transfer.weights": "imagenet",
                         "transfer.input_size": 96, "dataset.image_size": 32})  # fmt: skip
    with pytest.raises(TrainingFailed) as info:
        train(cfg, store)
    run = store.get_run(info.value.run_id)
    assert run.status == "failed" and "ImagenetWeightsError" in run.error
    expected = tmp_path / "keras" / "models" / spec.weights_file(96).name
    assert str(expected) in run.error
    assert store.epochs(run.id) == [] and not expected.exists()  # nothing half-made
    assert not (store.home / "runs" / run.id / "model.keras").exists()
