"""Cirq circuits inside VQNet networks: the paper's black-box :class:`CirqLayer` and the
converted-circuit :class:`CirqQuantumLayer`.

``CirqLayer(cirq_vqc, para_num)`` is pyvqnet's interface: ``cirq_vqc`` is a user object holding
a ``cirq.Circuit`` with a ``run`` method that simulates it and returns the measured result;
VQNet owns the ``para_num`` weights and differentiates by the parameter-shift rule (or central
finite differences). ``run(params)`` gets one input row followed by the weights (pyvqnet's
``run(thetas)``); a ``run(x, weights)`` of two arguments gets them apart.

>>> import cirq, numpy as np, sympy, vqnet_core as vq
>>> class QCircuit:
...     def __init__(self):
...         self.q, self.t = cirq.LineQubit(0), sympy.symbols("t0 t1")
...         self.circuit = cirq.Circuit(cirq.ry(self.t[0])(self.q), cirq.ry(self.t[1])(self.q))
...     def run(self, thetas):
...         r = cirq.Simulator().simulate(self.circuit, dict(zip(self.t, thetas)))
...         return [float(np.abs(r.final_state_vector[0]) ** 2)]
>>> layer = CirqLayer(QCircuit(), para_num=1)
>>> layer(vq.tensor([[0.3]], dtype="float64")).shape
(1, 1)

``CirqQuantumLayer(circuit, inputs, weights, observables)`` converts a ``cirq.Circuit`` with
sympy input and weight symbols once (:func:`~vqnet_cirq.translate.from_cirq`) and runs it on
any VQNet machine (default: the built-in ``statevector`` with adjoint gradients) or on a Cirq
machine (``machine="cirq.simulator"``, ``"cirq.qsim"``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import cirq
import numpy as np

from vqnet_core.qnn import QuantumLayer
from vqnet_core.qnn.compatible import CompatibleLayer

from . import translate as T

_DIFF = {"parameter_shift": "parameter-shift", "parameter-shift": "parameter-shift",
         "finite_diff": "finite-diff", "finite-diff": "finite-diff"}


class CirqLayer(CompatibleLayer):
    """pyvqnet's ``CirqLayer(cirq_vqc, para_num)``: ``cirq_vqc.run`` simulates its Cirq
    circuit for one row and returns the result (a float or a 1-D array)."""

    def __init__(self, cirq_vqc: Any, para_num: int, diff_method: str = "parameter_shift",
                 delta: float = 1e-6, dtype: Any = "float64") -> None:
        run = getattr(cirq_vqc, "run", None)
        if not callable(run):
            raise TypeError(f"CirqLayer needs an object with a run method (pyvqnet's "
                            f"cirq_vqc), got {type(cirq_vqc).__name__}")
        if diff_method not in _DIFF:
            raise ValueError(f"diff_method must be 'parameter_shift' or 'finite_diff', got "
                             f"{diff_method!r}")
        if not isinstance(para_num, int) or para_num < 0:
            raise ValueError(f"para_num must be an int >= 0, got {para_num!r}")
        super().__init__(para_num, _DIFF[diff_method], dtype, delta)
        self.cirq_vqc = cirq_vqc
        try:
            params = [p for p in inspect.signature(run).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            params = []
        self._two_args = len(params) >= 2

    def run(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        f: Callable[..., Any] = self.cirq_vqc.run
        rows = [np.atleast_1d(np.asarray(f(x, weights) if self._two_args else
                                         f(np.concatenate([x, weights])), dtype=np.float64))
                for x in inputs]
        return np.stack(rows)


class CirqQuantumLayer(QuantumLayer):
    """A ``cirq.Circuit`` converted once and run on a VQNet machine: ``inputs`` are the
    symbols fed by the previous layer (column ``i`` of ``x`` -> ``inputs[i]``), ``weights``
    the trainable ones, ``observables`` the ``cirq.PauliSum`` / ``PauliString`` measured
    (one output column each); without observables, the probabilities of all qubits."""

    def __init__(self, circuit: cirq.AbstractCircuit, inputs: Sequence[Any] = (),
                 weights: Sequence[Any] = (), observables: Sequence[Any] | Any = None,
                 qubit_order: Sequence[cirq.Qid] | None = None, machine: str = "statevector",
                 diff_method: str = "best", shots: int | None = None,
                 dtype: Any = "complex128", seed: int | None = None,
                 **machine_options: Any) -> None:
        ins = [str(s) for s in inputs]
        ws = [str(s) for s in weights]
        fc = T.from_cirq(circuit, qubit_order=qubit_order, inputs=ins, weights=ws,
                         measurements=False)
        if observables is None:
            obs = None
        else:
            items = [observables] if isinstance(observables, (cirq.PauliSum, cirq.PauliString)) \
                else list(observables)
            obs = [T.from_pauli_sum(o, fc.qubit_order) for o in items]

        def circuit_fn(q, x, w):
            vals: dict[str, Any] = {}
            for i, name in enumerate(ins):
                vals[name] = x[:, i]
            for j, name in enumerate(ws):
                vals[name] = w[j]
            fc.record(q, {k: v for k, v in vals.items() if k in fc.parameters})
            if obs is None:
                q.probs(list(range(fc.circuit.num_wires)))
            else:
                for h in obs:
                    q.expval(h)
        super().__init__(circuit_fn, fc.circuit.num_wires, len(ws) or None, machine,
                         diff_method, shots, dtype, seed, **machine_options)
        self.foreign = fc
        self.input_symbols, self.weight_symbols = tuple(ins), tuple(ws)
