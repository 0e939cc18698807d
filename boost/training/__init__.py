"""Training: train(config) builds data and model, fits with Keras and records the run.

Imports TensorFlow: use from worker processes and the CLI, never from the Streamlit process.
"""

import os

# TensorFlow's C++ logging floods a terminal with start-up notes and, with this Keras, a
# harmless "NodeDef mentions attribute use_unbounded_threadpool" line per fit. Errors still
# reach the user as Python exceptions. Set TF_CPP_MIN_LOG_LEVEL yourself to see them.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from boost.training.trainer import TrainingFailed, TrainResult, train  # noqa: E402

__all__ = ["TrainResult", "TrainingFailed", "train"]
