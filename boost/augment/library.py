"""The augmentation ops: one class each, with everything the product knows about it.

Each class holds its parameters and their bounds (pydantic fields), how it samples a draw,
what a draw adds to its stage (a map of the canvas, a colour matrix, or pixels), how a draw
reads as a caption and how the op is written in the exported script. `boost.augment.ops`
only fuses the stages; the pages, the training pipeline and the script export read these
classes through `OP_TYPES`. Adding an op is one class here (and its test).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import cv2
import numpy as np
from pydantic import Field

from boost.augment.code import Code, CodeContext, num
from boost.augment.geometry import Affine, about_centre, expanded_size, resize, then
from boost.augment.spec import BorderMode, OpBase, Range, range_field, uniform
from boost.validation import Float, Int

if TYPE_CHECKING:
    from numpy.random import Generator

#: Luma weights (ITU-R BT.601) in RGB order: grey for saturation, contrast and grayscale.
LUMA = np.array([0.299, 0.587, 0.114])
GREY_ROWS = np.tile(LUMA, (3, 1))


class AugmentError(ValueError):
    """A spec cannot be applied to this image (for example a crop larger than the image)."""


# -- geometry ----------------------------------------------------------------------------------


class Crop(OpBase):
    """Random crop of a fixed size in pixels (the seed's `random_crop`)."""

    op: Literal["crop"] = "crop"
    stage: ClassVar[str] = "geometry"
    is_crop: ClassVar[bool] = True
    height: Int = Field(24, ge=1, le=8192)
    width: Int = Field(24, ge=1, le=8192)

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        if self.height > h or self.width > w:
            raise AugmentError(
                f"crop {self.height}x{self.width} is larger than the image ({h}x{w}); "
                "choose a smaller crop or a larger image"
            )
        x = int(rng.integers(0, w - self.width + 1))
        y = int(rng.integers(0, h - self.height + 1))
        params = {"x": x, "y": y, "height": self.height, "width": self.width}
        return params, (self.height, self.width)

    @classmethod
    def window(cls, p: dict[str, Any]) -> tuple[int, int, int, int]:
        return p["x"], p["y"], p["width"], p["height"]

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        return (1.0, 0.0, -p["x"], 0.0, 1.0, -p["y"]), (p["height"], p["width"])

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"crop {p['width']}x{p['height']} at ({p['x']}, {p['y']})"

    def summary_extra(self) -> list[str]:
        return [f"{self.height}x{self.width}"]

    def code(self, ctx: CodeContext) -> Code:
        ch, cw = self.height, self.width
        lines = []
        if ctx.after_geometry:
            lines.append(
                "image, m = warp(image, m, h, w), np.eye(3)  # the crop bounds what follows"
            )
        lines += [
            f"x, y = rng.integers(0, w - {cw} + 1), rng.integers(0, h - {ch} + 1)",
            f"image, h, w = image[y : y + {ch}, x : x + {cw}], {ch}, {cw}",
        ]
        return Code(f"crop: a random {ch}x{cw} window", lines, resizes=True)


class RandomResizedCrop(OpBase):
    """Crop a random area and aspect ratio, then stretch it back to the input size."""

    op: Literal["random_resized_crop"] = "random_resized_crop"
    stage: ClassVar[str] = "geometry"
    is_crop: ClassVar[bool] = True
    stretches_back: ClassVar[bool] = True
    scale_range: Range = range_field((0.6, 1.0), 0.05, 1.0, "Fraction of the image area kept")
    ratio_range: Range = range_field(
        (0.75, 4 / 3), 0.2, 5.0, "Aspect ratio (width/height) of the crop"
    )

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        """torchvision's RandomResizedCrop: up to 10 tries, then the largest centred crop."""
        area = h * w
        log_ratio = (math.log(self.ratio_range[0]), math.log(self.ratio_range[1]))
        for _ in range(10):
            target = area * uniform(rng, self.scale_range)
            ratio = math.exp(uniform(rng, log_ratio))
            cw = round(math.sqrt(target * ratio))
            ch = round(math.sqrt(target / ratio))
            if 0 < cw <= w and 0 < ch <= h:
                x = int(rng.integers(0, w - cw + 1))
                y = int(rng.integers(0, h - ch + 1))
                return {"x": x, "y": y, "height": ch, "width": cw}, (h, w)
        ratio = min(max(w / h, self.ratio_range[0]), self.ratio_range[1])
        cw, ch = (w, min(h, round(w / ratio))) if w / h < ratio else (min(w, round(h * ratio)), h)
        return {"x": (w - cw) // 2, "y": (h - ch) // 2, "height": ch, "width": cw}, (h, w)

    @classmethod
    def window(cls, p: dict[str, Any]) -> tuple[int, int, int, int]:
        return p["x"], p["y"], p["width"], p["height"]

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        cut: Affine = (1.0, 0.0, -p["x"], 0.0, 1.0, -p["y"])
        return then(cut, resize(p["width"], p["height"], w, h)), (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"crop {p['width']}x{p['height']} at ({p['x']}, {p['y']}), resized"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = self.scale_range
        lines = []
        if ctx.after_geometry:
            lines.append("image = warp(image, m, h, w)  # the crop bounds what follows")
        ranges = [repr(tuple(self.scale_range)), repr(tuple(self.ratio_range))]
        lines += ctx.call("x, y, cw, ch = resized_crop_window", ["h", "w", "rng", *ranges])
        lines.append("image, m = image[y : y + ch, x : x + cw], resize_matrix(cw, ch, w, h)")
        return Code(
            f"random_resized_crop: {lo:.0%} to {hi:.0%} of the area, stretched back",
            lines,
            ("resize_matrix", "resized_crop_window"),
        )


class Rotate(OpBase):
    """Rotation by a random angle (degrees, counter-clockwise).

    `mode="expand"` grows the canvas to keep the whole image (the seed's `random_rotate`);
    `mode="same"` keeps the size and fills the corners with `border`.
    """

    op: Literal["rotate"] = "rotate"
    stage: ClassVar[str] = "geometry"
    angle_range: Range = range_field((-15.0, 15.0), -180, 180, "Angle in degrees")
    mode: Literal["same", "expand"] = "same"
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255, description="Fill value for border 'constant'.")

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        angle = uniform(rng, self.angle_range)
        if self.mode == "expand":
            h, w = expanded_size(h, w, angle)
        return {"angle": angle, "mode": self.mode}, (h, w)

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        a = math.radians(p["angle"])
        cos, sin = math.cos(a), math.sin(a)
        nh, nw = expanded_size(h, w, p["angle"]) if p["mode"] == "expand" else (h, w)
        cx, cy, ncx, ncy = (w - 1) / 2, (h - 1) / 2, (nw - 1) / 2, (nh - 1) / 2
        # Counter-clockwise on screen (y points down), like cv2.getRotationMatrix2D.
        return (cos, sin, ncx - cos * cx - sin * cy,
                -sin, cos, ncy + sin * cx - cos * cy), (nh, nw)  # fmt: skip

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"rotated {p['angle']:.1f} deg" + (" (expanded)" if p["mode"] == "expand" else "")

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.angle_range)
        if self.mode == "expand":
            return Code(
                f"rotate by {lo}..{hi} degrees, growing the canvas to keep the corners",
                [
                    f"angle = rng.uniform({lo}, {hi})",
                    "new_h, new_w = expanded_size(h, w, angle)",
                    "m = rotation_matrix(angle, h, w, new_h, new_w) @ m",
                    "h, w = new_h, new_w",
                ],
                ("rotation_matrix", "expanded_size"),
                resizes=True,
            )
        return Code(
            f"rotate by {lo}..{hi} degrees, counter-clockwise, about the centre",
            [f"m = rotation_matrix(rng.uniform({lo}, {hi}), h, w, h, w) @ m"],
            ("rotation_matrix",),
        )


class HFlip(OpBase):
    """Mirror left-right."""

    op: Literal["hflip"] = "hflip"
    stage: ClassVar[str] = "geometry"
    p: Float = Field(0.5, ge=0.0, le=1.0)

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        return (-1.0, 0.0, w - 1.0, 0.0, 1.0, 0.0), (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return "flipped left-right"

    def code(self, ctx: CodeContext) -> Code:
        return Code("hflip: mirror left-right",
                    ["m = np.array([[-1, 0, w - 1], [0, 1, 0], [0, 0, 1]]) @ m"])  # fmt: skip


class VFlip(OpBase):
    """Mirror top-bottom."""

    op: Literal["vflip"] = "vflip"
    stage: ClassVar[str] = "geometry"
    p: Float = Field(0.5, ge=0.0, le=1.0)

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        return (1.0, 0.0, 0.0, 0.0, -1.0, h - 1.0), (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return "flipped top-bottom"

    def code(self, ctx: CodeContext) -> Code:
        return Code("vflip: mirror top-bottom",
                    ["m = np.array([[1, 0, 0], [0, -1, h - 1], [0, 0, 1]]) @ m"])  # fmt: skip


class Scale(OpBase):
    """Zoom about the centre by a random factor (>1 zooms in)."""

    op: Literal["scale"] = "scale"
    stage: ClassVar[str] = "geometry"
    scale_range: Range = range_field((0.9, 1.1), 0.1, 10.0, "Zoom factor")
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255)

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"factor": uniform(rng, self.scale_range)}, (h, w)

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        f = p["factor"]
        return about_centre(h, w, f, 0.0, 0.0, f), (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"zoom x{p['factor']:.2f}"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.scale_range)
        return Code(
            f"scale: zoom about the centre by {lo}..{hi} (>1 zooms in)",
            [f"f = rng.uniform({lo}, {hi})", "m = about_centre([[f, 0], [0, f]], h, w) @ m"],
            ("about_centre",),
        )


class Translate(OpBase):
    """Shift by a random fraction of the width and height."""

    op: Literal["translate"] = "translate"
    stage: ClassVar[str] = "geometry"
    x_range: Range = range_field((-0.1, 0.1), -1.0, 1.0, "Shift as a fraction of the width")
    y_range: Range = range_field((-0.1, 0.1), -1.0, 1.0, "Shift as a fraction of the height")
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255)

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"dx": uniform(rng, self.x_range), "dy": uniform(rng, self.y_range)}, (h, w)

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        return (1.0, 0.0, p["dx"] * w, 0.0, 1.0, p["dy"] * h), (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"shifted ({p['dx']:+.0%}, {p['dy']:+.0%})"

    def code(self, ctx: CodeContext) -> Code:
        (xlo, xhi), (ylo, yhi) = self.x_range, self.y_range
        return Code(
            "translate: shift by a fraction of the width and height",
            [
                f"dx, dy = rng.uniform({num(xlo)}, {num(xhi)}) * w, "
                f"rng.uniform({num(ylo)}, {num(yhi)}) * h",
                "m = np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]]) @ m",
            ],
        )


class Shear(OpBase):
    """Horizontal shear by a random angle (degrees)."""

    op: Literal["shear"] = "shear"
    stage: ClassVar[str] = "geometry"
    angle_range: Range = range_field((-10.0, 10.0), -60, 60, "Shear angle in degrees")
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255)

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"angle": uniform(rng, self.angle_range)}, (h, w)

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        return about_centre(h, w, 1.0, math.tan(math.radians(p["angle"])), 0.0, 1.0), (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"sheared {p['angle']:.1f} deg"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.angle_range)
        return Code(
            f"shear: horizontal, by {lo}..{hi} degrees",
            [
                f"t = math.tan(math.radians(rng.uniform({lo}, {hi})))",
                "m = about_centre([[1, t], [0, 1]], h, w) @ m",
            ],
            ("about_centre",),
        )


# -- colour ------------------------------------------------------------------------------------


class _Factor(OpBase):
    """A colour op with one random factor."""

    stage: ClassVar[str] = "colour"
    factor_range: Range = range_field((0.8, 1.2), 0.0, 5.0, "Factor")

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"factor": uniform(rng, self.factor_range)}, (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"{cls.name()} x{p['factor']:.2f}"


class Brightness(_Factor):
    """Multiply every pixel by a random factor (>1 brightens)."""

    op: Literal["brightness"] = "brightness"
    factor_range: Range = range_field((0.8, 1.2), 0.0, 5.0, "Brightness factor")

    @classmethod
    def colour(
        cls, p: dict[str, Any], channels: int, mean: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        return p["factor"] * np.eye(channels), np.zeros(channels)

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.factor_range)
        return Code(
            f"brightness: multiply by {lo}..{hi}",
            [f"f = rng.uniform({lo}, {hi})",
             "colour = colour_matrix(f * np.eye(CHANNELS)) @ colour"],
        )  # fmt: skip


class Contrast(_Factor):
    """Scale the distance of every pixel from the image's mean grey (>1 more contrast)."""

    op: Literal["contrast"] = "contrast"
    needs_mean: ClassVar[bool] = True
    factor_range: Range = range_field((0.8, 1.2), 0.0, 5.0, "Contrast factor")

    @classmethod
    def colour(
        cls, p: dict[str, Any], channels: int, mean: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        cur = mean if mean is not None else np.zeros(channels)
        grey = float(LUMA @ cur) if channels == 3 else float(cur[0])
        f = p["factor"]
        return f * np.eye(channels), np.full(channels, (1 - f) * grey)

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.factor_range)
        grey = "(LUMA @ mean[:3])" if ctx.channels == 3 else "mean[0]"
        return Code(
            f"contrast: scale the distance from the mean grey by {lo}..{hi}",
            [
                f"f = rng.uniform({lo}, {hi})",
                "mean = colour @ np.append(cv2.mean(image)[:CHANNELS], 1)  # the mean so far",
                f"colour = colour_matrix(f * np.eye(CHANNELS), (1 - f) * {grey}) @ colour",
            ],
            ("LUMA",) if ctx.channels == 3 else (),
        )


class Saturation(_Factor):
    """Scale the distance of every pixel from its own grey (0 = greyscale). RGB only."""

    op: Literal["saturation"] = "saturation"
    rgb_only: ClassVar[bool] = True
    factor_range: Range = range_field((0.8, 1.2), 0.0, 5.0, "Saturation factor")

    @classmethod
    def colour(
        cls, p: dict[str, Any], channels: int, mean: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        f = p["factor"]
        return f * np.eye(3) + (1 - f) * GREY_ROWS, np.zeros(3)

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.factor_range)
        return Code(
            f"saturation: scale the distance from each pixel's grey by {lo}..{hi}",
            [f"f = rng.uniform({lo}, {hi})",
             "colour = colour_matrix(f * np.eye(3) + (1 - f) * GREY_ROWS) @ colour"],
            ("LUMA", "GREY_ROWS"),
        )  # fmt: skip


class Hue(OpBase):
    """Rotate colours around the grey axis by a random angle (degrees). RGB only."""

    op: Literal["hue"] = "hue"
    stage: ClassVar[str] = "colour"
    rgb_only: ClassVar[bool] = True
    shift_range: Range = range_field((-10.0, 10.0), -180, 180, "Hue shift in degrees")

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"shift": uniform(rng, self.shift_range)}, (h, w)

    @classmethod
    def colour(
        cls, p: dict[str, Any], channels: int, mean: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        return hue_matrix(p["shift"]), np.zeros(3)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"hue {p['shift']:+.1f} deg"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.shift_range)
        return Code(
            f"hue: rotate colours by {lo}..{hi} degrees",
            [f"colour = colour_matrix(hue_matrix(rng.uniform({lo}, {hi}))) @ colour"],
            ("hue_matrix",),
        )


def hue_matrix(degrees: float) -> np.ndarray:
    """Rotate colours about the grey axis, keeping luma (the W3C `hue-rotate` matrix)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array(
        [
            [0.213 + 0.787 * c - 0.213 * s, 0.715 - 0.715 * c - 0.715 * s, 0.072 - 0.072 * c + 0.928 * s],
            [0.213 - 0.213 * c + 0.143 * s, 0.715 + 0.285 * c + 0.140 * s, 0.072 - 0.072 * c - 0.283 * s],
            [0.213 - 0.213 * c - 0.787 * s, 0.715 - 0.715 * c + 0.715 * s, 0.072 + 0.928 * c + 0.072 * s],
        ]
    )  # fmt: skip


class Grayscale(OpBase):
    """Replace colour by luma (the image keeps its channel count)."""

    op: Literal["grayscale"] = "grayscale"
    stage: ClassVar[str] = "colour"
    rgb_only: ClassVar[bool] = True
    p: Float = Field(0.1, ge=0.0, le=1.0)

    @classmethod
    def colour(
        cls, p: dict[str, Any], channels: int, mean: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        return GREY_ROWS, np.zeros(3)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return "greyscale"

    def code(self, ctx: CodeContext) -> Code:
        return Code("grayscale: replace colour by luma",
                    ["colour = colour_matrix(GREY_ROWS) @ colour"], ("LUMA", "GREY_ROWS"))  # fmt: skip


# -- pixel -------------------------------------------------------------------------------------


class Blur(OpBase):
    """Gaussian blur with a random sigma (pixels)."""

    op: Literal["blur"] = "blur"
    p: Float = Field(0.5, ge=0.0, le=1.0)
    sigma_range: Range = range_field((0.1, 1.5), 0.0, 20.0, "Sigma in pixels")

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"sigma": uniform(rng, self.sigma_range)}, (h, w)

    @classmethod
    def apply(cls, image: np.ndarray, p: dict[str, Any], source: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (0, 0), p["sigma"]) if p["sigma"] > 0 else image

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"blur sigma {p['sigma']:.2f}"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.sigma_range)
        blur = "image = cv2.GaussianBlur(image, (0, 0), sigma).reshape(image.shape)"
        lines = [f"sigma = rng.uniform({lo}, {hi})"]
        lines += ["if sigma > 0:", "    " + blur] if self.sigma_range[0] <= 0 else [blur]
        return Code(f"blur: Gaussian, sigma {lo}..{hi} pixels", lines)


class Noise(OpBase):
    """Add Gaussian noise with a random standard deviation (in 0..255 units)."""

    op: Literal["noise"] = "noise"
    p: Float = Field(0.5, ge=0.0, le=1.0)
    std_range: Range = range_field((3.0, 10.0), 0.0, 100.0, "Standard deviation")

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        return {"std": uniform(rng, self.std_range), "seed": int(rng.integers(2**31))}, (h, w)

    @classmethod
    def apply(cls, image: np.ndarray, p: dict[str, Any], source: np.ndarray) -> np.ndarray:
        if p["std"] <= 0:
            return image
        noise = np.random.default_rng(p["seed"]).standard_normal(image.shape, dtype=np.float32)
        return np.clip(image + noise * np.float32(p["std"]), 0, 255).round().astype(np.uint8)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"noise std {p['std']:.1f}"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = (num(v) for v in self.std_range)
        return Code(
            f"noise: Gaussian, standard deviation {lo}..{hi} (in 0..255 units)",
            [
                f"noise = rng.standard_normal(image.shape, dtype=np.float32) * rng.uniform({lo}, {hi})",
                "image = np.clip(image + noise, 0, 255).round().astype(np.uint8)",
            ],
        )


class Cutout(OpBase):
    """Random erasing: fill `count` random rectangles with `fill`."""

    op: Literal["cutout"] = "cutout"
    p: Float = Field(0.5, ge=0.0, le=1.0)
    count: Int = Field(1, ge=1, le=20)
    size_range: Range = range_field(
        (0.1, 0.3), 0.01, 1.0, "Side of each hole as a fraction of the image side"
    )
    fill: Int = Field(0, ge=0, le=255)
    writes_in_place: ClassVar[bool] = True

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        # Holes as fractions of the output (x, y, width, height): geometry and the resize to
        # the training size run before cutout, so pixels are only known when applying.
        holes = []
        for _ in range(self.count):
            side = uniform(rng, self.size_range)
            holes.append([uniform(rng, (0.0, 1.0 - side)), uniform(rng, (0.0, 1.0 - side)),
                          side, side])  # fmt: skip
        return {"holes": holes, "fill": self.fill}, (h, w)

    @classmethod
    def apply(cls, image: np.ndarray, p: dict[str, Any], source: np.ndarray) -> np.ndarray:
        out = image.copy() if np.may_share_memory(image, source) else image
        for x, y, w, h in cutout_boxes(p["holes"], out.shape[0], out.shape[1]):
            out[y : y + h, x : x + w] = p["fill"]
        return out

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        return f"cutout x{len(p['holes'])}"

    def code(self, ctx: CodeContext) -> Code:
        lo, hi = self.size_range
        count, fill = self.count, self.fill
        hole = [
            f"side = max(1, round(rng.uniform({num(lo)}, {num(hi)}) * IMAGE_SIZE))",
            "x, y = rng.integers(0, IMAGE_SIZE - side + 1, size=2)",
            f"image[y : y + side, x : x + side] = {fill}",
        ]
        lines = hole if count == 1 else [f"for _ in range({count}):", *("    " + s for s in hole)]
        return Code(
            f"cutout: {count} square hole{'s' if count > 1 else ''} of {lo:.0%} to "
            f"{hi:.0%} of the side, filled with {fill}",
            lines,
        )


def cutout_boxes(
    holes: list[list[float]], height: int, width: int
) -> list[tuple[int, int, int, int]]:
    """Cutout holes (fractions) as pixel boxes (x, y, w, h) on a height x width image."""
    boxes = []
    for fx, fy, fw, fh in holes:
        w, h = max(1, round(fw * width)), max(1, round(fh * height))
        boxes.append((min(round(fx * width), width - w), min(round(fy * height), height - h), w, h))
    return boxes
