"""Differentiable circuit execution: one autograd node on the ``[B, S]`` angle tensor.

``diff_method``:

* ``"adjoint"``: the machine's ``vjp`` (exact; no shots),
* ``"parameter-shift"``: every shifted angle set of every gate parameter (the gate's own rule:
  two terms for Pauli rotations, four for controlled rotations...) in ONE batched execute call
  (chunked only when memory would overflow); with shots this is the method to use,
* ``"finite-diff"``: central differences, also batched,
* ``"best"``: adjoint when the machine has it and there are no shots, else parameter shift when
  every measurement is an expval / probs, else finite differences.

>>> import vqnet_core as vq
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> a = vq.tensor([[0.3]], dtype="float64", requires_grad=True)
>>> out = run_circuit(get_machine("statevector"), c, a, [Expval("Z0")], "parameter-shift")
>>> out.sum().backward()
>>> round(a.grad.item(), 6)     # d cos(a) / da = -sin(0.3)
-0.29552
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend.registry import backend as use_backend
from ..backend.registry import get_backend
from ..dtypes import as_dtype
from ..ops._base import make
from ..tensor import QTensor
from .circuit import Circuit, Measurement, Operation, ParamRef, measurement_width
from .gates import shift_rule
from .machine import Machine, MachineError, UnsupportedError

DIFF_METHODS = ("best", "adjoint", "parameter-shift", "finite-diff")
#: Amplitudes one batched gradient call may hold at once (the rest is chunked).
MAX_AMPLITUDES = 1 << 24


def resolve_diff_method(method: str, machine: Machine, measurements: Sequence[Measurement],
                        shots: int | None) -> str:
    """The concrete method ``method`` means here (clear errors when it cannot work)."""
    if method not in DIFF_METHODS:
        raise ValueError(f"unknown diff_method {method!r}; choose one of {DIFF_METHODS}")
    kinds = {m.kind for m in measurements}
    shiftable = kinds <= {"expval", "probs"}
    if method == "best":
        if shots is None and machine.capabilities.adjoint and machine.supports_vjp(measurements):
            return "adjoint"
        return "parameter-shift" if shiftable else "finite-diff"
    if method == "adjoint":
        if shots is not None:
            raise UnsupportedError("diff_method='adjoint' needs exact results (shots=None); "
                                   "use 'parameter-shift' with shots")
        if not (machine.capabilities.adjoint and machine.supports_vjp(measurements)):
            raise UnsupportedError(f"machine {machine.name!r} has no adjoint vjp for "
                                   f"{sorted(kinds)}; use 'parameter-shift' or 'finite-diff'")
    if method == "parameter-shift" and not shiftable:
        raise UnsupportedError(f"the parameter-shift rule differentiates expval and probs only, "
                               f"not {sorted(kinds - {'expval', 'probs'})}")
    return method


def _flatten(B, results: list[Any], measurements: Sequence[Measurement], bsz: int) -> Any:
    cols = []
    for r, m in zip(results, measurements):
        cols.append(B.reshape(r, (bsz, 1)) if m.kind == "expval" else r)
    return cols[0] if len(cols) == 1 else B.concatenate(cols, 1)


def _split(B, g: Any, measurements: Sequence[Measurement], n: int) -> list[Any]:
    if len(measurements) == 1 and measurements[0].kind in ("state", "density", "amplitude"):
        return [g]
    out, start = [], 0
    for m in measurements:
        w = measurement_width(m, n)
        part = B.getitem(g, (slice(None), slice(start, start + w)))
        out.append(B.reshape(part, (B.shape(g)[0],)) if m.kind == "expval" else part)
        start += w
    return out


def _empty_batch(machine: Machine, circuit: Circuit, angles: QTensor,
                 measurements: Sequence[Measurement], diff_method: str, shots: int | None,
                 seed: int | None, dtype: str, out_dtype: Any) -> QTensor:
    """The result of a batch of 0 rows: one row of zero angles is run (for the result's
    shape, dtype and the machine's checks) and its first 0 rows kept, as torch layers give
    empty results for empty batches; the gradient w.r.t. the angles is empty too."""
    B = angles._b
    S = B.shape(angles._data)[1]
    one = QTensor._wrap(B.full((1, S), 0, angles.dtype.name), B, angles.dtype)
    res = run_circuit(machine, circuit, one, measurements, diff_method, shots, seed, dtype,
                      out_dtype)
    out = B.getitem(res._data, (slice(0, 0),))
    if not angles.requires_grad or res.dtype.kind not in "fc":
        return QTensor._wrap(out, B, res.dtype)
    return make(out, B, res.dtype, (angles,),
                lambda g: (B.full((0, S), 0, angles.dtype.name),), "circuit")


def run_circuit(machine: Machine, circuit: Circuit, angles: QTensor,
                measurements: Sequence[Measurement], diff_method: str = "best",
                shots: int | None = None, seed: int | None = None,
                dtype: str = "complex128", out_dtype: Any = None) -> QTensor:
    """Execute and return one tensor: real ``[B, F]`` (expvals and probs side by side),
    complex ``[B, 2^n]`` (a lone ``State``), ``[B, 2^n, 2^n]`` (a lone ``Density``) or int64
    ``[B, shots, k]`` (a lone ``Sample``); differentiable w.r.t. ``angles`` ``[B, S]``.
    ``out_dtype`` (a float dtype) casts a real result inside the same tape node.

    A circuit object run again on the same machine with the same measurements skips the
    structural validation (gates, wires, measurements) it passed the first time; the angles are
    checked on every call."""
    ms = list(measurements)
    kinds = [m.kind for m in ms]
    for k in ("sample", "state", "density", "amplitude"):
        if k in kinds and len(ms) > 1:
            raise MachineError(f"a {k} measurement must be the only one in a circuit")
    B = angles._b
    a_np = B.to_numpy(angles._data)
    if a_np.ndim != 2:
        raise MachineError(f"angles must have shape [B, S], got {a_np.shape}")
    bsz = a_np.shape[0]
    if bsz == 0:
        return _empty_batch(machine, circuit, angles, ms, diff_method, shots, seed, dtype,
                            out_dtype)
    fast = _prevalidated(machine, circuit, ms, shots, dtype)
    if fast:
        a64 = _check_angles(a_np, circuit)
        machine.check_memory(circuit, bsz, ms, shots, dtype)
        results = machine._execute(circuit, a64, ms, shots, seed, dtype)
    else:
        results = machine.execute(circuit, angles._data, ms, shots, seed, dtype)
        _mark_validated(machine, circuit, ms, shots, dtype)
    if kinds[0] == "sample":
        return QTensor._wrap(results[0], B, as_dtype("int64"))
    out = _flatten(B, results, ms, bsz)
    cdt = as_dtype(dtype)
    out_dtype = cdt if kinds[0] in ("state", "density", "amplitude") else \
        (as_dtype(out_dtype) if out_dtype is not None else cdt.to_real())
    if B.dtype_name(out) != out_dtype.name:
        out = B.astype(out, out_dtype.name)
    if not angles.requires_grad:
        return QTensor._wrap(out, B, out_dtype)
    method = resolve_diff_method(diff_method, machine, ms, shots)
    n = circuit.num_wires
    saved = (a64 if fast and a64 is not a_np else a_np.copy(), seed)

    def backward(g):
        with use_backend(B):
            a, sd = saved
            ups = _split(B, g, ms, n)
            if method == "adjoint":
                if fast:  # validated by the forward call above
                    machine.check_memory(circuit, a.shape[0], ms, None, dtype, adjoint=True)
                    ga = machine._vjp(circuit, a.astype(np.float64, copy=False), ms, ups,
                                      dtype)
                else:
                    ga = machine.vjp(circuit, a, ms, ups, dtype)
            else:
                g_np = B.to_numpy(g)
                ga = B.from_numpy(_shift_vjp(machine, circuit, a, ms, g_np, method, shots, sd,
                                             dtype).astype(angles.dtype.name))
            return (ga,)
    return make(out, B, out_dtype, (angles,), backward, "circuit")


def _ms_key(ms: Sequence[Measurement]) -> tuple:
    return tuple(m.key() for m in ms)


def _prevalidated(machine: Machine, circuit: Circuit, ms: Sequence[Measurement],
                  shots: int | None, dtype: str) -> bool:
    """Whether this circuit object already passed ``machine.validate`` with these
    measurements, and the machine's execute / vjp / validate are the base class's (a machine
    that overrides them gets every call)."""
    tag = getattr(circuit, "_validated", None)
    if tag is None or tag[0] is not machine or tag[1] != (shots, dtype) \
            or tag[3] is not circuit.key():  # circuit.append() makes a new key
        return False
    cls = type(machine)
    if cls.execute is not Machine.execute or cls.validate is not Machine.validate \
            or cls.vjp is not Machine.vjp:
        return False
    try:
        return tag[2] == _ms_key(ms)
    except Exception:  # noqa: BLE001 - a measurement without a comparable key
        return False


def _mark_validated(machine: Machine, circuit: Circuit, ms: Sequence[Measurement],
                    shots: int | None, dtype: str) -> None:
    if isinstance(shots, bool) or not isinstance(shots, (int, type(None))):
        return
    try:
        circuit._validated = (machine, (shots, dtype), _ms_key(ms), circuit.key(),
                              circuit.num_angles)
    except Exception:  # noqa: BLE001 - unkeyable measurements: validate every call
        circuit._validated = None


def _check_angles(a: np.ndarray, circuit: Circuit) -> np.ndarray:
    """The per-call part of ``Machine.validate``: the angles, as float64."""
    if a.dtype.kind not in "fiu":
        raise MachineError(f"angles must be real numbers, got dtype {a.dtype}")
    if a.shape[0] < 1:
        raise MachineError("angles must have at least one row (batch size B >= 1)")
    num_angles = circuit._validated[4]
    if a.shape[1] < num_angles:
        raise MachineError(f"the circuit refers to {num_angles} angle columns, but "
                           f"angles has shape {a.shape}")
    a = a.astype(np.float64, copy=False)
    if not np.isfinite(a).all():
        raise MachineError("angles contain NaN or infinity")
    return a


def unroll(circuit: Circuit) -> tuple[Circuit, list[tuple[int, int, int]]]:
    """A copy of ``circuit`` in which every angle reference has its own column, and the uses
    ``(column in the copy, original column, (op index, param index))``."""
    cached = getattr(circuit, "_unrolled", None)
    if cached is not None:
        return cached
    ops, uses = [], []
    for i, op in enumerate(circuit.ops):
        ps = []
        for j, p in enumerate(op.params):
            if isinstance(p, ParamRef):
                ps.append(ParamRef(len(uses)))
                uses.append((len(uses), p.index, (i, j)))
            else:
                ps.append(p)
        ops.append(Operation(op.name, op.wires, tuple(ps), op.matrix))
    res = (Circuit(circuit.num_wires, ops), uses)
    circuit._unrolled = res
    return res


def _shift_vjp(machine: Machine, circuit: Circuit, angles: np.ndarray,
               measurements: Sequence[Measurement], g: np.ndarray, method: str,
               shots: int | None, seed: int | None, dtype: str) -> np.ndarray:
    """The VJP by parameter shift or central differences, all shifted runs batched."""
    bsz, S = angles.shape
    n = circuit.num_wires
    if method == "parameter-shift":
        circ, uses = unroll(circuit)
        base = angles[:, [u[1] for u in uses]] if uses else np.zeros((bsz, 0))
        terms = []  # (column in circ, shift, coefficient, original column)
        for u, col, (i, j) in uses:
            op = circuit.ops[i]
            for c, s in shift_rule(op.name, j, len(op.wires)):
                terms.append((u, s, c, col))
    else:
        circ, base = circuit, angles
        h = 1e-6 if dtype == "complex128" else 1e-3
        terms = []
        for col in range(S):
            terms += [(col, h, 0.5 / h, col), (col, -h, -0.5 / h, col)]
    grads = np.zeros((bsz, S))
    if not terms:
        return grads
    per_run = bsz * (4**n if any(m.kind == "density" for m in measurements)
                     or not machine.capabilities.adjoint else 2**n)
    chunk = max(1, MAX_AMPLITUDES // max(per_run, 1))
    for start in range(0, len(terms), chunk):
        part = terms[start:start + chunk]
        big = np.repeat(base[None], len(part), axis=0)  # [T, B, S']
        for t, (u, s, _, _) in enumerate(part):
            big[t, :, u] += s
        sd = None if seed is None else seed + 1 + start
        res = machine.execute(circ, big.reshape(len(part) * bsz, -1), measurements, shots, sd,
                              dtype)
        B = get_backend()
        flat = [B.to_numpy(r).reshape(len(part), bsz, -1) for r in res]
        flat = np.concatenate(flat, axis=-1)  # [T, B, F]
        gg = g.reshape(bsz, -1)
        dots = np.real(np.sum(np.conj(gg)[None] * flat, axis=-1))  # [T, B]
        for t, (_, _, c, col) in enumerate(part):
            grads[:, col] += c * dots[t]
    return grads
