"""Ablations: which of these methods actually helped?

Two ways in. Quick variants (`switch_off_variants`): a configured run plus one run with each of
its methods switched off. Ablation grids (`AblationConfig`): a base config, factors with
levels, a design (`one_at_a_time` from the base, or `full` factorial) and a number of seeds per
cell; `expand` turns it into runs, each labelled with its cell.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from boost.catalog import METHODS
from boost.config import ConfigError, ExperimentConfig
from boost.runs.entities import CellDesign, FactorDesign, GroupDesign
from boost.validation import Int, JSONFileError, pydantic_problems, read_json_file, short_repr

#: The on/off methods by label (boost.catalog), in the order of the variants.
_METHODS = {m.label: m for m in METHODS}


def methods_on(config: ExperimentConfig) -> list[str]:
    """The methods this config uses, among those a quick ablation can switch off."""
    data = config.to_dict()
    return [m.label for m in METHODS if _get(data, m.field)]


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
        method = _METHODS[m]
        variants.append(
            config.replace(name=f"{config.name} without {m}", **{method.field: method.off})
        )
    return variants


# -- ablation grids ---------------------------------------------------------------------------

#: Factor names that need no `path`: each method's, then the other settings people vary.
SHORTCUTS = {
    **{m.factor: m.field for m in METHODS},
    "width": "model.width",
    "optimizer": "optimizer.name",
    "learning_rate": "optimizer.learning_rate",
    "schedule": "optimizer.schedule",
    "batch_size": "training.batch_size",
    "backbone": "model.arch",
    "pretrained": "transfer.weights",
    "freeze": "transfer.freeze",
    "fine_tune": "transfer.fine_tune_layers",
}
BASE_CELL = "base"


class Factor(BaseModel):
    """One thing to vary: a config field (`path`, or a shortcut name) or one augmentation op.

    `levels` is a list of values (labelled by their text) or a {label: value} mapping. An
    `op` factor has the levels `on` (the base spec) and `off` (the base spec without that op).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=40)
    path: str | None = None
    op: str | None = None
    levels: list[Any] | dict[str, Any] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Factor:
        if self.op is not None:
            if self.path is not None or self.levels is not None:
                raise ValueError(f"factor {self.name!r}: an op factor takes no path or levels")
            return self
        if self.path is None and self.name not in SHORTCUTS:
            raise ValueError(
                f"factor {self.name!r}: give a path (e.g. 'regularization.l2') or use one of "
                f"{', '.join(SHORTCUTS)}"
            )
        if not self.levels or len(self.levels) < 1:
            raise ValueError(f"factor {self.name!r}: needs levels")
        return self

    @property
    def config_path(self) -> str:
        return self.path or SHORTCUTS.get(self.name, "")

    def labelled_levels(self, base: ExperimentConfig) -> dict[str, Any]:
        """{label: value}; for op factors the values are whole augmentation specs."""
        if self.op is not None:
            ops = base.augmentation.ops
            if not any(o["op"] == self.op for o in ops):
                raise ValueError(
                    f"factor {self.name!r}: op {short_repr(self.op)} is not in the base spec"
                )
            return {"on": ops, "off": [o for o in ops if o["op"] != self.op]}
        if isinstance(self.levels, dict):
            return dict(self.levels)
        return {_label(v): v for v in self.levels or []}


def _label(value: Any) -> str:
    if isinstance(value, list):
        return "off" if not value else "on"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _get(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        data = data[key]
    return data


class AblationConfig(BaseModel):
    """An ablation: a base config, factors, a design and seeds per cell (plain JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field("ablation", min_length=1, max_length=80)
    base: dict[str, Any] = Field(default_factory=dict, description="An ExperimentConfig.")
    factors: list[Factor] = Field(min_length=1, max_length=6)
    design: Literal["one_at_a_time", "full"] = "one_at_a_time"
    seeds: Int = Field(3, ge=1, le=20)
    first_seed: Int = Field(0, ge=0)

    @classmethod
    def from_file(cls, path: str | Path) -> AblationConfig:
        """Read a definition; a `base` given as a file name is read relative to it.

        Raises:
            ConfigError: the file or a field is wrong, naming it.
        """
        p = Path(path)
        try:
            data = read_json_file(p)
        except JSONFileError as exc:
            raise ConfigError([("(file)", str(exc))]) from None
        if isinstance(data, dict) and isinstance(data.get("base"), str):
            data["base"] = ExperimentConfig.from_file(p.parent / data["base"]).to_dict()
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AblationConfig:
        try:
            ablation = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(pydantic_problems(exc)) from None
        ablation.base_config()  # a bad base fails here, naming its field
        names = [f.name for f in ablation.factors]
        if len(set(names)) != len(names):
            raise ConfigError([("factors", f"factor names must differ; got {names}")])
        return ablation

    def base_config(self) -> ExperimentConfig:
        return ExperimentConfig.from_dict(self.base)


@dataclass(frozen=True)
class Cell:
    """One combination of factor levels, and its config (seed not yet set)."""

    label: str
    levels: dict[str, str]
    config: ExperimentConfig


def expand_cells(ablation: AblationConfig) -> list[Cell]:
    """The design's cells, the base cell first.

    one_at_a_time: the base, then each factor's other levels, one change at a time.
    full: every combination of levels (the base cell is the one at the base's values).

    Raises:
        ConfigError: a level makes an invalid config (naming the factor and level).
    """
    base = ablation.base_config()
    base_dict = base.to_dict()
    levels = {f.name: f.labelled_levels(base) for f in ablation.factors}
    paths = {f.name: (f.config_path if f.op is None else "augmentation.ops")
             for f in ablation.factors}  # fmt: skip

    def normalised(name: str, value: Any) -> Any:
        # Compare as the config stores it (spec defaults filled in, 0 == 0.0), so that a level
        # equal to the base's value is recognised as the base level.
        try:
            return _get(base.replace(**{paths[name]: value}).to_dict(), paths[name])
        except ConfigError:
            return value  # make() reports it, naming the cell

    base_level = {
        name: next(
            (lab for lab, v in lv.items() if normalised(name, v) == _get(base_dict, paths[name])),
            BASE_CELL,
        )
        for name, lv in levels.items()
    }

    def make(choice: dict[str, str]) -> ExperimentConfig:
        changes = {paths[n]: levels[n][lab] for n, lab in choice.items() if lab != BASE_CELL}
        try:
            return base.replace(**changes)
        except ConfigError as exc:
            where = ", ".join(f"{n}={lab}" for n, lab in choice.items())
            raise ConfigError([(f"cell {where}: {f}", m) for f, m in exc.problems]) from None

    cells = [Cell(BASE_CELL, dict(base_level), base)]
    if ablation.design == "one_at_a_time":
        for name, lv in levels.items():
            for lab in lv:
                if lab != base_level[name]:
                    choice = {**base_level, name: lab}
                    cells.append(Cell(f"{name}={lab}", choice, make(choice)))
        return cells
    for combo in itertools.product(*(list(lv) for lv in levels.values())):
        choice = dict(zip(levels, combo, strict=True))
        if choice != base_level:
            label = ", ".join(f"{n}={lab}" for n, lab in choice.items())
            cells.append(Cell(label, choice, make(choice)))
    return cells


def expand_runs(
    ablation: AblationConfig, cells: list[Cell] | None = None
) -> list[tuple[Cell, ExperimentConfig]]:
    """Every cell x seed as (cell, config), seeds first_seed.. for every cell alike.

    Args:
        cells: `expand_cells(ablation)`, when the caller has it already (it validates every
            cell's config: worth doing once).
    """
    runs = []
    for cell in expand_cells(ablation) if cells is None else cells:
        for k in range(ablation.seeds):
            seed = ablation.first_seed + k
            name = f"{ablation.name} · {cell.label} · seed {seed}"
            runs.append((cell, cell.config.replace(seed=seed, name=name[:100])))
    return runs


def group_definition(ablation: AblationConfig, cells: list[Cell]) -> GroupDesign:
    """What the statistics need to know about a launched ablation (stored with its group)."""
    base = ablation.base_config()
    return GroupDesign(
        design=ablation.design,
        seeds=ablation.seeds,
        base_cell=BASE_CELL,
        factors=tuple(
            FactorDesign(f.name, tuple(f.labelled_levels(base)), cells[0].levels[f.name])
            for f in ablation.factors
        ),
        cells=tuple(CellDesign(c.label, dict(c.levels)) for c in cells),
        ablation=ablation.model_dump(mode="json"),
    )

