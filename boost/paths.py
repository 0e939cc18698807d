"""Where Boost Lab keeps its data (the run store, run folders and uploads), and how it writes files there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: Used when the BOOST_HOME environment variable is not set.
DEFAULT_HOME = Path("~/.boost_lab")


def boost_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: `home` if given, else $BOOST_HOME, else ~/.boost_lab. Created if missing."""
    chosen = home if home is not None else os.environ.get("BOOST_HOME") or DEFAULT_HOME
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary name beside `path` to write to; it becomes `path` only if the block succeeds.

    So no reader (a download button, a run bundle, a worker) ever sees half a file: a write
    that fails (disk full, killed process) leaves the old file or none, and no partial one
    under the real name. The temporary name keeps the suffix (Keras insists on `.keras`)
    and starts with a dot, so folder listings skip it.

    Raises:
        OSError: the write or the rename failed; the temporary file is removed.
    """
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with suppress(OSError):
            tmp.unlink()


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a whole file under its name, or nothing (see `atomic_path`)."""
    with atomic_path(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
