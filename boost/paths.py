"""Where Boost Lab keeps its data: the run store, run folders and uploads."""

from __future__ import annotations

import os
from pathlib import Path

#: Used when the BOOST_HOME environment variable is not set.
DEFAULT_HOME = Path("~/.boost_lab")


def boost_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: `home` if given, else $BOOST_HOME, else ~/.boost_lab. Created if missing."""
    chosen = home if home is not None else os.environ.get("BOOST_HOME") or DEFAULT_HOME
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
