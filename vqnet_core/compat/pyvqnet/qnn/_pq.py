"""Import pyqpanda (QPanda's pre-3 API, which pyvqnet and the VQNet 2.0 paper use)."""

from __future__ import annotations

import sys
from typing import Any


def require_pyqpanda(what: str) -> Any:
    """The ``pyqpanda`` module, or an ImportError that says where it installs."""
    try:
        import pyqpanda
    except ImportError as exc:
        v = f"{sys.version_info.major}.{sys.version_info.minor}"
        where = ("it is not installed: pip install pyqpanda==3.8.5" if v == "3.11" else
                 f"pyqpanda publishes wheels for CPython 3.11 only (pyqpanda 3.8.5, cp311), "
                 f"so it cannot be installed on this Python {v}")
        raise ImportError(
            f"{what} runs programs written with pyqpanda, QPanda's pre-3 API (pq.CPUQVM(), "
            f"init_qvm(), qAlloc_many, run_with_configuration) that pyvqnet and the VQNet 2.0 "
            f"paper use, and {where}. With pyqpanda3 (any Python) use "
            f"vqnet_qpanda.QPandaLayer, whose function gets a pyqpanda3 machine and qubit "
            f"indices; or write the circuit for vqnet_core.qnn.QuantumLayer.") from exc
    return pyqpanda
