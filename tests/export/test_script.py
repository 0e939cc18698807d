"""The standalone script: it compiles for every kind of config, mirrors boost's data, models and
augmentation exactly where they are deterministic, and trains when run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from boost.augment import augment as boost_augment
from boost.catalog import BACKBONES
from boost.config import ExperimentConfig
from boost.data import load_dataset
from boost.export import standalone_script
from boost.export.script import DEFAULT_SOURCE_MODEL

EVERY_OP: list[dict[str, Any]] = [
    {"op": "crop", "height": 20, "width": 20},
    {"op": "random_resized_crop"},
    {"op": "rotate", "mode": "expand", "p": 0.7},
    {"op": "rotate"},
    {"op": "hflip"},
    {"op": "vflip"},
    {"op": "scale"},
    {"op": "translate"},
    {"op": "shear"},
    {"op": "crop", "height": 16, "width": 16},  # after geometry: ends a warp
    {"op": "brightness"},
    {"op": "contrast"},
    {"op": "saturation"},
    {"op": "hue"},
    {"op": "grayscale"},
    {"op": "blur", "sigma_range": [0.0, 1.0]},
    {"op": "noise"},
    {"op": "cutout", "count": 2},
]
#: The digits run of the brief: augmentation and L2 + dropout on a tiny seed CNN.
DIGITS_AUG = {
    "name": "digits, augmented",
    "dataset": {"source": "digits", "image_size": 24, "max_per_class": 40},
    "model": {"width": 0.25, "dense_units": 64},
    "regularization": {"l2": 0.001, "dropout": 0.3},
    "training": {"epochs": 3, "batch_size": 32},
    "augmentation": {
        "ops": [
            {"op": "rotate", "angle_range": [-12, 12]},
            {"op": "scale", "scale_range": [0.9, 1.1]},
            {"op": "translate", "x_range": [-0.08, 0.08], "y_range": [-0.08, 0.08]},
            {"op": "hflip"},
            {"op": "brightness"},
            {"op": "contrast"},
            {"op": "noise"},
            {"op": "cutout"},
        ]
    },
}


def _png(image: np.ndarray) -> bytes:
    pixels = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buf = cv2.imencode(".png", pixels)
    assert ok
    return buf.tobytes()


def _noisy(level: int, rng: np.random.Generator) -> np.ndarray:
    """A 30x40 RGB image around grey `level`: the classes differ in brightness."""
    return np.clip(level + rng.normal(0, 30, (30, 40, 3)), 0, 255).astype(np.uint8)


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Two class folders of 15 PNGs each, plus files both loaders must skip."""
    root = tmp_path / "shapes"
    rng = np.random.default_rng(0)
    for name, level in (("dark", 60), ("bright", 190)):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(15):
            (folder / f"{i:02d}.png").write_bytes(_png(_noisy(level, rng)))
        (folder / "notes.txt").write_text("not an image")
        (folder / ".hidden.png").write_bytes(_png(_noisy(level, rng)))
        (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return root


@pytest.fixture
def image_zip(image_folder: Path, tmp_path: Path) -> Path:
    """The same images zipped inside one top-level folder."""
    path = tmp_path / "shapes.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for file in sorted(image_folder.rglob("*")):
            if file.is_file():
                zf.write(file, "shapes/" + file.relative_to(image_folder).as_posix())
    return path


def config_of(changes: dict[str, Any]) -> ExperimentConfig:
    return ExperimentConfig.from_dict({"name": "export test", **changes})


def load_script(text: str) -> dict[str, Any]:
    """The script's functions and constants, without running main()."""
    namespace: dict[str, Any] = {"__name__": "run"}
    exec(compile(text, "run.py", "exec"), namespace)
    return namespace


def _configs(folder: Path, zip_path: Path) -> dict[str, dict[str, Any]]:
    return {
        "digits baseline": {},
        "regularised, batch norm, half width": {
            "regularization": {"l1": 1e-4, "l2": 1e-3, "dropout": 0.5},
            "model": {"batch_norm": True, "width": 0.5},
        },
        "every op, grayscale": {"augmentation": {"ops": EVERY_OP}},
        "every op, RGB": {
            "dataset": {"source": "cifar10"},
            "augmentation": {"ops": EVERY_OP[::-1]},
        },
        "cutout only, RGB from grey": {
            "dataset": {"color_mode": "rgb"},
            "augmentation": {"ops": [{"op": "cutout", "p": 1.0}]},
        },
        "sgd + cosine": {"optimizer": {"name": "sgd", "schedule": "cosine"}},
        "adamw + step, no test split": {
            "optimizer": {"name": "adamw", "schedule": "step"},
            "dataset": {"test_fraction": 0.0},
        },
        "rmsprop + reduce_on_plateau + early stopping": {
            "optimizer": {"name": "rmsprop", "schedule": "reduce_on_plateau"},
            "training": {"early_stopping_patience": 3},
        },
        "folder": {"dataset": {"source": "folder", "path": str(folder), "image_size": 24}},
        "folder, classes, grey, capped": {
            "dataset": {
                "source": "folder",
                "path": str(folder),
                "classes": ["dark", "bright"],
                "color_mode": "grayscale",
                "max_per_class": 5,
            },
        },  # fmt: skip
        "zip, capped": {"dataset": {"source": "zip", "path": str(zip_path), "max_per_class": 9}},
        "mobilenet_v2, weights none, global_avg": {
            "model": {"arch": "mobilenet_v2", "head": "global_avg"},
        },
        "vgg16 imagenet, fine-tuned, mixed precision": {
            "model": {"arch": "vgg16"},
            "transfer": {"weights": "imagenet", "fine_tune_layers": 2, "fine_tune_after": 3},
            "training": {"mixed_precision": True, "early_stopping_patience": 2},
            "optimizer": {"schedule": "cosine"},
        },
        "efficientnet_b0 on mnist 1 vs 7": {
            "model": {"arch": "efficientnet_b0"},
            "dataset": {"source": "mnist", "classes": ["1", "7"]},
            "transfer": {"input_size": 48},
        },
        "resnet50 on fashion_mnist": {
            "model": {"arch": "resnet50"},
            "dataset": {"source": "fashion_mnist", "color_mode": "rgb"},
        },
        "seed_cnn from a run, fine-tuned": {
            "transfer": {"weights": "run:source run", "fine_tune_layers": 1, "fine_tune_after": 2},
            "model": {"batch_norm": True},
        },
        "two-class folder": {
            "dataset": {"source": "folder", "path": str(folder), "image_size": 24},
            "model": {"width": 0.25},
        },
        "awkward name": {"name": 'He said """hi""" \\ to "me"'},
    }


CONFIG_NAMES = list(_configs(Path("."), Path(".")))


def _ruff() -> str | None:
    found = Path(sys.executable).parent / "ruff"
    return str(found) if found.exists() else shutil.which("ruff")


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_script_compiles_without_undefined_or_unused_names(
    name: str, image_folder: Path, image_zip: Path
) -> None:
    config = config_of(_configs(image_folder, image_zip)[name])
    text = standalone_script(config)
    compile(text, "run.py", "exec")
    assert "boost" not in re.findall(r"^\s*(?:from|import) (\w+)", text, re.M)
    assert "keras.utils.set_random_seed(SEED)" in text
    assert 'if __name__ == "__main__":\n    main()\n' in text
    assert ("def augment(image, rng):" in text) == config.augmentation.enabled
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed")
    # Pyflakes' checks: undefined names and unused imports or variables are generator bugs.
    check = subprocess.run(
        [ruff, "check", "--isolated", "--select", "F,E9", "--stdin-filename", "run.py", "-"],
        input=text, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout


def test_augment_holds_only_the_configured_ops() -> None:
    text = standalone_script(config_of({"augmentation": {"ops": [{"op": "hflip"}]}}))
    assert "mirror left-right" in text
    for absent in ("rotation_matrix", "resized_crop_window", "GaussianBlur", "cv2.transform",
                   "standard_normal", "cutout", "about_centre", "resize_matrix"):  # fmt: skip
        assert absent not in text
    assert "AugmentedBatches" in text


def test_script_says_what_it_needs_and_how_to_run() -> None:
    text = standalone_script(config_of({}))
    doc = text.split('"""')[1]
    assert "python run.py [--epochs N]" in doc
    assert "scikit-learn" in doc and "load_digits" in doc
    assert "from sklearn.datasets import load_digits" in text
    mnist = standalone_script(config_of({"dataset": {"source": "mnist"}}))
    assert "sklearn" not in mnist and "keras.datasets.mnist.load_data()" in mnist


def test_source_model_path_is_a_constant() -> None:
    config = config_of({"transfer": {"weights": "run:abc123"}})
    assert f"SOURCE_MODEL = {DEFAULT_SOURCE_MODEL!r}" in standalone_script(config)
    text = standalone_script(config, source_model="/runs/abc123/model.keras")
    assert "SOURCE_MODEL = '/runs/abc123/model.keras'  # the model.keras of the source run" in text
    assert "SOURCE_MODEL" not in standalone_script(config_of({}))


def test_the_catalog_names_real_keras_applications() -> None:
    """The script export and the models read one table: its names must exist in Keras."""
    import importlib

    import keras

    from boost.models import backbones

    assert set(BACKBONES) == set(backbones.BACKBONES)
    for arch, facts in BACKBONES.items():
        module = importlib.import_module(f"keras.applications.{facts.module}")
        assert getattr(module, facts.application) is getattr(keras.applications, facts.application)
        assert backbones.BACKBONES[arch].constructor.__name__ == facts.application


# -- the same data as boost --------------------------------------------------------------------


@pytest.mark.parametrize(
    "dataset",
    [
        {"image_size": 24, "max_per_class": 30, "classes": ["9", "3", "5"]},
        {"image_size": 22, "color_mode": "rgb", "val_fraction": 0.3, "test_fraction": 0.1},
        {"source": "folder", "image_size": 24, "max_per_class": 12},
        {"source": "folder", "classes": ["dark", "bright"], "color_mode": "grayscale"},
        {"source": "zip", "image_size": 28},
    ],
    ids=["digits subset", "digits rgb", "folder", "folder grey", "zip"],
)
def test_load_data_gives_boosts_arrays(
    dataset: dict[str, Any], image_folder: Path, image_zip: Path
) -> None:
    if dataset.get("source") == "folder":
        dataset = {**dataset, "path": str(image_folder)}
    elif dataset.get("source") == "zip":
        dataset = {**dataset, "path": str(image_zip)}
    config = config_of({"seed": 7, "dataset": dataset})
    (x_train, y_train), (x_val, y_val), (x_test, y_test), names = load_script(
        standalone_script(config)
    )["load_data"]()
    data = load_dataset(config.dataset, config.seed)
    # Not promised (only the same rules are), but true today: the very same split.
    assert names == data.class_names
    for mine, theirs in [(x_train, data.x_train), (y_train, data.y_train), (x_val, data.x_val),
                         (y_val, data.y_val), (x_test, data.x_test), (y_test, data.y_test)]:  # fmt: skip
        assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
        assert np.array_equal(mine, theirs)


# -- the same models as boost ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "input_shape", "classes"),
    [
        ({}, (32, 32, 1), 10),
        ({"regularization": {"l1": 1e-4, "l2": 1e-3, "dropout": 0.5},
          "model": {"batch_norm": True, "width": 0.5}}, (32, 32, 1), 10),
        ({"dataset": {"classes": ["0", "1"]}, "model": {"head": "global_avg"}}, (32, 32, 1), 2),
        ({"model": {"arch": "mobilenet_v2", "head": "global_avg", "dense_units": 32}},
         (32, 32, 1), 10),
        ({"model": {"arch": "vgg16", "dense_units": 16, "width": 0.5},
          "dataset": {"color_mode": "rgb"}}, (32, 32, 3), 10),
        ({"model": {"arch": "efficientnet_b0", "head": "global_avg", "dense_units": 16},
          "transfer": {"input_size": 40}, "regularization": {"dropout": 0.2}},
         (32, 32, 1), 10),
    ],
    ids=["baseline", "regularised", "two classes", "mobilenet_v2", "vgg16", "efficientnet_b0"],
)  # fmt: skip
def test_build_model_matches_boost(
    changes: dict[str, Any], input_shape: tuple[int, int, int], classes: int
) -> None:
    from boost.models import build_classifier

    config = config_of(changes)
    mine = load_script(standalone_script(config))["build_model"](classes)
    theirs = build_classifier(config, input_shape, classes)
    assert mine.count_params() == theirs.count_params()
    assert mine.input_shape == theirs.input_shape and mine.output_shape == theirs.output_shape
    assert mine.layers[-1].activation.__name__ == theirs.layers[-1].activation.__name__
    assert [type(layer).__name__ for layer in mine.layers] == [
        type(layer).__name__ for layer in theirs.layers
    ]


@pytest.mark.parametrize("arch", ["seed_cnn", "mobilenet_v2"])
def test_transfer_loads_the_source_freezes_and_fine_tunes_like_boost(
    arch: str, tmp_path: Path
) -> None:
    from boost.models import build_classifier, unfreeze_top

    shape = (32, 32, 1)
    source_cfg = config_of({"model": {"arch": arch, "dense_units": 16}})
    source = build_classifier(source_cfg, shape, 10)
    path = tmp_path / "model.keras"
    source.save(path)
    config = config_of({"model": {"arch": arch, "dense_units": 8},
                        "dataset": {"classes": ["5", "6", "7"]},
                        "transfer": {"weights": "run:src", "fine_tune_layers": 2,
                                     "fine_tune_after": 1}})  # fmt: skip
    script = load_script(standalone_script(config, source_model=str(path)))
    mine = script["build_model"](3)
    theirs = build_classifier(config, shape, 3, path)
    feature_names = ["backbone"] if arch != "seed_cnn" else ["conv1", "conv2", "conv3"]
    for name in feature_names:
        for a, b in zip(mine.get_layer(name).get_weights(), source.get_layer(name).get_weights(),
                        strict=True):  # fmt: skip
            assert np.array_equal(a, b)

    def trainable(model: Any) -> list[str]:
        return sorted(w.path for w in model.trainable_weights)

    assert trainable(mine) == trainable(theirs)
    script["unfreeze_top"](mine)
    unfreeze_top(theirs, 2)
    assert trainable(mine) == trainable(theirs)


# -- the same augmentation as boost ------------------------------------------------------------

#: Specs without randomness (fixed ranges, p 1, full-size crops), so both must give one image.
FIXED_RGB = [
    {"op": "crop", "height": 32, "width": 32},
    {"op": "rotate", "angle_range": [20, 20]},
    {"op": "scale", "scale_range": [1.15, 1.15]},
    {"op": "translate", "x_range": [0.1, 0.1], "y_range": [-0.05, -0.05]},
    {"op": "hflip", "p": 1.0},
    {"op": "vflip", "p": 1.0},
    {"op": "shear", "angle_range": [8, 8], "border": "reflect"},
    {"op": "brightness", "factor_range": [1.1, 1.1]},
    {"op": "contrast", "factor_range": [0.7, 0.7]},
    {"op": "saturation", "factor_range": [1.4, 1.4]},
    {"op": "hue", "shift_range": [25, 25]},
]
FIXED_EXPAND = [
    {"op": "rotate", "angle_range": [30, 30], "mode": "expand", "border": "constant", "fill": 40},
    {"op": "random_resized_crop", "scale_range": [1, 1], "ratio_range": [1, 1]},
    {"op": "scale", "scale_range": [0.8, 0.8]},
    {"op": "contrast", "factor_range": [1.3, 1.3]},
    {"op": "grayscale", "p": 1.0},
]
FIXED_GREY = [
    {"op": "rotate", "angle_range": [-10, -10], "border": "replicate"},
    {"op": "translate", "x_range": [0.05, 0.05], "y_range": [0.1, 0.1]},
    {"op": "brightness", "factor_range": [1.2, 1.2]},
    {"op": "contrast", "factor_range": [0.8, 0.8]},
    {"op": "saturation", "factor_range": [0.0, 0.0]},  # no effect on one channel
]


@pytest.mark.parametrize(
    ("spec", "channels"),
    [(FIXED_RGB, 3), (FIXED_EXPAND, 3), (FIXED_GREY, 1)],
    ids=["rgb", "expand + resized crop", "grey"],
)
def test_augment_uses_boosts_matrices(spec: list[dict[str, Any]], channels: int) -> None:
    config = config_of({
        "dataset": {"color_mode": "rgb" if channels == 3 else "grayscale"},
        "augmentation": {"ops": spec},
    })  # fmt: skip
    augment = load_script(standalone_script(config))["augment"]
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 256, (32, 32, channels), np.uint8), (5, 5), 1.5)
    image = image.reshape(32, 32, channels)
    mine = augment(image, np.random.default_rng(0))
    theirs, _ = boost_augment(image, config.augmentation.ops, np.random.default_rng(0), (32, 32))
    assert mine.shape == theirs.shape == image.shape and mine.dtype == np.uint8
    # OpenCV snaps warp coordinates to 1/32 pixel: float noise in the composed matrices
    # may move a few samples by one step, nothing more.
    diff = np.abs(mine.astype(int) - theirs.astype(int))
    assert diff.max() <= 2 and diff.mean() < 0.05


def test_augment_is_seeded_and_keeps_the_dataset_intact() -> None:
    config = config_of({"augmentation": {"ops": EVERY_OP}, "dataset": {"color_mode": "rgb"}})
    augment = load_script(standalone_script(config))["augment"]
    image = np.random.default_rng(1).integers(0, 256, (32, 32, 3), np.uint8)
    before = image.copy()
    outs = [augment(image, np.random.default_rng(seed)) for seed in (5, 5, 6)]
    assert all(o.shape == (32, 32, 3) and o.dtype == np.uint8 for o in outs)
    assert np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[0], outs[2])
    assert np.array_equal(image, before)


def test_cutout_alone_never_writes_into_the_dataset() -> None:
    config = config_of({"augmentation": {"ops": [{"op": "cutout", "p": 1.0, "fill": 9}]}})
    augment = load_script(standalone_script(config))["augment"]
    image = np.full((32, 32, 1), 200, np.uint8)
    out = augment(image, np.random.default_rng(0))
    assert (out == 9).any() and (image == 200).all()


# -- it runs -----------------------------------------------------------------------------------


def _run(text: str, cwd: Path, epochs: int = 1) -> str:
    (cwd / "run.py").write_text(text, encoding="utf-8")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, "run.py", "--epochs", str(epochs)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _printed(out: str, pattern: str) -> str:
    match = re.search(pattern, out, re.M)
    assert match, out
    return match.group(1)


@pytest.mark.slow
def test_digits_script_trains_and_matches_boosts_parameter_count(tmp_path: Path) -> None:
    from boost.models import build_classifier

    config = config_of(DIGITS_AUG)
    out = _run(standalone_script(config), tmp_path)
    accuracy = float(_printed(out, r"^test accuracy: ([0-9.]+)"))
    assert 0.0 <= accuracy <= 1.0
    assert "val_accuracy" in out  # it validated
    expected = build_classifier(config, (24, 24, 1), 10).count_params()
    assert int(_printed(out, r"^params: (\d+)$")) == expected


@pytest.mark.slow
def test_two_class_folder_script_trains_a_sigmoid_model(tmp_path: Path, image_folder: Path) -> None:
    from boost.models import build_classifier

    config = config_of({
        "dataset": {"source": "folder", "path": str(image_folder), "image_size": 24},
        "model": {"width": 0.25, "dense_units": 32},
        "augmentation": {"ops": [{"op": "hflip"}, {"op": "brightness"}]},
        "training": {"batch_size": 8},
    })  # fmt: skip
    out = _run(standalone_script(config), tmp_path, epochs=2)
    assert "classes ['bright', 'dark']" in out
    float(_printed(out, r"^test accuracy: ([0-9.]+)"))
    sigmoid = build_classifier(config, (24, 24, 3), 2)
    assert sigmoid.output_shape == (None, 1)
    assert int(_printed(out, r"^params: (\d+)$")) == sigmoid.count_params()
