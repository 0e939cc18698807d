"""train(config): data, model, Keras fit, and every epoch into the run store.

Runs in a worker process or the CLI, never in the Streamlit process (it imports TensorFlow).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import keras
import numpy as np

from boost.augment import contact_sheet
from boost.config import ExperimentConfig
from boost.data import Dataset, load_dataset
from boost.models import output_spec
from boost.models.transfer import TransferError, build_classifier, unfreeze_top
from boost.paths import atomic_path, write_atomic
from boost.runs.artifacts import (
    CONFIG_FILE,
    CONFUSION_FILE,
    HISTORY_FILE,
    MISCLASSIFIED_FILE,
    MODEL_FILE,
    SEEN_BATCH_FILE,
    TENSORBOARD_DIR,
)
from boost.runs.store import RunStore, StoreError
from boost.runs.tables import epochs_csv
from boost.training.callbacks import StoreCallback
from boost.training.device import enable_determinism, setup_device
from boost.training.optim import build_optimizer, schedule_callbacks
from boost.training.pipeline import AugmentedBatches

MAX_MISCLASSIFIED = 16

#: Longest error message kept in the store (a Keras traceback summary, not a novel).
MAX_ERROR_CHARS = 2000


@dataclass
class TrainResult:
    """What a finished (completed or cancelled) run produced."""

    run_id: str
    status: str
    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


class TrainingFailed(RuntimeError):
    """Training raised; the run is marked failed in the store with this message."""

    def __init__(self, run_id: str, message: str):
        self.run_id = run_id
        super().__init__(message)


def train(
    config: ExperimentConfig,
    store: RunStore | None = None,
    *,
    run_id: str | None = None,
    verbose: int = 0,
    on_data_progress: Callable[[float, str], None] | None = None,
) -> TrainResult:
    """Train one run and record it.

    Args:
        config: the validated experiment.
        store: the run store (default: the one in $BOOST_HOME).
        run_id: an existing run (claimed from the queue) to train; a new one is created if None.
        verbose: Keras fit verbosity (1 = progress bar, for the CLI in a terminal).
        on_data_progress: called with (fraction, message) while images are decoded.

    Returns:
        The run's id, final status ('completed' or 'cancelled'), metrics and history.

    Raises:
        TrainingFailed: anything went wrong; the run is marked failed with the message and
            keeps the epochs it completed.
    """
    store = store or RunStore()
    if run_id is None:  # a store that cannot be written fails here, before anything starts
        run_id = store.create_run(config.to_dict(), name=config.name, status="running")
    with store.heartbeat_thread(lambda: store.heartbeat(run_id)):
        try:
            write_atomic(store.run_dir(run_id) / CONFIG_FILE, config.to_json())
            return _train(config, store, run_id, verbose, on_data_progress)
        except KeyboardInterrupt:
            with suppress(StoreError):  # else recovery marks it failed: its process is gone
                store.cancel_run(run_id)
            raise
        except Exception as exc:
            # Whatever went wrong (a Keras error, bad data, or the store's own disk being
            # full), the run ends failed with that cause. The write waits for the store to
            # take it, heartbeats going on meanwhile, so the cause is never lost.
            message = _describe(exc)
            store.retry_write(
                lambda: store.fail_run(run_id, message), what=f"record that run {run_id} failed"
            )
            raise TrainingFailed(run_id, message) from exc
        finally:
            keras.mixed_precision.set_global_policy("float32")


def _train(
    config: ExperimentConfig,
    store: RunStore,
    run_id: str,
    verbose: int,
    on_data_progress: Callable[[float, str], None] | None,
) -> TrainResult:
    run_dir = store.run_dir(run_id)
    config.check_can_start()  # a queued run whose upload was deleted since
    source = _source_model_path(config, store)
    device, scope = setup_device(config.training)
    store.mark_running(run_id, device=device)
    enable_determinism(config.seed, device)
    data = load_dataset(config.dataset, config.seed, progress=on_data_progress)
    t, tr = config.training, config.transfer
    with scope:
        model = build_classifier(config, data.input_shape, data.num_classes, source)
        steps = max(1, math.ceil(len(data.x_train) / t.batch_size))
        callback = StoreCallback(
            store, run_id, epochs=t.epochs, steps_per_epoch=steps, batch_size=t.batch_size
        )
        if config.augmentation.enabled:
            batches = AugmentedBatches(
                data.x_train, data.y_train, config.augmentation.ops,
                seed=config.seed, batch_size=t.batch_size,
            )  # fmt: skip
            first_x, first_y = batches.batch(0)
        else:
            batches = None
            first_x, first_y = data.x_train[: t.batch_size], data.y_train[: t.batch_size]
        _save_grid(
            run_dir / SEEN_BATCH_FILE, list(first_x), [data.class_names[int(y)] for y in first_y]
        )
        # Two phases when fine-tuning: the head on frozen features, then the top layers too,
        # at a lower learning rate (the classic transfer recipe). Otherwise one phase.
        phases = [(0, tr.fine_tune_after), (tr.fine_tune_after, t.epochs)] if tr.fine_tune_layers \
            else [(0, t.epochs)]  # fmt: skip
        for i, (first, last) in enumerate(phases):
            lr_scale = 1.0
            if i == 1:
                unfreeze_top(model, tr.fine_tune_layers)
                lr_scale = tr.fine_tune_lr_factor
            callback.extra = {"phase": ("frozen" if i == 0 else "fine-tune")} if tr.enabled else {}
            _compile(model, config, data.num_classes, last - first, steps, lr_scale)
            inputs: dict[str, Any] = (
                {"x": batches.dataset(last, start_epoch=first), "steps_per_epoch": steps,
                 "shuffle": False}
                if batches is not None
                else {"x": data.x_train, "y": data.y_train, "batch_size": t.batch_size}
            )  # fmt: skip
            model.fit(
                **inputs,
                validation_data=(data.x_val, data.y_val),
                initial_epoch=first,
                epochs=last,
                callbacks=_callbacks(config, callback, run_dir),
                verbose=verbose,
            )
            if callback.cancelled or model.stop_training:
                break
        write_atomic(run_dir / HISTORY_FILE, epochs_csv(store, run_id))
        with atomic_path(run_dir / MODEL_FILE) as tmp:  # never half a model to download
            model.save(tmp)
        metrics = _final_metrics(
            config, data, model, callback, device, run_dir, evaluate=not callback.cancelled
        )
    # The run is trained and saved: its end is recorded even if the store must be waited for.
    status = "cancelled" if callback.cancelled else "completed"
    finish = store.cancel_run if callback.cancelled else store.complete_run
    store.retry_write(lambda: finish(run_id, metrics), what=f"record that run {run_id} {status}")
    return TrainResult(run_id, status, metrics, callback.history)


def _source_model_path(config: ExperimentConfig, store: RunStore) -> Path | None:
    """The model file of the run to transfer from, checked before any work starts."""
    ref = config.transfer.source_run
    if ref is None:
        return None
    run = store.resolve_run(ref)
    if run.status != "completed":
        raise TransferError(f"source run {run.id} is {run.status}, not completed")
    arch = run.arch
    if arch != config.model.arch:
        raise TransferError(
            f"source run {run.id} is a {arch}; this run is a {config.model.arch}: "
            "transfer needs the same architecture"
        )
    return store.run_path(run.id) / MODEL_FILE


def _compile(
    model: keras.Model,
    config: ExperimentConfig,
    num_classes: int,
    epochs: int,
    steps: int,
    lr_scale: float,
) -> None:
    opt_cfg = config.optimizer
    if lr_scale != 1.0:
        opt_cfg = opt_cfg.model_copy(update={"learning_rate": opt_cfg.learning_rate * lr_scale})
    optimizer = build_optimizer(opt_cfg, epochs=epochs, steps_per_epoch=steps)
    model.compile(optimizer=optimizer, loss=output_spec(num_classes)[2], metrics=["accuracy"])


def _callbacks(
    config: ExperimentConfig, callback: StoreCallback, run_dir: Path
) -> list[keras.callbacks.Callback]:
    # The store callback goes first so that it logs the epoch's learning rate before
    # ReduceLROnPlateau changes it, and sees each epoch before early stopping ends the fit.
    # TensorBoard event files too, for people who live in TensorBoard: per epoch, no graph,
    # no profiling, so they cost next to nothing.
    callbacks: list[keras.callbacks.Callback] = [
        callback,
        keras.callbacks.TensorBoard(
            log_dir=str(run_dir / TENSORBOARD_DIR), write_graph=False, profile_batch=0
        ),
    ]
    callbacks += schedule_callbacks(config.optimizer)
    if config.training.early_stopping_patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=config.training.early_stopping_patience
            )
        )
    return callbacks


def _save_grid(path: Path, images: list[np.ndarray], captions: list[str]) -> None:
    sheet = contact_sheet(images, captions, cell=96)
    ok, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if ok:
        write_atomic(path, png.tobytes())


def _save_test_report(model: keras.Model, data: Dataset, batch_size: int, run_dir: Path) -> None:
    """Confusion matrix of the test split and the most confidently wrong test images."""
    probs = model.predict(data.x_test, batch_size=batch_size, verbose=0)
    if probs.shape[1] == 1:  # sigmoid: probability of class 1
        probs = np.hstack([1 - probs, probs])
    pred = probs.argmax(axis=1)
    true = data.y_test.astype(int)
    k = data.num_classes
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (true, pred), 1)
    write_atomic(
        run_dir / CONFUSION_FILE,
        json.dumps({"class_names": data.class_names, "matrix": matrix.tolist()}),
    )
    wrong = np.flatnonzero(pred != true)
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:MAX_MISCLASSIFIED]
    if len(wrong):
        names = data.class_names
        captions = [
            f"true {names[true[i]]}, predicted {names[pred[i]]} ({probs[i, pred[i]]:.0%})"
            for i in wrong
        ]
        _save_grid(run_dir / MISCLASSIFIED_FILE, list(data.x_test[wrong]), captions)


def _final_metrics(
    config: ExperimentConfig,
    data: Dataset,
    model: keras.Model,
    callback: StoreCallback,
    device: str,
    run_dir: Path,
    *,
    evaluate: bool,
) -> dict[str, Any]:
    history = callback.history
    metrics: dict[str, Any] = {
        "device": device,
        "params": int(model.count_params()),
        "epochs_run": len(history),
        "num_classes": data.num_classes,
        "class_names": data.class_names,
        "n_train": len(data.x_train),
        "n_val": len(data.x_val),
        "n_test": len(data.x_test),
        "dataset_report": data.report.summary(),
    }
    vals = [h["val_accuracy"] for h in history if h.get("val_accuracy") is not None]
    if vals:
        best = int(np.argmax(vals))
        metrics.update(
            best_val_accuracy=vals[best],
            best_epoch=history[best]["epoch"],
            final_val_accuracy=vals[-1],
            final_accuracy=history[-1]["accuracy"],
        )
    if history:
        # Median, not mean: the first epoch includes graph tracing.
        metrics["seconds_per_epoch"] = statistics.median(h["seconds"] for h in history)
    if evaluate and len(data.x_test):
        result = model.evaluate(
            data.x_test,
            data.y_test,
            batch_size=config.training.batch_size,
            verbose=0,
            return_dict=True,
        )
        metrics["test_loss"] = float(result["loss"])
        metrics["test_accuracy"] = float(result["accuracy"])
        _save_test_report(model, data, config.training.batch_size, run_dir)
    json.dumps(metrics)  # fail here, not in the store, if something is not JSON
    return metrics


def _describe(exc: BaseException) -> str:
    """A one-paragraph message for the run record."""
    if isinstance(exc, StoreError):  # its message says it all ("cannot write the run store")
        return _cut(str(exc))
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "ResourceExhaustedError":
        text = "out of memory; try a smaller batch size, image size or model width. " + text
    return _cut(f"{name}: {text}" if text else name)


def _cut(message: str) -> str:
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 3] + "..."
