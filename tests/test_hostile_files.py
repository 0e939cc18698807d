"""Config, spec and ablation files with any bytes: one clear line, never a traceback.

Each case is a file a person (or an attacker) could hand to `python -m boost train`, `augment
--spec` or `ablate`: bytes that are not UTF-8, UTF-16, JSON nested thousands deep, NaN and
infinity, booleans where numbers belong, and values so long that quoting them whole would
flood the terminal.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from boost.ablation import AblationConfig
from boost.augment import SpecError, parse_spec
from boost.cli import main
from boost.config import ConfigError, ExperimentConfig
from boost.runs.store import RunStore
from tests.test_cli import boost

#: No error line may be longer than this (the values it quotes are cut).
MAX_LINE = 300

GOOD = {"name": "ok", "training": {"epochs": 1}}


def _nested(depth: int) -> bytes:
    return b'{"name": "deep", "augmentation": {"ops": ' + b"[" * depth + b"]" * depth + b"}}"


#: name -> (file bytes, a fragment the message must contain)
CONFIG_FILES: dict[str, tuple[bytes, str]] = {
    "latin-1 bytes": ('{"name": "caf\xe9"}'.encode("latin-1"), "not UTF-8 text (byte 0xe9"),
    "binary junk": (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not UTF-8"),
    "UTF-16 with BOM": (json.dumps(GOOD).encode("utf-16"), "UTF-16"),
    "UTF-16 without BOM": (json.dumps(GOOD).encode("utf-16-le"), "UTF-16"),
    "nested 100,000 deep": (_nested(100_000), "nests more than 32 levels"),
    "nested 40 deep": (_nested(40), "nests more than 32 levels"),
    "syntax error": (b'{"name": "x",\n "seed": }', "not valid JSON: Expecting value at line 2"),
    "NaN token": (b'{"regularization": {"l2": NaN}}', "holds NaN"),
    "Infinity token": (b'{"optimizer": {"learning_rate": Infinity}}', "holds Infinity"),
    "epochs true": (
        b'{"training": {"epochs": true}}',
        "training.epochs: Input should be a valid integer",
    ),
    "width false": (b'{"model": {"width": false}}', "model.width: Input should be a valid number"),
    "huge name": (json.dumps({"name": "x" * 5_000_000}).encode(), "at most 100 characters"),
    "huge path": (
        json.dumps({"dataset": {"source": "zip", "path": "/" + "d" * 5_000_000}}).encode(),
        "no such zip file",
    ),
}


def _one_line_error(err: str, fragment: str) -> None:
    assert "Traceback" not in err, err[-2000:]
    assert fragment in err, err[:2000]
    lines = err.strip().splitlines()
    assert len(lines) <= 3 and all(len(line) <= MAX_LINE for line in lines), lines


@pytest.mark.parametrize("case", list(CONFIG_FILES))
def test_train_with_a_hostile_config_file_says_what_is_wrong(
    case: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, fragment = CONFIG_FILES[case]
    path = tmp_path / "config.json"
    path.write_bytes(data)
    for background in ([], ["--background"]):
        assert main(["--home", str(home), "train", str(path), *background]) == 2
        _one_line_error(capsys.readouterr().err, fragment)
    assert RunStore(home).list_runs() == []  # nothing queued, nothing trained


@pytest.mark.parametrize(
    "case", ["latin-1 bytes", "UTF-16 with BOM", "nested 100,000 deep", "NaN token", "syntax error"]
)
def test_ablate_with_a_hostile_file_says_what_is_wrong(
    case: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, fragment = CONFIG_FILES[case]
    path = tmp_path / "ablation.json"
    path.write_bytes(data)
    assert main(["--home", str(home), "ablate", str(path), "--dry-run"]) == 2
    _one_line_error(capsys.readouterr().err, fragment)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "in.png"
    cv2.imwrite(str(path), np.zeros((20, 20, 3), np.uint8))
    return path


SPEC_FILES: dict[str, tuple[bytes, str]] = {
    "latin-1 bytes": (b'[{"op": "rotate", "mode": "\xe9"}]', "not UTF-8"),
    "UTF-16": ('[{"op": "hflip"}]'.encode("utf-16"), "UTF-16"),
    "nested": (b"[" * 50_000 + b"]" * 50_000, "nests more than 32 levels"),
    "NaN in a range": (b'[{"op": "rotate", "angle_range": [NaN, 5]}]', "holds NaN"),
    "p true": (b'[{"op": "hflip", "p": true}]', "op 0 (hflip): p: Input should be a valid number"),
    "huge op name": (json.dumps([{"op": "r" * 3_000_000}]).encode(), "op 0"),
}


@pytest.mark.parametrize("case", list(SPEC_FILES))
def test_augment_with_a_hostile_spec_file_says_what_is_wrong(
    case: str, image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, fragment = SPEC_FILES[case]
    spec = tmp_path / "spec.json"
    spec.write_bytes(data)
    out = tmp_path / "out"
    assert main(["augment", str(image), "--spec", str(spec), "--out", str(out)]) == 2
    _one_line_error(capsys.readouterr().err, fragment)
    assert not out.exists()


def test_a_utf8_byte_order_mark_is_fine(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert ExperimentConfig.from_file(path).name == "ok"


def test_the_real_command_line_gives_one_line_too(home: Path, tmp_path: Path, image: Path) -> None:
    """The same through `python -m boost`, as a person types it."""
    path = tmp_path / "bad.json"
    path.write_bytes(CONFIG_FILES["nested 100,000 deep"][0])
    out = boost("train", str(path), home=home)
    assert out.returncode == 2
    _one_line_error(out.stderr, "nests more than 32 levels")
    spec = tmp_path / "spec.json"
    spec.write_bytes(SPEC_FILES["NaN in a range"][0])
    out = boost("augment", str(image), "--spec", str(spec), "--out", str(tmp_path / "o"), home=home)
    assert out.returncode == 2
    _one_line_error(out.stderr, "holds NaN")


# -- the same rules for configs built in code (the dashboard, presets) -----------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"regularization.l2": math.nan}, "regularization.l2"),
        ({"optimizer.learning_rate": math.inf}, "optimizer.learning_rate"),
        ({"dataset.val_fraction": math.nan}, "dataset.val_fraction"),
        (
            {"augmentation.ops": [{"op": "rotate", "angle_range": [math.nan, 5]}]},
            "augmentation.ops",
        ),
        (
            {"augmentation.ops": [{"op": "brightness", "factor_range": [1, math.inf]}]},
            "augmentation.ops",
        ),
        ({"augmentation.ops": [{"op": "hflip", "p": math.nan}]}, "augmentation.ops"),
        ({"training.epochs": True}, "training.epochs"),
        ({"seed": False}, "seed"),
        ({"model.batch_norm": 1}, "model.batch_norm"),
        ({"augmentation.ops": [{"op": "cutout", "count": True}]}, "augmentation.ops"),
    ],
)
def test_nan_infinity_and_booleans_are_refused_in_every_numeric_field(
    changes: dict, field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        ExperimentConfig().replace(**changes)
    assert [f for f, _ in info.value.problems] == [field]
    assert "finite number" in str(info.value) or "valid" in str(info.value)


def test_spec_ranges_refuse_nan_naming_the_op_and_field() -> None:
    with pytest.raises(
        SpecError, match=r"op 0 \(rotate\): angle_range.0: Input should be a finite"
    ):
        parse_spec([{"op": "rotate", "angle_range": [math.nan, 5]}])


def test_ablation_refuses_nan_and_booleans_for_numbers() -> None:
    base = ExperimentConfig().to_dict()
    with pytest.raises(ConfigError, match="seeds: Input should be a valid integer; got True"):
        AblationConfig.from_dict(
            {"base": base, "seeds": True, "factors": [{"name": "l2", "levels": [0, 1e-3]}]}
        )
    with pytest.raises(ConfigError, match="regularization.l2"):
        AblationConfig.from_dict(
            {"base": {**base, "regularization": {"l2": math.nan}},
             "factors": [{"name": "dropout", "levels": [0.0, 0.5]}]}
        )  # fmt: skip


def test_quoted_values_are_cut_but_recognisable() -> None:
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_dict({"name": "start-" + "x" * 50_000_000 + "-end"})
    text = str(info.value)
    assert (
        len(text) < 400 and "start-" in text and "-end" in text and "50,000,010 characters" in text
    )
