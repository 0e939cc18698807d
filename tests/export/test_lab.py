"""Downloads and editor helpers of the Augmentation Lab: zip, spec JSON, runnable code."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from boost.augment import (
    DEFAULT_SPEC,
    DIGITS_SPEC,
    OP_TYPES,
    SpecError,
    parse_spec,
    preview,
    spec_to_json,
)
from boost.data import ImageDecodeError, ImageTooLargeError, decode_image
from boost.export.lab import (
    PREVIEW_MAX_SIDE,
    encode_png,
    fit_within,
    load_upload,
    op_fields,
    op_values,
    spec_code,
    spec_json,
    unique_names,
    variants_zip,
)

ROOT = Path(__file__).resolve().parents[2]


def photo(h: int = 48, w: int = 64) -> np.ndarray:
    """A smooth colour image with some texture: every op changes it visibly."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // w, y * 255 // h, (x + y) * 127 // (h + w)], axis=2)
    img = img + np.random.default_rng(1).integers(0, 40, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def grey(h: int = 32, w: int = 32) -> np.ndarray:
    return photo(h, w)[:, :, :1].copy()


def test_zip_holds_pngs_equal_to_the_variants_and_the_json(tmp_path: Path) -> None:
    image = photo()
    variants = preview(image, DEFAULT_SPEC, seed=3, n=4, output_size=(32, 32))
    data = variants_zip(variants, DEFAULT_SPEC, 3, original=image, output_size=(32, 32))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [
            "original.png", "variant_000.png", "variant_001.png", "variant_002.png",
            "variant_003.png", "spec.json", "draws.json",
        ]  # fmt: skip
        assert np.array_equal(decode_image(zf.read("original.png")), image)
        for i, v in enumerate(variants):
            decoded = decode_image(zf.read(f"variant_{i:03d}.png"))
            assert decoded.shape == (32, 32, 3)
            assert np.array_equal(decoded, v.image)
        spec = json.loads(zf.read("spec.json"))
        draws = json.loads(zf.read("draws.json"))
    assert spec_to_json(parse_spec(spec)) == spec == spec_to_json(parse_spec(DEFAULT_SPEC))
    assert draws["seed"] == 3 and draws["output_size"] == [32, 32] and draws["spec"] == spec
    assert [d["file"] for d in draws["variants"]] == [f"variant_{i:03d}.png" for i in range(4)]
    assert [d["caption"] for d in draws["variants"]] == [v.caption for v in variants]
    assert draws["variants"][0]["ops"] == list(variants[0].draw.ops)


def test_zip_of_a_grayscale_image_keeps_one_channel() -> None:
    image = grey()
    variants = preview(image, DIGITS_SPEC, seed=0, n=2)
    with zipfile.ZipFile(io.BytesIO(variants_zip(variants, DIGITS_SPEC, 0))) as zf:
        assert "original.png" not in zf.namelist()
        decoded = decode_image(zf.read("variant_001.png"), color_mode="grayscale")
    assert np.array_equal(decoded, variants[1].image)


def test_spec_json_writes_every_parameter_and_round_trips() -> None:
    text = spec_json([{"op": "hflip"}, {"op": "rotate", "angle_range": [-5, 5]}])
    ops = json.loads(text)
    assert ops[0] == {"op": "hflip", "p": 0.5}
    assert ops[1] == {"op": "rotate", "p": 1.0, "angle_range": [-5.0, 5.0], "mode": "same",
                      "border": "constant", "fill": 0}  # fmt: skip
    assert spec_to_json(parse_spec(ops)) == ops
    assert spec_json([]) == "[]\n"
    with pytest.raises(SpecError, match="angle_range"):
        spec_json([{"op": "rotate", "angle_range": [5, -5]}])


def run_code(code: str) -> subprocess.CompletedProcess[str]:
    """Run the snippet in a fresh interpreter from the repository root, as a user would."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize(
    ("make", "spec", "color_mode", "output_size"),
    [
        (photo, DEFAULT_SPEC, "rgb", None),
        (
            photo,
            DEFAULT_SPEC + [{"op": "noise", "p": 1.0}, {"op": "cutout", "count": 2}],
            "rgb",
            24,
        ),
        (grey, DIGITS_SPEC, "grayscale", (20, 20)),
    ],
)
def test_spec_code_runs_and_reproduces_the_preview_pixels(
    tmp_path: Path, make, spec, color_mode, output_size
) -> None:
    image = make()
    path = tmp_path / "original.png"
    path.write_bytes(encode_png(image))
    out = tmp_path / "out"
    code = spec_code(spec, 11, 5, output_size, image_path=str(path), color_mode=color_mode,
                     out_dir=str(out))  # fmt: skip
    compile(code, "reproduce.py", "exec")
    assert "from boost.augment import preview" in code
    assert "from boost.data import decode_image" in code
    size = (output_size, output_size) if isinstance(output_size, int) else output_size
    expected = preview(image, spec, seed=11, n=5, output_size=size)
    result = run_code(code)
    assert result.stdout.splitlines() == [
        f"variant_{i:03d}.png: {v.caption}" for i, v in enumerate(expected)
    ]
    for i, v in enumerate(expected):
        got = decode_image((out / f"variant_{i:03d}.png").read_bytes(), color_mode=color_mode)
        assert np.array_equal(got, v.image), i


def test_spec_code_defaults_read_the_zip_original() -> None:
    code = spec_code(DIGITS_SPEC, 0, 8)
    assert "IMAGE = Path('original.png')" in code
    assert "OUTPUT_SIZE = None" in code and "N = 8" in code and "SEED = 0" in code
    # The spec literal is the written-out spec.
    assigns = {
        node.targets[0].id: node.value
        for node in ast.parse(code).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigns["SPEC"]) == spec_to_json(parse_spec(DIGITS_SPEC))


@pytest.mark.parametrize("op", list(OP_TYPES))
def test_op_fields_cover_every_parameter_with_bounds_the_spec_accepts(op: str) -> None:
    fields = op_fields(op)
    names = [f.name for f in fields]
    assert names == [n for n in OP_TYPES[op].model_fields if n != "op"]
    assert names[0] == "p" and fields[0].kind == "probability"
    for f in fields:
        if f.kind == "choice":
            assert f.default in f.options
            for option in f.options:
                parse_spec([{"op": op, f.name: option}])
            continue
        lo, hi = f.bounds
        ok = [lo, hi] if f.kind == "range" else (int(lo) if f.kind == "int" else lo)
        parse_spec([{"op": op, f.name: ok}])
        below = [lo - 1, hi] if f.kind == "range" else (int(lo) - 1 if f.kind == "int" else lo - 1)
        above = [lo, hi + 1] if f.kind == "range" else (int(hi) + 1 if f.kind == "int" else hi + 1)
        for bad in (below, above):
            with pytest.raises(SpecError, match=f.name):
                parse_spec([{"op": op, f.name: bad}])


def test_op_values_take_the_preset_over_the_defaults() -> None:
    assert op_values("rotate", DEFAULT_SPEC) == {
        "p": 1.0, "angle_range": (-15.0, 15.0), "mode": "same", "border": "reflect", "fill": 0
    }  # fmt: skip
    assert op_values("rotate", DIGITS_SPEC)["border"] == "constant"
    assert op_values("hflip", DIGITS_SPEC) == {"p": 0.5}
    entry = {"op": "crop", **op_values("crop", [])}
    assert spec_to_json(parse_spec([entry])) == [entry]


def test_fit_within_keeps_small_images_and_shrinks_large_ones() -> None:
    small = photo(40, 60)
    assert fit_within(small, 64) is small
    big = fit_within(photo(300, 1200), 600)
    assert big.shape == (150, 600, 3) and big.dtype == np.uint8
    assert fit_within(grey(50, 100), 20).shape == (10, 20, 1)


def test_load_upload_decodes_shrinks_and_names_the_file_in_errors() -> None:
    ok, buf = cv2.imencode(".png", photo(100, 2 * PREVIEW_MAX_SIDE))
    loaded = load_upload(buf.tobytes(), "wide.png")
    assert loaded.original_size == (100, 2 * PREVIEW_MAX_SIDE)
    assert loaded.image.shape == (50, PREVIEW_MAX_SIDE, 3) and loaded.shrunk
    assert not load_upload(encode_png(photo()), "a.png").shrunk
    with pytest.raises(ImageDecodeError, match=r"^notes\.png: not a decodable image"):
        load_upload(b"hello", "notes.png")
    with pytest.raises(ImageTooLargeError, match=r"^b\.png: image too large"):
        load_upload(encode_png(photo()), "b.png", max_pixels=100)


def test_unique_names() -> None:
    assert unique_names(["a.png", "a.png (2)", "a.png", "b.png"]) == [
        "a.png", "a.png (2)", "a.png (3)", "b.png"
    ]  # fmt: skip
