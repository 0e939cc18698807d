"""Shared fixtures: every test gets its own empty Boost Lab home (run store)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from boost.config import ExperimentConfig
from boost.runs.store import RunStore


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh BOOST_HOME for this test."""
    path = tmp_path / "home"
    monkeypatch.setenv("BOOST_HOME", str(path))
    return path


@pytest.fixture
def store(home: Path) -> Iterator[RunStore]:
    """The test's store; any worker process started for it is killed at the end."""
    s = RunStore(home)
    yield s
    from boost.queue import local

    for w in s.workers():
        if w["pid"] == os.getpid():
            continue  # a test that held a slot itself
        try:
            os.kill(w["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    for proc in list(local._children.values()):
        proc.kill()
        proc.wait()
    local._children.clear()


def tiny_config(**changes: object) -> ExperimentConfig:
    """A seconds-long training on digits: small images, a quarter-width seed CNN."""
    base = ExperimentConfig.from_dict(
        {
            "name": "tiny",
            "dataset": {"source": "digits", "image_size": 24, "max_per_class": 40},
            "model": {"width": 0.25, "dense_units": 64},
            "training": {"epochs": 2, "batch_size": 32},
        }
    )
    return base.replace(**changes) if changes else base
