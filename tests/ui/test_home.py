"""The home page, through Streamlit's AppTest, on a temporary store."""

import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from boost.runs.store import RunStore

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_home_without_runs_says_how_to_start(store: RunStore) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Boost Lab"
    assert any("No runs yet" in i.value for i in at.info)
    assert "Regularisation" in at.markdown[0].value


def test_home_lists_runs_with_status_and_best_val_accuracy(store: RunStore) -> None:
    done = store.create_run({"name": "<b>l2</b>"}, status="running")
    store.complete_run(done, {"best_val_accuracy": 0.9625, "test_accuracy": 0.95, "epochs_run": 3})
    store.create_run({"name": "queued one"})
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["name"]) == ["queued one", "<b>l2</b>"]  # shown as text, not HTML
    assert list(table["status"]) == ["queued", "completed"]
    assert table["best val accuracy"].iloc[1] == 0.9625


def test_streamlit_process_never_imports_tensorflow(store: RunStore) -> None:
    import subprocess

    code = (
        "import sys; from streamlit.testing.v1 import AppTest; "
        f"at = AppTest.from_file({APP!r}).run(); assert not at.exception; "
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
