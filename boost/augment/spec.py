"""The augmentation spec: an ordered list of ops, each with a probability and parameter ranges.

A spec is plain JSON, e.g.::

    [{"op": "rotate", "angle_range": [-15, 15]}, {"op": "hflip", "p": 0.5}]

It lives in `ExperimentConfig.augmentation.ops`. Validation names the op's position, the
field, the value received and what is allowed (a reversed range, a probability outside
[0, 1], an unknown op).

How a spec runs (see `boost.augment.apply`): ops are grouped into stages, and within a stage
their order is kept. Geometry (crops, rotation, scale, translation, shear, flips) becomes one
affine warp, with one interpolation; colour (brightness, contrast, saturation, hue, grayscale)
one 3x4 colour matrix; then blur, noise and cutout, in spec order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from boost.validation import Float, Int, short_repr

Range = tuple[Float, Float]

BorderMode = Literal["constant", "reflect", "replicate"]


class OpBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    p: Float = Field(1.0, ge=0.0, le=1.0, description="Probability that the op is applied.")

    #: Stage the op runs in: "geometry" (one warp), "colour" (one matrix) or "pixel".
    stage: ClassVar[str] = "pixel"

    @model_validator(mode="after")
    def _ranges_valid(self) -> OpBase:
        for name, value in self:
            if not name.endswith("_range"):
                continue
            if value[0] > value[1]:
                raise ValueError(
                    f"{name}: the low end must not exceed the high end; got [{value[0]}, {value[1]}]"
                )
            lo, hi = range_bounds(type(self), name)
            if value[0] < lo or value[1] > hi:
                raise ValueError(
                    f"{name}: each value must be within [{lo}, {hi}]; got {list(value)}"
                )
        return self


def _range(default: Range, lo: float, hi: float, what: str) -> Any:
    """A range field whose ends must lie within [lo, hi] (checked by OpBase, read by editors)."""
    return Field(
        default,
        description=f"{what}; each end within [{lo}, {hi}].",
        json_schema_extra={"bounds": [float(lo), float(hi)]},
    )


def range_bounds(op_type: type[OpBase], field: str) -> tuple[float, float]:
    """The (lowest, highest) value allowed at either end of a range field."""
    extra = op_type.model_fields[field].json_schema_extra
    lo, hi = extra["bounds"]  # type: ignore[index]
    return lo, hi


class Crop(OpBase):
    """Random crop of a fixed size in pixels (the seed's `random_crop`)."""

    op: Literal["crop"] = "crop"
    stage: ClassVar[str] = "geometry"
    height: Int = Field(24, ge=1, le=8192)
    width: Int = Field(24, ge=1, le=8192)


class RandomResizedCrop(OpBase):
    """Crop a random area and aspect ratio, then stretch it back to the input size."""

    op: Literal["random_resized_crop"] = "random_resized_crop"
    stage: ClassVar[str] = "geometry"
    scale_range: Range = _range((0.6, 1.0), 0.05, 1.0, "Fraction of the image area kept")
    ratio_range: Range = _range((0.75, 4 / 3), 0.2, 5.0, "Aspect ratio (width/height) of the crop")


class Rotate(OpBase):
    """Rotation by a random angle (degrees, counter-clockwise).

    `mode="expand"` grows the canvas to keep the whole image (the seed's `random_rotate`);
    `mode="same"` keeps the size and fills the corners with `border`.
    """

    op: Literal["rotate"] = "rotate"
    stage: ClassVar[str] = "geometry"
    angle_range: Range = _range((-15.0, 15.0), -180, 180, "Angle in degrees")
    mode: Literal["same", "expand"] = "same"
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255, description="Fill value for border 'constant'.")


class HFlip(OpBase):
    """Mirror left-right."""

    op: Literal["hflip"] = "hflip"
    stage: ClassVar[str] = "geometry"
    p: Float = Field(0.5, ge=0.0, le=1.0)


class VFlip(OpBase):
    """Mirror top-bottom."""

    op: Literal["vflip"] = "vflip"
    stage: ClassVar[str] = "geometry"
    p: Float = Field(0.5, ge=0.0, le=1.0)


class Scale(OpBase):
    """Zoom about the centre by a random factor (>1 zooms in)."""

    op: Literal["scale"] = "scale"
    stage: ClassVar[str] = "geometry"
    scale_range: Range = _range((0.9, 1.1), 0.1, 10.0, "Zoom factor")
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255)


class Translate(OpBase):
    """Shift by a random fraction of the width and height."""

    op: Literal["translate"] = "translate"
    stage: ClassVar[str] = "geometry"
    x_range: Range = _range((-0.1, 0.1), -1.0, 1.0, "Shift as a fraction of the width")
    y_range: Range = _range((-0.1, 0.1), -1.0, 1.0, "Shift as a fraction of the height")
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255)


class Shear(OpBase):
    """Horizontal shear by a random angle (degrees)."""

    op: Literal["shear"] = "shear"
    stage: ClassVar[str] = "geometry"
    angle_range: Range = _range((-10.0, 10.0), -60, 60, "Shear angle in degrees")
    border: BorderMode = "constant"
    fill: Int = Field(0, ge=0, le=255)


class Brightness(OpBase):
    """Multiply every pixel by a random factor (>1 brightens)."""

    op: Literal["brightness"] = "brightness"
    stage: ClassVar[str] = "colour"
    factor_range: Range = _range((0.8, 1.2), 0.0, 5.0, "Brightness factor")


class Contrast(OpBase):
    """Scale the distance of every pixel from the image's mean grey (>1 more contrast)."""

    op: Literal["contrast"] = "contrast"
    stage: ClassVar[str] = "colour"
    factor_range: Range = _range((0.8, 1.2), 0.0, 5.0, "Contrast factor")


class Saturation(OpBase):
    """Scale the distance of every pixel from its own grey (0 = greyscale). RGB only."""

    op: Literal["saturation"] = "saturation"
    stage: ClassVar[str] = "colour"
    factor_range: Range = _range((0.8, 1.2), 0.0, 5.0, "Saturation factor")


class Hue(OpBase):
    """Rotate colours around the grey axis by a random angle (degrees). RGB only."""

    op: Literal["hue"] = "hue"
    stage: ClassVar[str] = "colour"
    shift_range: Range = _range((-10.0, 10.0), -180, 180, "Hue shift in degrees")


class Grayscale(OpBase):
    """Replace colour by luma (the image keeps its channel count)."""

    op: Literal["grayscale"] = "grayscale"
    stage: ClassVar[str] = "colour"
    p: Float = Field(0.1, ge=0.0, le=1.0)


class Blur(OpBase):
    """Gaussian blur with a random sigma (pixels)."""

    op: Literal["blur"] = "blur"
    p: Float = Field(0.5, ge=0.0, le=1.0)
    sigma_range: Range = _range((0.1, 1.5), 0.0, 20.0, "Sigma in pixels")


class Noise(OpBase):
    """Add Gaussian noise with a random standard deviation (in 0..255 units)."""

    op: Literal["noise"] = "noise"
    p: Float = Field(0.5, ge=0.0, le=1.0)
    std_range: Range = _range((3.0, 10.0), 0.0, 100.0, "Standard deviation")


class Cutout(OpBase):
    """Random erasing: fill `count` random rectangles with `fill`."""

    op: Literal["cutout"] = "cutout"
    p: Float = Field(0.5, ge=0.0, le=1.0)
    count: Int = Field(1, ge=1, le=20)
    size_range: Range = _range(
        (0.1, 0.3), 0.01, 1.0, "Side of each hole as a fraction of the image side"
    )
    fill: Int = Field(0, ge=0, le=255)


Op = Annotated[
    Crop
    | RandomResizedCrop
    | Rotate
    | HFlip
    | VFlip
    | Scale
    | Translate
    | Shear
    | Brightness
    | Contrast
    | Saturation
    | Hue
    | Grayscale
    | Blur
    | Noise
    | Cutout,
    Field(discriminator="op"),
]

OP_TYPES: dict[str, type[OpBase]] = {
    cls.model_fields["op"].default: cls
    for cls in (
        Crop, RandomResizedCrop, Rotate, HFlip, VFlip, Scale, Translate, Shear,
        Brightness, Contrast, Saturation, Hue, Grayscale, Blur, Noise, Cutout,
    )
}  # fmt: skip

_OPS_ADAPTER = TypeAdapter(list[Op])


class SpecError(ValueError):
    """An augmentation spec was rejected; each problem names the op, the field and the value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid augmentation spec:\n  " + "\n  ".join(problems))


def parse_spec(ops: list[dict[str, Any]] | list[OpBase]) -> list[OpBase]:
    """Validate a JSON list of ops into op objects.

    Raises:
        SpecError: naming the op's position and name, the field, the value and what is allowed.
    """
    try:
        return _OPS_ADAPTER.validate_python(ops)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            loc = [str(p) for p in err["loc"]]
            where = f"op {loc[0]}" if loc else "spec"
            if len(loc) > 1 and loc[1] in OP_TYPES:
                where += f" ({loc[1]})"
                loc = [loc[0], *loc[2:]]
            field = ".".join(loc[1:])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown parameter"
            elif err["type"] == "union_tag_invalid":  # pydantic quotes the whole tag
                msg = (f"unknown op {short_repr(err['ctx']['tag'])}; the ops are "
                       f"{', '.join(OP_TYPES)}")  # fmt: skip
            if (
                "input" in err
                and err["type"] not in ("value_error",)
                and not isinstance(err["input"], dict)
            ):
                msg += f"; got {short_repr(err['input'])}"
            lines.append(f"{where}: {field + ': ' if field else ''}{msg}")
        raise SpecError(lines) from None


def spec_to_json(ops: list[OpBase]) -> list[dict[str, Any]]:
    """Plain JSON: every parameter written out, so the spec documents itself."""
    out = []
    for op in ops:
        d = op.model_dump(mode="json")
        out.append({"op": d.pop("op"), **d})
    return out


def geometry_border(ops: list[OpBase]) -> tuple[str, int]:
    """The border mode and fill of the fused warp.

    All geometric ops run as one warp, so they must agree on the border; ops that keep the
    default ('constant', fill 0) follow any op that sets another.
    """
    chosen: tuple[str, int] = ("constant", 0)
    for op in ops:
        border = getattr(op, "border", None)
        if border is None:
            continue
        mine = (border, op.fill)
        if mine == ("constant", 0):
            continue
        if chosen != ("constant", 0) and chosen != mine:
            raise SpecError(
                [
                    "geometric ops run as one warp and must share one border; got "
                    f"{chosen[0]} (fill {chosen[1]}) and {mine[0]} (fill {mine[1]})"
                ]
            )
        chosen = mine
    return chosen


@dataclass(frozen=True)
class Spec:
    """A validated spec, ready to sample from: its ops and the fused warp's border."""

    ops: tuple[OpBase, ...]
    border: str = "constant"
    fill: int = 0


def compile_spec(ops: Spec | list[dict[str, Any]] | list[OpBase]) -> Spec:
    """Validate once, so that sampling many images does no validation.

    Raises:
        SpecError: the spec is invalid.
    """
    if isinstance(ops, Spec):
        return ops
    parsed = parse_spec(ops)
    border, fill = geometry_border(parsed)
    return Spec(tuple(parsed), border, fill)


#: The spec used when none is given: mild geometry and colour jitter that suit photos.
DEFAULT_SPEC: list[dict[str, Any]] = [
    {"op": "random_resized_crop", "scale_range": [0.7, 1.0]},
    {"op": "rotate", "angle_range": [-15, 15], "mode": "same", "border": "reflect"},
    {"op": "hflip", "p": 0.5},
    {"op": "brightness", "factor_range": [0.8, 1.2]},
    {"op": "contrast", "factor_range": [0.8, 1.2]},
    {"op": "saturation", "factor_range": [0.8, 1.2]},
    {"op": "hue", "shift_range": [-10, 10]},
]

#: For handwritten digits: no flips (a flipped 2 is not a 2), small rotations and shifts.
DIGITS_SPEC: list[dict[str, Any]] = [
    {"op": "rotate", "angle_range": [-12, 12]},
    {"op": "scale", "scale_range": [0.9, 1.1]},
    {"op": "translate", "x_range": [-0.08, 0.08], "y_range": [-0.08, 0.08]},
    {"op": "contrast", "factor_range": [0.8, 1.2]},
]
