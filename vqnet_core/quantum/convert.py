"""Circuits from other libraries: one public entry point, :func:`convert_circuit`.

A plugin that translates a foreign circuit type (a Qiskit ``QuantumCircuit``, a Cirq
``Circuit``, a PennyLane ``QuantumScript``, ...) answers the ``vqnet_circuit_converters`` hook
(:mod:`vqnet_core.hooks`) with ``{"module.QualifiedTypeName": converter}``. A converter is called
as ``converter(obj, **options)`` and returns a :class:`ForeignCircuit`: the IR circuit, whose
angle columns are affine functions of the foreign circuit's named parameters, and the
measurements the foreign circuit ends with. Any VQNet machine then runs it.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef, get_machine
>>> fc = ForeignCircuit(Circuit(1, [Operation("RY", (0,), (ParamRef(0),))]),
...                     columns=(AffineAngle("t", 2.0, 0.0),), measurements=(Expval("Z0"),))
>>> fc.parameters
('t',)
>>> a = fc.angles({"t": [0.0, np.pi / 4]})                 # RY(2 t): [B, S] angle rows
>>> np.round(get_machine("statevector").execute(fc.circuit, a, fc.measurements)[0], 6)
array([1., 0.])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .circuit import Circuit, Measurement

Converter = Callable[..., "ForeignCircuit"]

_local: dict[str, Converter] = {}


class ConversionError(ValueError):
    """A foreign circuit cannot be converted: no converter for its type, or an instruction or
    parameter the IR cannot express (the message names it)."""


@dataclass(frozen=True)
class AffineAngle:
    """One angle column of a converted circuit: ``scale * params[name] + offset``, or the
    constant ``offset`` when ``name`` is None."""

    name: str | None
    scale: float = 1.0
    offset: float = 0.0

    def __post_init__(self) -> None:
        for what in ("scale", "offset"):
            v = getattr(self, what)
            if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)):
                raise ConversionError(f"AffineAngle {what} must be a finite real number, "
                                      f"got {v!r}")


@dataclass(frozen=True)
class ForeignCircuit:
    """A converted circuit. ``ParamRef(j)`` in ``circuit`` is column ``j`` of
    :meth:`angles`, given by ``columns[j]``; ``measurements`` are the foreign circuit's own
    (empty where it declares none); ``source`` keeps the original object."""

    circuit: Circuit
    columns: tuple[AffineAngle, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    source: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.circuit.num_angles > len(self.columns):
            raise ConversionError(f"the circuit reads {self.circuit.num_angles} angle columns "
                                  f"but only {len(self.columns)} are defined")

    @property
    def parameters(self) -> tuple[str, ...]:
        """The free parameter names, in the order of their first column."""
        return tuple(dict.fromkeys(c.name for c in self.columns if c.name is not None))

    def angles(self, values: Mapping[str, Any]) -> np.ndarray:
        """The ``[B, S]`` float64 angle array for parameter values (scalars or ``[B]`` rows;
        scalars broadcast over the batch)."""
        missing = [p for p in self.parameters if p not in values]
        if missing:
            raise ConversionError(f"no value for parameter(s) {', '.join(missing)}; the circuit "
                                  f"has {', '.join(self.parameters) or 'none'}")
        rows = {k: np.atleast_1d(np.asarray(values[k], dtype=np.float64))
                for k in self.parameters}
        sizes = {v.shape[0] for v in rows.values() if v.shape[0] != 1}
        if len(sizes) > 1 or any(v.ndim != 1 for v in rows.values()):
            raise ConversionError("parameter values must be scalars or 1-D rows of one batch "
                                  f"size, got shapes { {k: v.shape for k, v in rows.items()} }")
        batch = sizes.pop() if sizes else 1
        out = np.empty((batch, len(self.columns)))
        for j, c in enumerate(self.columns):
            out[:, j] = c.offset if c.name is None else c.scale * rows[c.name] + c.offset
        return out

    def angles_tensor(self, values: Mapping[str, Any]) -> Any:
        """As :meth:`angles`, built from QTensors ``[B]`` (or scalars) with recorded ops, so
        that gradients flow back to the parameter values."""
        from ..ops.functions import stack
        from ..tensor import QTensor

        missing = [p for p in self.parameters if p not in values]
        if missing:
            raise ConversionError(f"no value for parameter(s) {', '.join(missing)}")
        vals = {k: v if isinstance(v, QTensor) else QTensor(np.asarray(v, dtype=np.float64))
                for k, v in values.items()}
        bad = {k: v.shape for k, v in vals.items() if v.ndim > 1}
        if bad:
            raise ConversionError(f"parameter values must be scalars or [B] rows, got {bad}")
        batch = max((v.shape[0] for v in vals.values() if v.ndim == 1), default=1)
        zeros = QTensor(np.zeros(batch))
        cols = []
        for c in self.columns:
            if c.name is None:
                cols.append(zeros + c.offset)
                continue
            col = vals[c.name] * c.scale + c.offset
            cols.append(col + zeros if col.ndim == 0 else col)  # scalars broadcast (grad sums)
        return stack(cols, axis=1) if cols else QTensor(np.zeros((batch, 0)))


    def record(self, q: Any, values: Mapping[str, Any]) -> None:
        """Replay the gates onto a circuit recorder ``q`` (the ``q`` of a
        :class:`~vqnet_core.qnn.QuantumLayer` circuit function), each angle column built from
        ``values`` (QTensors ``[B]`` or numbers), so that the foreign circuit trains inside a
        layer; the measurements are left to the caller (``q.expval(...)``, ...)."""
        from .circuit import ParamRef

        missing = [p for p in self.parameters if p not in values]
        if missing:
            raise ConversionError(f"no value for parameter(s) {', '.join(missing)}")
        cols = [c.offset if c.name is None else values[c.name] * c.scale + c.offset
                for c in self.columns]
        for op in self.circuit.ops:
            params = [cols[p.index] if isinstance(p, ParamRef) else p for p in op.params]
            q.gate(op.name, op.wires, *params, matrix=op.matrix)


def register_converter(type_name: str, converter: Converter) -> None:
    """Register ``converter`` for objects whose type (or a base class) is ``type_name``
    (``"module.QualifiedName"``) in this process; plugins answer the hook instead."""
    _local[type_name] = converter


def _type_names(obj: Any) -> list[str]:
    return [f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__]


def available_converters() -> dict[str, Converter]:
    """Every converter the installed plugins declare (through the ``vqnet_circuit_converters``
    hook), and the in-process ones, by type name."""
    from ..hooks import plugin_manager

    found: dict[str, Converter] = {}
    for answer in plugin_manager().hook.vqnet_circuit_converters():
        found.update(answer or {})
    found.update(_local)
    return found


def convert_circuit(obj: Any, **options: Any) -> ForeignCircuit:
    """Convert a circuit object of another library with the converter a plugin registers for
    its type (or a base class of it)."""
    if isinstance(obj, ForeignCircuit):
        return obj
    table = available_converters()
    for name in _type_names(obj):
        if name in table:
            out = table[name](obj, **options)
            if not isinstance(out, ForeignCircuit):
                raise TypeError(f"the converter for {name} returned {type(out).__name__}, "
                                "not a ForeignCircuit")
            return out
    known = ", ".join(sorted(table)) or "none"
    raise ConversionError(f"no circuit converter for objects of type {_type_names(obj)[0]}; "
                          f"converters installed for: {known}. A plugin for that library "
                          "(vqnet info lists them) registers one")


__all__: Sequence[str] = ["AffineAngle", "ConversionError", "ForeignCircuit",
                          "available_converters", "convert_circuit", "register_converter"]
