import json
import subprocess
import sys
from pathlib import Path

import pytest

from boost.config import ConfigError, ExperimentConfig, json_schema

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_round_trip() -> None:
    c = ExperimentConfig()
    assert ExperimentConfig.from_dict(c.to_dict()) == c
    assert ExperimentConfig.from_json(c.to_json()) == c
    # Plain JSON types only.
    assert json.loads(json.dumps(c.to_dict())) == c.to_dict()


def test_full_config_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    data = {
        "name": "everything",
        "seed": 7,
        "dataset": {
            "source": "folder",
            "path": str(folder),
            "image_size": 64,
            "color_mode": "rgb",
            "val_fraction": 0.1,
            "test_fraction": 0.3,
            "max_per_class": 50,
        },
        "augmentation": {"ops": [{"op": "hflip", "p": 0.5}]},
        "model": {"arch": "seed_cnn", "width": 0.5, "batch_norm": True, "dense_units": 128},
        "regularization": {"l1": 1e-5, "l2": 1e-3, "dropout": 0.5},
        "optimizer": {"name": "sgd", "learning_rate": 0.01, "momentum": 0.8, "schedule": "step"},
        "training": {
            "epochs": 3,
            "batch_size": 16,
            "early_stopping_patience": 2,
            "device": "gpu",
            "mixed_precision": True,
        },
    }
    c = ExperimentConfig.from_dict(data)
    assert ExperimentConfig.from_dict(c.to_dict()) == c
    assert c.regularization.l1 == 1e-5 and c.regularization.l2 == 1e-3
    assert c.to_dict()["dataset"]["path"] == str(folder)


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"regularization": {"l2": -0.1}}, "regularization.l2", "-0.1"),
        ({"regularization": {"l1": -1}}, "regularization.l1", "greater than or equal to 0"),
        ({"regularization": {"dropout": 1.0}}, "regularization.dropout", "less than 1"),
        ({"optimizer": {"name": "adamx"}}, "optimizer.name", "'adam', 'adamw', 'sgd' or 'rmsprop'"),
        ({"optimizer": {"schedule": "linear"}}, "optimizer.schedule", "'cosine'"),
        ({"optimizer": {"learning_rate": 0}}, "optimizer.learning_rate", "greater than 0"),
        ({"training": {"epochs": 0}}, "training.epochs", "got 0"),
        ({"training": {"batch_size": "big"}}, "training.batch_size", "'big'"),
        ({"training": {"device": "tpu"}}, "training.device", "'auto', 'cpu' or 'gpu'"),
        (
            {"training": {"device": "cpu", "mixed_precision": True}},
            "training.mixed_precision",
            "GPU",
        ),
        ({"dataset": {"source": "imagenet"}}, "dataset.source", "'digits'"),
        ({"dataset": {"source": "zip"}}, "dataset.path", "required"),
        ({"dataset": {"source": "digits", "path": "/tmp"}}, "dataset.path", "must be null"),
        ({"dataset": {"val_fraction": 0.0}}, "dataset.val_fraction", "greater than 0"),
        (
            {"dataset": {"val_fraction": 0.45, "test_fraction": 0.45}},
            "dataset.test_fraction",
            "0.8",
        ),
        ({"dataset": {"image_size": 16}}, "dataset.image_size", "at least 22"),
        ({"model": {"width": 0}}, "model.width", "greater than 0"),
        ({"model": {"arch": "resnet"}}, "model.arch", "'seed_cnn'"),
        ({"transfer": {"weights": "vgg"}}, "transfer.weights", "'run:<run id or name>'; got 'vgg'"),
        ({"transfer": {"weights": "imagenet"}}, "transfer.weights", "seed_cnn has no ImageNet"),
        (
            {"model": {"arch": "vgg16"}, "dataset": {"image_size": 24}},
            "transfer.input_size",
            "at least 32 pixels",
        ),
        (
            {
                "model": {"arch": "mobilenet_v2"},
                "transfer": {"weights": "imagenet", "input_size": 64},
            },
            "transfer.input_size",
            "(96, 128, 160, 192, 224); got 64",
        ),
        (
            {"transfer": {"weights": "run:a", "fine_tune_layers": 1}},
            "transfer.fine_tune_after",
            "at least one frozen epoch",
        ),
        (
            {
                "transfer": {
                    "weights": "run:a",
                    "freeze": False,
                    "fine_tune_layers": 1,
                    "fine_tune_after": 2,
                }
            },
            "transfer.fine_tune_layers",
            "set freeze",
        ),
        (
            {"transfer": {"weights": "run:a", "fine_tune_layers": 1, "fine_tune_after": 10}},
            "transfer.fine_tune_after",
            "less than training.epochs (10)",
        ),
        ({"dataset": {"classes": ["1"]}}, "dataset.classes", "at least 2 items"),
        ({"epochs": 3}, "epochs", "unknown field"),
        ({"name": ""}, "name", "at least 1 character"),
    ],
)
def test_invalid_values_name_field_value_and_allowed(data: dict, field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_dict(data)
    fields = [f for f, _ in info.value.problems]
    assert field in fields, info.value.problems
    assert fragment in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_dict(
            {"regularization": {"l2": -1, "dropout": 2}, "training": {"epochs": 0}}
        )
    assert {f for f, _ in info.value.problems} == {
        "regularization.l2",
        "regularization.dropout",
        "training.epochs",
    }


def test_not_json_and_not_object() -> None:
    with pytest.raises(ConfigError, match="not valid JSON"):
        ExperimentConfig.from_json("{nope")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        ExperimentConfig.from_dict([1, 2])  # type: ignore[arg-type]


def test_a_missing_data_folder_stops_a_launch_not_the_reading_of_a_stored_run(
    tmp_path: Path,
) -> None:
    gone = {"dataset": {"source": "folder", "path": str(tmp_path / "deleted")}}
    config = ExperimentConfig.from_dict(gone)  # a stored run of a deleted upload still reads
    with pytest.raises(ConfigError) as info:
        config.check_can_start()
    assert info.value.problems == [("dataset.path", f"no such folder; got {str(tmp_path / 'deleted')!r}")]
    (tmp_path / "deleted").mkdir()
    config.check_can_start()  # there now: fine


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        ExperimentConfig.from_file(tmp_path / "nope.json")


def test_replace_validates() -> None:
    c = ExperimentConfig().replace(**{"regularization.l2": 0.01, "name": "l2"})
    assert c.regularization.l2 == 0.01 and c.name == "l2"
    with pytest.raises(ConfigError, match="regularization.dropout"):
        c.replace(**{"regularization.dropout": 1.5})


def test_config_is_immutable() -> None:
    c = ExperimentConfig()
    with pytest.raises(ValueError):
        c.seed = 3  # type: ignore[misc]


def test_color_mode_auto() -> None:
    assert ExperimentConfig().dataset.resolved_color_mode() == "grayscale"
    assert ExperimentConfig.from_dict({"dataset": {"source": "cifar10"}}).dataset.channels == 3


def test_examples_are_valid() -> None:
    names = sorted(p.stem for p in (ROOT / "examples").glob("*.json"))
    assert {"baseline", "l1", "l2", "dropout"} <= set(names)
    for p in (ROOT / "examples").glob("*.json"):
        if p.stem == "ablation":  # an ablation definition, tested in test_ablation.py
            continue
        ExperimentConfig.from_file(p)


def test_schema_command_prints_the_json_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "boost", "schema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    schema = json.loads(out)
    assert schema == json_schema()
    assert "regularization" in schema["properties"]
    optimizer = schema["$defs"]["OptimizerConfig"]["properties"]["name"]
    assert optimizer["enum"] == ["adam", "adamw", "sgd", "rmsprop"]
