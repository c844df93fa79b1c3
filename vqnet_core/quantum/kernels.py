"""State-vector operations written in array-backend primitives, and the optional kernels.

A backend may declare these fused kernels in ``capabilities.kernels`` (method ``k_<name>``);
the functions here are the reference compositions the conformance suite checks them against:

* ``sv_apply_1q(state, n, wire, mat)``: ``state`` ``[Bs, 2^n]`` complex, ``mat`` ``[Bm, 2, 2]``
  (``Bm`` is 1 or ``Bs``; ``Bs`` may be 1 while ``Bm`` is not) -> the new state ``[B, 2^n]``.
* ``sv_apply_2q(state, n, wires, mat)``: the same for two wires, ``wires`` strictly ascending,
  ``mat`` ``[Bm, 4, 4]`` in that wire order (first wire most significant).
* ``sv_expval_pauli(state, n, word)``: ``word`` a string of length ``n`` over ``IXYZ``
  -> ``<psi|P|psi>`` as a real ``[Bs]`` array.
* ``sv_overlap(phi, psi, n, wires)``: ``[Bm, d, d]`` with ``R[b, i, j] = sum_rest
  conj(phi[b, rest, i]) psi[b, rest, j]`` over ascending ``wires`` (the adjoint's per-gate
  contraction; batches 1 or equal).
* ``sv_apply_seq(state, n, gates)``: ``gates`` ``[(wires, mat), ...]`` applied in order, each
  on 1 or 2 ascending wires with ``mat`` ``[Bm, d, d]`` or a diagonal ``[Bm, d]`` -> the new
  state (a kernel may cache-block consecutive gates: one pass over memory for many gates).
* ``sv_adjoint_seq(ket, brac, n, gates)``: ``gates`` ``[(wires, mket, mbra, want), ...]``;
  in order, ``mket`` is applied to ``ket`` and ``mbra`` to the conjugated bra ``brac``, and
  for every ``want`` gate the overlap ``R[b, i, j] = sum_rest brac[b, rest, i] ket[b, rest,
  j]`` right after it (``[Bo, d]``, its diagonal, for a diagonal gate) -> ``(ket, brac,
  [R, ...])``: the adjoint sweep of a run of gates.
* Both gate-run kernels take ``inplace=False``; with ``inplace=True`` the caller gives up its
  input states and the kernel MAY write the results into them (and return them): the adjoint
  sweep then holds two states per batch row instead of four. A kernel must still return
  correct results for any input (it reuses only arrays it can prove are not views of, or
  aliased by, any other argument); the references ignore the flag.
* ``sv_apply_affine(state, n, cols, c)``: an affine permutation of the basis (any network of
  X / CNOT / SWAP gates, composed at plan time, see ``plan.AffinePerm``): ``cols`` n ints,
  ``c`` an int, each in ``[0, 2^n)``, the linear part invertible over GF(2) -> the new state
  ``out[b, i] = state[b, f(i)]``, ``f(i) = c ^ XOR(cols[t] for the bits t set in i)``, in one
  pass and without a ``2^n`` index array (reference: :func:`apply_affine_reference`).

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
        if B.name == "numpy":
            return np_apply_1q(state, n, wires[0], mat)
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


def apply_affine(B, state: Array, n: int, cols: Sequence[int], c: int) -> Array:
    """An affine basis permutation (see ``sv_apply_affine`` in the module docstring). Uses the
    backend's ``sv_apply_affine`` kernel when declared, a chunked gather on NumPy (no 2^n
    index), else :func:`apply_affine_reference`."""
    kern = B.kernel("sv_apply_affine")
    if kern is not None:
        return kern(state, n, tuple(cols), c)
    if B.name == "numpy":
        return np_apply_affine(state, n, cols, c)
    return apply_affine_reference(B, state, n, cols, c)


def apply_affine_reference(B, state: Array, n: int, cols: Sequence[int], c: int) -> Array:
    """The composition behind ``sv_apply_affine``: the full gather index (a transient
    ``[2^n]`` int64, built by doubling), then one gather."""
    t = np.zeros(1, dtype=np.int64)
    for col in cols:
        t = np.concatenate([t, t ^ np.int64(col)])
    return apply_perm(B, state, B.from_numpy(t ^ np.int64(c)))


def apply_local_perm(B, state: Array, n: int, wires: Sequence[int], p: Sequence[int]) -> Array:
    """A permutation gate on ``wires`` given by its local ``p`` (``(U psi)[l] = psi[p[l]]``,
    ``wires[0]`` most significant): the wires moved last, one gather along them, moved back
    (for the gates that are not affine: Toffoli, Fredkin, MultiControlledX)."""
    k = len(wires)
    bs = _bsz(B, state)
    rest = [i for i in range(n) if i not in wires]
    perm = (0,) + tuple(1 + i for i in rest) + tuple(1 + w for w in wires)
    s = B.reshape(B.permute(B.reshape(state, (bs,) + (2,) * n), perm), (bs, 2 ** (n - k), 2**k))
    s = B.getitem(s, (slice(None), slice(None), B.from_numpy(np.asarray(p, dtype=np.int64))))
    inv = tuple(int(i) for i in np.argsort(perm))
    return B.reshape(B.permute(B.reshape(s, (bs,) + (2,) * n), inv), (bs, 2**n))


def apply_perm_stages(B, state: Array, n: int, stages: Sequence[Any]) -> Array:
    """The stages of a permutation segment (``plan.AffinePerm`` / ``plan.LocalPerm``) in
    order."""
    for st in stages:
        if hasattr(st, "cols"):
            state = apply_affine(B, state, n, st.cols, st.c)
        else:
            state = apply_local_perm(B, state, n, st.wires, st.p)
    return state


def overlap(B, phi: Array, psi: Array, n: int, wires: Sequence[int]) -> Array:
    """``R[b, i, j] = sum_rest conj(phi[b, rest, i]) psi[b, rest, j]`` over ascending wires,
    so that ``<phi|D psi> = sum_ij D_ij R_ij`` for any ``D`` on those wires. Uses the
    backend's ``sv_overlap`` kernel when declared."""
    kern = B.kernel("sv_overlap")
    if kern is not None:
        return kern(phi, psi, n, tuple(wires))
    if len(wires) == 1 and B.name == "numpy":
        return np_overlap_1q(np.conj(phi), psi, n, wires[0])
    return overlap_reference(B, phi, psi, n, wires)


def overlap_conj(B, phic: Array, psi: Array, n: int, wires: Sequence[int]) -> Array:
    """:func:`overlap` given the conjugated bra ``phic = conj(phi)`` (the adjoint sweep keeps
    its bra conjugated, which saves one pass over the state per gate)."""
    if len(wires) == 1 and B.name == "numpy" and B.kernel("sv_overlap") is None:
        return np_overlap_1q(phic, psi, n, wires[0])
    return overlap(B, B.unary("conj", phic), psi, n, wires)


def _is_diag(B, mat: Array) -> bool:
    return len(B.shape(mat)) == 2


def _apply_any(B, state: Array, n: int, wires: Sequence[int], mat: Array) -> Array:
    """A dense ``[Bm, d, d]`` or diagonal ``[Bm, d]`` gate."""
    if _is_diag(B, mat):
        return apply_diag(B, state, n, wires, mat)
    return apply_matrix(B, state, n, wires, mat)


def apply_seq(B, state: Array, n: int, gates: Sequence[tuple[Sequence[int], Array]],
              inplace: bool = False) -> Array:
    """``gates`` ``[(wires, mat), ...]`` (1 or 2 ascending wires; ``mat`` ``[Bm, d, d]`` or a
    diagonal ``[Bm, d]``) applied in order. Uses the backend's ``sv_apply_seq`` kernel when
    declared (``inplace``: see the module docstring)."""
    kern = B.kernel("sv_apply_seq")
    if kern is not None:
        return kern(state, n, gates, inplace=True) if inplace else kern(state, n, gates)
    return apply_seq_reference(B, state, n, gates)


def apply_seq_reference(B, state: Array, n: int,
                        gates: Sequence[tuple[Sequence[int], Array]]) -> Array:
    """The composition behind ``sv_apply_seq``: one gate after the other."""
    for wires, mat in gates:
        state = _apply_any(B, state, n, wires, mat)
    return state


def adjoint_seq(B, ket: Array, brac: Array, n: int,
                gates: Sequence[tuple[Sequence[int], Array, Array, bool]],
                inplace: bool = False) -> tuple[Array, Array, list[Array]]:
    """One run of the adjoint sweep (see ``sv_adjoint_seq`` in the module docstring). Uses the
    backend's ``sv_adjoint_seq`` kernel when declared; on NumPy, :func:`np_adjoint_seq` (ket
    and bra one after the other: three states live, not six)."""
    kern = B.kernel("sv_adjoint_seq")
    if kern is not None:
        return kern(ket, brac, n, gates, inplace=True) if inplace else \
            kern(ket, brac, n, gates)
    if B.name == "numpy":
        return np_adjoint_seq(B, ket, brac, n, gates)
    return adjoint_seq_reference(B, ket, brac, n, gates)


def adjoint_seq_owned(B, states: list, n: int,
                      gates: Sequence[tuple[Sequence[int], Array, Array, bool]]) -> list[Array]:
    """:func:`adjoint_seq` on ``states = [ket, brac]``, which the caller gives up (it keeps no
    other reference): they are replaced by the results, updated in place where the kernel can
    (``inplace=True``), and on NumPy each old state dies as soon as its successor exists (three
    states live at most). Returns the overlaps."""
    kern = B.kernel("sv_adjoint_seq")
    if kern is not None:
        out = kern(states[0], states[1], n, gates, inplace=True)
    elif B.name == "numpy":
        out = np_adjoint_seq(B, None, None, n, gates, owned=states)
    else:
        out = adjoint_seq_reference(B, states[0], states[1], n, gates)
    states[:] = out[:2]
    return out[2]


def np_adjoint_seq(B, ket: Array, brac: Array, n: int,
                   gates: Sequence[tuple[Sequence[int], Array, Array, bool]],
                   owned: list | None = None) -> tuple[Array, Array, list[Array]]:
    """:func:`adjoint_seq_reference` with the ket and the bra updated separately (no stacked
    copy of both): at most one extra state is live at any time (``owned``: ``[ket, brac]``
    given up by the caller, emptied here, instead of ``ket`` and ``brac``)."""
    if owned is not None:
        ket, brac = owned
        owned.clear()
    bo = max([_bsz(B, ket), _bsz(B, brac)] + [_bsz(B, m) for g in gates for m in g[1:3]])
    out = []
    for wires, mket, mbra, want in gates:
        ket = _apply_any(B, ket, n, wires, mket)
        brac = _apply_any(B, brac, n, wires, mbra)
        if want:
            if _is_diag(B, mket):
                out.append(marginal(B, B.binary("mul", brac, ket), n, wires))
            else:
                out.append(overlap_conj(B, brac, ket, n, wires))
    if _bsz(B, ket) != bo:
        ket = B.broadcast_to(ket, (bo, 2**n))
    if _bsz(B, brac) != bo:
        brac = B.broadcast_to(brac, (bo, 2**n))
    out = [r if _bsz(B, r) == bo else B.broadcast_to(r, (bo,) + tuple(B.shape(r)[1:]))
           for r in out]
    return ket, brac, out


def adjoint_seq_reference(B, ket: Array, brac: Array, n: int,
                          gates: Sequence[tuple[Sequence[int], Array, Array, bool]]
                          ) -> tuple[Array, Array, list[Array]]:
    """The composition behind ``sv_adjoint_seq``: ket and bra stacked as one ``[2 Bo, 2^n]``
    state (one gate call updates both), an overlap after each wanted gate."""
    bo = max([_bsz(B, ket), _bsz(B, brac)] + [_bsz(B, m) for g in gates for m in g[1:3]])

    def rows(a):
        return a if _bsz(B, a) == bo else B.broadcast_to(a, (bo,) + tuple(B.shape(a)[1:]))
    both = B.concatenate([rows(ket), rows(brac)], 0)
    out = []
    for wires, mket, mbra, want in gates:
        both = _apply_any(B, both, n, wires, B.concatenate([rows(mket), rows(mbra)], 0))
        if want:
            k, b = B.getitem(both, (slice(0, bo),)), B.getitem(both, (slice(bo, 2 * bo),))
            if _is_diag(B, mket):
                out.append(marginal(B, B.binary("mul", b, k), n, wires))
            else:
                out.append(overlap_conj(B, b, k, n, wires))
    return B.getitem(both, (slice(0, bo),)), B.getitem(both, (slice(bo, 2 * bo),)), out


def overlap_reference(B, phi: Array, psi: Array, n: int, wires: Sequence[int]) -> Array:
    """The composition behind ``sv_overlap``: permute the wires first, one matmul."""
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
    """``|psi|^2`` as a real array (NumPy arrays: ``re^2 + im^2`` with one real temporary
    instead of two complex ones)."""
    if isinstance(state, np.ndarray) and state.dtype.kind == "c":
        p = np.square(state.real)
        p += np.square(state.imag)
        return p
    return B.unary("real", B.binary("mul", B.unary("conj", state), state))


def conj_scale(B, state: Array, diag: Array) -> Array:
    """``conj(state) * diag`` for a real ``diag`` (broadcasting), as a new array of the state's
    dtype (NumPy arrays: one output, no complex temporary)."""
    if isinstance(state, np.ndarray) and isinstance(diag, np.ndarray):
        out = np.conjugate(state)
        if out.shape != np.broadcast_shapes(state.shape, diag.shape):
            out = np.ascontiguousarray(np.broadcast_to(out, np.broadcast_shapes(
                state.shape, diag.shape)))
        np.multiply(out, diag, out=out)
        return out
    return B.binary("mul", B.unary("conj", state), B.astype(diag, B.dtype_name(state)))


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


#: From this many one-wire terms on, one fold over the state (:func:`weighted_z_sum`,
#: :func:`single_wire_marginals`: about two passes for all of them) beats a pass per term.
FOLD_MIN_TERMS = 3


def conj_scale_zsum(B, state: Array, weights: Array, n: int) -> Array:
    """``conj(state) * weighted_z_sum(weights)`` (the adjoint's bra of a sum of one-wire Z
    terms) without the ``[B, 2^n]`` diagonal on NumPy: the diagonal splits into a high-bit and
    a low-bit part, and the product is taken in chunks of rows (one output, chunk-sized
    temporaries)."""
    if not (isinstance(state, np.ndarray) and isinstance(weights, np.ndarray)) or n < 16:
        return conj_scale(B, state, weighted_z_sum(B, weights, n))
    lo = 12
    dhi = weighted_z_sum(B, np.ascontiguousarray(weights[:, :n - lo]), n - lo)  # [Bw, 2^hi]
    dlo = weighted_z_sum(B, np.ascontiguousarray(weights[:, n - lo:]), lo)      # [Bw, 2^lo]
    bs, bw = state.shape[0], weights.shape[0]
    bo = max(bs, bw)
    out = np.empty((bo, 2 ** (n - lo), 2**lo), dtype=state.dtype)
    src = state.reshape(bs, 2 ** (n - lo), 2**lo)
    rows = 16
    for r in range(0, 2 ** (n - lo), rows):
        o = out[:, r:r + rows]
        np.conjugate(src[:, r:r + rows], out=o)
        o *= dhi[:, r:r + rows, None] + dlo[:, None, :]
    return out.reshape(bo, 2**n)


def weighted_z_sum(B, weights: Array, n: int) -> Array:
    """``d[b, x] = sum_w weights[b, w] (1 - 2 bit_w(x))`` (real ``[Bw, n]`` -> ``[Bw, 2^n]``):
    the diagonal of ``sum_w weights_w Z_w``, built by doubling (about two passes over the
    result instead of two per wire)."""
    bw = _bsz(B, weights)
    pm = B.from_numpy(np.array([[1.0, -1.0]], dtype=B.dtype_name(weights)))
    d = None
    for w in range(n):
        col = B.binary("mul", B.getitem(weights, (slice(None), slice(w, w + 1))), pm)  # [Bw, 2]
        d = col if d is None else B.reshape(
            B.binary("add", B.reshape(d, (bw, -1, 1)), B.reshape(col, (bw, 1, 2))), (bw, -1))
    return d


def single_wire_marginals(B, p: Array, n: int) -> list[Array]:
    """The ``[B, 2]`` marginal of every wire of the probabilities ``p`` ``[B, 2^n]``, by folding
    the last wire away each time (about two passes over ``p`` for all n of them)."""
    bp = _bsz(B, p)
    out: list[Array] = [None] * n
    for w in range(n - 1, -1, -1):
        q = B.reshape(p, (bp, -1, 2))
        out[w] = B.reduce("sum", q, (1,), False)
        if w:
            p = B.reduce("sum", q, (2,), False)
    return out


def full_diag(B, vals: Array, n: int, wires: Sequence[int]) -> Array:
    """A ``[Bv, 2^k]`` function of ascending ``wires`` broadcast to ``[Bv, 2^n]``."""
    bv = _bsz(B, vals)
    shape, axes = _blocks(n, wires)
    dshape = [1] * len(shape)
    for ax in axes:
        dshape[ax] = 2
    v = B.reshape(vals, (bv,) + tuple(dshape))
    return B.reshape(B.broadcast_to(v, (bv,) + shape), (bv, 2**n))


# ---------------------------------------------------------------------------- NumPy fast paths
# numpy's matmul costs about half a microsecond per stacked matrix, and OpenBLAS runs a gemm
# with m*n*k >= 65536 on several threads, which stalls for a scheduler tick whenever the
# other cores are busy. So a one-qubit gate is one matmul whose stack is short and whose
# every gemm stays below that size: ``U @ [2, b]`` blocks while the trailing block ``b`` is
# long, ``[rows, 2b] @ kron(U, I_b)^T`` when it is short. Same arithmetic, same results.
_GEMM_MAX = 32768  # m*n*k of one gemm: single-threaded in OpenBLAS
_KRON_MAX_B = 16


def _chunk(total: int, per: int) -> int:
    """The largest power-of-two divisor of ``total`` that is at most ``per`` (at least 1)."""
    c = 1
    while c * 2 <= per and total % (c * 2) == 0:
        c *= 2
    return c


def kron_eye_t(mat: np.ndarray, b: int) -> np.ndarray:
    """``kron(U, I_b)^T`` for a batch of matrices ``[Bm, d, d]`` -> ``[Bm, d*b, d*b]``."""
    bm, d, _ = mat.shape
    eye = np.eye(b, dtype=mat.dtype)
    k = mat.reshape(bm, d, 1, d, 1) * eye.reshape(1, 1, b, 1, b)
    return np.ascontiguousarray(k.reshape(bm, d * b, d * b).transpose(0, 2, 1))


def np_apply_1q(state: np.ndarray, n: int, wire: int, mat: np.ndarray) -> np.ndarray:
    """``sv_apply_1q`` for NumPy arrays (see the section comment)."""
    bs, bm = state.shape[0], mat.shape[0]
    bo = max(bs, bm)
    a, b = 2**wire, 2 ** (n - wire - 1)
    if b > _KRON_MAX_B:
        s = state.reshape(bs, a, 2, b)
        c = _chunk(b, _GEMM_MAX // 4)
        if c == b:
            return np.matmul(mat.reshape(bm, 1, 2, 2), s).reshape(bo, 2**n)
        # long blocks: gemms on column chunks, written straight into the output layout
        out = np.empty((bo, a, 2, b // c, c), dtype=np.result_type(state, mat))
        np.matmul(mat.reshape(bm, 1, 1, 2, 2), s.reshape(bs, a, 2, b // c, c).transpose(
            0, 1, 3, 2, 4), out=out.transpose(0, 1, 3, 2, 4))
        return out.reshape(bo, 2**n)
    kt = kron_eye_t(mat, b)  # [Bm, 2b, 2b]
    rows = _chunk(a, max(1, _GEMM_MAX // (4 * b * b)))
    s = state.reshape(bs, a // rows, rows, 2 * b)
    return np.matmul(s, kt.reshape(bm, 1, 2 * b, 2 * b)).reshape(bo, 2**n)


#: low index bits one chunk of :func:`np_apply_affine` covers (a 2^14 int64 table, 128 KiB)
_AFFINE_LOW = 14
_AFFINE_TABLES: dict = {}


def np_apply_affine(state: np.ndarray, n: int, cols: Sequence[int], c: int) -> np.ndarray:
    """``sv_apply_affine`` for NumPy arrays: chunks of ``2^14`` outputs, each gathered with the
    low-bit table XOR the chunk's base (memory: the output and one 128 KiB table)."""
    cols = tuple(int(v) for v in cols)
    lo = min(n, _AFFINE_LOW)
    key = cols[:lo]
    low = _AFFINE_TABLES.get(key)
    if low is None:
        low = np.zeros(1, dtype=np.int64)
        for col in key:
            low = np.concatenate([low, low ^ np.int64(col)])
        if len(_AFFINE_TABLES) > 64:
            _AFFINE_TABLES.clear()
        _AFFINE_TABLES[key] = low
    bs = state.shape[0]
    out = np.empty((bs, 2**n), dtype=state.dtype)
    size = 1 << lo
    idx = np.empty(size, dtype=np.int64)
    hi = cols[lo:]
    for h in range(2 ** (n - lo)):
        base, v, t = c, h, 0
        while v:
            if v & 1:
                base ^= hi[t]
            v >>= 1
            t += 1
        np.bitwise_xor(low, base, out=idx)
        o = out[:, h * size:(h + 1) * size]
        if bs == 1:
            np.take(state[0], idx, out=o[0], mode="clip")
        else:
            np.take(state, idx, axis=1, out=o, mode="clip")
    return out


def np_overlap_1q(phic: np.ndarray, psi: np.ndarray, n: int, wire: int) -> np.ndarray:
    """``R[z, i, j] = sum_rest phic[z, rest, i] psi[z, rest, j]`` on one wire, for NumPy arrays
    (``phic`` is the conjugated bra) -> ``[B, 2, 2]``."""
    bz = max(phic.shape[0], psi.shape[0])
    a, b = 2**wire, 2 ** (n - wire - 1)
    if b > _KRON_MAX_B:
        c = _chunk(b, _GEMM_MAX // 4)
        p = phic.reshape(-1, a, 2, b // c, c).transpose(0, 1, 3, 2, 4)
        q = psi.reshape(-1, a, 2, b // c, c).transpose(0, 1, 3, 4, 2)
        return np.matmul(p, q).reshape(bz, -1, 2, 2).sum(axis=1)
    rows = _chunk(a, max(1, _GEMM_MAX // (4 * b * b)))
    p = phic.reshape(-1, a // rows, rows, 2 * b).transpose(0, 1, 3, 2)
    q = psi.reshape(-1, a // rows, rows, 2 * b)
    t = np.matmul(p, q).sum(axis=1).reshape(bz, 2, b, 2, b)  # [B, (i, c), (j, c')]
    return np.einsum("zicjc->zij", t)
