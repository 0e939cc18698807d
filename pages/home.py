"""Home: what Boost Lab is, and the runs in the store."""

import time

import pandas as pd
import streamlit as st

from boost.runs.store import RunStore, StoreError

st.title("Boost Lab")
st.markdown(
    "See what actually makes an image classifier better. Boost Lab trains the same small "
    "CNN with and without each family of methods and puts the curves side by side:\n\n"
    "- **Data augmentation**: crops, rotations, flips and colour changes add variety.\n"
    "- **Model optimisation**: width, optimiser, learning rate, schedule and batch size.\n"
    "- **Regularisation**: L1 and L2 penalties and Dropout fight overfitting.\n"
    "- **Knowledge transfer**: start from features learnt on another task.\n"
    "- **Hardware**: the same run on a GPU, when there is one."
)

st.subheader("Runs")
try:
    runs = RunStore().list_runs(limit=200)
except StoreError as exc:
    st.error(f"The run store cannot be opened: {exc}")
    runs = []

if not runs:
    st.info("No runs yet. Train one with `python -m boost train examples/baseline.json`.")
else:
    table = pd.DataFrame(
        {
            "name": r["name"],
            "status": r["status"],
            "best val accuracy": r["metrics"].get("best_val_accuracy"),
            "test accuracy": r["metrics"].get("test_accuracy"),
            "epochs": r["metrics"].get("epochs_run", r["progress"].get("epoch")),
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created_at"])),
            "id": r["id"],
        }
        for r in runs
    )
    st.dataframe(
        table,
        key="runs_table",
        hide_index=True,
        width="stretch",
        column_config={
            "best val accuracy": st.column_config.ProgressColumn(
                "best val accuracy", min_value=0.0, max_value=1.0, format="percent"
            ),
            "test accuracy": st.column_config.NumberColumn(format="percent"),
        },
    )
