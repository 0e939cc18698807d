"""Command line: `python -m boost train|runs|export|schema`.

TensorFlow is imported only by the commands that train, so `runs`, `export` and `schema`
answer at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from boost.config import ConfigError, ExperimentConfig, json_schema
from boost.runs.store import RunNotFound, RunStore, StoreError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (RunNotFound, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m boost", description="Boost Lab: train, list and export runs."
    )
    parser.add_argument(
        "--home", help="data folder with the run store (default: $BOOST_HOME or ~/.boost_lab)"
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a config in the foreground")
    p.add_argument("config", help="experiment config JSON file (see examples/)")
    p.add_argument("--name", help="run name (default: the config's name)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("runs", help="list runs with status and key metrics")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--status", help="only runs with this status")
    p.add_argument("--limit", type=int, help="at most this many (newest first)")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("export", help="export a run's per-epoch metrics")
    p.add_argument("run_id")
    p.add_argument("--csv", action="store_true", required=True, help="as CSV (the only format)")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("schema", help="print the experiment config's JSON schema")
    p.set_defaults(func=cmd_schema)
    return parser


def _store(args: argparse.Namespace) -> RunStore:
    return RunStore(args.home)


def cmd_train(args: argparse.Namespace) -> int:
    config = ExperimentConfig.from_file(args.config)
    if args.name:
        config = config.replace(name=args.name)
    store = _store(args)
    interactive = sys.stdout.isatty() and not args.quiet
    print(f"training {config.name!r} on {config.dataset.source} ...", flush=True)

    from boost.training import TrainingFailed, train  # TensorFlow loads here, not before

    def data_progress(fraction: float, message: str) -> None:
        if interactive:
            print(f"\r  {message} {fraction:4.0%}", end="", flush=True)

    try:
        result = train(
            config,
            store,
            verbose=0 if args.quiet else (1 if interactive else 2),
            on_data_progress=data_progress,
        )
    except TrainingFailed as exc:
        print(f"run {exc.run_id} failed: {exc}", file=sys.stderr)
        return 1
    m = result.metrics
    print(f"run {result.run_id} {result.status}")
    for key in ("best_val_accuracy", "best_epoch", "test_accuracy", "seconds_per_epoch", "params"):
        if key in m:
            print(f"  {key}: {_fmt(m[key])}")
    if m.get("dataset_report"):
        print(f"  data: {m['dataset_report']}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    runs = _store(args).list_runs(status=args.status, limit=args.limit)
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    if not runs:
        print("no runs yet: try `python -m boost train examples/baseline.json`")
        return 0
    header = ("id", "name", "status", "epochs", "best val acc", "test acc", "created")
    rows = [
        (
            r["id"],
            r["name"],
            r["status"],
            _fmt(r["metrics"].get("epochs_run", r["progress"].get("epoch", ""))),
            _fmt(r["metrics"].get("best_val_accuracy", "")),
            _fmt(r["metrics"].get("test_accuracy", "")),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created_at"])),
        )
        for r in runs
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from boost.runs.export import epochs_csv

    text = epochs_csv(_store(args), args.run_id)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if value < 10 else f"{value:.1f}"
    return str(value)
