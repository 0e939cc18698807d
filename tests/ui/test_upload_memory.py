"""The dashboard's memory on hostile uploads, measured in a fresh process as a user reaches it.

Each test uploads a zip to the Train page (AppTest, the page's own code) in a new interpreter
and reads that process's peak resident memory (Linux VmHWM, reset just before the upload) so
the figure is what the Streamlit server would grow by. Before these fixes: a 1 GiB bzip2 or
LZMA bomb (4 KB / 150 KB) peaked at about 2 GiB, and 100,000 1x1 PNGs (16 MB) at 3.5 GiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

if not os.access("/proc/self/clear_refs", os.W_OK):
    pytest.skip("needs Linux /proc/self/clear_refs to measure peak memory", allow_module_level=True)

#: Bounds on how much the dashboard process may grow for one upload, in MiB.
BOMB_BOUND_MIB = 64
MANY_IMAGES_BOUND_MIB = 250

_UPLOAD = """
import json, sys
from pathlib import Path
from streamlit.testing.v1 import AppTest

def status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) / 1024

at = AppTest.from_file(sys.argv[1], default_timeout=300).run()
at = at.switch_page("pages/train.py").run()
at.radio(key="train_source").set_value("zip").run()
data = Path(sys.argv[2]).read_bytes()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # peak := now
base = status("VmRSS")
at.file_uploader(key="train_zip").upload("upload.zip", data, "application/zip").run()
print(json.dumps({
    "growth_mib": status("VmHWM") - base,
    "errors": [e.value for e in at.error],
    "success": [s.value for s in at.success],
    "exceptions": [e.value for e in at.exception],
    "launch_disabled": at.button(key="train_launch").disabled,
}))
"""


def upload_to_train_page(zip_path: Path, home: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _UPLOAD, str(ROOT / "app.py"), str(zip_path)],
        cwd=ROOT, env={**os.environ, "BOOST_HOME": str(home)},
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _bomb(path: Path, method: int, mib: int) -> Path:
    """A zip with one good image and `mib` MiB of zeros in cats/huge.png, streamed."""
    ok = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("dogs/ok.png", ok)
        info = zipfile.ZipInfo("cats/huge.png")
        info.compress_type = method
        with zf.open(info, "w", force_zip64=True) as fh:
            block = bytes(1 << 20)
            for _ in range(mib):
                fh.write(block)
    return path


@pytest.mark.parametrize(
    ("method", "name"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")]
)
def test_bzip2_and_lzma_bombs_are_refused_without_growing_the_dashboard(
    tmp_path: Path, method: int, name: str
) -> None:
    bomb = _bomb(tmp_path / "bomb.zip", method, mib=256)
    assert bomb.stat().st_size < 200_000  # a tiny upload...
    result = upload_to_train_page(bomb, tmp_path / "home")
    assert not result["exceptions"]
    assert f"compressed with {name}" in result["errors"][0].replace("\\", "")
    assert result["launch_disabled"]
    assert result["growth_mib"] < BOMB_BOUND_MIB, result  # ...that once cost 2 GiB


@pytest.mark.slow
def test_a_zip_of_100000_images_is_summarised_from_its_listing(tmp_path: Path) -> None:
    png = cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes()
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(100_000):
            zf.writestr(f"{'ab'[i % 2]}/{i}.png", png)
    result = upload_to_train_page(path, tmp_path / "home")
    assert not result["exceptions"] and not result["errors"]
    assert "100,000 images in 2 classes" in result["success"][0].replace("\\", "")
    assert not result["launch_disabled"]
    assert result["growth_mib"] < MANY_IMAGES_BOUND_MIB, result  # was 3.5 GiB
