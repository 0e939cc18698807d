"""Show code: a standalone Keras script that reproduces a run.

`standalone_script(config)` writes a runnable Python file that a teacher can hand to students.
It uses only Keras, OpenCV and NumPy (plus scikit-learn's `load_digits` for the digits), never
boost, and mirrors what Boost Lab does: the same loading, resizing and stratified split; the
configured augmentation ops only, with the matrices of `boost.augment.ops` (geometry as one
affine warp, colour as one 3x4 matrix); the network written out layer by layer; the optimiser,
schedule and two-phase fine-tuning of `boost.training`.

The script's fixed code lives in templates (`templates/*.py.jinja`: the data loaders, the
augmentation helpers and batch generator, the optimiser); each augmentation op writes its own
lines (`OpBase.code`); the facts (datasets, backbones, the seed CNN's widths) come from
`boost.catalog`; the network and `main()` are laid out here, line by line, because their line
breaks depend on the settings. Nothing here imports TensorFlow or Keras, because the
Streamlit process imports this module.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any

import jinja2

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

#: The script's fixed code, with the run's choices filled in (`templates/*.py.jinja`). It is
#: Python source, not HTML: nothing is escaped, and every value from the config goes in as a
#: Python literal (`repr`) made here, never as raw text.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)


def _render(template: str, **context: Any) -> str:
    return _TEMPLATES.get_template(template).render(**context).strip("\n")



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
    """resize_square, decode and cap_per_class where needed, load_images, split, load_data."""
    d = config.dataset
    facts = DATASETS[d.source]
    return _render(
        "data.py.jinja",
        source=d.source,
        channels=d.channels,
        classes=d.classes is not None,
        max_per_class=d.max_per_class is not None,
        test_split=d.test_fraction > 0,
        title=facts.title.split(" (")[0],
        class_names=repr(list(facts.class_names or ())),
        native_channels=3 if facts.colour == "rgb" else 1,
    )


# -- augmentation ------------------------------------------------------------------------------

def _augmentation(config: ExperimentConfig) -> str:
    """Helpers, augment(image, rng) and the batch generator; empty without augmentation.

    Each op writes its own lines (`OpBase.code`) and names the helpers they call; this
    function lays out the stages as `boost.augment.ops` fuses them, and the template
    (`templates/augment.py.jinja`) holds the helpers and the batch generator.
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
    augment = "\n".join(doc + _indent(body))
    return _render("augment.py.jinja", helpers=helpers, augment=augment)


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
    return _render("optimizer.py.jinja", name=_OPTIMIZER_CODE[o.name], schedule=o.schedule,
                   args=args)  # fmt: skip


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
