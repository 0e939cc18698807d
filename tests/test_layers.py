"""No import runs back up the layers: each boost package imports only from those below it.

Every import statement of every module is read (function-level ones too: a lazy import
still ties the layers together), so a test fails the day someone makes the store import
the queue, or data import training.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOOST = Path(__file__).resolve().parents[1] / "boost"

#: Each top-level part of boost and its layer; a part may import from lower layers only
#: (and from itself).
LAYERS: dict[str, int] = {
    "paths": 0,
    "validation": 0,
    "catalog": 0,  # the product's facts: imports nothing
    "augment": 1,  # ops, specs and previews: numpy and OpenCV
    "config": 2,  # reads augment.spec to validate augmentation
    "runs": 3,  # the store: the foundation every higher layer reads and writes (typed by config)
    "data": 4,
    "models": 4,
    "ablation": 4,
    "presets": 4,
    "compare": 4,
    "charts": 5,  # draws compare's frames
    "training": 5,
    "export": 5,
    "queue": 6,  # workers train: above training
    "cli": 7,
    "__main__": 8,
    "__init__": 8,
}
#: Never imported anywhere in boost: the engine is UI-free.
FORBIDDEN = ("streamlit", "pages", "ui")


def _part(path: Path) -> str:
    rel = path.relative_to(BOOST)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


MODULES = sorted(BOOST.rglob("*.py"))


def test_every_part_of_boost_has_a_layer() -> None:
    assert {_part(p) for p in MODULES} <= set(LAYERS), set(map(_part, MODULES)) - set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOOST)))
def test_imports_only_go_down(path: Path) -> None:
    source = _part(path)
    for line, name in _imports(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name}:{line} imports {name}: boost is UI-free"
        if top != "boost" or name == "boost":
            continue
        target = name.split(".")[1]
        if target == source:
            continue
        assert LAYERS[target] < LAYERS[source], (
            f"boost/{path.relative_to(BOOST)}:{line} imports {name}: {source} (layer "
            f"{LAYERS[source]}) may import only from lower layers, and {target} is layer "
            f"{LAYERS[target]}"
        )


def test_the_store_and_data_layers_know_nothing_of_queue_training_or_pages() -> None:
    """The issue's example, spelt out: it would fail if the layers above were renumbered."""
    for part in ("runs", "data", "config", "augment"):
        for path in (
            (BOOST / part).rglob("*.py") if (BOOST / part).is_dir() else [BOOST / f"{part}.py"]
        ):
            names = [n for _, n in _imports(path)]
            bad = [n for n in names if n.split(".")[:2] in (["boost", "queue"], ["boost", "training"])
                   or n.split(".")[0] in FORBIDDEN]  # fmt: skip
            assert not bad, f"{path}: {bad}"
