"""Sampling and applying augmentations: pure OpenCV/NumPy, uint8 in and out.

Sampling is separate from applying. `sample_draw(ops, shape, rng)` draws every random choice
from an explicit `np.random.Generator` into a `Draw` (plain JSON parameters); `apply_draw(image,
draw)` is a pure function of the image and the draw. Same seed, same pixels: the preview and
the training pipeline call the same two functions.

Speed comes from doing little: all geometric ops of a draw compose into one 3x3 matrix and run
as one `cv2.warpAffine` (one interpolation, output only as large as the final canvas); all
colour ops compose into one 3x4 colour matrix run by `cv2.transform`; the rest (blur, noise,
cutout) follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from boost.augment.spec import SpecError, _Op, geometry_border, parse_spec

#: Luma weights (ITU-R BT.601) in RGB order: grey for saturation, contrast and grayscale.
LUMA = np.array([0.299, 0.587, 0.114])

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
    ops: list[_Op] | list[dict[str, Any]], shape: tuple[int, ...], rng: np.random.Generator
) -> Draw:
    """Draw the random parameters of every op for an image of `shape` (H, W[, C]).

    Raises:
        SpecError: the spec is invalid.
        AugmentError: the spec does not fit the image (a crop larger than the image).
    """
    ops = parse_spec(ops) if ops and isinstance(ops[0], dict) else ops
    border, fill = geometry_border(ops)  # type: ignore[arg-type]
    h, w = int(shape[0]), int(shape[1])
    fired: list[dict[str, Any]] = []
    for op in ops:
        if op.p < 1.0 and rng.random() >= op.p:
            continue
        params, (h, w) = _sample_one(op, h, w, rng)
        fired.append({"op": op.op, **params})  # type: ignore[attr-defined]
    return Draw(tuple(fired), border, fill, (int(shape[0]), int(shape[1])))


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
        holes = []
        for _ in range(op.count):
            side = _uniform(rng, op.size_range)
            hh, hw = max(1, round(side * h)), max(1, round(side * w))
            holes.append(
                [int(rng.integers(0, w - hw + 1)), int(rng.integers(0, h - hh + 1)), hw, hh]
            )
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


def geometry_matrix(
    draw: Draw, output_size: tuple[int, int] | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """The 3x3 matrix mapping input pixel centres to output pixel centres, and the output (h, w).

    Pixel centres sit at integer coordinates (OpenCV's convention), so flips and crops are
    integer maps and come out exact.
    """
    h, w = draw.size
    m = np.eye(3)
    for p in draw.ops:
        name = p["op"]
        step = None
        if name in ("crop", "random_resized_crop"):
            step = _translation(-p["x"], -p["y"])
            if name == "random_resized_crop":  # stretch back to the canvas it was cut from
                step = _resize(p["width"], p["height"], w, h) @ step
            else:
                h, w = p["height"], p["width"]
        elif name == "rotate":
            cx, cy = (w - 1) / 2, (h - 1) / 2
            if p["mode"] == "expand":
                h, w = _expanded_size(h, w, p["angle"])
            rot = np.vstack([cv2.getRotationMatrix2D((0.0, 0.0), p["angle"], 1.0), [0, 0, 1]])
            step = _translation((w - 1) / 2, (h - 1) / 2) @ rot @ _translation(-cx, -cy)
        elif name == "hflip":
            step = np.array([[-1.0, 0, w - 1], [0, 1, 0], [0, 0, 1]])
        elif name == "vflip":
            step = np.array([[1.0, 0, 0], [0, -1, h - 1], [0, 0, 1]])
        elif name == "scale":
            cx, cy = (w - 1) / 2, (h - 1) / 2
            f = p["factor"]
            step = _translation(cx, cy) @ np.diag([f, f, 1.0]) @ _translation(-cx, -cy)
        elif name == "translate":
            step = _translation(p["dx"] * w, p["dy"] * h)
        elif name == "shear":
            cy = (h - 1) / 2
            t = math.tan(math.radians(p["angle"]))
            step = np.array([[1.0, t, -t * cy], [0, 1, 0], [0, 0, 1]])
        if step is not None:
            m = step @ m
    if output_size is not None and output_size != (h, w):
        m = _resize(w, h, output_size[1], output_size[0]) @ m
        h, w = output_size
    return m, (h, w)


def _translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0, tx], [0, 1, ty], [0, 0, 1]])


def _resize(w0: int, h0: int, w1: int, h1: int) -> np.ndarray:
    """Resize a w0 x h0 canvas to w1 x h1, mapping pixel edges to pixel edges."""
    sx, sy = w1 / w0, h1 / h0
    return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]])


def colour_matrix(draw: Draw, channels: int, mean: np.ndarray | None) -> np.ndarray | None:
    """The composed colour transform as a C x (C+1) matrix [A | b], or None if identity.

    `mean` is the image's mean colour before the colour stage; contrast needs it (the
    composed transform is still affine because the mean moves through it linearly).
    """
    a, b = np.eye(channels), np.zeros(channels)
    grey_rows = np.tile(LUMA, (3, 1)) if channels == 3 else None
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
    if not touched or (np.allclose(a, np.eye(channels)) and np.allclose(b, 0)):
        return None
    return np.hstack([a, b[:, None]])


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
    out = image
    m, (h, w) = geometry_matrix(draw, output_size)
    if (h, w) != image.shape[:2] or not np.allclose(m, np.eye(3)):
        out = cv2.warpAffine(
            out,
            m[:2],
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=_BORDERS[draw.border],
            borderValue=(draw.fill,) * 4,
        )
    ops = {p["op"] for p in draw.ops}
    if ops & {"brightness", "contrast", "saturation", "hue", "grayscale"}:
        mean = np.array(cv2.mean(out)[:channels]) if "contrast" in ops else None
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
            out = out.copy() if out is image else out
            for x, y, hw, hh in p["holes"]:
                out[y : y + hh, x : x + hw] = p["fill"]
    if out.ndim == 2:  # OpenCV drops the channel axis of one-channel images
        out = out[:, :, None]
    return out.copy() if out is image else out


def augment(
    image: np.ndarray,
    ops: list[_Op] | list[dict[str, Any]],
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
