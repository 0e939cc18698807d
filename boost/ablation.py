"""Quick ablations: a configured run plus one run with each of its methods switched off."""

from __future__ import annotations

from typing import Any

from boost.config import ExperimentConfig

#: Method -> (is it on?, the changes that switch it off). Order = order of the variants.
_METHODS: dict[str, tuple[Any, dict[str, Any]]] = {
    "augmentation": (lambda c: c.augmentation.enabled, {"augmentation.ops": []}),
    "L1": (lambda c: c.regularization.l1 > 0, {"regularization.l1": 0.0}),
    "L2": (lambda c: c.regularization.l2 > 0, {"regularization.l2": 0.0}),
    "dropout": (lambda c: c.regularization.dropout > 0, {"regularization.dropout": 0.0}),
    "batch norm": (lambda c: c.model.batch_norm, {"model.batch_norm": False}),
}


def methods_on(config: ExperimentConfig) -> list[str]:
    """The methods this config uses, among those a quick ablation can switch off."""
    return [name for name, (is_on, _) in _METHODS.items() if is_on(config)]


def switch_off_variants(
    config: ExperimentConfig, methods: list[str] | None = None
) -> list[ExperimentConfig]:
    """The config itself, then one copy per method with that method off (same seed).

    Args:
        config: the configured run.
        methods: which of `methods_on(config)` to switch off (default: all of them).

    Raises:
        ValueError: a method is unknown or not on in this config.
    """
    on = methods_on(config)
    chosen = on if methods is None else methods
    for m in chosen:
        if m not in on:
            raise ValueError(
                f"{m!r} is not on in this config; methods on: {', '.join(on) or 'none'}"
            )
    variants = [config]
    for m in chosen:
        variants.append(config.replace(name=f"{config.name} without {m}", **_METHODS[m][1]))
    return variants
