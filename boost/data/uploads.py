"""Uploaded files kept in the data folder, where worker processes can read them."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from boost.paths import boost_home, write_atomic


def store_upload(
    data: bytes,
    suffix: str,
    home: str | os.PathLike[str] | None = None,
    *,
    name: str | None = None,
) -> Path:
    """Save uploaded bytes under `home/uploads/` and return the path.

    The file is named by its content hash (no clashes; the same upload twice is stored once),
    after the safe letters of the user's file name when given, so that messages about the
    file name something the user recognises. Path tricks in `name` cannot escape the folder.
    """
    if not suffix.startswith(".") or not suffix[1:].isalnum():
        raise ValueError(f"suffix must look like '.zip'; got {suffix!r}")
    folder = boost_home(home) / "uploads"
    folder.mkdir(exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name or "").stem).strip("_")[:40]
    path = folder / (
        f"{stem}-{digest[:12]}{suffix.lower()}" if stem else f"{digest[:20]}{suffix.lower()}"
    )
    if not path.exists():
        write_atomic(path, data)  # a worker never sees half a file
    return path
