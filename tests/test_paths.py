"""Files written whole or not at all (boost.paths), as every run artifact and upload is."""

from __future__ import annotations

from pathlib import Path

import pytest

from boost.data import store_upload
from boost.paths import atomic_path, write_atomic


def test_a_write_that_fails_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"the old, complete model")
    with pytest.raises(OSError, match="No space"), atomic_path(target) as tmp:
        assert tmp.suffix == ".keras" and tmp.name.startswith(".")  # Keras needs the suffix
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"the old, complete model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_write_that_succeeds_replaces_the_file_whole(tmp_path: Path) -> None:
    write_atomic(tmp_path / "history.csv", "epoch\n1\n")
    write_atomic(tmp_path / "seen.png", b"\x89PNG")
    assert (tmp_path / "history.csv").read_text() == "epoch\n1\n"
    assert (tmp_path / "seen.png").read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "seen.png"]


def test_uploads_are_stored_whole(home: Path) -> None:
    path = store_upload(b"zip bytes", ".zip", home, name="pets.zip")
    assert path.read_bytes() == b"zip bytes" and path.name.startswith("pets-")
    assert [p.name for p in path.parent.iterdir()] == [path.name]
