import pytest

from boost.ablation import methods_on, switch_off_variants
from boost.config import ExperimentConfig


def test_variants_switch_off_one_method_each() -> None:
    c = ExperimentConfig().replace(
        name="full",
        **{"regularization.l2": 1e-3, "regularization.dropout": 0.5,
           "augmentation.ops": [{"op": "rotate"}]},
    )  # fmt: skip
    assert methods_on(c) == ["augmentation", "L2", "dropout"]
    v = switch_off_variants(c)
    assert [x.name for x in v] == ["full", "full without augmentation", "full without L2",
                                   "full without dropout"]  # fmt: skip
    assert v[0] == c
    assert v[1].augmentation.ops == [] and v[1].regularization.l2 == 1e-3
    assert v[2].regularization.l2 == 0 and v[2].regularization.dropout == 0.5
    assert v[3].regularization.dropout == 0 and v[3].augmentation.enabled
    assert {x.seed for x in v} == {c.seed}


def test_only_chosen_methods_and_errors() -> None:
    c = ExperimentConfig().replace(**{"regularization.l1": 1e-4, "model.batch_norm": True})
    assert [x.name for x in switch_off_variants(c, ["batch norm"])] == [
        "run",
        "run without batch norm",
    ]
    assert switch_off_variants(ExperimentConfig()) == [ExperimentConfig()]
    with pytest.raises(ValueError, match="'L2' is not on"):
        switch_off_variants(c, ["L2"])
