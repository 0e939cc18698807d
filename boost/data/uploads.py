"""Uploaded files kept in the data folder, where worker processes can read them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from boost.paths import boost_home


def store_upload(data: bytes, suffix: str, home: str | os.PathLike[str] | None = None) -> Path:
    """Save uploaded bytes under `home/uploads/` and return the path.

    The file is named by its content hash, never by the user's file name (no path tricks, no
    clashes), and the same upload twice is stored once.
    """
    if not suffix.startswith(".") or not suffix[1:].isalnum():
        raise ValueError(f"suffix must look like '.zip'; got {suffix!r}")
    folder = boost_home(home) / "uploads"
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:20]}{suffix.lower()}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a worker never sees half a file
    return path
