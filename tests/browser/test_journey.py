"""The main user journey in a real browser: Debian's Chromium driven by Playwright.

Starts `streamlit run app.py` on a free port with a temporary data folder, then: the home
page; the Augmentation Lab with an uploaded photo and a corrupt file; a 2-epoch run on digits
launched from the Train page and watched until it completes; its curves on Compare.
Screenshots of each page go to the test's output folder (BOOST_SCREENSHOTS, else tmp_path).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    home = tmp_path / "home"
    env = {**os.environ, "BOOST_HOME": str(home), "BOOST_SLOTS": "1"}
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError(
            "the dashboard did not start: " + (tmp_path / "streamlit.log").read_text()
        )
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    from boost.runs.store import RunStore  # stop the workers the journey started

    for w in RunStore(home).workers():
        os.kill(w["pid"], 9)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BOOST_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


SETTLED = """() => {
  const imgs = [...document.querySelectorAll('[data-testid=stImage] img, img')];
  return imgs.every(i => i.complete && i.naturalWidth > 0)
      && document.querySelectorAll('[data-testid=stSkeleton]').length === 0;
}"""


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until every image has loaded and no element is still a loading skeleton."""
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(300)  # let plotly finish its first draw


def test_main_journey(server: str, shots: Path, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    yy, xx = np.mgrid[0:120, 0:160]
    img = np.stack([xx * 1.5, yy * 2, 255 - xx], 2).clip(0, 255).astype(np.uint8)
    cv2.circle(img, (80, 60), 30, (0, 0, 255), -1)
    cv2.imwrite(str(photo), img)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)

        page.goto(server)
        page.get_by_role("heading", name="Boost Lab").wait_for()
        settle(page)
        page.screenshot(path=shots / "1-home.png", full_page=True)

        # Augmentation Lab: upload a photo and a corrupt file.
        page.goto(f"{server}/augment")
        page.get_by_text("My images (upload)").click()
        page.locator("input[type=file]").first.set_input_files([photo, corrupt])
        page.get_by_text("corrupt.png: not a decodable image").wait_for()
        page.get_by_text("unchanged").or_(page.get_by_text("crop ")).first.wait_for()
        # The original and 8 variants.
        page.wait_for_function("document.querySelectorAll('[data-testid=stImage]').length >= 9")
        settle(page)
        page.screenshot(path=shots / "2-augmentation-lab.png", full_page=True)

        # Train: a 2-epoch run on digits, watched until it completes.
        page.goto(f"{server}/train")
        page.get_by_role("heading", name="Train").wait_for()
        epochs = page.get_by_role("slider", name="Epochs")
        epochs.focus()
        for _ in range(8):  # 10 -> 2
            page.keyboard.press("ArrowLeft")
        page.get_by_text("2", exact=True).first.wait_for()
        page.get_by_label("Run name").fill("browser run")
        page.get_by_label("Run name").press("Enter")
        page.get_by_role("button", name="Launch", exact=True).click()
        page.get_by_text("Queued run browser run").wait_for()
        page.screenshot(path=shots / "3-train-queued.png", full_page=True)
        page.get_by_text("browser run completed: best validation accuracy").wait_for(
            timeout=180_000
        )
        page.screenshot(path=shots / "4-train-completed.png", full_page=True)

        # Compare: its curves.
        page.goto(f"{server}/compare")
        page.get_by_text("Accuracy per run").first.wait_for()
        assert page.locator(".js-plotly-plot").count() >= 3
        settle(page)
        page.screenshot(path=shots / "5-compare.png", full_page=True)

        page.goto(f"{server}/runs")
        page.get_by_text("What the model saw").wait_for()
        # The run's metric, not the runs table's header of the same name: the table keeps a
        # hidden copy of its headers for screen readers, which may come first in the page.
        page.get_by_text("best val accuracy").filter(visible=True).first.wait_for()
        settle(page)
        page.screenshot(path=shots / "6-runs.png", full_page=True)
        browser.close()


def _zip_file(path: Path, entries: dict[str, bytes], methods: dict[str, int] | None = None) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data, compress_type=(methods or {}).get(name))
    return path


def test_hostile_names_render_as_text_in_the_browser(server: str, shots: Path, tmp_path: Path) -> None:
    """Class folder names as image captions and entry names in errors, in real Chromium."""
    import http.server
    import threading
    import zipfile

    hits: list[str] = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    spy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=spy.serve_forever, daemon=True).start()
    link = f"![i](http://127.0.0.1:{spy.server_address[1]}/p.png)"
    cls = "[x](javascript:window.__pwned=1) <img src=x onerror=window.__pwned=1> **b**"
    png = cv2.imencode(".png", np.full((16, 16, 3), 90, np.uint8))[1].tobytes()
    good = _zip_file(tmp_path / "classes.zip",
                     {f"{c}/{i}.png": png for c in (cls, "dogs") for i in range(2)})  # fmt: skip
    bad = _zip_file(tmp_path / "bad.zip", {"dogs/a.png": png, f"cats/{link}.png": png},
                    {f"cats/{link}.png": zipfile.ZIP_BZIP2})  # fmt: skip
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1366, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{server}/train")
            page.get_by_text("Your images: a zip of class folders").click()
            page.locator("input[type=file]").first.set_input_files(good)
            page.get_by_text("4 images in 2 classes").wait_for()
            page.wait_for_function(
                "document.querySelectorAll('[data-testid=stImageCaption]').length >= 4"
            )
            settle(page)
            captions = page.locator("[data-testid=stImageCaption]").all_inner_texts()
            assert sum(cls in c for c in captions) == 2, captions  # shown exactly as typed
            assert page.locator("[data-testid=stImageCaption] a").count() == 0
            page.screenshot(path=shots / "7-hostile-class-names.png", full_page=True)

            page.locator("input[type=file]").first.set_input_files(bad)
            page.get_by_text("is compressed with bzip2").wait_for()
            error = page.locator("[data-testid=stAlertContentError]").inner_text()
            assert f"cats/{link}.png" in error.replace("\u2060", ""), error  # the link, as text
            assert page.locator("[data-testid=stAlertContentError] a").count() == 0  # no link
            page.wait_for_timeout(1000)
            assert page.locator("a[href^='javascript']").count() == 0
            assert page.locator("img[src='x'], img[src*='127.0.0.1']").count() == 0
            assert page.evaluate("window.__pwned") is None
            page.screenshot(path=shots / "8-hostile-entry-name.png", full_page=True)
            browser.close()
    finally:
        spy.shutdown()
    assert hits == []  # the image link's host was never contacted
