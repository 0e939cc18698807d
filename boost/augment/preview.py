"""Preview: n augmented variants of an image with captions, and contact sheets."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from boost.augment.ops import Draw, apply_draw, sample_draw, sample_rng
from boost.augment.spec import OpBase, Spec, compile_spec, op_type


@dataclass(frozen=True)
class Variant:
    """One augmented image, the draw that made it and a human caption of that draw."""

    image: np.ndarray
    draw: Draw
    caption: str


def preview(
    image: np.ndarray,
    ops: Spec | list[OpBase] | list[dict[str, Any]],
    *,
    seed: int = 0,
    n: int = 8,
    output_size: tuple[int, int] | None = None,
    epoch: int = 0,
    start: int = 0,
) -> list[Variant]:
    """`n` augmented variants of `image`.

    Variant k uses the generator of training sample `start + k` in `epoch` for `seed`
    (`sample_rng(seed, start + k, epoch)`): if `image` is training sample i, the variant
    with `start=i` is exactly what training fed the model in that epoch.

    Raises:
        SpecError: the spec is invalid.
        AugmentError: the spec does not fit this image.
    """
    spec = compile_spec(ops)
    out = []
    for i in range(start, start + n):
        draw = sample_draw(spec, image.shape, sample_rng(seed, i, epoch))
        out.append(Variant(apply_draw(image, draw, output_size), draw, describe(draw)))
    return out


def describe(draw: Draw) -> str:
    """A short caption, e.g. 'rotated 12.5 deg, flipped left-right, brightness x1.12'."""
    parts = [op_type(p).caption(p) for p in draw.ops]
    return ", ".join(parts) if parts else "unchanged"


def describe_spec(ops: Spec | list[OpBase] | list[dict[str, Any]]) -> str:
    """A one-line summary of a spec, e.g. 'rotate -12..12, hflip (p 0.5)'."""
    parts = [op.summary() for op in compile_spec(ops).ops]
    return ", ".join(parts) if parts else "none"


def contact_sheet(
    images: list[np.ndarray],
    captions: list[str] | None = None,
    *,
    cols: int | None = None,
    cell: int = 160,
    gap: int = 4,
) -> np.ndarray:
    """One RGB uint8 image: the images in a grid of `cell`-pixel squares, captioned below.

    Images keep their aspect ratio inside their cell; grayscale ones are shown in grey.
    """
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    n = len(images)
    cols = cols or min(n, 8)
    rows = math.ceil(n / cols)
    wrapped = [_wrap(c, cell) for c in captions] if captions else None
    caption_h = 4 + _LINE_H * max(len(w) for w in wrapped) if wrapped else 0
    sheet = np.full(
        (rows * (cell + caption_h + gap) + gap, cols * (cell + gap) + gap, 3), 255, np.uint8
    )
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y0, x0 = gap + r * (cell + caption_h + gap), gap + c * (cell + gap)
        rgb = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
        scale = cell / max(rgb.shape[:2])
        th, tw = max(1, round(rgb.shape[0] * scale)), max(1, round(rgb.shape[1] * scale))
        interp = cv2.INTER_NEAREST if scale >= 2 else cv2.INTER_AREA
        thumb = cv2.resize(rgb, (tw, th), interpolation=interp)
        oy, ox = y0 + (cell - th) // 2, x0 + (cell - tw) // 2
        sheet[oy : oy + th, ox : ox + tw] = thumb
        for k, line in enumerate(wrapped[i] if wrapped else []):
            cv2.putText(sheet, line, (x0, y0 + cell + _LINE_H * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.33, (40, 40, 40), 1, cv2.LINE_AA)  # fmt: skip
    return sheet


_LINE_H = 12
_MAX_LINES = 4


def _wrap(text: str, width: int) -> list[str]:
    """ASCII (OpenCV's fonts have no other glyphs), wrapped to the cell, at most 4 lines."""
    text = text.encode("ascii", "replace").decode()
    lines = textwrap.wrap(text, max(4, width // 6)) or [""]
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
        lines[-1] = lines[-1][:-2] + ".."
    return lines
