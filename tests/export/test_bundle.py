"""Run bundles (zip) and group CSVs, over a real run store."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from boost.config import ExperimentConfig
from boost.export import group_csv, run_bundle
from boost.runs.store import EPOCH_COLUMNS, RunNotFound, RunStore
from boost.runs.tables import epochs_csv

MANIFEST_LINE = re.compile(r"^(\S+)\s+([\d,]+) bytes  (.+)$")


def _config(**changes: object) -> ExperimentConfig:
    base = ExperimentConfig.from_dict(
        {"name": "bundle me", "dataset": {"image_size": 24}, "model": {"width": 0.25}}
    )
    return base.replace(**changes) if changes else base


def _epoch(i: int, **extra: object) -> dict[str, object]:
    return {"loss": 2.0 / i, "accuracy": 0.3 * i, "val_loss": 2.1 / i, "val_accuracy": 0.25 * i,
            "lr": 1e-3, "seconds": 1.5, "wall_time": 1.5 * i, "sparsity": 0.01,
            "weight_norm": 10.0 + i, **extra}  # fmt: skip


def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


def _manifest(files: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    """{file: (size, description)} from MANIFEST.txt."""
    listed = {}
    for line in files["MANIFEST.txt"].decode("utf-8").splitlines():
        match = MANIFEST_LINE.match(line)
        if match:
            listed[match.group(1)] = (int(match.group(2).replace(",", "")), match.group(3))
    return listed


@pytest.fixture
def finished_run(store: RunStore) -> str:
    """A completed run with epochs (one with an extra key), a model and every artifact but
    misclassified.png, and TensorBoard event files in two subfolders."""
    config = _config()
    run_id = store.create_run(config.to_dict(), name=config.name, status="running")
    for i in (1, 2, 3):
        store.log_epoch(run_id, i, _epoch(i, phase="frozen" if i < 3 else "fine-tune"))
    store.complete_run(run_id, {"test_accuracy": 0.5})
    run_dir = store.run_dir(run_id)
    (run_dir / "config.json").write_text(config.to_json())
    (run_dir / "model.keras").write_bytes(b"PK fake model " * 100)
    (run_dir / "seen_batch.png").write_bytes(b"\x89PNG fake seen batch")
    (run_dir / "confusion.json").write_text(json.dumps({"class_names": ["0"], "matrix": [[1]]}))
    for sub in ("train", "validation"):
        (run_dir / "tensorboard" / sub).mkdir(parents=True)
        (run_dir / "tensorboard" / sub / "events.out.tfevents.1700000000.host.1.v2").write_bytes(
            b"\x00event records " + sub.encode()
        )
    return run_id


def test_bundle_holds_exactly_what_the_manifest_lists(store: RunStore, finished_run: str) -> None:
    files = _read_zip(run_bundle(store, finished_run))
    listed = _manifest(files)
    assert set(listed) == set(files) - {"MANIFEST.txt"}
    assert set(listed) == {
        "config.json", "metrics.csv", "run.py", "model.keras", "seen_batch.png",
        "confusion.json", "tensorboard/train/events.out.tfevents.1700000000.host.1.v2",
        "tensorboard/validation/events.out.tfevents.1700000000.host.1.v2",
    }  # fmt: skip
    for name, (size, what) in listed.items():
        assert size == len(files[name]) and what
    assert "misclassified.png" not in files  # not in the run folder: simply not listed
    run_dir = store.home / "runs" / finished_run
    for name in ("model.keras", "seen_batch.png", "confusion.json",
                 "tensorboard/train/events.out.tfevents.1700000000.host.1.v2"):  # fmt: skip
        assert files[name] == (run_dir / name).read_bytes()
    assert (
        "TensorBoard"
        in listed["tensorboard/validation/events.out.tfevents.1700000000.host.1.v2"][1]
    )
    assert finished_run in files["MANIFEST.txt"].decode()


def test_bundle_config_metrics_and_script(store: RunStore, finished_run: str) -> None:
    files = _read_zip(run_bundle(store, finished_run))
    config = ExperimentConfig.from_dict(json.loads(files["config.json"]))
    assert config == _config()
    assert files["metrics.csv"].decode("utf-8") == epochs_csv(store, finished_run)
    assert "phase" in files["metrics.csv"].decode()
    script = files["run.py"].decode("utf-8")
    compile(script, "run.py", "exec")
    assert 'Boost Lab run "bundle me"' in script


def test_bundle_of_a_queued_run_has_the_essentials_only(store: RunStore) -> None:
    run_id = store.create_run(_config().to_dict(), name="waiting")
    files = _read_zip(run_bundle(store, run_id))
    assert set(files) == {"config.json", "metrics.csv", "run.py", "MANIFEST.txt"}
    assert files["metrics.csv"].decode().splitlines() == [",".join(["epoch", *EPOCH_COLUMNS])]


def test_bundle_of_an_unknown_run_raises(store: RunStore) -> None:
    with pytest.raises(RunNotFound):
        run_bundle(store, "no-such-run")
    assert not (store.home / "runs" / "no-such-run").exists()


def test_bundle_points_the_script_at_the_source_runs_model(store: RunStore) -> None:
    source = store.create_run(_config().to_dict(), name="source")
    config = _config(**{"transfer.weights": f"run:{source}"})
    run_id = store.create_run(config.to_dict(), name="transferred")
    script = _read_zip(run_bundle(store, run_id))["run.py"].decode()
    expected = store.home / "runs" / source / "model.keras"
    assert f"SOURCE_MODEL = {str(expected)!r}" in script


def test_bundle_without_script_when_the_config_no_longer_validates(store: RunStore) -> None:
    # A config stored under other rules (an older Boost Lab, a hand-edited store).
    stored = {**_config().to_dict(), "model": {"arch": "alexnet"}}
    run_id = store.create_run(stored)
    files = _read_zip(run_bundle(store, run_id))
    assert "run.py" not in files and "run.py" not in _manifest(files)
    assert "run.py is not included" in files["MANIFEST.txt"].decode()
    assert "model.arch" in files["MANIFEST.txt"].decode()


def test_bundle_skips_links(store: RunStore, finished_run: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the run")
    run_dir = store.home / "runs" / finished_run
    (run_dir / "tensorboard" / "linked").symlink_to(secret)
    (run_dir / "misclassified.png").symlink_to(secret)
    files = _read_zip(run_bundle(store, finished_run))
    assert "tensorboard/linked" not in files and "misclassified.png" not in files


def test_importing_boost_export_does_not_load_tensorflow() -> None:
    code = (
        "import sys, boost.export; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])  # fmt: skip
    assert out.stdout.strip() == "[]"


# -- group CSV ---------------------------------------------------------------------------------


def test_group_csv_is_tidy_and_ready_for_pandas(store: RunStore) -> None:
    awkward = 'l2 = 0.001, "strong"\nsecond line'
    first = store.create_run(_config(seed=1).to_dict(), name=awkward, group="abl",
                             status="running", cell="l2=0.001")  # fmt: skip
    for i in (1, 2):
        store.log_epoch(first, i, _epoch(i))
    store.complete_run(first, {})
    second = store.create_run(_config(seed=2).to_dict(), name="plain", group="abl",
                              status="running", cell="l2=0")  # fmt: skip
    for i in (1, 2, 3):
        store.log_epoch(second, i, _epoch(i, phase="frozen"))
    store.fail_run(second, "boom")
    queued = store.create_run(_config(seed=3).to_dict(), name="later", group="abl")
    store.create_run(_config().to_dict(), name="elsewhere", group="other")

    frame = pd.read_csv(io.BytesIO(group_csv(store, "abl")))
    assert list(frame.columns) == [
        "run_id", "name", "cell", "seed", "status", "epoch", *EPOCH_COLUMNS, "phase",
    ]  # fmt: skip
    assert list(frame["run_id"]) == [first] * 2 + [second] * 3 + [queued]  # oldest run first
    assert list(frame["name"].unique()) == [awkward, "plain", "later"]
    assert list(frame["cell"].iloc[[0, 2]]) == ["l2=0.001", "l2=0"]
    assert pd.isna(frame["cell"].iloc[5])
    assert list(frame["seed"]) == [1, 1, 2, 2, 2, 3]
    assert list(frame["status"].unique()) == ["completed", "failed", "queued"]
    assert list(frame["epoch"].iloc[:5]) == [1, 2, 1, 2, 3]
    assert frame["val_accuracy"].iloc[4] == pytest.approx(0.75)
    assert frame.iloc[5][["epoch", *EPOCH_COLUMNS, "phase"]].isna().all()  # no epochs yet
    assert frame["phase"].iloc[:2].isna().all() and (frame["phase"].iloc[2:5] == "frozen").all()


def test_group_csv_of_an_empty_group_is_the_header_alone(store: RunStore) -> None:
    data = group_csv(store, "nobody")
    assert data.decode().splitlines() == [",".join(["run_id", "name", "cell", "seed", "status",
                                                    "epoch", *EPOCH_COLUMNS])]  # fmt: skip
    frame = pd.read_csv(io.BytesIO(data))
    assert frame.empty and "val_accuracy" in frame.columns


def test_group_csv_defuses_spreadsheet_formulas_in_user_text(store: RunStore) -> None:
    run = store.create_run(_config().to_dict(), name='=HYPERLINK("http://e.o","x")',
                           group="g", cell="@SUM(A1)", status="running")  # fmt: skip
    store.log_epoch(run, 1, _epoch(1))
    frame = pd.read_csv(io.BytesIO(group_csv(store, "g")))
    assert frame["name"].iloc[0] == "'=HYPERLINK(\"http://e.o\",\"x\")"
    assert frame["cell"].iloc[0] == "'@SUM(A1)"
    assert frame["loss"].iloc[0] == pytest.approx(_epoch(1)["loss"])  # numbers untouched


def test_a_run_whose_upload_was_deleted_still_exports_its_script(
    store: RunStore, tmp_path: Path
) -> None:
    """Parsing a stored config never looks at the filesystem: the run stays whole."""
    upload = tmp_path / "pets.zip"
    upload.write_bytes(b"PK")
    config = _config(**{"dataset.source": "zip", "dataset.path": str(upload),
                        "dataset.image_size": 32})  # fmt: skip
    run_id = store.create_run(config.to_dict(), status="running")
    store.log_epoch(run_id, 1, _epoch(1))
    store.complete_run(run_id, {})
    upload.unlink()
    with zipfile.ZipFile(io.BytesIO(run_bundle(store, run_id))) as zf:
        names = zf.namelist()
        script = zf.read("run.py").decode()
    assert "run.py" in names and str(upload) in script
    from tests.ui.conftest import open_page

    at = open_page("pages/runs.py")
    assert not at.exception
    assert any("def build_model" in c.value for c in at.code)  # "Show code" still there
    assert not any("No script" in c.value for c in at.caption)


def test_launching_a_run_whose_upload_is_gone_names_the_field(
    store: RunStore, tmp_path: Path
) -> None:
    from boost.config import ConfigError
    from boost.queue import manager

    gone = _config(**{"dataset.source": "folder", "dataset.path": str(tmp_path / "gone")})
    with pytest.raises(ConfigError, match="dataset.path: no such folder"):
        manager.enqueue(gone, store)
    assert store.list_runs() == []
