from ui.common import md, progress_line


def test_md_makes_user_text_inert() -> None:
    # Every Markdown character escaped; "://" broken by an invisible word joiner, since
    # Streamlit's Markdown links bare URLs even when their characters are escaped.
    assert md("[x](http://e) *b* $m$ <i>.png :smile:") == (
        r"\[x\]\(http\:" + "\u2060" + r"//e\) \*b\* \$m\$ \<i\>\.png \:smile\:"
    )
    assert md("www.e.io a@e.io") == "www\u2060\\.e\\.io a@\u2060e\\.io"


def test_progress_line() -> None:
    run = {"name": "a*b", "status": "running", "progress": {
        "epoch": 2, "epochs": 4, "batch": 5, "steps": 10, "samples_per_sec": 320.0, "eta_s": 12.4}}  # fmt: skip
    fraction, text = progress_line(run)
    assert fraction == 0.375
    assert text == r"a\*b: epoch 2/4, batch 5/10, 320 images/s, about 12 s left"
    assert progress_line({**run, "status": "queued"}) == (0.0, r"a\*b: queued")
