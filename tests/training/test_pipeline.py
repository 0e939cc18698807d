"""The augmented training input equals the preview, pixel for pixel."""

import numpy as np
import pytest

from boost.augment import DIGITS_SPEC, preview
from boost.config import DatasetConfig
from boost.data import load_dataset
from boost.training.pipeline import AugmentedBatches

SPEC = DIGITS_SPEC + [{"op": "noise", "p": 0.5}, {"op": "cutout", "p": 0.3}]


@pytest.fixture(scope="module")
def digits():  # type: ignore[no-untyped-def]
    return load_dataset(DatasetConfig(image_size=24, max_per_class=12), seed=0)


def test_pipeline_batches_equal_the_preview_pixel_for_pixel(digits) -> None:  # type: ignore[no-untyped-def]
    x, y = digits.x_train, digits.y_train
    batches = AugmentedBatches(x, y, SPEC, seed=7, batch_size=16)
    it = iter(batches.dataset(epochs=2))
    for b in range(batches.steps + 1):  # the whole first epoch and the start of the second
        xb, yb = (t.numpy() for t in next(it))
        epoch, idx = batches.indices(b)
        assert np.array_equal(yb, y[idx])
        for img, i in zip(xb, idx, strict=True):
            seen = preview(x[i], SPEC, seed=7, n=1, start=int(i), epoch=epoch,
                           output_size=(24, 24))[0].image  # fmt: skip
            assert np.array_equal(img, seen)


def test_each_epoch_is_a_new_permutation_and_new_draws(digits) -> None:  # type: ignore[no-untyped-def]
    x, y = digits.x_train, digits.y_train
    batches = AugmentedBatches(x, y, SPEC, seed=0, batch_size=8)
    epoch0 = np.concatenate([batches.indices(b)[1] for b in range(batches.steps)])
    epoch1 = np.concatenate(
        [batches.indices(b)[1] for b in range(batches.steps, 2 * batches.steps)]
    )
    assert sorted(epoch0) == list(range(len(x))) == sorted(epoch1)
    assert not np.array_equal(epoch0, epoch1)
    assert not np.array_equal(batches.sample(0, 0), batches.sample(0, 1))
    assert np.array_equal(batches.sample(3, 1), batches.sample(3, 1))
