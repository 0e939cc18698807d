"""AppTest helpers: the app through its navigation, on a temporary store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str) -> AppTest:
    """The app, switched to `page` (e.g. "pages/train.py") and run."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    return at.switch_page(page).run()


def log_run(
    store,
    name: str,
    epochs: int,
    *,
    status: str = "completed",
    group=None,
    cell=None,  # type: ignore[no-untyped-def]
    acc_shift: float = 0.0,
    **config,
):
    """A run with plausible curves written straight into the store (no training)."""
    from boost.config import ExperimentConfig

    cfg = ExperimentConfig().replace(name=name, **config).to_dict()
    run_id = store.create_run(cfg, group=group, status="running", cell=cell)
    for e in range(1, epochs + 1):
        acc = 1 - 0.5 / e + acc_shift
        store.log_epoch(run_id, e, {"loss": 1 / e, "accuracy": acc, "val_loss": 1.2 / e,
                                    "val_accuracy": acc - 0.05, "lr": 1e-3, "seconds": 0.5,
                                    "wall_time": 0.5 * e, "sparsity": 0.01 * e,
                                    "weight_norm": 20 - e})  # fmt: skip
    if status == "completed":
        store.complete_run(run_id, {"best_val_accuracy": 1 - 0.5 / epochs - 0.05 + acc_shift,
                                    "best_epoch": epochs, "test_accuracy": 0.9 + acc_shift,
                                    "params": 1234,
                                    "seconds_per_epoch": 0.5, "device": "cpu",
                                    "epochs_run": epochs})  # fmt: skip
    elif status == "failed":
        store.fail_run(run_id, "DatasetError: no decodable image in class folder 'cats'")
    return run_id
