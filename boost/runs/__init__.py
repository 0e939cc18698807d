"""The run store: SQLite plus one folder per run (the foundation every other layer reads).

The queue that trains runs in the background lives in `boost.queue`.
"""

from boost.runs.store import (
    ACTIVE,
    STATUSES,
    TERMINAL,
    RunNotFound,
    RunStore,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "ACTIVE",
    "STATUSES",
    "TERMINAL",
    "RunNotFound",
    "RunStore",
    "StoreError",
    "StoreUnavailable",
]
