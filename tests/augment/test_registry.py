"""One class per op: an op defined here, and nowhere else, works everywhere a spec goes.

The ops below exist only in this file. Defining them registers them; the spec parser, the
preview and its captions, the training pipeline's samples, the config and the exported
script then handle them like the built-in ones, with no edit anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pytest

from boost.augment import OP_TYPES, SpecError, describe_spec, parse_spec, preview
from boost.augment.code import Code, CodeContext
from boost.augment.geometry import Affine
from boost.augment.spec import OpBase, unregister_op
from boost.config import ExperimentConfig
from boost.export.script import standalone_script

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def new_ops() -> Iterator[None]:
    """Two ops written here: a geometric one (a transpose) and a pixel one (an inversion)."""

    class Transpose(OpBase):
        """Swap rows and columns (a mirror about the main diagonal)."""

        op: Literal["test_transpose"] = "test_transpose"
        stage: ClassVar[str] = "geometry"

        @classmethod
        def affine(cls, p: dict[str, Any], h: int, w: int) -> tuple[Affine, tuple[int, int]]:
            return (0.0, 1.0, 0.0, 1.0, 0.0, 0.0), (w, h)

        @classmethod
        def caption(cls, p: dict[str, Any]) -> str:
            return "transposed"

        def code(self, ctx: CodeContext) -> Code:
            return Code("transpose: swap rows and columns",
                        ["m = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]]) @ m", "h, w = w, h"],
                        resizes=True)  # fmt: skip

    class Invert(OpBase):
        """Replace every value v by 255 - v."""

        op: Literal["test_invert"] = "test_invert"

        @classmethod
        def apply(cls, image: np.ndarray, p: dict[str, Any], source: np.ndarray) -> np.ndarray:
            return 255 - image

        @classmethod
        def caption(cls, p: dict[str, Any]) -> str:
            return "inverted"

        def code(self, ctx: CodeContext) -> Code:
            return Code("invert: 255 minus every value", ["image = 255 - image"])

    yield
    unregister_op("test_transpose")
    unregister_op("test_invert")


SPEC = [{"op": "test_transpose"}, {"op": "brightness", "factor_range": [1, 1]},
        {"op": "test_invert"}]  # fmt: skip


def expected(image: np.ndarray) -> np.ndarray:
    return 255 - image.transpose(1, 0, 2)


def test_defining_an_op_registers_it_and_forgetting_it_unregisters(new_ops: None) -> None:
    assert {"test_transpose", "test_invert"} <= set(OP_TYPES)
    assert describe_spec(SPEC) == "test_transpose, brightness 1..1, test_invert"
    with pytest.raises(SpecError, match=r"op 0 \(test_invert\): strength: unknown parameter"):
        parse_spec([{"op": "test_invert", "strength": 2}])
    unregister_op("test_invert")
    with pytest.raises(SpecError, match="unknown op 'test_invert'"):
        parse_spec([{"op": "test_invert"}])


def test_a_new_op_works_in_the_preview(new_ops: None) -> None:
    image = np.random.default_rng(0).integers(0, 256, (20, 20, 3), np.uint8)
    (variant,) = preview(image, SPEC, n=1)
    assert np.array_equal(variant.image, expected(image))
    assert variant.caption == "transposed, brightness x1.00, inverted"


def test_a_new_op_works_in_training_and_is_what_the_preview_showed(new_ops: None) -> None:
    from boost.training.pipeline import AugmentedBatches

    config = ExperimentConfig.from_dict({"name": "new op", "augmentation": {"ops": SPEC}})
    x = np.random.default_rng(1).integers(0, 256, (6, 16, 16, 1), np.uint8)
    batches = AugmentedBatches(x, np.arange(6), config.augmentation.ops, seed=3, batch_size=3)
    for i in range(6):
        sample = batches.sample(i, epoch=0)
        assert np.array_equal(sample, expected(x[i]))
        (shown,) = preview(x[i], SPEC, seed=3, n=1, start=i, output_size=(16, 16))
        assert np.array_equal(shown.image, sample)


def test_a_new_op_writes_its_own_lines_into_the_exported_script(new_ops: None) -> None:
    config = ExperimentConfig.from_dict(
        {"name": "new op", "dataset": {"color_mode": "rgb"}, "augmentation": {"ops": SPEC}}
    )
    text = standalone_script(config)
    assert "# transpose: swap rows and columns" in text and "image = 255 - image" in text
    namespace: dict[str, Any] = {"__name__": "run"}
    exec(compile(text, "run.py", "exec"), namespace)
    image = np.random.default_rng(2).integers(0, 256, (32, 32, 3), np.uint8)
    out = namespace["augment"](image, np.random.default_rng(0))
    assert np.array_equal(out, expected(image))


def test_two_ops_with_one_name_are_refused(new_ops: None) -> None:
    with pytest.raises(ValueError, match="op 'test_invert' is defined twice"):

        class Other(OpBase):
            op: Literal["test_invert"] = "test_invert"


def test_a_new_op_is_offered_and_previewed_in_the_augmentation_lab(
    new_ops: None, home: Path
) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("pages/augment.py").run()
    assert not at.exception
    ops = at.multiselect(key="aug_ops")
    assert {"test transpose", "test invert"} <= set(ops.options)  # shown as names
    ops.set_value(["test_invert"]).run()
    assert not at.exception
    assert at.slider(key="aug_test_invert_p").value == 1.0  # its editor, from its fields
    assert "inverted" in [c for im in at.image for c in im.captions]
