"""The run store: one SQLite database plus one folder per run, shared by UI, CLI and workers.

SQLite runs in WAL mode so that readers (the dashboard polling) never block the writer
(a worker logging an epoch), with a busy timeout so that concurrent writers wait instead of
failing, and every write in `BEGIN IMMEDIATE` so that a read-modify-write (claiming a queued
run) cannot interleave with another process's.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from boost.paths import boost_home

SCHEMA_VERSION = 1
DB_NAME = "boost.db"
BUSY_TIMEOUT_MS = 30_000

STATUSES = ("queued", "running", "completed", "failed", "cancelled")
TERMINAL = frozenset({"completed", "failed", "cancelled"})

#: Per-epoch metrics with their own column; anything else goes to `extra`.
EPOCH_COLUMNS = (
    "loss",
    "accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "wall_time",
    "sparsity",
    "weight_norm",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    group_name TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled')),
    config_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL,
    worker_pid INTEGER,
    device TEXT,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress_json TEXT,
    metrics_json TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, created_at);
CREATE INDEX IF NOT EXISTS runs_group ON runs (group_name);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    loss REAL, accuracy REAL, val_loss REAL, val_accuracy REAL, lr REAL,
    seconds REAL, wall_time REAL, sparsity REAL, weight_norm REAL,
    extra_json TEXT,
    PRIMARY KEY (run_id, epoch)
);
"""


class StoreError(RuntimeError):
    """The store cannot be opened or used."""


class RunNotFound(KeyError):
    """No run with this id."""

    def __str__(self) -> str:
        return f"no run with id {self.args[0]!r}"


def new_run_id() -> str:
    """Sortable and readable: creation time plus a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class RunStore:
    """SQLite-backed store of runs and their per-epoch metrics.

    Safe to use from several processes at once; each thread gets its own connection.

    Args:
        home: data folder (default: $BOOST_HOME or ~/.boost_lab). The database is
            `home/boost.db`; run artifacts live in `home/runs/<run id>/`.
    """

    def __init__(self, home: str | os.PathLike[str] | None = None):
        self.home = boost_home(home)
        self.db_path = self.home / DB_NAME
        self._local = threading.local()
        self._init_schema()

    # -- connections -----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                conn = sqlite3.connect(
                    self.db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot open the run store at {self.db_path}: {exc}") from exc
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front (no upgrade deadlocks)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def _init_schema(self) -> None:
        with self._write() as conn:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row["value"]) > SCHEMA_VERSION:
                raise StoreError(
                    f"the run store at {self.db_path} has schema version {row['value']}, "
                    f"newer than this Boost Lab understands ({SCHEMA_VERSION}); upgrade Boost Lab"
                )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- runs --------------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        """The run's artifact folder (created on demand)."""
        path = self.home / "runs" / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def create_run(
        self,
        config: dict[str, Any],
        *,
        name: str | None = None,
        group: str | None = None,
        status: str = "queued",
    ) -> str:
        """Record a new run and return its id."""
        if status not in ("queued", "running"):
            raise ValueError(f"a new run is 'queued' or 'running', not {status!r}")
        run_id = new_run_id()
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, name, group_name, status, config_json, created_at, "
                "started_at, worker_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    name or config.get("name") or "run",
                    group,
                    status,
                    json.dumps(config),
                    now,
                    now if status == "running" else None,
                    os.getpid() if status == "running" else None,
                ),
            )
        return run_id

    def get_run(self, run_id: str) -> dict[str, Any]:
        """One run as a dict (config, progress and metrics decoded).

        Raises:
            RunNotFound: no run has this id.
        """
        row = self._conn().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(run_id)
        return _run_dict(row)

    def list_runs(
        self, *, status: str | None = None, group: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Runs, newest first, optionally filtered by status or group."""
        sql, args = "SELECT * FROM runs", []
        where = []
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if group is not None:
            where.append("group_name = ?")
            args.append(group)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [_run_dict(r) for r in self._conn().execute(sql, args).fetchall()]

    def claim_next(self, *, device: str | None = None) -> dict[str, Any] | None:
        """Atomically take the oldest queued run and mark it running for this process."""
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT id FROM runs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE runs SET status = 'running', started_at = ?, heartbeat_at = ?, "
                "worker_pid = ?, device = ? WHERE id = ?",
                (now, now, os.getpid(), device, row["id"]),
            )
        return self.get_run(row["id"])

    def mark_running(self, run_id: str, *, device: str | None = None) -> None:
        """Record that this process now trains the run, on `device`."""
        now = time.time()
        self._update(
            run_id,
            "status = 'running', started_at = COALESCE(started_at, ?), heartbeat_at = ?, "
            "worker_pid = ?, device = COALESCE(?, device)",
            (now, now, os.getpid(), device),
        )

    def update_progress(self, run_id: str, progress: dict[str, Any]) -> None:
        """Live progress (epoch, batch, steps, samples/s, ETA); also counts as a heartbeat."""
        now = time.time()
        progress = {**progress, "updated_at": now}
        self._update(run_id, "progress_json = ?, heartbeat_at = ?", (json.dumps(progress), now))

    def heartbeat(self, run_id: str) -> None:
        self._update(run_id, "heartbeat_at = ?", (time.time(),))

    def log_epoch(self, run_id: str, epoch: int, metrics: dict[str, Any]) -> None:
        """Write one epoch's metrics (idempotent: re-logging an epoch replaces it)."""
        cols = {k: _num(metrics.get(k)) for k in EPOCH_COLUMNS}
        extra = {k: v for k, v in metrics.items() if k not in EPOCH_COLUMNS}
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO epochs (run_id, epoch, {', '.join(EPOCH_COLUMNS)}, "
                f"extra_json) VALUES (?, ?, {', '.join('?' * len(EPOCH_COLUMNS))}, ?)",
                (run_id, int(epoch), *cols.values(), json.dumps(extra) if extra else None),
            )
            conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), run_id))

    def epochs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's per-epoch metrics, in epoch order (epochs count from 1)."""
        rows = (
            self._conn()
            .execute("SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,))
            .fetchall()
        )
        out = []
        for r in rows:
            d = {k: r[k] for k in ("epoch", *EPOCH_COLUMNS)}
            if r["extra_json"]:
                d.update(json.loads(r["extra_json"]))
            out.append(d)
        return out

    def complete_run(self, run_id: str, metrics: dict[str, Any]) -> None:
        """Mark the run completed with its final metrics."""
        self._finish(run_id, "completed", metrics=metrics)

    def fail_run(self, run_id: str, error: str, metrics: dict[str, Any] | None = None) -> None:
        """Mark the run failed with a message; its logged epochs stay."""
        self._finish(run_id, "failed", error=error, metrics=metrics)

    def cancel_run(self, run_id: str, metrics: dict[str, Any] | None = None) -> None:
        """Mark the run cancelled; its logged epochs stay."""
        self._finish(run_id, "cancelled", metrics=metrics)

    def request_cancel(self, run_id: str) -> str:
        """Ask for a run to stop. A queued run is cancelled at once; returns its new status."""
        with self._write() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise RunNotFound(run_id)
            if row["status"] == "queued":
                conn.execute(
                    "UPDATE runs SET status = 'cancelled', finished_at = ?, cancel_requested = 1 "
                    "WHERE id = ?",
                    (time.time(), run_id),
                )
                return "cancelled"
            if row["status"] == "running":
                conn.execute("UPDATE runs SET cancel_requested = 1 WHERE id = ?", (run_id,))
            return row["status"]

    def cancel_requested(self, run_id: str) -> bool:
        row = (
            self._conn()
            .execute("SELECT cancel_requested FROM runs WHERE id = ?", (run_id,))
            .fetchone()
        )
        return bool(row and row["cancel_requested"])

    # -- helpers -------------------------------------------------------------------------

    def _update(self, run_id: str, assignments: str, args: tuple[Any, ...]) -> None:
        with self._write() as conn:
            cur = conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*args, run_id))
            if cur.rowcount == 0:
                raise RunNotFound(run_id)

    def _finish(
        self,
        run_id: str,
        status: str,
        *,
        error: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        self._update(
            run_id,
            "status = ?, finished_at = ?, error = ?, metrics_json = COALESCE(?, metrics_json)",
            (status, time.time(), error, json.dumps(metrics) if metrics is not None else None),
        )


def _num(value: Any) -> float | None:
    """A finite float for SQLite, or None (NaN/inf losses are stored as NULL)."""
    if value is None:
        return None
    f = float(value)
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["group"] = d.pop("group_name")
    d["config"] = json.loads(d.pop("config_json"))
    d["progress"] = json.loads(d.pop("progress_json") or "{}")
    d["metrics"] = json.loads(d.pop("metrics_json") or "{}")
    d["cancel_requested"] = bool(d["cancel_requested"])
    return d
