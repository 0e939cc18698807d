"""The augmentation spec: an ordered list of ops, each with a probability and parameter ranges.

A spec is plain JSON, e.g.::

    [{"op": "rotate", "angle_range": [-15, 15]}, {"op": "hflip", "p": 0.5}]

It lives in `ExperimentConfig.augmentation.ops`. Validation names the op's position, the
field, the value received and what is allowed (a reversed range, a probability outside
[0, 1], an unknown op).

An op is one class (see `boost.augment.library`): a pydantic model of its parameters and
bounds that also says how it samples, what it adds to its stage, how a draw of it reads as a
caption and how it is written in the exported script. Defining a subclass of `OpBase` with an
`op` name registers it; nothing else needs to know about it.

How a spec runs (see `boost.augment.ops`): ops are grouped into stages, and within a stage
their order is kept. Geometry (crops, rotation, scale, translation, shear, flips) becomes one
affine warp, with one interpolation; colour (brightness, contrast, saturation, hue, grayscale)
one 3x4 colour matrix; then blur, noise and cutout, in spec order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from boost.augment.code import Code, CodeContext
from boost.augment.geometry import Affine
from boost.validation import Float, short_repr

if TYPE_CHECKING:
    from numpy.random import Generator

Range = tuple[Float, Float]

BorderMode = Literal["constant", "reflect", "replicate"]


Stage = Literal["geometry", "colour", "pixel"]

#: Every op by name, in the order the ops were defined: filled by defining an OpBase subclass.
OP_TYPES: dict[str, type[OpBase]] = {}


class OpBase(BaseModel):
    """One augmentation op: its parameters (validated fields) and its behaviour (the hooks).

    A draw of an op is plain JSON, `{"op": name, **params}` with the params `sample` drew; the
    stage hooks are class methods of those params, so that a stored draw replays without the
    spec. Hooks by stage:

    - every op: `sample`, `caption`, `summary`, `code`;
    - "geometry": `affine` (a crop overrides `window` instead and is cut as a slice);
    - "colour": `colour` (`needs_mean` when it reads the image's mean; `rgb_only` when it has
      no effect on one-channel images);
    - "pixel": `apply`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    p: Float = Field(1.0, ge=0.0, le=1.0, description="Probability that the op is applied.")

    #: Stage the op runs in: "geometry" (one warp), "colour" (one matrix) or "pixel".
    stage: ClassVar[Stage] = "pixel"
    #: Colour ops: the op reads the mean colour of the image as the colour stage has made it.
    needs_mean: ClassVar[bool] = False
    #: Colour ops: no effect on one-channel images (skipped there).
    rgb_only: ClassVar[bool] = False
    #: Geometry ops: the op cuts a window (`window`) rather than mapping the canvas.
    is_crop: ClassVar[bool] = False
    #: Pixel ops: the script's lines write into the image (it must be a copy of the dataset's).
    writes_in_place: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("op")
        if field is not None:  # a concrete op (intermediate bases have no name)
            register_op(cls)

    @classmethod
    def name(cls) -> str:
        return cls.model_fields["op"].default

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

    # -- every op ----------------------------------------------------------------------------

    def sample(self, h: int, w: int, rng: Generator) -> tuple[dict[str, Any], tuple[int, int]]:
        """The op's random parameters for an h x w canvas, and the canvas (h, w) after it."""
        return {}, (h, w)

    @classmethod
    def caption(cls, p: dict[str, Any]) -> str:
        """A few words about one draw, e.g. 'rotated 12.5 deg'."""
        return cls.name()

    def summary(self) -> str:
        """The op as configured, e.g. 'rotate -15..15 (p 0.5)' (ranges, then the probability)."""
        ranges = [f"{v[0]:g}..{v[1]:g}" for k, v in self if k.endswith("_range")]
        text = " ".join([self.name(), *self.summary_extra(), *ranges])
        return text + (f" (p {self.p:g})" if self.p < 1 else "")

    def summary_extra(self) -> list[str]:
        """Words `summary` puts after the name besides the ranges (a crop's size)."""
        return []

    def code(self, ctx: CodeContext) -> Code:
        """The op's lines in the exported script's `augment(image, rng)` (see `boost.export`)."""
        raise NotImplementedError(f"{self.name()} cannot be written into a script")

    # -- geometry ----------------------------------------------------------------------------

    @classmethod
    def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
        """The map of one draw on an h x w canvas, and the canvas (h, w) after it."""
        raise NotImplementedError(f"{cls.name()} is not a geometric op")

    @classmethod
    def window(cls, p: dict[str, Any]) -> tuple[int, int, int, int]:
        """A crop's window (x, y, width, height) in the canvas it is cut from."""
        raise NotImplementedError(f"{cls.name()} is not a crop")

    #: Crops: the window is stretched back onto the canvas it was cut from.
    stretches_back: ClassVar[bool] = False

    # -- colour ------------------------------------------------------------------------------

    @classmethod
    def colour(
        cls, p: dict[str, Any], channels: int, mean: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The colour map pixel -> A @ pixel + b of one draw, as (A, b).

        `mean` is the image's mean colour as the colour ops before this one made it (given
        only to ops with `needs_mean`).
        """
        raise NotImplementedError(f"{cls.name()} is not a colour op")

    # -- pixel -------------------------------------------------------------------------------

    @classmethod
    def apply(cls, image: np.ndarray, p: dict[str, Any], source: np.ndarray) -> np.ndarray:
        """One draw applied to `image` (H x W x C uint8). Never write into `source`, the
        caller's input, which `image` may be a view of."""
        raise NotImplementedError(f"{cls.name()} is not a pixel op")


def register_op(cls: type[OpBase]) -> None:
    """Make `cls` a valid op in specs (done by defining the class; see `OpBase`)."""
    name = cls.name()
    known = OP_TYPES.get(name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise ValueError(f"op {name!r} is defined twice: {known.__qualname__} and {cls.__qualname__}")
    OP_TYPES[name] = cls
    _adapter.cache_clear()


def unregister_op(name: str) -> None:
    """Forget op `name` (for tests and plugins that define ops of their own)."""
    OP_TYPES.pop(name, None)
    _adapter.cache_clear()


@cache
def _adapter() -> TypeAdapter[list[OpBase]]:
    union = Union[tuple(OP_TYPES.values())]  # noqa: UP007 (built at run time)
    return TypeAdapter(list[Annotated[union, Field(discriminator="op")]])  # type: ignore[valid-type]


def op_type(p: dict[str, Any]) -> type[OpBase]:
    """The class of a draw's (or a JSON spec entry's) op."""
    return OP_TYPES[p["op"]]


def uniform(rng: Generator, r: tuple[float, float]) -> float:
    """A uniform draw from the range r; a fixed range draws nothing from rng."""
    return float(r[0]) if r[0] == r[1] else float(rng.uniform(r[0], r[1]))


def range_field(default: Range, lo: float, hi: float, what: str) -> Any:
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
        return _adapter().validate_python(ops)
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
