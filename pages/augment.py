"""Augmentation Lab: edit an augmentation spec and see its variants on a sample or your images."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import streamlit as st

from boost.augment import (
    DEFAULT_SPEC,
    DIGITS_SPEC,
    OP_TYPES,
    AugmentError,
    SpecError,
    parse_spec,
    preview,
    spec_to_json,
)
from boost.data import MAX_PIXELS, ImageDecodeError, resize_square
from boost.export.lab import (
    PREVIEW_MAX_SIDE,
    LoadedImage,
    load_upload,
    op_fields,
    op_values,
    spec_code,
    spec_json,
    unique_names,
    variants_zip,
)
from ui.common import md

SOURCES = {
    "china": "Photo: a temple (china.jpg)",
    "flower": "Photo: a flower (flower.jpg)",
    "digit": "Handwritten digit",
    "upload": "My images (upload)",
}
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"]
DIGIT_SIZE = 64  # the 8x8 digits, upscaled like the digits dataset is for training
MAX_SEED = 2**31 - 1  # ExperimentConfig.seed's range
TRAIN_KEY = "train_augmentation"  # read by the Train page
# The spec, image and seed stay as they were when the user comes back from another page.
KEEP = "session"


# -- cached inputs -----------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def sample_photo(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return np.ascontiguousarray(load_sample_image(name), dtype=np.uint8)


@st.cache_data(show_spinner=False)
def sample_digit(index: int) -> tuple[np.ndarray, int]:
    """Digit `index` of scikit-learn's 1,797, 0..16 scaled to 0..255, upscaled, one channel."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    image = np.round(bunch.images[index] * (255 / 16)).astype(np.uint8)[:, :, np.newaxis]
    return resize_square(image, DIGIT_SIZE), int(bunch.target[index])


@st.cache_data(show_spinner=False, max_entries=64)
def decode_upload(data: bytes, name: str) -> LoadedImage:
    # Keyed on the bytes: a rerun does not decode again. Errors are not cached.
    return load_upload(data, name)


# -- widgets -----------------------------------------------------------------------------------


def _init(key: str, value: Any) -> None:
    """Give a widget its starting value through Session State (never also as a default)."""
    if key not in st.session_state:
        st.session_state[key] = value


def _param_key(op: str, name: str) -> str:
    return f"aug_{op}_{name}"


def _load_preset(preset: list[dict[str, Any]]) -> None:
    """Point the editor at a preset spec: its ops chosen, every parameter back to its value."""
    st.session_state["aug_ops"] = [d["op"] for d in preset]
    for op in OP_TYPES:
        for f in op_fields(op):
            st.session_state.pop(_param_key(op, f.name), None)


def _next_seed() -> None:
    st.session_state["aug_seed"] = (int(st.session_state["aug_seed"]) + 1) % (MAX_SEED + 1)


def op_editor(op: str, preset: list[dict[str, Any]]) -> dict[str, Any]:
    """An expander with one widget per parameter of `op`; returns the op's JSON entry."""
    values = op_values(op, preset)
    entry: dict[str, Any] = {"op": op}
    with st.expander(op.replace("_", " "), expanded=False):
        st.caption(OP_TYPES[op].__doc__.strip().splitlines()[0])
        for f in op_fields(op):
            key = _param_key(op, f.name)
            _init(key, values[f.name])
            label = "probability p" if f.kind == "probability" else f.name.replace("_", " ")
            if f.kind in ("probability", "range", "float"):
                lo, hi = f.bounds
                value = st.slider(
                    label, lo, hi, step=float(f.step), key=key, help=f.help, persist_state=KEEP
                )
            elif f.kind == "choice":
                value = st.selectbox(label, f.options, key=key, help=f.help, persist_state=KEEP)
            else:
                lo, hi = f.bounds
                value = st.number_input(
                    label, int(lo), int(hi), step=1, key=key, help=f.help, persist_state=KEEP
                )
            entry[f.name] = list(value) if isinstance(value, tuple) else value
    return entry


def stored_note(stored: Any, spec: list[dict[str, Any]]) -> str:
    """One line about the spec already stored for training."""
    try:
        same = spec_json(stored) == spec_json(spec)
    except (SpecError, TypeError):
        same = False
    if same:
        return "This spec is the one stored for training."
    count = len(stored) if isinstance(stored, list) else 0
    return f"A spec with {count} ops is stored for training; Use in training replaces it."


# -- page --------------------------------------------------------------------------------------

st.title("Augmentation Lab")
st.caption(
    "Augmentation shows the model a slightly different version of each image every epoch "
    "(crops, turns, flips, colour changes), so it learns the object rather than the exact "
    "pixels. The preview is exactly what training sees for the same seed and sample index: "
    "variant k is training sample k in the first epoch."
)

with st.sidebar:
    st.subheader("Image")
    source = st.radio(
        "Source",
        list(SOURCES),
        format_func=SOURCES.__getitem__,
        key="aug_source",
        persist_state=KEEP,
    )
    digit_index = 0
    uploads = []
    if source == "digit":
        digit_index = int(
            st.number_input(
                "Which digit (0 to 1796)", 0, 1796, 0, step=1, key="aug_digit", persist_state=KEEP
            )
        )
    elif source == "upload":
        uploads = (
            st.file_uploader(
                "Images",
                type=UPLOAD_TYPES,
                accept_multiple_files=True,
                key="aug_upload",
                help=f"Up to {MAX_PIXELS:,} pixels each; shown at most {PREVIEW_MAX_SIDE} px "
                "on the longer side.",
            )
            or []
        )

preset_name = "digits" if source == "digit" else "default"
preset = DIGITS_SPEC if source == "digit" else DEFAULT_SPEC
if st.session_state.get("aug_preset") != preset_name or "aug_ops" not in st.session_state:
    _load_preset(preset)
    st.session_state["aug_preset"] = preset_name

with st.sidebar:
    st.subheader("Spec")
    st.caption(
        "Ops run in this order. Each one fires with probability p and draws its "
        "parameters uniformly from the ranges."
    )
    chosen = st.multiselect(
        "Ops",
        list(OP_TYPES),
        key="aug_ops",
        persist_state=KEEP,
        format_func=lambda op: op.replace("_", " "),
        help="Geometry becomes one warp, colour one matrix, then blur, noise and cutout.",
    )
    spec = [op_editor(op, preset) for op in chosen]

# The image to preview: a built-in sample, or the chosen upload.
image: np.ndarray | None = None
color_mode = "rgb"
if source in ("china", "flower"):
    image = sample_photo(f"{source}.jpg")
elif source == "digit":
    image, label = sample_digit(digit_index)
    color_mode = "grayscale"
    st.caption(f"Digit {digit_index} of scikit-learn's handwritten digits (a {label}).")
else:
    loaded: dict[str, LoadedImage] = {}
    for name, file in zip(unique_names([f.name for f in uploads]), uploads, strict=True):
        try:
            loaded[name] = decode_upload(file.getvalue(), file.name)
        except ImageDecodeError as exc:  # ImageTooLargeError included
            st.error(md(str(exc)), icon=":material/broken_image:")
    if not uploads:
        st.info("Upload one or more images (PNG, JPEG, WebP, BMP or TIFF) in the sidebar.")
    elif loaded:
        pick = st.selectbox("Preview", list(loaded), key="aug_upload_pick", persist_state=KEEP)
        image = loaded[pick].image
        if loaded[pick].shrunk:
            h, w = loaded[pick].original_size
            st.caption(
                f"Shown at {image.shape[1]}x{image.shape[0]} (the file is {w}x{h}); "
                "training resizes images to its input size anyway."
            )

c_seed, c_new, c_n, c_size = st.columns([2, 1, 3, 2], vertical_alignment="bottom")
_init("aug_seed", 0)
seed = int(c_seed.number_input("Seed", 0, MAX_SEED, step=1, key="aug_seed", persist_state=KEEP))
c_new.button("New sample", key="aug_new_sample", on_click=_next_seed, icon=":material/casino:")
n = int(c_n.slider("Variants", 1, 32, 8, key="aug_n", persist_state=KEEP))
size = c_size.number_input(
    "Preview at training size",
    min_value=4,
    max_value=1024,
    value=None,
    step=1,
    key="aug_size",
    persist_state=KEEP,
    placeholder="natural size",
    help="The model's input size (e.g. 32 for digits): the warp resizes in the same step, "
    "as in training. Empty: the natural size.",
)
output_size = (int(size), int(size)) if size else None

variants = None
if image is not None:
    try:
        variants = preview(image, spec, seed=seed, n=n, output_size=output_size)
    except (SpecError, AugmentError) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        st.error(
            "This spec cannot run on this image:\n\n" + "\n".join(f"- {md(p)}" for p in problems),
            icon=":material/error:",
        )

if image is not None and variants is not None:
    if not spec:
        st.info("No ops chosen: every variant equals the original.")

    def show(img: np.ndarray, caption: str) -> None:
        pixels = img[:, :, 0] if img.shape[2] == 1 else img
        # Small images as PNG (exact pixels); photos as JPEG (light to send).
        fmt = "PNG" if max(img.shape[:2]) <= 256 else "JPEG"
        st.image(pixels, caption=caption, width="stretch", output_format=fmt)

    with st.grid(5, min_column_width=120, gap="small"):
        show(image, f"original ({image.shape[1]}x{image.shape[0]})")
        for v in variants:
            show(v.image, v.caption)

    d_zip, d_spec, d_train = st.columns(3, vertical_alignment="center")
    d_zip.download_button(
        "Download images (zip)",
        data=partial(variants_zip, variants, spec, seed, original=image, output_size=output_size),
        file_name="augmentations.zip",
        mime="application/zip",
        key="aug_download_zip",
        on_click="ignore",
        icon=":material/download:",
        help="The original, the variants as PNG, spec.json and draws.json (every sampled "
        "parameter).",
    )
    d_spec.download_button(
        "Download spec (JSON)",
        data=spec_json(spec),
        file_name="augmentation_spec.json",
        mime="application/json",
        key="aug_download_spec",
        on_click="ignore",
        icon=":material/data_object:",
    )
    if d_train.button(
        "Use in training",
        key="aug_use_in_training",
        type="primary",
        disabled=not spec,
        help="Choose at least one op. (No augmentation at all: switch it off on the Train page.)"
        if not spec
        else "Store this spec for the Train page.",
    ):
        st.session_state[TRAIN_KEY] = spec_to_json(parse_spec(spec))
        st.success(
            f"Stored this spec ({len(spec)} ops). The Train page will use it for the next run.",
            icon=":material/check_circle:",
        )
    elif TRAIN_KEY in st.session_state:
        st.caption(stored_note(st.session_state[TRAIN_KEY], spec))

    with st.expander("Show code"):
        st.caption("Reproduces this preview from the zip's original.png with boost.")
        st.code(spec_code(spec, seed, n, output_size, color_mode=color_mode), language="python")
