"""Runs: every run with live progress and cancel, and one run in detail."""

import streamlit as st

from boost.runs.store import STATUSES
from ui.common import REFRESH_S, live_queue, run_detail, run_label, store

st.title("Runs")
st.caption("Queued and running runs update live; pick any run below for its details.")


@st.fragment(run_every=REFRESH_S)
def runs_list() -> None:
    live_queue("runs", limit=200)


runs_list()

st.subheader("Run detail")
statuses = st.multiselect("Status", STATUSES, default=list(STATUSES), key="runs_status")
runs = [r for r in store().list_runs(limit=500) if r.status in statuses]
if not runs:
    st.info("No runs to show. Launch one on the Train page.")
else:
    chosen = st.selectbox("Run", runs, format_func=run_label, key="runs_detail")
    run_detail(store().get_run(chosen.id), key="runs")
