"""decode_image and resize_square on generated images of every supported kind."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from boost.data import images
from boost.data.images import ImageDecodeError, ImageTooLargeError, decode_image, resize_square


def _smooth_rgb(h: int = 24, w: int = 32) -> np.ndarray:
    """A smooth gradient (survives lossy codecs) with a distinct value per channel."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 255 // (w - 1), yy * 255 // (h - 1), np.full_like(xx, 200)], -1).astype(
        np.uint8
    )


@pytest.mark.parametrize(
    ("ext", "tolerance"),
    [(".png", 0), (".bmp", 0), (".tiff", 0), (".webp", 12), (".jpg", 12)],
)
def test_decodes_common_formats_in_rgb_order(encode, ext, tolerance):
    rgb = _smooth_rgb()
    out = decode_image(encode(rgb, ext), name=f"x{ext}")
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    assert np.abs(out.astype(int) - rgb).max() <= tolerance


def test_decodes_gif_and_palette_png():
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[:, :4] = (255, 0, 0)
    rgb[:, 4:] = (0, 0, 255)
    for fmt in ("GIF", "PNG"):
        buf = io.BytesIO()
        Image.fromarray(rgb).convert("P").save(buf, fmt)
        out = decode_image(buf.getvalue(), name=fmt)
        assert out.shape == (6, 8, 3)
        np.testing.assert_array_equal(out, rgb)


def test_grayscale_file_and_grayscale_mode(encode, noise):
    gray = noise(9, 7, channels=1)
    data = encode(gray)
    as_rgb = decode_image(data)
    assert as_rgb.shape == (9, 7, 3)
    assert all(np.array_equal(as_rgb[..., c], gray) for c in range(3))
    as_gray = decode_image(data, color_mode="grayscale")
    assert as_gray.shape == (9, 7, 1)
    np.testing.assert_array_equal(as_gray[..., 0], gray)
    # A colour file read in grayscale mode keeps the channel axis too.
    assert decode_image(encode(_smooth_rgb()), color_mode="grayscale").shape == (24, 32, 1)


def test_alpha_is_dropped():
    bgra = np.zeros((5, 4, 4), np.uint8)
    bgra[..., 2] = 200  # red
    bgra[..., 3] = 10  # almost transparent
    data = cv2.imencode(".png", bgra)[1].tobytes()
    out = decode_image(data)
    assert out.shape == (5, 4, 3)
    assert out[0, 0].tolist() == [200, 0, 0]


def test_16bit_png_is_scaled_not_clipped():
    values = np.array([[65535, 32768, 4096, 0]], np.uint16)
    data = cv2.imencode(".png", values)[1].tobytes()
    assert decode_image(data, color_mode="grayscale")[0, :, 0].tolist() == [255, 128, 16, 0]
    assert decode_image(data)[0, :, 0].tolist() == [255, 128, 16, 0]


def test_exif_orientation_is_applied():
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :10] = (255, 0, 0)  # red left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=95, exif=exif.tobytes())
    out = decode_image(buf.getvalue())
    assert out.shape == (40, 20, 3)
    # The left edge became the top edge.
    assert out[0, 10, 0] > 200 and out[-1, 10, 0] < 50


def test_one_pixel_image(encode):
    out = decode_image(encode(np.array([[[1, 2, 3]]], np.uint8)))
    assert out.shape == (1, 1, 3) and out[0, 0].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "data",
    [b"", b"this is a text file, not an image", b"\x89PNG\r\n\x1a\n", bytes(range(256)) * 4],
    ids=["empty", "text", "png-signature-only", "binary"],
)
def test_non_images_raise_decode_error_naming_the_file(data):
    with pytest.raises(ImageDecodeError, match=r"^notes\.bin: not a decodable image"):
        decode_image(data, name="notes.bin")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp"])
def test_truncated_file_raises(encode, noise, ext):
    data = encode(noise(64, 64), ext)
    with pytest.raises(ImageDecodeError, match="cut.img"):
        decode_image(data[: len(data) // 2], name="cut.img")


def test_pixel_cap_refuses_before_decoding(monkeypatch, encode, png_header):
    def no_decoding(*args, **kwargs):
        raise AssertionError("cv2.imdecode must not run for an oversized image")

    monkeypatch.setattr(images.cv2, "imdecode", no_decoding)
    with pytest.raises(ImageTooLargeError, match=r"big\.png: image too large \(7000x7000"):
        decode_image(png_header(7000, 7000), name="big.png")
    # Past Pillow's own bomb limit, Pillow refuses while reading the header.
    with pytest.raises(ImageTooLargeError, match=r"bomb\.png: image too large"):
        decode_image(png_header(20000, 20000), name="bomb.png")
    with pytest.raises(ImageTooLargeError, match="100x50"):
        decode_image(encode(np.zeros((50, 100, 3), np.uint8)), max_pixels=4999)


def test_too_large_is_a_decode_error():
    assert issubclass(ImageTooLargeError, ImageDecodeError)
    assert issubclass(ImageDecodeError, ValueError)


@pytest.mark.parametrize(
    ("h", "w", "size"), [(40, 30, 16), (5, 7, 32), (16, 16, 16), (100, 10, 32)]
)
@pytest.mark.parametrize("channels", [1, 3])
def test_resize_square_keeps_channel_axis(h, w, size, channels):
    img = np.full((h, w, channels), 77, np.uint8)
    out = resize_square(img, size)
    assert out.shape == (size, size, channels) and out.dtype == np.uint8
    assert (out == 77).all()


def test_resize_square_averages_when_shrinking():
    stripes = np.zeros((8, 8, 1), np.uint8)
    stripes[:, ::2] = 255
    # Area averaging gives the mean; nearest or linear sampling could give 0 or 255.
    assert (resize_square(stripes, 4) == 128).all()


def test_store_upload_is_content_addressed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from boost.data import store_upload

    a = store_upload(b"PK zip bytes", ".zip", home=tmp_path)
    assert a.parent == tmp_path / "uploads" and a.suffix == ".zip"
    assert a.read_bytes() == b"PK zip bytes"
    assert store_upload(b"PK zip bytes", ".ZIP", home=tmp_path) == a
    assert store_upload(b"other", ".zip", home=tmp_path) != a
    with pytest.raises(ValueError, match="suffix"):
        store_upload(b"x", "/../evil", home=tmp_path)
    named = store_upload(b"PK zip bytes", ".zip", home=tmp_path, name="../My pets (2).zip")
    assert named.parent == tmp_path / "uploads" and named.name.startswith("My_pets_2-")
