"""The files in a run's folder (`$BOOST_HOME/runs/<run id>/`), named once for every reader."""

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
MODEL_FILE = "model.keras"
#: "What the model saw": the first training batch, augmented as training saw it.
SEEN_BATCH_FILE = "seen_batch.png"
#: The test split's confusion matrix, and a grid of the most confidently wrong test images.
CONFUSION_FILE = "confusion.json"
MISCLASSIFIED_FILE = "misclassified.png"
TENSORBOARD_DIR = "tensorboard"
