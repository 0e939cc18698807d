"""The Train page through AppTest: widgets, launching into a temporary store, bad uploads."""

from __future__ import annotations

import io
import zipfile

import cv2
import numpy as np

from boost.runs.store import RunStore
from tests.ui.conftest import open_page

PAGE = "pages/train.py"


def test_renders_with_defaults_and_explanations(store: RunStore) -> None:
    at = open_page(PAGE)
    assert not at.exception
    assert at.title[0].value == "Train"
    assert {t.key for t in at.toggle} >= {"train_aug", "train_l2", "train_l1", "train_dropout"}
    captions = " ".join(c.value for c in at.caption)
    assert "weight norm" in captions and "sparsity" in captions  # one line per toggle
    assert at.button(key="train_launch_variants").disabled  # no method on: nothing to ablate


def test_launch_enqueues_the_configured_run(store: RunStore) -> None:
    at = open_page(PAGE)
    at.toggle(key="train_l2").set_value(True).run()
    at.select_slider(key="train_l2_value").set_value(1e-2).run()
    at.slider(key="train_epochs").set_value(3).run()
    at.text_input(key="train_name").input("l2 strong").run()
    at.button(key="train_launch").click().run()
    assert not at.exception
    runs = store.list_runs()
    assert len(runs) == 1
    cfg = runs[0].config
    assert runs[0].name == "l2 strong" and cfg["regularization"]["l2"] == 1e-2
    assert cfg["training"]["epochs"] == 3 and cfg["dataset"]["source"] == "digits"
    assert any("Queued run" in s.value for s in at.success)


def test_launch_variants_queues_one_group_with_each_method_off(store: RunStore) -> None:
    at = open_page(PAGE)
    at.toggle(key="train_dropout").set_value(True).run()
    at.toggle(key="train_aug").set_value(True).run()
    assert at.button(key="train_launch_variants").label == "Launch variants (3 runs)"
    at.button(key="train_launch_variants").click().run()
    runs = store.list_runs()
    assert len(runs) == 3 and len({r.group for r in runs}) == 1
    names = sorted(r.name for r in runs)
    assert names == ["my run", "my run without augmentation", "my run without dropout"]
    off = {r.name: r.config for r in runs}
    assert off["my run without dropout"]["regularization"]["dropout"] == 0
    assert off["my run without dropout"]["augmentation"]["ops"]


def test_spec_from_the_augmentation_lab_is_used(store: RunStore) -> None:
    at = open_page(PAGE)
    at.session_state["train_augmentation"] = [{"op": "vflip", "p": 1.0}]
    at.toggle(key="train_aug").set_value(True).run()
    assert any("from the Augmentation Lab" in c.value for c in at.caption)
    at.button(key="train_launch").click().run()
    assert store.list_runs()[0].config["augmentation"]["ops"][0]["op"] == "vflip"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _png(value: int) -> bytes:
    return cv2.imencode(".png", np.full((20, 20, 3), value, np.uint8))[1].tobytes()


def test_uploaded_zip_is_summarised_and_launchable(store: RunStore) -> None:
    files = {f"data/{c}/{i}.png": _png(40 * k + i) for k, c in enumerate(["cat", "dog"])
             for i in range(6)}  # fmt: skip
    files["data/dog/readme.txt"] = b"not an image"
    at = open_page(PAGE)
    at.radio(key="train_source").set_value("zip").run()
    at.file_uploader(key="train_zip").upload("pets.zip", _zip(files), "application/zip").run()
    assert not at.exception and not at.error
    assert "12 images in 2 classes" in at.success[0].value.replace("\\", "")
    assert any("not an image file" in c.value for c in at.caption)
    at.button(key="train_launch").click().run()
    cfg = store.list_runs()[0].config["dataset"]
    assert cfg["source"] == "zip" and cfg["path"].startswith(str(store.home / "uploads"))


def test_zip_without_class_folders_is_an_error_not_a_crash(store: RunStore) -> None:
    at = open_page(PAGE)
    at.radio(key="train_source").set_value("zip").run()
    bad = _zip({"a.png": _png(1), "b.png": _png(2)})
    at.file_uploader(key="train_zip").upload("flat.zip", bad, "application/zip").run()
    assert not at.exception
    assert "no class folders" in at.error[0].value
    assert "flat-" in at.error[0].value.replace("\\", "")  # the user's file name, not only a hash
    assert at.button(key="train_launch").disabled
    at.file_uploader(key="train_zip").upload("junk.zip", b"not a zip", "application/zip").run()
    assert not at.exception and "cannot be used" in at.error[0].value
    assert store.list_runs() == []


def test_a_config_the_engine_rejects_shows_the_field(store: RunStore) -> None:
    at = open_page(PAGE)
    at.toggle(key="train_aug").set_value(True).run()
    at.session_state["train_augmentation"] = [{"op": "crop", "height": 90, "width": 90}]
    at.run()
    assert not at.exception
    assert "cannot run" in at.error[0].value
    assert "crop 90x90 is larger than the images" in at.code[0].value
    assert at.button(key="train_launch").disabled


def test_transfer_controls_and_the_demo(store: RunStore) -> None:
    from tests.ui.conftest import log_run

    source = log_run(store, "pretrained", 2)
    at = open_page(PAGE)
    at.selectbox(key="train_start").set_value("run").run()
    assert at.selectbox(key="train_source_run").value.id == source
    at.number_input(key="train_ft_layers").set_value(1).run()
    at.number_input(key="train_ft_after").set_value(3).run()
    at.button(key="train_launch").click().run()
    cfg = store.list_runs()[0].config
    assert cfg["transfer"]["weights"] == f"run:{source}"
    assert cfg["transfer"]["fine_tune_layers"] == 1 and cfg["transfer"]["fine_tune_after"] == 3

    at.selectbox(key="train_arch").set_value("mobilenet_v2").run()
    assert "imagenet" in at.selectbox(key="train_start").options[-1].lower()
    assert at.select_slider(key="train_input_size").value == 96
    at.button(key="train_transfer_demo").click().run()
    assert not at.exception
    demo = [r for r in store.list_runs() if (r.group or "").startswith("transfer demo")]
    assert len(demo) == 3
    waiting = [r for r in demo if r.depends_on]
    assert len(waiting) == 1 and waiting[0].name.startswith("digits 5-9 from 0-4")


def test_ablation_grid_from_the_toggles(store: RunStore) -> None:
    at = open_page(PAGE)
    at.toggle(key="train_l2").set_value(True).run()
    at.toggle(key="train_dropout").set_value(True).run()
    at.multiselect(key="train_vary").set_value(["L2", "dropout"]).run()
    at.radio(key="train_design").set_value("full").run()
    at.number_input(key="train_seeds").set_value(2).run()
    assert not at.exception
    assert any("4 cells × 2 seeds = 8 runs" in m.value for m in at.markdown)
    at.button(key="train_launch_ablation").click().run()
    runs = store.list_runs()
    assert len(runs) == 8 and len({r.group for r in runs}) == 1
    group = store.get_group(runs[0].group)
    assert group is not None and group.design == "full"
    assert [f.name for f in group.factors] == ["l2", "dropout"]
    assert {r.cell for r in runs} == set(group.cell_order)
    assert sorted(r.config["seed"] for r in runs) == [0, 0, 0, 0, 1, 1, 1, 1]


def test_the_zip_summary_is_computed_once_for_every_session(
    store: RunStore, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import boost.data

    calls = []
    real = boost.data.preview_dataset

    def counting(cfg):  # type: ignore[no-untyped-def]
        calls.append(cfg.path)
        return real(cfg)

    monkeypatch.setattr(boost.data, "preview_dataset", counting)
    files = {f"{c}/{i}.png": _png(30 * k + i) for k, c in enumerate(["ant", "bee"])
             for i in range(3)}  # fmt: skip
    data = _zip(files)
    for _ in range(2):  # two people in the class upload the same zip
        at = open_page(PAGE)
        at.radio(key="train_source").set_value("zip").run()
        at.file_uploader(key="train_zip").upload("bugs.zip", data, "application/zip").run()
        assert "6 images in 2 classes" in at.success[0].value.replace("\\", "")
    assert len(calls) == 1


def test_a_run_stored_by_an_older_boost_lab_is_still_offered_as_a_source(store: RunStore) -> None:
    """Its config no longer validates (a field since retired), so it cannot be parsed; the
    Train page still lists it by the network it trained, instead of failing."""
    old = store.create_run({"name": "from an older Boost Lab", "model": {"arch": "seed_cnn"},
                            "retired_field": 1}, status="running")  # fmt: skip
    store.complete_run(old, {"best_val_accuracy": 0.5})
    at = open_page(PAGE)
    at.selectbox(key="train_start").set_value("run").run()
    assert not at.exception
    assert at.selectbox(key="train_source_run").options == [f"from an older Boost Lab · {old}"]
