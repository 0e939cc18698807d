"""Run store (SQLite), and later the queue and workers."""

from boost.runs.store import STATUSES, TERMINAL, RunNotFound, RunStore, StoreError

__all__ = ["STATUSES", "TERMINAL", "RunNotFound", "RunStore", "StoreError"]
