"""Error mitigation for the emulated QPUs.

* **Readout** (``get_machine("qpu.X", mitigation="readout")``): tensored confusion-matrix
  inversion. Each measured qubit's ``M[measured, true]`` (from the calibration, as a user of
  the device would measure it) is inverted and applied wire by wire to the shot estimate of
  the distribution, vectorised over the batch; expvals use the unclipped quasi-probabilities
  (unbiased), ``Probs`` are clipped at 0 and renormalised. ``mthree`` does the same
  correction on a counts dictionary per circuit (its M3 solve in the subspace of observed
  bit strings); :func:`readout_mitigated_counts_m3` uses it when installed, and the tests
  check the two agree. The machine uses the vectorised inversion (one einsum per wire for a
  whole batch) because a training step asks for a batch of distributions at once.
* **Zero-noise extrapolation** (:func:`zne`): local unitary folding of the *native* gates
  (``G -> G (G^dag G)^m``, each copy with the gate's calibrated noise, so the noise scales by
  ``1 + 2m`` while the ideal circuit is unchanged; folding the logical circuit would not
  survive the transpiler's optimisation) and Richardson extrapolation to zero noise. mitiq
  implements the same, but its 1.1 release pins ``numpy < 2.3`` (it would downgrade the
  environment's NumPy), so it is not a dependency; the folding here is on VQNet's own
  native program.

>>> import numpy as np
>>> M = np.array([[0.9, 0.2], [0.1, 0.8]])        # M[measured, true]
>>> p = apply_confusion(np.array([[1.0, 0.0]]), [M])
>>> (np.round(invert_confusion(p, [M]), 12) + 0.0).tolist()
[[1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def apply_confusion(p: np.ndarray, mats: Sequence[np.ndarray]) -> np.ndarray:
    """``p`` ``[B, 2^n]`` (wire 0 most significant) with ``mats[w]`` applied on wire ``w``."""
    p = np.asarray(p, dtype=np.float64)
    n = len(mats)
    bsz = p.shape[0]
    t = p.reshape((bsz,) + (2,) * n)
    for w, m in enumerate(mats):
        if m is None:
            continue
        t = np.moveaxis(np.tensordot(np.asarray(m, dtype=np.float64), t, axes=([1], [1 + w])),
                        0, 1 + w)
    return np.ascontiguousarray(t.reshape(bsz, 2**n))


def invert_confusion(p: np.ndarray, mats: Sequence[np.ndarray]) -> np.ndarray:
    """The tensored inversion: ``mats[w]^-1`` on wire ``w`` (quasi-probabilities, summing to
    one, possibly negative)."""
    inv = []
    for w, m in enumerate(mats):
        m = np.asarray(m, dtype=np.float64)
        if abs(np.linalg.det(m)) < 1e-9:
            raise ValueError(f"the confusion matrix of wire {w} is singular ({m.tolist()}): "
                             "readout mitigation cannot invert it")
        inv.append(np.linalg.inv(m))
    return apply_confusion(p, inv)


def readout_mitigated_counts_m3(counts: dict[str, int], mats: Sequence[np.ndarray]) -> dict:
    """mthree's readout correction of one counts dictionary (bit strings with wire 0 first)
    from the per-wire confusion matrices: ``{bitstring: quasi-probability}``."""
    import mthree

    n = len(mats)
    mit = mthree.M3Mitigation(None)
    # mthree's calibration matrices are [[P(0|0), P(0|1)], [P(1|0), P(1|1)]] = M[measured,
    # true], qubit j = wire j; its bit strings have qubit 0 rightmost
    mit.cals_from_matrices([np.asarray(m, dtype=np.float32) for m in mats])
    rev = {k[::-1]: v for k, v in counts.items()}
    quasi = mit.apply_correction(rev, list(range(n)))
    return {k[::-1]: float(v) for k, v in quasi.items()}


def richardson(scales: Sequence[float], values: np.ndarray) -> np.ndarray:
    """The value at zero noise of the polynomial of degree ``len(scales) - 1`` through
    ``(scale, value)`` (Richardson extrapolation); ``values`` ``[len(scales), ...]``."""
    s = np.asarray(scales, dtype=np.float64)
    if len(set(s.tolist())) != len(s):
        raise ValueError(f"scale factors must differ, got {list(scales)}")
    # Lagrange weights at 0
    w = np.array([np.prod([sj / (sj - si) for j, sj in enumerate(s) if j != i])
                  for i, si in enumerate(s)])
    return np.tensordot(w, np.asarray(values, dtype=np.float64), axes=1)


def zne(machine: Any, circuit: Any, angles: Any, measurements: Sequence[Any], shots: int,
        scale_factors: Sequence[int] = (1, 3, 5), seed: int | None = None) -> list[np.ndarray]:
    """Zero-noise-extrapolated expvals / probs of ``circuit`` on the QPU ``machine``: one run
    per odd ``scale_factor`` (natively folded gates), Richardson-extrapolated to zero noise.

    >>> import numpy as np
    >>> from vqnet_core.quantum import Circuit, Operation, Expval, get_machine
    >>> m = get_machine("qpu.example.grid3x3", mitigation="readout")
    >>> c = Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1))])
    >>> raw = m.execute(c, np.zeros((1, 0)), [Expval("Z0 Z1")], shots=20000, seed=1)[0]
    >>> ev = zne(m, c, np.zeros((1, 0)), [Expval("Z0 Z1")], shots=20000, seed=1)[0]
    >>> bool(abs(ev[0] - 1) < abs(raw[0] - 1))
    True
    """
    from vqnet_core.backend import get_backend

    from .machines import QPUMachine

    if not isinstance(machine, QPUMachine):
        raise TypeError(f"zne needs a qpu.* machine, got {machine!r}")
    for m in measurements:
        if m.kind not in ("expval", "probs"):
            raise ValueError(f"zne extrapolates expvals and probs, not {m.kind}")
    B = get_backend()
    runs = []
    for i, lam in enumerate(scale_factors):
        folded = machine.folded(int(lam))
        res = folded.execute(circuit, angles, measurements, shots=shots,
                             seed=None if seed is None else seed + i)
        runs.append([np.asarray(B.to_numpy(r), dtype=np.float64) for r in res])
    return [richardson(scale_factors, np.stack([r[j] for r in runs]))
            for j in range(len(measurements))]
