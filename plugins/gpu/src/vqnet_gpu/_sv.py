"""The state-vector kernels (``sv_*``, the contract of ``vqnet_core.quantum.kernels``) over
batched states ``[B, 2^n]``.

Each operation has two implementations with the same index arithmetic: the CUDA RawKernel in
``_cuda_src`` (on a device) and a vectorised ``xp`` transcription (the host emulation, NumPy;
it also serves dtypes the kernels do not take). A gate pair ``(i0, i1)`` is found by inserting
a zero bit at position ``s = n - 1 - wire`` into the pair counter, as in the kernels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_COMPLEX = (np.dtype(np.complex64), np.dtype(np.complex128))
_THREADS = 256
#: low index bits one shared-memory block of ``sv_block`` covers, by amplitude size: 32 KiB
BLOCK_BITS = {8: 12, 16: 11}


def insert_zero(xp: Any, p: Any, s: int) -> Any:
    """``p`` with a zero bit inserted at bit ``s`` (the kernels' ``insert_zero``)."""
    low = p & ((1 << s) - 1)
    return ((p >> s) << (s + 1)) | low


class SvOps:
    """The sv kernels for one backend: ``xp`` its array module, ``cuda`` its RawKernel cache
    (None in the host emulation)."""

    def __init__(self, xp: Any, cuda: Any = None) -> None:
        self.xp = xp
        self.cuda = cuda

    # ---- helpers -------------------------------------------------------------------
    def native(self, *xs: Any) -> bool:
        """All operands complex arrays of one dtype (else the caller takes the reference)."""
        return (all(isinstance(x, self.xp.ndarray) for x in xs) and xs[0].dtype in _COMPLEX
                and all(x.dtype == xs[0].dtype for x in xs))

    def _real(self, a: Any) -> str:
        return "float" if a.dtype == np.complex64 else "double"

    def _grid(self, total: int) -> tuple[int]:
        return (max(1, min((total + _THREADS - 1) // _THREADS, 65535 * 8)),)

    def owned(self, a: Any) -> bool:
        """Whether ``a`` may be written in place: a C-contiguous array owning its memory (not
        a view of, nor aliased through a view by, anything the caller gave)."""
        return a.base is None and a.flags.c_contiguous

    # ---- one gate ------------------------------------------------------------------
    def apply_dense(self, state: Any, n: int, wires: Sequence[int], mat: Any,
                    out: Any = None) -> Any:
        """A dense 1- or 2-wire gate ``mat [Bm, d, d]``; written into ``out`` when given (it may
        be ``state`` itself, the in-place run) else into a new array."""
        xp = self.xp
        bs, bm = state.shape[0], mat.shape[0]
        bo = max(bs, bm)
        if out is None:
            out = xp.empty((bo, 2**n), dtype=state.dtype)
        mat = xp.ascontiguousarray(mat)
        if self.cuda is not None:  # the kernels index row-major memory (a no-op when it is)
            state = xp.ascontiguousarray(state)
        if len(wires) == 1:
            s = n - 1 - int(wires[0])
            half = 2 ** (n - 1)
            if self.cuda is not None:
                total = bo * half
                self.cuda.fn("sv_1q", self._real(state))(
                    self._grid(total), (_THREADS,),
                    (state, out, mat, np.int64(half), np.int32(s), np.int32(bs > 1),
                     np.int32(bm > 1), np.int64(total)))
                return out
            p = xp.arange(half, dtype=np.int64)
            i0 = insert_zero(xp, p, s)
            i1 = i0 | (1 << s)
            a0, a1 = state[:, i0], state[:, i1]  # copies: safe when out is state
            m = mat.reshape(bm, 4, 1)
            out[:, i0] = m[:, 0] * a0 + m[:, 1] * a1
            out[:, i1] = m[:, 2] * a0 + m[:, 3] * a1
            return out
        w0, w1 = (int(w) for w in wires)
        shi, slo = n - 1 - w0, n - 1 - w1
        quarter = 2 ** (n - 2)
        if self.cuda is not None:
            total = bo * quarter
            self.cuda.fn("sv_2q", self._real(state))(
                self._grid(total), (_THREADS,),
                (state, out, mat, np.int64(quarter), np.int32(shi), np.int32(slo),
                 np.int32(bs > 1), np.int32(bm > 1), np.int64(total)))
            return out
        p = xp.arange(quarter, dtype=np.int64)
        base = insert_zero(xp, insert_zero(xp, p, slo), shi)
        idx = [base, base | (1 << slo), base | (1 << shi), base | (1 << shi) | (1 << slo)]
        v = [state[:, i] for i in idx]
        m = mat.reshape(bm, 16, 1)
        for j in range(4):
            acc = m[:, 4 * j] * v[0]
            for k in range(1, 4):
                acc = acc + m[:, 4 * j + k] * v[k]
            out[:, idx[j]] = acc
        return out

    def apply_diag(self, state: Any, n: int, wires: Sequence[int], diag: Any,
                   out: Any = None) -> Any:
        """A diagonal gate ``diag [Bm, d]`` on 1 or 2 ascending wires (``out`` as above)."""
        xp = self.xp
        bs, bm = state.shape[0], diag.shape[0]
        bo = max(bs, bm)
        d = diag.shape[1]
        s0 = n - 1 - int(wires[0])
        s1 = n - 1 - int(wires[1]) if len(wires) == 2 else -1
        if out is None:
            out = xp.empty((bo, 2**n), dtype=state.dtype)
        diag = xp.ascontiguousarray(diag)
        if self.cuda is not None:
            state = xp.ascontiguousarray(state)
            total = bo * 2**n
            self.cuda.fn("sv_diag", self._real(state))(
                self._grid(total), (_THREADS,),
                (state, out, diag, np.int64(2**n), np.int32(s0), np.int32(s1), np.int32(d),
                 np.int32(bs > 1), np.int32(bm > 1), np.int64(total)))
            return out
        i = xp.arange(2**n, dtype=np.int64)
        loc = (i >> s0) & 1
        if s1 >= 0:
            loc = 2 * loc + ((i >> s1) & 1)
        out[...] = diag[:, loc] * state
        return out

    def apply_any(self, state: Any, n: int, wires: Sequence[int], mat: Any,
                  out: Any = None) -> Any:
        if mat.ndim == 2:
            return self.apply_diag(state, n, wires, mat, out)
        return self.apply_dense(state, n, wires, mat, out)

    def apply_affine(self, state: Any, n: int, cols: Sequence[int], c: int) -> Any:
        """``out[b, i] = state[b, f(i)]``, ``f(i) = c ^ XOR(cols[t], bit t of i set)``."""
        xp = self.xp
        bs = state.shape[0]
        dim = 2**n
        out = xp.empty((bs, dim), dtype=state.dtype)
        if self.cuda is not None:
            src = xp.ascontiguousarray(state)
            total = bs * dim
            self.cuda.fn("sv_affine", self._real(state))(
                self._grid(total), (_THREADS,),
                (src, out, xp.asarray(np.asarray(cols, dtype=np.int64)), np.int32(n),
                 np.int64(c), np.int64(dim), np.int64(total)))
            return out
        i = xp.arange(dim, dtype=np.int64)
        f = xp.full(dim, int(c), dtype=np.int64)
        for t, col in enumerate(cols):
            f ^= ((i >> t) & 1) * int(col)
        out[...] = state[:, f]
        return out

    def expval_pauli(self, state: Any, n: int, word: str) -> Any:
        """``<psi|P|psi>`` as a real ``[B]``: ``P|j> = i^nY (-1)^popcount(j & (Z|Y)) |j ^ X|Y>``
        (one pass, no rotated copy)."""
        xp = self.xp
        xm = zy = 0
        ny = 0
        for w, ch in enumerate(word):
            bit = 1 << (n - 1 - w)
            if ch in "XY":
                xm |= bit
            if ch in "ZY":
                zy |= bit
            ny += ch == "Y"
        bs, dim = state.shape[0], 2**n
        rdt = np.float32 if state.dtype == np.complex64 else np.float64
        if self.cuda is not None:
            out = xp.zeros(bs, dtype=rdt)
            src = xp.ascontiguousarray(state)
            blocks = max(1, min((dim + _THREADS - 1) // _THREADS, 1024))
            self.cuda.fn("sv_pauli", self._real(state))(
                (blocks, bs), (_THREADS,),
                (src, out, np.int64(dim), np.int64(xm), np.int64(zy), np.int32(ny)))
            return out
        j = xp.arange(dim, dtype=np.int64)
        pr = xp.conj(state[:, j ^ xm]) * state
        re = (pr.real, -pr.imag, -pr.real, pr.imag)[ny % 4]
        par = xp.zeros(dim, dtype=np.int64)
        for t in range(n):
            if (zy >> t) & 1:
                par ^= (j >> t) & 1
        sign = (1 - 2 * par).astype(rdt)
        return (re * sign).sum(axis=1).astype(rdt)

    def overlap(self, phi: Any, psi: Any, n: int, wires: Sequence[int],
                phi_is_conj: bool = False) -> Any:
        """``R[b, i, j] = sum_rest phi'[b, rest, i] psi[b, rest, j]`` on 1 or 2 ascending
        wires, ``phi' = conj(phi)`` unless ``phi_is_conj`` -> ``[B, d, d]``."""
        xp = self.xp
        k = len(wires)
        d = 2**k
        s0 = n - 1 - int(wires[0])
        s1 = n - 1 - int(wires[1]) if k == 2 else -1
        bp, bq = phi.shape[0], psi.shape[0]
        bo = max(bp, bq)
        rest = 2 ** (n - k)
        if self.cuda is not None:
            rdt = np.float32 if phi.dtype == np.complex64 else np.float64
            out = xp.zeros((bo, d, d, 2), dtype=rdt)
            blocks = max(1, min((rest + _THREADS - 1) // _THREADS, 256))
            self.cuda.fn("sv_overlap", self._real(phi))(
                (blocks, bo), (_THREADS,),
                (xp.ascontiguousarray(phi), xp.ascontiguousarray(psi), out, np.int64(rest),
                 np.int32(s0), np.int32(s1), np.int32(bp > 1), np.int32(bq > 1),
                 np.int32(bool(phi_is_conj)), np.int64(2**n)))
            return out.view(phi.dtype).reshape(bo, d, d)  # (re, im) pairs are complex
        r = xp.arange(rest, dtype=np.int64)
        if k == 2:
            base = insert_zero(xp, insert_zero(xp, r, s1), s0)
            idx = [base, base | (1 << s1), base | (1 << s0), base | (1 << s0) | (1 << s1)]
        else:
            i0 = insert_zero(xp, r, s0)
            idx = [i0, i0 | (1 << s0)]
        p = xp.stack([phi[:, i] for i in idx], axis=1)  # [Bp, d, rest]
        if not phi_is_conj:
            p = xp.conj(p)
        q = xp.stack([psi[:, i] for i in idx], axis=2)  # [Bq, rest, d]
        return xp.matmul(p, q)

    def _apply_block(self, state: Any, n: int, gates: Sequence[tuple[Sequence[int], Any]],
                     kb: int, bo: int, out: Any) -> Any:
        """Gates whose bits are all below ``kb`` in one pass: blocks of ``2^kb`` amplitudes
        in shared memory (``sv_block``), into ``out`` (may be ``state``) or a new array."""
        xp = self.xp
        src = xp.ascontiguousarray(state)
        if out is None:
            out = xp.empty((bo, 2**n), dtype=state.dtype)
        nbm = max(m.shape[0] for _, m in gates)
        mats = xp.zeros((len(gates), nbm, 16), dtype=state.dtype)
        bits = np.full(2 * len(gates), -1, dtype=np.int32)
        for g, (wires, m) in enumerate(gates):
            dm = _dense(xp, m)
            d = dm.shape[1]
            mats[g, :, :d * d] = dm.reshape(dm.shape[0], d * d)
            for k, w in enumerate(wires):
                bits[2 * g + k] = n - 1 - int(w)
        nblk = bo * 2 ** (n - kb)
        self.cuda.fn("sv_block", self._real(state))(
            (max(1, min(nblk, 65535)),), (_THREADS,),
            (src, out, mats, xp.asarray(bits), np.int32(len(gates)), np.int32(kb),
             np.int64(2**n), np.int32(src.shape[0] > 1), np.int32(nbm), np.int64(nblk)),
            shared_mem=(2**kb) * state.dtype.itemsize)
        return out

    def _adjoint_step(self, ket: Any, brac: Any, n: int, wires: Sequence[int], mket: Any,
                      mbra: Any, want: bool) -> Any:
        """One gate of the adjoint sweep on a device, in place on both (owned, full-batch)
        states in one pass, the overlap ``[Bo, d, d]`` accumulated in the same pass."""
        xp = self.xp
        bo = ket.shape[0]
        mk, mb = _dense(xp, mket), _dense(xp, mbra)
        d = mk.shape[1]
        rdt = np.float32 if ket.dtype == np.complex64 else np.float64
        rout = xp.zeros((bo, d, d, 2), dtype=rdt)
        real = self._real(ket)
        if len(wires) == 1:
            work = 2 ** (n - 1)
            geo = (np.int64(work), np.int32(n - 1 - int(wires[0])))
            name = "sv_adj1q"
        else:
            work = 2 ** (n - 2)
            geo = (np.int64(work), np.int32(n - 1 - int(wires[0])),
                   np.int32(n - 1 - int(wires[1])))
            name = "sv_adj2q"
        blocks = max(1, min((work + _THREADS - 1) // _THREADS, 1024))
        self.cuda.fn(name, real)(
            (blocks, bo), (_THREADS,),
            (ket, brac, mk, mb, rout) + geo + (np.int32(mk.shape[0] > 1),
                                               np.int32(mb.shape[0] > 1), np.int32(bool(want))))
        return rout.view(ket.dtype).reshape(bo, d, d)

    # ---- gate runs -------------------------------------------------------------------
    def apply_seq(self, state: Any, n: int, gates: Sequence[tuple[Sequence[int], Any]],
                  inplace: bool) -> Any:
        """Every gate in order, one pass each; after the first gate (or from the start when
        ``inplace`` and ``state`` is owned and full-batch) the run writes into its own array."""
        bo = max([state.shape[0]] + [m.shape[0] for _, m in gates])
        cur = state
        mine = inplace and self.owned(state) and state.shape[0] == bo
        kb = min(n, BLOCK_BITS[state.dtype.itemsize])
        i = 0
        while i < len(gates):
            j = i
            if self.cuda is not None:  # a run of gates on the low bits: one blocked pass
                while j < len(gates) and all(n - 1 - w < kb for w in gates[j][0]):
                    j += 1
            target = cur if mine and cur.shape[0] == bo else None
            if j - i >= 2:
                cur = self._apply_block(cur, n, gates[i:j], kb, bo, target)
                i = j
            else:
                cur = self.apply_any(cur, n, gates[i][0], gates[i][1], target)
                i += 1
            mine = True
        if cur.shape[0] != bo:
            cur = self.xp.broadcast_to(cur, (bo, 2**n))
        return cur

    def adjoint_seq(self, ket: Any, brac: Any, n: int,
                    gates: Sequence[tuple[Sequence[int], Any, Any, bool]],
                    inplace: bool) -> tuple[Any, Any, list[Any]]:
        """The adjoint sweep of a run: ``mket`` on ``ket``, ``mbra`` on the conjugated bra,
        and for each wanted gate the overlap ``sum_rest brac[rest, i] ket[rest, j]`` (its
        diagonal ``[Bo, d]`` for a diagonal gate)."""
        xp = self.xp
        bo = max([ket.shape[0], brac.shape[0]]
                 + [m.shape[0] for g in gates for m in g[1:3]])
        mine_k = inplace and self.owned(ket) and ket.shape[0] == bo
        mine_b = inplace and self.owned(brac) and brac.shape[0] == bo \
            and not _shares(xp, ket, brac)
        out = []
        for wires, mket, mbra, want in gates:
            if self.cuda is not None and mine_k and mine_b and ket.shape[0] == bo \
                    and brac.shape[0] == bo:
                r = self._adjoint_step(ket, brac, n, wires, mket, mbra, want)
                if want:
                    out.append(xp.ascontiguousarray(xp.diagonal(r, axis1=1, axis2=2))
                               if mket.ndim == 2 else r)
                continue
            ket = self.apply_any(ket, n, wires, mket,
                                 ket if mine_k and ket.shape[0] == bo else None)
            brac = self.apply_any(brac, n, wires, mbra,
                                  brac if mine_b and brac.shape[0] == bo else None)
            mine_k = mine_b = True
            if want:
                r = self.overlap(brac, ket, n, wires, phi_is_conj=True)
                if mket.ndim == 2:
                    r = xp.ascontiguousarray(xp.diagonal(r, axis1=1, axis2=2))
                if r.shape[0] != bo:
                    r = xp.broadcast_to(r, (bo,) + tuple(r.shape[1:]))
                out.append(r)
        if ket.shape[0] != bo:
            ket = xp.broadcast_to(ket, (bo, 2**n))
        if brac.shape[0] != bo:
            brac = xp.broadcast_to(brac, (bo, 2**n))
        return ket, brac, out


def _dense(xp: Any, m: Any) -> Any:
    """A gate ``[Bm, d, d]``; a diagonal ``[Bm, d]`` spread onto one."""
    if m.ndim != 2:
        return xp.ascontiguousarray(m)
    bm, d = m.shape
    out = xp.zeros((bm, d, d), dtype=m.dtype)
    idx = xp.arange(d)
    out[:, idx, idx] = m
    return out


def _shares(xp: Any, a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(xp.shares_memory(a, b))
    except (AttributeError, TypeError, NotImplementedError):
        return True
