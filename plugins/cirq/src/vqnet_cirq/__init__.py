"""VQNet on Cirq: ``cirq.Circuit`` <-> the IR (:mod:`vqnet_cirq.translate`, registered through
the ``vqnet_circuit_converters`` hook), Cirq's simulators and qsim as machines
(``cirq.simulator``, ``cirq.density_matrix``, ``cirq.qsim``), the paper-style
:class:`CirqLayer`, the converted-circuit :class:`CirqQuantumLayer`, and :class:`Simulator`
(any VQNet machine behind Cirq's simulator interfaces).

>>> from vqnet_core.quantum import available_machines
>>> "cirq.simulator" in available_machines()
True
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["CirqLayer", "CirqQuantumLayer", "Simulator"]

# imported on first use: loading ``vqnet_cirq.hooks`` (every hook call does) must not import
# Cirq
_LAZY = {"CirqLayer": "layers", "CirqQuantumLayer": "layers", "Simulator": "simulator"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'vqnet_cirq' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
