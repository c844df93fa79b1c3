"""The recorder ``q`` that a circuit function writes gates onto, inside a network.

Gate methods take the wires first, then the angles: ``q.ry(0, x[:, 0])``,
``q.crx(0, 1, w[2])``, ``q.rot(2, a, b, c)``, ``q.multirz([0, 1, 2], t)``,
``q.qubit_unitary(U, [0, 1])``. An angle may be a number (a constant of the circuit) or any
QTensor expression, batched ``[B]`` or a scalar; :meth:`Recorder.build` gathers all tensor angles
into one ``[B, S]`` tensor so a machine differentiates only w.r.t. angles and the ordinary
autograd carries gradients on to inputs and weights.

>>> import vqnet_core as vq
>>> q = Recorder(2)
>>> x = vq.tensor([[0.1], [0.2]], dtype="float64")
>>> q.ry(0, x[:, 0]); q.cnot(0, 1); _ = q.expval({"Z1": 1.0})
>>> circuit, angles, ms = q.build()
>>> [op.name for op in circuit.ops], angles.shape
(['RY', 'CNOT'], (2, 1))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Number
from types import MethodType
from typing import Any

import numpy as np

from ..dtypes import as_dtype
from ..tensor import QTensor
from .circuit import (
    Amplitude,
    Circuit,
    Density,
    Expval,
    Measurement,
    Operation,
    ParamRef,
    Probs,
    Sample,
)
from .circuit import State as StateM
from .gates import GateError, canonical_name, get_gate
from .observables import Hamiltonian


class Recorder:
    """Collects operations and angle tensors for one circuit execution."""

    def __init__(self, num_wires: int, batch_size: int | None = None) -> None:
        if not isinstance(num_wires, (int, np.integer)) or num_wires < 1:
            raise ValueError(f"num_wires must be a positive int, got {num_wires!r}")
        self.num_wires = int(num_wires)
        self.batch_size = batch_size
        self.ops: list[Operation] = []
        self.angles: list[QTensor] = []
        self.measurements: list[Measurement] = []

    # ---------------------------------------------------------------- gates
    def gate(self, name: str, wires: Sequence[int] | int, *params: Any,
             matrix: Any = None) -> None:
        """Append gate ``name`` on ``wires`` with angles ``params``."""
        name = canonical_name(name)
        ws = (int(wires),) if isinstance(wires, (int, np.integer)) else tuple(int(w) for w in
                                                                            wires)
        for w in ws:
            if not 0 <= w < self.num_wires:
                raise GateError(f"{name} on wire {w}: out of range for {self.num_wires} wires")
        refs = tuple(self._angle(name, p) for p in params)
        m = None
        if matrix is not None:
            m = matrix.numpy() if isinstance(matrix, QTensor) else np.asarray(matrix)
        self.ops.append(Operation(name, ws, refs, m))

    def _angle(self, gate: str, p: Any) -> ParamRef | float:
        if isinstance(p, QTensor):
            if p.dtype.kind not in "fi":
                raise TypeError(f"{gate}: an angle must be real, got dtype {p.dtype.name}")
            shape = p.shape
            if len(shape) == 2 and shape[1] == 1:
                p = p.reshape(shape[0])
                shape = p.shape
            if len(shape) > 1:
                raise ValueError(f"{gate}: an angle must be a scalar or a batch [B], got shape "
                                 f"{shape}")
            if len(shape) == 1:
                if self.batch_size is None and shape[0] != 1:
                    self.batch_size = shape[0]
                elif shape[0] not in (1, self.batch_size):
                    raise ValueError(f"{gate}: angle batch {shape[0]} does not match the batch "
                                     f"size {self.batch_size}")
            self.angles.append(p)
            return ParamRef(len(self.angles) - 1)
        if isinstance(p, np.ndarray) and p.ndim > 0:
            return self._angle(gate, QTensor(p.astype(np.float64)))
        if isinstance(p, (Number, np.number)) and not isinstance(p, (bool, complex)):
            return float(p)
        raise TypeError(f"{gate}: an angle must be a number or a QTensor, got "
                        f"{type(p).__name__}")

    def __getattr__(self, attr: str):
        if attr.startswith("_"):
            raise AttributeError(attr)
        fn = _METHODS.get(attr)
        if fn is None:
            fn = _gate_method(attr)  # raises AttributeError for a name that is no gate
            _METHODS[attr] = fn
        return MethodType(fn, self)

    # ---------------------------------------------------------------- measurements
    def expval(self, observable: Any) -> Expval:
        """``<H>`` for a dict ``{"Z0 Z1": 0.5}``, a Pauli string or a Hamiltonian."""
        m = Expval(_observable(observable))
        self.measurements.append(m)
        return m

    def probs(self, wires: Sequence[int] | int | None = None) -> Probs:
        m = Probs(wires)
        self.measurements.append(m)
        return m

    def sample(self, wires: Sequence[int] | int | None = None) -> Sample:
        m = Sample(wires)
        self.measurements.append(m)
        return m

    def state(self) -> StateM:
        m = StateM()
        self.measurements.append(m)
        return m

    def amplitude(self, states: Any) -> Amplitude:
        """Amplitudes of chosen basis states (ints or bit strings like ``"0110"``)."""
        m = Amplitude(states)
        self.measurements.append(m)
        return m

    def density(self) -> Density:
        m = Density()
        self.measurements.append(m)
        return m

    # ---------------------------------------------------------------- result
    def build(self, dtype: Any = "float64") -> tuple[Circuit, QTensor, list[Measurement]]:
        """``(circuit, angles [B, S], measurements)``."""
        from ..ops.creation import zeros
        from ..ops.shape import broadcast_to

        bsz = 1 if self.batch_size is None else self.batch_size  # 0: an empty batch
        if not self.measurements:
            raise ValueError("the circuit function recorded no measurement; call q.expval(...), "
                             "q.probs(...), q.sample(...) or q.state()")
        if self.angles:
            cols = [a if a.shape == (bsz,) else broadcast_to(a.reshape(-1)
                    if a.ndim else a, (bsz,)) for a in self.angles]
            angles = _columns(cols, bsz, as_dtype(dtype))
        else:
            angles = zeros((bsz, 0), dtype=dtype)
        return Circuit(self.num_wires, self.ops), angles, self.measurements


# ---------------------------------------------------------------- hot-path helpers
# A network records its circuit on every forward call, so what can be computed once per gate
# name or observable is cached here.
_METHODS: dict[str, Callable[..., None]] = {}
_OBSERVABLES: dict[Any, Hamiltonian] = {}


def _gate_method(attr: str) -> Callable[..., None]:
    """The recorder method ``q.<attr>(wires..., angles...)`` of a gate."""
    try:
        name = canonical_name(attr.replace("_", ""))
    except GateError:
        raise AttributeError(f"Recorder has no gate or method {attr!r}") from None
    g = get_gate(name)
    k = g.num_wires if g.num_wires is not None else 1

    def method(self: Recorder, *args: Any, **kwargs: Any) -> None:
        if name == "QubitUnitary":
            matrix = kwargs.get("matrix", args[0] if args else None)
            wires = kwargs.get("wires", args[1] if len(args) > 1 else None)
            if matrix is None or wires is None:
                raise TypeError("qubit_unitary(matrix, wires) needs both arguments")
            return self.gate(name, wires, matrix=matrix)
        if args and isinstance(args[0], (list, tuple)):
            return self.gate(name, args[0], *args[1:])
        return self.gate(name, args[:k], *args[k:])
    method.__name__ = attr
    method.__doc__ = f"Append {name} (wires first, then {g.num_params} angle(s))."
    return method


def _observable(obs: Any) -> Any:
    """``obs`` parsed once: a Hamiltonian for a Pauli string or a dict of them (the parse
    result is immutable, so one object serves every call); anything else as given."""
    if isinstance(obs, str):
        key: Any = obs
    elif isinstance(obs, dict):
        key = ("dict",) + tuple(obs.items())
    else:
        return obs
    try:
        h = _OBSERVABLES.get(key)
    except TypeError:  # unhashable coefficients: parse every time
        return obs
    if h is None:
        h = Hamiltonian.from_any(obs)  # raises on bad input: nothing is cached then
        if len(_OBSERVABLES) >= 1024:
            _OBSERVABLES.clear()
        _OBSERVABLES[key] = h
    return h


def _columns(cols: list[QTensor], bsz: int, dtype: Any) -> QTensor:
    """The ``[bsz]`` angle tensors as the columns of one ``[bsz, S]`` tensor of ``dtype``:
    one tape node (the generic stack + cast records 2 S + 2)."""
    from ..ops._base import make

    B = cols[0]._b
    if any(c._b is not B for c in cols):
        from ..ops.shape import stack
        return stack(cols, axis=1).astype(dtype)
    datas = [B.reshape(c._data, (bsz, 1)) for c in cols]
    data = datas[0] if len(datas) == 1 else B.concatenate(datas, 1)
    if B.dtype_name(data) != dtype.name:
        data = B.astype(data, dtype.name)
    grads = tuple(c._dtype.kind == "f" for c in cols)

    def backward(g):
        if len(cols) == 1:
            return (B.reshape(g, (bsz,)),)
        return tuple(B.reshape(B.getitem(g, (slice(None), slice(j, j + 1))), (bsz,))
                     if grads[j] else None for j in range(len(cols)))
    return make(data, B, dtype, cols, backward if any(grads) else None, "angles")
