"""The Keras callback that streams a run into the run store."""

from __future__ import annotations

import time
from typing import Any

import keras

from boost.models import kernel_stats
from boost.runs.store import RunStore
from boost.training.optim import current_lr

#: Batch progress goes to the store at most this often (seconds): the dashboard polls at
#: about 1 Hz and SQLite writes cost ~1 ms, so twice a second is live yet free.
PROGRESS_INTERVAL = 0.5


class StoreCallback(keras.callbacks.Callback):
    """Writes per-epoch metrics and throttled batch progress; honours cancel requests.

    Cancellation is checked with each progress write, so a run stops within about
    PROGRESS_INTERVAL seconds plus one batch.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        *,
        epochs: int,
        steps_per_epoch: int,
        batch_size: int,
    ):
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.epochs = epochs
        self.steps = steps_per_epoch
        self.batch_size = batch_size
        self.cancelled = False
        #: Extra per-epoch fields (e.g. the transfer phase), logged with every epoch.
        self.extra: dict[str, Any] = {}
        self.history: list[dict[str, Any]] = []
        self._t0 = 0.0
        self._epoch = 0
        self._epoch_start = 0.0
        self._last_write = 0.0
        self._done_steps = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._t0:  # a second phase (fine-tuning) continues the same clock
            self._t0 = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch + 1
        self._epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.perf_counter()
        if now - self._last_write < PROGRESS_INTERVAL:
            return
        self._last_write = now
        self.store.update_progress(self.run_id, self._progress(batch + 1, now))
        if self.store.cancel_requested(self.run_id):
            self.cancelled = True
            self.model.stop_training = True

    def _progress(self, batch: int, now: float) -> dict[str, Any]:
        done = (self._epoch - 1) * self.steps + batch
        elapsed = now - self._t0
        rate = done / elapsed if elapsed > 0 else 0.0
        remaining = self.epochs * self.steps - done
        return {
            "epoch": self._epoch,
            "epochs": self.epochs,
            "batch": batch,
            "steps": self.steps,
            "samples_per_sec": rate * self.batch_size,
            "eta_s": remaining / rate if rate > 0 else None,
        }

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        now = time.perf_counter()
        row: dict[str, Any] = {
            "loss": logs.get("loss"),
            "accuracy": logs.get("accuracy"),
            "val_loss": logs.get("val_loss"),
            "val_accuracy": logs.get("val_accuracy"),
            # The rate in use at the end of this epoch: this callback runs before
            # ReduceLROnPlateau, which would otherwise show next epoch's rate.
            "lr": current_lr(self.model.optimizer),
            "seconds": now - self._epoch_start,
            "wall_time": now - self._t0,
            **kernel_stats(self.model),
        }
        row = {k: (float(v) if v is not None else None) for k, v in row.items()} | self.extra
        self.history.append({"epoch": epoch + 1, **row})
        self.store.log_epoch(self.run_id, epoch + 1, row, self._progress(self.steps, now))
        if self.store.cancel_requested(self.run_id):
            self.cancelled = True
            self.model.stop_training = True
