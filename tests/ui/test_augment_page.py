"""The Augmentation Lab page, through Streamlit's AppTest: app.py, then switch_page."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from boost.augment import DIGITS_SPEC, parse_spec, spec_to_json

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/augment.py"


@pytest.fixture
def at(home: Path) -> AppTest:
    """The app, switched to the Augmentation Lab, on a temporary BOOST_HOME."""
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def captions(at: AppTest) -> list[str]:
    return [c for im in at.image for c in im.captions]


def png_bytes(h: int = 40, w: int = 60) -> bytes:
    rng = np.random.default_rng(0)
    ok, buf = cv2.imencode(".png", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    assert ok
    return buf.tobytes()


def test_renders_the_default_sample_with_original_and_eight_variants(at: AppTest) -> None:
    assert at.title[0].value == "Augmentation Lab"
    assert "exactly what training sees" in at.caption[0].value
    assert not at.error
    caps = captions(at)
    assert len(caps) == 9  # the original and n = 8 variants
    assert caps[0] == "original (640x427)"
    assert all(c.startswith("crop ") for c in caps[1:])  # DEFAULT_SPEC starts with a crop
    assert at.session_state["aug_ops"] == [
        "random_resized_crop", "rotate", "hflip", "brightness", "contrast", "saturation", "hue"
    ]  # fmt: skip
    assert at.button(key="aug_use_in_training")
    assert len(at.get("download_button")) == 2
    code = at.code[0].value
    assert "from boost.augment import preview" in code and "SEED = 0" in code


def test_captions_follow_the_sampled_parameters(at: AppTest) -> None:
    at.multiselect(key="aug_ops").set_value(["hflip"]).run()
    at.slider(key="aug_hflip_p").set_value(1.0).run()
    at.slider(key="aug_n").set_value(5).run()
    assert not at.exception
    assert captions(at)[1:] == ["flipped left-right"] * 5
    at.slider(key="aug_hflip_p").set_value(0.0).run()
    assert captions(at)[1:] == ["unchanged"] * 5
    # Op order follows the multiselect.
    at.multiselect(key="aug_ops").set_value(["vflip", "hflip"]).run()
    at.slider(key="aug_hflip_p").set_value(1.0)
    at.slider(key="aug_vflip_p").set_value(1.0).run()
    assert captions(at)[1:] == ["flipped top-bottom, flipped left-right"] * 5


def test_seed_and_new_sample_change_the_variants(at: AppTest) -> None:
    first = captions(at)
    at.number_input(key="aug_seed").set_value(7).run()
    seven = captions(at)
    assert seven[1:] != first[1:]
    at.button(key="aug_new_sample").click().run()
    assert at.session_state["aug_seed"] == 8
    assert captions(at)[1:] not in (first[1:], seven[1:])
    at.number_input(key="aug_seed").set_value(0).run()
    assert captions(at) == first  # same seed, same variants


def test_digit_sample_switches_to_the_digits_spec_and_back(at: AppTest) -> None:
    at.radio(key="aug_source").set_value("digit").run()
    assert not at.exception
    assert at.session_state["aug_ops"] == [d["op"] for d in DIGITS_SPEC]
    assert at.slider(key="aug_rotate_angle_range").value == (-12.0, 12.0)
    assert at.selectbox(key="aug_rotate_border").value == "constant"
    caps = captions(at)
    assert caps[0] == "original (64x64)" and len(caps) == 9
    assert all(c.startswith("rotated ") for c in caps[1:])
    at.number_input(key="aug_size").set_value(32).run()
    assert not at.exception
    assert 'color_mode="grayscale"' in at.code[0].value.replace("'", '"')
    assert "OUTPUT_SIZE = (32, 32)" in at.code[0].value
    at.radio(key="aug_source").set_value("flower").run()
    assert at.session_state["aug_ops"][0] == "random_resized_crop"
    assert at.selectbox(key="aug_rotate_border").value == "reflect"


def test_uploads_corrupt_file_named_in_error_good_png_previews(at: AppTest) -> None:
    at.radio(key="aug_source").set_value("upload").run()
    assert any("Upload one or more images" in i.value for i in at.info)
    at.file_uploader(key="aug_upload").set_value(
        [
            ("broken.png", b"\x89PNG\r\n\x1a\nnot really a png", "image/png"),
            ("good.png", png_bytes(), "image/png"),
            ("notes.jpg", b"just some text", "image/jpeg"),
            ("other.png", png_bytes(30, 30), "image/png"),
        ]
    ).run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]  # as shown: markdown escapes gone
    assert len(errors) == 2
    assert errors[0].startswith("broken.png: not a decodable image")
    assert errors[1] == "notes.jpg: not a decodable image (unknown format)"
    assert at.selectbox(key="aug_upload_pick").options == ["good.png", "other.png"]
    caps = captions(at)
    assert caps[0] == "original (60x40)" and len(caps) == 9
    at.selectbox(key="aug_upload_pick").set_value("other.png").run()
    assert captions(at)[0] == "original (30x30)"


def test_upload_over_the_pixel_cap_is_refused_before_decoding(at: AppTest) -> None:
    # A PNG that only claims 7000 x 7000 pixels (49 million, over the 40 million cap).
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 7000, 7000, 1, 0, 0, 0, 0)
    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
    at.radio(key="aug_source").set_value("upload").run()
    at.file_uploader(key="aug_upload").set_value(("huge.png", header, "image/png")).run()
    assert not at.exception
    assert "huge.png: image too large (7000x7000" in at.error[0].value.replace("\\", "")
    assert not at.image


def test_use_in_training_stores_the_spec(at: AppTest) -> None:
    assert "train_augmentation" not in at.session_state
    at.button(key="aug_use_in_training").click().run()
    stored = at.session_state["train_augmentation"]
    assert [d["op"] for d in stored] == at.session_state["aug_ops"]
    assert spec_to_json(parse_spec(stored)) == stored  # every parameter written out
    assert any("Train page" in s.value for s in at.success)
    at.run()
    assert any("is the one stored for training" in c.value for c in at.caption)
    at.multiselect(key="aug_ops").set_value(["hflip"]).run()
    assert any("7 ops is stored for training" in c.value for c in at.caption)


def test_crop_larger_than_the_image_is_an_error_not_an_exception(at: AppTest) -> None:
    at.radio(key="aug_source").set_value("digit").run()
    at.multiselect(key="aug_ops").set_value(["crop"]).run()
    at.number_input(key="aug_crop_height").set_value(100).run()
    assert not at.exception
    assert "larger than the image" in at.error[0].value
    assert not at.image  # no grid, no downloads
    with pytest.raises(KeyError):
        at.button(key="aug_use_in_training")
    at.number_input(key="aug_crop_height").set_value(32).run()
    assert not at.error
    assert captions(at)[1].startswith("crop 24x32 at")


def test_conflicting_borders_show_the_spec_error(at: AppTest) -> None:
    at.multiselect(key="aug_ops").set_value(["rotate", "scale"]).run()
    at.selectbox(key="aug_scale_border").set_value("replicate").run()
    assert not at.exception
    assert "share one border" in at.error[0].value


def test_page_never_imports_tensorflow(home: Path) -> None:
    code = (
        "import sys; from streamlit.testing.v1 import AppTest; "
        f"at = AppTest.from_file({APP!r}, default_timeout=60).run(); "
        f"at.switch_page({PAGE!r}).run(); assert not at.exception, at.exception; "
        "assert at.title[0].value == 'Augmentation Lab'; "
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=180)


def test_spec_and_seed_survive_a_visit_to_another_page(at: AppTest) -> None:
    at.multiselect(key="aug_ops").set_value(["hflip", "blur"]).run()
    at.slider(key="aug_blur_sigma_range").set_value((2.0, 3.0)).run()
    at.number_input(key="aug_seed").set_value(5).run()
    at.switch_page("pages/home.py").run()
    assert not at.exception and at.title[0].value == "Boost Lab"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.session_state["aug_ops"] == ["hflip", "blur"]
    assert at.slider(key="aug_blur_sigma_range").value == (2.0, 3.0)
    assert at.number_input(key="aug_seed").value == 5


def test_empty_spec_previews_unchanged_and_cannot_be_stored(at: AppTest) -> None:
    at.multiselect(key="aug_ops").set_value([]).run()
    assert not at.exception
    assert captions(at)[1:] == ["unchanged"] * 8
    assert any("No ops chosen" in i.value for i in at.info)
    assert at.button(key="aug_use_in_training").disabled
