"""The product's facts, written once and read everywhere: datasets, networks, backbones, optimisers.

No TensorFlow and no other boost import: the config, the models, the script export and the
pages all read this, and the dashboard imports it on every rerun.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Dataset:
    """A dataset a run can train on."""

    #: How the standalone script's docstring names it.
    title: str
    #: Its images' colour mode when the config says "auto".
    colour: Literal["grayscale", "rgb"]
    #: Its class names in label order; None where the data says (folders and zips).
    class_names: tuple[str, ...] | None = None
    #: Downloaded by `keras.datasets.<name>.load_data()` (once, into the Keras cache).
    keras: bool = False


DATASETS: dict[str, Dataset] = {
    "digits": Dataset("scikit-learn's 8x8 handwritten digits (load_digits)", "grayscale",
                      tuple(str(d) for d in range(10))),
    "mnist": Dataset("MNIST (keras.datasets.mnist)", "grayscale",
                     tuple(str(d) for d in range(10)), keras=True),
    "fashion_mnist": Dataset(
        "Fashion-MNIST (keras.datasets.fashion_mnist)", "grayscale",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"), keras=True),
    "cifar10": Dataset(
        "CIFAR-10 (keras.datasets.cifar10)", "rgb",
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
         "truck"), keras=True),
    "folder": Dataset("a folder of class subfolders", "rgb"),
    "zip": Dataset("a zip archive of class folders", "rgb"),
}  # fmt: skip
#: The datasets Keras downloads.
KERAS_DATASETS = tuple(name for name, d in DATASETS.items() if d.keras)


#: The seed document's CNN (its section 4.2), the default network.
SEED_CNN = "seed_cnn"
#: Its three convolutions' filters at width 1.0 (each followed by 2x2 max-pooling).
SEED_CNN_FILTERS = (32, 64, 128)

#: ImageNet channel means in BGR order, as Keras' "caffe" preprocessing subtracts them.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

_KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class Backbone:
    """A Keras application used as a feature extractor (the seed's 4.4, transfer learning)."""

    #: Shown on the Train page.
    label: str
    #: `keras.applications.<application>`, defined in `keras.applications.<module>`.
    application: str
    module: str
    #: "caffe": RGB->BGR and mean subtraction; "tf": scale to -1..1; "none": inside the model.
    preprocessing: Literal["caffe", "tf", "none"]
    #: File name of the no-top ImageNet weights; "{size}" stands for the input size.
    weights_name: str
    weights_base_url: str
    #: md5 published by Keras, checked after a download; None where Keras publishes none.
    weights_hash: str | None
    #: Input sizes that have ImageNet weights; None: any size from BACKBONE_MIN_SIZE.
    weights_sizes: tuple[int, ...] | None = None
    #: Per-channel scaling Keras inserts after the model's Normalization layer only when it
    #: loads ImageNet weights itself (tensorflow/tensorflow#49930); boost folds it in.
    imagenet_input_stddev: tuple[float, float, float] | None = None


#: The backbones offered, by the names used in ExperimentConfig's `model.arch`; the seed's
#: VGG16 first.
BACKBONES: dict[str, Backbone] = {
    "vgg16": Backbone(
        label="VGG16 (the seed's 4.4)",
        application="VGG16",
        module="vgg16",
        preprocessing="caffe",
        weights_name="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        weights_base_url=_KERAS_APPS + "vgg16/",
        weights_hash="6d6bbae143d832006294945121d1f1fc",
    ),
    "mobilenet_v2": Backbone(
        label="MobileNetV2 (small, fast)",
        application="MobileNetV2",
        module="mobilenet_v2",
        preprocessing="tf",
        # Width multiplier (alpha) 1.0, Keras' default.
        weights_name="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{size}_no_top.h5",
        weights_base_url=_KERAS_APPS + "mobilenet_v2/",
        weights_hash=None,
        weights_sizes=(96, 128, 160, 192, 224),
    ),
    "resnet50": Backbone(
        label="ResNet50",
        application="ResNet50",
        module="resnet50",
        preprocessing="caffe",
        weights_name="resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        weights_base_url=_KERAS_APPS + "resnet/",
        weights_hash="4d473c1dd8becc155b73f8504c6f6626",
    ),
    "efficientnet_b0": Backbone(
        label="EfficientNetB0",
        application="EfficientNetB0",
        module="efficientnet",
        preprocessing="none",
        weights_name="efficientnetb0_notop.h5",
        weights_base_url="https://storage.googleapis.com/keras-applications/",
        weights_hash="50bc09e76180e00e4465e1a485ddc09d",
        imagenet_input_stddev=(0.229, 0.224, 0.225),
    ),
}

#: Every network `model.arch` may name, the seed CNN first; and how the Train page names them.
ARCHS: tuple[str, ...] = (SEED_CNN, *BACKBONES)
ARCH_LABELS: dict[str, str] = {
    SEED_CNN: "The seed's CNN (3 convolutions)",
    **{name: b.label for name, b in BACKBONES.items()},
}
#: Keras application backbones need at least this input (their five 2x downsamplings).
BACKBONE_MIN_SIZE = 32



@dataclass(frozen=True)
class Method:
    """A method a person switches on and off: on the Train page, in quick variants, as an
    ablation factor."""

    #: How people call it ("L2"): the toggle's subject, variant names ("... without L2").
    label: str
    #: Its ablation factor name (`{"name": "l2", ...}`).
    factor: str
    #: The config field it sets; the method is on when that field is truthy.
    field: str
    #: The field's value when the method is off.
    off: Any


#: The on/off methods, in the order of the quick variants.
METHODS: tuple[Method, ...] = (
    Method("augmentation", "augmentation", "augmentation.ops", []),
    Method("L1", "l1", "regularization.l1", 0.0),
    Method("L2", "l2", "regularization.l2", 0.0),
    Method("dropout", "dropout", "regularization.dropout", 0.0),
    Method("batch norm", "batch_norm", "model.batch_norm", False),
)

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine", "step", "reduce_on_plateau")
