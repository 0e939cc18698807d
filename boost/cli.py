"""Command line: `python -m boost train|runs|ablate|transfer-demo|cancel|worker|export|augment|schema`.

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
from boost.runs.store import TERMINAL, RunNotFound, RunStore, StoreError
from boost.validation import short_repr


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, RunNotFound, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an output file that cannot be written
        where = f" {short_repr(exc.filename)}" if exc.filename else ""
        print(f"error: cannot write or read{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


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
    p.add_argument(
        "--background",
        action="store_true",
        help="queue the run for the background workers (started if needed) and return at once",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "transfer-demo",
        help="offline transfer learning: digits 0-4, then 5-9 from scratch and from 0-4",
    )
    p.add_argument("--per-class", type=int, default=5, help="training images per class (5)")
    p.add_argument("--epochs", type=int, default=10, help="epochs of the target runs (10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--background", action="store_true", help="queue the three runs and return")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    p.set_defaults(func=cmd_transfer_demo)

    p = sub.add_parser("ablate", help="run an ablation grid, then print the effect table")
    p.add_argument("ablation", help="ablation JSON (see examples/ablation.json)")
    p.add_argument("--background", action="store_true", help="queue the runs and return")
    p.add_argument("--dry-run", action="store_true", help="list the cells and runs; train nothing")
    p.set_defaults(func=cmd_ablate)

    p = sub.add_parser("cancel", help="stop a queued or running run")
    p.add_argument("run_id")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("worker", help="serve the run queue in this process")
    p.add_argument("--slot", type=int, default=0, help="worker slot to hold (default 0)")
    p.add_argument("--idle-exit", type=float, help="exit after this many idle seconds")
    p.add_argument("--threads", type=int, help="TensorFlow CPU threads (default: all cores)")
    p.add_argument("--max-runs", type=int, help="exit after this many runs")
    p.set_defaults(func=cmd_worker)

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

    p = sub.add_parser("augment", help="write augmented variants of an image and a contact sheet")
    p.add_argument("image", help="an image file (PNG, JPEG, WebP, BMP, TIFF)")
    p.add_argument(
        "--spec",
        help="JSON file: a list of ops, or an experiment config (its augmentation is used); "
        "default: the built-in default spec",
    )
    p.add_argument("-n", type=int, default=8, help="number of variants (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, help="resize every variant to SIZE x SIZE, as training does")
    p.add_argument("--out", default="augmented", help="output folder (default ./augmented)")
    p.set_defaults(func=cmd_augment)

    p = sub.add_parser("schema", help="print the experiment config's JSON schema")
    p.set_defaults(func=cmd_schema)
    return parser


def _store(args: argparse.Namespace) -> RunStore:
    return RunStore(args.home)


def cmd_train(args: argparse.Namespace) -> int:
    config = ExperimentConfig.from_file(args.config)
    if args.name:
        config = config.replace(name=args.name)
    config.check_can_start()  # nothing starts, nothing is queued, without its data
    store = _store(args)
    if args.background:
        from boost.queue.manager import launch

        (run_id,) = launch([config], store)
        print(f"run {run_id} queued; follow it with `python -m boost runs`")
        return 0
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
        print(f"run {exc.run_id} failed: {_one_line(exc)}", file=sys.stderr)
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
    from boost.queue.executor import current_executor

    store = _store(args)
    current_executor().recover(store)  # runs of dead workers show as failed, not running
    runs = store.list_runs(status=args.status, limit=args.limit)
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=2))
        return 0
    if not runs:
        print("no runs yet: try `python -m boost train examples/baseline.json`")
        return 0
    header = ("id", "name", "status", "epochs", "best val acc", "test acc", "created")
    rows = [
        (
            r.id,
            r.name,
            r.status,
            _fmt(r.metrics.get("epochs_run", r.progress.epoch if r.progress else "")),
            _fmt(r.metrics.get("best_val_accuracy", "")),
            _fmt(r.metrics.get("test_accuracy", "")),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
        )
        for r in runs
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_transfer_demo(args: argparse.Namespace) -> int:
    from boost.presets import transfer_demo
    from boost.queue.manager import launch

    try:
        configs = transfer_demo(per_class=args.per_class, epochs=args.epochs, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = _store(args)
    if args.background:
        ids = launch(configs, store)
        print("queued: " + ", ".join(f"{c.name} ({i})" for c, i in zip(configs, ids, strict=True)))
        return 0
    from boost.training import TrainingFailed, train

    results = []
    for config in configs:
        print(f"training {config.name!r} ...", flush=True)
        try:
            results.append(train(config, store, verbose=0 if args.quiet else 2))
        except TrainingFailed as exc:
            print(f"run {exc.run_id} failed: {_one_line(exc)}", file=sys.stderr)
            return 1
    for config, r in zip(configs, results, strict=True):
        print(f"{config.name}: best val accuracy {r.metrics.get('best_val_accuracy', 0):.3f}, "
              f"test accuracy {r.metrics.get('test_accuracy', 0):.3f}  ({r.run_id})")  # fmt: skip
    return 0


def cmd_ablate(args: argparse.Namespace) -> int:
    from boost.ablation import AblationConfig, expand_cells, expand_runs
    from boost.queue.manager import launch_ablation

    ablation = AblationConfig.from_file(args.ablation)
    cells = expand_cells(ablation)
    runs = expand_runs(ablation, cells)
    print(f"{ablation.name}: {ablation.design} design, {len(cells)} cells x {ablation.seeds} "
          f"seeds = {len(runs)} runs")  # fmt: skip
    for cell in cells:
        print(f"  {cell.label}")
    if args.dry_run:
        return 0
    store = _store(args)
    group, ids = launch_ablation(ablation, store)
    print(f"queued as group {group!r}")
    if args.background:
        print("follow it with `python -m boost runs` or on the dashboard's Compare page")
        return 0
    try:
        _wait_for(store, ids)
    except KeyboardInterrupt:
        print("\nstopped watching; the runs go on in the background")
        return 130
    _print_effects(store, group)
    return 0


def _wait_for(store: RunStore, ids: list[str]) -> None:
    """Print the group's progress until every run has ended."""
    from boost.queue.executor import current_executor

    executor = current_executor()
    last = ""
    while True:
        executor.start(store)  # replaces a worker that died, recovers its run
        statuses = [store.get_run(i).status for i in ids]
        ended = sum(s in TERMINAL for s in statuses)
        line = (f"{ended}/{len(ids)} ended ({statuses.count('completed')} completed, "
                f"{statuses.count('failed')} failed), {statuses.count('running')} running")  # fmt: skip
        if line != last:
            print(line, flush=True)
            last = line
        if ended == len(ids):
            return
        time.sleep(2)


def _print_effects(store: RunStore, group: str) -> None:
    import pandas as pd

    from boost.compare.stats import MIN_SEEDS, effects, interactions

    table = effects(store, group)
    print("\neffects of each change from the base level (95% intervals, paired by seed; "
          f"verdicts need {MIN_SEEDS} seeds and are Holm-corrected across the table):")
    for row in table.itertuples():
        interval = "" if row.low != row.low else f" [{row.low:+.4f}, {row.high:+.4f}]"
        needed = "" if pd.isna(row.seeds_needed) else f"; seeds needed: {row.seeds_needed}"
        warning = f"  ({row.warning})" if row.warning else ""
        print(f"  {row.change}, {row.metric}: {row.diff:+.4f}{interval}, n={row.n}: "
              f"{row.verdict}{needed}{warning}")  # fmt: skip
    pairs = interactions(store, group)
    if len(pairs):
        print("two-way interactions:")
        for row in pairs.itertuples():
            interval = "" if row.low != row.low else f" [{row.low:+.4f}, {row.high:+.4f}]"
            needed = "" if pd.isna(row.seeds_needed) else f"; seeds needed: {row.seeds_needed}"
            print(f"  {row.factor_a}={row.level_a} x {row.factor_b}={row.level_b}, {row.metric}: "
                  f"{row.value:+.4f}{interval}, n={row.n}: {row.verdict}{needed}")  # fmt: skip


def cmd_cancel(args: argparse.Namespace) -> int:
    from boost.queue.executor import current_executor

    status = current_executor().cancel(_store(args), args.run_id)
    if status == "running":
        print(f"run {args.run_id}: cancel requested; it stops within a batch")
    elif status == "cancelled":
        print(f"run {args.run_id}: cancelled")
    else:
        print(f"run {args.run_id} is already {status}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from boost.queue.worker import run_worker

    return run_worker(
        _store(args),
        args.slot,
        idle_exit=args.idle_exit,
        threads=args.threads,
        max_runs=args.max_runs,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from boost.runs.tables import epochs_csv

    text = epochs_csv(_store(args), args.run_id)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_augment(args: argparse.Namespace) -> int:
    from pathlib import Path

    import cv2

    from boost.augment import DEFAULT_SPEC, AugmentError, SpecError, contact_sheet, preview
    from boost.data import ImageDecodeError, decode_image

    if not 1 <= args.n <= 1000:
        print(f"error: -n must be between 1 and 1000; got {args.n}", file=sys.stderr)
        return 2
    try:
        ops = _read_spec(args.spec) if args.spec else DEFAULT_SPEC
        data = Path(args.image).read_bytes()
        image = decode_image(data, name=args.image)
        size = (args.size, args.size) if args.size else None
        variants = preview(image, ops, seed=args.seed, n=args.n, output_size=size)
    except OSError as exc:
        print(f"error: cannot read {exc.filename!r}: {exc.strerror}", file=sys.stderr)
        return 2
    except (ImageDecodeError, SpecError, AugmentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, v in enumerate(variants):
        cv2.imwrite(str(out / f"variant_{i:03d}.png"), cv2.cvtColor(v.image, cv2.COLOR_RGB2BGR))
    sheet = contact_sheet([image] + [v.image for v in variants],
                          ["original"] + [v.caption for v in variants])  # fmt: skip
    cv2.imwrite(str(out / "contact_sheet.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    draws = [{"file": f"variant_{i:03d}.png", "caption": v.caption, **v.draw.to_dict()}
             for i, v in enumerate(variants)]  # fmt: skip
    (out / "draws.json").write_text(json.dumps({"spec": ops, "seed": args.seed, "variants": draws},
                                               indent=2))  # fmt: skip
    print(f"wrote {len(variants)} variants, contact_sheet.png and draws.json to {out}")
    for d in draws:
        print(f"  {d['file']}: {d['caption']}")
    return 0


def _read_spec(path: str) -> list[dict[str, Any]]:
    """A spec file: a JSON list of ops, {"ops": [...]}, or a whole experiment config."""
    from boost.augment import SpecError
    from boost.validation import JSONFileError, read_json_file

    try:
        data = read_json_file(path)
    except JSONFileError as exc:
        raise SpecError([str(exc)]) from None
    if isinstance(data, dict) and "augmentation" in data:
        return ExperimentConfig.from_dict(data).augmentation.ops
    if isinstance(data, dict) and "ops" in data:
        data = data["ops"]
    if not isinstance(data, list):
        raise SpecError(
            [f"{short_repr(path)}: expected a list of ops, {{'ops': [...]}} or a config"]
        )
    return data


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if value < 10 else f"{value:.1f}"
    return str(value)


def _one_line(exc: BaseException) -> str:
    """An error message on one line (Keras and TensorFlow messages span several)."""
    return " ".join(str(exc).split())
