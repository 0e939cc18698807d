"""Decoding untrusted image bytes into uint8 arrays, and resizing them.

Every image goes through `decode_image`: it reads the size from the header first and refuses
images over a pixel cap before any pixel is decoded (a 50 KB PNG can claim 20000x20000), then
decodes with OpenCV, which applies the EXIF orientation, expands palettes, drops alpha and
scales 16-bit samples to 8 bits.
"""

from __future__ import annotations

from io import BytesIO
from struct import error as struct_error
from typing import Literal

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000

#: File extensions we try to decode (lower case, without the dot). All of them decode with
#: OpenCV 5; a format the installed OpenCV cannot read is reported as "could not decode".
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif"})


class ImageDecodeError(ValueError):
    """Bytes that are not a decodable image. The message names the file."""


class ImageTooLargeError(ImageDecodeError):
    """An image whose header claims more pixels than allowed; nothing was decoded."""


def decode_image(
    data: bytes,
    *,
    color_mode: Literal["rgb", "grayscale"] = "rgb",
    max_pixels: int = MAX_PIXELS,
    name: str = "image",
) -> np.ndarray:
    """Decode image bytes (PNG, JPEG, WebP, BMP, TIFF, GIF) into a uint8 array.

    Args:
        data: the encoded file contents.
        color_mode: "rgb" gives H x W x 3 in RGB order; "grayscale" gives H x W x 1.
        max_pixels: refuse images whose header claims more pixels than this.
        name: used in error messages (a file name).

    Returns:
        A uint8 array, upright (EXIF orientation applied), alpha dropped, 16-bit scaled to 8.

    Raises:
        ImageTooLargeError: the header claims more than `max_pixels` pixels.
        ImageDecodeError: the bytes are empty, not an image, truncated or corrupt.
    """
    if not data:
        raise ImageDecodeError(f"{name}: not a decodable image (the file is empty)")
    width, height = _header_size(data, name)
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{name}: image too large ({width}x{height} = {width * height:,} pixels; "
            f"the limit is {max_pixels:,})"
        )
    flag = cv2.IMREAD_COLOR_RGB if color_mode == "rgb" else cv2.IMREAD_GRAYSCALE
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise ImageDecodeError(f"{name}: not a decodable image (corrupt, truncated or unsupported)")
    if img.ndim == 2:
        img = img[:, :, np.newaxis]
    return img


def _header_size(data: bytes, name: str) -> tuple[int, int]:
    """(width, height) from the image header; Pillow's `open` reads nothing more."""
    # Pillow may warn (odd EXIF blocks, sizes near its bomb limit). Its warnings are left
    # alone: warnings.catch_warnings is not thread-safe, and Streamlit runs pages in threads.
    try:
        with Image.open(BytesIO(data)) as im:
            return im.size
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{name}: image too large ({exc})") from None
    except UnidentifiedImageError:
        raise ImageDecodeError(f"{name}: not a decodable image (unknown format)") from None
    # Pillow's plugins raise assorted errors on malformed headers.
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, struct_error) as exc:
        raise ImageDecodeError(f"{name}: not a decodable image ({exc})") from None


def resize_square(img: np.ndarray, size: int) -> np.ndarray:
    """Resize an H x W x C image to size x size x C (stretching; the aspect ratio is not kept).

    Uses area averaging when the longer side shrinks (no aliasing), bilinear otherwise.
    """
    h, w = img.shape[:2]
    if (h, w) == (size, size):
        return img
    interpolation = cv2.INTER_AREA if size < max(h, w) else cv2.INTER_LINEAR
    out = cv2.resize(img, (size, size), interpolation=interpolation)
    # OpenCV drops the channel axis of single-channel images.
    return out[:, :, np.newaxis] if out.ndim == 2 else out
