"""Compiling a circuit into segments a simulator applies, and their matrices at run time.

A segment is one state update: a constant permutation (consecutive permutation gates; the
affine ones -- X, CNOT, SWAP, ... -- composed into one bit-matrix map, see :class:`AffinePerm`,
applied in one gather pass; planning never touches 2^n indices), a diagonal gate (one
multiply), or a dense matrix on ascending wires. With ``fuse=True`` runs of single-qubit gates
on a wire are fused into one 2x2 matrix per batch element (gates on other wires commute with
them, so pending runs are flushed before the next multi-qubit gate).

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


@dataclass(frozen=True)
class AffinePerm:
    """A permutation of basis-state indices that is affine over GF(2) (any network of X, CNOT,
    SWAP, and every one- or two-wire permutation gate): ``out[i] = in[f(i)]`` with
    ``f(i) = c ^ XOR(cols[t] for every bit t set in i)``. Bit ``t`` of an index is wire
    ``n - 1 - t``. Held as ``n`` integers, never as a ``2^n`` index: composing two costs
    O(n^2) bit operations whatever n is.

    >>> cnot = AffinePerm.of_local(3, (0, 2), np.array([0, 1, 3, 2]))
    >>> cnot.index().tolist()       # out[i] = in[index[i]]: wire 2 flips where wire 0 is 1
    [0, 1, 2, 3, 5, 4, 7, 6]
    >>> cnot.then(cnot).is_identity()
    True
    """

    n: int
    cols: tuple[int, ...]
    c: int = 0

    @staticmethod
    def identity(n: int) -> AffinePerm:
        return AffinePerm(n, tuple(1 << t for t in range(n)), 0)

    @staticmethod
    def of_local(n: int, wires: Sequence[int], p: np.ndarray) -> AffinePerm | None:
        """The map of a permutation gate ``p`` (``(U psi)[l] = psi[p[l]]``, local index ``l``
        with ``wires[0]`` most significant) on ``wires`` of n, or None when ``p`` is not affine
        (a Toffoli, a Fredkin)."""
        k = len(wires)
        p0 = int(p[0])
        lc = [int(p[1 << j]) ^ p0 for j in range(k)]  # local bit j -> local image
        for lidx in range(2**k):
            v = p0
            for j in range(k):
                if lidx >> j & 1:
                    v ^= lc[j]
            if v != int(p[lidx]):
                return None
        shifts = [n - 1 - w for w in wires]  # local bit k-1-j is wire j

        def deposit(v: int) -> int:
            return sum(1 << shifts[k - 1 - j] for j in range(k) if v >> j & 1)
        cols = [1 << t for t in range(n)]
        for j in range(k):
            cols[shifts[k - 1 - j]] = deposit(lc[j])
        return AffinePerm(n, tuple(cols), deposit(p0))

    def apply_lin(self, v: int) -> int:
        """The linear part of ``f`` on the index ``v``."""
        out, t = 0, 0
        while v:
            if v & 1:
                out ^= self.cols[t]
            v >>= 1
            t += 1
        return out

    def __call__(self, i: int) -> int:
        return self.c ^ self.apply_lin(i)

    def then(self, other: AffinePerm) -> AffinePerm:
        """This permutation followed by ``other`` (as state updates): the gather map
        ``f_self(f_other(i))``."""
        return AffinePerm(self.n, tuple(self.apply_lin(v) for v in other.cols),
                          self.c ^ self.apply_lin(other.c))

    def inverse(self) -> AffinePerm:
        """The inverse state update (Gauss-Jordan over GF(2) on n x n bits)."""
        n = self.n
        # rows of [A | I]: row s holds the bits t with bit s of cols[t] set, and e_s
        rows = [(sum(1 << t for t in range(n) if self.cols[t] >> s & 1), 1 << s)
                for s in range(n)]
        for t in range(n):
            piv = next((r for r in range(t, n) if rows[r][0] >> t & 1), None)
            if piv is None:
                raise ValueError("the map is not invertible")
            rows[t], rows[piv] = rows[piv], rows[t]
            for r in range(n):
                if r != t and rows[r][0] >> t & 1:
                    rows[r] = (rows[r][0] ^ rows[t][0], rows[r][1] ^ rows[t][1])
        # now row t of A^-1 is rows[t][1]: bit t of A^-1 v = parity(rows[t][1] & v)
        inv_cols = tuple(sum(1 << t for t in range(n) if rows[t][1] >> u & 1)
                         for u in range(n))
        inv = AffinePerm(n, inv_cols, 0)
        return AffinePerm(n, inv_cols, inv.apply_lin(self.c))

    def is_identity(self) -> bool:
        return self.c == 0 and all(col == 1 << t for t, col in enumerate(self.cols))

    def doubled(self) -> AffinePerm:
        """The same map on the row and the column wires of a vectorised density matrix (2n
        wires, rows most significant): ``rho -> P rho P^T``."""
        n = self.n
        return AffinePerm(2 * n, self.cols + tuple(v << n for v in self.cols),
                          self.c | (self.c << n))

    def index(self) -> np.ndarray:
        """The full gather index ``[2^n]`` (tests and small references only: 2^n entries)."""
        return self.c ^ lin_table(self.cols)


def lin_table(cols: Sequence[int]) -> np.ndarray:
    """``t[v] = XOR(cols[j] for every bit j set in v)`` for every ``v < 2^len(cols)``, int64."""
    t = np.zeros(1, dtype=np.int64)
    for col in cols:
        t = np.concatenate([t, t ^ np.int64(col)])
    return t


@dataclass(frozen=True)
class LocalPerm:
    """A permutation gate that is not affine (Toffoli, Fredkin, MultiControlledX): ``p`` on
    ``wires`` (``(U psi)[l] = psi[p[l]]``, ``wires[0]`` most significant), applied on its own."""

    wires: tuple[int, ...]
    p: tuple[int, ...]

    def inverse(self) -> LocalPerm:
        return LocalPerm(self.wires, tuple(int(v) for v in np.argsort(self.p)))


PermStage = AffinePerm | LocalPerm


def perm_stages(n: int, wires: Sequence[int], p: np.ndarray) -> PermStage:
    """A permutation gate as a stage: its affine map, or the local permutation."""
    a = AffinePerm.of_local(n, wires, p)
    return a if a is not None else LocalPerm(tuple(wires), tuple(int(v) for v in p))


def _append_stage(stages: list[PermStage], st: PermStage) -> None:
    """``st`` after ``stages``, composing consecutive affine maps into one."""
    if isinstance(st, AffinePerm) and stages and isinstance(stages[-1], AffinePerm):
        stages[-1] = stages[-1].then(st)
        if stages[-1].is_identity():
            stages.pop()
    else:
        stages.append(st)


@dataclass
class Segment:
    """One state update; ``ops`` are circuit op indices in application order."""

    kind: str  # "perm" | "diag" | "dense"
    wires: tuple[int, ...]  # ascending
    ops: tuple[int, ...]
    # a "perm" segment: its stages in order (consecutive affine gates composed into one map;
    # O(n) integers each, no 2^n index)
    perm: tuple[PermStage, ...] = ()
    trainable: bool = False  # refers to at least one angle column

    def perm_inverse(self) -> tuple[PermStage, ...]:
        """The stages of the inverse update (computed once)."""
        inv = self.__dict__.get("_perm_inv")
        if inv is None:
            inv = self.__dict__["_perm_inv"] = tuple(s.inverse() for s in reversed(self.perm))
        return inv


@dataclass
class Plan:
    num_wires: int
    segments: list[Segment]
    ops: list[Operation]


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
            st = perm_stages(n, op.wires, g.permutation(len(op.wires)))
            if segs and segs[-1].kind == "perm":
                last = segs[-1]
                stages = list(last.perm)
                _append_stage(stages, st)
                last.perm = tuple(stages)
                last.ops = last.ops + (i,)
                last.wires = tuple(sorted(set(last.wires) | set(op.wires)))
            else:
                segs.append(Segment("perm", tuple(sorted(op.wires)), (i,), (st,)))
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
