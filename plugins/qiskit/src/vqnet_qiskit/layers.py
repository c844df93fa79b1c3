"""Qiskit circuits as VQNet layers, in the paper's form and in a converted form.

* :class:`QiskitLayer` ``(qiskit_circuits, para_num)`` is the paper's Appendix D interface (and
  pyvqnet's): ``qiskit_circuits`` is the user's object holding a Qiskit circuit and a ``run``
  method, called once per input row as ``run(x)`` (no weights), ``run(x, w)`` or
  ``run(x=x, w=w)`` (pyvqnet's ``run(**kwargs)``); it returns a number or a 1-D array. The
  layer owns ``para_num`` weights (uniform on [0, 2 pi)) and differentiates both inputs and
  weights by the parameter-shift rule (a :class:`~vqnet_core.qnn.CompatibleLayer`): the
  circuit runs as a black box on whatever backend the object chose.
* :class:`QiskitCircuitLayer` ``(circuit, inputs, weights, observables)`` (also reached as
  ``QiskitLayer(circuit, inputs=..., weights=...)`` with a ``QuantumCircuit`` first) converts
  the circuit once to the IR and runs it on any VQNet machine: by default the built-in
  ``statevector`` with adjoint gradients, or ``machine="qiskit.aer"``.

>>> import numpy as np, vqnet_core as vq
>>> from qiskit import QuantumCircuit
>>> from qiskit.circuit import ParameterVector
>>> x, w = ParameterVector("x", 2), ParameterVector("w", 2)
>>> qc = QuantumCircuit(2)
>>> _ = qc.ry(x[0], 0); _ = qc.ry(x[1], 1); _ = qc.cx(0, 1); _ = qc.rx(w[0], 0); _ = qc.rx(w[1], 1)
>>> layer = QiskitLayer(qc, inputs=x, weights=w, observables=["ZI", "IZ"])
>>> layer(vq.tensor(np.zeros((3, 2)))).shape
(3, 2)
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from vqnet_core.qnn import CompatibleLayer, QuantumLayer
from vqnet_core.quantum import Hamiltonian

from .translate import from_qiskit, from_sparse_pauli_op, parameter_names


def _calling_convention(run: Any) -> str:
    """``"x"``, ``"xw"`` (two positional) or ``"kwargs"`` for a user's ``run``."""
    try:
        sig = inspect.signature(run)
    except (TypeError, ValueError):
        return "xw"
    ps = [p for p in sig.parameters.values()
          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()) and not ps:
        return "kwargs"
    if len(ps) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values()):
        return "xw"
    return "x"


class QiskitLayer(CompatibleLayer):
    """The paper's ``QiskitLayer(qiskit_circuits, para_num)``: a user object's ``run`` as a
    differentiable layer (parameter shift over inputs and weights).

    Given a ``QuantumCircuit`` instead of such an object, it builds the converted layer
    :class:`QiskitCircuitLayer` (the remaining arguments are that class's).
    """

    def __new__(cls, qiskit_circuits: Any = None, *args: Any, **kwargs: Any) -> Any:
        from qiskit import QuantumCircuit

        if isinstance(qiskit_circuits, QuantumCircuit):
            return QiskitCircuitLayer(qiskit_circuits, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, qiskit_circuits: Any, para_num: int = 0,
                 diff_method: str = "parameter-shift", dtype: Any = "float64") -> None:
        run = getattr(qiskit_circuits, "run", None)
        if not callable(run):
            raise TypeError("QiskitLayer needs an object with a run method (the paper's "
                            "QISKIT_VQC), or a QuantumCircuit with inputs= and weights=; got "
                            f"{type(qiskit_circuits).__name__}")
        if not isinstance(para_num, (int, np.integer)) or para_num < 0:
            raise ValueError(f"para_num must be a non-negative int, got {para_num!r}")
        super().__init__(int(para_num), diff_method=diff_method, dtype=dtype)
        self.qiskit_circuits = qiskit_circuits
        self.para_num = int(para_num)
        self._convention = _calling_convention(run)
        if self._convention == "x" and para_num:
            raise TypeError(f"{type(qiskit_circuits).__name__}.run takes only the input, but "
                            f"para_num={para_num} weights were asked for; define run(self, x, w)"
                            " (or run(self, **kwargs) reading x and w)")

    def run(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        obj = self.qiskit_circuits
        rows = []
        for x in inputs:
            if self._convention == "x":
                r = obj.run(x)
            elif self._convention == "kwargs":
                r = obj.run(x=x, w=weights)
            else:
                r = obj.run(x, weights)
            rows.append(np.atleast_1d(np.asarray(r, dtype=np.float64)).ravel())
        return np.stack(rows)

    def extra_repr(self) -> str:
        return f"{type(self.qiskit_circuits).__name__}, para_num={self.para_num}"


class QiskitCircuitLayer(QuantumLayer):
    """A ``QuantumCircuit`` converted once to the IR, run on a VQNet machine.

    ``inputs``: the parameters fed by the layer's input columns, in order (a ParameterVector,
    a list of Parameters or names); ``weights``: the trainable ones. ``observables``:
    ``SparsePauliOp`` s / Pauli labels (Qiskit order) or VQNet observables measured as
    expvals, one output column each; by default the circuit's final measurements (as
    probabilities of the measured qubits, in VQNet's order) or else ``<Z>`` of every qubit.
    Every free parameter must be an input or a weight. The remaining arguments are
    :class:`~vqnet_core.qnn.QuantumLayer`'s (``machine="statevector"``, ``diff_method="best"``:
    adjoint on the built-in machine, parameter shift on Aer).
    """

    def __init__(self, circuit: Any, inputs: Any = None, weights: Any = None,
                 observables: Sequence[Any] | None = None, machine: Any = "statevector",
                 diff_method: str = "best", shots: int | None = None,
                 dtype: Any = "complex128", seed: int | None = None,
                 **machine_options: Any) -> None:
        input_names = parameter_names(inputs) or []
        weight_names = parameter_names(weights) or []
        obs = None if observables is None else list(observables)
        fc = from_qiskit(circuit, inputs=input_names, weights=weight_names)
        n = circuit.num_qubits
        if obs is not None:
            kinds = [("expval", _observable(o)) for o in obs]
        elif fc.measurements:
            kinds = [("probs", fc.measurements[0].wires)]
        else:
            kinds = [("expval", Hamiltonian.from_any(f"Z{q}")) for q in range(n)]
        inputs_n, weights_n = list(input_names), list(weight_names)

        def circuit_fn(q: Any, x: Any, w: Any) -> None:
            values: dict[str, Any] = {}
            if inputs_n:
                if x is None or x.ndim != 2 or x.shape[1] != len(inputs_n):
                    shape = None if x is None else x.shape
                    raise ValueError(f"the layer expects inputs [B, {len(inputs_n)}] for "
                                     f"{', '.join(inputs_n)}; got {shape}")
                for i, name in enumerate(inputs_n):
                    values[name] = x[:, i]
            for j, name in enumerate(weights_n):
                values[name] = w[j]
            fc.record(q, values)
            for kind, what in kinds:
                if kind == "expval":
                    q.expval(what)
                else:
                    q.probs(list(what))

        super().__init__(circuit_fn, n, len(weights_n) or None, machine=machine,
                         diff_method=diff_method, shots=shots, dtype=dtype, seed=seed,
                         **machine_options)
        self.input_names, self.weight_names = inputs_n, weights_n
        self.foreign = fc

    def extra_repr(self) -> str:
        return (f"inputs={len(self.input_names)}, weights={len(self.weight_names)}, "
                + super().extra_repr())


def _observable(o: Any) -> Hamiltonian:
    if isinstance(o, str) and o and set(o) <= set("IXYZ"):
        return from_sparse_pauli_op(o)           # a Qiskit label, qubit 0 rightmost
    if isinstance(o, (Hamiltonian, dict, str, list, tuple)):
        return Hamiltonian.from_any(o)
    return from_sparse_pauli_op(o)
