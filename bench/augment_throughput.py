"""Augmentation throughput: boost's engine against albumentations and the seed's OpenCV code.

Part 1, one thread (`cv2.setNumThreads(1)` for every contender), 224x224 RGB uint8 images
(64 synthetic photos: smooth colour gradients plus noise, cycled), images per second of:

* the full pipeline: crop 200x200, rotation in [-15, 15] degrees (same size, black corners),
  horizontal flip p=0.5, brightness/contrast/saturation in [0.8, 1.2], hue in [-18, 18]
  degrees. boost = `sample_draw` + `apply_draw` per image (sampling included), against
  albumentations' `Compose` of the same ops and ranges, called as `t(image=img)["image"]`
  (its ColorJitter also shuffles the order of the four colour ops);
* geometry alone: crop 200x200 + expand-mode rotation in [-45, 45], against the seed's own
  `random_crop` + `random_rotate`.

Each contender runs `--images` images per repeat after a warm-up; contenders alternate within
a repeat, and the BEST repeat of each is reported (the least disturbed by the machine). Goals:
boost/albumentations >= 2 on the full pipeline, boost/seed >= 1 on geometry.

Part 2 (`--skip-training` skips it), default TensorFlow and OpenCV threads, as in training:
the augmented input pipeline alone (`AugmentedBatches(...).dataset()` with DIGITS_SPEC,
iterated without training) against what training the seed CNN consumes (`model.fit` on the
same, un-augmented arrays), both in images per second over the epochs after a first, warm-up
one, on examples/baseline.json (digits, batch 32) at `--image-size` (default 32, the
baseline's size and the hardest case: the smaller the image, the cheaper a training step
relative to the per-image cost of augmenting). Each is measured alone; together they share
the cores. Goal: input/training >= 3. The last line is the full-pipeline ratio.

    python bench/augment_throughput.py [--images 2000] [--repeats 5] [--image-size 32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # no version check over the network

from boost.augment import DIGITS_SPEC, apply_draw, compile_spec, sample_draw  # noqa: E402

FULL_SPEC = [
    {"op": "crop", "height": 200, "width": 200},
    {"op": "rotate", "angle_range": [-15, 15], "mode": "same"},
    {"op": "hflip", "p": 0.5},
    {"op": "brightness", "factor_range": [0.8, 1.2]},
    {"op": "contrast", "factor_range": [0.8, 1.2]},
    {"op": "saturation", "factor_range": [0.8, 1.2]},
    {"op": "hue", "shift_range": [-18, 18]},
]
GEOMETRY_SPEC = [
    {"op": "crop", "height": 200, "width": 200},
    {"op": "rotate", "angle_range": [-45, 45], "mode": "expand"},
]


# The seed's functions (seed document, section 4.1), verbatim: the reference for geometry.
def random_crop(image, size):
    h, w = image.shape[:2]
    x1 = np.random.randint(0, w - size[1])
    y1 = np.random.randint(0, h - size[0])
    x2 = x1 + size[1]
    y2 = y1 + size[0]
    return image[y1:y2, x1:x2]


def random_rotate(image, angle):
    (h, w) = image.shape[:2]
    (cX, cY) = (w // 2, h // 2)
    M = cv2.getRotationMatrix2D((cX, cY), angle, 1.0)
    cos = np.abs(M[0, 0])
    sin = np.abs(M[0, 1])
    nW = int((h * sin) + (w * cos))
    nH = int((h * cos) + (w * sin))
    M[0, 2] += (nW / 2) - cX
    M[1, 2] += (nH / 2) - cY
    return cv2.warpAffine(image, M, (nW, nH))


def make_images(n: int = 64, size: int = 224) -> list[np.ndarray]:
    """Photo-like uint8 RGB images: a smooth upscaled random field plus sensor-like noise."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        coarse = rng.uniform(0, 255, (6, 6, 3)).astype(np.float32)
        smooth = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
        noisy = smooth + rng.normal(0, 8, smooth.shape).astype(np.float32)
        out.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return out


def boost_runner(spec: list[dict]) -> Callable[[np.ndarray], np.ndarray]:
    ops, rng = compile_spec(spec), np.random.default_rng(0)
    return lambda img: apply_draw(img, sample_draw(ops, img.shape, rng))


def albumentations_runner() -> Callable[[np.ndarray], np.ndarray]:
    try:
        import albumentations as A  # development-only dependency
    except ImportError:
        sys.exit("albumentations is not installed: pip install albumentations (dev only)")
    t = A.Compose(
        [
            A.RandomCrop(200, 200),
            A.Rotate(limit=15, p=1, border_mode=cv2.BORDER_CONSTANT, fill=0),
            A.HorizontalFlip(p=0.5),
            A.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=18 / 360, p=1),
        ],
        seed=0,
    )
    return lambda img: t(image=img)["image"]


def seed_runner(img: np.ndarray) -> np.ndarray:
    return random_rotate(random_crop(img, (200, 200)), np.random.uniform(-45, 45))


def rate(fn: Callable[[np.ndarray], np.ndarray], images: list[np.ndarray], n: int) -> float:
    """Images per second of `fn` over n images, cycling through `images`."""
    start = time.perf_counter()
    for i in range(n):
        fn(images[i % len(images)])
    return n / (time.perf_counter() - start)


def one_thread_rates(n: int, repeats: int) -> dict[str, float]:
    images = make_images()
    np.random.seed(0)  # the seed's functions draw from the global generator
    runners = {
        "boost full": boost_runner(FULL_SPEC),
        "albumentations full": albumentations_runner(),
        "boost geometry": boost_runner(GEOMETRY_SPEC),
        "seed geometry": seed_runner,
    }
    for fn in runners.values():
        rate(fn, images, 100)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for r in range(repeats):
        # Rotate the order so that no contender always runs first or last in a repeat.
        for name in names[r % len(names) :] + names[: r % len(names)]:
            rates[name].append(rate(runners[name], images, n))
        print(f"repeat {r + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items()))
    return {name: max(v) for name, v in rates.items()}


def input_vs_training(image_size: int, epochs: int) -> tuple[float, float]:
    """(input pipeline, training) images per second on digits at `image_size`."""
    import keras

    from boost.config import ExperimentConfig
    from boost.data import load_dataset
    from boost.models import build_model, output_spec
    from boost.training.optim import build_optimizer
    from boost.training.pipeline import AugmentedBatches

    config = ExperimentConfig.from_file(ROOT / "examples" / "baseline.json").replace(
        **{"dataset.image_size": image_size}
    )
    data, bs = load_dataset(config.dataset, config.seed), config.training.batch_size
    batches = AugmentedBatches(data.x_train, data.y_train, DIGITS_SPEC, seed=0, batch_size=bs)
    it, seen = iter(batches.dataset(epochs + 1)), 0
    for _ in range(batches.steps):  # warm-up epoch: tracing, thread start-up, autotuning
        next(it)
    start = time.perf_counter()
    for xb, _ in it:
        seen += len(xb)
    input_rate = seen / (time.perf_counter() - start)

    keras.utils.set_random_seed(config.seed)
    model = build_model(config, data.input_shape, data.num_classes)
    optimizer = build_optimizer(config.optimizer, epochs=epochs + 1, steps_per_epoch=batches.steps)
    model.compile(optimizer=optimizer, loss=output_spec(data.num_classes)[2], metrics=["accuracy"])
    ends: list[float] = []
    stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: ends.append(time.perf_counter()))
    x, y = data.x_train, data.y_train
    model.fit(x, y, batch_size=bs, epochs=epochs + 1, callbacks=[stamp], verbose=0)
    # Intervals between epoch ends: the first epoch (tracing) is not among them.
    train_rate = len(x) / statistics.median(b - a for a, b in zip(ends, ends[1:], strict=False))
    print(
        f"digits {data.input_shape}, {len(x)} train images, batch {bs}: input pipeline "
        f"{input_rate:.0f} images/s, training {train_rate:.0f} images/s"
    )
    return input_rate, train_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="images per timed repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=32, help="digits size for part 2")
    parser.add_argument("--epochs", type=int, default=8, help="timed epochs in part 2")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()

    default_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    r = one_thread_rates(args.images, args.repeats)
    print("best of each, images/s: " + ", ".join(f"{k} {v:.0f}" for k, v in r.items()))
    full = r["boost full"] / r["albumentations full"]
    geometry = r["boost geometry"] / r["seed geometry"]
    print(f"boost/seed ratio (geometry: crop + expand rotation): {geometry:.2f}")
    if not args.skip_training:
        cv2.setNumThreads(default_threads)  # as in training, which leaves OpenCV's default
        input_rate, train_rate = input_vs_training(args.image_size, args.epochs)
        print(f"input/training ratio: {input_rate / train_rate:.2f}")
    print(f"boost/albumentations ratio (full pipeline): {full:.2f}")


if __name__ == "__main__":
    main()
