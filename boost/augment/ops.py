"""Sampling and applying augmentations: pure OpenCV/NumPy, uint8 in and out.

Sampling is separate from applying. `sample_draw(ops, shape, rng)` draws every random choice
from an explicit `np.random.Generator` into a `Draw` (plain JSON parameters); `apply_draw(image,
draw)` is a pure function of the image and the draw. Same seed, same pixels: the preview and
the training pipeline call the same two functions.

Speed comes from doing little: a leading crop is a slice (no pixels move); all other geometric
ops of a draw compose into one affine map and run as one `cv2.warpAffine` (one interpolation,
computed only at the output size); all colour ops compose into one 3x4 colour matrix run by
`cv2.transform`; the rest (blur, noise, cutout) follow. A crop that comes after other geometric
ops ends a warp, so that it still bounds what the later ops can show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from boost.augment.spec import OpBase, Spec, SpecError, compile_spec

#: Luma weights (ITU-R BT.601) in RGB order: grey for saturation, contrast and grayscale.
LUMA = np.array([0.299, 0.587, 0.114])
_GREY_ROWS = np.tile(LUMA, (3, 1))

_BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "reflect": cv2.BORDER_REFLECT_101,
    "replicate": cv2.BORDER_REPLICATE,
}


class AugmentError(ValueError):
    """A spec cannot be applied to this image (for example a crop larger than the image)."""


@dataclass(frozen=True)
class Draw:
    """Everything random about one augmented sample.

    Attributes:
        ops: the ops that fired, in spec order, each `{"op": name, **sampled parameters}`.
        border, fill: how the fused warp fills pixels from outside the image.
    """

    ops: tuple[dict[str, Any], ...] = ()
    border: str = "constant"
    fill: int = 0
    size: tuple[int, int] = field(default=(0, 0))  # (height, width) of the input it was drawn for

    def to_dict(self) -> dict[str, Any]:
        return {"ops": list(self.ops), "border": self.border, "fill": self.fill,
                "size": list(self.size)}  # fmt: skip


# -- sampling ----------------------------------------------------------------------------------


def sample_draw(
    spec: Spec | list[OpBase] | list[dict[str, Any]],
    shape: tuple[int, ...],
    rng: np.random.Generator,
) -> Draw:
    """Draw the random parameters of every op for an image of `shape` (H, W[, C]).

    Pass a `compile_spec` result when sampling many images: a list is validated each call.

    Raises:
        SpecError: the spec is invalid.
        AugmentError: the spec does not fit the image (a crop larger than the image).
    """
    spec = compile_spec(spec)
    h, w = int(shape[0]), int(shape[1])
    fired: list[dict[str, Any]] = []
    for op in spec.ops:
        if op.p < 1.0 and rng.random() >= op.p:
            continue
        params, (h, w) = _sample_one(op, h, w, rng)
        fired.append({"op": op.op, **params})  # type: ignore[attr-defined]
    return Draw(tuple(fired), spec.border, spec.fill, (int(shape[0]), int(shape[1])))


def _uniform(rng: np.random.Generator, r: tuple[float, float]) -> float:
    return float(r[0]) if r[0] == r[1] else float(rng.uniform(r[0], r[1]))


def _sample_one(
    op: Any, h: int, w: int, rng: np.random.Generator
) -> tuple[dict[str, Any], tuple[int, int]]:
    """Parameters of one op, and the canvas size (h, w) after it."""
    name = op.op
    if name == "crop":
        if op.height > h or op.width > w:
            raise AugmentError(
                f"crop {op.height}x{op.width} is larger than the image ({h}x{w}); "
                "choose a smaller crop or a larger image"
            )
        x = int(rng.integers(0, w - op.width + 1))
        y = int(rng.integers(0, h - op.height + 1))
        return {"x": x, "y": y, "height": op.height, "width": op.width}, (op.height, op.width)
    if name == "random_resized_crop":
        return _sample_resized_crop(op, h, w, rng), (h, w)
    if name == "rotate":
        angle = _uniform(rng, op.angle_range)
        if op.mode == "expand":
            h, w = _expanded_size(h, w, angle)
        return {"angle": angle, "mode": op.mode}, (h, w)
    if name in ("hflip", "vflip", "grayscale"):
        return {}, (h, w)
    if name in ("scale",):
        return {"factor": _uniform(rng, op.scale_range)}, (h, w)
    if name == "translate":
        return {"dx": _uniform(rng, op.x_range), "dy": _uniform(rng, op.y_range)}, (h, w)
    if name == "shear":
        return {"angle": _uniform(rng, op.angle_range)}, (h, w)
    if name in ("brightness", "contrast", "saturation"):
        return {"factor": _uniform(rng, op.factor_range)}, (h, w)
    if name == "hue":
        return {"shift": _uniform(rng, op.shift_range)}, (h, w)
    if name == "blur":
        return {"sigma": _uniform(rng, op.sigma_range)}, (h, w)
    if name == "noise":
        return {"std": _uniform(rng, op.std_range), "seed": int(rng.integers(2**31))}, (h, w)
    if name == "cutout":
        # Holes as fractions of the output (x, y, width, height): geometry and the resize to
        # the training size run before cutout, so pixels are only known when applying.
        holes = []
        for _ in range(op.count):
            side = _uniform(rng, op.size_range)
            holes.append([_uniform(rng, (0.0, 1.0 - side)), _uniform(rng, (0.0, 1.0 - side)),
                          side, side])  # fmt: skip
        return {"holes": holes, "fill": op.fill}, (h, w)
    raise SpecError([f"unknown op {name!r}"])  # unreachable: the spec is validated


def _sample_resized_crop(op: Any, h: int, w: int, rng: np.random.Generator) -> dict[str, Any]:
    """torchvision's RandomResizedCrop: up to 10 tries, then the largest centred crop."""
    area = h * w
    log_ratio = (math.log(op.ratio_range[0]), math.log(op.ratio_range[1]))
    for _ in range(10):
        target = area * _uniform(rng, op.scale_range)
        ratio = math.exp(_uniform(rng, log_ratio))
        cw = round(math.sqrt(target * ratio))
        ch = round(math.sqrt(target / ratio))
        if 0 < cw <= w and 0 < ch <= h:
            x = int(rng.integers(0, w - cw + 1))
            y = int(rng.integers(0, h - ch + 1))
            return {"x": x, "y": y, "height": ch, "width": cw}
    ratio = min(max(w / h, op.ratio_range[0]), op.ratio_range[1])
    cw, ch = (w, min(h, round(w / ratio))) if w / h < ratio else (min(w, round(h * ratio)), h)
    return {"x": (w - cw) // 2, "y": (h - ch) // 2, "height": ch, "width": cw}


def _expanded_size(h: int, w: int, angle: float) -> tuple[int, int]:
    """Canvas that holds every pixel centre of an (h, w) image rotated by `angle` degrees."""
    a = math.radians(angle)
    c, s = abs(math.cos(a)), abs(math.sin(a))
    # Round away float noise first, so that 90 degrees swaps the sides exactly.
    nw = math.ceil(round((w - 1) * c + (h - 1) * s, 6)) + 1
    nh = math.ceil(round((w - 1) * s + (h - 1) * c, 6)) + 1
    return nh, nw


# -- applying ----------------------------------------------------------------------------------

#: An affine map of pixel coordinates as plain floats (a, b, c, d, e, f):
#: x' = a x + b y + c, y' = d x + e y + f. Pure Python: a draw composes a handful of these,
#: and NumPy's per-call overhead would cost more than the arithmetic.
Affine = tuple[float, float, float, float, float, float]
IDENTITY: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
GEOMETRY = frozenset({"crop", "random_resized_crop", "rotate", "hflip", "vflip", "scale",
                      "translate", "shear"})  # fmt: skip
COLOUR = frozenset({"brightness", "contrast", "saturation", "hue", "grayscale"})
_CROPS = ("crop", "random_resized_crop")


def _then(m: Affine, n: Affine) -> Affine:
    """m, then n."""
    a, b, c, d, e, f = m
    na, nb, nc, nd, ne, nf = n
    return (na * a + nb * d, na * b + nb * e, na * c + nb * f + nc,
            nd * a + ne * d, nd * b + ne * e, nd * c + ne * f + nf)  # fmt: skip


def _about_centre(h: int, w: int, a: float, b: float, d: float, e: float) -> Affine:
    """The linear map (a b; d e) about the centre of an h x w canvas."""
    cx, cy = (w - 1) / 2, (h - 1) / 2
    return (a, b, cx - a * cx - b * cy, d, e, cy - d * cx - e * cy)


def _resize(w0: int, h0: int, w1: int, h1: int) -> Affine:
    """Resize a w0 x h0 canvas to w1 x h1, pixel edges onto pixel edges."""
    sx, sy = w1 / w0, h1 / h0
    return (sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5)


def _step(p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
    """The map of one geometric op on an h x w canvas, and the canvas after it.

    Pixel centres sit at integer coordinates (OpenCV's convention), so flips and crops are
    integer maps and come out exact.
    """
    name = p["op"]
    if name in _CROPS:
        m: Affine = (1.0, 0.0, -p["x"], 0.0, 1.0, -p["y"])
        if name == "random_resized_crop":  # stretched back to the canvas it was cut from
            return _then(m, _resize(p["width"], p["height"], w, h)), (h, w)
        return m, (p["height"], p["width"])
    if name == "rotate":
        a = math.radians(p["angle"])
        cos, sin = math.cos(a), math.sin(a)
        nh, nw = _expanded_size(h, w, p["angle"]) if p["mode"] == "expand" else (h, w)
        cx, cy, ncx, ncy = (w - 1) / 2, (h - 1) / 2, (nw - 1) / 2, (nh - 1) / 2
        # Counter-clockwise on screen (y points down), like cv2.getRotationMatrix2D.
        return (cos, sin, ncx - cos * cx - sin * cy,
                -sin, cos, ncy + sin * cx - cos * cy), (nh, nw)  # fmt: skip
    if name == "hflip":
        return (-1.0, 0.0, w - 1.0, 0.0, 1.0, 0.0), (h, w)
    if name == "vflip":
        return (1.0, 0.0, 0.0, 0.0, -1.0, h - 1.0), (h, w)
    if name == "scale":
        f = p["factor"]
        return _about_centre(h, w, f, 0.0, 0.0, f), (h, w)
    if name == "translate":
        return (1.0, 0.0, p["dx"] * w, 0.0, 1.0, p["dy"] * h), (h, w)
    if name == "shear":
        return _about_centre(h, w, 1.0, math.tan(math.radians(p["angle"])), 0.0, 1.0), (h, w)
    raise SpecError([f"{name!r} is not a geometric op"])


def geometry_matrix(
    draw: Draw, output_size: tuple[int, int] | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """The 3x3 matrix mapping input pixel centres to output pixel centres, and the output (h, w)."""
    h, w = draw.size
    m = IDENTITY
    for p in draw.ops:
        if p["op"] in GEOMETRY:
            step, (h, w) = _step(p, h, w)
            m = _then(m, step)
    if output_size is not None and tuple(output_size) != (h, w):
        m = _then(m, _resize(w, h, output_size[1], output_size[0]))
        h, w = output_size
    return np.array([m[:3], m[3:], (0.0, 0.0, 1.0)]), (h, w)


def _apply_geometry(
    image: np.ndarray, draw: Draw, output_size: tuple[int, int] | None
) -> np.ndarray:
    out = image
    h, w = image.shape[:2]
    pending: Affine | None = None  # composed, not yet applied
    for p in draw.ops:
        if p["op"] not in GEOMETRY:
            continue
        if p["op"] in _CROPS:
            if pending is not None:  # materialise, so that the crop bounds later ops
                out, pending = _warp(out, pending, (h, w), draw), None
            x, y, cw, ch = p["x"], p["y"], p["width"], p["height"]
            out = out[y : y + ch, x : x + cw]  # a view: no pixels move
            if p["op"] == "random_resized_crop":
                pending = _resize(cw, ch, w, h)
            else:
                h, w = ch, cw
            continue
        step, (h, w) = _step(p, h, w)
        pending = step if pending is None else _then(pending, step)
    if output_size is not None and tuple(output_size) != (h, w):
        resize = _resize(w, h, output_size[1], output_size[0])
        pending = resize if pending is None else _then(pending, resize)
        h, w = output_size
    return out if pending is None else _warp(out, pending, (h, w), draw)


def _warp(image: np.ndarray, m: Affine, size: tuple[int, int], draw: Draw) -> np.ndarray:
    # OpenCV's warp is about twice as fast on 4 channels as on 3 (its vector paths), and the
    # result is bit-identical, so 3-channel images take the 4-channel road.
    three = image.ndim == 3 and image.shape[2] == 3
    src = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA) if three else image
    out = cv2.warpAffine(
        src,
        np.array([m[:3], m[3:]]),
        (size[1], size[0]),
        flags=cv2.INTER_LINEAR,
        borderMode=_BORDERS[draw.border],
        borderValue=(draw.fill,) * 4,
    )
    return cv2.cvtColor(out, cv2.COLOR_RGBA2RGB) if three else out


def colour_matrix(draw: Draw, channels: int, mean: np.ndarray | None) -> np.ndarray | None:
    """The composed colour transform as a C x (C+1) matrix [A | b], or None if identity.

    `mean` is the image's mean colour before the colour stage; contrast needs it (the
    composed transform is still affine because the mean moves through it linearly).
    """
    a, b = np.eye(channels), np.zeros(channels)
    grey_rows = _GREY_ROWS if channels == 3 else None
    touched = False
    for p in draw.ops:
        name = p["op"]
        if name == "brightness":
            a2, b2 = p["factor"] * np.eye(channels), np.zeros(channels)
        elif name == "contrast":
            cur = a @ mean + b if mean is not None else np.zeros(channels)
            grey = float(LUMA @ cur) if channels == 3 else float(cur[0])
            a2, b2 = p["factor"] * np.eye(channels), np.full(channels, (1 - p["factor"]) * grey)
        elif name == "saturation" and grey_rows is not None:
            f = p["factor"]
            a2, b2 = f * np.eye(3) + (1 - f) * grey_rows, np.zeros(3)
        elif name == "hue" and channels == 3:
            a2, b2 = _hue_matrix(p["shift"]), np.zeros(3)
        elif name == "grayscale" and grey_rows is not None:
            a2, b2 = grey_rows, np.zeros(3)
        else:
            continue
        a, b = a2 @ a, a2 @ b + b2
        touched = True
    return np.hstack([a, b[:, None]]) if touched else None


def _hue_matrix(degrees: float) -> np.ndarray:
    """Rotate colours about the grey axis, keeping luma (the W3C `hue-rotate` matrix)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array(
        [
            [0.213 + 0.787 * c - 0.213 * s, 0.715 - 0.715 * c - 0.715 * s, 0.072 - 0.072 * c + 0.928 * s],
            [0.213 - 0.213 * c + 0.143 * s, 0.715 + 0.285 * c + 0.140 * s, 0.072 - 0.072 * c - 0.283 * s],
            [0.213 - 0.213 * c - 0.787 * s, 0.715 - 0.715 * c + 0.715 * s, 0.072 + 0.928 * c + 0.072 * s],
        ]
    )  # fmt: skip


def apply_draw(
    image: np.ndarray, draw: Draw, output_size: tuple[int, int] | None = None
) -> np.ndarray:
    """Apply a draw to a uint8 image (H x W x C, C = 1 or 3). Pure: no randomness here.

    Args:
        image: the input; not modified.
        draw: from `sample_draw` for an image of this size.
        output_size: (height, width) to resize the result to, folded into the same warp
            (training uses the model's input size; None keeps the natural size).

    Returns:
        A new uint8 array with the same number of channels.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1, 3):
        raise AugmentError(
            f"expected a uint8 image of shape (H, W, 1) or (H, W, 3); got {image.dtype} {image.shape}"
        )
    if tuple(image.shape[:2]) != tuple(draw.size):
        raise AugmentError(f"draw made for size {draw.size}, image is {image.shape[:2]}")
    channels = image.shape[2]
    fired = {p["op"] for p in draw.ops}
    out = image
    if fired & GEOMETRY or (output_size is not None and tuple(output_size) != image.shape[:2]):
        out = _apply_geometry(image, draw, output_size)
    if fired & COLOUR:
        mean = np.array(cv2.mean(out)[:channels]) if "contrast" in fired else None
        cm = colour_matrix(draw, channels, mean)
        if cm is not None:
            out = cv2.transform(out, cm)
    for p in draw.ops:
        name = p["op"]
        if name == "blur" and p["sigma"] > 0:
            out = cv2.GaussianBlur(out, (0, 0), p["sigma"])
        elif name == "noise" and p["std"] > 0:
            noise = np.random.default_rng(p["seed"]).standard_normal(out.shape, dtype=np.float32)
            out = np.clip(out + noise * np.float32(p["std"]), 0, 255).round().astype(np.uint8)
        elif name == "cutout":
            out = out.copy() if np.may_share_memory(out, image) else out
            for x, y, w, h in cutout_boxes(p["holes"], out.shape[0], out.shape[1]):
                out[y : y + h, x : x + w] = p["fill"]
    if out.ndim == 2:  # OpenCV drops the channel axis of one-channel images
        out = out[:, :, None]
    # A copy when nothing moved pixels (or only a crop made a view): callers may write into it.
    return out.copy() if np.may_share_memory(out, image) else out


def cutout_boxes(
    holes: list[list[float]], height: int, width: int
) -> list[tuple[int, int, int, int]]:
    """Cutout holes (fractions) as pixel boxes (x, y, w, h) on a height x width image."""
    boxes = []
    for fx, fy, fw, fh in holes:
        w, h = max(1, round(fw * width)), max(1, round(fh * height))
        boxes.append((min(round(fx * width), width - w), min(round(fy * height), height - h), w, h))
    return boxes


def augment(
    image: np.ndarray,
    ops: Spec | list[OpBase] | list[dict[str, Any]],
    rng: np.random.Generator,
    output_size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, Draw]:
    """Sample and apply in one call; returns the image and the draw that made it."""
    draw = sample_draw(ops, image.shape, rng)
    return apply_draw(image, draw, output_size), draw


def sample_rng(seed: int, index: int, epoch: int = 0) -> np.random.Generator:
    """The generator for one training sample: a function of (seed, epoch, sample index) only,
    so the preview of sample i reproduces exactly what training saw for it."""
    return np.random.default_rng([seed, epoch, index])
