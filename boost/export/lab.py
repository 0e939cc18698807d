"""What the Augmentation Lab page hands out, and the small non-UI helpers it builds on.

- `variants_zip`: the previewed variants as PNG files, with spec.json and draws.json.
- `spec_json`: the spec alone, every parameter written out.
- `spec_code`: a short Python script that reproduces a preview with boost.
- `op_fields`: each op's parameters with their documented bounds, for building editors.
- `load_upload`, `fit_within`: decode uploaded bytes safely and shrink large images for preview.

No Streamlit here: the page reads widgets and calls these.
"""

from __future__ import annotations

import io
import json
import math
import pprint
import typing
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np

from boost.augment.preview import Variant
from boost.augment.spec import OP_TYPES, OpBase, parse_spec, range_bounds, spec_to_json
from boost.data.images import MAX_PIXELS, decode_image

#: Uploaded images are shown at most this many pixels on their longer side: 33 full-size
#: photos would cost gigabytes, and training resizes images to its input size anyway.
PREVIEW_MAX_SIDE = 1024


# -- downloads ---------------------------------------------------------------------------------


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 H x W x C image (C = 1 or 3, RGB order)."""
    pixels = image if image.shape[2] == 1 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", pixels)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image as PNG
        raise ValueError(f"could not encode a {image.dtype} {image.shape} image as PNG")
    return buf.tobytes()


def variant_file(i: int) -> str:
    """The file name of variant i in the zip and in `spec_code`'s output folder."""
    return f"variant_{i:03d}.png"


def variants_zip(
    variants: Sequence[Variant],
    spec: list[dict[str, Any]] | list[OpBase],
    seed: int,
    *,
    original: np.ndarray | None = None,
    output_size: tuple[int, int] | None = None,
) -> bytes:
    """A zip of the variants as PNG files, plus spec.json and draws.json.

    Args:
        variants: from `preview`, in order; variant i is written as `variant_{i:03d}.png`.
        spec: the spec that made them (validated again; written with every parameter).
        seed: the preview seed, recorded in draws.json.
        original: the image they were made from, written as original.png when given, so that
            `spec_code` can reproduce the preview from the zip alone.
        output_size: (height, width) the variants were resized to, or None; recorded.

    Returns:
        The zip file's bytes.

    Raises:
        SpecError: the spec is invalid.
    """
    ops = spec_to_json(parse_spec(spec))
    draws = [
        {"file": variant_file(i), "caption": v.caption, **v.draw.to_dict()}
        for i, v in enumerate(variants)
    ]
    meta = {
        "spec": ops,
        "seed": seed,
        "output_size": list(output_size) if output_size else None,
        "variants": draws,
    }
    buf = io.BytesIO()
    # PNG is already compressed: store it; deflate only the JSON.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if original is not None:
            zf.writestr("original.png", encode_png(original), compress_type=zipfile.ZIP_STORED)
        for i, v in enumerate(variants):
            zf.writestr(variant_file(i), encode_png(v.image), compress_type=zipfile.ZIP_STORED)
        zf.writestr("spec.json", json.dumps(ops, indent=2) + "\n")
        zf.writestr("draws.json", json.dumps(meta, indent=2) + "\n")
    return buf.getvalue()


def spec_json(spec: list[dict[str, Any]] | list[OpBase]) -> str:
    """The spec as pretty JSON, every parameter written out (it round-trips through parse_spec).

    Raises:
        SpecError: the spec is invalid.
    """
    return json.dumps(spec_to_json(parse_spec(spec)), indent=2) + "\n"


def spec_code(
    spec: list[dict[str, Any]] | list[OpBase],
    seed: int,
    n: int,
    output_size: int | tuple[int, int] | None = None,
    *,
    image_path: str = "original.png",
    color_mode: Literal["rgb", "grayscale"] = "rgb",
    out_dir: str = "augmented",
) -> str:
    """A short, runnable Python script that reproduces a preview with boost.

    It decodes `image_path` (by default the original.png of `variants_zip`), runs `preview`
    with this spec, seed, n and output size, and writes `variant_{i:03d}.png` files into
    `out_dir`: the same pixels the page showed.

    Raises:
        SpecError: the spec is invalid.
    """
    ops = spec_to_json(parse_spec(spec))
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    size = tuple(output_size) if output_size else None
    spec_literal = pprint.pformat(ops, indent=1, width=88, sort_dicts=False)
    return f'''"""Reproduce a Boost Lab augmentation preview.

Save as reproduce.py in the Boost Lab folder and run: python reproduce.py
"""

from pathlib import Path

import cv2

from boost.augment import preview
from boost.data import decode_image

SPEC = {spec_literal}
SEED = {int(seed)}
N = {int(n)}
OUTPUT_SIZE = {size!r}  # (height, width), or None for the natural size
IMAGE = Path({image_path!r})
OUT = Path({out_dir!r})

image = decode_image(IMAGE.read_bytes(), color_mode={color_mode!r}, name=str(IMAGE))
variants = preview(image, SPEC, seed=SEED, n=N, output_size=OUTPUT_SIZE)
OUT.mkdir(parents=True, exist_ok=True)
for i, v in enumerate(variants):
    # OpenCV writes BGR; boost works in RGB.
    pixels = v.image if v.image.shape[2] == 1 else cv2.cvtColor(v.image, cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(OUT / f"variant_{{i:03d}}.png"), pixels)
    print(f"variant_{{i:03d}}.png: {{v.caption}}")
'''


# -- spec editor support -----------------------------------------------------------------------


@dataclass(frozen=True)
class ParamField:
    """One parameter of an op, as an editor needs it.

    Attributes:
        name: the spec key, e.g. "angle_range".
        kind: "probability" (p), "range" (a [low, high] pair), "choice" (one of `options`),
            "int" (a whole number) or "float".
        default: the op's default value (a tuple for ranges).
        bounds: (lowest, highest) allowed, from spec.py; None for choices.
        options: the allowed values of a choice.
        help: the parameter's description from spec.py.
    """

    name: str
    kind: Literal["probability", "range", "choice", "int", "float"]
    default: Any
    bounds: tuple[float, float] | None = None
    options: tuple[str, ...] = ()
    help: str = ""

    @property
    def step(self) -> float | int:
        """A slider step that suits the span (whole degrees, hundredths of a factor)."""
        if self.kind == "int":
            return 1
        lo, hi = self.bounds or (0.0, 1.0)
        span = hi - lo
        if span <= 2:
            return 0.01
        if span <= 10:
            return 0.05
        if span <= 40:
            return 0.1
        if span <= 100:
            return 0.5
        return 1.0


def op_fields(op: str) -> list[ParamField]:
    """The editable parameters of op `op`, in declaration order, with their bounds.

    Range bounds come from spec.py's `range_bounds`, number bounds from ge/le constraints.

    Raises:
        KeyError: `op` is not in OP_TYPES.
    """
    cls = OP_TYPES[op]
    fields = []
    for name, info in cls.model_fields.items():
        if name == "op":
            continue
        ann = info.annotation
        desc = info.description or ""
        if typing.get_origin(ann) is Literal:
            fields.append(ParamField(name, "choice", info.default, None,
                                     tuple(typing.get_args(ann)), desc))  # fmt: skip
            continue
        if typing.get_origin(ann) is tuple:
            bounds = range_bounds(cls, name)
            default = tuple(float(v) for v in info.default)
            fields.append(ParamField(name, "range", default, bounds, (), desc))
            continue
        lo = hi = None
        for meta in info.metadata:
            lo = getattr(meta, "ge", lo)
            hi = getattr(meta, "le", hi)
        bounds = (float(lo), float(hi)) if lo is not None and hi is not None else None
        if name == "p":
            fields.append(ParamField(name, "probability", float(info.default), (0.0, 1.0), (),
                                     desc or "Probability that the op is applied."))  # fmt: skip
        elif ann is int:
            fields.append(ParamField(name, "int", int(info.default), bounds, (), desc))
        else:
            fields.append(ParamField(name, "float", float(info.default), bounds, (), desc))
    return fields


def op_values(op: str, preset: list[dict[str, Any]]) -> dict[str, Any]:
    """Every parameter of op `op`: its entry in `preset` (the first one) over its defaults.

    Ranges come back as (low, high) tuples of floats, like the editors hold them.
    """
    given = next((d for d in preset if d.get("op") == op), {})
    out = {}
    for f in op_fields(op):
        value = given.get(f.name, f.default)
        if f.kind == "range":
            value = (float(value[0]), float(value[1]))
        elif f.kind in ("probability", "float"):
            value = float(value)
        out[f.name] = value
    return out


# -- images ------------------------------------------------------------------------------------


def fit_within(image: np.ndarray, max_side: int = PREVIEW_MAX_SIDE) -> np.ndarray:
    """`image` shrunk (area averaging, aspect kept) so that its longer side is <= max_side.

    Returns the image itself when it already fits.
    """
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    scale = max_side / max(h, w)
    size = (max(1, math.floor(w * scale + 0.5)), max(1, math.floor(h * scale + 0.5)))
    out = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return out[:, :, np.newaxis] if out.ndim == 2 else out


@dataclass(frozen=True)
class LoadedImage:
    """A decoded upload, ready to preview.

    Attributes:
        image: uint8 RGB, at most `PREVIEW_MAX_SIDE` pixels on its longer side.
        original_size: (height, width) of the decoded file, before any shrinking.
    """

    image: np.ndarray
    original_size: tuple[int, int]

    @property
    def shrunk(self) -> bool:
        return tuple(self.image.shape[:2]) != self.original_size


def load_upload(
    data: bytes,
    name: str,
    *,
    max_pixels: int = MAX_PIXELS,
    max_side: int = PREVIEW_MAX_SIDE,
) -> LoadedImage:
    """Decode uploaded bytes (pixel cap checked before decoding) and fit them for preview.

    Raises:
        ImageTooLargeError: the header claims more than `max_pixels` pixels.
        ImageDecodeError: not a decodable image; the message names `name`.
    """
    image = decode_image(data, color_mode="rgb", max_pixels=max_pixels, name=name)
    return LoadedImage(fit_within(image, max_side), (int(image.shape[0]), int(image.shape[1])))


def unique_names(names: Sequence[str]) -> list[str]:
    """The names, with " (2)", " (3)"... added to repeats, so each one picks one file."""
    taken: set[str] = set()
    out = []
    for name in names:
        unique, k = name, 1
        while unique in taken:
            k += 1
            unique = f"{name} ({k})"
        taken.add(unique)
        out.append(unique)
    return out
