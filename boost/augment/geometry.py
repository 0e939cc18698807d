"""Affine maps of pixel coordinates, as plain floats: what every geometric op is made of.

A map (a, b, c, d, e, f) sends x' = a x + b y + c, y' = d x + e y + f. Pixel centres sit at
integer coordinates (OpenCV's convention), so flips and crops are integer maps and come out
exact. Pure Python: a draw composes a handful of these, and NumPy's per-call overhead would
cost more than the arithmetic.
"""

from __future__ import annotations

import math

Affine = tuple[float, float, float, float, float, float]
IDENTITY: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def then(m: Affine, n: Affine) -> Affine:
    """m, then n."""
    a, b, c, d, e, f = m
    na, nb, nc, nd, ne, nf = n
    return (na * a + nb * d, na * b + nb * e, na * c + nb * f + nc,
            nd * a + ne * d, nd * b + ne * e, nd * c + ne * f + nf)  # fmt: skip


def about_centre(h: int, w: int, a: float, b: float, d: float, e: float) -> Affine:
    """The linear map (a b; d e) about the centre of an h x w canvas."""
    cx, cy = (w - 1) / 2, (h - 1) / 2
    return (a, b, cx - a * cx - b * cy, d, e, cy - d * cx - e * cy)


def resize(w0: int, h0: int, w1: int, h1: int) -> Affine:
    """Resize a w0 x h0 canvas to w1 x h1, pixel edges onto pixel edges."""
    sx, sy = w1 / w0, h1 / h0
    return (sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5)


def expanded_size(h: int, w: int, angle: float) -> tuple[int, int]:
    """Canvas that holds every pixel centre of an (h, w) image rotated by `angle` degrees."""
    a = math.radians(angle)
    c, s = abs(math.cos(a)), abs(math.sin(a))
    # Round away float noise first, so that 90 degrees swaps the sides exactly.
    nw = math.ceil(round((w - 1) * c + (h - 1) * s, 6)) + 1
    nh = math.ceil(round((w - 1) * s + (h - 1) * c, 6)) + 1
    return nh, nw
