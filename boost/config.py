"""ExperimentConfig: one validated, JSON-serialisable description of a training run.

Every field is a plain JSON type (numbers, strings, booleans, lists, null). Choices are
strings ("adam", "cosine", "digits"). Validation errors name the field, the value received
and what is allowed, so that nothing starts from a bad config.

The config is built on pydantic: it gives us validation, immutability and a JSON schema
(`python -m boost schema`) from one declaration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from boost import catalog
from boost.augment.spec import SpecError, geometry_border, parse_spec, spec_to_json
from boost.validation import (
    Bool,
    Float,
    Int,
    JSONFileError,
    parse_json,
    pydantic_problems,
    read_json_file,
    short_repr,
)

SCHEMA_VERSION = 1

DatasetSource = Literal[tuple(catalog.DATASETS)]  # type: ignore[valid-type]
ColorMode = Literal["auto", "grayscale", "rgb"]
OptimizerName = Literal[catalog.OPTIMIZERS]  # type: ignore[valid-type]
ScheduleName = Literal[catalog.SCHEDULES]  # type: ignore[valid-type]
DeviceName = Literal["auto", "cpu", "gpu"]
Arch = Literal[catalog.ARCHS]  # type: ignore[valid-type]
BACKBONE_MIN_SIZE = catalog.BACKBONE_MIN_SIZE
MOBILENET_IMAGENET_SIZES = catalog.BACKBONES["mobilenet_v2"].weights_sizes or ()

#: Smallest input the seed CNN accepts: three valid 3x3 convolutions, each followed by a
#: 2x2 max-pooling, must leave at least one pixel (22 -> 20 -> 10 -> 8 -> 4 -> 2 -> 1).
SEED_CNN_MIN_SIZE = 22


class ConfigError(ValueError):
    """A config was rejected. `problems` lists one (field, message) pair per problem."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = [f"{field}: {msg}" for field, msg in problems]
        super().__init__("invalid experiment config:\n  " + "\n  ".join(lines))


def _field_error(field: str, message: str) -> ValueError:
    """An error raised from a cross-field check, attributed to one field (see `pydantic_problems`)."""
    return ValueError(f"{field}{_FIELD_SEP}{message}")


_FIELD_SEP = " :: "


def _exists(path: str, kind: Callable[[Path], bool]) -> bool:
    """`kind(Path(path))`, False for names the OS refuses (too long, a NUL byte)."""
    try:
        return bool(kind(Path(path).expanduser()))
    except (OSError, ValueError):
        return False


class _Section(BaseModel):
    # Frozen: a config is a value; extra keys are typos and must not pass silently.
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )


class DatasetConfig(_Section):
    """Where the images come from and how they are split."""

    source: DatasetSource = Field(
        "digits",
        description="digits: scikit-learn's bundled 8x8 handwritten digits (offline). "
        "mnist/fashion_mnist/cifar10: Keras datasets (downloaded once into the Keras cache). "
        "folder: a folder of class subfolders. zip: a zip archive of class folders.",
    )
    path: str | None = Field(
        None, description="Folder or zip file; required for source 'folder' and 'zip'."
    )
    image_size: Int = Field(32, ge=8, le=512, description="Images are resized to this square size.")
    color_mode: ColorMode = Field(
        "auto",
        description="auto: grayscale for digits/mnist/fashion_mnist, RGB otherwise.",
    )
    val_fraction: Float = Field(
        0.2, gt=0.0, lt=0.5, description="Share of each class for validation."
    )
    test_fraction: Float = Field(
        0.2, ge=0.0, lt=0.5, description="Share of each class held out for test."
    )
    classes: list[str] | None = Field(
        None,
        min_length=2,
        description="Keep only these classes, in this order (e.g. ['5', '6', '7', '8', '9'] of "
        "digits); null keeps all.",
    )
    max_per_class: Int | None = Field(
        None, ge=1, description="Keep at most this many images per class (before splitting)."
    )

    @model_validator(mode="after")
    def _check_path(self) -> DatasetConfig:
        # Whether the path exists is not checked here: a stored run must stay readable after
        # its upload is deleted. `ExperimentConfig.check_can_start` checks it at launch.
        if self.source in ("folder", "zip"):
            if not self.path:
                raise _field_error("path", f"required when source is {self.source!r}")
        elif self.path is not None:
            raise _field_error(
                "path", f"must be null when source is {self.source!r}; got {short_repr(self.path)}"
            )
        if self.val_fraction + self.test_fraction > 0.8:
            raise _field_error(
                "test_fraction",
                "val_fraction + test_fraction must be at most 0.8 so that training keeps data; "
                f"got {self.val_fraction} + {self.test_fraction}",
            )
        return self

    def input_problem(self) -> str | None:
        """Why the data cannot be read now (a folder or zip that is not there), or None."""
        if self.source == "folder" and not _exists(self.path or "", Path.is_dir):
            return f"no such folder; got {short_repr(self.path)}"
        if self.source == "zip" and not _exists(self.path or "", Path.is_file):
            return f"no such zip file; got {short_repr(self.path)}"
        return None

    def resolved_color_mode(self) -> Literal["grayscale", "rgb"]:
        """The colour mode after resolving 'auto'."""
        if self.color_mode != "auto":
            return self.color_mode
        return catalog.DATASETS[self.source].colour

    @property
    def channels(self) -> int:
        return 1 if self.resolved_color_mode() == "grayscale" else 3


class AugmentationConfig(_Section):
    """The augmentation spec: an ordered list of ops. An empty list means no augmentation.

    Ops are validated (see boost.augment.spec) and stored with every parameter written out.
    """

    ops: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Ops such as {'op': 'rotate', 'angle_range': [-15, 15]}; "
        "see boost/augment/spec.py for every op and its bounds.",
    )

    @field_validator("ops")
    @classmethod
    def _valid_spec(cls, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            parsed = parse_spec(ops)
            geometry_border(parsed)
        except SpecError as exc:
            raise ValueError("; ".join(exc.problems)) from None
        return spec_to_json(parsed)

    @property
    def enabled(self) -> bool:
        return bool(self.ops)


class ModelConfig(_Section):
    """The network: the seed document's CNN, or a Keras application backbone with a head."""

    arch: Arch = Field(
        "seed_cnn",
        description="seed_cnn: the seed's 4.2 CNN (Conv 32/64/128 + 2x2 max-pooling, Dense 512, "
        "output). vgg16 (the seed's 4.4), mobilenet_v2, resnet50, efficientnet_b0: a Keras "
        "application backbone (see `transfer`) under a head: pooling, Dense, Dropout, output.",
    )
    width: Float = Field(
        1.0,
        gt=0.0,
        le=4.0,
        description="Multiplies the seed CNN's filters and the hidden Dense units (0.25 = a quarter).",
    )
    batch_norm: Bool = Field(
        False, description="seed_cnn: batch normalisation after each convolution."
    )
    dense_units: Int = Field(512, ge=1, le=8192, description="Units of the hidden Dense layer.")
    head: Literal["flatten", "global_avg"] = Field(
        "flatten",
        description="Backbones: Flatten (the seed's 4.4) or global average pooling before the "
        "Dense layer.",
    )


class RegularizationConfig(_Section):
    """L1/L2 penalties on conv and dense kernels (seed 4.3) and Dropout before the output."""

    l1: Float = Field(0.0, ge=0.0, le=1.0, description="L1 strength on kernels (0 = off).")
    l2: Float = Field(0.0, ge=0.0, le=1.0, description="L2 strength on kernels (0 = off).")
    dropout: Float = Field(0.0, ge=0.0, lt=1.0, description="Dropout rate before the output layer.")


class TransferConfig(_Section):
    """Where the feature layers start from, and how they train (freeze, then fine-tune)."""

    weights: str = Field(
        "none",
        description="none: random initialisation (the control). imagenet: a backbone's "
        "ImageNet weights from the Keras cache (downloaded once). run:<id or name>: the feature "
        "layers of a completed run in the store with the same arch (transfer between runs; a "
        "name means the newest run with that name).",
    )
    freeze: Bool = Field(True, description="Freeze the transferred feature layers.")
    fine_tune_layers: Int = Field(
        0, ge=0, le=500, description="Unfreeze the top k feature layers for a second phase."
    )
    fine_tune_after: Int = Field(
        0, ge=0, description="Epochs of the first, frozen phase before fine-tuning starts."
    )
    fine_tune_lr_factor: Float = Field(
        0.1, gt=0.0, le=1.0, description="The fine-tuning phase's learning rate, relative."
    )
    input_size: Int | None = Field(
        None, ge=32, le=512,
        description="Backbones: resize images to this size inside the model (null: the "
        "dataset's image_size). MobileNetV2's ImageNet weights exist for 96, 128, 160, 192, 224.",
    )  # fmt: skip

    @field_validator("weights")
    @classmethod
    def _weights_form(cls, v: str) -> str:
        if v in ("none", "imagenet") or (v.startswith("run:") and v[4:].strip()):
            return v
        raise ValueError(
            f"must be 'none', 'imagenet' or 'run:<run id or name>'; got {short_repr(v)}"
        )

    @model_validator(mode="after")
    def _phases(self) -> TransferConfig:
        if self.fine_tune_layers and not self.freeze:
            raise _field_error(
                "fine_tune_layers", "fine-tuning unfreezes layers of a frozen start: set freeze"
            )
        if self.fine_tune_layers and self.fine_tune_after < 1:
            raise _field_error(
                "fine_tune_after", "needs at least one frozen epoch before fine-tuning; got 0"
            )
        return self

    @property
    def enabled(self) -> bool:
        """Whether the feature layers start from learnt weights."""
        return self.weights != "none"

    @property
    def source_run(self) -> str | None:
        """The run id or name after 'run:', if the weights come from a run."""
        return self.weights[4:].strip() if self.weights.startswith("run:") else None


class OptimizerConfig(_Section):
    """Optimiser, learning rate and schedule."""

    name: OptimizerName = "adam"
    learning_rate: Float = Field(1e-3, gt=0.0, le=10.0)
    momentum: Float = Field(0.9, ge=0.0, lt=1.0, description="SGD momentum.")
    weight_decay: Float = Field(1e-4, ge=0.0, le=1.0, description="AdamW decoupled weight decay.")
    schedule: ScheduleName = "constant"
    step_every: Int = Field(5, ge=1, description="step schedule: epochs between drops.")
    step_factor: Float = Field(0.5, gt=0.0, lt=1.0, description="step schedule: multiply by this.")
    plateau_patience: Int = Field(2, ge=1, description="reduce_on_plateau: epochs without gain.")
    plateau_factor: Float = Field(0.5, gt=0.0, lt=1.0, description="reduce_on_plateau factor.")


class TrainingConfig(_Section):
    """How long and where to train."""

    epochs: Int = Field(10, ge=1, le=1000)
    batch_size: Int = Field(32, ge=1, le=8192)
    early_stopping_patience: Int | None = Field(
        None, ge=1, description="Stop after this many epochs without val_loss gain (null = off)."
    )
    device: DeviceName = Field("auto", description="auto: the GPU when one is visible.")
    mixed_precision: Bool = Field(False, description="float16 compute; GPU only.")

    @model_validator(mode="after")
    def _check_mixed_precision(self) -> TrainingConfig:
        if self.mixed_precision and self.device == "cpu":
            raise _field_error(
                "mixed_precision", "needs a GPU; got device 'cpu' (use 'auto' or 'gpu')"
            )
        return self


class ExperimentConfig(_Section):
    """One training run, fully described."""

    name: str = Field("run", min_length=1, max_length=100)
    seed: Int = Field(0, ge=0, le=2**31 - 1)
    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    augmentation: AugmentationConfig = Field(default_factory=AugmentationConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    regularization: RegularizationConfig = Field(default_factory=RegularizationConfig)
    transfer: TransferConfig = Field(default_factory=TransferConfig)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, v: str) -> str:
        if any(ord(ch) < 32 for ch in v):
            raise ValueError("name must not contain control characters")
        return v.strip() or "run"

    @model_validator(mode="after")
    def _check_model_fits_input(self) -> ExperimentConfig:
        size = self.dataset.image_size
        for i, op in enumerate(self.augmentation.ops):
            if op["op"] == "crop" and (op["height"] > size or op["width"] > size):
                raise _field_error(
                    f"augmentation.ops.{i}",
                    f"crop {op['height']}x{op['width']} is larger than the images "
                    f"(dataset.image_size {size})",
                )
        if self.model.arch == "seed_cnn" and self.dataset.image_size < SEED_CNN_MIN_SIZE:
            raise _field_error(
                "dataset.image_size",
                f"must be at least {SEED_CNN_MIN_SIZE} for seed_cnn (three 3x3 convolutions "
                f"and 2x2 poolings); got {self.dataset.image_size}",
            )
        t = self.transfer
        if self.model.arch == "seed_cnn":
            if t.weights == "imagenet":
                raise _field_error(
                    "transfer.weights",
                    "seed_cnn has no ImageNet weights: use 'run:<id>' or a Keras backbone "
                    "(model.arch vgg16, mobilenet_v2, resnet50, efficientnet_b0)",
                )
            if t.input_size is not None:
                raise _field_error("transfer.input_size", "applies to Keras backbones only")
        else:
            size = t.input_size or self.dataset.image_size
            if size < BACKBONE_MIN_SIZE:
                raise _field_error(
                    "transfer.input_size",
                    f"{self.model.arch} needs inputs of at least {BACKBONE_MIN_SIZE} pixels; "
                    f"got {size} (set transfer.input_size, e.g. 96)",
                )
            if (self.model.arch == "mobilenet_v2" and t.weights == "imagenet"
                    and size not in MOBILENET_IMAGENET_SIZES):  # fmt: skip
                raise _field_error(
                    "transfer.input_size",
                    f"MobileNetV2's ImageNet weights exist for {MOBILENET_IMAGENET_SIZES}; "
                    f"got {size}",
                )
        if t.fine_tune_layers and t.fine_tune_after >= self.training.epochs:
            raise _field_error(
                "transfer.fine_tune_after",
                f"must be less than training.epochs ({self.training.epochs}) so that "
                f"fine-tuning gets epochs; got {t.fine_tune_after}",
            )
        return self

    # -- serialisation ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only; `ExperimentConfig.from_dict(c.to_dict()) == c`."""
        return self.model_dump(mode="json")

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentConfig:
        """Validate a dict into a config.

        Raises:
            ConfigError: naming every field that is wrong, the value received and what is allowed.
        """
        if not isinstance(data, dict):
            raise ConfigError([("(root)", f"expected a JSON object, got {type(data).__name__}")])
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(pydantic_problems(exc, field_sep=_FIELD_SEP)) from None

    @classmethod
    def from_json(cls, text: str) -> ExperimentConfig:
        try:
            data = parse_json(text)
        except JSONFileError as exc:
            raise ConfigError([("(root)", str(exc))]) from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str | Path) -> ExperimentConfig:
        """Read a config file; any bytes give a config or a ConfigError of one line per problem."""
        try:
            data = read_json_file(path)
        except JSONFileError as exc:
            raise ConfigError([("(file)", str(exc))]) from None
        return cls.from_dict(data)

    def check_can_start(self) -> None:
        """Raise ConfigError unless what the run reads is there now (its folder or zip).

        Parsing never looks at the filesystem, so that a stored run stays readable (its
        curves, its script, its bundle) after its upload is deleted; launching does.
        """
        problem = self.dataset.input_problem()
        if problem:
            raise ConfigError([("dataset.path", problem)])

    def replace(self, **changes: Any) -> ExperimentConfig:
        """A copy with dotted-path changes, validated: `c.replace(**{"regularization.l2": 1e-3})`."""
        data = self.to_dict()
        for dotted, value in changes.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node[key]
            node[leaf] = value
        return ExperimentConfig.from_dict(data)


def json_schema() -> dict[str, Any]:
    """The JSON schema of ExperimentConfig."""
    schema = ExperimentConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Boost Lab ExperimentConfig"
    return schema
