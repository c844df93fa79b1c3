"""The plugin's HQCNN example runs (a smoke run on ibm_torino, both modes)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hqcnn_qpu.py"


def test_hqcnn_trains_on_ibm_torino(tmp_path, capsys):
    if not (EXAMPLE.parents[3] / "examples" / "hqcnn_mnist.py").exists():
        pytest.skip("needs the repository's examples/ (a source checkout)")
    spec = importlib.util.spec_from_file_location("hqcnn_qpu", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    hist = mod.main(["--compare", "--limit", "96", "--epochs", "2", "--no-progress",
                     "--out", str(tmp_path), "--shots", "500"])
    out = capsys.readouterr().out
    assert "runs on physical qubit" in out and "readout mitigation: readout" in out
    for h in hist.values():
        assert h["loss"][-1] < h["loss"][0]  # it learns, through shots and parameter shift
