"""VQNet IR -> QPanda programs, observables -> QPanda Hamiltonians, NoiseModel -> QPanda noise.

Wire ``w`` of an ``n``-wire VQNet circuit is QPanda qubit ``n - 1 - w``: VQNet's wire 0 is the
most significant bit of a basis index and QPanda's qubit 0 the least, so the state vectors and
the measured bit strings of both agree index for index.

A circuit is translated once into a list of :class:`QGateSpec` (QPanda gate name, qubits, one
affine angle ``coef * angles[col] + offset`` or a constant); :func:`to_qprog` binds one angle
row, :func:`to_vqcircuit` builds a parameterised ``VQCircuit`` whose ``Param([col])`` are the
angle columns (structure built once for a whole batch, and adjoint gradients). Gates QPanda
lacks are decomposed; the ``mode`` picks the gate basis a simulator accepts:

* ``"full"``: QPanda's native gates incl. controlled rotations, ``control()`` and ``Oracle``,
* ``"basic"``: one-qubit gates, CNOT, CZ, SWAP and Toffoli (``SingleAmplitudeQVM``),
* ``"partial"``: one-qubit gates, CNOT, CZ and CP, arranged so that as few two-qubit gates as
  possible cross ``PartialAmplitudeQVM``'s cut (see :func:`cut_cost`),
* ``"clifford"``: H, S, X, Y, Z, CNOT, CZ, SWAP (the stabilizer simulator),
* ``"adjoint"``: ``"full"`` restricted to the gates ``VQCircuit``'s adjoint differentiates.

>>> from vqnet_core.quantum import Circuit, Operation, ParamRef
>>> specs = translate(Circuit(2, [Operation("CRY", (0, 1), (ParamRef(0),))]))
>>> [(s.name, s.qubits) for s in specs]
[('CRY', (1, 0))]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from vqnet_core.quantum import Circuit, Hamiltonian, ParamRef, UnsupportedError
from vqnet_core.quantum.gates import PAULI, get_gate
from vqnet_core.quantum.noise import Channel, NoiseModel

PI = float(np.pi)


@dataclass(frozen=True)
class Angle:
    """``coef * angles[col] + offset`` (``col`` None: the constant ``offset``)."""

    col: int | None
    coef: float = 1.0
    offset: float = 0.0

    def value(self, row: np.ndarray) -> float:
        return self.offset if self.col is None else self.coef * float(row[self.col]) + self.offset

    def scaled(self, c: float, extra: float = 0.0) -> Angle:
        return Angle(self.col, self.coef * c, self.offset * c + extra)


@dataclass(frozen=True, eq=False)
class QGateSpec:
    """One QPanda gate: ``name`` is a ``pyqpanda3.core`` gate function, ``ORACLE`` (matrix in
    ``extra``) or ``CTRL`` (``extra = (base gate name, control qubits)``)."""

    name: str
    qubits: tuple[int, ...]
    angle: Angle | None = None
    extra: Any = None


def _angle(p: ParamRef | float) -> Angle:
    return Angle(p.index) if isinstance(p, ParamRef) else Angle(None, 1.0, float(p))


# ---------------------------------------------------------------------------- Pauli rotations
def pauli_rotation(word: dict[int, str], phi: Angle, cut: int | None = None
                   ) -> list[QGateSpec]:
    """``exp(-i phi/2 P)`` for a Pauli word ``{qubit: "X"|"Y"|"Z"}``: basis change, CNOT
    ladder, RZ, ladder back. With ``cut``, the parity is collected on each side of the cut
    (qubits ``< cut`` and ``>= cut``) and the two sides meet in a single CP gate."""
    qs = sorted(word)
    if not qs:
        return []
    pre, post = [], []
    for q in qs:
        if word[q] == "X":
            pre.append(QGateSpec("H", (q,)))
            post.append(QGateSpec("H", (q,)))
        elif word[q] == "Y":  # RX(pi/2) maps Y to Z
            pre.append(QGateSpec("RX", (q,), Angle(None, 1.0, PI / 2)))
            post.append(QGateSpec("RX", (q,), Angle(None, 1.0, -PI / 2)))
    lo, hi = [q for q in qs if cut is not None and q < cut], [q for q in qs if
                                                             cut is None or q >= cut]
    if not lo or not hi:
        ladder = [QGateSpec("CNOT", (a, b)) for a, b in zip(qs, qs[1:])]
        return pre + ladder + [QGateSpec("RZ", (qs[-1],), phi)] + ladder[::-1] + post
    ladder = [QGateSpec("CNOT", (a, b)) for side in (lo, hi) for a, b in zip(side, side[1:])]
    return pre + ladder + _zz(lo[-1], hi[-1], phi) + ladder[::-1] + post


def _zz(a: int, b: int, phi: Angle) -> list[QGateSpec]:
    """``exp(-i phi/2 Z_a Z_b)`` with one two-qubit gate: ``RZ_a(phi) RZ_b(phi) CP(-2 phi)``
    (up to a global phase)."""
    return [QGateSpec("RZ", (a,), phi), QGateSpec("RZ", (b,), phi),
            QGateSpec("CP", (a, b), phi.scaled(-2.0))]


@cache
def _pauli_terms(name: str, j: int, k: int) -> tuple[tuple[float, str], ...]:
    """The generator of angle ``j`` of gate ``name`` as commuting Pauli words (no identity)."""
    G = get_gate(name).generator(j, k)
    out = []
    for word in itertools.product("IXYZ", repeat=k):
        m = np.array([[1.0 + 0j]])
        for c in word:
            m = np.kron(m, PAULI[c])
        c = np.trace(m @ G).real / 2**k
        if abs(c) > 1e-12 and set(word) != {"I"}:
            out.append((float(c), "".join(word)))
    mats = []
    for _, w in out:
        m = np.array([[1.0 + 0j]])
        for c in w:
            m = np.kron(m, PAULI[c])
        mats.append(m)
    for a, b in itertools.combinations(mats, 2):
        if not np.allclose(a @ b, b @ a):
            raise UnsupportedError(f"{name}: its generator is not a sum of commuting Paulis")
    return tuple(out)


def _generic(name: str, qubits: tuple[int, ...], p: Angle, cut: int | None = None
             ) -> list[QGateSpec]:
    """A one-angle gate as a product of Pauli rotations ``exp(-i p c_P P)``."""
    out = []
    for c, word in _pauli_terms(name, 0, len(qubits)):
        w = {q: ch for q, ch in zip(qubits, word) if ch != "I"}
        out += pauli_rotation(w, p.scaled(2 * c), cut)
    return out


# ---------------------------------------------------------------------------- gates
_NATIVE_1Q = {"H", "X", "Y", "Z", "S", "T"}
_FULL_2Q = {"CRX": "CRX", "CRY": "CRY", "CRZ": "CRZ", "ControlledPhaseShift": "CP",
            "RXX": "RXX", "RYY": "RYY", "RZZ": "RZZ", "RZX": "RZX"}
#: Gates the stabilizer translation accepts (all Clifford).
CLIFFORD_GATES = frozenset({"I", "H", "S", "Sdg", "X", "Y", "Z", "CNOT", "CY", "CZ", "SWAP"})


def _cr(kind: str, c: int, t: int, p: Angle) -> list[QGateSpec]:
    """Controlled rotations from CNOTs (basic mode)."""
    if kind == "CRZ":
        return [QGateSpec("RZ", (t,), p.scaled(0.5)), QGateSpec("CNOT", (c, t)),
                QGateSpec("RZ", (t,), p.scaled(-0.5)), QGateSpec("CNOT", (c, t))]
    if kind == "CRY":
        return [QGateSpec("RY", (t,), p.scaled(0.5)), QGateSpec("CNOT", (c, t)),
                QGateSpec("RY", (t,), p.scaled(-0.5)), QGateSpec("CNOT", (c, t))]
    if kind == "CRX":
        return [QGateSpec("H", (t,))] + _cr("CRZ", c, t, p) + [QGateSpec("H", (t,))]
    # ControlledPhaseShift(t) = U1(t/2) on the control times CRZ(t)
    return [QGateSpec("U1", (c,), p.scaled(0.5))] + _cr("CRZ", c, t, p)


def _partial_cr(kind: str, c: int, t: int, p: Angle) -> list[QGateSpec]:
    """Controlled rotations with one CP (partial mode): ``CRZ(t) = RZ_c(-t/2) CP(t)`` up to a
    global phase; CRY / CRX by a basis change of the target."""
    crz = [QGateSpec("RZ", (c,), p.scaled(-0.5)), QGateSpec("CP", (c, t), p)]
    if kind == "CRZ":
        return crz
    if kind == "CRY":  # RY(t) = RX(-pi/2) RZ(t) RX(pi/2)
        return [QGateSpec("RX", (t,), Angle(None, 1.0, PI / 2))] + crz + [
            QGateSpec("RX", (t,), Angle(None, 1.0, -PI / 2))]
    if kind == "CRX":
        return [QGateSpec("H", (t,))] + crz + [QGateSpec("H", (t,))]
    return [QGateSpec("CP", (c, t), p)]


def _ccz(qs: tuple[int, ...], cut: int | None) -> list[QGateSpec]:
    """CCZ from three CPs and two CNOTs; CCZ is symmetric, so the qubit alone on its side of
    the cut plays the target and only the CPs cross it."""
    side = [q >= (cut or 0) for q in qs]
    z = next((q for q, s in zip(qs, side) if side.count(s) == 1), qs[2])
    x, y = [q for q in qs if q != z]
    h = PI / 2
    return [QGateSpec("CP", (y, z), Angle(None, 1.0, h)), QGateSpec("CNOT", (x, y)),
            QGateSpec("CP", (y, z), Angle(None, 1.0, -h)), QGateSpec("CNOT", (x, y)),
            QGateSpec("CP", (x, z), Angle(None, 1.0, h))]


def translate_op(name: str, qs: tuple[int, ...], ps: tuple[Angle, ...], matrix: Any,
                 mode: str, cut: int | None = None) -> list[QGateSpec]:
    """The QPanda gates of one VQNet operation (``qs``: QPanda qubits, in the op's wire order;
    ``cut``: PartialAmplitudeQVM's cut, partial mode)."""
    G = QGateSpec
    if name == "I":
        return []
    if mode == "partial":
        if name in ("CRX", "CRY", "CRZ", "ControlledPhaseShift"):
            return _partial_cr(name, qs[0], qs[1], ps[0])
        if name == "CRot":
            return [g for kind, p in (("CRZ", ps[0]), ("CRY", ps[1]), ("CRZ", ps[2]))
                    for g in _partial_cr(kind, qs[0], qs[1], p)]
        if name in ("RXX", "RYY", "RZZ", "RZX", "IsingXY", "SingleExcitation",
                    "DoubleExcitation", "MultiRZ"):
            return _generic(name, qs, ps[0], cut)
        if name == "ISWAP":
            return _generic("IsingXY", qs, Angle(None, 1.0, PI), cut)
        if name == "SWAP":
            a, b = qs
            return [G("CNOT", (a, b)), G("CNOT", (b, a)), G("CNOT", (a, b))]
        if name == "CCZ":
            return _ccz(qs, cut)
        if name == "Toffoli" or (name == "MultiControlledX" and len(qs) == 3):
            return [G("H", (qs[2],))] + _ccz(qs, cut) + [G("H", (qs[2],))]
        if name == "CSWAP":
            c, a, b = qs
            return [G("CNOT", (b, a)), G("H", (b,)), *_ccz((c, a, b), cut), G("H", (b,)),
                    G("CNOT", (b, a))]
        mode = "basic"
    if mode == "clifford":
        if name not in CLIFFORD_GATES:
            raise UnsupportedError(f"qpanda.stabilizer simulates Clifford circuits only "
                                   f"({', '.join(sorted(CLIFFORD_GATES))}); got gate {name}")
        if name == "Sdg":
            return [G("S", qs)] * 3
        if name == "CY":
            return [G("S", (qs[1],))] * 3 + [G("CNOT", qs), G("S", (qs[1],))]
        return [G(name, qs)]
    if name in _NATIVE_1Q or name in ("CNOT", "CZ", "SWAP"):
        return [G(name, qs)]
    if name in ("RX", "RY", "RZ"):
        return [G(name, qs, ps[0])]
    if name in ("PhaseShift", "U1"):
        return [G("U1", qs, ps[0])]
    if name == "Sdg":
        return [G("U1", qs, Angle(None, 1.0, -PI / 2))]
    if name == "Tdg":
        return [G("U1", qs, Angle(None, 1.0, -PI / 4))]
    if name == "SX":  # RX(pi/2) up to the global phase e^{i pi/4}
        return [G("RX", qs, Angle(None, 1.0, PI / 2))]
    if name == "Rot":
        return [G("RZ", qs, ps[0]), G("RY", qs, ps[1]), G("RZ", qs, ps[2])]
    if name == "U3":
        return [G("U1", qs, ps[2]), G("RY", qs, ps[0]), G("U1", qs, ps[1])]
    if name == "U2":
        return [G("U1", qs, ps[1]), G("RY", qs, Angle(None, 1.0, PI / 2)), G("U1", qs, ps[0])]
    if name in _FULL_2Q:
        # QPanda's adjoint differentiates CRX / CRY / CRZ but not CP or the Ising gates
        if mode == "full" or (mode == "adjoint" and name in ("CRX", "CRY", "CRZ")):
            return [G(_FULL_2Q[name], qs, ps[0])]
        if name in ("CRX", "CRY", "CRZ"):
            return _cr(name, qs[0], qs[1], ps[0])
        if name == "ControlledPhaseShift":
            return _cr("CP", qs[0], qs[1], ps[0])
        return _generic(name, qs, ps[0])
    if name == "CRot":
        out = []
        for kind, p in (("CRZ", ps[0]), ("CRY", ps[1]), ("CRZ", ps[2])):
            out += [G(kind, qs, p)] if mode in ("full", "adjoint") else \
                _cr(kind, qs[0], qs[1], p)
        return out
    if name in ("IsingXY", "SingleExcitation", "DoubleExcitation", "MultiRZ"):
        return _generic(name, qs, ps[0])
    if name == "ISWAP":  # exp(i pi/4 (XX + YY)) = IsingXY(pi)
        return _generic("IsingXY", qs, Angle(None, 1.0, PI))
    if name == "CY":
        if mode in ("full", "adjoint"):
            return [G("CTRL", (qs[1],), extra=("Y", (qs[0],)))]
        return [G("U1", (qs[1],), Angle(None, 1.0, -PI / 2)), G("CNOT", qs),
                G("S", (qs[1],))]
    if name == "CH":
        return [G("RY", (qs[1],), Angle(None, 1.0, PI / 4)), G("CNOT", qs),
                G("RY", (qs[1],), Angle(None, 1.0, -PI / 4))]
    if name == "Toffoli":
        return [G("TOFFOLI", qs)]
    if name == "CCZ":
        return [G("H", (qs[2],)), G("TOFFOLI", qs), G("H", (qs[2],))]
    if name == "CSWAP":
        c, a, b = qs
        return [G("CNOT", (b, a)), G("TOFFOLI", (c, a, b)), G("CNOT", (b, a))]
    if name == "MultiControlledX":
        if len(qs) == 2:
            return [G("CNOT", qs)]
        if len(qs) == 3:
            return [G("TOFFOLI", qs)]
        return [G("CTRL", (qs[-1],), extra=("X", tuple(qs[:-1])))]
    if name == "QubitUnitary":
        if mode not in ("full", "adjoint"):
            raise UnsupportedError("QubitUnitary (a QPanda Oracle) is not supported here")
        # QPanda's Oracle reads its matrix with the LAST listed qubit most significant
        return [G("ORACLE", tuple(reversed(qs)), extra=np.asarray(matrix, dtype=complex))]
    raise UnsupportedError(f"gate {name} has no QPanda translation")


@dataclass
class Marker:
    """A noise marker: an ``I`` gate on ``qubit`` that carries a (composed) channel."""

    qubit: int
    channel: Channel


def _compose(chs: list[Channel]) -> Channel:
    ks = [np.eye(2, dtype=complex)]
    for ch in chs:
        if not ch.kraus:
            raise UnsupportedError(f"channel {ch.name!r} has no Kraus operators; QPanda's noise "
                                   "model needs them")
        ks = [k2 @ k1 for k1 in ks for k2 in ch.kraus]
    name = "+".join(c.name for c in chs)
    return Channel.from_kraus(name, ks)


def translate(circuit: Circuit, mode: str = "full", noise: NoiseModel | None = None,
              layout: tuple[int, ...] | None = None) -> list[QGateSpec]:
    """The QPanda gate list of ``circuit``; with ``noise``, gate channels become ``I`` markers
    (one composed channel per marker, see :func:`noise_markers`). ``layout[w]`` is the QPanda
    qubit of wire ``w`` (default ``n - 1 - w``)."""
    n = circuit.num_wires
    cut = partial_cut(n) if mode == "partial" else None
    qubit = layout if layout is not None else tuple(n - 1 - w for w in range(n))
    out: list[QGateSpec] = []
    for op in circuit.ops:
        qs = tuple(qubit[w] for w in op.wires)
        out += translate_op(op.name, qs, tuple(_angle(p) for p in op.params), op.matrix, mode,
                            cut)
        if noise is not None and noise.has_gate_noise:
            per_wire: dict[int, list[Channel]] = {}
            for ch, w in noise.channels_after(op.name, op.wires):
                per_wire.setdefault(w, []).append(ch)
            for w, chs in per_wire.items():
                out.append(QGateSpec("I", (n - 1 - w,), extra=_compose(chs)))
    if mode == "adjoint":  # U1(t) = e^{it/2} RZ(t): QPanda differentiates only the latter
        out = [QGateSpec("RZ", s.qubits, s.angle) if s.name == "U1" and s.angle.col is not None
               else s for s in out]
    elif mode in ("basic", "partial"):  # SingleAmplitudeQVM gets U1 wrong; RZ is U1 up to
        # a global phase
        out = [QGateSpec("RZ", s.qubits, s.angle) if s.name == "U1" else s for s in out]
    return out


def partial_cut(n: int) -> int:
    """PartialAmplitudeQVM splits ``n`` qubits into ``q < n // 2`` and ``q >= n // 2``."""
    return n // 2


#: log2 of the number of Schmidt paths one gate across the cut opens in PartialAmplitudeQVM
#: (measured on pyqpanda3 0.5.1: each crossing CNOT / CZ / CP doubles the run time)
_CUT_BITS = {"CNOT": 1.0, "CZ": 1.0, "CP": 1.0, "SWAP": 3.3, "TOFFOLI": 4.6}


def cut_cost(specs: list[QGateSpec], n: int) -> float:
    """log2 of the number of paths PartialAmplitudeQVM sums for ``specs`` on ``n`` qubits: it
    simulates the two halves separately and every two-qubit gate across the cut doubles the
    paths (its run and each query take time proportional to them)."""
    cut = partial_cut(n)
    bits = 0.0
    for s in specs:
        if len(s.qubits) + (len(s.extra[1]) if s.name == "CTRL" else 0) < 2:
            continue
        qs = list(s.qubits) + (list(s.extra[1]) if s.name == "CTRL" else [])
        if min(qs) < cut <= max(qs):
            bits += _CUT_BITS.get(s.name, 2.0 * len(qs))
    return bits


@cache
def _op_cut_bits(name: str, sides: tuple[bool, ...], nparams: int) -> float:
    """Paths (log2) one operation opens when its qubits lie on ``sides`` of the cut."""
    k = len(sides)
    qs = tuple(k + i if hi else i for i, hi in enumerate(sides))
    specs = translate_op(name, qs, tuple(Angle(i) for i in range(nparams)), np.eye(2**k),
                         "partial", k)
    cut = k
    return sum(_CUT_BITS.get(sp.name, 2.0 * len(sp.qubits)) for sp in specs
               if len(sp.qubits) > 1 and min(sp.qubits) < cut <= max(sp.qubits))


def partial_layout(circuit: Circuit) -> tuple[int, ...]:
    """A wire -> qubit layout for PartialAmplitudeQVM that puts few gates across its cut: the
    ``n // 2`` wires on the low side are chosen by exhaustive search (small ``n``) or by
    pairwise exchanges from the default layout."""
    n = circuit.num_wires
    cut = partial_cut(n)
    ops = [(op.name, op.wires, len(op.params)) for op in circuit.ops if len(op.wires) > 1]

    def cost(low: frozenset[int]) -> float:
        return sum(_op_cut_bits(nm, tuple(w not in low for w in ws), k) for nm, ws, k in ops)
    default = frozenset(range(n - cut, n))  # wire w -> qubit n-1-w
    best, best_cost = default, cost(default)
    if best_cost > 0 and math.comb(n, cut) <= 4000:
        for low in itertools.combinations(range(n), cut):
            c = cost(frozenset(low))
            if c < best_cost:
                best, best_cost = frozenset(low), c
    elif best_cost > 0:
        improved = True
        while improved:
            improved = False
            for a in sorted(best):
                for b in sorted(set(range(n)) - best):
                    cand = (best - {a}) | {b}
                    c = cost(cand)
                    if c < best_cost:
                        best, best_cost, improved = cand, c, True
                        break
                if improved:
                    break
    low, high = sorted(best), sorted(set(range(n)) - best)
    layout = [0] * n
    for q, w in enumerate(low):
        layout[w] = q
    for q, w in enumerate(high):
        layout[w] = cut + q
    return tuple(layout)


def basis_index_map(layout: tuple[int, ...]) -> np.ndarray:
    """``m[s]``: the QPanda basis index of VQNet basis index ``s`` (wire 0 most significant)
    under ``layout``."""
    n = len(layout)
    s = np.arange(2**n)
    out = np.zeros(2**n, dtype=np.int64)
    for w, q in enumerate(layout):
        out |= ((s >> (n - 1 - w)) & 1) << q
    return out


# ---------------------------------------------------------------------------- building
def _core():
    import pyqpanda3.core as core
    return core


def _gate(core, s: QGateSpec, value: Any):
    if s.name == "ORACLE":
        return core.Oracle(list(s.qubits), s.extra)
    if s.name == "CTRL":
        base, ctrls = s.extra
        return getattr(core, base)(*s.qubits).control(list(ctrls))
    fn = getattr(core, s.name)
    return fn(*s.qubits) if value is None else fn(*s.qubits, value)


def to_qprog(specs: list[QGateSpec], n: int, row: np.ndarray | None = None,
             tail: list[QGateSpec] = ()):
    """A ``QProg`` on ``n`` qubits with the angles of ``row`` bound."""
    core = _core()
    prog = core.QProg(n)
    for s in list(specs) + list(tail):
        prog << _gate(core, s, None if s.angle is None else s.angle.value(row))
    return prog


def to_vqcircuit(specs: list[QGateSpec], num_angles: int):
    """A ``VQCircuit`` with ``Param([col])`` for angle column ``col`` (``num_angles`` >= 1)."""
    core = _core()
    from pyqpanda3.vqcircuit import VQCircuit
    vqc = VQCircuit()
    vqc.set_Param([num_angles])
    for s in specs:
        a = s.angle
        if a is None or a.col is None:
            vqc << _gate(core, s, None if a is None else a.offset)
            continue
        expr = vqc.Param([a.col])
        if a.coef != 1.0:
            expr = expr * a.coef
        if a.offset != 0.0:
            expr = expr + a.offset
        vqc << _gate(core, s, expr)
    return vqc


def basis_rotation(rot: tuple[tuple[int, str], ...], n: int, clifford: bool = False
                   ) -> list[QGateSpec]:
    """Gates after which Z on each wire measures its X / Y factor (S^dagger H for Y; S^3 H
    on the stabilizer)."""
    out = []
    for w, p in rot:
        q = n - 1 - w
        if p == "Y":
            out += [QGateSpec("S", (q,))] * 3 if clifford else [
                QGateSpec("U1", (q,), Angle(None, 1.0, -PI / 2))]
        out.append(QGateSpec("H", (q,)))
    return out


# ---------------------------------------------------------------------------- observables
def to_hamiltonian(obs: Hamiltonian | dict, n: int, weight: float = 1.0):
    """A ``pyqpanda3.hamiltonian.Hamiltonian`` (wires mapped to QPanda qubits)."""
    from pyqpanda3.hamiltonian import Hamiltonian as QH
    h = Hamiltonian.from_any(obs)
    d: dict[str, float] = {}
    for c, term in h.terms:
        key = " ".join(f"{p}{n - 1 - w}" for w, p in term)
        d[key] = d.get(key, 0.0) + weight * c
    return QH(d)


def combine_terms(items: list[tuple[float, Hamiltonian]]) -> Hamiltonian:
    """``sum_i w_i H_i`` as one Hamiltonian."""
    terms = []
    for w, h in items:
        terms += [(w * c, t) for c, t in h.terms]
    return Hamiltonian(tuple(terms))


def projector_terms(wires: tuple[int, ...], weights: np.ndarray) -> Hamiltonian:
    """``sum_i weights[i] |i><i|`` over ``wires`` (first most significant) as Z strings:
    ``|i><i| = prod_j (1 + (-1)^{b_j} Z_j) / 2`` (Walsh-Hadamard coefficients)."""
    k = len(wires)
    idx = np.arange(2**k)
    terms = []
    for S in range(2**k):
        # Z on wire j (bit k-1-j of the index) when bit k-1-j of S is set
        sign = 1 - 2 * (np.array([bin(i & S).count("1") for i in idx]) % 2)
        c = float(np.dot(weights, sign)) / 2**k
        if abs(c) > 0:
            term = tuple((wires[j], "Z") for j in range(k) if S >> (k - 1 - j) & 1)
            terms.append((c, tuple(sorted(term))))
    return Hamiltonian(tuple(terms))


# ---------------------------------------------------------------------------- noise
def qpanda_noise_model(specs: list[QGateSpec], noise: NoiseModel | None, n: int):
    """The ``pyqpanda3`` ``NoiseModel``: each marker's channel on ``GateType.I`` of its qubit,
    and the readout errors. Raises when one qubit would need two different channels."""
    core = _core()
    nm = core.NoiseModel()
    seen: dict[int, Channel] = {}
    for s in specs:
        if s.name == "I" and s.extra is not None:
            q = s.qubits[0]
            if q in seen:
                if not np.allclose(seen[q].superop, s.extra.superop):
                    raise UnsupportedError(
                        "QPanda attaches one error per gate type and qubit: this noise model "
                        f"needs different channels after different gates on wire {n - 1 - q}")
                continue
            seen[q] = s.extra
            err = core.QuantumError([list(np.asarray(k).ravel()) for k in s.extra.kraus])
            nm.add_quantum_error(err, core.GateType.I, [q])
    if noise is not None:
        for w, M in noise.readout_matrices(n).items():
            # QPanda's rows are the true value, columns the measured one
            nm.add_read_out_error(np.asarray(M).T.tolist(), n - 1 - w)
    return nm
