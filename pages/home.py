"""Home: what Boost Lab is, and the runs in the store."""

import streamlit as st

from boost.runs.store import StoreError
from ui.common import RUNS_COLUMNS, md, runs_frame, store

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

st.subheader("How to start")
st.markdown(
    "1. **Augmentation Lab**: upload a photo (or take a sample) and see what each augmentation "
    "does to it.\n"
    "2. **Train**: switch methods on, press *Launch* (or *Launch variants* for a quick "
    "ablation) and keep working while the runs train in the background.\n"
    "3. **Compare**: put the curves side by side and read the overfitting gap.\n\n"
    "Everything works offline on the built-in handwritten digits."
)
cols = st.columns(4)
cols[0].page_link("pages/augment.py", label="Augmentation Lab", icon=":material/photo_library:")
cols[1].page_link("pages/train.py", label="Train", icon=":material/model_training:")
cols[2].page_link("pages/runs.py", label="Runs", icon=":material/list_alt:")
cols[3].page_link("pages/compare.py", label="Compare", icon=":material/stacked_line_chart:")

st.subheader("Latest runs")
try:
    runs = store().list_runs(limit=20)
except StoreError as exc:
    st.error(f"The run store cannot be opened: {md(exc)}")
    runs = []

if not runs:
    st.info("No runs yet: launch one on the Train page.")
else:
    st.dataframe(runs_frame(runs), hide_index=True, width="stretch", column_config=RUNS_COLUMNS)
