"""QuantumLayer and NoiseQuantumLayer: variational circuits as nn Modules.

The circuit function receives the recorder ``q``, the layer input ``x`` ``[B, n_in]`` (or None)
and the weights ``w`` (a Parameter of ``weight_shape``, or None)::

    def circuit(q, x, w):
        for i in range(2):
            q.ry(i, x[:, i])
            q.rz(i, w[i] * x[:, i])
        q.cnot(0, 1)
        q.expval({"Z0": 1.0})
        q.expval({"Z1": 1.0})

>>> import vqnet_core as vq
>>> def circuit(q, x, w):
...     q.ry(0, x[:, 0]); q.rx(0, w[0]); q.expval({"Z0": 1.0})
>>> layer = QuantumLayer(circuit, num_qubits=1, weight_shape=1)
>>> layer(vq.tensor([[0.1], [0.2]])).shape
(2, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..dtypes import as_dtype
from ..nn.module import Module, Parameter
from ..quantum.builder import Recorder
from ..quantum.gradients import DIFF_METHODS, run_circuit
from ..quantum.machine import Machine
from ..quantum.noise import NoiseModel
from ..quantum.registry import get_machine
from ..tensor import QTensor

CircuitFn = Callable[[Recorder, Any, Any], Any]


class QuantumLayer(Module):
    """A differentiable circuit with trainable weights (initialised uniform on [0, 2 pi)).

    ``machine``: a registered name or a Machine instance. ``diff_method``: ``"best"``,
    ``"adjoint"``, ``"parameter-shift"`` or ``"finite-diff"``. ``shots``: None for exact results.
    ``dtype``: the simulation precision, ``complex128`` (default) or ``complex64``; the output is
    real, in the input's float dtype when the input is a float tensor.
    """

    def __init__(self, circuit_fn: CircuitFn, num_qubits: int, weight_shape: Any = None,
                 machine: str | Machine = "statevector", diff_method: str = "best",
                 shots: int | None = None, dtype: Any = "complex128", seed: int | None = None,
                 **machine_options: Any) -> None:
        super().__init__()
        if not callable(circuit_fn):
            raise TypeError("circuit_fn must be a function (q, x, w) -> None")
        if not isinstance(num_qubits, int) or num_qubits < 1:
            raise ValueError(f"num_qubits must be a positive int, got {num_qubits!r}")
        if diff_method not in DIFF_METHODS:
            raise ValueError(f"unknown diff_method {diff_method!r}; choose one of {DIFF_METHODS}")
        cdt = as_dtype(dtype)
        if cdt.kind != "c":
            raise TypeError(f"dtype must be complex64 or complex128, got {cdt.name}")
        self.circuit_fn = circuit_fn
        self.num_qubits = num_qubits
        self.machine = get_machine(machine, **machine_options)
        self.diff_method = diff_method
        self.shots = shots
        self.seed = seed
        self.dtype = cdt
        if machine_options.get("noise_model") is not None and not self.machine.capabilities.noise:
            raise ValueError(f"machine {self.machine.name!r} does not simulate noise")
        self._last = None
        shape = _shape(weight_shape)
        if shape is None:
            self.weights = None
        else:
            from ..ops.creation import uniform
            self.weights = Parameter(uniform(shape, 0.0, 2 * math.pi, dtype=cdt.to_real()))

    def record(self, x: QTensor | None = None) -> Recorder:
        """Run the circuit function on a fresh recorder (no execution)."""
        bsz = x.shape[0] if isinstance(x, QTensor) and x.ndim >= 1 else None
        q = Recorder(self.num_qubits, bsz)
        ret = self.circuit_fn(q, x, self.weights)
        if not q.measurements and ret is not None:
            from ..quantum.circuit import Measurement
            ms = [ret] if isinstance(ret, Measurement) else list(ret)
            q.measurements.extend(ms)
        return q

    def forward(self, x: Any = None) -> QTensor:
        if x is not None and not isinstance(x, QTensor):
            x = QTensor(x)
        q = self.record(x)
        circuit, angles, ms = q.build(self.dtype.to_real())
        # keep the previous Circuit when the structure is unchanged: its compiled plan and
        # unrolled copies stay cached on it
        if self._last is not None and self._last.key() == circuit.key():
            circuit = self._last
        self._last = circuit
        # a real result comes back in the input's float dtype (cast inside the circuit node)
        out_dtype = x.dtype if isinstance(x, QTensor) and x.dtype.kind == "f" else None
        return run_circuit(self.machine, circuit, angles, ms, self.diff_method, self.shots,
                           self.seed, self.dtype.name, out_dtype)

    def draw(self, x: Any = None, path: Any = None, **kwargs: Any) -> str:
        """The circuit recorded for input ``x``: text, or a PNG saved to ``path``."""
        from ..quantum.drawing import draw_layer

        return draw_layer(self, x, path, **kwargs)

    def extra_repr(self) -> str:
        return (f"num_qubits={self.num_qubits}, machine={self.machine.name!r}, "
                f"diff_method={self.diff_method!r}, shots={self.shots}")


class NoiseQuantumLayer(QuantumLayer):
    """A QuantumLayer on a noise-capable machine (``density_matrix`` by default).

    ``noise_model=None`` keeps the machine's own noise: an emulated QPU's calibrated noise
    (``NoiseQuantumLayer(circuit, 2, w, None, machine="qpu.ibm_torino", shots=4000)``), none
    on ``density_matrix``.

    >>> from vqnet_core.quantum.noise import NoiseModel, depolarizing
    >>> nm = NoiseModel().add_channel(depolarizing(0.01))
    >>> layer = NoiseQuantumLayer(lambda q, x, w: q.expval("Z0"), 1, None, nm)
    >>> round(layer().item(), 4)
    1.0
    """

    def __init__(self, circuit_fn: CircuitFn, num_qubits: int, weight_shape: Any,
                 noise_model: NoiseModel | None = None, machine: str = "density_matrix",
                 diff_method: str = "best", shots: int | None = None,
                 dtype: Any = "complex128", seed: int | None = None) -> None:
        if noise_model is not None and not isinstance(noise_model, NoiseModel):
            raise TypeError(f"noise_model must be a NoiseModel or None (the machine's own "
                            f"noise), got {type(noise_model).__name__}")
        opts = {} if noise_model is None else {"noise_model": noise_model}
        super().__init__(circuit_fn, num_qubits, weight_shape, machine, diff_method, shots,
                         dtype, seed, **opts)
        if not self.machine.capabilities.noise:
            raise ValueError(f"NoiseQuantumLayer needs a machine that simulates noise; "
                             f"{self.machine.name!r} does not (use density_matrix or a qpu.* "
                             "machine)")
        self.noise_model = noise_model


def _shape(weight_shape: Any) -> tuple[int, ...] | None:
    if weight_shape is None or weight_shape == 0 or weight_shape == ():
        return None
    if isinstance(weight_shape, int):
        if weight_shape < 0:
            raise ValueError(f"weight_shape must be >= 0, got {weight_shape}")
        return (weight_shape,)
    shape = tuple(int(s) for s in weight_shape)
    if any(s < 1 for s in shape):
        raise ValueError(f"invalid weight_shape {weight_shape}")
    return shape
