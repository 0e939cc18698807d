from ui.common import md, progress_line


def test_md_makes_user_text_inert() -> None:
    assert md("[x](http://e) *b* $m$ <i>.png :smile:") == (
        r"\[x\]\(http\:\/\/e\) \*b\* \$m\$ \<i\>\.png \:smile\:"
    ).replace(r"\/", "/")


def test_progress_line() -> None:
    run = {"name": "a*b", "status": "running", "progress": {
        "epoch": 2, "epochs": 4, "batch": 5, "steps": 10, "samples_per_sec": 320.0, "eta_s": 12.4}}  # fmt: skip
    fraction, text = progress_line(run)
    assert fraction == 0.375
    assert text == r"a\*b: epoch 2/4, batch 5/10, 320 images/s, about 12 s left"
    assert progress_line({**run, "status": "queued"}) == (0.0, r"a\*b: queued")
