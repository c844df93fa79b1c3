"""pyvqnet's circuit templates: each returns a pyqpanda ``QCircuit`` to insert into a program.

(The recorder templates of the core, ``vqnet_core.qnn.AngleEmbeddingCircuit(q, x)``..., are
the VQNet form; these take pyvqnet's arguments ``(input, qubits)``.) Needs ``pyqpanda``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._pq import require_pyqpanda

__all__ = ["AngleEmbeddingCircuit", "BasicEmbeddingCircuit", "AmplitudeEmbeddingCircuit",
           "RotCircuit", "CRotCircuit", "IQPEmbeddingCircuits", "BasicEntanglerTemplate",
           "StronglyEntanglingTemplate"]


def _check(qlist: Any, name: str) -> None:
    from vqnet_core.quantum.builder import Recorder
    if isinstance(qlist, Recorder) or type(qlist).__name__ == "Recorder":
        raise TypeError(f"{name}: this is pyvqnet's template (input, qubits) -> pyqpanda "
                        f"QCircuit; for a VQNet recorder use vqnet_core.qnn.{name}(q, x)")


def _values(x: Any) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64).reshape(-1)


def AngleEmbeddingCircuit(input_feat: Any, qlist: Any, rotation: str = "X") -> Any:  # noqa: N802
    """One ``R{rotation}(qlist[i], input_feat[i])`` per feature."""
    pq = require_pyqpanda("AngleEmbeddingCircuit")
    _check(qlist, "AngleEmbeddingCircuit")
    gate = {"X": pq.RX, "Y": pq.RY, "Z": pq.RZ}.get(str(rotation).upper())
    if gate is None:
        raise ValueError(f"rotation must be 'X', 'Y' or 'Z', got {rotation!r}")
    feat = _values(input_feat)
    if len(feat) > len(qlist):
        raise ValueError(f"AngleEmbeddingCircuit: {len(feat)} features need as many qubits, "
                         f"got {len(qlist)}")
    c = pq.QCircuit()
    for i, v in enumerate(feat):
        c.insert(gate(qlist[i], float(v)))
    return c


def BasicEmbeddingCircuit(input_feat: Any, qlist: Any) -> Any:  # noqa: N802
    """The basis state ``|input_feat>``: X on the qubits whose bit is 1."""
    pq = require_pyqpanda("BasicEmbeddingCircuit")
    _check(qlist, "BasicEmbeddingCircuit")
    bits = _values(input_feat)
    if not np.all((bits == 0) | (bits == 1)):
        raise ValueError(f"BasicEmbeddingCircuit needs bits 0/1, got {bits.tolist()}")
    c = pq.QCircuit()
    for i, b in enumerate(bits):
        if b == 1:
            c.insert(pq.X(qlist[i]))
    return c


def AmplitudeEmbeddingCircuit(input_feat: Any, qlist: Any) -> Any:  # noqa: N802
    """The normalised feature vector as amplitudes (padded with zeros to 2**n)."""
    pq = require_pyqpanda("AmplitudeEmbeddingCircuit")
    _check(qlist, "AmplitudeEmbeddingCircuit")
    feat = _values(input_feat)
    n = len(qlist)
    if len(feat) > 2 ** n:
        raise ValueError(f"AmplitudeEmbeddingCircuit: {len(feat)} features need "
                         f">= {int(np.ceil(np.log2(len(feat))))} qubits, got {n}")
    feat = np.concatenate([feat, np.zeros(2 ** n - len(feat))])
    norm = np.linalg.norm(feat)
    if norm == 0:
        raise ValueError("AmplitudeEmbeddingCircuit: the features are all zero")
    return pq.amplitude_encode(list(qlist), (feat / norm).tolist())


def IQPEmbeddingCircuits(input_feat: Any, qlist: Any, rep: int = 1) -> Any:  # noqa: N802
    """IQP embedding: H and RZ(x_i) on every qubit, then RZZ-like ``CNOT RZ(x_i x_j) CNOT``."""
    pq = require_pyqpanda("IQPEmbeddingCircuits")
    feat = _values(input_feat)
    c = pq.QCircuit()
    for _ in range(rep):
        for i, v in enumerate(feat):
            c.insert(pq.H(qlist[i]))
            c.insert(pq.RZ(qlist[i], float(v)))
        for i in range(len(feat)):
            for j in range(i + 1, len(feat)):
                c.insert(pq.CNOT(qlist[i], qlist[j]))
                c.insert(pq.RZ(qlist[j], float(feat[i] * feat[j])))
                c.insert(pq.CNOT(qlist[i], qlist[j]))
    return c


def RotCircuit(para: Any, qlist: Any) -> Any:  # noqa: N802
    """The general rotation ``RZ(omega) RY(theta) RZ(phi)`` on one qubit; ``para`` =
    ``[phi, theta, omega]``."""
    pq = require_pyqpanda("RotCircuit")
    _check(qlist, "RotCircuit")
    phi, theta, omega = _values(para)[:3]
    q = qlist[0] if isinstance(qlist, list | tuple) else qlist
    c = pq.QCircuit()
    c.insert(pq.RZ(q, float(phi)))
    c.insert(pq.RY(q, float(theta)))
    c.insert(pq.RZ(q, float(omega)))
    return c


def CRotCircuit(para: Any, control_qlists: Any, rot_qlists: Any) -> Any:  # noqa: N802
    """:func:`RotCircuit` on ``rot_qlists`` controlled by ``control_qlists``."""
    c = RotCircuit(para, rot_qlists)
    ctrl = control_qlists if isinstance(control_qlists, list | tuple) else [control_qlists]
    return c.control(list(ctrl))


class BasicEntanglerTemplate:
    """Layers of one-parameter rotations then a ring of CNOTs; ``weights`` ``[L, n]``.

    ``create_circuit(qubits)`` returns the pyqpanda circuit."""

    def __init__(self, weights: Any = None, num_qubits: int = 1, rotation: Any = None) -> None:
        self.weights = np.asarray(weights, dtype=np.float64).reshape(-1, num_qubits)
        self.num_qubits = num_qubits
        self.rotation = rotation

    def create_circuit(self, qubits: Any) -> Any:
        pq = require_pyqpanda("BasicEntanglerTemplate")
        rot = self.rotation or pq.RX
        c = pq.QCircuit()
        n = self.num_qubits
        for layer in self.weights:
            for i in range(n):
                c.insert(rot(qubits[i], float(layer[i])))
            if n == 2:
                c.insert(pq.CNOT(qubits[0], qubits[1]))
            elif n > 2:
                for i in range(n):
                    c.insert(pq.CNOT(qubits[i], qubits[(i + 1) % n]))
        return c


class StronglyEntanglingTemplate:
    """Layers of ``Rot`` on every qubit then CNOTs with range ``r`` (1 by default in layer 0,
    growing as PennyLane's); ``weights`` ``[L, n, 3]``."""

    def __init__(self, weights: Any = None, num_qubits: int = 1, ranges: Any = None) -> None:
        self.weights = np.asarray(weights, dtype=np.float64).reshape(-1, num_qubits, 3)
        self.num_qubits = num_qubits
        n_layers = self.weights.shape[0]
        self.ranges = list(ranges) if ranges is not None else \
            [(layer % (num_qubits - 1)) + 1 if num_qubits > 1 else 0
             for layer in range(n_layers)]

    def create_circuit(self, qubits: Any) -> Any:
        pq = require_pyqpanda("StronglyEntanglingTemplate")
        c = pq.QCircuit()
        n = self.num_qubits
        for layer, r in zip(self.weights, self.ranges, strict=True):
            for i in range(n):
                c.insert(RotCircuit(layer[i], qubits[i]))
            if n > 1:
                for i in range(n):
                    c.insert(pq.CNOT(qubits[i], qubits[(i + r) % n]))
        return c
