"""Compiling a circuit into segments a simulator applies, and their matrices at run time.

A segment is one state update: a constant permutation (consecutive permutation gates fused
into one gather), a diagonal gate (one multiply), or a dense matrix on ascending wires. With
``fuse=True`` runs of single-qubit gates on a wire are fused into one 2x2 matrix per batch
element (gates on other wires commute with them, so pending runs are flushed before the next
multi-qubit gate).

>>> from vqnet_core.quantum.circuit import Circuit, Operation, ParamRef
>>> c = Circuit(2, [Operation("RX", (0,), (ParamRef(0),)), Operation("RY", (0,), (0.3,)),
...                 Operation("CNOT", (0, 1)), Operation("SWAP", (0, 1))])
>>> [(s.kind, s.wires, s.ops) for s in compile_plan(c).segments]
[('dense', (0,), (0, 1)), ('perm', (0, 1), (2, 3))]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from .circuit import Circuit, Operation, ParamRef
from .gates import get_gate


@dataclass
class Segment:
    """One state update; ``ops`` are circuit op indices in application order."""

    kind: str  # "perm" | "diag" | "dense"
    wires: tuple[int, ...]  # ascending
    ops: tuple[int, ...]
    index: np.ndarray | None = None  # full-space gather index of a "perm" segment
    trainable: bool = False  # refers to at least one angle column


@dataclass
class Plan:
    num_wires: int
    segments: list[Segment]
    ops: list[Operation]


def _full_perm(n: int, wires: Sequence[int], p: np.ndarray) -> np.ndarray:
    """The gather index on 2^n states of a local permutation ``p`` on ``wires``."""
    idx = np.arange(2**n)
    k = len(wires)
    shifts = [n - 1 - w for w in wires]
    local = np.zeros_like(idx)
    for j, s in enumerate(shifts):
        local |= ((idx >> s) & 1) << (k - 1 - j)
    src_local = p[local]
    out = idx.copy()
    for j, s in enumerate(shifts):
        bit = (src_local >> (k - 1 - j)) & 1
        out = (out & ~(1 << s)) | (bit << s)
    return out


def _trainable(op: Operation) -> bool:
    return any(isinstance(p, ParamRef) for p in op.params)


def compile_plan(circuit: Circuit, fuse: bool = True) -> Plan:
    """Segments of ``circuit`` (see the module docstring)."""
    n = circuit.num_wires
    segs: list[Segment] = []
    pending: dict[int, list[int]] = {}

    def flush(wires=None):
        for w in list(pending) if wires is None else [w for w in wires if w in pending]:
            ops = pending.pop(w)
            kinds = {get_gate(circuit.ops[i].name).kind for i in ops}
            segs.append(Segment("diag" if kinds == {"diag"} else "dense", (w,), tuple(ops),
                                trainable=any(_trainable(circuit.ops[i]) for i in ops)))

    for i, op in enumerate(circuit.ops):
        g = get_gate(op.name)
        if fuse and len(op.wires) == 1:
            pending.setdefault(op.wires[0], []).append(i)
            continue
        flush()
        if g.kind == "perm":
            idx = _full_perm(n, op.wires, g.permutation(len(op.wires)))
            if segs and segs[-1].kind == "perm":
                last = segs[-1]
                last.index = last.index[idx]
                last.ops = last.ops + (i,)
                last.wires = tuple(sorted(set(last.wires) | set(op.wires)))
            else:
                segs.append(Segment("perm", tuple(sorted(op.wires)), (i,), idx))
        else:
            segs.append(Segment(g.kind, tuple(sorted(op.wires)), (i,), trainable=_trainable(op)))
    flush()
    return Plan(n, segs, list(circuit.ops))


def seq_runs(plan: Plan) -> list[list[int]]:
    """The segments grouped for a simulator: maximal runs of consecutive dense / diagonal
    segments on one or two wires (one ``sv_apply_seq`` call each), every other segment (a
    permutation, a wider gate) alone. Computed once per plan.

    >>> c = Circuit(2, [Operation("RX", (0,), (0.1,)), Operation("CZ", (0, 1)),
    ...                 Operation("CNOT", (0, 1)), Operation("RY", (1,), (0.2,))])
    >>> seq_runs(compile_plan(c))
    [[0, 1], [2], [3]]
    """
    runs = plan.__dict__.get("_runs")
    if runs is None:
        runs = []
        for i, seg in enumerate(plan.segments):
            seq = seg.kind != "perm" and len(seg.wires) <= 2
            if seq and runs and runs[-1][1]:
                runs[-1][0].append(i)
            else:
                runs.append(([i], seq))
        runs = plan.__dict__["_runs"] = [r for r, _ in runs]
    return runs


# ---------------------------------------------------------------------------- run time
def op_params(op: Operation, angles: np.ndarray) -> list[np.ndarray]:
    """The op's angles as ``[B]`` arrays (constants as ``[1]``)."""
    return [angles[:, p.index] if isinstance(p, ParamRef) else np.array([p])
            for p in op.params]


@cache
def _wire_order(wires: tuple[int, ...]) -> np.ndarray | None:
    """The argsort of ``wires``, or None when they are already ascending."""
    if all(a < b for a, b in zip(wires, wires[1:])):
        return None
    return np.argsort(wires)


def _sort_axes(m: np.ndarray, wires: Sequence[int], diag: bool) -> np.ndarray:
    """Reorder a gate's matrix (or diagonal) from its wire order to ascending wires."""
    order = _wire_order(tuple(wires))
    if order is None:
        return m
    k = len(wires)
    bp = m.shape[0]
    if diag:
        t = m.reshape((bp,) + (2,) * k).transpose((0,) + tuple(1 + order))
        return t.reshape(bp, 2**k)
    t = m.reshape((bp,) + (2,) * (2 * k))
    t = t.transpose((0,) + tuple(1 + order) + tuple(1 + k + order))
    return t.reshape(bp, 2**k, 2**k)


def op_matrix(op: Operation, params: list[np.ndarray], diag: bool = False) -> np.ndarray:
    """``[Bp, d, d]`` (or the diagonal ``[Bp, d]``) in ascending wire order.

    The matrix of an op without angle references is computed once and kept on the op
    (read-only: callers build new arrays from it)."""
    const = not _trainable(op)
    if const:
        cache = op.__dict__.get("_mats")
        if cache is not None and diag in cache:
            return cache[diag]
    if not diag and op.matrix is None and op.name in _ROT and len(params[0]) and \
            isinstance(op.params[0], ParamRef):
        m = _ROT[op.name](params[0])
    else:
        g = get_gate(op.name)
        k = len(op.wires)
        if op.matrix is not None:
            m = op.matrix[None]
        elif diag:
            m = g.diagonal(params, k)
        else:
            m = g.matrix(params, k)
        m = _sort_axes(m, op.wires, diag)
    if const:
        m = np.array(m)  # an owned copy, frozen
        m.flags.writeable = False
        op.__dict__.setdefault("_mats", {})[diag] = m
    return m


def _rot(kind: str):
    """A fast ``[B, 2, 2]`` builder of RX / RY (``exp(-i t P / 2)``) for a ``[B]`` angle."""
    def fn(t: np.ndarray) -> np.ndarray:
        h = np.asarray(t, dtype=float) * 0.5
        c, s = np.cos(h), np.sin(h)
        out = np.empty((h.shape[0], 2, 2), dtype=complex)
        out[:, 0, 0] = c
        out[:, 1, 1] = c
        if kind == "X":
            out[:, 0, 1] = out[:, 1, 0] = -1j * s
        else:
            out[:, 0, 1] = -s
            out[:, 1, 0] = s
        return out
    return fn


def _drot(kind: str):
    """``d RX / dt`` or ``d RY / dt`` (``-i P / 2`` times the rotation) for a ``[B]`` angle."""
    def fn(t: np.ndarray) -> np.ndarray:
        h = np.asarray(t, dtype=float) * 0.5
        c, s = np.cos(h), np.sin(h)
        out = np.empty((h.shape[0], 2, 2), dtype=complex)
        out[:, 0, 0] = out[:, 1, 1] = -0.5 * s
        if kind == "X":
            out[:, 0, 1] = out[:, 1, 0] = -0.5j * c
        else:
            out[:, 0, 1] = -0.5 * c
            out[:, 1, 0] = 0.5 * c
        return out
    return fn


# the dense rotations every variational circuit uses (others go through gates.GateDef)
_ROT = {"RX": _rot("X"), "RY": _rot("Y")}
_DROT = {"RX": _drot("X"), "RY": _drot("Y")}


def op_dmatrices(op: Operation, params: list[np.ndarray], diag: bool = False
                 ) -> list[tuple[int, np.ndarray]]:
    """``(angle column, dU/dp)`` for each angle reference of the op, ascending wire order."""
    if not diag and op.name in _DROT and isinstance(op.params[0], ParamRef) \
            and len(params[0]):
        return [(op.params[0].index, _DROT[op.name](params[0]))]
    g = get_gate(op.name)
    k = len(op.wires)
    out = []
    for j, p in enumerate(op.params):
        if isinstance(p, ParamRef):
            dm = g.dmatrix(params, j, k)
            if diag:
                dm = np.diagonal(dm, axis1=1, axis2=2).copy()
            out.append((p.index, _sort_axes(dm, op.wires, diag)))
    return out


def segment_matrix(plan: Plan, seg: Segment, angles: np.ndarray) -> np.ndarray:
    """The segment's matrix ``[Bp, d, d]`` (diagonal ``[Bp, d]`` for ``diag``); that of a
    segment without angle references is computed once (read-only)."""
    diag = seg.kind == "diag"
    if not seg.trainable:
        m = seg.__dict__.get("_const")
        if m is not None:
            return m
    out = None
    for i in seg.ops:
        op = plan.ops[i]
        m = op_matrix(op, op_params(op, angles), diag)
        out = m if out is None else (m * out if diag else np.matmul(m, out))
    if not seg.trainable:
        if out.flags.writeable:
            out.flags.writeable = False
        seg.__dict__["_const"] = out
    return out


def segment_dmatrices(plan: Plan, seg: Segment, angles: np.ndarray
                      ) -> list[tuple[int, np.ndarray]]:
    """``(angle column, d(segment matrix)/d angle)`` for every angle reference in the segment."""
    diag = seg.kind == "diag"
    mats, params = [], []
    for i in seg.ops:
        op = plan.ops[i]
        params.append(op_params(op, angles))
        mats.append(op_matrix(op, params[-1], diag))

    def mul(a, b):  # a after b
        if a is None:
            return b
        if b is None:
            return a
        return a * b if diag else np.matmul(a, b)

    out = []
    for j, i in enumerate(seg.ops):
        op = plan.ops[i]
        if not _trainable(op):
            continue
        before = None
        for m in mats[:j]:
            before = mul(m, before)
        after = None
        for m in mats[j + 1:]:
            after = mul(m, after)
        for col, dm in op_dmatrices(op, params[j], diag):
            out.append((col, mul(after, mul(dm, before))))
    return out
