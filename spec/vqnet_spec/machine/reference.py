"""What the machine tests compare against that does not come from the machine under test.

* :class:`Reference` — a small NumPy state-vector simulator written for the suite (one
  ``tensordot`` per gate on a ``(2,) * n`` tensor), independent of the core's
  ``StatevectorMachine``: the wide-circuit checks (``test_size``) and the sample distributions
  (``test_shots``) use it, so a bug shared by the core machine and a plugin built on it is
  still caught. Conventions are VQNet's (PennyLane's): wire 0 is the most significant bit of a
  basis index, ``RX(t) = exp(-i t X / 2)``, controls first.
* Statistical bounds with a fixed false-failure probability (:data:`FALSE_FAILURE`), so no
  check on shots is flaky and none depends on the machine's speed.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation
>>> ref = Reference()
>>> c = Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1))])
>>> np.round(ref.probs(c, np.zeros((1, 0)))[0], 3).tolist()
[0.5, 0.0, 0.0, 0.5]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: the probability that one statistical comparison of a correct machine fails (per check;
#: with the suite's fixed seeds a correct, seeded machine gives the same answer every run)
FALSE_FAILURE = 1e-6

_S2 = 1 / math.sqrt(2)
_FIXED = {
    "I": np.eye(2, dtype=complex),
    "H": np.array([[_S2, _S2], [_S2, -_S2]], dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
    "S": np.array([[1, 0], [0, 1j]], dtype=complex),
    "Sdg": np.array([[1, 0], [0, -1j]], dtype=complex),
    "T": np.array([[1, 0], [0, np.exp(1j * np.pi / 4)]], dtype=complex),
    "SWAP": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
}
_PAULI = {p: _FIXED[p] for p in "IXYZ"}


def _rot(name: str, t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    if name == "RX":
        return np.array([[c, -1j * s], [-1j * s, c]])
    if name == "RY":
        return np.array([[c, -s], [s, c]], dtype=complex)
    return np.diag([complex(c, -s), complex(c, s)])  # RZ


def _controlled(u: np.ndarray) -> np.ndarray:
    out = np.eye(4, dtype=complex)
    out[2:, 2:] = u
    return out


#: the gates the reference knows (the wide and sampling circuits use only these)
GATES = frozenset(_FIXED) | {"RX", "RY", "RZ", "CNOT", "CZ", "CY", "CRX", "CRY", "CRZ"}


def gate_matrix(name: str, params: Sequence[float]) -> np.ndarray:
    """The matrix of one gate of :data:`GATES` (controls first, wire 0 most significant)."""
    if name in _FIXED:
        return _FIXED[name]
    if name in ("RX", "RY", "RZ"):
        return _rot(name, params[0])
    if name in ("CNOT", "CZ", "CY"):
        return _controlled(_FIXED[{"CNOT": "X", "CZ": "Z", "CY": "Y"}[name]])
    if name in ("CRX", "CRY", "CRZ"):
        return _controlled(_rot(name[1:], params[0]))
    raise KeyError(f"the suite's reference does not know gate {name}")


class Reference:
    """The suite's own state-vector simulator (exact results of :data:`GATES` circuits)."""

    def states(self, circuit, angles: np.ndarray) -> np.ndarray:
        """Final states ``[B, 2^n]`` (complex128), one per row of ``angles``."""
        n = circuit.num_wires
        out = []
        for row in np.atleast_2d(np.asarray(angles, dtype=np.float64)):
            psi = np.zeros((2,) * n, dtype=complex)
            psi[(0,) * n] = 1
            for op in circuit.ops:
                params = [row[p.index] if hasattr(p, "index") else float(p) for p in op.params]
                k = len(op.wires)
                u = gate_matrix(op.name, params).reshape((2,) * (2 * k))
                psi = np.tensordot(u, psi, axes=(list(range(k, 2 * k)), list(op.wires)))
                psi = np.moveaxis(psi, list(range(k)), list(op.wires))
            out.append(psi.reshape(-1))
        return np.stack(out)

    def probs(self, circuit, angles, wires: Sequence[int] | None = None) -> np.ndarray:
        """Probabilities ``[B, 2^k]`` of the basis states of ``wires`` (first most
        significant; all wires when None)."""
        return marginal(np.abs(self.states(circuit, angles)) ** 2, circuit.num_wires, wires)

    def expval(self, circuit, angles, terms: dict[str, float]) -> np.ndarray:
        """``<H>`` ``[B]`` for ``{"Z0 X3": coeff, ...}``."""
        return expval_of_states(self.states(circuit, angles), circuit.num_wires, terms)


def marginal(p: np.ndarray, n: int, wires: Sequence[int] | None) -> np.ndarray:
    """The marginal ``[B, 2^k]`` of full probabilities ``[B, 2^n]`` on ``wires`` in that
    order."""
    if wires is None:
        return p
    t = p.reshape((p.shape[0],) + (2,) * n)
    rest = tuple(1 + w for w in range(n) if w not in wires)
    t = t.sum(axis=rest) if rest else t
    kept = sorted(wires)
    t = np.moveaxis(t, [1 + kept.index(w) for w in wires], list(range(1, 1 + len(wires))))
    return t.reshape(p.shape[0], -1)


def expval_of_states(states: np.ndarray, n: int, terms: dict[str, float]) -> np.ndarray:
    """``<psi| H |psi>`` per row for a Pauli sum ``{"Z0 X3": coeff}``."""
    total = np.zeros(states.shape[0])
    for word, coeff in terms.items():
        v = states.reshape((states.shape[0],) + (2,) * n)
        for tok in word.split():
            p, w = tok[0], int(tok[1:])
            v = np.moveaxis(np.tensordot(_PAULI[p], v, axes=([1], [1 + w])), 0, 1 + w)
        total += coeff * np.real(np.sum(states.conj() * v.reshape(states.shape), axis=1))
    return total


# ---------------------------------------------------------------------------- statistics
def tvd_bound(p: np.ndarray, shots: int, delta: float = FALSE_FAILURE) -> float:
    """A bound the total-variation distance between ``p`` and the empirical distribution of
    ``shots`` independent draws from it exceeds with probability at most ``delta``.

    ``E[TVD] <= 1/2 sum_i sqrt(p_i (1 - p_i) / N)`` (Jensen), and one draw moves the TVD by at
    most ``1/N``, so McDiarmid's inequality gives ``P(TVD >= E[TVD] + t) <= exp(-2 N t^2)``.
    The bound is distribution-free (no large-count approximation).
    """
    p = np.asarray(p, dtype=np.float64)
    mean = 0.5 * float(np.sum(np.sqrt(np.clip(p * (1 - p), 0, None) / shots)))
    return mean + math.sqrt(math.log(1 / delta) / (2 * shots))


#: seeds and shots of the shot-noise check; the sample variance of ``SPREAD_SEEDS`` estimates
#: is ``sigma^2 chi^2_{K-1} / (K-1)``, whose 1e-7 and 1 - 1e-7 quantiles for K = 32 are 0.178
#: and 2.92 (``scipy.stats.chi2.ppf``); the bounds below leave room for the estimates being
#: binomial, not normal
SPREAD_SEEDS, SPREAD_SHOTS = 32, 1000
SPREAD_RATIO = (0.15, 3.2)
