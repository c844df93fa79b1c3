"""``vq.nn``, ``vq.optim``, ... work as attributes, as ``torch.nn`` does, without importing them
at ``import vqnet_core`` (its start-up cost must not grow)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SUBPACKAGES = ["nn", "optim", "data", "qnn", "quantum", "utils", "distributed"]


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_loads_no_subpackage():
    loaded = _run("import sys, vqnet_core; "
                  "print(' '.join(m for m in sys.modules if m.startswith('vqnet_core.')))").split()
    for name in SUBPACKAGES:
        assert f"vqnet_core.{name}" not in loaded, f"import vqnet_core imported vqnet_core.{name}"


def test_subpackages_are_attributes():
    got = _run("import vqnet_core as vq; "
               "print(vq.optim.Adam.__name__, vq.nn.Linear.__name__, vq.data.DataLoader.__name__,"
               " vq.qnn.QuantumLayer.__name__, vq.quantum.Circuit.__name__, vq.utils.__name__)")
    assert got == "Adam Linear DataLoader QuantumLayer Circuit vqnet_core.utils"


def test_unknown_attribute_is_an_attribute_error():
    import vqnet_core as vq

    with pytest.raises(AttributeError, match="no attribute 'not_a_module'"):
        vq.not_a_module  # noqa: B018
    assert set(SUBPACKAGES) <= set(dir(vq))
