"""The augmentation engine: determinism, identities, invariants, errors. Pure NumPy/OpenCV."""

import cv2
import numpy as np
import pytest

from boost.augment import (
    DEFAULT_SPEC,
    DIGITS_SPEC,
    OP_TYPES,
    AugmentError,
    SpecError,
    apply_draw,
    augment,
    parse_spec,
    preview,
    sample_draw,
    spec_to_json,
)
from boost.augment.ops import Draw, cutout_boxes, geometry_matrix

ALL_OPS = [{"op": name, "p": 1.0} for name in OP_TYPES if name != "crop"] + [
    {"op": "crop", "height": 20, "width": 30}
]


def photo(h: int = 48, w: int = 64, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A smooth colourful image with some texture (not flat, not pure noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 / w, yy * 255 / h, (xx + yy) * 127 / (w + h)], axis=2)
    img = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    return img[:, :, :channels] if channels == 1 else img


def run(img: np.ndarray, ops: list[dict], seed: int = 0, **kw: object) -> np.ndarray:
    return augment(img, ops, np.random.default_rng(seed), **kw)[0]  # type: ignore[arg-type]


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_same_pixels_other_seed_other_pixels() -> None:
    img = photo()
    a, b = run(img, DEFAULT_SPEC, 3), run(img, DEFAULT_SPEC, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, run(img, DEFAULT_SPEC, 4))


def test_sampling_is_separate_from_applying() -> None:
    img = photo()
    draw = sample_draw(DEFAULT_SPEC, img.shape, np.random.default_rng(1))
    assert np.array_equal(apply_draw(img, draw), apply_draw(img, draw))  # pure
    again = sample_draw(DEFAULT_SPEC, img.shape, np.random.default_rng(1))
    assert again == draw
    assert Draw(**{**draw.to_dict(), "ops": tuple(draw.ops), "size": tuple(draw.size)}) == draw


def test_global_numpy_random_is_never_used() -> None:
    img = photo()
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    run(img, ALL_OPS)
    assert np.array_equal(np.random.get_state()[1], state)


# -- identities ----------------------------------------------------------------------------------

NEUTRAL = [
    {"op": "rotate", "angle_range": [0, 0]},
    {"op": "rotate", "angle_range": [0, 0], "mode": "expand"},
    {"op": "scale", "scale_range": [1, 1]},
    {"op": "translate", "x_range": [0, 0], "y_range": [0, 0]},
    {"op": "shear", "angle_range": [0, 0]},
    {"op": "brightness", "factor_range": [1, 1]},
    {"op": "contrast", "factor_range": [1, 1]},
    {"op": "saturation", "factor_range": [1, 1]},
    {"op": "hue", "shift_range": [0, 0]},
    {"op": "blur", "p": 1, "sigma_range": [0, 0]},
    {"op": "noise", "p": 1, "std_range": [0, 0]},
    {"op": "random_resized_crop", "scale_range": [1, 1], "ratio_range": [4 / 3, 4 / 3]},
    {"op": "crop", "height": 48, "width": 64},
    {"op": "hflip", "p": 0},
    {"op": "cutout", "p": 0},
]


@pytest.mark.parametrize("op", NEUTRAL, ids=lambda o: o["op"])
@pytest.mark.parametrize("channels", [1, 3])
def test_neutral_parameters_return_the_input_unchanged(op: dict, channels: int) -> None:
    img = photo(channels=channels)
    out = run(img, [op])
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.array_equal(out, img)
    assert out is not img  # a new array: callers may write into it


def test_all_neutral_ops_together_are_the_identity() -> None:
    img = photo()
    assert np.array_equal(run(img, NEUTRAL), img)


def test_double_flip_is_identity_and_flip_is_exact() -> None:
    img = photo()
    once = run(img, [{"op": "hflip", "p": 1}])
    assert np.array_equal(once, img[:, ::-1])
    assert np.array_equal(run(img, [{"op": "hflip", "p": 1}, {"op": "hflip", "p": 1}]), img)
    assert np.array_equal(run(img, [{"op": "vflip", "p": 1}]), img[::-1])
    assert np.array_equal(run(img, [{"op": "vflip", "p": 1}, {"op": "vflip", "p": 1}]), img)


def test_crop_is_exact_slicing() -> None:
    img = photo()
    out, draw = augment(img, [{"op": "crop", "height": 20, "width": 30}], np.random.default_rng(5))
    p = draw.ops[0]
    assert out.shape == (20, 30, 3)
    assert np.array_equal(out, img[p["y"] : p["y"] + 20, p["x"] : p["x"] + 30])


def test_rotation_by_90_in_expand_mode_is_exact() -> None:
    img = photo()
    out = run(img, [{"op": "rotate", "angle_range": [90, 90], "mode": "expand"}])
    assert out.shape == (64, 48, 3)
    assert np.array_equal(out, np.rot90(img))  # counter-clockwise, like OpenCV's angle


@pytest.mark.parametrize("angle", [7.0, 33.3, 45.0, -60.0, 90.0, 135.0, 180.0])
@pytest.mark.parametrize(("h", "w"), [(48, 64), (1, 1), (5, 97)])
def test_expand_rotation_keeps_every_source_pixel_inside_the_canvas(
    angle: float, h: int, w: int
) -> None:
    draw = sample_draw(
        [{"op": "rotate", "angle_range": [angle, angle], "mode": "expand"}],
        (h, w, 3),
        np.random.default_rng(0),
    )
    m, (nh, nw) = geometry_matrix(draw)
    ys, xs = np.mgrid[0:h, 0:w]
    pts = m @ np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)])
    eps = 1e-6
    assert pts[0].min() >= -eps and pts[0].max() <= nw - 1 + eps
    assert pts[1].min() >= -eps and pts[1].max() <= nh - 1 + eps
    # and the pixels really are there: a white image keeps its total brightness
    white = np.full((h, w, 1), 255, np.uint8)
    out = apply_draw(white, draw)
    assert out.shape[:2] == (nh, nw)
    assert float(out.sum()) == pytest.approx(float(white.sum()), rel=0.35 if h * w < 10 else 0.1)


def test_a_crop_bounds_what_later_geometry_shows() -> None:
    """Crop then rotate is the seed's random_crop + random_rotate: corners are fill, not the
    pixels around the crop."""
    img = np.full((60, 60, 3), 255, np.uint8)
    crop = {"op": "crop", "x": 5, "y": 5, "height": 40, "width": 40}
    for mode in ("expand", "same"):
        rot = {"op": "rotate", "angle": 30.0, "mode": mode}
        out = apply_draw(img, Draw(ops=(crop, rot), size=(60, 60)))
        ref = apply_draw(img[5:45, 5:45].copy(), Draw(ops=(rot,), size=(40, 40)))
        assert np.array_equal(out, ref)
        assert (out == 0).any()  # the corners are fill
    # A crop after a rotation still bounds the result: it ends the first warp.
    rot = {"op": "rotate", "angle": 30.0, "mode": "same"}
    then_crop = {"op": "crop", "x": 0, "y": 0, "height": 30, "width": 30}
    scale = {"op": "scale", "factor": 0.5}
    out = apply_draw(img, Draw(ops=(rot, then_crop, scale), size=(60, 60)))
    first = apply_draw(img, Draw(ops=(rot,), size=(60, 60)))[:30, :30].copy()
    assert np.array_equal(out, apply_draw(first, Draw(ops=(scale,), size=(30, 30))))


def test_three_channel_warp_equals_opencv_directly() -> None:
    img = photo()
    draw = Draw(ops=({"op": "rotate", "angle": 17.0, "mode": "same"},), size=(48, 64))
    m, (h, w) = geometry_matrix(draw)
    direct = cv2.warpAffine(img, m[:2], (w, h), flags=cv2.INTER_LINEAR)
    assert np.array_equal(apply_draw(img, draw), direct)


def test_brightening_never_darkens_a_pixel() -> None:
    img = photo()
    for seed in range(5):
        out = run(img, [{"op": "brightness", "factor_range": [1.0, 1.5]}], seed)
        assert (out >= img).all()
        out = run(img, [{"op": "brightness", "factor_range": [0.5, 1.0]}], seed)
        assert (out <= img).all()


def test_grayscale_and_zero_saturation_give_grey_pixels() -> None:
    img = photo()
    for spec in ([{"op": "grayscale", "p": 1}], [{"op": "saturation", "factor_range": [0, 0]}]):
        out = run(img, spec).astype(int)
        assert out.shape == img.shape
        assert np.abs(out[..., 0] - out[..., 1]).max() <= 1
        assert np.abs(out[..., 1] - out[..., 2]).max() <= 1
    # luma, as OpenCV computes it
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(int)
    assert np.abs(run(img, [{"op": "grayscale", "p": 1}])[..., 0] - grey).max() <= 1


def test_contrast_keeps_the_mean_grey() -> None:
    img = photo()
    out = run(img, [{"op": "contrast", "factor_range": [0.5, 0.5]}])
    grey_in = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(float)
    grey_out = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(float)
    assert grey_out.mean() == pytest.approx(grey_in.mean(), abs=1.0)
    assert grey_out.std() == pytest.approx(grey_in.std() * 0.5, rel=0.05)


def test_hue_keeps_greys_grey() -> None:
    grey = np.full((8, 8, 3), 120, np.uint8)
    assert np.array_equal(run(grey, [{"op": "hue", "shift_range": [90, 90]}]), grey)


def test_cutout_fills_holes_and_leaves_the_rest() -> None:
    img = np.full((40, 40, 3), 200, np.uint8)
    out, draw = augment(
        img, [{"op": "cutout", "p": 1, "count": 2, "fill": 0}], np.random.default_rng(0)
    )
    mask = np.zeros((40, 40), bool)
    for x, y, w, h in cutout_boxes(draw.ops[0]["holes"], 40, 40):
        mask[y : y + h, x : x + w] = True
    assert (out[mask] == 0).all() and (out[~mask] == 200).all()
    # Holes follow the output, wherever geometry and the resize to training size put it.
    crop = {"op": "crop", "height": 20, "width": 20}
    small, draw = augment(img, [crop, {"op": "cutout", "p": 1, "size_range": [0.5, 0.5]}],
                          np.random.default_rng(1), output_size=(40, 40))  # fmt: skip
    assert (small == 0).sum() == 20 * 20 * 3  # half the side of the 40x40 output


def test_noise_is_reproducible_and_centred() -> None:
    img = np.full((64, 64, 3), 128, np.uint8)
    a = run(img, [{"op": "noise", "p": 1, "std_range": [10, 10]}], 1)
    assert np.array_equal(a, run(img, [{"op": "noise", "p": 1, "std_range": [10, 10]}], 1))
    assert a.astype(float).std() == pytest.approx(10, rel=0.1)
    assert a.mean() == pytest.approx(128, abs=1)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(1, 1), (7, 300), (48, 64)])
def test_every_op_keeps_dtype_channels_and_output_size(channels: int, size: tuple) -> None:
    img = photo(*size, channels=channels)
    ops = [op for op in ALL_OPS if op["op"] != "crop"]
    for seed in range(3):
        out = run(img, ops, seed)
        assert out.dtype == np.uint8 and out.shape == img.shape
        out = run(img, ops, seed, output_size=(32, 32))
        assert out.shape == (32, 32, channels)


def test_output_size_is_folded_into_the_warp() -> None:
    img = photo(64, 64)
    out = run(img, [{"op": "hflip", "p": 1}], output_size=(32, 32))
    expected = cv2.resize(img[:, ::-1], (32, 32), interpolation=cv2.INTER_LINEAR)
    assert np.abs(out.astype(int) - expected).max() <= 2


def test_input_is_not_modified() -> None:
    img = photo()
    before = img.copy()
    run(img, ALL_OPS)
    assert np.array_equal(img, before)


# -- spec ------------------------------------------------------------------------------------------


def test_spec_round_trip() -> None:
    for spec in (DEFAULT_SPEC, DIGITS_SPEC, ALL_OPS):
        parsed = parse_spec(spec)
        as_json = spec_to_json(parsed)
        assert parse_spec(as_json) == parsed
        assert spec_to_json(parse_spec(as_json)) == as_json
        assert all(list(d)[0] == "op" for d in as_json)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ([{"op": "rotate", "angle_range": [15, -15]}], "op 0 (rotate): angle_range: the low end"),
        ([{"op": "hflip", "p": 1.5}], "op 0 (hflip): p: Input should be less than or equal to 1"),
        ([{"op": "hflip", "p": -0.1}], "greater than or equal to 0"),
        ([{"op": "hflip"}, {"op": "warp"}], "op 1: unknown op 'warp'; the ops are crop, "),
        ([{"op": "rotate", "angle": 3}], "op 0 (rotate): angle: unknown parameter"),
        ([{"op": "brightness", "factor_range": [0.5, 9]}], "within [0.0, 5.0]; got [0.5, 9.0]"),
        ([{"rotate": 1}], "op 0: Unable to extract tag using discriminator 'op'"),
        (
            [{"op": "rotate", "border": "reflect"}, {"op": "scale", "border": "replicate"}],
            "must share one border",
        ),
    ],
)
def test_bad_specs_are_refused_with_op_field_and_value(spec: list, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(spec)
        sample_draw(spec, (32, 32, 3), np.random.default_rng(0))
    assert fragment in str(info.value)


def test_crop_larger_than_the_image_is_a_clear_error() -> None:
    with pytest.raises(AugmentError, match=r"crop 40x40 is larger than the image \(32x32\)"):
        run(photo(32, 32), [{"op": "crop", "height": 40, "width": 40}])


def test_non_uint8_input_is_refused() -> None:
    with pytest.raises(AugmentError, match="uint8"):
        run(photo().astype(np.float32), [{"op": "hflip"}])


# -- preview ---------------------------------------------------------------------------------------


def test_preview_returns_n_variants_with_captions_of_what_was_sampled() -> None:
    img = photo()
    spec = [{"op": "rotate", "angle_range": [10, 20]}, {"op": "hflip", "p": 1.0}]
    variants = preview(img, spec, seed=0, n=4)
    assert len(variants) == 4
    for v in variants:
        angle = v.draw.ops[0]["angle"]
        assert 10 <= angle <= 20
        assert v.caption == f"rotated {angle:.1f} deg, flipped left-right"
        assert v.image.shape == img.shape
    assert preview(img, [], n=1)[0].caption == "unchanged"
    assert not np.array_equal(variants[0].image, variants[1].image)
