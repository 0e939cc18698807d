"""Boost Lab engine: configs, data, models, training, run store and comparisons.

This package never imports Streamlit. Only `boost.models` and `boost.training` import
TensorFlow; the dashboard imports neither.
"""

__version__ = "0.1.0"
