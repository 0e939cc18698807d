"""The benchmarks keep running as the code under them changes (their figures are in the README).

Each bench's command line is built (`--help`, which evaluates every default), and the
Compare benchmark runs end to end on a small store; the full runs are `make bench`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          check=False, cwd=BENCH.parent)  # fmt: skip


@pytest.mark.parametrize("bench", sorted(p.name for p in BENCH.glob("*.py")))
def test_every_bench_builds_its_command_line(bench: str) -> None:
    out = _run(str(BENCH / bench), "--help")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "usage:" in out.stdout


def test_the_compare_bench_runs_and_prints_its_ratio_last() -> None:
    out = _run(str(BENCH / "compare_scale.py"), "--runs", "30", "--epochs", "5", "--repeats", "1")
    assert out.returncode == 0, out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1]
    assert "ratio" in last and float(last.rsplit(maxsplit=1)[-1]) > 0
