"""Boost Lab dashboard entry point: page config and navigation.

Never import TensorFlow here or in pages/: training runs in worker processes.
"""

import streamlit as st

st.set_page_config(page_title="Boost Lab", page_icon=":material/rocket_launch:", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
]
st.navigation(pages).run()
