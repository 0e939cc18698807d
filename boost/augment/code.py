"""How an op writes itself into the exported standalone script: the context it writes in and
the small formatting rules every generated line follows (`boost.export.script` reads them too).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Generated code stays within this width where a call can be broken over lines.
WIDTH = 99


def num(value: float) -> str:
    """A float literal that reads well: 15.0 -> '15.0', 0.001 -> '0.001'."""
    return repr(float(value))


def call(lead: str, args: list[str], tail: str = "", *, depth: int = 1) -> list[str]:
    """`lead(args)tail` on one line, else its arguments on one line of their own, else one per
    line; `depth` is the indentation level the lines will get (a function body: 1)."""
    width = WIDTH - 4 * depth
    joined = ", ".join(args)
    if len(f"{lead}({joined}){tail}") <= width:
        return [f"{lead}({joined}){tail}"]
    if len(f"    {joined}") <= width:
        return [f"{lead}(", f"    {joined}", f"){tail}"]
    return [f"{lead}(", *(f"    {a}," for a in args), f"){tail}"]


@dataclass(frozen=True)
class CodeContext:
    """Where an op's lines go in the script's `augment(image, rng)`.

    Attributes:
        channels: 1 or 3, the run's images.
        after_geometry: a geometric op comes earlier in the spec (a crop must apply it first).
        depth: indentation level of the op's lines (1 in the body, 2 under a coin flip).
    """

    channels: int
    after_geometry: bool = False
    depth: int = 1

    def call(self, lead: str, args: list[str], tail: str = "") -> list[str]:
        return call(lead, args, tail, depth=self.depth)


@dataclass(frozen=True)
class Code:
    """An op's part of `augment`: a comment saying what it does and its lines of code.

    `helpers` names functions of the script the lines call (`boost.export.script` holds
    them); `resizes` says the canvas leaves the training size (a crop, an expanding rotation).
    """

    what: str
    lines: list[str]
    helpers: tuple[str, ...] = ()
    resizes: bool = False
