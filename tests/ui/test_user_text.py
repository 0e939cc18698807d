"""User text is shown as text on every page: Markdown and HTML in names never render.

Run, group, class, file and zip-entry names, and error messages that quote them, reach the
pages. Streamlit renders Markdown (links, images, emphasis, `:red[...]`, `$...$`) in most
text it shows: markdown, captions, alerts, headings, progress texts, image captions, labels
and help. This test feeds a hostile name through every way in, walks every element each
page produced, and checks two things of every text Streamlit would render as Markdown:
no hostile piece appears unescaped, and the name does appear, rendered literally, somewhere
(so a page that hid the name could not pass).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from markdown_it import MarkdownIt

from boost.runs.store import RunStore
from tests.ui.conftest import log_run, open_page

#: No slashes: it must also be a folder name inside a zip.
HOSTILE = "**b** [x](javascript:1) ![i](data:,) <img src=x onerror=f()> :red[r] $e$ www.e.io a@e.o"
#: Run names may hold slashes: a bare URL too (names have at most 100 characters).
RUN = HOSTILE + " http://e.o"
#: What GitHub-flavoured Markdown (Streamlit's) turns into links even in plain text.
AUTOLINKS = re.compile(r"(?i)https?://|\bwww\.|[\w.+-]@[\w-]+\.")
#: Pieces that must never appear unescaped (escaping puts a backslash before each).
PIECES = [re.compile(r"(?<!\\)" + re.escape(p))
          for p in ("**b**", "[x](javascript", "![i](", "<img", ":red[", "$e$")]  # fmt: skip

#: Proto fields that Streamlit renders as Markdown, and element types whose text is plain.
MARKDOWN_FIELDS = {"body", "label", "help", "text", "caption"}
PLAIN_TYPES = {"code", "json", "text", "exception", "plotly_chart", "arrow_data_frame"}

_MD = MarkdownIt("commonmark")


def markdown_texts(at: Any) -> Iterator[tuple[str, str]]:
    """(element type, text) of every string Streamlit would render as Markdown."""

    def strings(msg: Any) -> Iterator[str]:
        for field, value in msg.ListFields():
            repeated = not isinstance(value, str | bytes) and hasattr(value, "__len__") \
                and not hasattr(value, "ListFields")  # fmt: skip
            items = value if repeated else [value]
            for item in items:
                if field.type == field.TYPE_MESSAGE:
                    yield from strings(item)
                elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
                    yield item

    def walk(node: Any) -> Iterator[tuple[str, str]]:
        kind, proto = getattr(node, "type", ""), getattr(node, "proto", None)
        if proto is not None and kind not in PLAIN_TYPES and hasattr(proto, "ListFields"):
            for text in strings(proto):
                yield kind, text
        children = getattr(node, "children", None) or {}
        for child in children.values() if isinstance(children, dict) else children:
            yield from walk(child)

    return walk(at._tree)


def rendered(text: str) -> tuple[str, set[str]]:
    """CommonMark's rendering of `text`: its plain text and the kinds of tokens it made."""
    plain, kinds = [], set()
    for block in _MD.parse(text):
        kinds.add(block.type)
        for tok in block.children or []:
            kinds.add(tok.type)
            if tok.type in ("text", "code_inline"):
                plain.append(tok.content)
            elif tok.type in ("softbreak", "hardbreak"):
                plain.append("\n")
    return "".join(plain), kinds


def assert_shown_as_text(at: Any, where: str, *, in_markdown: bool = True) -> None:
    assert not at.exception, [e.value for e in at.exception]
    shown = False
    for kind, text in markdown_texts(at):
        for piece in PIECES:
            assert not piece.search(text), f"{where}: {kind} renders {piece.pattern!r}: {text!r}"
        plain, kinds = rendered(text)
        assert not AUTOLINKS.search(plain), f"{where}: {kind} would autolink: {plain!r}"
        plain = plain.replace("\u2060", "")  # the invisible joiner that breaks autolinks
        if HOSTILE in plain:
            shown = True
            assert not kinds & {"link_open", "image", "html_inline", "html_block"}, (where, text)
    assert shown or not in_markdown, f"{where}: the hostile name is not shown anywhere"


def _png(value: int) -> bytes:
    return cv2.imencode(".png", np.full((12, 12, 3), value, np.uint8))[1].tobytes()


@pytest.fixture
def hostile_store(store: RunStore) -> RunStore:
    """Runs, a group and class names all named with Markdown and HTML."""
    done = log_run(store, RUN, 3, group=RUN)
    log_run(store, RUN + " 2", 2, group=RUN, status="failed")
    running = log_run(store, RUN + " L", 1, status="running")
    store.update_progress(running, {"epoch": 1, "epochs": 3, "batch": 1, "steps": 4})
    store.create_run({"name": RUN + " q"})
    run = store.get_run(done)
    store.complete_run(done, {**run.metrics, "dataset_report": f"6 images in 2 classes: {HOSTILE}"})
    store.fail_run(store.list_runs(status="failed")[0].id, f"no image in class {HOSTILE}")
    return store


@pytest.mark.parametrize("page", ["pages/home.py", "pages/train.py", "pages/runs.py"])
def test_run_and_group_names_are_text_on_every_page(hostile_store: RunStore, page: str) -> None:
    at = open_page(page)
    # Home shows runs only in its table, which is plain text.
    assert_shown_as_text(at, page, in_markdown=page != "pages/home.py")
    if page == "pages/home.py":
        assert RUN in list(at.dataframe[0].value["name"])


def test_compare_shows_run_and_group_names_as_text(hostile_store: RunStore) -> None:
    at = open_page("pages/compare.py")
    assert_shown_as_text(at, "compare (runs)")
    at.radio(key="cmp_by").set_value("A group").run()
    assert_shown_as_text(at, "compare (group)")


def test_class_folder_names_and_entry_names_in_a_zip_are_text(store: RunStore) -> None:
    at = open_page("pages/train.py")
    at.radio(key="train_source").set_value("zip").run()
    files = {f"{c}/{i}.png": _png(40 * k + i) for k, c in enumerate([HOSTILE, "dogs"])
             for i in range(3)}  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    at.file_uploader(key="train_zip").upload(f"{HOSTILE}.zip", buf.getvalue(), "application/zip")
    at.run()
    assert not at.error
    captions = [img.caption for e in at.get("image") for img in e.proto.imgs]
    assert len(captions) == 6  # the thumbnails' captions are class names: checked below
    assert_shown_as_text(at, "train (zip classes)")

    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("dogs/ok.png", _png(1))
        zf.writestr(f"cats/{HOSTILE}.png", bytes(100), compress_type=zipfile.ZIP_BZIP2)
    at.file_uploader(key="train_zip").upload("bad.zip", bad.getvalue(), "application/zip").run()
    assert "bzip2" in at.error[0].value
    assert_shown_as_text(at, "train (zip error)")


def test_uploaded_file_names_in_the_augmentation_lab_are_text(store: RunStore) -> None:
    at = open_page("pages/augment.py")
    at.radio(key="aug_source").set_value("upload").run()
    uploader = at.file_uploader(key="aug_upload")
    uploader.upload(f"{HOSTILE}.png", b"not an image", "image/png").run()
    assert at.error, "an undecodable upload is reported by name"
    assert_shown_as_text(at, "augmentation lab")
