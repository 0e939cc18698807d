"""`python -m boost` as a user runs it: real processes, a temporary store."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from boost.runs.store import RunStore
from tests.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[1]


def boost(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOST_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "boost", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_runs_on_an_empty_store(home: Path) -> None:
    out = boost("runs", home=home)
    assert out.returncode == 0 and "no runs yet" in out.stdout
    assert json.loads(boost("runs", "--json", home=home).stdout) == []


def test_bad_config_is_refused_with_the_field_and_nothing_starts(
    home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"regularization": {"l2": -0.1}, "training": {"epochs": 0}}))
    out = boost("train", str(bad), home=home)
    assert out.returncode == 2
    assert "regularization.l2" in out.stderr and "-0.1" in out.stderr
    assert "training.epochs" in out.stderr
    assert RunStore(home).list_runs() == []


def test_missing_config_file(home: Path) -> None:
    out = boost("train", "nope.json", home=home)
    assert out.returncode == 2 and "cannot read 'nope.json'" in out.stderr


def test_export_unknown_run(home: Path) -> None:
    out = boost("export", "nope", "--csv", home=home)
    assert out.returncode == 2 and "no run with id 'nope'" in out.stderr


@pytest.mark.slow
def test_train_then_list_then_export(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.json"
    cfg.write_text(tiny_config().to_json())
    out = boost("train", str(cfg), "--name", "cli run", home=home)
    assert out.returncode == 0, out.stderr
    assert "completed" in out.stdout and "best_val_accuracy" in out.stdout
    run_id = out.stdout.split("run ", 2)[-1].split()[0]

    listed = boost("runs", home=home).stdout
    assert run_id in listed and "cli run" in listed and "completed" in listed
    runs = json.loads(boost("runs", "--json", home=home).stdout)
    assert runs[0]["id"] == run_id and runs[0]["metrics"]["epochs_run"] == 2

    csv_file = tmp_path / "out.csv"
    assert boost("export", run_id, "--csv", "-o", str(csv_file), home=home).returncode == 0
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy")
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2"]


@pytest.mark.slow
def test_failed_training_exits_1_with_the_message(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg = tmp_path / "cfg.json"
    cfg.write_text(
        tiny_config(**{"dataset.source": "folder", "dataset.path": str(empty)}).to_json()
    )
    out = boost("train", str(cfg), home=home)
    assert out.returncode == 1 and "failed: DatasetError" in out.stderr
    assert RunStore(home).list_runs()[0].status == "failed"


def test_augment_writes_variants_a_contact_sheet_and_the_draws(home: Path, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    img = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "in.png"), img)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps([{"op": "hflip", "p": 1.0}]))
    out = boost("augment", str(tmp_path / "in.png"), "--spec", str(spec), "-n", "3",
                "--out", str(tmp_path / "out"), home=home)  # fmt: skip
    assert out.returncode == 0, out.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["contact_sheet.png", "draws.json", "variant_000.png", "variant_001.png",
                     "variant_002.png"]  # fmt: skip
    flipped = cv2.imread(str(tmp_path / "out" / "variant_000.png"))
    assert np.array_equal(flipped, img[:, ::-1])
    draws = json.loads((tmp_path / "out" / "draws.json").read_text())
    assert draws["variants"][0]["caption"] == "flipped left-right"


def test_augment_with_the_default_spec_and_an_experiment_config(home: Path, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp_path / "in.jpg"), np.full((40, 40, 3), 90, np.uint8))
    assert boost("augment", str(tmp_path / "in.jpg"), "--out", str(tmp_path / "a"),
                 home=home).returncode == 0  # fmt: skip
    assert len(list((tmp_path / "a").glob("variant_*.png"))) == 8
    out = boost("augment", str(tmp_path / "in.jpg"), "--spec", str(ROOT / "examples/augment.json"),
                "-n", "2", "--size", "24", "--out", str(tmp_path / "b"), home=home)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert cv2.imread(str(tmp_path / "b" / "variant_001.png")).shape == (24, 24, 3)


@pytest.mark.parametrize(
    ("content", "spec", "message"),
    [
        (b"not an image", None, "not a decodable image"),
        (None, [{"op": "rotate", "angle_range": [10, -10]}], "the low end must not exceed"),
        (None, [{"op": "crop", "height": 99, "width": 99}], "larger than the image"),
    ],
)
def test_augment_bad_input_exits_2_with_a_message(
    home: Path, tmp_path: Path, content: bytes | None, spec: list | None, message: str
) -> None:
    import cv2
    import numpy as np

    image = tmp_path / "in.png"
    if content is None:
        cv2.imwrite(str(image), np.zeros((20, 20, 3), np.uint8))
    else:
        image.write_bytes(content)
    args = ["augment", str(image), "--out", str(tmp_path / "o")]
    if spec is not None:
        (tmp_path / "s.json").write_text(json.dumps(spec))
        args += ["--spec", str(tmp_path / "s.json")]
    out = boost(*args, home=home)
    assert out.returncode == 2 and message in out.stderr
    assert "Traceback" not in out.stderr
