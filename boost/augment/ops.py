"""Sampling and applying augmentations: pure OpenCV/NumPy, uint8 in and out.

Sampling is separate from applying. `sample_draw(ops, shape, rng)` draws every random choice
from an explicit `np.random.Generator` into a `Draw` (plain JSON parameters); `apply_draw(image,
draw)` is a pure function of the image and the draw. Same seed, same pixels: the preview and
the training pipeline call the same two functions.

This module only fuses stages; what each op does is its class's (`boost.augment.library`).
Speed comes from doing little: a leading crop is a slice (no pixels move); all other geometric
ops of a draw compose into one affine map and run as one `cv2.warpAffine` (one interpolation,
computed only at the output size); all colour ops compose into one 3x4 colour matrix run by
`cv2.transform`; the rest (blur, noise, cutout) follow. A crop that comes after other geometric
ops ends a warp, so that it still bounds what the later ops can show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from boost.augment.geometry import IDENTITY, Affine, resize, then
from boost.augment.library import AugmentError, cutout_boxes
from boost.augment.spec import OpBase, Spec, compile_spec, op_type

__all__ = ["AugmentError", "Draw", "apply_draw", "augment", "colour_matrix", "cutout_boxes",
           "geometry_matrix", "sample_draw", "sample_rng"]  # fmt: skip

_BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "reflect": cv2.BORDER_REFLECT_101,
    "replicate": cv2.BORDER_REPLICATE,
}


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

    def in_stage(self, stage: str) -> list[tuple[type[OpBase], dict[str, Any]]]:
        """The fired ops of one stage, in spec order, each with its class."""
        return [(cls, p) for p in self.ops if (cls := op_type(p)).stage == stage]


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
        params, (h, w) = op.sample(h, w, rng)
        fired.append({"op": op.name(), **params})
    return Draw(tuple(fired), spec.border, spec.fill, (int(shape[0]), int(shape[1])))


# -- geometry ----------------------------------------------------------------------------------


def geometry_matrix(
    draw: Draw, output_size: tuple[int, int] | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """The 3x3 matrix mapping input pixel centres to output pixel centres, and the output (h, w)."""
    h, w = draw.size
    m = IDENTITY
    for cls, p in draw.in_stage("geometry"):
        step, (h, w) = cls.affine(p, h, w)
        m = then(m, step)
    if output_size is not None and tuple(output_size) != (h, w):
        m = then(m, resize(w, h, output_size[1], output_size[0]))
        h, w = output_size
    return np.array([m[:3], m[3:], (0.0, 0.0, 1.0)]), (h, w)


def _apply_geometry(
    image: np.ndarray, draw: Draw, output_size: tuple[int, int] | None
) -> np.ndarray:
    out = image
    h, w = image.shape[:2]
    pending: Affine | None = None  # composed, not yet applied
    for cls, p in draw.in_stage("geometry"):
        if cls.is_crop:
            if pending is not None:  # materialise, so that the crop bounds later ops
                out, pending = _warp(out, pending, (h, w), draw), None
            x, y, cw, ch = cls.window(p)
            out = out[y : y + ch, x : x + cw]  # a view: no pixels move
            if cls.stretches_back:
                pending = resize(cw, ch, w, h)
            else:
                h, w = ch, cw
            continue
        step, (h, w) = cls.affine(p, h, w)
        pending = step if pending is None else then(pending, step)
    if output_size is not None and tuple(output_size) != (h, w):
        to_size = resize(w, h, output_size[1], output_size[0])
        pending = to_size if pending is None else then(pending, to_size)
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


# -- colour ------------------------------------------------------------------------------------


def colour_matrix(draw: Draw, channels: int, mean: np.ndarray | None) -> np.ndarray | None:
    """The composed colour transform as a C x (C+1) matrix [A | b], or None if identity.

    `mean` is the image's mean colour before the colour stage; ops that need it (contrast)
    get it as the ops before them moved it (still affine: the mean moves through linearly).
    """
    a, b = np.eye(channels), np.zeros(channels)
    touched = False
    for cls, p in draw.in_stage("colour"):
        if cls.rgb_only and channels != 3:
            continue
        so_far = a @ mean + b if cls.needs_mean and mean is not None else None
        a2, b2 = cls.colour(p, channels, so_far)
        a, b = a2 @ a, a2 @ b + b2
        touched = True
    return np.hstack([a, b[:, None]]) if touched else None


# -- the whole draw ----------------------------------------------------------------------------


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
    resized = output_size is not None and tuple(output_size) != image.shape[:2]
    if draw.in_stage("geometry") or resized:
        out = _apply_geometry(image, draw, output_size)
    colour = draw.in_stage("colour")
    if colour:
        needs_mean = any(cls.needs_mean for cls, _ in colour)
        mean = np.array(cv2.mean(out)[:channels]) if needs_mean else None
        cm = colour_matrix(draw, channels, mean)
        if cm is not None:
            out = cv2.transform(out, cm)
    for cls, p in draw.in_stage("pixel"):
        out = _channel_axis(out)
        out = cls.apply(out, p, image)
    out = _channel_axis(out)
    # A copy when nothing moved pixels (or only a crop made a view): callers may write into it.
    return out.copy() if np.may_share_memory(out, image) else out


def _channel_axis(image: np.ndarray) -> np.ndarray:
    """OpenCV drops the channel axis of one-channel images: put it back."""
    return image[:, :, None] if image.ndim == 2 else image


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
