"""``PennyLaneLayer``: a QNode as a VQNet Module, what ``qml.qnn.TorchLayer`` is for PyTorch.

The QNode takes the layer input as its argument ``inputs`` (``[B, n_in]``, broadcast by
PennyLane) and its weights as keyword arguments named in ``weight_shapes``; the weights
become :class:`~vqnet_core.nn.Parameter` s (uniform on ``[0, 2 pi)``).

* ``machine=None``: the QNode runs on its own device; gradients come from PennyLane with the
  QNode's ``diff_method`` (``"best"``: adjoint / device VJP where the device offers it,
  backprop on ``default.qubit``, else parameter shift), through PennyLane's autograd interface.
* ``machine="statevector"`` (any VQNet machine): the QNode's tape is decomposed by PennyLane to
  the machine's gates and converted to the IR (:mod:`vqnet_pennylane.translate`); the circuit
  runs on the machine with VQNet's ``diff_method`` (adjoint where the machine has it), and the
  chain to ``inputs`` / weights goes through the tape's parameters (PennyLane's autograd).

>>> import pennylane as qml, vqnet_core as vq
>>> dev = qml.device("default.qubit", wires=2)
>>> @qml.qnode(dev)
... def qnode(inputs, w):
...     qml.AngleEmbedding(inputs, wires=range(2))
...     qml.BasicEntanglerLayers(w, wires=range(2))
...     return [qml.expval(qml.Z(i)) for i in range(2)]
>>> layer = PennyLaneLayer(qnode, {"w": (1, 2)})
>>> layer(vq.ones((3, 2))).shape
(3, 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pennylane as qml
from autograd import make_vjp

import vqnet_core as vq
from vqnet_core import Function, QTensor
from vqnet_core.nn import Module, Parameter
from vqnet_core.quantum import get_machine
from vqnet_core.quantum.gradients import run_circuit

from .translate import GATE_MAP, decompose_for, measurement_to_ir, tape_to_ir, wire_order


def _shape(s: Any) -> tuple[int, ...]:
    return (int(s),) if isinstance(s, (int, np.integer)) else tuple(int(v) for v in s)


class _Packed:
    """Concatenates the layer's numeric arguments into one flat vector ``z`` (autograd
    differentiates functions of one array) and unpacks them again."""

    def __init__(self, shapes: list[tuple[int, ...]]) -> None:
        self.shapes = shapes
        self.sizes = [int(np.prod(s)) for s in shapes]

    def pack(self, arrays) -> np.ndarray:
        return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) \
            if arrays else np.zeros(0)

    def unpack(self, z):
        out, o = [], 0
        for s, n in zip(self.shapes, self.sizes):
            out.append(qml.math.reshape(z[o:o + n], s))
            o += n
        return out


class _AutogradFn(Function):
    """A VQNet node around ``fun(z) -> array``, differentiated by autograd's VJP."""

    @staticmethod
    def forward(ctx, *args, layer=None, fun=None):
        tensors = [a for a in args if a is not None]
        packed = _Packed([tuple(t.shape) for t in tensors])
        z = packed.pack([t.numpy() for t in tensors])
        vjp, out = make_vjp(lambda zz: fun(packed.unpack(zz)))(z)
        ctx.vjp, ctx.packed, ctx.present = vjp, packed, [a is not None for a in args]
        ctx.dtypes = [t.dtype.name for t in tensors]
        odt = tensors[0].dtype.name if tensors and tensors[0].dtype.kind == "f" else "float64"
        return QTensor(np.asarray(out, dtype=np.float64).astype(odt))

    @staticmethod
    def backward(ctx, g):
        gz = ctx.vjp(np.asarray(g.numpy(), dtype=np.float64))
        parts = iter(ctx.packed.unpack(np.asarray(gz)))
        dts = iter(ctx.dtypes)
        return tuple(QTensor(np.asarray(next(parts)).astype(next(dts))) if p else None
                     for p in ctx.present)


class PennyLaneLayer(Module):
    """A QNode with trainable weights as a VQNet layer.

    Args:
        qnode: a ``qml.QNode`` whose argument ``inputs`` (``input_arg``) takes the layer input
            and whose other arguments are the weights named in ``weight_shapes``.
        weight_shapes: ``{name: shape}``.
        machine: None (the QNode's device) or a VQNet machine name / instance to run the
            converted circuit on; ``diff_method``, ``shots``, ``dtype``, ``seed`` then go to it.
    """

    def __init__(self, qnode: Any, weight_shapes: Mapping[str, Any], machine: Any = None,
                 diff_method: str = "best", shots: int | None = None,
                 dtype: str = "complex128", seed: int | None = None,
                 input_arg: str = "inputs") -> None:
        super().__init__()
        if not isinstance(qnode, qml.QNode):
            raise TypeError(f"PennyLaneLayer takes a qml.QNode, got {type(qnode).__name__}")
        self.qnode = qnode.update(interface="autograd")
        self.input_arg = input_arg
        self.weight_names = list(weight_shapes)
        for name, shape in weight_shapes.items():
            p = Parameter(vq.uniform(_shape(shape), 0.0, 2 * math.pi, dtype="float64"))
            setattr(self, name, p)
        self.machine = None if machine is None else get_machine(machine)
        self.diff_method, self.shots, self.dtype, self.seed = diff_method, shots, dtype, seed
        self._last = None

    def _call_qnode(self, x, ws):
        kw = dict(zip(self.weight_names, ws))
        if x is not None:
            kw[self.input_arg] = x
        return self.qnode(**kw)

    def _stack(self, res, batch):
        res = res if isinstance(res, (tuple, list)) else [res]
        if batch is None:
            return qml.math.hstack([qml.math.reshape(r, (-1,)) for r in res])
        return qml.math.hstack([qml.math.reshape(r, (batch, -1)) for r in res])

    def forward(self, x: Any = None) -> QTensor:
        if x is not None and not isinstance(x, QTensor):
            x = QTensor(np.asarray(x, dtype=np.float64))
        ws = [getattr(self, n) for n in self.weight_names]
        batch = None if x is None else x.shape[0]
        if self.machine is None:
            def fun(parts):
                xs, wv = (parts[0], parts[1:]) if x is not None else (None, parts)
                return self._stack(self._call_qnode(xs, wv), batch)
            return _AutogradFn.apply(x, *ws, layer=self, fun=fun)
        return self._forward_machine(x, ws, batch)

    # ---------------------------------------------------------------- on a VQNet machine
    def converted(self, x: Any = None):
        """``(tape, ir)``: the QNode's tape for input ``x`` decomposed to the machine's gates,
        and its IR (:class:`~vqnet_pennylane.translate.IRTape`)."""
        ws = [getattr(self, n).numpy() for n in self.weight_names]
        tape = qml.workflow.construct_tape(self.qnode)(
            **dict(zip(self.weight_names, ws)), **({} if x is None else {self.input_arg: x}))
        t = decompose_for(tape, self.machine.capabilities.gates)
        return t, tape_to_ir(t)

    def _forward_machine(self, x, ws, batch):
        xv = None if x is None else x.numpy().astype(np.float64)
        tape, ir = self.converted(xv)
        order = wire_order(tape)
        meas = [measurement_to_ir(mp, order) for mp in tape.measurements]
        if any(m is None for m in meas):
            raise ValueError(f"measurements {tape.measurements} have no VQNet form")
        b = ir.angles.shape[0]
        gates = self.machine.capabilities.gates

        def angles_of(parts):
            xs, wv = (parts[0], parts[1:]) if x is not None else (None, parts)
            kw = dict(zip(self.weight_names, wv))
            if xs is not None:
                kw[self.input_arg] = xs
            t = decompose_for(qml.workflow.construct_tape(self.qnode)(**kw), gates)
            cols = [qml.math.ones(b) * d for op in t.operations
                    if op.name in GATE_MAP and op.name != "QubitUnitary" for d in op.data]
            return qml.math.stack(cols, axis=1) if cols else np.zeros((b, 0))

        angles = _AutogradFn.apply(x, *ws, layer=self, fun=angles_of)
        if self._last is not None and self._last.key() == ir.circuit.key():
            ir.circuit = self._last
        self._last = ir.circuit
        out = run_circuit(self.machine, ir.circuit, angles, meas, self.diff_method, self.shots,
                          self.seed, self.dtype, None if x is None else x.dtype)
        return out if batch is not None else out.reshape((-1,))

    def extra_repr(self) -> str:
        m = "its device" if self.machine is None else repr(self.machine.name)
        return f"qnode={getattr(self.qnode, '__name__', 'qnode')}, on={m}"
