"""Measurement results for machine authors: the stable public API a machine builds on.

A machine that can produce a final state vector, a density matrix, or the probabilities of
the computational basis after a basis rotation hands that to one function here and gets
the results :meth:`Machine.execute <vqnet_core.quantum.Machine.execute>` must return: one
array **of the active array backend** per measurement, with

* ``Expval`` -> real ``[B]``, ``Probs`` -> real ``[B, 2^k]`` (float32 for ``complex64``,
  float64 for ``complex128``), ``State`` -> ``dtype`` ``[B, 2^n]``, ``Density`` -> ``dtype``
  ``[B, 2^n, 2^n]``, ``Amplitude`` -> ``dtype`` ``[B, len(states)]``,
  ``Sample`` -> int64 bits ``[B, shots, k]`` (the first listed wire first).

With ``shots`` (an int) expvals and probs are estimated from ``shots`` seeded draws and
samples are drawn; the same ``seed`` gives the same results, ``seed=None`` draws from VQNet's
seeded stream (``vq.manual_seed``). Wire 0 is the most significant bit of a basis index.

Everything here works on host NumPy arrays (a native array of the active backend is also
accepted) and converts at the end, so a simulator that answers in NumPy needs nothing else.

>>> import numpy as np
>>> from vqnet_core.quantum import Expval, Probs
>>> plus = np.full((1, 2), 2 ** -0.5, dtype=np.complex128)      # |+>, batch of one
>>> ev, pr = measure_state(plus, 1, [Expval("X0"), Probs([0])])
>>> [round(float(v), 6) for v in ev], [round(float(v), 6) for v in pr[0]]
([1.0], [0.5, 0.5])

Stable names: :func:`measure_state`, :func:`measure_density`, :func:`measure_probs`,
:func:`to_active`, :func:`make_rng`, :func:`sample_bits`, :data:`REAL_DTYPE`. The rest of
``vqnet_core.quantum`` that machines use is public too (``Machine``, ``MachineCapabilities``,
the errors, ``kernels`` for state-vector building blocks, ``noise.NoiseModel``); names that
start with ``_`` anywhere in ``vqnet_core`` are not, and may change without notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend.registry import get_backend
from . import kernels as K
from .circuit import Measurement
from .measure_eval import evaluate, make_rng, sample_bits

__all__ = ["REAL_DTYPE", "make_rng", "measure_density", "measure_probs", "measure_state",
           "sample_bits", "to_active"]

#: The real dtype of expvals and probabilities for each complex machine dtype.
REAL_DTYPE = {"complex64": "float32", "complex128": "float64"}


def _host(a: Any) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else np.asarray(get_backend().to_numpy(a))


def to_active(results: Sequence[Any], dtype: str) -> list[Any]:
    """Host results as arrays of the active backend: real floats in ``REAL_DTYPE[dtype]``,
    complex ones in ``dtype``, integers (samples) as int64."""
    B = get_backend()
    out = []
    for r in results:
        r = _host(r)
        if r.dtype.kind == "f":
            r = r.astype(REAL_DTYPE[dtype])
        elif r.dtype.kind == "c":
            r = r.astype(dtype)
        elif r.dtype.kind in "iub":
            r = r.astype(np.int64)
        out.append(B.from_numpy(np.ascontiguousarray(r)))
    return out


def measure_probs(probs_in_basis: Callable[[tuple], Any], n: int,
                  measurements: Sequence[Measurement], *, batch: int,
                  shots: int | None = None, seed: int | None = None,
                  dtype: str = "complex128",
                  readout: dict[int, np.ndarray] | None = None,
                  state: Callable[[], Any] | None = None,
                  density: Callable[[], Any] | None = None) -> list[Any]:
    """Results from probabilities.

    ``probs_in_basis(rotation)`` returns the ``[batch, 2^n]`` probabilities after rotating
    every ``(wire, "X" | "Y")`` of ``rotation`` so that Z measures X / Y (``()``: the
    computational basis); it is called once per basis that the measurements need.
    ``readout``: per-wire confusion matrices ``M[measured, true]`` applied to every marginal
    (``NoiseModel.readout_matrices(n)``). ``state`` / ``density``: callables returning the
    state / density matrix, needed only for those measurement kinds.
    """
    Bn = get_backend("numpy")
    res = evaluate(Bn, n, measurements, lambda rot: _host(probs_in_basis(rot)),
                   None if state is None else lambda: _host(state()),
                   None if density is None else lambda: _host(density()),
                   shots, seed, REAL_DTYPE[dtype], batch, readout)
    return to_active(res, dtype)


def measure_state(state: Any, n: int, measurements: Sequence[Measurement], *,
                  shots: int | None = None, seed: int | None = None,
                  dtype: str = "complex128") -> list[Any]:
    """Results from final state vectors ``state`` ``[B, 2^n]`` (numpy or native)."""
    Bn = get_backend("numpy")
    psi = np.ascontiguousarray(_host(state).astype(dtype, copy=False))
    bsz = psi.shape[0]

    def probs_in_basis(rot: tuple) -> np.ndarray:
        return K.probabilities(Bn, K.rotate_to_z(Bn, psi, n, rot, dtype))

    def density() -> np.ndarray:
        return psi[:, :, None] * psi.conj()[:, None, :]
    return measure_probs(probs_in_basis, n, measurements, batch=bsz, shots=shots, seed=seed,
                         dtype=dtype, state=lambda: psi, density=density)


def measure_density(rho: Any, n: int, measurements: Sequence[Measurement], *,
                    shots: int | None = None, seed: int | None = None,
                    dtype: str = "complex128",
                    readout: dict[int, np.ndarray] | None = None) -> list[Any]:
    """Results from density matrices ``rho`` ``[B, 2^n, 2^n]`` (numpy or native)."""
    Bn = get_backend("numpy")
    r = np.ascontiguousarray(_host(rho).astype(dtype, copy=False))
    bsz = r.shape[0]

    def probs_in_basis(rot: tuple) -> np.ndarray:
        flat = r.reshape(bsz, 4**n)  # rho as a state on 2n wires: rows, then columns
        for w, p in rot:
            u = K.BASIS_ROT[p].astype(dtype)
            flat = K.apply_matrix(Bn, flat, 2 * n, (w,), u[None])               # U rho
            flat = K.apply_matrix(Bn, flat, 2 * n, (n + w,), u.conj()[None])    # ... U^dag
        diag = flat.reshape(bsz, 2**n, 2**n).diagonal(axis1=1, axis2=2)
        return np.ascontiguousarray(diag.real)
    return measure_probs(probs_in_basis, n, measurements, batch=bsz, shots=shots, seed=seed,
                         dtype=dtype, readout=readout, density=lambda: r)
