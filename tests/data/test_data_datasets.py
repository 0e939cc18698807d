"""load_dataset and split_stratified: digits, Keras (offline), folders and zips, bad input."""

from __future__ import annotations

import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from boost.config import DatasetConfig
from boost.data import Dataset, DatasetError, keras_cache_paths, load_dataset, split_stratified

# -- split -----------------------------------------------------------------------------


def test_split_is_deterministic_disjoint_and_complete():
    y = np.repeat(np.arange(4), [50, 30, 20, 100])
    a = split_stratified(y, 0.2, 0.1, seed=3)
    b = split_stratified(y, 0.2, 0.1, seed=3)
    c = split_stratified(y, 0.2, 0.1, seed=4)
    for x1, x2 in zip(a, b, strict=True):
        np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(a[1], c[1])
    train, val, test = a
    assert all(part.dtype == np.int64 for part in a)
    assert np.array_equal(np.sort(np.concatenate(a)), np.arange(len(y)))  # disjoint and complete


def test_split_is_stratified():
    y = np.repeat(np.arange(3), [100, 40, 10])
    train, val, test = split_stratified(y, 0.2, 0.3, seed=0)
    assert np.bincount(y[val]).tolist() == [20, 8, 2]
    assert np.bincount(y[test]).tolist() == [30, 12, 3]
    assert np.bincount(y[train]).tolist() == [50, 20, 5]


def test_small_classes_get_one_validation_and_test_image():
    y = np.repeat(np.arange(2), [3, 4])
    train, val, test = split_stratified(y, 0.45, 0.45, seed=0)
    for part in (train, val, test):
        assert np.bincount(y[part], minlength=2).min() >= 1
    # Without a test share two images per class are enough.
    y = np.array([0, 0, 1, 1])
    train, val, test = split_stratified(y, 0.2, 0.0, seed=0)
    assert len(test) == 0 and sorted(y[val].tolist()) == sorted(y[train].tolist()) == [0, 1]


def test_too_small_class_is_named():
    y = np.array([0, 0, 0, 0, 1, 1])
    with pytest.raises(DatasetError, match=r"class 'dogs' has 2 image\(s\); .* at least 3"):
        split_stratified(y, 0.2, 0.2, seed=0, class_names=["cats", "dogs"])


# -- digits ----------------------------------------------------------------------------


def test_digits():
    cfg = DatasetConfig(source="digits", image_size=16)
    ds = load_dataset(cfg, seed=0)
    assert isinstance(ds, Dataset)
    assert ds.num_classes == 10 and ds.class_names == [str(d) for d in range(10)]
    assert ds.input_shape == (16, 16, 1)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 1797
    assert sum(ds.report.counts.values()) == 1797
    assert ds.x_train.max() == 255  # 0..16 scaled to 0..255
    again = load_dataset(cfg, seed=0)
    np.testing.assert_array_equal(ds.x_val, again.x_val)


def test_digits_rgb_and_capped():
    cfg = DatasetConfig(source="digits", image_size=8, color_mode="rgb", max_per_class=20)
    ds = load_dataset(cfg, seed=1)
    assert ds.input_shape == (8, 8, 3)
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 200
    assert set(ds.report.counts.values()) == {20}
    assert ds.report.summary() == "200 images in 10 classes (20 per class)."


def test_importing_and_loading_digits_never_loads_tensorflow():
    code = (
        "import sys, boost.data; from boost.config import DatasetConfig; "
        "boost.data.load_dataset(DatasetConfig(), 0); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# -- Keras datasets ----------------------------------------------------------------------


def _keras_home(monkeypatch, tmp_path) -> Path:
    """Point the Keras cache at an empty folder, whether or not Keras is already imported."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    return tmp_path / "datasets"


def _fake_keras(monkeypatch, load_data) -> None:
    """Stand-in `keras` module whose datasets all use `load_data` (no TensorFlow import)."""
    fake = types.ModuleType("keras")
    dataset = types.SimpleNamespace(load_data=load_data)
    fake.datasets = types.SimpleNamespace(mnist=dataset, fashion_mnist=dataset, cifar10=dataset)
    monkeypatch.setitem(sys.modules, "keras", fake)
    monkeypatch.delitem(sys.modules, "keras.src.backend.config", raising=False)


def test_keras_cache_paths(monkeypatch, tmp_path):
    cache = _keras_home(monkeypatch, tmp_path)
    assert keras_cache_paths("mnist") == [cache / "mnist.npz"]
    assert keras_cache_paths("cifar10") == [cache / "cifar-10-batches-py-target_archive"]
    fashion = keras_cache_paths("fashion_mnist")
    assert len(fashion) == 4 and all(p.parent == cache / "fashion-mnist" for p in fashion)


def test_keras_pools_train_and_test_and_flattens_labels(monkeypatch):
    rng = np.random.default_rng(0)

    def cifar_like():
        x = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
        return (x[:30], np.arange(30).reshape(-1, 1) % 10), (x[30:], np.arange(10).reshape(-1, 1))

    _fake_keras(monkeypatch, cifar_like)
    ds = load_dataset(DatasetConfig(source="cifar10", color_mode="grayscale", image_size=16), 0)
    assert ds.class_names[:2] == ["airplane", "automobile"]
    assert ds.input_shape == (16, 16, 1)
    assert set(ds.report.counts.values()) == {4}  # 40 images, 10 classes
    assert ds.y_train.ndim == 1


def test_keras_download_failure_names_the_cache_file(monkeypatch, tmp_path):
    cache = _keras_home(monkeypatch, tmp_path)

    def offline():
        raise Exception("URL fetch failure on https://...: None -- Name or service not known")

    _fake_keras(monkeypatch, offline)
    with pytest.raises(DatasetError, match="could not download the mnist dataset") as info:
        load_dataset(DatasetConfig(source="mnist"), 0)
    assert str(cache / "mnist.npz") in str(info.value)
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in str(
        info.value
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "cache_file"),
    [
        ("mnist", "mnist.npz"),
        ("fashion_mnist", "fashion-mnist/train-images-idx3-ubyte.gz"),
        ("cifar10", "cifar-10-batches-py-target_archive"),
    ],
)
def test_real_keras_offline_fails_fast_naming_the_cache_file(
    monkeypatch, tmp_path, source, cache_file
):
    import keras  # noqa: F401  (slow: loads TensorFlow; imported first so timing is the load)

    cache = _keras_home(monkeypatch, tmp_path)
    start = time.monotonic()
    with pytest.raises(DatasetError, match=f"could not download the {source} dataset") as info:
        load_dataset(DatasetConfig(source=source), 0)
    assert time.monotonic() - start < 5
    assert str(cache / cache_file) in str(info.value)


# -- folders ---------------------------------------------------------------------------


def _folder(path: Path, **kw) -> DatasetConfig:
    return DatasetConfig(source="folder", path=str(path), **kw)


def test_folder_colour_mixed_sizes(class_tree, write_tree):
    root = write_tree(class_tree({"cats": 6, "dogs": 5, "owls": 5}))
    ds = load_dataset(_folder(root, image_size=24, val_fraction=0.2, test_fraction=0.2), seed=0)
    assert ds.class_names == ["cats", "dogs", "owls"]
    assert ds.input_shape == (24, 24, 3)
    assert ds.report.counts == {"cats": 6, "dogs": 5, "owls": 5}
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 16
    assert set(ds.y_val.tolist()) == {0, 1, 2} and set(ds.y_test.tolist()) == {0, 1, 2}
    assert ds.report.skipped == {} and ds.report.warnings == []


def test_folder_grayscale_from_colour_and_gray_files(class_tree, write_tree):
    entries = class_tree({"a": 4}, channels=1) | class_tree({"b": 4}, channels=3, ext=".jpg")
    root = write_tree(entries)
    for mode, channels in (("grayscale", 1), ("rgb", 3), ("auto", 3)):
        ds = load_dataset(_folder(root, image_size=16, color_mode=mode), seed=0)
        assert ds.input_shape == (16, 16, channels)


def test_folder_nested_hidden_and_root_files(class_tree, write_tree, encode, noise):
    entries = class_tree({"cats": 3, "dogs": 3})
    entries["cats/more/deeper/x.png"] = encode(noise(9, 9))
    entries["cats/.hidden.png"] = encode(noise(9, 9))
    entries[".git/objects/y.png"] = encode(noise(9, 9))
    entries["README.txt"] = b"about"
    ds = load_dataset(_folder(write_tree(entries), test_fraction=0.0), seed=0)
    assert ds.report.counts == {"cats": 4, "dogs": 3}
    assert ds.class_names == ["cats", "dogs"]
    assert any("outside the class folders" in w for w in ds.report.warnings)


def test_non_image_and_corrupt_files_are_skipped_and_reported(
    class_tree, write_tree, encode, noise, png_header
):
    entries = class_tree({"cats": 4, "dogs": 4})
    entries["cats/notes.txt"] = b"hello"
    entries["dogs/labels.csv"] = b"a,b"
    good = encode(noise(20, 20))
    entries["dogs/broken.png"] = good[: len(good) // 2]
    entries["dogs/fake.jpg"] = b"not a jpeg"
    entries["dogs/huge.png"] = png_header(8000, 8000)
    report = load_dataset(_folder(write_tree(entries)), seed=0).report
    assert report.counts == {"cats": 4, "dogs": 4}
    assert report.skipped == {
        "not an image file": 2,
        "could not decode": 2,
        "too large": 1,
    }
    assert report.skipped_examples["could not decode"] == ["dogs/broken.png", "dogs/fake.jpg"]
    assert report.summary() == (
        "8 images in 2 classes (4 per class).\n"
        "Skipped 5 files: 2 not an image file (e.g. cats/notes.txt, dogs/labels.csv); "
        "2 could not decode (e.g. dogs/broken.png, dogs/fake.jpg); "
        "1 too large (e.g. dogs/huge.png)."
    )


def test_empty_folder(tmp_path):
    with pytest.raises(
        DatasetError, match=r"expected one subfolder per class, e\.g\. cats/, dogs/"
    ):
        load_dataset(_folder(tmp_path), seed=0)


def test_one_class(class_tree, write_tree):
    with pytest.raises(DatasetError, match=r"only one class folder \('cats'\)"):
        load_dataset(_folder(write_tree(class_tree({"cats": 5}))), seed=0)


def test_class_with_only_corrupt_files_is_named(class_tree, write_tree):
    entries = class_tree({"cats": 4}) | {"dogs/a.png": b"junk", "dogs/b.jpg": b"junk"}
    with pytest.raises(DatasetError, match=r"no decodable image in class folder\(s\) 'dogs'") as e:
        load_dataset(_folder(write_tree(entries)), seed=0)
    assert "dogs/a.png" in str(e.value)


def test_classes_without_any_image_file(write_tree):
    root = write_tree({"a/x.txt": b"x", "b/y.txt": b"y"})
    with pytest.raises(DatasetError, match=r"class folder\(s\) 'a', 'b'"):
        load_dataset(_folder(root, max_per_class=3), seed=0)


def test_imbalance_is_warned(class_tree, write_tree):
    report = load_dataset(_folder(write_tree(class_tree({"a": 30, "b": 3}))), seed=0).report
    assert report.warnings == [
        "classes are imbalanced: 'a' has 30 images, 'b' has 3; accuracy alone can mislead."
    ]


def test_class_too_small_to_split(class_tree, write_tree):
    root = write_tree(class_tree({"cats": 5, "dogs": 2}))
    with pytest.raises(DatasetError, match=r"class 'dogs' has 2 image\(s\)"):
        load_dataset(_folder(root), seed=0)


def test_folder_max_per_class_is_seeded(class_tree, write_tree):
    root = write_tree(class_tree({"a": 10, "b": 4}))
    cfg = _folder(root, max_per_class=5, image_size=8)
    first, again = load_dataset(cfg, seed=7), load_dataset(cfg, seed=7)
    assert first.report.counts == {"a": 5, "b": 4}
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_train, again.y_train)


def test_progress_is_reported_and_throttled(class_tree, write_tree):
    root = write_tree(class_tree({"a": 60, "b": 60}))
    calls: list[tuple[float, str]] = []
    start = time.monotonic()
    load_dataset(_folder(root, image_size=8), seed=0, progress=lambda f, m: calls.append((f, m)))
    elapsed = time.monotonic() - start
    assert calls and calls[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in calls)
    assert len(calls) <= 2 + elapsed / 0.05 + 1


# -- zips ------------------------------------------------------------------------------


def _zip(path: Path, **kw) -> DatasetConfig:
    return DatasetConfig(source="zip", path=str(path), **kw)


def test_zip_with_class_folders_at_the_root(class_tree, write_zip):
    path = write_zip(class_tree({"cats": 4, "dogs": 5}) | {"__MACOSX/cats/._img_000.png": b"x"})
    ds = load_dataset(_zip(path, image_size=16), seed=0)
    assert ds.class_names == ["cats", "dogs"]
    assert ds.report.counts == {"cats": 4, "dogs": 5} and ds.report.skipped == {}


def test_zip_of_a_folder(class_tree, write_zip, tmp_path):
    entries = {f"pets/{k}": v for k, v in class_tree({"cats": 4, "dogs": 4}).items()}
    entries["pets/readme.md"] = b"about"
    ds = load_dataset(_zip(write_zip(entries)), seed=0)
    assert ds.class_names == ["cats", "dogs"]
    assert any("outside the class folders" in w for w in ds.report.warnings)
    # Same pixels as the same images loaded from a folder.
    folder = tmp_path / "unzipped"
    for k, v in class_tree({"cats": 4, "dogs": 4}).items():
        (folder / k).parent.mkdir(parents=True, exist_ok=True)
        (folder / k).write_bytes(v)
    np.testing.assert_array_equal(load_dataset(_folder(folder), seed=0).x_train, ds.x_train)


def test_zip_without_class_folders(write_zip, encode, noise):
    path = write_zip({"a.png": encode(noise(8, 8)), "b.png": encode(noise(8, 8))})
    with pytest.raises(DatasetError, match="expected one subfolder per class"):
        load_dataset(_zip(path), seed=0)


@pytest.mark.parametrize("evil", ["../evil.png", "/abs/evil.png", "cats/../../evil.png"])
def test_zip_with_unsafe_path(class_tree, write_zip, evil):
    path = write_zip(class_tree({"cats": 3, "dogs": 3}) | {evil: b"x"})
    with pytest.raises(DatasetError, match=r"data\.zip: unsafe path in zip"):
        load_dataset(_zip(path), seed=0)


def test_zip_bomb(class_tree, write_zip):
    path = write_zip(class_tree({"cats": 3, "dogs": 3}) | {"dogs/bomb.bmp": bytes(50 * 2**20)})
    with pytest.raises(DatasetError, match="a zip bomb"):
        load_dataset(_zip(path), seed=0)


def test_unreadable_zip(tmp_path):
    path = tmp_path / "upload.zip"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DatasetError, match="upload.zip: not a readable zip file"):
        load_dataset(_zip(path), seed=0)


def test_classes_keeps_and_relabels_in_the_order_given() -> None:
    from boost.config import DatasetConfig
    from boost.data import DatasetError, load_dataset

    d = load_dataset(DatasetConfig(image_size=24, classes=["7", "5"]), seed=0)
    assert d.class_names == ["7", "5"] and d.num_classes == 2
    assert set(d.y_train) == {0, 1}
    full = load_dataset(DatasetConfig(image_size=24), seed=0)
    n7 = int((np.concatenate([full.y_train, full.y_val, full.y_test]) == 7).sum())
    assert int((np.concatenate([d.y_train, d.y_val, d.y_test]) == 0).sum()) == n7
    with pytest.raises(DatasetError, match="no class '11'"):
        load_dataset(DatasetConfig(image_size=24, classes=["1", "11"]), seed=0)


def test_classes_filter_folders_before_decoding(tmp_path: Path) -> None:
    import cv2

    from boost.config import DatasetConfig
    from boost.data import load_dataset

    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        for i in range(4):
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), np.full((9, 9, 3), i * 20, np.uint8))
    (tmp_path / "c" / "broken.png").write_bytes(b"not a png")  # never read: class c is dropped
    d = load_dataset(DatasetConfig(source="folder", path=str(tmp_path), image_size=24,
                                   classes=["c", "a"]), seed=0)  # fmt: skip
    assert d.class_names == ["c", "a"] and d.report.counts == {"c": 4, "a": 4}


@pytest.mark.parametrize(
    "entries", [None, {"cats/a.png": b"x", "../evil.png": b"x"}], ids=["not a zip", "unsafe"]
)
def test_zip_errors_name_the_file_once(write_zip, tmp_path, entries):
    if entries is None:
        path = tmp_path / "bomb_entries.zip"
        path.write_bytes(b"PK\x03\x04 truncated")
    else:
        path = write_zip(entries, name="bomb_entries.zip")
    with pytest.raises(DatasetError) as info:
        load_dataset(_zip(path), seed=0)
    assert str(info.value).count("bomb_entries.zip") == 1
    assert str(info.value).startswith("bomb_entries.zip: ")


# -- previews: what the dashboard shows of an upload -----------------------------------------


def test_preview_counts_from_the_listing_and_decodes_a_few(class_tree, write_zip, encode, noise):
    entries = class_tree({"cats": 9, "dogs": 3}) | {"dogs/notes.txt": b"hello"}
    entries["cats/img_000.png"] = b"not a png"  # the first cat is broken: the next one replaces it
    from boost.data import preview_dataset

    pv = preview_dataset(_zip(write_zip(entries), image_size=16), per_class=4)
    assert pv.report.counts == {"cats": 9, "dogs": 3}  # files in the listing, none decoded
    assert pv.report.skipped == {"not an image file": 1, "could not decode": 1}
    assert [n for n, _ in pv.thumbnails] == ["cats"] * 4 + ["dogs"] * 3
    assert all(img.shape == (16, 16, 3) for _, img in pv.thumbnails)
    assert pv.sampled == 4 + 1 + 3  # four cats, the broken one's replacement, three dogs
    assert pv.classes_shown == 2


def test_preview_of_many_classes_shows_the_first_ones(class_tree, write_zip):
    from boost.data import preview_dataset

    pv = preview_dataset(_zip(write_zip(class_tree({f"c{i:02d}": 2 for i in range(20)}))),
                         per_class=1, max_classes=5)  # fmt: skip
    assert len(pv.report.counts) == 20 and pv.classes_shown == 5 and pv.sampled == 5
    assert [n for n, _ in pv.thumbnails] == ["c00", "c01", "c02", "c03", "c04"]


def test_preview_refuses_what_a_run_would_refuse(write_zip, encode, noise, class_tree):
    from boost.data import preview_dataset

    only_text = class_tree({"cats": 3}) | {"dogs/readme.txt": b"no images here"}
    with pytest.raises(DatasetError, match=r"data\.zip. Supported|no image file in class folder\(s\) 'dogs'"):
        preview_dataset(_zip(write_zip(only_text)))
    flat = write_zip({"a.png": encode(noise(8, 8))}, name="flat.zip")
    with pytest.raises(DatasetError, match="flat.zip' has no class folders"):
        preview_dataset(_zip(flat))
