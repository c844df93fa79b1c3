"""State-vector operations written in array-backend primitives, and the optional kernels.

A backend may declare these fused kernels in ``capabilities.kernels`` (method ``k_<name>``);
the functions here are the reference compositions the conformance suite checks them against:

* ``sv_apply_1q(state, n, wire, mat)``: ``state`` ``[Bs, 2^n]`` complex, ``mat`` ``[Bm, 2, 2]``
  (``Bm`` is 1 or ``Bs``; ``Bs`` may be 1 while ``Bm`` is not) -> the new state ``[B, 2^n]``.
* ``sv_apply_2q(state, n, wires, mat)``: the same for two wires, ``wires`` strictly ascending,
  ``mat`` ``[Bm, 4, 4]`` in that wire order (first wire most significant).
* ``sv_expval_pauli(state, n, word)``: ``word`` a string of length ``n`` over ``IXYZ``
  -> ``<psi|P|psi>`` as a real ``[Bs]`` array.

Wire 0 is the most significant bit of a basis-state index.

>>> import numpy as np
>>> from vqnet_core.backend import get_backend
>>> B = get_backend("numpy")
>>> psi = np.array([[1, 0, 0, 0]], dtype=complex)             # |00>
>>> x = np.array([[[0, 1], [1, 0]]], dtype=complex)
>>> apply_matrix(B, psi, 2, (1,), x).real.tolist()             # X on wire 1 -> |01>
[[0.0, 1.0, 0.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Array = Any
_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
# rotations that turn a measurement of X / Y into one of Z: U^dag Z U = P
BASIS_ROT = {"X": _H, "Y": _H @ np.diag([1, -1j])}


def _blocks(n: int, wires: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """View shape (without batch) that isolates ascending ``wires`` as size-2 axes, and the
    positions of those axes."""
    shape, axes, prev = [], [], 0
    for w in wires:
        shape.append(2 ** (w - prev))
        axes.append(len(shape))
        shape.append(2)
        prev = w + 1
    shape.append(2 ** (n - prev))
    return tuple(shape), tuple(axes)


def _bsz(B, a: Array) -> int:
    return B.shape(a)[0]


def apply_matrix(B, state: Array, n: int, wires: Sequence[int], mat: Array) -> Array:
    """``U`` (``[Bm, d, d]``, in ascending ``wires`` order) applied to ``state`` ``[Bs, 2^n]``."""
    k = len(wires)
    if k == 1:
        kern = B.kernel("sv_apply_1q")
        if kern is not None:
            return kern(state, n, wires[0], mat)
    elif k == 2:
        kern = B.kernel("sv_apply_2q")
        if kern is not None:
            return kern(state, n, tuple(wires), mat)
    return apply_matrix_reference(B, state, n, wires, mat)


def apply_matrix_reference(B, state: Array, n: int, wires: Sequence[int], mat: Array) -> Array:
    """The composition behind ``sv_apply_1q`` / ``sv_apply_2q``: reshape and matmul."""
    k, d = len(wires), 2 ** len(wires)
    bs, bm = _bsz(B, state), _bsz(B, mat)
    bo = max(bs, bm)
    if wires[-1] - wires[0] == k - 1:  # contiguous: view [B, a, d, b]
        a, b = 2 ** wires[0], 2 ** (n - wires[-1] - 1)
        if b >= 32 or d * b > 64:
            s = B.reshape(state, (bs, a, d, b))
            out = B.matmul(B.reshape(mat, (bm, 1, d, d)), s)
        else:
            # small trailing block: one matmul with kron(U, I_b) from the right
            eye = B.from_numpy(np.eye(b, dtype=B.dtype_name(mat)).reshape(1, 1, b, 1, b))
            K = B.reshape(B.binary("mul", B.reshape(mat, (bm, d, 1, d, 1)), eye),
                          (bm, d * b, d * b))
            out = B.matmul(B.reshape(state, (bs, a, d * b)), B.permute(K, (0, 2, 1)))
        return B.reshape(out, (bo, 2**n))
    s = B.reshape(state, (bs,) + (2,) * n)
    rest = [i for i in range(n) if i not in wires]
    perm = (0,) + tuple(1 + i for i in rest) + tuple(1 + w for w in wires)
    s = B.reshape(B.permute(s, perm), (bs, 2 ** (n - k), d))
    out = B.matmul(s, B.permute(mat, (0, 2, 1)))
    out = B.reshape(out, (bo,) + (2,) * n)
    inv = tuple(int(i) for i in np.argsort(perm))
    return B.reshape(B.permute(out, inv), (bo, 2**n))


def apply_diag(B, state: Array, n: int, wires: Sequence[int], diag: Array) -> Array:
    """A diagonal gate (``diag`` ``[Bm, d]`` in ascending ``wires`` order): one multiply."""
    bs, bm = _bsz(B, state), _bsz(B, diag)
    shape, axes = _blocks(n, wires)
    dshape = [1] * len(shape)
    for ax in axes:
        dshape[ax] = 2
    out = B.binary("mul", B.reshape(state, (bs,) + shape), B.reshape(diag, (bm,) + tuple(dshape)))
    return B.reshape(out, (max(bs, bm), 2**n))


def apply_perm(B, state: Array, index: Array) -> Array:
    """A permutation gate: ``out[:, i] = state[:, index[i]]``."""
    return B.getitem(state, (slice(None), index))


def overlap(B, phi: Array, psi: Array, n: int, wires: Sequence[int]) -> Array:
    """``R[b, i, j] = sum_rest conj(phi[b, rest, i]) psi[b, rest, j]`` over ascending wires,
    so that ``<phi|D psi> = sum_ij D_ij R_ij`` for any ``D`` on those wires."""
    k, d = len(wires), 2 ** len(wires)
    rest = [i for i in range(n) if i not in wires]
    perm = (0,) + tuple(1 + w for w in wires) + tuple(1 + i for i in rest)

    def arrange(v):
        bv = _bsz(B, v)
        return B.reshape(B.permute(B.reshape(v, (bv,) + (2,) * n), perm), (bv, d, 2 ** (n - k)))
    p = B.unary("conj", arrange(phi))
    q = B.permute(arrange(psi), (0, 2, 1))
    return B.matmul(p, q)


def overlap_diag(B, phi: Array, psi: Array, n: int, wires: Sequence[int]) -> Array:
    """The diagonal of :func:`overlap`: ``[B, d]``."""
    prod = B.binary("mul", B.unary("conj", phi), psi)
    return marginal(B, prod, n, wires)


def marginal(B, v: Array, n: int, wires: Sequence[int]) -> Array:
    """Sum ``v`` ``[B, 2^n]`` over every wire not in ascending ``wires`` -> ``[B, 2^k]``."""
    bv = _bsz(B, v)
    if len(wires) == n:
        return v
    shape, axes = _blocks(n, wires)
    red = tuple(i + 1 for i in range(len(shape)) if i not in axes)
    out = B.reduce("sum", B.reshape(v, (bv,) + shape), red, False)
    return B.reshape(out, (bv, 2 ** len(wires)))


def probabilities(B, state: Array) -> Array:
    """``|psi|^2`` as a real array."""
    return B.unary("real", B.binary("mul", B.unary("conj", state), state))


def reorder_marginal(B, p: Array, wires_sorted: Sequence[int], wires: Sequence[int]) -> Array:
    """A marginal over ascending wires rearranged to the order of ``wires``."""
    if tuple(wires_sorted) == tuple(wires):
        return p
    k = len(wires)
    bp = _bsz(B, p)
    perm = (0,) + tuple(1 + list(wires_sorted).index(w) for w in wires)
    return B.reshape(B.permute(B.reshape(p, (bp,) + (2,) * k), perm), (bp, 2**k))


def parity(k: int) -> np.ndarray:
    """+1/-1 eigenvalues of ``Z x ... x Z`` on k qubits by basis index."""
    bits = np.array([bin(i).count("1") for i in range(2**k)])
    return (1 - 2 * (bits % 2)).astype(float)


def rotate_to_z(B, state: Array, n: int, term: Sequence[tuple[int, str]], cdt: str) -> Array:
    """``state`` rotated so that measuring Z on the term's wires measures its X / Y factors."""
    for w, p in term:
        if p in BASIS_ROT:
            state = apply_matrix(B, state, n, (w,), B.from_numpy(BASIS_ROT[p][None].astype(cdt)))
    return state


def expval_pauli(B, state: Array, n: int, word: str) -> Array:
    """``<psi|P|psi>`` for a Pauli ``word`` over all n wires (``"IZXI"``) -> real ``[B]``.
    Uses the backend's ``sv_expval_pauli`` kernel when declared."""
    kern = B.kernel("sv_expval_pauli")
    if kern is not None:
        return kern(state, n, word)
    return expval_pauli_reference(B, state, n, word)


def expval_pauli_reference(B, state: Array, n: int, word: str) -> Array:
    """The composition behind ``sv_expval_pauli``: basis rotation, probabilities, parity."""
    term = [(w, p) for w, p in enumerate(word) if p != "I"]
    bs = _bsz(B, state)
    rdt = "float32" if B.dtype_name(state) == "complex64" else "float64"
    if not term:
        return B.full((bs,), 1.0, rdt)
    st = rotate_to_z(B, state, n, term, B.dtype_name(state))
    wires = [w for w, _ in term]
    m = marginal(B, probabilities(B, st), n, wires)
    sign = B.from_numpy(parity(len(wires)).astype(rdt).reshape(-1, 1))
    return B.reshape(B.matmul(m, sign), (bs,))


def full_diag(B, vals: Array, n: int, wires: Sequence[int]) -> Array:
    """A ``[Bv, 2^k]`` function of ascending ``wires`` broadcast to ``[Bv, 2^n]``."""
    bv = _bsz(B, vals)
    shape, axes = _blocks(n, wires)
    dshape = [1] * len(shape)
    for ax in axes:
        dshape[ax] = 2
    v = B.reshape(vals, (bv,) + tuple(dshape))
    return B.reshape(B.broadcast_to(v, (bv,) + shape), (bv, 2**n))
