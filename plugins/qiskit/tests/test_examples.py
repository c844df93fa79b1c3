"""The plugin's example runs (a short training)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_imported_qiskit_circuit_trains_on_the_builtin_machine(capsys):
    spec = importlib.util.spec_from_file_location("train_imported_circuit",
                                                  EXAMPLES / "train_imported_circuit.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    acc = mod.main(["--epochs", "10"])
    assert acc >= 0.85, capsys.readouterr().out
