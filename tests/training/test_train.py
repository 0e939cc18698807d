"""Real, seconds-long trainings on the built-in digits into a temporary store."""

import csv
import json
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest

from boost.runs.store import RunStore
from boost.training import TrainingFailed, train
from tests.conftest import tiny_config

pytestmark = pytest.mark.slow


def test_training_records_every_epoch_and_completes(store: RunStore) -> None:
    result = train(tiny_config(**{"training.epochs": 3}), store)
    run = store.get_run(result.run_id)
    assert run.status == "completed" and result.status == "completed"
    assert run.device == "cpu"
    epochs = store.epochs(result.run_id)
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    for e in epochs:
        for key in (
            "loss",
            "accuracy",
            "val_loss",
            "val_accuracy",
            "lr",
            "seconds",
            "sparsity",
            "weight_norm",
        ):
            assert e[key] is not None, key
        assert e["lr"] == pytest.approx(1e-3)
        assert 0.0 <= e["sparsity"] <= 1.0 and e["weight_norm"] > 0
    # It learnt something: loss goes down on 10-class digits.
    assert epochs[-1]["loss"] < epochs[0]["loss"]
    m = run.metrics
    assert m["best_val_accuracy"] == max(e["val_accuracy"] for e in epochs)
    assert 0.0 <= m["test_accuracy"] <= 1.0 and m["n_test"] > 0
    assert m["params"] > 0 and m["num_classes"] == 10 and m["epochs_run"] == 3
    assert run.progress is not None and (run.progress.epoch, run.progress.epochs) == (3, 3)  # the last update

    folder = store.run_dir(result.run_id)
    with open(folder / "history.csv") as fh:
        assert [int(r["epoch"]) for r in csv.DictReader(fh)] == [1, 2, 3]
    model = keras.saving.load_model(folder / "model.keras")  # safe_mode stays on
    assert model.count_params() == m["params"]
    assert (folder / "config.json").exists()
    assert cv2.imread(str(folder / "seen_batch.png")) is not None
    assert list((folder / "tensorboard").rglob("events.out.tfevents.*"))
    confusion = json.loads((folder / "confusion.json").read_text())
    matrix = np.array(confusion["matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == m["n_test"]
    assert np.trace(matrix) / matrix.sum() == pytest.approx(m["test_accuracy"], abs=1e-6)
    if np.trace(matrix) < matrix.sum():
        assert cv2.imread(str(folder / "misclassified.png")) is not None


def test_training_with_augmentation_saves_what_the_model_saw(store: RunStore) -> None:
    from boost.augment import DIGITS_SPEC, contact_sheet
    from boost.data import load_dataset
    from boost.training.pipeline import AugmentedBatches

    cfg = tiny_config(**{"augmentation.ops": DIGITS_SPEC})
    result = train(cfg, store)
    assert result.status == "completed" and len(store.epochs(result.run_id)) == 2
    saved = cv2.imread(str(store.run_dir(result.run_id) / "seen_batch.png"))
    # The grid is the first batch exactly as the pipeline produced it.
    data = load_dataset(cfg.dataset, cfg.seed)
    batches = AugmentedBatches(data.x_train, data.y_train, cfg.augmentation.ops, seed=cfg.seed,
                               batch_size=cfg.training.batch_size)  # fmt: skip
    xb, yb = batches.batch(0)
    sheet = contact_sheet(list(xb), [data.class_names[int(y)] for y in yb], cell=96)
    assert np.array_equal(saved, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


@pytest.mark.parametrize(
    "ops", [[], [{"op": "rotate"}, {"op": "noise"}]], ids=["plain", "augmented"]
)
def test_same_seed_same_curves(store: RunStore, ops: list) -> None:
    cfg = tiny_config(**{"augmentation.ops": ops})
    a = train(cfg, store)
    b = train(cfg, store)
    la = [e["loss"] for e in store.epochs(a.run_id)]
    lb = [e["loss"] for e in store.epochs(b.run_id)]
    assert la == lb
    c = train(cfg.replace(seed=1), store)
    assert [e["loss"] for e in store.epochs(c.run_id)] != la


def test_regularisation_shows_in_kernel_statistics(store: RunStore) -> None:
    base = train(tiny_config(**{"training.epochs": 3}), store)
    l1 = train(tiny_config(**{"training.epochs": 3, "regularization.l1": 1e-3}), store)
    last = lambda r: store.epochs(r.run_id)[-1]  # noqa: E731
    # L1 pushes weights to zero: more near-zero kernels and a smaller norm.
    assert last(l1)["sparsity"] > last(base)["sparsity"]
    assert last(l1)["weight_norm"] < last(base)["weight_norm"]


@pytest.mark.parametrize("schedule", ["cosine", "step", "reduce_on_plateau"])
def test_schedules_change_the_learning_rate(store: RunStore, schedule: str) -> None:
    cfg = tiny_config(
        **{
            "training.epochs": 3,
            "optimizer.schedule": schedule,
            "optimizer.step_every": 1,
            "optimizer.plateau_patience": 1,
            "optimizer.learning_rate": 0.5,  # too high on purpose: val_loss stalls
            "optimizer.name": "sgd",
        }
    )
    rates = [e["lr"] for e in store.epochs(train(cfg, store).run_id)]
    assert rates[0] <= 0.5
    if schedule == "reduce_on_plateau":
        assert rates[-1] <= rates[0]
    else:
        assert rates[-1] < rates[0]


@pytest.mark.parametrize("optimizer", ["adamw", "sgd", "rmsprop"])
def test_each_optimiser_trains(store: RunStore, optimizer: str) -> None:
    result = train(tiny_config(**{"optimizer.name": optimizer, "training.epochs": 1}), store)
    assert result.status == "completed"


def test_early_stopping(store: RunStore) -> None:
    cfg = tiny_config(
        **{
            "training.epochs": 30,
            "training.early_stopping_patience": 1,
            "optimizer.learning_rate": 5.0,
            "optimizer.name": "sgd",
        }
    )
    result = train(cfg, store)
    assert result.status == "completed"
    assert result.metrics["epochs_run"] < 30


def test_two_classes_use_a_sigmoid(store: RunStore, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for label, value in (("dark", 40), ("light", 210)):
        (tmp_path / "two" / label).mkdir(parents=True)
        for i in range(12):
            img = np.clip(rng.normal(value, 20, (30, 30, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(tmp_path / "two" / label / f"{i}.png"), img)
    cfg = tiny_config(
        **{
            "dataset.source": "folder",
            "dataset.path": str(tmp_path / "two"),
            "dataset.max_per_class": None,
            "training.epochs": 4,
        }
    )
    result = train(cfg, store)
    assert result.metrics["num_classes"] == 2
    assert result.metrics["class_names"] == ["dark", "light"]
    model = keras.saving.load_model(store.run_dir(result.run_id) / "model.keras")
    assert model.output_shape == (None, 1)


def test_failure_is_recorded_with_message_and_epochs_kept(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boost.training import callbacks

    original = callbacks.StoreCallback.on_epoch_end

    def explode_after_first(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        original(self, epoch, logs)
        if epoch == 1:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(callbacks.StoreCallback, "on_epoch_end", explode_after_first)
    with pytest.raises(TrainingFailed, match="disk on fire") as info:
        train(tiny_config(**{"training.epochs": 4}), store)
    run = store.get_run(info.value.run_id)
    assert run.status == "failed"
    assert run.error == "RuntimeError: disk on fire"
    assert [e["epoch"] for e in store.epochs(run.id)] == [1, 2]


def test_bad_data_fails_the_run_cleanly(store: RunStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg = tiny_config(**{"dataset.source": "folder", "dataset.path": str(empty)})
    with pytest.raises(TrainingFailed) as info:
        train(cfg, store)
    run = store.get_run(info.value.run_id)
    assert run.status == "failed" and "DatasetError" in run.error


def test_cancel_request_stops_the_run(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from boost.training import callbacks

    monkeypatch.setattr(callbacks, "PROGRESS_INTERVAL", 0.0)
    original = callbacks.StoreCallback.on_epoch_end

    def cancel_after_first(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        if epoch == 0:
            self.store.request_cancel(self.run_id)
        original(self, epoch, logs)

    monkeypatch.setattr(callbacks.StoreCallback, "on_epoch_end", cancel_after_first)
    result = train(tiny_config(**{"training.epochs": 5}), store)
    assert result.status == "cancelled"
    assert store.get_run(result.run_id).status == "cancelled"
    assert [e["epoch"] for e in store.epochs(result.run_id)] == [1]


def test_a_model_write_that_fails_half_way_leaves_nothing_to_download(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up while model.keras is written: no partial model under its name."""
    import errno

    from tests.ui.conftest import open_page

    def half_then_full(self, filepath, *args, **kwargs):  # type: ignore[no-untyped-def]
        Path(filepath).write_bytes(b"PK\x03\x04 half a model")
        raise OSError(errno.ENOSPC, "No space left on device", str(filepath))

    monkeypatch.setattr(keras.Model, "save", half_then_full)
    with pytest.raises(TrainingFailed, match="No space left on device") as info:
        train(tiny_config(), store)
    run_id = info.value.run_id
    folder = store.home / "runs" / run_id
    assert not (folder / "model.keras").exists()
    assert not [p.name for p in folder.iterdir() if "partial" in p.name]  # cleaned up
    assert store.get_run(run_id).status == "failed"
    at = open_page("pages/runs.py")
    keys = {b.key for b in at.get("download_button")}
    assert "runs_bundle" in keys and "runs_model" not in keys


def test_a_finished_run_waits_for_the_store_to_record_it_completed(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run trained to the end, then the store was briefly unwritable: not a failure."""
    from boost.runs import store as store_module

    monkeypatch.setattr(store_module, "RETRY_FIRST_S", 0.01)
    real, calls = RunStore.complete_run, []

    def busy_twice(self, run_id, metrics):  # type: ignore[no-untyped-def]
        calls.append(run_id)
        if len(calls) <= 2:
            raise store_module.StoreUnavailable("cannot write the run store at x: disk is full")
        return real(self, run_id, metrics)

    monkeypatch.setattr(RunStore, "complete_run", busy_twice)
    result = train(tiny_config(), store)
    assert result.status == "completed" and len(calls) == 3
    assert store.get_run(result.run_id).status == "completed"
    assert capsys.readouterr().err.count("waiting to record that run") == 1


def test_a_queued_run_whose_upload_was_deleted_fails_naming_the_field(
    store: RunStore, tmp_path: Path
) -> None:
    cfg = tiny_config(**{"dataset.source": "zip", "dataset.path": str(tmp_path / "gone.zip")})
    run_id = store.create_run(cfg.to_dict())  # queued while the file was there
    with pytest.raises(TrainingFailed, match="dataset.path: no such zip file"):
        train(cfg, store, run_id=run_id)
    assert store.get_run(run_id).status == "failed"
