from dataclasses import replace

from boost.runs.entities import Progress, Run
from ui.common import md, progress_line


def test_md_makes_user_text_inert() -> None:
    # Every Markdown character escaped; "://" broken by an invisible word joiner, since
    # Streamlit's Markdown links bare URLs even when their characters are escaped.
    assert md("[x](http://e) *b* $m$ <i>.png :smile:") == (
        r"\[x\]\(http\:" + "\u2060" + r"//e\) \*b\* \$m\$ \<i\>\.png \:smile\:"
    )
    assert md("www.e.io a@e.io") == "www\u2060\\.e\\.io a@\u2060e\\.io"


def test_progress_line() -> None:
    progress = Progress(epoch=2, epochs=4, batch=5, steps=10, samples_per_sec=320.0, eta_s=12.4)
    run = Run(id="r", name="a*b", status="running", config={}, created_at=0.0, progress=progress)
    fraction, text = progress_line(run)
    assert fraction == 0.375
    assert text == r"a\*b: epoch 2/4, batch 5/10, 320 images/s, about 12 s left"
    assert progress_line(replace(run, status="queued")) == (0.0, r"a\*b: queued")
    assert progress_line(replace(run, progress=None))[1].endswith("starting (loading data and TensorFlow)")
