"""An independent plain-numpy reference: gate matrices written out by hand (PennyLane's
conventions) and a dense kron-style simulator. Shares no code with vqnet_core.quantum."""

from __future__ import annotations

import numpy as np

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1.0 + 0j, -1.0])
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
PAULI = {"I": I2, "X": X, "Y": Y, "Z": Z}


def ctrl(u, nc=1):
    d = u.shape[0] * 2**nc
    out = np.eye(d, dtype=complex)
    out[d - u.shape[0]:, d - u.shape[0]:] = u
    return out


def rx(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


def ry(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def rot(a, b, c):
    cb, sb = np.cos(b / 2), np.sin(b / 2)
    return np.array([[np.exp(-0.5j * (a + c)) * cb, -np.exp(0.5j * (a - c)) * sb],
                     [np.exp(-0.5j * (a - c)) * sb, np.exp(0.5j * (a + c)) * cb]])


def u3(t, p, l):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -np.exp(1j * l) * s], [np.exp(1j * p) * s, np.exp(1j * (p + l)) * c]])


def pauli_rot(P, t):
    return np.cos(t / 2) * np.eye(len(P)) - 1j * np.sin(t / 2) * P


def parity(k):
    return np.array([(-1) ** bin(i).count("1") for i in range(2**k)])


def expected_matrix(name, params, k):
    p = list(params)
    c = np.cos(p[0] / 2) if p else None
    s = np.sin(p[0] / 2) if p else None
    swap = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)
    table = {
        "I": lambda: I2, "H": lambda: H, "X": lambda: X, "Y": lambda: Y, "Z": lambda: Z,
        "S": lambda: np.diag([1, 1j]), "Sdg": lambda: np.diag([1, -1j]),
        "T": lambda: np.diag([1, np.exp(0.25j * np.pi)]),
        "Tdg": lambda: np.diag([1, np.exp(-0.25j * np.pi)]),
        "SX": lambda: 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
        "PhaseShift": lambda: np.diag([1, np.exp(1j * p[0])]),
        "U1": lambda: np.diag([1, np.exp(1j * p[0])]),
        "RX": lambda: rx(p[0]), "RY": lambda: ry(p[0]), "RZ": lambda: rz(p[0]),
        "Rot": lambda: rot(*p),
        "U2": lambda: np.array([[1, -np.exp(1j * p[1])],
                                [np.exp(1j * p[0]), np.exp(1j * (p[0] + p[1]))]]) / np.sqrt(2),
        "U3": lambda: u3(*p),
        "CNOT": lambda: ctrl(X), "CY": lambda: ctrl(Y), "CZ": lambda: ctrl(Z),
        "CH": lambda: ctrl(H), "CRX": lambda: ctrl(rx(p[0])), "CRY": lambda: ctrl(ry(p[0])),
        "CRZ": lambda: ctrl(rz(p[0])), "CRot": lambda: ctrl(rot(*p)),
        "ControlledPhaseShift": lambda: np.diag([1, 1, 1, np.exp(1j * p[0])]),
        "SWAP": lambda: swap,
        "ISWAP": lambda: np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]]),
        "CSWAP": lambda: ctrl(swap), "Toffoli": lambda: ctrl(X, 2),
        "CCZ": lambda: ctrl(Z, 2),
        "RXX": lambda: pauli_rot(np.kron(X, X), p[0]),
        "RYY": lambda: pauli_rot(np.kron(Y, Y), p[0]),
        "RZZ": lambda: pauli_rot(np.kron(Z, Z), p[0]),
        "RZX": lambda: pauli_rot(np.kron(Z, X), p[0]),
        "IsingXY": lambda: np.array([[1, 0, 0, 0], [0, c, 1j * s, 0], [0, 1j * s, c, 0],
                                     [0, 0, 0, 1]]),
        "MultiRZ": lambda: np.diag(np.exp(-0.5j * p[0] * parity(k))),
        "MultiControlledX": lambda: ctrl(X, k - 1),
        "SingleExcitation": lambda: np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0],
                                              [0, 0, 0, 1]]),
    }
    if name == "DoubleExcitation":
        m = np.eye(16, dtype=complex)
        m[3, 3], m[3, 12], m[12, 3], m[12, 12] = c, -s, s, c
        return m
    return np.asarray(table[name](), dtype=complex)


def apply(state, m, wires, n):
    """``m`` on ``wires`` of ``state`` (2^n), by tensor contraction."""
    k = len(wires)
    t = state.reshape((2,) * n)
    mt = m.reshape((2,) * (2 * k))
    t = np.tensordot(mt, t, axes=(list(range(k, 2 * k)), list(wires)))
    rest = [i for i in range(n) if i not in wires]
    order = list(wires) + rest
    return np.transpose(t, np.argsort(order)).reshape(-1)


def observable_matrix(obs: dict, n):
    out = np.zeros((2**n, 2**n), dtype=complex)
    for word, coeff in obs.items():
        d = {int(tok[1:]): tok[0] for tok in word.split()}
        m = np.array([[1.0 + 0j]])
        for w in range(n):
            m = np.kron(m, PAULI[d.get(w, "I")])
        out += coeff * m
    return out


def simulate(ops, n, angles_row):
    """ops: list of (name, wires, params) with params as ('a', col) or ('c', value)."""
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1
    for name, wires, params, matrix in ops:
        vals = [angles_row[v] if kind == "a" else v for kind, v in params]
        m = matrix if matrix is not None else expected_matrix(name, vals, len(wires))
        psi = apply(psi, m, wires, n)
    return psi
