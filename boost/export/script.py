"""Show code: a standalone Keras script that reproduces a run.

`standalone_script(config)` writes a runnable Python file that a teacher can hand to students.
It uses only Keras, OpenCV and NumPy (plus scikit-learn's `load_digits` for the digits), never
boost, and mirrors what Boost Lab does: the same loading, resizing and stratified split; the
configured augmentation ops only, with the matrices of `boost.augment.ops` (geometry as one
affine warp, colour as one 3x4 matrix); the network written out layer by layer; the optimiser,
schedule and two-phase fine-tuning of `boost.training`.

Generating the script is string work: nothing here imports TensorFlow or Keras, because the
Streamlit process imports this module.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from boost.augment.code import CodeContext
from boost.augment.code import call as _call
from boost.augment.code import num as _num
from boost.augment.preview import describe_spec
from boost.augment.spec import OpBase, geometry_border, op_type, parse_spec
from boost.catalog import BACKBONES, CAFFE_MEAN_BGR, DATASETS, SEED_CNN_FILTERS
from boost.config import ExperimentConfig
from boost.data.images import IMAGE_EXTENSIONS

#: Where a run:<id> transfer script looks for the source run's model unless told otherwise.
DEFAULT_SOURCE_MODEL = "source_model.keras"

_BORDER_CODE = {
    "constant": "cv2.BORDER_CONSTANT",
    "reflect": "cv2.BORDER_REFLECT_101",
    "replicate": "cv2.BORDER_REPLICATE",
}
_OPTIMIZER_CODE = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}


def standalone_script(config: ExperimentConfig, *, source_model: str | None = None) -> str:
    """A standalone, runnable Python script that reproduces the run `config` describes.

    Args:
        config: the run's experiment.
        source_model: for `transfer.weights` "run:<id>", the path of the source run's
            model.keras written into the script (default: "source_model.keras").

    Returns:
        The script's text; run it as `python run.py [--epochs N]`.
    """
    sections = [
        _constants(config, source_model or DEFAULT_SOURCE_MODEL),
        _data(config),
        _augmentation(config),
        _model(config),
        _optimizer(config),
        _main(config),
        'if __name__ == "__main__":\n    main()',
    ]
    body = "\n\n\n".join(s for s in sections if s)
    return f"{_header(config)}\n\n{_imports(body)}\n\n\n{body}\n"


# -- small helpers -----------------------------------------------------------------------------


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _indent(lines: list[str], prefix: str = "    ") -> list[str]:
    return [prefix + line if line else line for line in lines]


def _docstring_text(text: str) -> str:
    """`text` safe inside a triple-quoted docstring (backslashes and quotes escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _spec_summary(ops: list[dict[str, Any]]) -> str:
    """describe_spec's one line, with "(p=0.5)" so that line wrapping never splits it."""
    return describe_spec(ops).replace("(p ", "(p=")


def _known_classes(config: ExperimentConfig) -> int | None:
    """How many classes the data has, if the config says (folders and zips are read at run time)."""
    d = config.dataset
    if d.classes is not None:
        return len(d.classes)
    return None if d.source in ("folder", "zip") else 10


def _scaled(config: ExperimentConfig, n: int) -> int:
    """Filters or units `n` times the model width, as boost.models.seed_cnn scales them."""
    return max(1, round(n * config.model.width))


# -- header and imports ------------------------------------------------------------------------


def _header(config: ExperimentConfig) -> str:
    d, m, reg, t, o, tr = (config.dataset, config.model, config.regularization, config.transfer,
                           config.optimizer, config.training)  # fmt: skip
    n_train = round(100 * (1 - d.val_fraction - d.test_fraction))
    if d.source == "folder":
        data = f"the images in the folder {d.path}"
    elif d.source == "zip":
        data = f"the zip {d.path}"
    else:
        data = DATASETS[d.source].title
    data += f", resized to {d.image_size}x{d.image_size}, {d.resolved_color_mode()}"
    if d.classes is not None:
        data += f", classes {', '.join(d.classes)}"
    if d.max_per_class is not None:
        data += f", at most {d.max_per_class} images per class"
    data += (
        f", split {n_train}/{round(100 * d.val_fraction)}/{round(100 * d.test_fraction)} "
        "(train/validation/test) within each class"
    )
    regs = [f"{name} {value:g}" for name, value in (("L1", reg.l1), ("L2", reg.l2)) if value]
    if reg.dropout:
        regs.append(f"Dropout {reg.dropout:g}")
    if m.arch == "seed_cnn":
        filters = "/".join(str(_scaled(config, f)) for f in SEED_CNN_FILTERS)
        model = f"the seed CNN (Conv {filters}{' with batch norm' if m.batch_norm else ''}, "
    else:
        size = t.input_size or d.image_size
        origin = {"none": "random initialisation", "imagenet": "ImageNet weights"}.get(
            t.weights, f"the weights of Boost Lab run {t.source_run}"
        )
        model = (f"{BACKBONES[m.arch].application} at {size}x{size} ({origin}"
                 f"{', frozen' if t.enabled and t.freeze else ''}), {m.head} head, ")  # fmt: skip
    model += f"Dense {_scaled(config, m.dense_units)})"
    if regs:
        model += ", " + ", ".join(regs)
    schedule = {"constant": "constant learning rate", "cosine": "cosine decay",
                "step": f"x{o.step_factor:g} every {o.step_every} epochs",
                "reduce_on_plateau": "reduced on plateau"}[o.schedule]  # fmt: skip
    train = f"{tr.epochs} epochs in batches of {tr.batch_size}"
    if t.fine_tune_layers:
        train += (f" (from epoch {t.fine_tune_after + 1}, the top {t.fine_tune_layers} feature "
                  f"layers fine-tune at x{t.fine_tune_lr_factor:g} the learning rate)")  # fmt: skip
    if tr.early_stopping_patience:
        train += f", early stopping after {tr.early_stopping_patience} epochs without gain"
    bullets = [
        f"data: {data};",
        f"augmentation of training images: {_spec_summary(config.augmentation.ops)};",
        f"model: {model};",
        f"optimiser: {_OPTIMIZER_CODE[o.name]}, learning rate {o.learning_rate:g}, {schedule};",
        f"training: {train}; then the accuracy on the "
        f"{'test' if d.test_fraction > 0 else 'validation'} split is printed.",
    ]
    needs = "keras (with tensorflow), opencv-python, numpy"
    if d.source == "digits":
        needs += ", scikit-learn (for load_digits, the digits data)"
    lines = [
        f'"""Boost Lab run "{_docstring_text(config.name)}", reproduced with plain Keras, OpenCV '
        "and NumPy.",
        "",
    ]
    for bullet in bullets:
        lines += textwrap.wrap(_docstring_text(bullet), 95, initial_indent="- ",
                               subsequent_indent="  ", break_long_words=False,
                               break_on_hyphens=False)  # fmt: skip
    lines += [
        "",
        "Run it with:  python run.py [--epochs N]",
        *textwrap.wrap(f"It needs: {needs}.", 95),
        "",
        "The split follows Boost Lab's rules (the same fractions per class, seeded), and the",
        "augmentation the same ops and ranges, but it draws its own random numbers: expect",
        'accuracies close to the run\'s, not identical.\n"""',
    ]
    return "\n".join(lines)


#: Every import a script may need: the name it binds, and the line that binds it.
_IMPORTS = {
    "argparse": "import argparse",
    "math": "import math",
    "zipfile": "import zipfile",
    "Path": "from pathlib import Path",
    "cv2": "import cv2",
    "keras": "import keras",
    "np": "import numpy as np",
    "load_digits": "from sklearn.datasets import load_digits",
}
_STDLIB = ("argparse", "math", "zipfile", "Path")


def _imports(body: str) -> str:
    """The import lines of the names `body` uses (read from its syntax tree), stdlib first."""
    used = {n.id for n in ast.walk(ast.parse(body)) if isinstance(n, ast.Name)}
    stdlib = [line for name, line in _IMPORTS.items() if name in used and name in _STDLIB]
    third = [line for name, line in _IMPORTS.items() if name in used and name not in _STDLIB]
    return "\n".join(stdlib) + "\n\n" + "\n".join(third)


# -- constants ---------------------------------------------------------------------------------


def _constants(config: ExperimentConfig, source_model: str) -> str:
    d, reg, t, o, tr = (config.dataset, config.regularization, config.transfer,
                        config.optimizer, config.training)  # fmt: skip
    lines = [
        "# The run's settings. Change them to experiment.",
        f"SEED = {config.seed}  # seeds the subsampling, the split, the augmentation and Keras",
        "",
        "# Data",
    ]
    if d.source == "folder":
        lines.append(f"DATA_PATH = {d.path!r}  # one subfolder of images per class")
    elif d.source == "zip":
        lines.append(f"DATA_PATH = {d.path!r}  # a zip of class folders")
    lines += [
        f"IMAGE_SIZE = {d.image_size}  # images are stretched to IMAGE_SIZE x IMAGE_SIZE",
        f"CHANNELS = {d.channels}  # 1: grayscale, 3: RGB",
    ]
    if d.classes is not None:
        lines.append(f"CLASSES = {d.classes!r}  # keep only these classes, in this order")
    if d.max_per_class is not None:
        lines.append(
            f"MAX_PER_CLASS = {d.max_per_class}  # at most this many images per class, "
            "picked at random before the split"
        )
    lines += [
        f"VAL_FRACTION = {d.val_fraction!r}  # share of each class for validation",
        f"TEST_FRACTION = {d.test_fraction!r}  # share of each class held out for the final test",
    ]
    if d.source in ("folder", "zip"):
        exts = ", ".join(repr("." + e) for e in sorted(IMAGE_EXTENSIONS))
        lines.append(f"IMAGE_EXTENSIONS = {{{exts}}}")
    ops = config.augmentation.ops
    if any(op_type(op).stage == "geometry" for op in ops):
        border, fill = geometry_border(parse_spec(ops))
        lines += [
            "",
            "# Augmentation (the ops themselves are in augment())",
            f"BORDER = {_BORDER_CODE[border]}  # how the warp fills pixels from outside the image",
            f"FILL = {fill}  # the fill value of BORDER_CONSTANT",
        ]
    model: list[str] = []  # the layer sizes are written into build_model() itself
    if reg.l1:
        model.append(f"L1 = {reg.l1!r}  # L1 penalty on every conv and dense kernel")
    if reg.l2:
        model.append(f"L2 = {reg.l2!r}  # L2 penalty on every conv and dense kernel")
    if reg.dropout:
        model.append(f"DROPOUT = {reg.dropout!r}  # dropout rate before the output layer")
    if t.source_run is not None:
        model.append(
            f"SOURCE_MODEL = {source_model!r}  # the model.keras of the source run "
            f"(Boost Lab run {t.source_run!r})"
        )
    if model:
        lines += ["", "# Model", *model]
    if t.fine_tune_layers:
        lines += [
            f"FINE_TUNE_AFTER = {t.fine_tune_after}  # epochs with frozen feature layers first",
            f"FINE_TUNE_LAYERS = {t.fine_tune_layers}  # then the top k feature layers train too",
            f"FINE_TUNE_LR_FACTOR = {t.fine_tune_lr_factor!r}  # at this share of the learning rate",
        ]
    lines += ["", "# Training", f"LEARNING_RATE = {o.learning_rate!r}"]
    if o.name == "sgd":
        lines.append(f"MOMENTUM = {o.momentum!r}")
    if o.name == "adamw":
        lines.append(f"WEIGHT_DECAY = {o.weight_decay!r}  # AdamW's decoupled weight decay")
    if o.schedule == "step":
        lines += [
            f"STEP_EVERY = {o.step_every}  # epochs between learning-rate drops",
            f"STEP_FACTOR = {o.step_factor!r}  # each drop multiplies the learning rate by this",
        ]
    if o.schedule == "reduce_on_plateau":
        lines += [
            f"PLATEAU_PATIENCE = {o.plateau_patience}  # epochs without a lower val_loss",
            f"PLATEAU_FACTOR = {o.plateau_factor!r}  # then the learning rate is multiplied by this",
        ]
    if tr.early_stopping_patience:
        lines.append(
            f"EARLY_STOPPING_PATIENCE = {tr.early_stopping_patience}  "
            "# stop after this many epochs without a lower val_loss"
        )
    lines += [
        f"BATCH_SIZE = {tr.batch_size}",
        f"EPOCHS = {tr.epochs}  # the default of --epochs",
    ]
    return "\n".join(lines)


# -- data --------------------------------------------------------------------------------------


def _data(config: ExperimentConfig) -> str:
    d = config.dataset
    parts = [_resize_square()]
    if d.source in ("folder", "zip"):
        parts.append(_decode(config))
    if d.max_per_class is not None:
        parts.append(_cap_per_class())
    if d.source == "folder":
        parts.append(_load_folder(config))
    elif d.source == "zip":
        parts.append(_load_zip(config))
    else:
        parts.append(_load_arrays(config))
    parts += [_split(config), _load_data()]
    return "\n\n\n".join(parts)


def _resize_square() -> str:
    return _dedent('''
        def resize_square(image):
            """Stretch an image to IMAGE_SIZE x IMAGE_SIZE (the aspect ratio is not kept): area
            averaging when it shrinks, bilinear interpolation when it grows."""
            if image.shape[:2] != (IMAGE_SIZE, IMAGE_SIZE):
                shrinks = IMAGE_SIZE < max(image.shape[:2])
                interpolation = cv2.INTER_AREA if shrinks else cv2.INTER_LINEAR
                image = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=interpolation)
            return image.reshape(IMAGE_SIZE, IMAGE_SIZE, -1)  # OpenCV drops a single channel axis
    ''')


def _decode(config: ExperimentConfig) -> str:
    if config.dataset.channels == 1:
        body = """
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
            return None if image is None else resize_square(image)
        """
    else:
        body = """
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                return None
            return resize_square(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))  # OpenCV decodes to BGR
        """
    head = '''
        def decode(data):
            """Image file bytes -> a resized uint8 image, or None if OpenCV cannot decode them."""
    '''
    return _dedent(head) + "\n" + textwrap.indent(_dedent(body), "    ")


def _cap_per_class() -> str:
    return _dedent('''
        def cap_per_class(labels, rng):
            """Sorted indices of at most MAX_PER_CLASS random images of each class."""
            keep = [
                rng.permutation(np.flatnonzero(labels == label))[:MAX_PER_CLASS]
                for label in np.unique(labels)
            ]
            return np.sort(np.concatenate(keep))
    ''')


_CAP_FILES = """
    # At most MAX_PER_CLASS random files per class, picked before decoding.
    keep = cap_per_class(labels, np.random.default_rng([SEED, 1]))
    files, labels = [files[i] for i in keep], labels[keep]
"""


def _load_folder(config: ExperimentConfig) -> str:
    d = config.dataset
    if d.classes is None:
        classes = """
            class_names = sorted(
                d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")
            )
        """
    else:
        classes = "class_names = list(CLASSES)  # only these class folders, in this order"
    head = '''
        def load_images():
            """The images in DATA_PATH, one subfolder per class (files nested deeper count for it).

            Hidden files and folders are skipped, and so are files OpenCV cannot decode.
            """
            root = Path(DATA_PATH)
    '''
    body = """
        files, labels = [], []
        for label, name in enumerate(class_names):
            for path in sorted((root / name).rglob("*")):
                hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
                if path.is_file() and not hidden and path.suffix.lower() in IMAGE_EXTENSIONS:
                    files.append(path)
                    labels.append(label)
        labels = np.array(labels, np.int64)
    """
    decode = """
        images, kept = [], []
        for path, label in zip(files, labels):
            image = decode(path.read_bytes())
            if image is not None:
                images.append(image)
                kept.append(label)
        return np.stack(images), np.array(kept, np.int64), class_names
    """
    parts = [_dedent(classes), _dedent(body)]
    if d.max_per_class is not None:
        parts.append(_dedent(_CAP_FILES))
    parts.append(_dedent(decode))
    return _dedent(head) + "\n" + textwrap.indent("\n".join(parts), "    ")


def _load_zip(config: ExperimentConfig) -> str:
    d = config.dataset
    head = '''
        def load_images():
            """The images in the zip DATA_PATH: one folder per class, at the root of the zip or
            inside one top-level folder. Hidden files and files OpenCV cannot decode are skipped."""
            with zipfile.ZipFile(DATA_PATH) as archive:
                names = [
                    name
                    for name in archive.namelist()
                    if not name.endswith("/")
                    and not name.startswith("__MACOSX/")
                    and not any(part.startswith(".") for part in name.split("/"))
                ]
                parts = [name.split("/") for name in names]
                # A zipped folder holds its class folders inside one top-level folder: look inside it.
                if (
                    len({p[0] for p in parts}) == 1
                    and all(len(p) >= 2 for p in parts)
                    and any(len(p) >= 3 for p in parts)
                ):
                    parts = [p[1:] for p in parts]
    '''
    if d.classes is None:
        classes = "class_names = sorted({p[0] for p in parts if len(p) >= 2})"
    else:
        classes = "class_names = list(CLASSES)  # only these class folders, in this order"
    body = """
        files, labels = [], []
        for name, p in zip(names, parts):
            is_image = Path(name).suffix.lower() in IMAGE_EXTENSIONS
            if len(p) >= 2 and p[0] in class_names and is_image:
                files.append(name)
                labels.append(class_names.index(p[0]))
        labels = np.array(labels, np.int64)
    """
    decode = """
        images, kept = [], []
        for name, label in zip(files, labels):
            image = decode(archive.read(name))
            if image is not None:
                images.append(image)
                kept.append(label)
    """
    parts = [classes, _dedent(body)]
    if d.max_per_class is not None:
        parts.append(_dedent(_CAP_FILES))
    parts.append(_dedent(decode))
    tail = "    return np.stack(images), np.array(kept, np.int64), class_names"
    return _dedent(head) + "\n" + textwrap.indent("\n".join(parts), "        ") + "\n" + tail


def _load_arrays(config: ExperimentConfig) -> str:
    d = config.dataset
    if d.source == "digits":
        doc = "scikit-learn's 8x8 handwritten digits (pixel values 0..16), resized."
        load = """
            digits = load_digits()
            images = np.round(digits.images * (255 / 16)).astype(np.uint8)  # 0..16 -> 0..255
            labels = digits.target.astype(np.int64)
            class_names = [str(d) for d in range(10)]
        """
        native_channels = 1
    else:
        title = DATASETS[d.source].title.split(" (")[0]
        doc = (
            f"{title} from keras.datasets (downloaded into ~/.keras/datasets the first time).\n\n"
            "    Keras' train and test parts are pooled, then split like every other source."
        )
        load = f"""
            (x_a, y_a), (x_b, y_b) = keras.datasets.{d.source}.load_data()
            images = np.concatenate([x_a, x_b])
            labels = np.concatenate([y_a, y_b]).reshape(-1).astype(np.int64)  # cifar10's are (N, 1)
            class_names = {list(DATASETS[d.source].class_names or ())!r}
        """
        native_channels = 3 if d.source == "cifar10" else 1
    lines = [f'def load_images():\n    """{doc}"""']
    lines.append(textwrap.indent(_dedent(load), "    "))
    if d.classes is not None:
        lines.append(
            textwrap.indent(
                _dedent("""
                    # Keep only CLASSES, relabelled 0..k-1 in that order.
                    keep = np.isin(labels, [class_names.index(name) for name in CLASSES])
                    images = images[keep]
                    labels = np.array([CLASSES.index(class_names[i]) for i in labels[keep]], np.int64)
                    class_names = list(CLASSES)
                """),
                "    ",
            )
        )
    if d.max_per_class is not None:
        lines.append(
            textwrap.indent(
                _dedent("""
                    # At most MAX_PER_CLASS random images per class.
                    keep = cap_per_class(labels, np.random.default_rng([SEED, 1]))
                    images, labels = images[keep], labels[keep]
                """),
                "    ",
            )
        )
    lines.append("    images = np.stack([resize_square(image) for image in images])")
    if d.channels == 3 and native_channels == 1:
        lines.append("    images = np.repeat(images, 3, axis=-1)  # grey to RGB")
    elif d.channels == 1 and native_channels == 3:
        lines.append(
            "    gray = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in images]\n"
            "    images = np.stack(gray)[..., np.newaxis]  # RGB to grey"
        )
    lines.append("    return images, labels, class_names")
    return "\n".join(lines)


def _split(config: ExperimentConfig) -> str:
    if config.dataset.test_fraction > 0:
        n_test = "max(1, round(len(idx) * TEST_FRACTION))"
    else:
        n_test = "0  # TEST_FRACTION is 0: no test split"
    return _dedent(f'''
        def split(labels, rng):
            """Stratified split: shuffled index arrays (train, val, test). Each class gives
            VAL_FRACTION of its images to validation and TEST_FRACTION to test (at least one
            each), the rest to training."""
            train, val, test = [], [], []
            for label in np.unique(labels):
                idx = rng.permutation(np.flatnonzero(labels == label))
                n_val = max(1, round(len(idx) * VAL_FRACTION))
                n_test = {n_test}
                if len(idx) - n_val - n_test < 1:
                    raise ValueError(f"class {{label}} has {{len(idx)}} images: too few to split")
                val.append(idx[:n_val])
                test.append(idx[n_val : n_val + n_test])
                train.append(idx[n_val + n_test :])
            return [rng.permutation(np.concatenate(part)) for part in (train, val, test)]
    ''')


def _load_data() -> str:
    return _dedent('''
        def load_data():
            """((x_train, y_train), (x_val, y_val), (x_test, y_test), class_names).

            Images are uint8 arrays of shape (N, IMAGE_SIZE, IMAGE_SIZE, CHANNELS) in 0..255 (the
            model rescales them itself); labels are 0..k-1.
            """
            images, labels, class_names = load_images()
            train, val, test = split(labels, np.random.default_rng(SEED))
            return (
                (images[train], labels[train]),
                (images[val], labels[val]),
                (images[test], labels[test]),
                class_names,
            )
    ''')


# -- augmentation ------------------------------------------------------------------------------

#: Functions the ops' lines call, in the order the script defines them (`Code.helpers`).
_HELPERS = {
    "rotation_matrix": '''
        def rotation_matrix(degrees, h, w, new_h, new_w):
            """Rotate an h x w canvas counter-clockwise (on screen, y pointing down) about its
            centre, onto a new_h x new_w canvas, centre onto centre (like cv2.getRotationMatrix2D)."""
            cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
            cx, cy, ncx, ncy = (w - 1) / 2, (h - 1) / 2, (new_w - 1) / 2, (new_h - 1) / 2
            return np.array(
                [[cos, sin, ncx - cos * cx - sin * cy], [-sin, cos, ncy + sin * cx - cos * cy], [0, 0, 1]]
            )
    ''',
    "expanded_size": '''
        def expanded_size(h, w, degrees):
            """The canvas (h, w) that holds every pixel centre of an h x w image rotated by degrees."""
            c, s = abs(math.cos(math.radians(degrees))), abs(math.sin(math.radians(degrees)))
            # Round away float noise first, so that 90 degrees swaps the sides exactly.
            new_w = math.ceil(round((w - 1) * c + (h - 1) * s, 6)) + 1
            new_h = math.ceil(round((w - 1) * s + (h - 1) * c, 6)) + 1
            return new_h, new_w
    ''',
    "about_centre": '''
        def about_centre(a, h, w):
            """The 2x2 linear map a (scale, shear) about the centre of an h x w canvas, as 3x3."""
            a, centre = np.asarray(a, float), np.array([(w - 1) / 2, (h - 1) / 2])
            m = np.eye(3)
            m[:2, :2], m[:2, 2] = a, centre - a @ centre
            return m
    ''',
    "resize_matrix": '''
        def resize_matrix(w0, h0, w1, h1):
            """Stretch a w0 x h0 canvas onto w1 x h1, pixel edges onto pixel edges."""
            sx, sy = w1 / w0, h1 / h0
            return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]])
    ''',
    "resized_crop_window": '''
        def resized_crop_window(h, w, rng, scale_range, ratio_range):
            """(x, y, width, height) of a crop with a random share of the area and a random aspect
            ratio (torchvision's RandomResizedCrop): up to 10 tries, then the largest centred crop."""
            log_ratio = (math.log(ratio_range[0]), math.log(ratio_range[1]))
            for _ in range(10):
                area = h * w * rng.uniform(*scale_range)
                ratio = math.exp(rng.uniform(*log_ratio))
                cw, ch = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
                if 0 < cw <= w and 0 < ch <= h:
                    return rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1), cw, ch
            ratio = min(max(w / h, ratio_range[0]), ratio_range[1])
            cw, ch = (w, min(h, round(w / ratio))) if w / h < ratio else (min(w, round(h * ratio)), h)
            return (w - cw) // 2, (h - ch) // 2, cw, ch
    ''',
    "warp": '''
        def warp(image, m, h, w):
            """Apply the 3x3 pixel map m with one bilinear interpolation, onto an h x w canvas."""
            out = cv2.warpAffine(
                image, m[:2], (w, h), flags=cv2.INTER_LINEAR, borderMode=BORDER, borderValue=(FILL,) * 4
            )
            return out.reshape(h, w, -1)  # OpenCV drops a single channel axis
    ''',
    "LUMA": """
        # Luma weights (ITU-R BT.601) in RGB order: the grey of saturation, contrast and grayscale.
        LUMA = np.array([0.299, 0.587, 0.114])
    """,
    "GREY_ROWS": """
        GREY_ROWS = np.tile(LUMA, (3, 1))  # the colour matrix that replaces a pixel by its grey
    """,
    "colour_matrix": '''
        def colour_matrix(a, b=0.0):
            """The colour map pixel -> a @ pixel + b as a (CHANNELS + 1) square matrix, so that
            maps compose by matrix products."""
            m = np.eye(CHANNELS + 1)
            m[:CHANNELS, :CHANNELS], m[:CHANNELS, CHANNELS] = a, b
            return m
    ''',
    "hue_matrix": '''
        def hue_matrix(degrees):
            """Rotate colours about the grey axis, keeping luma (the W3C hue-rotate matrix)."""
            c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
            return np.array([
                [0.213 + 0.787 * c - 0.213 * s, 0.715 - 0.715 * c - 0.715 * s, 0.072 - 0.072 * c + 0.928 * s],
                [0.213 - 0.213 * c + 0.143 * s, 0.715 + 0.285 * c + 0.140 * s, 0.072 - 0.072 * c - 0.283 * s],
                [0.213 - 0.213 * c - 0.787 * s, 0.715 - 0.715 * c + 0.715 * s, 0.072 + 0.928 * c + 0.072 * s],
            ])
    ''',
}


def _augmentation(config: ExperimentConfig) -> str:
    """Helpers, augment(image, rng) and the batch generator; empty without augmentation.

    Each op writes its own lines (`OpBase.code`); this function only lays out the stages as
    `boost.augment.ops` fuses them.
    """
    ops = parse_spec(config.augmentation.ops)
    if not ops:
        return ""
    channels = config.dataset.channels
    geometry = [op for op in ops if op.stage == "geometry"]
    colour = [op for op in ops if op.stage == "colour"]
    pixel = [op for op in ops if op.stage == "pixel"]
    used_colour = [op for op in colour if channels == 3 or not op.rgb_only]

    helpers: set[str] = set()
    body: list[str] = []
    if geometry:
        geometry_lines, resizes = _geometry_code(geometry, channels, helpers)
        body += geometry_lines
        helpers.add("warp")
        if resizes:
            helpers.add("resize_matrix")
    if colour:
        body += _colour_code(colour, channels, helpers, after_geometry=bool(geometry))
        if used_colour:
            helpers.add("colour_matrix")
    if pixel:
        fresh = bool(geometry or used_colour)
        copy_first = not fresh and any(op.writes_in_place for op in pixel)
        body += _pixel_code(pixel, channels, helpers, copy_first=copy_first)
    body.append("return image")
    parts = [_dedent(text) for name, text in _HELPERS.items() if name in helpers]
    stages = []
    if geometry:
        stages.append("the geometric ops run as one warp")
    if used_colour:
        stages.append("the colour ops as one colour matrix")
    if pixel:
        stages.append(f"{_pixel_names(pixel)} in the spec's order")
    doc = [
        "def augment(image, rng):",
        '    """A random variant of one uint8 training image, drawn with the generator rng.',
        "",
        *textwrap.wrap(
            f"The ops, as in the run's spec: {_spec_summary(ops)}. As in Boost Lab, "
            + ", then ".join(stages)
            + ".",
            91,
            initial_indent="    ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        ),
        '    """',
    ]
    parts.append("\n".join(doc + _indent(body)))
    parts.append(_BATCHES)
    return "\n\n\n".join(parts)


def _op_lines(
    op: OpBase, channels: int, helpers: set[str], *, after_geometry: bool = False
) -> tuple[list[str], bool]:
    """One op's lines under its coin flip (unconditional when p is 1), and whether it resizes."""
    code = op.code(CodeContext(channels, after_geometry, depth=1 if op.p >= 1.0 else 2))
    helpers.update(code.helpers)
    if op.p >= 1.0:
        return [f"# {code.what}", *code.lines], code.resizes
    return [f"if rng.random() < {op.p!r}:  # {code.what}", *_indent(code.lines)], code.resizes


def _geometry_code(
    ops: list[OpBase], channels: int, helpers: set[str]
) -> tuple[list[str], bool]:
    out = [
        "# Geometry: each op multiplies one 3x3 matrix m that maps input pixel centres to output",
        "# pixel centres (centres at integer coordinates, as in OpenCV); one warp applies it all.",
        "h, w = image.shape[:2]",
        "m = np.eye(3)",
    ]
    resizes = False
    for i, op in enumerate(ops):
        lines, op_resizes = _op_lines(op, channels, helpers, after_geometry=i > 0)
        out += lines
        resizes = resizes or op_resizes
    if resizes:
        out += [
            "# Back to the training size, in the same warp.",
            "m = resize_matrix(w, h, IMAGE_SIZE, IMAGE_SIZE) @ m",
        ]
    out.append("image = warp(image, m, IMAGE_SIZE, IMAGE_SIZE)")
    return out, resizes


def _colour_code(
    ops: list[OpBase], channels: int, helpers: set[str], *, after_geometry: bool
) -> list[str]:
    used = [op for op in ops if channels == 3 or not op.rgb_only]
    out = [""] if after_geometry else []
    out += [
        f"# {op.name()}: no effect on one-channel images (Boost Lab skips it too)"
        for op in ops
        if op not in used
    ]
    if not used:
        return out
    out += [
        "# Colour: each op multiplies one colour matrix; one cv2.transform applies it all.",
        "colour = np.eye(CHANNELS + 1)",
    ]
    for op in used:
        out += _op_lines(op, channels, helpers)[0]
    out.append("image = cv2.transform(image, colour[:CHANNELS]).reshape(image.shape)")
    return out


def _pixel_names(ops: list[OpBase]) -> str:
    """'blur, noise and cutout': the pixel ops of a spec, once each, in order."""
    names = list(dict.fromkeys(op.name() for op in ops))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pixel_code(
    ops: list[OpBase], channels: int, helpers: set[str], *, copy_first: bool
) -> list[str]:
    out = ["", f"# Then {_pixel_names(ops)}, in the spec's order."]
    if copy_first:
        out.append("image = image.copy()  # cutout writes into it; never into the dataset")
    for op in ops:
        out += _op_lines(op, channels, helpers)[0]
    return out


_BATCHES = _dedent('''
    class AugmentedBatches(keras.utils.PyDataset):
        """Training batches: shuffled every epoch, every image augmented afresh."""

        def __init__(self, images, labels):
            super().__init__()
            self.images, self.labels = images, labels
            self.rng = np.random.default_rng(SEED)
            self.order = self.rng.permutation(len(images))

        def __len__(self):
            return math.ceil(len(self.images) / BATCH_SIZE)

        def __getitem__(self, index):
            batch = self.order[index * BATCH_SIZE : (index + 1) * BATCH_SIZE]
            return np.stack([augment(self.images[i], self.rng) for i in batch]), self.labels[batch]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(self.images))
''')


# -- model -------------------------------------------------------------------------------------


def _regularizer_line(config: ExperimentConfig) -> str | None:
    reg = config.regularization
    if reg.l1 and reg.l2:
        return "regularizer = keras.regularizers.L1L2(l1=L1, l2=L2)  # on every kernel (seed 4.3)"
    if reg.l1:
        return "regularizer = keras.regularizers.L1(L1)  # on every kernel (seed 4.3)"
    if reg.l2:
        return "regularizer = keras.regularizers.L2(L2)  # on every kernel (the seed's 4.3)"
    return None


def _model(config: ExperimentConfig) -> str:
    parts = [_seed_cnn(config) if config.model.arch == "seed_cnn" else _backbone_model(config)]
    if config.transfer.fine_tune_layers:
        parts.append(_unfreeze_top(config))
    return "\n\n\n".join(parts)


def _head(config: ExperimentConfig, x: str, regularized: bool) -> list[str]:
    """Lines of the head (the seed's 4.2 and 4.4 share it), from feature maps `x` to `outputs`."""
    m, reg = config.model, config.regularization
    if m.head == "flatten":
        lines = [f'x = keras.layers.Flatten(name="flatten")({x})']
    else:
        lines = [f'x = keras.layers.GlobalAveragePooling2D(name="pool")({x})']
    args = [str(_scaled(config, m.dense_units)), 'activation="relu"']
    if regularized:
        args.append("kernel_regularizer=regularizer")
    lines += _call("x = keras.layers.Dense", [*args, 'name="dense"'], "(x)")
    if reg.dropout:
        lines.append('x = keras.layers.Dropout(DROPOUT, name="dropout")(x)')
    # float32 output under mixed precision, so that the loss is computed stably.
    dtype = ['dtype="float32"'] if config.training.mixed_precision else []
    lead, tail = "outputs = keras.layers.Dense", "(x)"

    def sigmoid(depth: int) -> list[str]:
        return _call(
            lead, ["1", 'activation="sigmoid"', *dtype, 'name="output"'], tail, depth=depth
        )

    def softmax(depth: int) -> list[str]:
        args = ["num_classes", 'activation="softmax"', *dtype, 'name="output"']
        return _call(lead, args, tail, depth=depth)

    known = _known_classes(config)
    if known == 2:
        return [*lines, "# Two classes: one sigmoid unit (binary cross-entropy), as in the seed.",
                *sigmoid(1)]  # fmt: skip
    if known is not None:
        return lines + softmax(1)
    return [
        *lines,
        "if num_classes == 2:  # one sigmoid unit with binary cross-entropy, as in the seed",
        *_indent(sigmoid(2)),
        "else:",
        *_indent(softmax(2)),
    ]


def _seed_cnn(config: ExperimentConfig) -> str:
    m, t = config.model, config.transfer
    regularizer = _regularizer_line(config)
    lines = [
        "def build_model(num_classes):",
        '    """The seed document\'s CNN (its 4.2): three Conv + 2x2 max-pooling blocks, then the',
        f"    head: {'Flatten' if m.head == 'flatten' else 'global average pooling'}, Dense, "
        f'{"Dropout, " if config.regularization.dropout else ""}output."""',
    ]
    body: list[str] = []
    if regularizer:
        body.append(regularizer)
    body += [
        'inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, CHANNELS), name="image")',
        'x = keras.layers.Rescaling(1 / 255, name="rescale")(inputs)  # 0..255 -> 0..1',
    ]
    reg_arg = ["kernel_regularizer=regularizer"] if regularizer else []
    for i, filters in enumerate(SEED_CNN_FILTERS, start=1):
        activation = [] if m.batch_norm else ['activation="relu"']
        args = [str(_scaled(config, filters)), "(3, 3)", *activation, *reg_arg, f'name="conv{i}"']
        body += _call("x = keras.layers.Conv2D", args, "(x)")
        if m.batch_norm:
            body += [
                f'x = keras.layers.BatchNormalization(name="bn{i}")(x)',
                f'x = keras.layers.Activation("relu", name="relu{i}")(x)',
            ]
        body.append(f'x = keras.layers.MaxPooling2D((2, 2), name="pool{i}")(x)')
    body += _head(config, "x", bool(regularizer))
    if t.source_run is None:
        body.append('return keras.Model(inputs, outputs, name="seed_cnn")')
        return "\n".join(lines + _indent(body))
    body.append('model = keras.Model(inputs, outputs, name="seed_cnn")')
    kinds = ("conv", "bn") if m.batch_norm else ("conv",)
    features = ", ".join(f'"{kind}{i}"' for i in (1, 2, 3) for kind in kinds)
    body += [
        "# Transfer: the feature layers start from the source run's weights.",
        "source = keras.saving.load_model(SOURCE_MODEL, compile=False)",
        f"for name in ({features}):",
        "    model.get_layer(name).set_weights(source.get_layer(name).get_weights())",
    ]
    if t.freeze:
        body.append("    model.get_layer(name).trainable = False  # frozen: the head learns")
    body.append("return model")
    return "\n".join(lines + _indent(body))


def _backbone_model(config: ExperimentConfig) -> str:
    m, t, d = config.model, config.transfer, config.dataset
    backbone = BACKBONES[m.arch]
    cls, module, preprocessing = backbone.application, backbone.module, backbone.preprocessing
    size = t.input_size or d.image_size
    origin = {"none": "random initialisation", "imagenet": "ImageNet weights"}.get(
        t.weights, "the source run's weights"
    )
    regularizer = _regularizer_line(config)
    lines = [
        "def build_model(num_classes):",
        f'    """{cls}\'s convolutional part (keras.applications, {origin}) under a new head:',
        f"    {'Flatten' if m.head == 'flatten' else 'global average pooling'}, Dense, "
        f'{"Dropout, " if config.regularization.dropout else ""}output (the seed\'s 4.4)."""',
    ]
    body: list[str] = []
    if regularizer:
        body.append(regularizer)
    body.append('inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, CHANNELS), name="image")')
    x = "inputs"
    if d.channels == 1:
        body.append("# ImageNet backbones take colour images: repeat the grey channel.")
        body.append('x = keras.layers.Concatenate(name="grey_to_rgb")([inputs, inputs, inputs])')
        x = "x"
    if size != d.image_size:
        body.append(f'x = keras.layers.Resizing({size}, {size}, name="resize")({x})')
        x = "x"
    f32 = ', dtype="float32"' if config.training.mixed_precision else ""
    if preprocessing == "caffe":
        bias = ", ".join(_num(-v) for v in CAFFE_MEAN_BGR)
        body += [
            f"# {cls}'s preprocessing (keras.applications.{module}.preprocess_input): RGB to BGR,",
            "# minus the ImageNet mean colour, as a fixed 1x1 convolution (no Lambda layer).",
            "rgb_to_bgr = [[[[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]]]  # [0][0][in][out]",
            "x = keras.layers.Conv2D(",
            "    3,",
            "    1,",
            "    kernel_initializer=keras.initializers.Constant(rgb_to_bgr),",
            f"    bias_initializer=keras.initializers.Constant([{bias}]),",
            "    trainable=False,",
            *(['    dtype="float32",'] if f32 else []),
            f'    name="{m.arch}_preprocess",',
            f")({x})",
        ]
        x = "x"
    elif preprocessing == "tf":
        body += [
            f"# {cls}'s preprocessing (keras.applications.{module}.preprocess_input): "
            "0..255 to -1..1.",
            f'x = keras.layers.Rescaling(1 / 127.5, offset=-1{f32}, name="{m.arch}_preprocess")'
            f"({x})",
        ]
        x = "x"
    else:
        body.append(f"# {cls} rescales and normalises its 0..255 input itself.")
    weights = '"imagenet"' if t.weights == "imagenet" else "None"
    if t.weights == "imagenet":
        body.append("# ImageNet weights: downloaded into ~/.keras/models the first time.")
    body += _call(f"backbone = keras.applications.{cls}", [
        "include_top=False", f"weights={weights}", f"input_shape=({size}, {size}, 3)",
        'name="backbone"',
    ])  # fmt: skip
    if t.source_run is not None:
        body += [
            "# Transfer: the backbone starts from the source run's backbone weights.",
            "source = keras.saving.load_model(SOURCE_MODEL, compile=False)",
            'backbone.set_weights(source.get_layer("backbone").get_weights())',
        ]
    if t.enabled and t.freeze:
        body.append("backbone.trainable = False  # frozen: at first only the new head learns")
    if t.enabled:
        body.append(f"x = backbone({x}, training=False)  # batch norm keeps its learnt statistics")
    else:
        body.append(f"x = backbone({x})")
    body += _head(config, "x", bool(regularizer))
    body.append(f'return keras.Model(inputs, outputs, name="{m.arch}")')
    return "\n".join(lines + _indent(body))


def _unfreeze_top(config: ExperimentConfig) -> str:
    if config.model.arch == "seed_cnn":
        return _dedent('''
            def unfreeze_top(model):
                """Fine-tuning: the top FINE_TUNE_LAYERS convolutions train again (batch norm stays
                frozen)."""
                for name in ["conv1", "conv2", "conv3"][-FINE_TUNE_LAYERS:]:
                    model.get_layer(name).trainable = True
        ''')
    return _dedent('''
        def unfreeze_top(model):
            """Fine-tuning: the top FINE_TUNE_LAYERS layers with weights of the backbone train again.

            Batch normalisation stays frozen, in inference mode: small batches would ruin its
            statistics.
            """
            backbone = model.get_layer("backbone")
            backbone.trainable = True
            for layer in backbone.layers:
                layer.trainable = False
            frozen_kinds = (keras.layers.BatchNormalization, keras.layers.Normalization)
            candidates = [
                layer
                for layer in backbone.layers
                if layer.weights and not isinstance(layer, frozen_kinds)
            ]
            for layer in candidates[-FINE_TUNE_LAYERS:]:
                layer.trainable = True
    ''')


# -- optimiser and main ------------------------------------------------------------------------


def _uses_steps(config: ExperimentConfig) -> bool:
    """Whether the schedule needs the number of batches per epoch."""
    return config.optimizer.schedule in ("cosine", "step")


def _optimizer(config: ExperimentConfig) -> str:
    o = config.optimizer
    args = ["learning_rate=learning_rate" if not _uses_steps(config) else "learning_rate=schedule"]
    if o.name == "sgd":
        args.append("momentum=MOMENTUM")
    if o.name == "adamw":
        args.append("weight_decay=WEIGHT_DECAY")
    ret = f"return keras.optimizers.{_OPTIMIZER_CODE[o.name]}({', '.join(args)})"
    if o.schedule == "cosine":
        return _dedent(f'''
            def make_optimizer(learning_rate, epochs, steps_per_epoch):
                """{_OPTIMIZER_CODE[o.name]}; the learning rate decays along a cosine to 0 over the epochs."""
                schedule = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * steps_per_epoch)
                {ret}
        ''')
    if o.schedule == "step":
        return _dedent(f'''
            def make_optimizer(learning_rate, epochs, steps_per_epoch):
                """{_OPTIMIZER_CODE[o.name]}; the learning rate drops by STEP_FACTOR every STEP_EVERY epochs."""
                schedule = keras.optimizers.schedules.ExponentialDecay(
                    learning_rate,
                    decay_steps=STEP_EVERY * steps_per_epoch,
                    decay_rate=STEP_FACTOR,
                    staircase=True,
                )
                {ret}
        ''')
    what = (
        "constant learning rate" if o.schedule == "constant" else "see ReduceLROnPlateau in main()"
    )
    return _dedent(f'''
        def make_optimizer(learning_rate):
            """{_OPTIMIZER_CODE[o.name]} ({what})."""
            {ret}
    ''')


def _main(config: ExperimentConfig) -> str:
    t, tr, o = config.transfer, config.training, config.optimizer
    aug = config.augmentation.enabled
    lines = [
        "def main():",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        '    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs to train")',
        "    args = parser.parse_args()",
        "",
    ]
    body = ["keras.utils.set_random_seed(SEED)  # Python, NumPy and the backend: repeatable runs"]
    if tr.mixed_precision:
        body.append('keras.mixed_precision.set_global_policy("mixed_float16")  # GPUs only')
    body += [
        "(x_train, y_train), (x_val, y_val), (x_test, y_test), class_names = load_data()",
        'print(f"{len(x_train)} training, {len(x_val)} validation, {len(x_test)} test images; "',
        '      f"classes {class_names}")',
        "",
        "model = build_model(len(class_names))",
        'print(f"params: {model.count_params()}")',
    ]
    known = _known_classes(config)
    if known is None:
        body.append(
            'loss = "binary_crossentropy" if len(class_names) == 2 else '
            '"sparse_categorical_crossentropy"'
        )
    elif known == 2:
        body.append('loss = "binary_crossentropy"  # labels 0/1 against one sigmoid unit')
    else:
        body.append('loss = "sparse_categorical_crossentropy"  # integer labels, softmax output')
    if aug:
        body.append("train_batches = AugmentedBatches(x_train, y_train)")
    if _uses_steps(config):
        body.append("steps_per_epoch = math.ceil(len(x_train) / BATCH_SIZE)")
    callbacks = []
    if o.schedule == "reduce_on_plateau":
        callbacks.append(
            'keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=PLATEAU_FACTOR, '
            "patience=PLATEAU_PATIENCE)"
        )
    if tr.early_stopping_patience:
        callbacks.append(
            'keras.callbacks.EarlyStopping(monitor="val_loss", patience=EARLY_STOPPING_PATIENCE)'
        )
    if callbacks:
        body += ["callbacks = [", *(f"    {c}," for c in callbacks), "]"]

    data = ["train_batches"] if aug else ["x_train", "y_train", "batch_size=BATCH_SIZE"]
    fit_tail = ["validation_data=(x_val, y_val)"]
    if callbacks:
        fit_tail.append("callbacks=callbacks")
    fit_tail.append("verbose=2")

    def compile_(lr: str, epochs: str, depth: int = 1) -> list[str]:
        args = [lr, epochs, "steps_per_epoch"] if _uses_steps(config) else [lr]
        return [
            *_call("optimizer = make_optimizer", args, depth=depth),
            'model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])',
        ]

    body.append("")
    if t.fine_tune_layers:
        body += ["# Phase 1: the head learns on frozen feature layers.",
                 "first_epochs = min(FINE_TUNE_AFTER, args.epochs)"]  # fmt: skip
        body += compile_("LEARNING_RATE", "first_epochs")
        body += _call("model.fit", [*data, "epochs=first_epochs", *fit_tail])
        stop = " and not model.stop_training" if tr.early_stopping_patience else ""
        phase2 = ["unfreeze_top(model)"]
        phase2 += compile_(
            "LEARNING_RATE * FINE_TUNE_LR_FACTOR", "args.epochs - FINE_TUNE_AFTER", depth=2
        )
        phase2 += _call("model.fit", [
            *data, "initial_epoch=FINE_TUNE_AFTER", "epochs=args.epochs", *fit_tail,
        ], depth=2)  # fmt: skip
        body += [
            "# Phase 2: the top FINE_TUNE_LAYERS feature layers fine-tune too, at a lower rate.",
            f"if args.epochs > FINE_TUNE_AFTER{stop}:",
            *_indent(phase2),
        ]
    else:
        body += compile_("LEARNING_RATE", "args.epochs")
        body += _call("model.fit", [*data, "epochs=args.epochs", *fit_tail])
    body.append("")
    if config.dataset.test_fraction > 0:
        body += [
            "test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, verbose=0)",
            'print(f"test accuracy: {test_accuracy:.4f} (test loss {test_loss:.4f})")',
        ]
    else:
        body += [
            "# TEST_FRACTION is 0: there is no test split, so this is the validation accuracy.",
            "val_loss, val_accuracy = model.evaluate(x_val, y_val, batch_size=BATCH_SIZE, verbose=0)",
            'print(f"validation accuracy: {val_accuracy:.4f} (validation loss {val_loss:.4f})")',
        ]
    return "\n".join(lines + _indent(body))
