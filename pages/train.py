"""Train: choose data and methods, launch runs in the background, watch them live."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from boost.ablation import methods_on, switch_off_variants
from boost.augment import DEFAULT_SPEC, DIGITS_SPEC, describe_spec
from boost.catalog import ARCH_LABELS, KERAS_DATASETS, METHODS, OPTIMIZERS, SCHEDULES
from boost.config import ConfigError, DatasetConfig, ExperimentConfig
from boost.data import DatasetError, DatasetPreview, preview_dataset, store_upload
from boost.queue import manager
from boost.runs.store import RunNotFound, StoreError
from ui.common import REFRESH_S, live_queue, md, store

st.title("Train")
st.caption(
    "Switch methods on and off, launch, and keep working: runs train in background worker "
    "processes (on the GPU when there is one) and appear below as they go."
)

def launch_and_say(queue: Callable[[], str]) -> None:
    """Queue runs; say what was queued, or why nothing was (a vanished source, a full disk)."""
    try:
        st.success(queue())
    except (RunNotFound, StoreError, ValueError) as exc:
        st.error(f"Not launched: {md(exc)}")


SOURCES = {
    "digits": "Handwritten digits (built in, 1,797 images)",
    "keras": "A Keras dataset (downloaded once)",
    "zip": "Your images: a zip of class folders",
}

# -- data -----------------------------------------------------------------------------------

st.subheader("Data")
source = st.radio(
    "Dataset", list(SOURCES), format_func=SOURCES.get, key="train_source", horizontal=True
)
dataset: dict[str, Any] = {"source": "digits"}
if source == "keras":
    dataset["source"] = st.selectbox(
        "Keras dataset", list(KERAS_DATASETS), key="train_keras_name"
    )
    st.caption(
        "Downloaded by Keras into ~/.keras/datasets on first use. Offline, place the file "
        "there first; the run's error names it."
    )
elif source == "zip":
    upload = st.file_uploader(
        "Zip of class folders (cats/…, dogs/…: one folder per class)",
        type=["zip"],
        key="train_zip",
    )
    if upload is None:
        st.info("Upload a zip to train on your own images; until then, digits are used.")
    else:
        path = store_upload(upload.getvalue(), ".zip", store().home, name=upload.name)
        dataset = {"source": "zip", "path": str(path)}

cols = st.columns(3)
image_size = cols[0].select_slider(
    "Image size (pixels)", [24, 32, 48, 64, 96, 128, 224], value=32, key="train_image_size"
)
cap = cols[1].number_input(
    "Images per class (0 = all)", min_value=0, value=0, step=10, key="train_max_per_class",
    help="Fewer images train faster and overfit more: good for showing regularisation.",
)  # fmt: skip
with cols[2].popover("Split"):
    val_fraction = st.slider("Validation share", 0.05, 0.45, 0.2, 0.05, key="train_val")
    test_fraction = st.slider("Test share", 0.0, 0.45, 0.2, 0.05, key="train_test")
dataset.update(image_size=image_size, max_per_class=cap or None, val_fraction=val_fraction,
               test_fraction=test_fraction)  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=8)
def dataset_preview(cfg_json: str) -> DatasetPreview:
    """Classes and counts from the zip's listing, and a few decoded thumbnails per class.

    Never the whole dataset: a zip of 100,000 images costs this process what a few cost.
    """
    return preview_dataset(DatasetConfig.model_validate_json(cfg_json))


if dataset["source"] == "zip":
    try:
        preview_cfg = DatasetConfig(**{**dataset, "image_size": 64, "max_per_class": None})
        with st.spinner("Reading the zip…"):
            summary = dataset_preview(preview_cfg.model_dump_json())
    except (DatasetError, ValueError) as exc:
        st.error(f"This zip cannot be used: {md(exc)}")
        dataset = {**dataset, "broken": True}
    else:
        report = summary.report
        st.success(md(report.summary()))
        st.dataframe(
            {"class": list(report.counts), "images": list(report.counts.values())},
            hide_index=True,
        )
        for warning in report.warnings:
            st.warning(md(warning))
        if report.skipped:
            st.caption(md(report.skipped_line()))
        more = len(report.counts) - summary.classes_shown
        st.caption(
            "Counted from the zip's listing; the thumbnails are the first images of each class"
            + (f" (of the first {summary.classes_shown} classes; {more:,} more)" if more else "")
            + ". Files that do not decode are skipped, and reported, when a run reads the data."
        )
        st.image([t for _, t in summary.thumbnails],
                 caption=[md(n) for n, _ in summary.thumbnails], width=64)  # fmt: skip

# -- methods ----------------------------------------------------------------------------------

st.subheader("Methods")
left, right = st.columns(2)
with left:
    stored_spec = st.session_state.get("train_augmentation")
    default_spec = DIGITS_SPEC if dataset["source"] in ("digits", "mnist") else DEFAULT_SPEC
    use_aug = st.toggle("Data augmentation", key="train_aug")
    spec = stored_spec or default_spec
    st.caption(
        "Random changes to each training image (never to validation or test). Expect "
        "training accuracy to rise more slowly and the train-validation gap to shrink."
    )
    if use_aug:
        origin = "from the Augmentation Lab" if stored_spec else "the default for this data"
        st.caption(f"Spec ({origin}): {md(describe_spec(spec))}")
    st.page_link("pages/augment.py", label="Edit the spec in the Augmentation Lab",
                 icon=":material/tune:")  # fmt: skip

    use_l2 = st.toggle("L2 regularisation", key="train_l2")
    l2 = st.select_slider("L2 strength", [1e-5, 1e-4, 1e-3, 1e-2], value=1e-3, key="train_l2_value",
                          disabled=not use_l2)  # fmt: skip
    st.caption("Penalises large weights (the seed's 4.3). Expect a smaller weight norm and a "
               "smaller gap; too strong and both accuracies drop.")  # fmt: skip
    use_l1 = st.toggle("L1 regularisation", key="train_l1")
    l1 = st.select_slider("L1 strength", [1e-6, 1e-5, 1e-4, 1e-3], value=1e-4, key="train_l1_value",
                          disabled=not use_l1)  # fmt: skip
    st.caption("Pushes weights to exactly zero. Expect the sparsity curve to climb.")
with right:
    use_dropout = st.toggle("Dropout", key="train_dropout")
    dropout = st.slider("Dropout rate", 0.1, 0.8, 0.5, 0.05, key="train_dropout_value",
                        disabled=not use_dropout)  # fmt: skip
    st.caption("Silences random units while training. Expect noisier, lower training "
               "accuracy and often better validation accuracy.")  # fmt: skip
    batch_norm = st.toggle("Batch normalisation", key="train_bn")
    st.caption("Normalises each convolution's output. Expect faster early progress.")
    width = st.select_slider("Model width", [0.25, 0.5, 1.0, 2.0], value=1.0, key="train_width")
    st.caption("Multiplies the seed CNN's filters and units. Wider fits more, and overfits more.")

st.subheader("Knowledge transfer")
cols = st.columns(3)
arch = cols[0].selectbox("Network", list(ARCH_LABELS), format_func=ARCH_LABELS.get,
                         key="train_arch")  # fmt: skip
starts = {"none": "Random weights (from scratch)", "run": "A completed run of mine"}
if arch != "seed_cnn":
    starts["imagenet"] = "ImageNet (downloaded once into the Keras cache)"
start = cols[1].selectbox("Feature layers start from", list(starts), format_func=starts.get,
                          key="train_start")  # fmt: skip
weights = start
if start == "run":
    done = [r for r in store().list_runs(status="completed", limit=200)
            if r.arch == arch]  # fmt: skip
    if done:
        src = cols[2].selectbox("Source run", done, key="train_source_run",
                                format_func=lambda r: f"{r.name} · {r.id}")  # fmt: skip
        weights = f"run:{src.id}"
    else:
        cols[2].warning("No completed run of this network yet: train one first.")
        weights = "none"
st.caption(
    "Transfer starts from features learnt on another task, so few images go further. Expect "
    "a higher first epoch and a better plateau than from scratch, most of all with little data."
)
transfer: dict[str, Any] = {"weights": weights}
if weights != "none":
    cols = st.columns(4)
    transfer["freeze"] = cols[0].toggle("Freeze the features", True, key="train_freeze")
    transfer["fine_tune_layers"] = cols[1].number_input(
        "Then fine-tune the top k layers (0 = never)", 0, 200, 0, key="train_ft_layers",
        disabled=not transfer["freeze"],
    ) if transfer["freeze"] else 0  # fmt: skip
    transfer["fine_tune_after"] = cols[2].number_input(
        "…after this many epochs", 0, 100, 5, key="train_ft_after",
        disabled=not transfer["fine_tune_layers"],
    ) if transfer["fine_tune_layers"] else 0  # fmt: skip
    transfer["fine_tune_lr_factor"] = cols[3].select_slider(
        "Fine-tuning learning rate ×", [0.01, 0.03, 0.1, 0.3, 1.0], value=0.1,
        key="train_ft_lr", disabled=not transfer["fine_tune_layers"],
    )  # fmt: skip
head = "flatten"
if arch != "seed_cnn":
    cols = st.columns(2)
    transfer["input_size"] = cols[0].select_slider(
        "Backbone input size (images are resized inside the model)",
        [32, 64, 96, 128, 160, 224], value=96, key="train_input_size",
    )  # fmt: skip
    head = cols[1].radio("Head", ["flatten", "global_avg"], horizontal=True, key="train_head",
                         help="Flatten is the seed's 4.4; global average pooling is lighter.")  # fmt: skip
with st.expander("Transfer demo (offline): digits 0-4, then 5-9 from a few images"):
    st.markdown(
        "Three runs: the seed CNN learns digits 0-4; then digits 5-9 are learnt from a few "
        "images per class, once from scratch and once starting from the 0-4 run's "
        "convolutions (frozen, then the top one fine-tuned). Compare the two 5-9 runs."
    )
    demo_cols = st.columns([1, 1, 2])
    demo_per_class = demo_cols[0].number_input("Training images per class", 2, 200, 5,
                                               key="train_demo_per_class")  # fmt: skip
    demo_epochs = demo_cols[1].number_input("Epochs", 2, 100, 10, key="train_demo_epochs")
    if demo_cols[2].button("Launch the transfer demo", key="train_transfer_demo"):
        from boost.presets import transfer_demo

        demo = transfer_demo(per_class=int(demo_per_class), epochs=int(demo_epochs))
        group = f"transfer demo {time.strftime('%H:%M:%S')}"

        def queue_demo() -> str:
            manager.launch(demo, store(), group=group)
            return f"Queued the transfer demo as group {md(group)}; open Compare when it ends."

        launch_and_say(queue_demo)

st.subheader("Optimisation")
cols = st.columns(4)
optimizer = cols[0].selectbox("Optimiser", OPTIMIZERS, key="train_opt")
lr = cols[1].select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
                           value=1e-3, key="train_lr")  # fmt: skip
schedule = cols[2].selectbox("Schedule", SCHEDULES, key="train_schedule")
batch_size = cols[3].selectbox("Batch size", [16, 32, 64, 128, 256], index=1, key="train_batch")
cols = st.columns(4)
epochs = cols[0].slider("Epochs", 1, 100, 10, key="train_epochs")
patience = cols[1].number_input("Early stopping patience (0 = off)", 0, 50, 0, key="train_patience")
seed = cols[2].number_input("Seed", 0, 2**31 - 1, 0, key="train_seed")
device = cols[3].selectbox("Device", ["auto", "cpu", "gpu"], key="train_device",
                           help="auto: the GPU when the workers see one.")  # fmt: skip
name = st.text_input("Run name", "my run", max_chars=100, key="train_name")

# -- launch -----------------------------------------------------------------------------------

raw = {
    "name": name,
    "seed": int(seed),
    "dataset": {k: v for k, v in dataset.items() if k != "broken"},
    "augmentation": {"ops": spec if use_aug else []},
    "model": {"arch": arch, "width": width, "batch_norm": batch_norm, "head": head},
    "transfer": transfer,
    "regularization": {
        "l1": l1 if use_l1 else 0.0,
        "l2": l2 if use_l2 else 0.0,
        "dropout": dropout if use_dropout else 0.0,
    },  # fmt: skip
    "optimizer": {"name": optimizer, "learning_rate": lr, "schedule": schedule},
    "training": {
        "epochs": epochs,
        "batch_size": batch_size,
        "device": device,
        "early_stopping_patience": int(patience) or None,
    },  # fmt: skip
}
config: ExperimentConfig | None = None
try:
    config = ExperimentConfig.from_dict(raw)
except ConfigError as exc:
    st.error("This configuration cannot run:")
    st.code("\n".join(f"{field}: {msg}" for field, msg in exc.problems), language=None)

on = methods_on(config) if config else []
cols = st.columns([1, 2, 3])
launch = cols[0].button("Launch", type="primary", key="train_launch",
                        disabled=config is None or "broken" in dataset)  # fmt: skip
variants = cols[1].button(
    f"Launch variants ({len(on) + 1} runs)" if on else "Launch variants",
    key="train_launch_variants",
    disabled=config is None or not on or "broken" in dataset,
    help="The configured run plus one run with each method switched off, as one group.",
)
if on:
    cols[2].caption(f"Variants switch off, one at a time: {', '.join(on)}.")

if config is not None and (launch or variants):

    def queue_runs() -> str:
        if variants:
            group = f"{config.name} ablation {time.strftime('%H:%M:%S')}"
            ids = manager.launch(switch_off_variants(config), store(), group=group)
            return f"Queued {len(ids)} runs in group {md(group)}."
        (run_id,) = manager.launch([config], store())
        return f"Queued run {md(config.name)} ({run_id})."

    launch_and_say(queue_runs)

# -- ablation grid --------------------------------------------------------------------------------

with st.expander("Ablation grid: vary these, with repeated seeds and honest statistics"):
    st.caption(
        "Each factor is tried at its levels; each cell is trained with several seeds, so that "
        "Compare can tell a real effect from seed-to-seed noise."
    )
    strength = {"augmentation": spec, "L1": l1, "L2": l2, "dropout": dropout, "batch norm": True}
    choices: dict[str, dict[str, Any]] = {
        **{m.label: {"name": m.factor, "levels": [m.off, strength[m.label]]} for m in METHODS},
        "optimiser": {"name": "optimizer", "levels": sorted({optimizer, "sgd", "adam"})},
        "learning rate": {"name": "learning_rate", "levels": sorted({lr, lr / 10, lr * 10})},
    }
    if weights != "none":
        choices["pretrained"] = {"name": "pretrained", "levels": {"no": "none", "yes": weights}}
    cols = st.columns([3, 2, 1])
    vary = cols[0].multiselect("Vary these", list(choices), key="train_vary",
                               help="On/off methods use the strength set above.")  # fmt: skip
    design = cols[1].radio("Design", ["one_at_a_time", "full"], horizontal=True,
                           key="train_design", format_func=lambda d: d.replace("_", " "))  # fmt: skip
    seeds = cols[2].number_input("Seeds", 1, 10, 3, key="train_seeds")
    if vary and config is not None:
        from boost.ablation import AblationConfig, expand_cells, expand_runs

        try:
            ablation = AblationConfig.from_dict({
                "name": config.name, "base": config.to_dict(), "design": design,
                "seeds": int(seeds), "factors": [choices[v] for v in vary],
            })  # fmt: skip
            cells = expand_cells(ablation)
            planned = [c for _, c in expand_runs(ablation, cells)]
        except ConfigError as exc:
            st.error("This grid cannot run:")
            st.code("\n".join(f"{f}: {m}" for f, m in exc.problems), language=None)
        else:
            secs = manager.estimate_seconds(planned, store())
            when = f"about {secs / 60:.0f} min" if secs else "no similar run yet to time it by"
            st.markdown(f"**{len(cells)} cells × {int(seeds)} seeds = {len(planned)} runs** "
                        f"({when}).")  # fmt: skip
            st.caption("Cells: " + "; ".join(md(c.label) for c in cells))
            if st.button("Launch ablation", key="train_launch_ablation", type="primary"):

                def queue_grid() -> str:
                    group, ids = manager.launch_ablation(ablation, store())
                    return (f"Queued {len(ids)} runs as group {md(group)}; Compare shows the "
                            "effects as they come in.")  # fmt: skip

                launch_and_say(queue_grid)

# -- live queue ----------------------------------------------------------------------------------

st.subheader("Queue and latest runs")


@st.fragment(run_every=REFRESH_S)
def queue() -> None:
    live_queue("train")


queue()
st.page_link("pages/compare.py", label="Compare runs", icon=":material/stacked_line_chart:")
