"""Turning a simulated state into measurement results (exact or from seeded shots).

A simulator supplies ``probs_in_basis(rotation)``: the full ``[B, 2^n]`` probability array after
rotating the wires of ``rotation`` (``((wire, "X"|"Y"), ...)``) so that Z measures X / Y. This
module does the rest for both the statevector and the density-matrix machines: marginals,
readout error, parity sums, and seeded sampling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import kernels as K
from .circuit import Measurement

ProbsFn = Callable[[tuple], Any]


def make_rng(seed: int | None) -> np.random.Generator:
    """A numpy generator from ``seed``, or from VQNet's seeded stream when None."""
    if seed is None:
        from ..ops.creation import next_key
        return np.random.default_rng(list(next_key()))
    return np.random.default_rng(seed)


def _readout(B, p: Any, wires: Sequence[int], readout: dict[int, np.ndarray] | None,
             rdt: str) -> Any:
    """Apply per-wire confusion matrices ``M[measured, true]`` to a marginal over ``wires``."""
    if not readout:
        return p
    k = len(wires)
    for j, w in enumerate(wires):
        if w in readout:
            m = B.from_numpy(readout[w].astype(rdt)[None])
            p = K.apply_matrix_reference(B, p, k, (j,), m)
    return p


def evaluate(B, n: int, measurements: Sequence[Measurement], probs_in_basis: ProbsFn,
             state_fn: Callable[[], Any] | None, density_fn: Callable[[], Any] | None,
             shots: int | None, seed: int | None, rdt: str, bsz: int,
             readout: dict[int, np.ndarray] | None = None) -> list[Any]:
    """One result per measurement (native arrays of ``B``)."""
    cache: dict[tuple, Any] = {}
    singles: dict[tuple, list[Any]] = {}
    rng = make_rng(seed) if shots is not None else None
    # several one-wire terms measured in the same basis: all one-wire marginals in one fold
    many = _single_wire_bases(measurements)

    def probs(rot: tuple) -> Any:
        if rot not in cache:
            cache[rot] = probs_in_basis(rot)
        return cache[rot]

    def marg(rot: tuple, wires: Sequence[int]) -> Any:
        ws = tuple(sorted(wires))
        if len(ws) == 1 and rot in many:
            if rot not in singles:
                singles[rot] = K.single_wire_marginals(B, probs(rot), n)
            p = singles[rot][ws[0]]
        else:
            p = K.marginal(B, probs(rot), n, ws)
        p = _readout(B, p, ws, readout, rdt)
        return K.reorder_marginal(B, p, ws, tuple(wires))

    out = []
    for m in measurements:
        if m.kind == "expval":
            total = None
            for c, term in m.observable.terms:
                if not term:
                    v = np.full((bsz,), c)
                    v = B.from_numpy(v.astype(rdt))
                else:
                    rot = tuple((w, p) for w, p in term if p != "Z")
                    wires = tuple(w for w, _ in term)
                    p = marg(rot, wires)
                    sign = K.parity(len(wires)).astype(rdt)
                    if rng is None:
                        v = B.reshape(B.matmul(p, B.from_numpy(sign.reshape(-1, 1))), (bsz,))
                        v = B.binary("mul", v, c)
                    else:
                        counts = _counts(rng, B.to_numpy(p), shots)
                        v = B.from_numpy((c * counts @ sign / shots).astype(rdt))
                total = v if total is None else B.binary("add", total, v)
            out.append(total)
        elif m.kind == "probs":
            wires = m.wires if m.wires is not None else tuple(range(n))
            p = marg((), wires)
            if rng is not None:
                p = B.from_numpy((_counts(rng, B.to_numpy(p), shots) / shots).astype(rdt))
            out.append(p)
        elif m.kind == "sample":
            wires = m.wires if m.wires is not None else tuple(range(n))
            p = B.to_numpy(marg((), wires))
            out.append(B.from_numpy(sample_bits(rng, p, shots, len(wires))))
        elif m.kind == "state":
            out.append(state_fn())
        elif m.kind == "density":
            out.append(density_fn())
        elif m.kind == "amplitude":  # exact amplitudes of chosen basis states
            idx = B.from_numpy(np.asarray(m.states, dtype=np.int64))
            out.append(B.getitem(state_fn(), (slice(None), idx)))
        else:
            raise ValueError(f"unknown measurement kind {m.kind!r}")
    return out


def _single_wire_bases(measurements: Sequence[Measurement]) -> set[tuple]:
    """The measurement bases (rotations) in which at least ``FOLD_MIN_TERMS`` one-wire terms
    are read."""
    count: dict[tuple, int] = {}
    for m in measurements:
        if m.kind != "expval":
            continue
        for _, term in m.observable.terms:
            if len(term) == 1:
                rot = tuple((w, p) for w, p in term if p != "Z")
                count[rot] = count.get(rot, 0) + 1
    return {rot for rot, c in count.items() if c >= K.FOLD_MIN_TERMS}


def _clean(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    return p / p.sum(axis=-1, keepdims=True)


def _counts(rng: np.random.Generator, p: np.ndarray, shots: int) -> np.ndarray:
    return rng.multinomial(shots, _clean(p)).astype(np.float64)


def sample_bits(rng: np.random.Generator, p: np.ndarray, shots: int, k: int) -> np.ndarray:
    """``shots`` draws per row of the probabilities ``p`` ``[B, 2^k]`` (clipped at 0 and
    renormalised) as int64 bits ``[B, shots, k]``, the first measured wire first."""
    p = _clean(p)
    cdf = np.cumsum(p, axis=-1)
    cdf[:, -1] = 1.0
    u = rng.random((p.shape[0], shots))
    idx = np.stack([np.searchsorted(cdf[b], u[b], side="right") for b in range(p.shape[0])])
    idx = np.minimum(idx, p.shape[1] - 1)
    shifts = np.arange(k - 1, -1, -1)
    return ((idx[..., None] >> shifts) & 1).astype(np.int64)
