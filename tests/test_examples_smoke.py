"""Smoke runs of the classical examples: a few hundred images, one epoch, run as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.examples
@pytest.mark.parametrize("script", ["cnn_mnist.py", "lenet_mnist.py"])
def test_example_runs(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--limit", "128", "--epochs", "1",
         "--batch-size", "16", "--out", str(tmp_path), "--no-progress"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"epoch 1: loss \d+\.\d+ +accuracy [01]\.\d+", r.stdout), r.stdout
    m = re.search(r"test accuracy after 1 epochs: ([01]\.\d+)", r.stdout)
    assert m, r.stdout
    png = tmp_path / (script[:-3] + ".png")
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
