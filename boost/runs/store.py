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
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from boost.paths import boost_home
from boost.runs.entities import TRAIN, GroupDesign, Progress, Run

SCHEMA_VERSION = 1
DB_NAME = "boost.db"
BUSY_TIMEOUT_MS = 30_000

STATUSES = ("queued", "running", "completed", "failed", "cancelled")
TERMINAL = frozenset({"completed", "failed", "cancelled"})
#: Waiting for a worker or training: the runs a live list shows with progress bars.
ACTIVE = frozenset({"queued", "running"})

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
    worker_host TEXT,
    device TEXT,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    depends_on TEXT,
    cell TEXT,
    progress_json TEXT,
    metrics_json TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, created_at);
CREATE TABLE IF NOT EXISTS workers (
    slot INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    run_id TEXT
);
CREATE INDEX IF NOT EXISTS runs_group ON runs (group_name);
CREATE TABLE IF NOT EXISTS groups (
    name TEXT PRIMARY KEY,
    definition_json TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    loss REAL, accuracy REAL, val_loss REAL, val_accuracy REAL, lr REAL,
    seconds REAL, wall_time REAL, sparsity REAL, weight_norm REAL,
    extra_json TEXT,
    PRIMARY KEY (run_id, epoch)
);
"""


#: (table, column, declaration) of columns that CREATE TABLE IF NOT EXISTS cannot add to an
#: existing store (new stores get them the same way, right after CREATE TABLE).
_ADDED_COLUMNS = (
    ("runs", "depends_on", "TEXT"),
    ("runs", "cell", "TEXT"),
    ("runs", "kind", f"TEXT NOT NULL DEFAULT '{TRAIN}'"),
)


class StoreError(RuntimeError):
    """The store cannot be opened or used."""


class StoreUnavailable(StoreError):
    """The store cannot be written (or read) right now: its disk is full, its folder read-only,
    the file-size limit reached. Nothing is lost; the same write succeeds once the cause is
    gone (see `RunStore.retry_write`)."""


class RunNotFound(KeyError):
    """No run with this id."""

    def __str__(self) -> str:
        return f"no run with id {self.args[0]!r}"


#: This machine, to tell whether a worker's pid can be checked here (the data folder may be
#: shared with a GPU box).
HOST = socket.gethostname()

#: A running run whose heartbeat is older than this is considered dead (its worker hung or
#: its machine went away). Heartbeats come every HEARTBEAT_S from a thread of the trainer.
STALE_AFTER_S = 30.0
HEARTBEAT_S = 2.0

#: `retry_write` pauses this long after the first failure, doubling up to RETRY_MAX_S.
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 5.0
#: Bytes `check_writable` writes: enough to notice a disk with no room left.
_PROBE_BYTES = 64 * 1024

_T = TypeVar("_T")
#: Ids per `IN (...)` query (SQLite allows 999 parameters in its oldest builds).
_IN_CHUNK = 500


def _stderr(message: str) -> None:
    with suppress(OSError):  # stderr on the full disk itself: nothing more to do
        print(message, file=sys.stderr, flush=True)


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
                kind = StoreUnavailable if isinstance(exc, sqlite3.OperationalError) else StoreError
                raise kind(f"cannot open the run store at {self.db_path}: {exc}") from exc
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front (no upgrade deadlocks).

        Raises:
            StoreUnavailable: SQLite could not write (disk full, read-only, I/O error); the
                transaction is rolled back and the cause named.
        """
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            # SQLite may have rolled back already (e.g. on SQLITE_FULL): a second rollback
            # would raise and hide the first error.
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise self._unavailable(exc, "write") from exc
            raise

    def _rows(
        self, sql: str, args: tuple[Any, ...] | list[Any] = (), *, plain: bool = False
    ) -> list[Any]:
        """A read; SQLite's I/O errors become StoreUnavailable like a write's.

        Rows are sqlite3.Row (by column name), or plain tuples with `plain` (several times
        faster to fetch, for bulk reads).
        """
        try:
            cursor = self._conn().cursor()
            if plain:
                cursor.row_factory = None
            return cursor.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc, "read") from exc

    def _unavailable(self, exc: sqlite3.Error, doing: str) -> StoreUnavailable:
        return StoreUnavailable(f"cannot {doing} the run store at {self.db_path}: {exc}")

    def retry_write(
        self,
        action: Callable[[], _T],
        *,
        what: str,
        notice: Callable[[str], None] | None = None,
    ) -> _T:
        """Run a store write, waiting as long as it takes for the store to accept it.

        For the writes that must not be lost (a run's final status and its cause): while the
        store is unavailable the caller waits, saying so once through `notice` (default:
        standard error), and retries with a growing pause (up to RETRY_MAX_S).

        Args:
            action: the write, e.g. `lambda: store.fail_run(run_id, message)`.
            what: what is being recorded, for the notice ("record that run X failed").
        """
        pause = RETRY_FIRST_S
        noticed = False
        while True:
            try:
                return action()
            except StoreUnavailable as exc:
                if not noticed:
                    (notice or _stderr)(f"{exc}; waiting to {what} until it can be written")
                    noticed = True
                time.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)

    def check_writable(self) -> None:
        """Raise StoreUnavailable unless the database and the run folders both take writes.

        A worker calls this before it claims the next run after a failure, so that a full
        disk or a read-only folder fails one run with its cause, not the whole queue.
        """
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('write_check', ?)",
                (str(time.time()),),
            )
        probe = self.home / "runs" / f".write-check-{os.getpid()}"
        try:
            probe.parent.mkdir(exist_ok=True)
            with open(probe, "wb") as fh:
                fh.write(bytes(_PROBE_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot write the run folders in {probe.parent}: {exc.strerror or exc}"
            ) from exc
        finally:
            with suppress(OSError):
                probe.unlink()

    def _init_schema(self) -> None:
        # Read first: a store that is complete needs no write (and may be opened while its
        # disk is full or its folder read-only, to show what it holds).
        with suppress(sqlite3.Error):
            if self._schema_complete():
                return
        with self._write() as conn:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            # Columns added after a table first shipped: stores made earlier gain them here.
            for table, column, decl in _ADDED_COLUMNS:
                have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            else:
                self._check_version(row["value"])

    def _schema_complete(self) -> bool:
        conn = self._conn()
        tables = {r["name"] for r in conn.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "runs", "workers", "groups", "epochs"} <= tables:
            return False
        for table, column, _ in _ADDED_COLUMNS:
            if column not in {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}:
                return False
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            return False
        self._check_version(row["value"])
        return True

    def _check_version(self, stored: str) -> None:
        if int(stored) > SCHEMA_VERSION:
            raise StoreError(
                f"the run store at {self.db_path} has schema version {stored}, newer than "
                f"this Boost Lab understands ({SCHEMA_VERSION}); upgrade Boost Lab"
            )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- runs --------------------------------------------------------------------------

    def run_path(self, run_id: str) -> Path:
        """The run's artifact folder, `home/runs/<run id>/` (which may not exist yet)."""
        return self.home / "runs" / run_id

    def run_dir(self, run_id: str) -> Path:
        """The run's artifact folder, created on demand (for writers)."""
        path = self.run_path(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def create_run(
        self,
        config: dict[str, Any],
        *,
        name: str | None = None,
        group: str | None = None,
        status: str = "queued",
        depends_on: str | None = None,
        cell: str | None = None,
        kind: str = TRAIN,
    ) -> str:
        """Record a new run (a job of `kind`) and return its id.

        A queued run that `depends_on` another (the run it transfers weights from) is claimed
        only once that run has completed, and fails if that run fails or is cancelled.
        """
        if status not in ACTIVE:
            raise ValueError(f"a new run is 'queued' or 'running', not {status!r}")
        run_id = new_run_id()
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, name, group_name, status, config_json, created_at, "
                "started_at, heartbeat_at, worker_pid, worker_host, depends_on, cell, kind) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    name or config.get("name") or "run",
                    group,
                    status,
                    json.dumps(config),
                    now,
                    now if status == "running" else None,
                    now if status == "running" else None,
                    os.getpid() if status == "running" else None,
                    HOST if status == "running" else None,
                    depends_on,
                    cell,
                    kind,
                ),
            )
        return run_id

    def create_group(self, name: str, design: GroupDesign) -> None:
        """Record a group of runs launched together (an ablation) and how it was designed.

        Raises:
            StoreError: a group with this name exists.
        """
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO groups (name, definition_json, created_at) VALUES (?, ?, ?)",
                    (name, json.dumps(design.to_json()), time.time()),
                )
        except sqlite3.IntegrityError:
            raise StoreError(f"a group named {name!r} exists already") from None

    def get_group(self, name: str) -> GroupDesign | None:
        """A group's design, or None for a group without one (e.g. quick variants)."""
        rows = self._rows("SELECT definition_json FROM groups WHERE name = ?", (name,))
        return GroupDesign.from_json(json.loads(rows[0]["definition_json"])) if rows else None

    def get_run(self, run_id: str) -> Run:
        """One run (config, progress and metrics decoded).

        Raises:
            RunNotFound: no run has this id.
        """
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFound(run_id)
        return _run(rows[0])

    def list_runs(
        self, *, status: str | None = None, group: str | None = None, limit: int | None = None
    ) -> list[Run]:
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
        return [_run(r) for r in self._rows(sql, args)]

    def resolve_run(self, ref: str) -> Run:
        """A run by id, or else the newest run with that name that has not failed.

        Raises:
            RunNotFound: no run has this id or name.
        """
        try:
            return self.get_run(ref)
        except RunNotFound:
            pass
        rows = self._rows(
            "SELECT * FROM runs WHERE name = ? AND status NOT IN ('failed', 'cancelled') "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (ref,),
        )
        if not rows:
            raise RunNotFound(ref)
        return _run(rows[0])

    def claim_next(self, *, device: str | None = None) -> Run | None:
        """Atomically take the oldest queued run that can start and mark it running here.

        A run waiting for its source run is skipped until that run completes; if the source
        failed or was cancelled, the waiting run is marked failed.
        """
        now = time.time()
        with self._write() as conn:
            for row in conn.execute(
                "SELECT r.id, r.depends_on, s.status FROM runs r LEFT JOIN runs s "
                "ON s.id = r.depends_on WHERE r.status = 'queued' AND r.depends_on IS NOT NULL "
                "AND (s.id IS NULL OR s.status IN ('failed', 'cancelled'))"
            ).fetchall():
                ended = f"ended {row['status']}" if row["status"] else "no longer exists"
                conn.execute(
                    "UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
                    (now, f"source run {row['depends_on']} {ended}; nothing to transfer from",
                     row["id"]),
                )  # fmt: skip
            row = conn.execute(
                "SELECT r.id FROM runs r LEFT JOIN runs s ON s.id = r.depends_on "
                "WHERE r.status = 'queued' AND (r.depends_on IS NULL OR s.status = 'completed') "
                "ORDER BY r.created_at, r.rowid LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE runs SET status = 'running', started_at = ?, heartbeat_at = ?, "
                "worker_pid = ?, worker_host = ?, device = ? WHERE id = ?",
                (now, now, os.getpid(), HOST, device, row["id"]),
            )
        return self.get_run(row["id"])

    def mark_running(self, run_id: str, *, device: str | None = None) -> None:
        """Record that this process now trains the run, on `device`."""
        now = time.time()
        self._update(
            run_id,
            "status = 'running', started_at = COALESCE(started_at, ?), heartbeat_at = ?, "
            "worker_pid = ?, worker_host = ?, device = COALESCE(?, device)",
            (now, now, os.getpid(), HOST, device),
        )

    def update_progress(self, run_id: str, progress: dict[str, Any]) -> None:
        """Live progress (epoch, batch, steps, samples/s, ETA); also counts as a heartbeat."""
        now = time.time()
        progress = {**progress, "updated_at": now}
        self._update(run_id, "progress_json = ?, heartbeat_at = ?", (json.dumps(progress), now))

    def heartbeat(self, run_id: str) -> None:
        self._update(run_id, "heartbeat_at = ?", (time.time(),))

    @contextmanager
    def heartbeat_thread(self, beat: Callable[[], None]) -> Iterator[None]:
        """Call `beat` every HEARTBEAT_S seconds from a daemon thread while the block runs.

        A thread, so that long phases without batches (decoding a large upload, evaluating)
        still prove the process alive.
        """
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(HEARTBEAT_S):
                try:
                    beat()
                except (sqlite3.Error, StoreError, RunNotFound):
                    pass  # a missed beat is harmless; the next one retries

        thread = threading.Thread(target=loop, name="boost-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def log_epoch(
        self,
        run_id: str,
        epoch: int,
        metrics: dict[str, Any],
        progress: dict[str, Any] | None = None,
    ) -> None:
        """Write one epoch's metrics (idempotent: re-logging an epoch replaces it).

        `progress`, if given, replaces the live progress in the same transaction.
        """
        cols = {k: _num(metrics.get(k)) for k in EPOCH_COLUMNS}
        extra = {k: v for k, v in metrics.items() if k not in EPOCH_COLUMNS}
        now = time.time()
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO epochs (run_id, epoch, {', '.join(EPOCH_COLUMNS)}, "
                f"extra_json) VALUES (?, ?, {', '.join('?' * len(EPOCH_COLUMNS))}, ?)",
                (run_id, int(epoch), *cols.values(), json.dumps(extra) if extra else None),
            )
            conn.execute(
                "UPDATE runs SET heartbeat_at = ?, progress_json = COALESCE(?, progress_json) "
                "WHERE id = ?",
                (now, json.dumps({**progress, "updated_at": now}) if progress else None, run_id),
            )

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        """Several runs in one read, in the order given (a repeated id once).

        Raises:
            RunNotFound: the first id, in the order given, that no run has.
        """
        ids = list(dict.fromkeys(run_ids))
        found = {r["id"]: _run(r) for r in self._rows_in("SELECT * FROM runs WHERE id", ids)}
        for run_id in ids:
            if run_id not in found:
                raise RunNotFound(run_id)
        return [found[i] for i in ids]

    def epoch_table(self, run_ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """The runs' epochs in one read: (run_id, epoch, *EPOCH_COLUMNS) rows, by run and epoch.

        For views that draw many runs at once (`boost.compare`); `epochs` gives one run's
        epochs with their extra keys.
        """
        cols = ", ".join(("run_id", "epoch", *EPOCH_COLUMNS))
        ids = list(dict.fromkeys(run_ids))
        return self._rows_in(f"SELECT {cols} FROM epochs WHERE run_id", ids, plain=True)

    def _rows_in(self, sql: str, values: list[Any], *, plain: bool = False) -> list[Any]:
        """`sql IN (values)`, in chunks that stay below SQLite's limit on parameters."""
        rows: list[Any] = []
        for start in range(0, len(values), _IN_CHUNK):
            chunk = values[start : start + _IN_CHUNK]
            rows += self._rows(f"{sql} IN ({', '.join('?' * len(chunk))})", chunk, plain=plain)
        return rows

    def epochs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's per-epoch metrics, in epoch order (epochs count from 1)."""
        rows = self._rows("SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,))
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
        rows = self._rows("SELECT cancel_requested FROM runs WHERE id = ?", (run_id,))
        return bool(rows and rows[0]["cancel_requested"])

    # -- crash recovery --------------------------------------------------------------------

    def recover_stale(
        self, *, stale_after: float = STALE_AFTER_S, exit_codes: dict[int, int] | None = None
    ) -> list[tuple[str, str]]:
        """Mark failed every running run whose worker is gone or silent; returns (id, reason).

        A worker on this machine is gone when its process no longer exists (checked at once);
        any worker is silent when its heartbeat is older than `stale_after` seconds. The
        run's completed epochs stay. `exit_codes` (pid -> return code, negative for a
        signal) names the cause when the caller started that worker itself.
        """
        now = time.time()
        failed = []
        for run in self.list_runs(status="running"):
            reason = None
            pid, host = run.worker_pid, run.worker_host
            if pid and host == HOST and not pid_alive(pid):
                reason = f"worker died: process {pid} is gone"
                code = (exit_codes or {}).get(pid)
                if code is not None:
                    reason += f" ({_exit_text(code)})"
            elif now - (run.heartbeat_at or run.started_at or now) > stale_after:
                reason = (
                    f"worker died: no heartbeat for {now - run.heartbeat_at:.0f} s "
                    f"(process {pid} on {host} hung or its machine went away)"
                )
            if reason is None:
                continue
            with self._write() as conn:
                cur = conn.execute(
                    "UPDATE runs SET status = 'failed', finished_at = ?, error = ? "
                    "WHERE id = ? AND status = 'running'",
                    (now, reason + "; its completed epochs are kept", run.id),
                )
            if cur.rowcount:
                failed.append((run.id, reason))
        # Read first: the dashboard recovers every second, and most checks find nothing to
        # write, so they should not take the write lock.
        rows = self._rows("SELECT slot, pid, host FROM workers")
        dead = [
            (r["slot"], r["pid"]) for r in rows if r["host"] == HOST and not pid_alive(r["pid"])
        ]
        if dead:
            with self._write() as conn:
                conn.executemany("DELETE FROM workers WHERE slot = ? AND pid = ?", dead)
        return failed

    # -- worker slots ------------------------------------------------------------------------

    def claim_slot(self, slot: int, pid: int) -> bool:
        """Take worker slot `slot` for process `pid`; False if a live worker holds it."""
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT * FROM workers WHERE slot = ?", (slot,)).fetchone()
            if row is not None and row["pid"] != pid and _worker_alive(row, now):
                return False
            conn.execute(
                "INSERT OR REPLACE INTO workers (slot, pid, host, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (slot, pid, HOST, now, now),
            )
        return True

    def slot_heartbeat(self, slot: int, run_id: str | None) -> None:
        """The worker in `slot` is alive (and training `run_id`, if any)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE workers SET heartbeat_at = ?, run_id = ? WHERE slot = ? AND pid = ?",
                (time.time(), run_id, slot, os.getpid()),
            )

    def release_slot(self, slot: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM workers WHERE slot = ? AND pid = ?", (slot, os.getpid()))

    def workers(self) -> list[dict[str, Any]]:
        """Worker slots held by live workers, by slot."""
        now = time.time()
        rows = self._rows("SELECT * FROM workers ORDER BY slot")
        return [dict(r) for r in rows if _worker_alive(r, now)]

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


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust kill(0)


def _worker_alive(row: sqlite3.Row, now: float) -> bool:
    if row["host"] == HOST:
        return pid_alive(row["pid"])
    return now - row["heartbeat_at"] <= STALE_AFTER_S


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _num(value: Any) -> float | None:
    """A finite float for SQLite, or None (NaN/inf losses are stored as NULL)."""
    if value is None:
        return None
    f = float(value)
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def _run(row: sqlite3.Row) -> Run:
    d = dict(row)
    d["group"] = d.pop("group_name")
    d["config"] = json.loads(d.pop("config_json"))
    d["progress"] = Progress.from_json(json.loads(d.pop("progress_json") or "{}"))
    d["metrics"] = json.loads(d.pop("metrics_json") or "{}")
    d["cancel_requested"] = bool(d["cancel_requested"])
    return Run(**d)
