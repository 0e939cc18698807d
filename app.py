"""Boost Lab dashboard entry point: page config and navigation.

Never import TensorFlow here or in pages/: training runs in worker processes.
"""

import streamlit as st

st.set_page_config(page_title="Boost Lab", page_icon=":material/rocket_launch:", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page(
        "pages/augment.py",
        title="Augmentation Lab",
        icon=":material/photo_library:",
        url_path="augment",
    ),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("pages/runs.py", title="Runs", icon=":material/list_alt:", url_path="runs"),
    st.Page(
        "pages/compare.py",
        title="Compare",
        icon=":material/stacked_line_chart:",
        url_path="compare",
    ),  # fmt: skip
]
st.navigation(pages).run()
