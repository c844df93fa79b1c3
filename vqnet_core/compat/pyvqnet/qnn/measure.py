"""pyvqnet's pyqpanda measurement helpers: ``ProbsMeasure``, ``QuantumMeasure``, ``expval``.

They run a pyqpanda program on a pyqpanda machine and return NumPy values; use them inside
a ``QuantumLayer`` function. Needs ``pyqpanda`` (CPython 3.11 wheels only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._pq import require_pyqpanda

__all__ = ["ProbsMeasure", "QuantumMeasure", "expval"]


def ProbsMeasure(measure_qubits: list[int], prog: Any, machine: Any,  # noqa: N802
                 qubits: Any) -> list[float]:
    """Exact probabilities of the basis states of ``qubits[i] for i in measure_qubits``
    (the first listed qubit is the most significant bit)."""
    require_pyqpanda("ProbsMeasure")
    qs = [qubits[i] for i in measure_qubits]
    return list(machine.prob_run_list(prog, qs, -1))


def QuantumMeasure(measure_qubits: list[int], prog: Any, machine: Any, qubits: Any,  # noqa: N802
                   shots: int = 1000) -> list[float]:
    """Probabilities estimated from ``shots`` measurements of the listed qubits."""
    pq = require_pyqpanda("QuantumMeasure")
    n = len(measure_qubits)
    cbits = machine.cAlloc_many(n)
    p = pq.QProg()
    p.insert(prog)
    for j, i in enumerate(measure_qubits):
        p.insert(pq.Measure(qubits[i], cbits[j]))
    result = machine.run_with_configuration(p, cbits, int(shots))
    machine.cFree_all(cbits)
    return [result.get(format(k, f"0{n}b"), 0) / shots for k in range(2 ** n)]


def expval(machine: Any, prog: Any, pauli_str_dict: dict, qlists: Any) -> float:
    """Expectation of the Pauli sum ``{"Z0 Z1": 0.5, "X1": 1.0}`` in the program's state."""
    pq = require_pyqpanda("expval")
    op = pq.PauliOperator(pauli_str_dict)
    return float(np.real(machine.get_expectation(prog, op.toHamiltonian(True), qlists)))
