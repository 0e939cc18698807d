"""Augmentation: a JSON spec of ops, sampled from an explicit generator, applied with OpenCV.

Pure NumPy/OpenCV (no TensorFlow): the dashboard previews with exactly the functions the
training pipeline runs. `spec` validates, `library` holds one class per op (importing this
package registers them), `ops` fuses them into stages, `preview` captions and shows them.
"""

from boost.augment import library  # noqa: F401  (defines, and so registers, every op)
from boost.augment.ops import (
    AugmentError,
    Draw,
    apply_draw,
    augment,
    sample_draw,
    sample_rng,
)
from boost.augment.preview import Variant, contact_sheet, describe, describe_spec, preview
from boost.augment.spec import (
    DEFAULT_SPEC,
    DIGITS_SPEC,
    OP_TYPES,
    Spec,
    SpecError,
    compile_spec,
    parse_spec,
    spec_to_json,
)

__all__ = [
    "DEFAULT_SPEC",
    "DIGITS_SPEC",
    "OP_TYPES",
    "AugmentError",
    "Draw",
    "Spec",
    "SpecError",
    "Variant",
    "apply_draw",
    "augment",
    "compile_spec",
    "contact_sheet",
    "describe",
    "describe_spec",
    "parse_spec",
    "preview",
    "sample_draw",
    "sample_rng",
    "spec_to_json",
]
