"""Model builders. Imports Keras: use from worker processes, never from the Streamlit process."""

from boost.models.backbones import BACKBONES, ImagenetWeightsError, build_backbone
from boost.models.seed_cnn import build_model, kernel_stats, output_spec
from boost.models.transfer import TransferError, build_classifier, feature_layers, unfreeze_top

__all__ = [
    "BACKBONES",
    "ImagenetWeightsError",
    "TransferError",
    "build_backbone",
    "build_classifier",
    "build_model",
    "feature_layers",
    "kernel_stats",
    "output_spec",
    "unfreeze_top",
]
