"""Generated fixture images, folders and archives for the boost.data tests.

Helpers are fixtures (not importable functions) so that this conftest never clashes with
another test folder's module names.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest


def _encode(rgb: np.ndarray, ext: str = ".png") -> bytes:
    img = rgb[..., ::-1] if rgb.ndim == 3 and rgb.shape[2] == 3 else rgb  # OpenCV wants BGR
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def _noise(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (h, w, channels) if channels > 1 else (h, w)
    return rng.integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def encode() -> Callable[..., bytes]:
    """encode(array, ext=".png"): RGB (H x W x 3) or grayscale (H x W) array -> file bytes."""
    return _encode


@pytest.fixture
def noise() -> Callable[..., np.ndarray]:
    """noise(h, w, channels=3, seed=0): a random uint8 image."""
    return _noise


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.fixture
def png_header() -> Callable[[int, int], bytes]:
    """png_header(width, height): a PNG that only claims a size (valid IHDR, no pixel data)."""
    return _png_header


@pytest.fixture
def class_tree() -> Callable[..., dict[str, bytes]]:
    """class_tree({"cats": 4, ...}, channels, ext): {"cats/img_000.png": bytes, ...}.

    Image sizes differ within and across classes, and none is square.
    """

    def make(classes: dict[str, int], channels: int = 3, ext: str = ".png") -> dict[str, bytes]:
        entries = {}
        for c, (name, n) in enumerate(classes.items()):
            for i in range(n):
                h, w = 10 + 3 * i, 14 + 5 * c
                entries[f"{name}/img_{i:03d}{ext}"] = _encode(_noise(h, w, channels, seed=i), ext)
        return entries

    return make


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[..., Path]:
    """write_tree(entries, name="data"): write {relative path: bytes} into tmp_path/name."""

    def write(entries: dict[str, bytes], name: str = "data") -> Path:
        root = tmp_path / name
        root.mkdir()
        for rel, data in entries.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        return root

    return write


@pytest.fixture
def write_zip(tmp_path: Path) -> Callable[..., Path]:
    """write_zip(entries, name="data.zip"): a deflated zip of {entry name: bytes}."""

    def write(entries: dict[str, bytes], name: str = "data.zip") -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for entry, data in entries.items():
                zf.writestr(entry, data)
        return path

    return write
