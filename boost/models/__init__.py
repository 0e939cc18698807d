"""Model builders. Imports Keras: use from worker processes, never from the Streamlit process."""

from boost.models.seed_cnn import build_model, kernel_stats, output_spec

__all__ = ["build_model", "kernel_stats", "output_spec"]
