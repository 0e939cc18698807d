"""Datasets for Boost Lab: built-in, Keras and uploaded images, read safely and split per class.

Importing this package never imports TensorFlow (the Streamlit process imports it).
"""

from boost.data.archive import (
    DEFAULT_ZIP_LIMITS,
    ArchiveError,
    ZipLimits,
    iter_zip_files,
    list_zip_files,
)
from boost.data.datasets import (
    Dataset,
    DatasetError,
    DatasetPreview,
    DatasetReport,
    keras_cache_paths,
    load_dataset,
    preview_dataset,
    split_stratified,
)
from boost.data.images import (
    IMAGE_EXTENSIONS,
    MAX_PIXELS,
    ImageDecodeError,
    ImageTooLargeError,
    decode_image,
    resize_square,
)
from boost.data.uploads import store_upload

__all__ = [
    "DEFAULT_ZIP_LIMITS",
    "IMAGE_EXTENSIONS",
    "MAX_PIXELS",
    "ArchiveError",
    "Dataset",
    "DatasetError",
    "DatasetPreview",
    "DatasetReport",
    "ImageDecodeError",
    "ImageTooLargeError",
    "ZipLimits",
    "decode_image",
    "iter_zip_files",
    "keras_cache_paths",
    "list_zip_files",
    "load_dataset",
    "preview_dataset",
    "resize_square",
    "split_stratified",
    "store_upload",
]
