"""Streamlit helpers shared by the pages: the store, safe text, run lists and run detail.

This package is the only place besides pages/ that imports Streamlit; boost/ never does. Never
import TensorFlow here.
"""

from __future__ import annotations

import json
import os
import re
import time
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from boost.queue.executor import current_executor
from boost.runs.artifacts import CONFUSION_FILE, MISCLASSIFIED_FILE, MODEL_FILE, SEEN_BATCH_FILE
from boost.runs.entities import Run
from boost.runs.store import ACTIVE, TERMINAL, RunStore, StoreError

#: Seconds between refreshes of live run lists (st.fragment(run_every=...)).
REFRESH_S = 1.0

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
#: Where GitHub-flavoured Markdown would turn plain text into a link ("http://", "www.", an
#: e-mail's "@"). Streamlit links these after escapes are resolved, so escaping cannot stop
#: it; an invisible word joiner does.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """User text (file, class and run names, messages quoting them) made inert for Streamlit.

    Every Markdown character is backslash-escaped, and autolinks are broken with an
    invisible word joiner, so the text shows exactly as typed: no link, image, emphasis,
    colour directive or formula.
    """
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def store() -> RunStore:
    """The run store of $BOOST_HOME, one per data folder for the server's life."""
    return _store(os.environ.get("BOOST_HOME") or "")


@st.cache_resource(show_spinner=False)
def _store(home: str) -> RunStore:
    return RunStore(home or None)


def run_label(run: Run) -> str:
    return f"{run.name} · {run.status} · {run.id}"


def ago(ts: float | None) -> str:
    if not ts:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def progress_line(run: Run) -> tuple[float, str]:
    """(fraction done, text) for a queued or running run."""
    p = run.progress
    if run.status == "queued":
        return 0.0, f"{md(run.name)}: queued"
    if p is None:
        return 0.0, f"{md(run.name)}: starting (loading data and TensorFlow)"
    eta = f", about {p.eta_s:.0f} s left" if p.eta_s is not None else ""
    rate = f", {p.samples_per_sec:.0f} images/s" if p.samples_per_sec else ""
    text = f"{md(run.name)}: epoch {p.epoch}/{p.epochs}, batch {p.batch}/{p.steps}{rate}{eta}"
    return p.fraction, text


def live_queue(key: str, limit: int = 15) -> None:
    """Active runs with progress bars and cancel buttons, then the latest finished ones.

    Call inside an `st.fragment(run_every=REFRESH_S)`: it reads the store, recovers runs of
    dead workers and restarts workers for queued runs (after a server restart, say).
    """
    s = store()
    try:
        current_executor().start(s)  # also recovers dead workers' runs
    except StoreError as exc:  # a full disk, a read-only folder: say so, keep showing runs
        st.warning(
            f"{md(exc)}. Queued runs wait, and go on by themselves once it can be written."
        )
    try:
        runs = s.list_runs(limit=limit)
    except StoreError as exc:
        st.error(f"The run store cannot be read: {md(exc)}")
        return
    active = [r for r in runs if r.status in ACTIVE]
    if not runs:
        st.caption("No runs yet.")
        return
    for group in dict.fromkeys(r.group for r in active if r.group):
        members = s.list_runs(group=group)
        ended = [r for r in members if r.status in TERMINAL]
        failed = sum(r.status == "failed" for r in ended)
        st.progress(
            len(ended) / len(members),
            text=f"group **{md(group)}**: {len(ended)}/{len(members)} runs ended"
            + (f", {failed} failed" if failed else ""),
        )
    for run in active:
        bar, button = st.columns([6, 1], vertical_alignment="center")
        fraction, text = progress_line(run)
        bar.progress(fraction, text=text)
        if run.cancel_requested and run.status == "running":
            button.caption("stopping…")
        elif button.button("Cancel", key=f"{key}_cancel_{run.id}"):
            current_executor().cancel(s, run.id)
            st.rerun(scope="fragment")
    finished = [r for r in runs if r not in active]
    recent = [r for r in finished if (r.finished_at or 0) > time.time() - RECENT_S][:5]
    for run in recent:
        st.markdown(f"{_ICONS[run.status]} {finished_line(run)}")
    if finished:
        st.dataframe(
            runs_frame(finished),
            hide_index=True,
            width="stretch",
            column_config=RUNS_COLUMNS,
        )


#: Runs that ended this recently get a line of their own above the table.
RECENT_S = 600.0
_ICONS = {"completed": ":material/check_circle:", "failed": ":material/error:",
          "cancelled": ":material/cancel:"}  # fmt: skip


def finished_line(run: Run) -> str:
    """One line saying how a finished run ended."""
    m = run.metrics
    text = f"**{md(run.name)}** {run.status}"
    if m.get("best_val_accuracy") is not None:
        text += f": best validation accuracy {m['best_val_accuracy']:.1%}"
        if m.get("test_accuracy") is not None:
            text += f", test accuracy {m['test_accuracy']:.1%}"
    if run.error:
        text += f": {md(run.error[:200])}"
    return text


RUNS_COLUMNS = {
    "best val accuracy": st.column_config.ProgressColumn(
        "best val accuracy", min_value=0.0, max_value=1.0, format="percent"
    ),
    "test accuracy": st.column_config.NumberColumn(format="percent"),
    "s/epoch": st.column_config.NumberColumn(format="%.2f"),
}


def runs_frame(runs: list[Run]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "name": r.name,
                "status": r.status,
                "group": r.group or "",
                "best val accuracy": r.metrics.get("best_val_accuracy"),
                "test accuracy": r.metrics.get("test_accuracy"),
                "epochs": r.metrics.get("epochs_run", r.progress.epoch if r.progress else None),
                "s/epoch": r.metrics.get("seconds_per_epoch"),
                "device": r.device or "",
                "created": ago(r.created_at),
                "id": r.id,
            }
            for r in runs
        ],
        columns=[
            "name",
            "status",
            "group",
            "best val accuracy",
            "test accuracy",
            "epochs",
            "s/epoch",
            "device",
            "created",
            "id",
        ],  # fmt: skip
    )


def run_detail(run: Run, key: str) -> None:
    """Everything about one run: status, config, what the model saw, test errors, downloads."""
    from boost.charts import confusion_chart
    from boost.config import ConfigError
    from boost.export import run_bundle, standalone_script
    from boost.runs.tables import epochs_csv

    s = store()
    folder = s.run_path(run.id)
    st.markdown(f"**{md(run.name)}** · {run.status} · `{run.id}`")
    if run.error:
        st.error("This run failed:")
        st.code(run.error, language=None, wrap_lines=True)
    m = run.metrics
    if m:
        cols = st.columns(4)
        cols[0].metric("best val accuracy", _pct(m.get("best_val_accuracy")))
        cols[1].metric("test accuracy", _pct(m.get("test_accuracy")))
        cols[2].metric("parameters", f"{m['params']:,}" if "params" in m else "–")
        cols[3].metric("device", m.get("device", run.device or "–"))
        if m.get("dataset_report"):
            st.caption(md(m["dataset_report"]))
    left, right = st.columns(2)
    with left:
        st.markdown("**What the model saw** (first training batch)")
        _image(folder / SEEN_BATCH_FILE, "Saved when training starts.")
        st.markdown("**Most confidently wrong test images**")
        _image(folder / MISCLASSIFIED_FILE, "None (or the run has not finished).")
    with right:
        confusion = _read_json(folder / CONFUSION_FILE)
        if confusion:
            st.plotly_chart(
                confusion_chart(confusion["matrix"], confusion["class_names"]),
                key=f"{key}_confusion",
            )
        with st.expander("Config"):
            st.json(run.config)
        with st.expander("Show code: this run in plain Keras, OpenCV and NumPy"):
            try:
                script = standalone_script(run.experiment)
            except ConfigError as exc:  # a config stored by an older Boost Lab
                st.caption(f"No script: the config no longer validates ({md(exc)}).")
            else:
                st.code(script, language="python")
    buttons = st.columns(4)
    # Files are read when the button is pressed, not on every rerun: a model can be large.
    buttons[3].download_button(
        "Everything (zip)", partial(run_bundle, s, run.id), file_name=f"{run.id}.zip",
        mime="application/zip", key=f"{key}_bundle", on_click="ignore",
        help="Config, metrics CSV, model, TensorBoard event files, the images and run.py.",
    )  # fmt: skip
    buttons[0].download_button(
        "Metrics CSV", epochs_csv(s, run.id), file_name=f"{run.id}-metrics.csv",
        mime="text/csv", key=f"{key}_csv",
    )  # fmt: skip
    buttons[1].download_button(
        "Config JSON", json.dumps(run.config, indent=2), file_name=f"{run.id}-config.json",
        mime="application/json", key=f"{key}_config",
    )  # fmt: skip
    model = folder / MODEL_FILE  # written whole or not at all (boost.paths.atomic_path)
    if model.is_file():
        buttons[2].download_button(
            "Model (.keras)", model.read_bytes, file_name=f"{run.id}.keras",
            mime="application/octet-stream", key=f"{key}_model", on_click="ignore",
        )  # fmt: skip


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _image(path: Path, missing: str) -> None:
    if path.exists():
        st.image(str(path))
    else:
        st.caption(missing)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
