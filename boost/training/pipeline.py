"""The augmented training input: the preview's functions, batched in parallel by tf.data.

Batch b of the whole run belongs to epoch b // steps. Its samples are the epoch's seeded
permutation of the training split, and sample i is augmented with `sample_rng(seed, i,
epoch)`: the generator the preview uses for variant i. Batches are built by NumPy/OpenCV code
inside `tf.numpy_function` on tf.data's threads (OpenCV releases the GIL), several at once and
ahead of the training step, in a deterministic order.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import tensorflow as tf

from boost.augment import apply_draw, sample_draw, sample_rng
from boost.augment.spec import OpBase, compile_spec


class AugmentedBatches:
    """Makes batch b of a run: pure function of (data, spec, seed, b)."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        ops: list[dict] | list[OpBase],
        *,
        seed: int,
        batch_size: int,
    ):
        self.x, self.y = x, y
        self.spec = compile_spec(ops)
        self.seed = seed
        self.batch_size = batch_size
        self.steps = max(1, math.ceil(len(x) / batch_size))
        self.size = (int(x.shape[1]), int(x.shape[2]))

    @lru_cache(maxsize=2)  # noqa: B019 - two epochs in flight at most; the object lives one run
    def permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.x))

    def indices(self, b: int) -> tuple[int, np.ndarray]:
        """(epoch, sample indices) of batch b."""
        epoch, step = divmod(int(b), self.steps)
        return epoch, self.permutation(epoch)[step * self.batch_size : (step + 1) * self.batch_size]

    def sample(self, i: int, epoch: int) -> np.ndarray:
        """Training sample i as the model sees it in `epoch`."""
        draw = sample_draw(self.spec, self.x[i].shape, sample_rng(self.seed, int(i), epoch))
        return apply_draw(self.x[i], draw, self.size)

    def batch(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        epoch, idx = self.indices(b)
        images = np.stack([self.sample(i, epoch) for i in idx])
        return images, self.y[idx]

    def dataset(self, epochs: int, start_epoch: int = 0) -> tf.data.Dataset:
        """The batches of epochs `start_epoch` to `epochs` - 1, built in parallel, in order,
        ahead of training."""
        shape = (None, *self.x.shape[1:])
        y_dtype = tf.as_dtype(self.y.dtype)

        def make(b: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            # stateful=False: the batch is a pure function of b, so tf.data may run several
            # at once even with op determinism on.
            xb, yb = tf.numpy_function(self.batch, [b], (tf.uint8, y_dtype), stateful=False)
            return tf.ensure_shape(xb, shape), tf.ensure_shape(yb, (None,))

        return (
            tf.data.Dataset.range(start_epoch * self.steps, epochs * self.steps)
            .map(make, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .prefetch(tf.data.AUTOTUNE)
        )
