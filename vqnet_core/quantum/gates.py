"""The gate set: matrices (as functions of the angles), structure and generators.

Conventions are PennyLane's: ``RX(t) = exp(-i t X / 2)``, wire 0 is the most significant qubit
of a state index, controlled gates list their control wires first.

Every parametric gate is a product of *factors* ``exp(-i p_k G_k)`` (and constant matrices), one
factor per angle ``p_k``; the generator ``G_k`` gives both the exact derivative
``dU/dp_k`` (used by the adjoint method) and the parameter-shift rule of ``p_k`` (from the
spectrum of ``G_k``).

>>> import numpy as np
>>> from vqnet_core.quantum.gates import get_gate
>>> np.round(get_gate("RX").matrix([np.array([np.pi])], 1)[0], 6).tolist()
[[0j, -1j], [-1j, 0j]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

Params = Sequence[np.ndarray]  # one [Bp] float array per angle
MatFn = Callable[[Params, int], np.ndarray]  # (params, num_wires) -> [Bp, d, d]

_I2 = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_P1 = np.array([[0, 0], [0, 1]], dtype=complex)  # |1><1|
PAULI = {"I": _I2, "X": _X, "Y": _Y, "Z": _Z}


class GateError(ValueError):
    """An unknown gate or a gate used with the wrong wires or parameters."""


@dataclass(frozen=True)
class Factor:
    """One factor of a gate: ``fn(params, k) -> [Bp, d, d]``; ``param`` is the index of its
    angle (None for a constant factor) and ``generator(k)`` its ``G`` (``F = exp(-i p G)``)."""

    fn: MatFn
    param: int | None = None
    generator: Callable[[int], np.ndarray] | None = None


@dataclass(frozen=True)
class GateDef:
    """A gate: its name, wire count (``None``: any, at least ``min_wires``), angle count and
    structure ``kind`` (``"perm"``: a permutation, ``"diag"``: diagonal, ``"dense"``)."""

    name: str
    num_wires: int | None
    num_params: int
    kind: str
    factors: tuple[Factor, ...]
    min_wires: int = 1
    diag: Callable[[Params, int], np.ndarray] | None = None

    def matrix(self, params: Params, k: int | None = None) -> np.ndarray:
        """The matrix ``[Bp, 2^k, 2^k]`` (``Bp`` = the longest param batch, 1 if none)."""
        k = self.num_wires if k is None else k
        out = None
        for f in self.factors:  # factors are listed in the order they act
            m = f.fn(params, k)
            out = m if out is None else np.matmul(m, out)
        return out

    def dmatrix(self, params: Params, j: int, k: int | None = None) -> np.ndarray:
        """``dU/dp_j`` as ``[Bp, d, d]``: the product with ``-i G_j`` inserted after factor j."""
        k = self.num_wires if k is None else k
        out = None
        for f in self.factors:
            m = f.fn(params, k)
            if f.param == j:
                m = np.matmul(-1j * f.generator(k), m)
            out = m if out is None else np.matmul(m, out)
        return out

    def generator(self, j: int, k: int | None = None) -> np.ndarray:
        """The generator ``G`` of angle ``j`` (the factor that angle drives)."""
        k = self.num_wires if k is None else k
        for f in self.factors:
            if f.param == j:
                return f.generator(k)
        raise GateError(f"{self.name} has no angle {j}")

    def diagonal(self, params: Params, k: int | None = None) -> np.ndarray:
        """The diagonal ``[Bp, 2^k]`` of a diagonal gate."""
        k = self.num_wires if k is None else k
        if self.diag is not None:
            return self.diag(params, k)
        return np.diagonal(self.matrix(params, k), axis1=1, axis2=2).copy()

    def permutation(self, k: int | None = None) -> np.ndarray:
        """For a permutation gate: ``p`` with ``(U psi)[i] = psi[p[i]]``."""
        return _perm_of(self.name, self.num_wires if k is None else k)


# ---------------------------------------------------------------------------- helpers
def _bsize(params: Params) -> int:
    return max((np.shape(p)[0] for p in params), default=1)


def _const(m: np.ndarray) -> MatFn:
    m = np.asarray(m, dtype=complex)[None]
    return lambda params, k: m


def _cs(params: Params, j: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(params[j], dtype=float)
    return np.cos(t / 2), np.sin(t / 2)


def _mat(rows) -> np.ndarray:
    """Stack a nested list of [Bp] (or scalar) entries into [Bp, d, d]."""
    bp = max((np.size(e) for r in rows for e in r), default=1)
    d = len(rows)
    out = np.zeros((bp, d, d), dtype=complex)
    for i, r in enumerate(rows):
        for j, e in enumerate(r):
            out[:, i, j] = e
    return out


def _controlled(u: np.ndarray, nc: int = 1) -> np.ndarray:
    """``[Bp, 2, 2]`` or ``[Bp, d, d]`` -> the matrix controlled on ``nc`` leading wires."""
    bp, d, _ = u.shape
    D = d * 2**nc
    out = np.broadcast_to(np.eye(D, dtype=complex), (bp, D, D)).copy()
    out[:, D - d:, D - d:] = u
    return out


def _kron(*ms: np.ndarray) -> np.ndarray:
    out = np.array([[1.0 + 0j]])
    for m in ms:
        out = np.kron(out, m)
    return out


def _rx(params, k, j=0):
    c, s = _cs(params, j)
    return _mat([[c, -1j * s], [-1j * s, c]])


def _ry(params, k, j=0):
    c, s = _cs(params, j)
    return _mat([[c, -s], [s, c]])


def _rz(params, k, j=0):
    t = np.asarray(params[j], dtype=float)
    return _mat([[np.exp(-0.5j * t), 0], [0, np.exp(0.5j * t)]])


def _phase(params, k, j=0):
    t = np.asarray(params[j], dtype=float)
    return _mat([[1, 0], [0, np.exp(1j * t)]])


def _parity(k: int) -> np.ndarray:
    """The eigenvalues (+1/-1) of Z x ... x Z on k qubits, by basis index."""
    idx = np.arange(2**k)
    bits = np.array([bin(i).count("1") for i in idx])
    return 1 - 2 * (bits % 2)


def _multirz_diag(params, k):
    t = np.asarray(params[0], dtype=float)
    return np.exp(-0.5j * t[:, None] * _parity(k)[None, :])


def _diag_fn(d: Callable[[Params, int], np.ndarray]) -> MatFn:
    def fn(params, k):
        v = d(params, k)
        out = np.zeros(v.shape + (v.shape[-1],), dtype=complex)
        idx = np.arange(v.shape[-1])
        out[:, idx, idx] = v
        return out
    return fn


def _pauli_rot(word: str) -> tuple[MatFn, Callable[[int], np.ndarray]]:
    """``exp(-i t P / 2)`` for a Pauli word ``P`` (``"XX"``, ``"ZX"``...)."""
    P = _kron(*(PAULI[c] for c in word))

    def fn(params, k):
        c, s = _cs(params, 0)
        return c[:, None, None] * np.eye(len(P))[None] - 1j * s[:, None, None] * P[None]
    return fn, (lambda k: P / 2)


def _mcx_matrix(k: int) -> np.ndarray:
    return _controlled(_X[None], k - 1)[0]


# ---------------------------------------------------------------------------- the table
GATES: dict[str, GateDef] = {}
ALIASES = {"CX": "CNOT", "CCX": "Toffoli", "CCNOT": "Toffoli", "Fredkin": "CSWAP",
           "CPhase": "ControlledPhaseShift", "CP": "ControlledPhaseShift", "P": "PhaseShift",
           "U": "U3", "MCX": "MultiControlledX", "IsingXX": "RXX", "IsingYY": "RYY",
           "IsingZZ": "RZZ", "Unitary": "QubitUnitary", "SXdg": None}


def _add(name, nw, npar, kind, factors, min_wires=1, diag=None):
    GATES[name] = GateDef(name, nw, npar, kind, tuple(factors), min_wires, diag)


def _const_gate(name, m, kind=None):
    m = np.asarray(m, dtype=complex)
    nw = int(np.log2(len(m)))
    if kind is None:
        if np.allclose(m, np.diag(np.diagonal(m))):
            kind = "diag"
        elif np.all((np.abs(m) == 0) | (np.abs(m - 1) == 0)) and np.allclose(
                np.abs(m).sum(0), 1):
            kind = "perm"
        else:
            kind = "dense"
    _add(name, nw, 0, kind, [Factor(_const(m))])


_SX = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])
_CONST = {
    "I": _I2, "H": _H, "X": _X, "Y": _Y, "Z": _Z,
    "S": np.diag([1, 1j]), "Sdg": np.diag([1, -1j]),
    "T": np.diag([1, np.exp(1j * np.pi / 4)]), "Tdg": np.diag([1, np.exp(-1j * np.pi / 4)]),
    "SX": _SX,
    "CNOT": _controlled(_X[None])[0], "CY": _controlled(_Y[None])[0],
    "CZ": np.diag([1, 1, 1, -1]), "CH": _controlled(_H[None])[0],
    "SWAP": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    "ISWAP": np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]]),
    "Toffoli": _controlled(_X[None], 2)[0], "CCZ": np.diag([1] * 7 + [-1]),
}
_CONST["CSWAP"] = _controlled(_CONST["SWAP"][None].astype(complex))[0]
for _n, _m in _CONST.items():
    _const_gate(_n, _m)

_add("RX", 1, 1, "dense", [Factor(_rx, 0, lambda k: _X / 2)])
_add("RY", 1, 1, "dense", [Factor(_ry, 0, lambda k: _Y / 2)])
_add("RZ", 1, 1, "diag", [Factor(_rz, 0, lambda k: _Z / 2)],
     diag=lambda p, k: np.exp(np.multiply.outer(np.asarray(p[0], float), [-0.5j, 0.5j])))
_add("PhaseShift", 1, 1, "diag", [Factor(_phase, 0, lambda k: -_P1)],
     diag=lambda p, k: np.exp(np.multiply.outer(np.asarray(p[0], float), [0, 1j])))
_add("U1", 1, 1, "diag", [Factor(_phase, 0, lambda k: -_P1)],
     diag=lambda p, k: np.exp(np.multiply.outer(np.asarray(p[0], float), [0, 1j])))
# Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)
_add("Rot", 1, 3, "dense", [
    Factor(lambda p, k: _rz(p, k, 0), 0, lambda k: _Z / 2),
    Factor(lambda p, k: _ry(p, k, 1), 1, lambda k: _Y / 2),
    Factor(lambda p, k: _rz(p, k, 2), 2, lambda k: _Z / 2)])
# U3(theta, phi, lam) = PhaseShift(phi) RY(theta) PhaseShift(lam); U2(phi, lam) = U3(pi/2, ...)
_add("U3", 1, 3, "dense", [
    Factor(lambda p, k: _phase(p, k, 2), 2, lambda k: -_P1),
    Factor(lambda p, k: _ry(p, k, 0), 0, lambda k: _Y / 2),
    Factor(lambda p, k: _phase(p, k, 1), 1, lambda k: -_P1)])
_add("U2", 1, 2, "dense", [
    Factor(lambda p, k: _phase(p, k, 1), 1, lambda k: -_P1),
    Factor(_const(_ry([np.array([np.pi / 2])], 1)[0])),
    Factor(lambda p, k: _phase(p, k, 0), 0, lambda k: -_P1)])


def _ctrl_fn(fn: MatFn, nc: int = 1) -> MatFn:
    return lambda p, k: _controlled(fn(p, k), nc)


def _ctrl_gen(g: np.ndarray) -> Callable[[int], np.ndarray]:
    G = np.kron(_P1, g)
    return lambda k: G


_add("CRX", 2, 1, "dense", [Factor(_ctrl_fn(_rx), 0, _ctrl_gen(_X / 2))])
_add("CRY", 2, 1, "dense", [Factor(_ctrl_fn(_ry), 0, _ctrl_gen(_Y / 2))])
_add("CRZ", 2, 1, "diag", [Factor(_ctrl_fn(_rz), 0, _ctrl_gen(_Z / 2))])
_add("ControlledPhaseShift", 2, 1, "diag", [Factor(_ctrl_fn(_phase), 0, _ctrl_gen(-_P1))])
_add("CRot", 2, 3, "dense", [
    Factor(_ctrl_fn(lambda p, k: _rz(p, k, 0)), 0, _ctrl_gen(_Z / 2)),
    Factor(_ctrl_fn(lambda p, k: _ry(p, k, 1)), 1, _ctrl_gen(_Y / 2)),
    Factor(_ctrl_fn(lambda p, k: _rz(p, k, 2)), 2, _ctrl_gen(_Z / 2))])
for _n, _w in (("RXX", "XX"), ("RYY", "YY"), ("RZZ", "ZZ"), ("RZX", "ZX")):
    _f, _g = _pauli_rot(_w)
    _add(_n, 2, 1, "diag" if _w == "ZZ" else "dense", [Factor(_f, 0, _g)])


def _isingxy(p, k):
    c, s = _cs(p, 0)
    return _mat([[1, 0, 0, 0], [0, c, 1j * s, 0], [0, 1j * s, c, 0], [0, 0, 0, 1]])


_add("IsingXY", 2, 1, "dense",
     [Factor(_isingxy, 0, lambda k: -(_kron(_X, _X) + _kron(_Y, _Y)) / 4)])
_add("MultiRZ", None, 1, "diag",
     [Factor(_diag_fn(_multirz_diag), 0, lambda k: np.diag(_parity(k)).astype(complex) / 2)],
     diag=_multirz_diag)


def _excitation(idx0: int, idx1: int, d: int):
    def fn(p, k):
        c, s = _cs(p, 0)
        bp = np.size(c)
        out = np.broadcast_to(np.eye(d, dtype=complex), (bp, d, d)).copy()
        out[:, idx0, idx0], out[:, idx0, idx1] = c, -s
        out[:, idx1, idx0], out[:, idx1, idx1] = s, c
        return out
    G = np.zeros((d, d), dtype=complex)
    G[idx0, idx1], G[idx1, idx0] = -0.5j, 0.5j
    return fn, (lambda k: G)


_f, _g = _excitation(1, 2, 4)
_add("SingleExcitation", 2, 1, "dense", [Factor(_f, 0, _g)])
_f, _g = _excitation(3, 12, 16)
_add("DoubleExcitation", 4, 1, "dense", [Factor(_f, 0, _g)])
_add("MultiControlledX", None, 0, "perm", [Factor(lambda p, k: _mcx_matrix(k)[None])],
     min_wires=2)
# QubitUnitary: the matrix travels with the operation (Operation.matrix)
_add("QubitUnitary", None, 0, "dense", [], min_wires=1)
del ALIASES["SXdg"]


def canonical_name(name: str) -> str:
    """The table name of ``name`` (case-insensitive; aliases such as ``CX`` accepted)."""
    if name in GATES:
        return name
    if name in ALIASES:
        return ALIASES[name]
    low = {k.lower(): k for k in GATES} | {k.lower(): v for k, v in ALIASES.items()}
    if name.lower() in low:
        return low[name.lower()]
    raise GateError(f"unknown gate {name!r}; known gates: {', '.join(sorted(GATES))}")


def get_gate(name: str) -> GateDef:
    """The :class:`GateDef` of ``name``."""
    return GATES[canonical_name(name)]


@cache
def _perm_of(name: str, k: int) -> np.ndarray:
    m = GATES[name].matrix([], k)[0]
    return np.argmax(np.abs(m), axis=1).astype(np.int64)


@cache
def shift_rule(name: str, j: int, k: int) -> tuple[tuple[float, float], ...]:
    """The parameter-shift rule of angle ``j`` of gate ``name`` on ``k`` wires:
    ``df/dp = sum(c * f(p + s) for c, s in rule)``.

    Derived from the spectrum of the angle's generator: with R distinct positive frequencies
    (equidistant: ``l * w``), the 2R-term rule of Wierichs et al. (two terms for Pauli
    rotations, four for controlled rotations).

    >>> shift_rule("RX", 0, 1)
    ((0.5, 1.5707963267948966), (-0.5, -1.5707963267948966))
    """
    G = GATES[name].generator(j, k)
    ev = np.linalg.eigvalsh(G)
    diffs = np.abs(ev[:, None] - ev[None, :]).ravel()
    freqs = np.unique(np.round(diffs[diffs > 1e-9], 9))
    if len(freqs) == 0:
        return ()
    R = len(freqs)
    w = freqs[0]
    if not np.allclose(freqs, w * np.arange(1, R + 1)):
        raise GateError(f"{name}: frequencies {freqs} are not equidistant; no shift rule")
    x = (2 * np.arange(1, R + 1) - 1) * np.pi / (2 * R * w)
    # derivative of sin(l w p) at 0 is l w = sum_mu y_mu * 2 sin(l w x_mu)
    A = 2 * np.sin(np.outer(freqs, x))
    y = np.linalg.solve(A, freqs)
    rule = []
    for c, s in zip(y, x):
        rule += [(float(c), float(s)), (float(-c), float(-s))]
    return tuple(rule)
