"""Datasets: the built-in digits, Keras datasets, folders and zips of class folders.

Every source ends the same way: uint8 images of one square size and colour mode, int64 labels
0..K-1, and one stratified, seeded train/validation/test split. What was skipped on the way
(non-images, corrupt files) is counted in a `DatasetReport` instead of failing the load.

TensorFlow is imported only inside the Keras-dataset loader: the Streamlit process imports this
module and must never load it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from boost.catalog import DATASETS
from boost.config import DatasetConfig
from boost.data.archive import ArchiveError, iter_zip_files, list_zip_files
from boost.data.images import (
    IMAGE_EXTENSIONS,
    ImageDecodeError,
    ImageTooLargeError,
    decode_image,
    resize_square,
)

ProgressFn = Callable[[float, str], None]

NOT_AN_IMAGE = "not an image file"
UNREADABLE = "could not read"
UNDECODABLE = "could not decode"
TOO_LARGE = "too large"

_MAX_EXAMPLES = 5
_PROGRESS_INTERVAL_S = 0.05
# A stream for subsampling that is independent of the split's stream for the same seed.
_SUBSAMPLE_STREAM = 1
_IMBALANCE_RATIO = 10

_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
#: Per Keras dataset: (download URL, path under the Keras datasets cache) of each file that
#: `keras.datasets.<name>.load_data()` looks for (keras/src/datasets/*.py, Keras 3).
_KERAS_FILES: dict[str, list[tuple[str, str]]] = {
    "mnist": [(_KERAS_ORIGIN + "mnist.npz", "mnist.npz")],
    "fashion_mnist": [(_KERAS_ORIGIN + f, f"fashion-mnist/{f}") for f in _FASHION_FILES],
    # Keras stores the downloaded tar.gz under this name and extracts it next to it.
    "cifar10": [
        (
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            "cifar-10-batches-py-target_archive",
        )
    ],
}

class DatasetError(ValueError):
    """A dataset that cannot be loaded. The message names the path or class and what to do."""


@dataclass
class DatasetReport:
    """What a load found and what it skipped, for the person who supplied the data."""

    class_names: list[str]
    #: Images loaded per class (after `max_per_class`).
    counts: dict[str, int] = field(default_factory=dict)
    #: Files skipped per reason ("not an image file", "could not decode", ...).
    skipped: dict[str, int] = field(default_factory=dict)
    #: A few skipped file names per reason.
    skipped_examples: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str, name: str) -> None:
        """Count one skipped file."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        examples = self.skipped_examples.setdefault(reason, [])
        if len(examples) < _MAX_EXAMPLES:
            examples.append(name)

    def summary(self) -> str:
        """One line on what was loaded, a second on what was skipped (if anything was)."""
        total = sum(self.counts.values())
        line = f"{total:,} images in {len(self.class_names)} classes"
        if self.counts:
            lo, hi = min(self.counts.values()), max(self.counts.values())
            line += f" ({lo:,} per class)." if lo == hi else f" ({lo:,} to {hi:,} per class)."
        return f"{line}\n{self.skipped_line()}" if self.skipped else line

    def skipped_line(self) -> str:
        """'Skipped N files: ...' with the count and a few names per reason."""
        parts = [
            f"{n:,} {reason} (e.g. {', '.join(self.skipped_examples.get(reason, []))})"
            for reason, n in self.skipped.items()
        ]
        return f"Skipped {sum(self.skipped.values()):,} files: {'; '.join(parts)}."


@dataclass
class Dataset:
    """Split images (uint8, N x S x S x C) and int64 labels 0..K-1."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    report: DatasetReport

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        h, w, c = self.x_train.shape[1:]
        return h, w, c


def split_stratified(
    y: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split indices per class into train, validation and test.

    Each class gives about `val_fraction` (and `test_fraction`) of its images, and at least
    one to validation (and to test when `test_fraction > 0`) and one to training.

    Returns:
        (train_idx, val_idx, test_idx): disjoint int64 arrays covering range(len(y)), each in
        a shuffled order that depends only on `seed`.

    Raises:
        DatasetError: a class has too few images for that, naming it and its count.
    """
    rng = np.random.default_rng(seed)
    need = 2 + (test_fraction > 0)
    train_parts: list[np.ndarray] = []
    val_parts: list[np.ndarray] = []
    test_parts: list[np.ndarray] = []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n = len(idx)
        if n < need:
            name = class_names[label] if class_names is not None else str(label)
            uses = "training, validation and test" if need == 3 else "training and validation"
            raise DatasetError(
                f"class {name!r} has {n} image(s); each class needs at least {need} (one each "
                f"for {uses}). Add images to it or remove the class."
            )
        n_val = max(1, round(n * val_fraction))
        n_test = max(1, round(n * test_fraction)) if test_fraction > 0 else 0
        # Rounding up small classes can leave nothing to train on: give back from the larger.
        while n - n_val - n_test < 1:
            if n_val >= n_test:
                n_val -= 1
            else:
                n_test -= 1
        val_parts.append(idx[:n_val])
        test_parts.append(idx[n_val : n_val + n_test])
        train_parts.append(idx[n_val + n_test :])
    train, val, test = (
        rng.permutation(np.concatenate(p)).astype(np.int64) if p else np.empty(0, np.int64)
        for p in (train_parts, val_parts, test_parts)
    )
    return train, val, test


def load_dataset(cfg: DatasetConfig, seed: int, progress: ProgressFn | None = None) -> Dataset:
    """Load, resize and split the dataset a config describes.

    Sources:
        digits: scikit-learn's bundled 8x8 handwritten digits, offline.
        mnist, fashion_mnist, cifar10: `keras.datasets.<name>.load_data()`, downloaded once
            into the Keras cache. Keras' own train and test parts are pooled and split like
            every other source, so that all sources share one split rule and seed.
        folder: one subfolder per class (files nested deeper count for that class).
        zip: the same layout in a zip, at its root or inside one top-level folder.

    `max_per_class` keeps a seeded random subset of each class before splitting (for folders
    and zips it picks files before decoding, so a corrupt pick leaves the class one short).

    Args:
        cfg: the dataset section of an experiment config.
        seed: seeds the subset and the split; the same seed gives the same arrays.
        progress: called as progress(fraction, message) while decoding, at most ~20 times a
            second, and once with 1.0 at the end.

    Raises:
        DatasetError: the data cannot be loaded or split; the message says what to do.
    """
    tick = _Throttle(progress)
    rng = np.random.default_rng([seed, _SUBSAMPLE_STREAM])
    if cfg.source in ("folder", "zip"):
        x, y, class_names, report = _load_files(cfg, rng, tick)
    else:
        if cfg.source == "digits":
            images, labels, class_names = _digits()
        else:
            tick(0.0, f"Loading {cfg.source} (downloaded into the Keras cache once)", force=True)
            images, labels, class_names = _keras(cfg.source)
        if cfg.classes is not None:
            images, labels, class_names = _select_classes(images, labels, class_names, cfg.classes)
        keep = _cap_per_class(labels, cfg.max_per_class, rng)
        x, y = _prepare(images[keep], cfg, tick), labels[keep].astype(np.int64)
        report = DatasetReport(class_names)
    report.counts = {name: int(np.sum(y == i)) for i, name in enumerate(class_names)}
    _warn_imbalance(report)
    train, val, test = split_stratified(y, cfg.val_fraction, cfg.test_fraction, seed, class_names)
    tick(1.0, f"Loaded {len(y):,} images", force=True)
    return Dataset(x[train], y[train], x[val], y[val], x[test], y[test], list(class_names), report)


def keras_cache_paths(source: str) -> list[Path]:
    """Where Keras looks for (and downloads) the files of a Keras dataset.

    That is `$KERAS_HOME/datasets/` or `~/.keras/datasets/`, resolved as Keras does; does not
    import Keras.
    """
    cache = _keras_datasets_dir()
    return [cache / rel for _, rel in _KERAS_FILES[source]]


# -- built-in and Keras arrays -------------------------------------------------------


def _digits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_digits  # only this source needs scikit-learn

    bunch = load_digits()
    # Pixel values are 0..16.
    images = np.round(bunch.images * (255 / 16)).astype(np.uint8)
    return images, bunch.target.astype(np.int64), list(DATASETS["digits"].class_names or ())


def _keras(source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    import keras  # lazy: importing Keras loads TensorFlow (seconds, hundreds of MB)

    try:
        (x_a, y_a), (x_b, y_b) = getattr(keras.datasets, source).load_data()
    except Exception as exc:  # get_file raises bare Exception for network failures
        cache = _keras_datasets_dir()
        missing = [(url, cache / rel) for url, rel in _KERAS_FILES[source]]
        missing = [(url, path) for url, path in missing if not path.exists()]
        if missing:
            places = "; ".join(f"download {url} and save it as {path}" for url, path in missing)
            raise DatasetError(
                f"could not download the {source} dataset ({exc}). Without internet access, "
                f"{places}."
            ) from exc
        raise DatasetError(
            f"could not read the cached {source} files in {cache} ({exc}); "
            "delete them to download again, or replace them with good copies."
        ) from exc
    images = np.concatenate([x_a, x_b])
    # cifar10 labels come as (N, 1).
    labels = np.concatenate([y_a, y_b]).reshape(-1).astype(np.int64)
    return images, labels, list(DATASETS[source].class_names or ())


def _keras_datasets_dir() -> Path:
    """Keras' dataset cache, resolved like keras.utils.get_file does."""
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        # Keras fixed its home when it was imported; later changes to KERAS_HOME do not count.
        home = config.keras_home()
    elif "KERAS_HOME" in os.environ:
        home = os.environ["KERAS_HOME"]
    else:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    home = os.path.expanduser(home)
    # get_file falls back to /tmp/.keras when the home is not writable.
    if os.path.exists(home) and not os.access(home, os.W_OK):
        home = "/tmp/.keras"
    return Path(home) / "datasets"


def _prepare(images: np.ndarray, cfg: DatasetConfig, tick: _Throttle) -> np.ndarray:
    """N x H x W (x C) uint8 -> N x S x S x C in the config's colour mode."""
    if images.ndim == 3:
        images = images[..., np.newaxis]
    size, n = cfg.image_size, len(images)
    out = np.empty((n, size, size, images.shape[-1]), np.uint8)
    for i, img in enumerate(images):
        out[i] = resize_square(img, size)
        tick((i + 1) / n, f"Resizing images: {i + 1:,}/{n:,}")
    if cfg.channels == 3 and out.shape[-1] == 1:
        out = np.repeat(out, 3, axis=-1)
    elif cfg.channels == 1 and out.shape[-1] == 3:
        # One cvtColor call over all images, seen as one tall image.
        gray = cv2.cvtColor(out.reshape(n * size, size, 3), cv2.COLOR_RGB2GRAY)
        out = gray.reshape(n, size, size, 1)
    return out


def _select_classes(
    images: np.ndarray, labels: np.ndarray, class_names: list[str], wanted: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Keep the `wanted` classes, relabelled 0..k-1 in the order given."""
    missing = [w for w in wanted if w not in class_names]
    if missing:
        raise DatasetError(
            f"dataset.classes: no class {', '.join(map(repr, missing))}; the classes are "
            f"{', '.join(map(repr, class_names))}"
        )
    old = np.array([class_names.index(w) for w in wanted])
    keep = np.isin(labels, old)
    relabel = np.full(len(class_names), -1, np.int64)
    relabel[old] = np.arange(len(wanted))
    return images[keep], relabel[labels[keep]], list(wanted)


def _cap_per_class(
    labels: np.ndarray, max_per_class: int | None, rng: np.random.Generator
) -> np.ndarray:
    """Sorted indices of a seeded random subset of at most max_per_class per label."""
    if max_per_class is None or len(labels) == 0:
        return np.arange(len(labels))
    keep = [
        rng.permutation(np.flatnonzero(labels == label))[:max_per_class]
        for label in np.unique(labels)
    ]
    return np.sort(np.concatenate(keep))


def _warn_imbalance(report: DatasetReport) -> None:
    lo = min(report.counts, key=report.counts.__getitem__)
    hi = max(report.counts, key=report.counts.__getitem__)
    if report.counts[hi] >= _IMBALANCE_RATIO * report.counts[lo]:
        report.warnings.append(
            f"classes are imbalanced: {hi!r} has {report.counts[hi]:,} images, {lo!r} has "
            f"{report.counts[lo]:,}; accuracy alone can mislead."
        )


# -- folders and zips ----------------------------------------------------------------


@dataclass
class _Layout:
    """Files found in class folders, before decoding."""

    class_names: list[str]
    files: list[tuple[int, str]]  # (label, path relative to the root, '/'-separated)
    root_files: int  # files outside any class folder, ignored


def _image_files(
    cfg: DatasetConfig,
) -> tuple[Path, _Layout, list[tuple[int, str]], DatasetReport]:
    """The class folders of a folder or zip and its image files, from the listing alone.

    Returns (root, layout, [(label, name)] of image files, report with the non-image skips).
    """
    assert cfg.path is not None  # DatasetConfig requires it for these sources
    path = Path(cfg.path).expanduser()
    layout = _folder_layout(path) if cfg.source == "folder" else _zip_layout(path)
    if cfg.classes is not None:  # before decoding: other classes' files are never read
        idx, labels, names = _select_classes(
            np.arange(len(layout.files)), np.array([lb for lb, _ in layout.files], np.int64),
            layout.class_names, cfg.classes,
        )  # fmt: skip
        files = [(int(lb), layout.files[i][1]) for i, lb in zip(idx, labels, strict=True)]
        layout = _Layout(names, files, layout.root_files)
    report = DatasetReport(layout.class_names)
    if layout.root_files:
        report.warnings.append(
            f"ignored {layout.root_files:,} file(s) outside the class folders; images must be "
            "inside one subfolder per class."
        )
    images = []
    for label, name in layout.files:
        if Path(name).suffix.lower().lstrip(".") in IMAGE_EXTENSIONS:
            images.append((label, name))
        else:
            report.skip(NOT_AN_IMAGE, name)
    return path, layout, images, report


def _read_files(
    cfg: DatasetConfig, path: Path, chosen: list[tuple[int, str]], report: DatasetReport
) -> Iterator[tuple[int, str, bytes]]:
    if cfg.source == "folder":
        return _read_folder_files(path, chosen, report)
    return _read_zip_files(path, chosen)


def _load_files(
    cfg: DatasetConfig, rng: np.random.Generator, tick: _Throttle
) -> tuple[np.ndarray, np.ndarray, list[str], DatasetReport]:
    path, layout, images, report = _image_files(cfg)
    labels = np.array([label for label, _ in images], np.int64)
    chosen = [images[i] for i in _cap_per_class(labels, cfg.max_per_class, rng)]

    xs: list[np.ndarray] = []
    ys: list[int] = []
    mode = cfg.resolved_color_mode()
    for i, (label, name, data) in enumerate(_read_files(cfg, path, chosen, report)):
        img = _decode(data, name, mode, report)
        if img is not None:
            xs.append(resize_square(img, cfg.image_size))
            ys.append(label)
        tick((i + 1) / len(chosen), f"Decoding images: {i + 1:,}/{len(chosen):,}")

    y = np.array(ys, np.int64)
    empty = [name for i, name in enumerate(layout.class_names) if not np.any(y == i)]
    if empty:
        raise DatasetError(
            f"no decodable image in class folder(s) {', '.join(repr(n) for n in empty)} of "
            f"{path.name}. Supported files: {', '.join(sorted(IMAGE_EXTENSIONS))}."
            + (f"\n{report.skipped_line()}" if report.skipped else "")
        )
    return np.stack(xs), y, layout.class_names, report


def _decode(data: bytes, name: str, mode: str, report: DatasetReport) -> np.ndarray | None:
    """The decoded image, or None with the skip counted in `report`."""
    try:
        return decode_image(data, color_mode=mode, name=name)
    except ImageTooLargeError:
        report.skip(TOO_LARGE, name)
    except ImageDecodeError:
        report.skip(UNDECODABLE, name)
    return None


@dataclass
class DatasetPreview:
    """A folder or zip dataset as the dashboard shows it before a run, from a few images.

    `report.counts` are the image files per class in the listing (before `max_per_class`);
    `report.skipped` holds the non-image files and any sampled file that did not decode.
    Undecodable files among those not sampled are found, and reported, when a run loads
    the data.
    """

    report: DatasetReport
    #: (class name, image) pairs: a few decoded images per class, at the config's image size.
    thumbnails: list[tuple[str, np.ndarray]]
    #: Files decoded to make the thumbnails.
    sampled: int
    #: Classes shown with thumbnails (the first ones, when there are many).
    classes_shown: int


#: Thumbnails per class, and classes with thumbnails, in a dataset preview.
PREVIEW_PER_CLASS = 4
PREVIEW_MAX_CLASSES = 12


def preview_dataset(
    cfg: DatasetConfig,
    *,
    per_class: int = PREVIEW_PER_CLASS,
    max_classes: int = PREVIEW_MAX_CLASSES,
) -> DatasetPreview:
    """Classes, image counts and a few thumbnails of a folder or zip, decoding almost nothing.

    The listing gives the classes and counts; only up to `per_class` images of each of the
    first `max_classes` classes are read and decoded (the first ones in name order; a file
    that does not decode is replaced by the next, at most `per_class` times). So memory and
    time depend on those few files, not on the size of the dataset: this is what the
    dashboard process may run on an upload.

    Raises:
        DatasetError: as `load_dataset` for an unreadable archive or folder, no class folders,
            a single class, or unknown `classes`.
        ValueError: the source is not 'folder' or 'zip'.
    """
    if cfg.source not in ("folder", "zip"):
        raise ValueError(f"a preview reads folders and zips; got source {cfg.source!r}")
    path, layout, images, report = _image_files(cfg)
    report.counts = {name: 0 for name in layout.class_names}
    by_class: dict[int, list[str]] = {}
    for label, name in images:
        report.counts[layout.class_names[label]] += 1
        by_class.setdefault(label, []).append(name)
    empty = [name for name, n in report.counts.items() if n == 0]
    if empty:  # load_dataset would fail on these too: say so before a run is launched
        raise DatasetError(
            f"no image file in class folder(s) {', '.join(repr(n) for n in empty)} of "
            f"{path.name}. Supported files: {', '.join(sorted(IMAGE_EXTENSIONS))}."
            + (f"\n{report.skipped_line()}" if report.skipped else "")
        )
    _warn_imbalance(report)
    shown = min(len(layout.class_names), max_classes)
    names = [sorted(by_class.get(label, [])) for label in range(shown)]
    thumbs: dict[int, list[np.ndarray]] = {label: [] for label in range(shown)}
    sampled = 0
    mode = cfg.resolved_color_mode()
    # Two passes at most: the first `per_class` files of each class, then as many again for
    # the classes where some of those did not decode.
    for first in (0, per_class):
        wanted = [(label, name) for label in range(shown) if len(thumbs[label]) < per_class
                  for name in names[label][first : first + per_class - len(thumbs[label])]]  # fmt: skip
        for label, name, data in _read_files(cfg, path, wanted, report):
            sampled += 1
            img = _decode(data, name, mode, report)
            if img is not None:
                thumbs[label].append(resize_square(img, cfg.image_size))
    broken = [layout.class_names[label] for label, imgs in thumbs.items() if not imgs]
    if broken:
        report.warnings.append(
            f"none of the files tried in class folder(s) {', '.join(map(repr, broken))} "
            "decodes; a run fails unless some of the others do."
        )
    return DatasetPreview(
        report,
        [(layout.class_names[label], img) for label, imgs in thumbs.items() for img in imgs],
        sampled,
        shown,
    )


def _check_classes(class_names: list[str], where: str) -> None:
    if not class_names:
        raise DatasetError(
            f"{where} has no class folders: expected one subfolder per class, "
            "e.g. cats/, dogs/, each holding that class's images."
        )
    if len(class_names) == 1:
        raise DatasetError(
            f"{where} has only one class folder ({class_names[0]!r}); a classifier needs at "
            "least two, e.g. cats/, dogs/."
        )


def _folder_layout(root: Path) -> _Layout:
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise DatasetError(f"cannot read folder {str(root)!r}: {exc.strerror}") from None
    class_dirs = [e for e in entries if e.is_dir() and not e.name.startswith(".")]
    root_files = sum(1 for e in entries if e.is_file() and not e.name.startswith("."))
    class_names = [d.name for d in class_dirs]
    _check_classes(class_names, f"folder {str(root)!r}")
    files = []
    for label, class_dir in enumerate(class_dirs):
        for dirpath, dirnames, filenames in os.walk(class_dir):
            # Prune hidden folders in place so that os.walk does not descend into them.
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fname in sorted(filenames):
                if not fname.startswith("."):
                    files.append((label, Path(dirpath, fname).relative_to(root).as_posix()))
    return _Layout(class_names, files, root_files)


def _zip_layout(path: Path) -> _Layout:
    try:
        names = list_zip_files(path)
    except ArchiveError as exc:
        raise DatasetError(f"{path.name}: {exc}") from None
    parts = [name.split("/") for name in names]
    # A zipped folder holds its class folders inside one top-level folder: look inside it.
    tops = {p[0] for p in parts}
    prefix = ""
    if len(tops) == 1 and all(len(p) >= 2 for p in parts) and any(len(p) >= 3 for p in parts):
        prefix = parts[0][0] + "/"
        parts = [p[1:] for p in parts]
    class_names = sorted({p[0] for p in parts if len(p) >= 2})
    _check_classes(class_names, f"zip {path.name!r}")
    label_of = {name: i for i, name in enumerate(class_names)}
    files = [(label_of[p[0]], prefix + "/".join(p)) for p in parts if len(p) >= 2]
    return _Layout(class_names, files, sum(1 for p in parts if len(p) == 1))


def _read_folder_files(
    root: Path, chosen: list[tuple[int, str]], report: DatasetReport
) -> Iterator[tuple[int, str, bytes]]:
    for label, name in chosen:
        try:
            data = (root / name).read_bytes()
        except OSError:
            report.skip(UNREADABLE, name)
            continue
        yield label, name, data


def _read_zip_files(path: Path, chosen: list[tuple[int, str]]) -> Iterator[tuple[int, str, bytes]]:
    label_of = {name: label for label, name in chosen}
    try:
        for name, data in iter_zip_files(path, names=label_of.keys()):
            yield label_of[name], name, data
    except ArchiveError as exc:
        raise DatasetError(f"{path.name}: {exc}") from None


class _Throttle:
    """Forwards progress at most every _PROGRESS_INTERVAL_S seconds (Streamlit redraws cost)."""

    def __init__(self, fn: ProgressFn | None):
        self._fn = fn
        self._last = -np.inf

    def __call__(self, fraction: float, message: str, *, force: bool = False) -> None:
        if self._fn is None:
            return
        now = time.monotonic()
        if force or now - self._last >= _PROGRESS_INTERVAL_S:
            self._last = now
            self._fn(fraction, message)
