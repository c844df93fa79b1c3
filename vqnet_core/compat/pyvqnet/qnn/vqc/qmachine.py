"""pyvqnet's ``QMachine`` and ``QModule`` over VQNet's circuit recorder.

pyvqnet's gate functions act on the states a ``QMachine`` holds. Here they append to the
machine's recorder instead (a :class:`vqnet_core.quantum.builder.Recorder`), and a measurement
runs the recorded circuit once on VQNet's ``statevector`` machine, differentiated by its adjoint
(angles that are QTensor expressions carry gradients back to inputs and weights through the
ordinary autograd). The observable behaviour -- states, measurements, gradients -- is pyvqnet's;
the work is VQNet's engine's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vqnet_core.dtypes import as_dtype
from vqnet_core.quantum.builder import Recorder
from vqnet_core.quantum.circuit import Measurement, State
from vqnet_core.quantum.gradients import run_circuit
from vqnet_core.quantum.registry import get_machine

from ...nn.module import Module

__all__ = ["QMachine", "QModule", "find_qmachine"]

_MACHINES: dict[str, Any] = {}


def _machine(name: str) -> Any:
    if name not in _MACHINES:
        _MACHINES[name] = get_machine(name)
    return _MACHINES[name]


class QModule(Module):
    """pyvqnet's base class of quantum modules (gates, templates, measurements)."""

    def __init__(self, name: str = "") -> None:
        super().__init__()
        self.name = name


class QMachine(Module):
    """A batch of ``num_wires``-qubit states, as pyvqnet's ``QMachine``.

    ``reset_states(batch)`` starts every row at ``|0...0>``; gate functions (``rx(qm, 0,
    params=x)``) and gate modules act on it; ``qm.states`` is the ``[batch, 2, ..., 2]`` state
    (wire 0 the leading axis); ``MeasureAll`` / ``Probability`` measure it.

    >>> from vqnet_core.compat.pyvqnet.qnn.vqc import MeasureAll, QMachine, hadamard, rx
    >>> qm = QMachine(2)
    >>> qm.reset_states(1)
    >>> hadamard(qm, 0)
    >>> rx(qm, 1, params=0.5)
    >>> round(MeasureAll(obs={"X0": 1.0})(q_machine=qm).item(), 5)  # complex64 by default
    1.0
    """

    def __init__(self, num_wires: int, dtype: Any = None, grad_mode: str = "",
                 save_ir: bool = False, machine: str = "statevector") -> None:
        super().__init__()
        if not isinstance(num_wires, (int, np.integer)) or num_wires < 1:
            raise ValueError(f"QMachine: num_wires must be a positive int, got {num_wires!r}")
        self.num_wires = int(num_wires)
        self.dtype = as_dtype(dtype if dtype is not None else "complex64")
        if self.dtype.kind != "c":
            raise ValueError(f"QMachine: dtype must be complex64 or complex128, got "
                             f"{self.dtype.name}")
        if grad_mode not in ("", "adjoint", "backprop"):
            raise ValueError(f"QMachine: grad_mode must be '', 'adjoint' or 'backprop', got "
                             f"{grad_mode!r}")
        self.grad_mode = grad_mode
        self.machine = machine
        self.reset_states(1)

    def reset_states(self, batchsize: int) -> None:
        """Forget the recorded gates: ``batchsize`` rows, each ``|0...0>``."""
        if not isinstance(batchsize, (int, np.integer)) or batchsize < 0:
            raise ValueError(f"reset_states: batchsize must be an int >= 0, got {batchsize!r}")
        self._rec = Recorder(self.num_wires, int(batchsize))

    @property
    def recorder(self) -> Recorder:
        """What the gates append to (VQNet's circuit recorder)."""
        return self._rec

    def run(self, measurements: Sequence[Measurement]) -> Any:
        """The recorded circuit with ``measurements``, as one differentiable tensor."""
        rec = self._rec
        rec.measurements = list(measurements)
        try:
            circuit, angles, ms = rec.build(self.dtype.to_real())
        finally:
            rec.measurements = []
        return run_circuit(_machine(self.machine), circuit, angles, ms, "best",
                           dtype=self.dtype.name)

    @property
    def states(self) -> Any:
        """The states ``[batch, 2, ..., 2]`` after the recorded gates (differentiable)."""
        out = self.run([State()])
        return out.reshape([out.shape[0]] + [2] * self.num_wires)

    def extra_repr(self) -> str:
        return f"num_wires={self.num_wires}, dtype={self.dtype.name}"


def find_qmachine(module: Module) -> QMachine:
    """The first ``QMachine`` inside ``module`` (pyvqnet's helper)."""
    for m in module.modules():
        if isinstance(m, QMachine):
            return m
    raise ValueError(f"{type(module).__name__} holds no QMachine")
