"""Downloads of runs: one run as a zip (`run_bundle`), a group's epochs as one CSV (`group_csv`).

Nothing here imports TensorFlow: the Streamlit process builds these downloads.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import time
import zipfile
from pathlib import Path
from typing import Any

from boost.config import ConfigError, ExperimentConfig
from boost.export.script import standalone_script
from boost.runs.artifacts import (
    CONFIG_FILE,
    CONFUSION_FILE,
    MISCLASSIFIED_FILE,
    MODEL_FILE,
    SEEN_BATCH_FILE,
    TENSORBOARD_DIR,
)
from boost.runs.entities import Run
from boost.runs.store import EPOCH_COLUMNS, RunNotFound, RunStore
from boost.runs.tables import csv_text, epochs_csv

MANIFEST_FILE = "MANIFEST.txt"

#: One line on each file a bundle can hold, for MANIFEST.txt.
DESCRIPTIONS: dict[str, str] = {
    CONFIG_FILE: "the run's experiment config (Boost Lab's ExperimentConfig, JSON)",
    "metrics.csv": "per-epoch metrics: loss, accuracy, val_loss, val_accuracy, lr, seconds, ...",
    "run.py": "a standalone Keras/OpenCV/NumPy script that reproduces the run "
    "(python run.py [--epochs N])",
    MODEL_FILE: "the trained Keras model (keras.saving.load_model)",
    SEEN_BATCH_FILE: "the first training batch as the model saw it, augmentation included",
    CONFUSION_FILE: "the test split's confusion matrix (class_names, matrix[true][predicted])",
    MISCLASSIFIED_FILE: "the test images the model got wrong most confidently",
}
TENSORBOARD_DESCRIPTION = "TensorBoard event file (tensorboard --logdir tensorboard)"
_OPTIONAL_FILES = (MODEL_FILE, SEEN_BATCH_FILE, CONFUSION_FILE, MISCLASSIFIED_FILE)
# PNGs and .keras files (zips) are compressed already: deflating them again costs time only.
_STORED_SUFFIXES = (".png", ".keras")

#: The leading columns of `group_csv`, before the per-epoch metrics.
RUN_COLUMNS = ("run_id", "name", "cell", "seed", "status", "epoch")


def run_bundle(store: RunStore, run_id: str) -> bytes:
    """A zip of one run: everything needed to read, reuse or reproduce it.

    It holds config.json, metrics.csv (`boost.runs.tables.epochs_csv`), run.py
    (`standalone_script`), and those of model.keras, seen_batch.png, confusion.json,
    misclassified.png and the files under tensorboard/ (relative paths kept) that the run
    folder has, plus MANIFEST.txt: every other file with its size and what it is.

    run.py is there even when the run's data folder or zip has since been deleted (parsing a
    config never looks at the filesystem); it is left out, and MANIFEST.txt says why, only
    for a config stored by an older Boost Lab under rules it no longer meets.

    Raises:
        RunNotFound: no run has this id.
    """
    run = store.get_run(run_id)
    run_dir = store.run_path(run_id)
    notes: list[str] = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        stamp = time.localtime(run.finished_at or run.created_at)[:6]

        def add(name: str, data: str | bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = (stat.S_IFREG | 0o644) << 16  # a plain rw-r--r-- file
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)

        def add_file(name: str, path: Path) -> None:
            kind = zipfile.ZIP_STORED if name.endswith(_STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            zf.write(path, name, compress_type=kind)  # streamed: a model can be large

        add(CONFIG_FILE, json.dumps(run.config, indent=2) + "\n")
        add("metrics.csv", epochs_csv(store, run_id))
        try:
            config = run.experiment
        except ConfigError as exc:
            # A config stored by an older Boost Lab, under other rules.
            notes.append(f"run.py is not included: the stored config no longer validates ({exc})")
        else:
            add("run.py", standalone_script(config, source_model=_source_model(store, config)))
        for name in _OPTIONAL_FILES:
            if _regular_file(run_dir / name):
                add_file(name, run_dir / name)
        for rel in _tensorboard_files(run_dir):
            add_file(rel, run_dir / rel)
        add(MANIFEST_FILE, _manifest(run, zf.infolist(), notes))
    return buf.getvalue()


def group_csv(store: RunStore, group: str) -> bytes:
    """One tidy CSV of every run and epoch of a group, ready for `pandas.read_csv`.

    Columns: run_id, name, cell, seed, status, epoch, the store's per-epoch metrics (loss,
    accuracy, val_loss, val_accuracy, lr, seconds, wall_time, sparsity, weight_norm), then any
    extra per-epoch keys (e.g. phase) in name order. One row per (run, epoch), runs oldest
    first; a run without epochs gets one row with empty metrics. Missing values are empty.
    An unknown or empty group gives the header alone.

    Returns:
        UTF-8 bytes, with a header row.
    """
    runs = list(reversed(store.list_runs(group=group)))  # list_runs is newest first
    per_run = [(run, store.epochs(run.id)) for run in runs]
    columns = [*RUN_COLUMNS, *EPOCH_COLUMNS]
    extras = {key for _, epochs in per_run for row in epochs for key in row} - set(columns)
    columns += sorted(extras)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for run, epochs in per_run:
        meta = {
            "run_id": run.id,
            "name": run.name,
            "cell": run.cell,
            "seed": run.seed,
            "status": run.status,
        }
        for row in epochs or [{}]:
            writer.writerow({k: _cell(v) for k, v in {**row, **meta}.items()})
    return buf.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    """A CSV cell: empty for None, JSON for lists and dicts (an extra key may hold one), user
    text defused (run names, cells)."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return csv_text(value)


def _source_model(store: RunStore, config: ExperimentConfig) -> str | None:
    """The model file of the run a run:<id> transfer starts from, if that run is in the store."""
    ref = config.transfer.source_run
    if ref is None:
        return None
    try:
        source = store.resolve_run(ref)
    except RunNotFound:
        return None  # the script keeps its placeholder and says what to put there
    return str(store.run_path(source.id) / MODEL_FILE)


def _regular_file(path: Path) -> bool:
    # A link in a run folder is not ours to follow out of the folder.
    return path.is_file() and not path.is_symlink()


def _tensorboard_files(run_dir: Path) -> list[str]:
    """Paths (relative to the run folder, '/'-separated) of the files under tensorboard/."""
    root = run_dir / TENSORBOARD_DIR
    if not root.is_dir() or root.is_symlink():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):  # does not follow linked folders
        dirnames.sort()
        for fname in sorted(filenames):
            path = Path(dirpath, fname)
            if _regular_file(path):
                found.append(path.relative_to(run_dir).as_posix())
    return found


def _manifest(run: Run, infos: list[zipfile.ZipInfo], notes: list[str]) -> str:
    width = max(len(info.filename) for info in infos)
    # json.dumps quotes the name safely: a run name is user text.
    lines = [
        f"Boost Lab run {run.id} {json.dumps(run.name)} ({run.status}).",
        f"Files (besides this {MANIFEST_FILE}), with their sizes:",
        "",
    ]
    for info in infos:
        name = info.filename
        what = DESCRIPTIONS.get(name, TENSORBOARD_DESCRIPTION)  # the rest is tensorboard/
        lines.append(f"{name:<{width}}  {info.file_size:>12,} bytes  {what}")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"
