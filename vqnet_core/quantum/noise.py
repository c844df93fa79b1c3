"""Noise channels and the :class:`NoiseModel` a noise-capable machine applies.

Channels follow PennyLane's conventions (``qml.DepolarizingChannel(p)`` has Kraus operators
``sqrt(1-p) I, sqrt(p/3) X, sqrt(p/3) Y, sqrt(p/3) Z``, so ``<Z>`` of ``|0>`` becomes
``1 - 4p/3``). A channel is stored as its 4x4 superoperator on the row-major vectorised
density matrix, ``S = sum_k K (x) conj(K)``.

>>> nm = NoiseModel().add_channel(depolarizing(0.01)).add_readout_error(0.02)
>>> nm.channels_after("RX", (0,))[0][0].name
'depolarizing'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)


@dataclass(frozen=True)
class Channel:
    """A CPTP map on ``num_wires`` qubits (one for every channel a :class:`NoiseModel`
    applies): ``superop`` (``4^k x 4^k``) and, when known, its Kraus operators (``2^k x
    2^k``, the first wire most significant).

    >>> from vqnet_core.quantum.noise import Channel
    >>> import numpy as np
    >>> Channel.from_kraus("zz", [np.diag([1, -1, -1, 1])]).num_wires
    2
    """

    name: str
    superop: np.ndarray
    kraus: tuple[np.ndarray, ...] = ()

    @property
    def num_wires(self) -> int:
        """How many qubits the channel acts on."""
        return int(round(np.log2(np.asarray(self.superop).shape[0]) / 2))

    @classmethod
    def from_kraus(cls, name: str, kraus: Sequence[np.ndarray]) -> Channel:
        ks = tuple(np.asarray(k, dtype=complex) for k in kraus)
        if not ks:
            raise ValueError(f"{name}: a channel needs at least one Kraus operator")
        d = ks[0].shape[0]
        if d < 2 or d & (d - 1) or any(k.shape != (d, d) for k in ks):
            raise ValueError(f"{name}: Kraus operators must all be 2^k x 2^k matrices, got "
                             f"shapes {[k.shape for k in ks]}")
        total = sum(k.conj().T @ k for k in ks)
        if not np.allclose(total, np.eye(d), atol=1e-10):
            raise ValueError(f"{name}: the Kraus operators are not trace preserving")
        return cls(name, sum(np.kron(k, k.conj()) for k in ks), ks)

    def apply(self, rho: np.ndarray) -> np.ndarray:
        """The channel on a density matrix of its ``num_wires`` qubits (numpy, for checks)."""
        d = 2**self.num_wires
        return (self.superop @ np.asarray(rho).reshape(d * d)).reshape(d, d)


def _prob(name: str, p: float, hi: float = 1.0) -> float:
    p = float(p)
    if not 0.0 <= p <= hi:
        raise ValueError(f"{name}: the probability must be in [0, {hi}], got {p}")
    return p


def depolarizing(p: float) -> Channel:
    """``sqrt(1-p) I`` and ``sqrt(p/3)`` X, Y, Z (PennyLane's DepolarizingChannel)."""
    p = _prob("depolarizing", p)
    return Channel.from_kraus("depolarizing", [np.sqrt(1 - p) * _I] +
                              [np.sqrt(p / 3) * m for m in (_X, _Y, _Z)])


def amplitude_damping(gamma: float) -> Channel:
    """Energy relaxation ``|1> -> |0>`` with probability ``gamma``."""
    g = _prob("amplitude_damping", gamma)
    return Channel.from_kraus("amplitude_damping", [
        np.array([[1, 0], [0, np.sqrt(1 - g)]]), np.array([[0, np.sqrt(g)], [0, 0]])])


def phase_damping(gamma: float) -> Channel:
    """Loss of coherence: off-diagonals scale by ``sqrt(1 - gamma)``."""
    g = _prob("phase_damping", gamma)
    return Channel.from_kraus("phase_damping", [
        np.array([[1, 0], [0, np.sqrt(1 - g)]]), np.array([[0, 0], [0, np.sqrt(g)]])])


def _pauli_flip(name: str, P: np.ndarray, p: float) -> Channel:
    p = _prob(name, p)
    return Channel.from_kraus(name, [np.sqrt(1 - p) * _I, np.sqrt(p) * P])


def bit_flip(p: float) -> Channel:
    """X with probability ``p``."""
    return _pauli_flip("bit_flip", _X, p)


def phase_flip(p: float) -> Channel:
    """Z with probability ``p``."""
    return _pauli_flip("phase_flip", _Z, p)


def bit_phase_flip(p: float) -> Channel:
    """Y with probability ``p``."""
    return _pauli_flip("bit_phase_flip", _Y, p)


def thermal_relaxation(pe: float, t1: float, t2: float, tg: float) -> Channel:
    """Relaxation toward the thermal state (excited population ``pe``) during a gate of
    duration ``tg``: populations relax with ``T1``, coherences decay with ``T2``
    (``T2 <= 2 T1``), as PennyLane's ThermalRelaxationError."""
    pe = _prob("thermal_relaxation", pe)
    if t1 <= 0 or t2 <= 0 or tg < 0:
        raise ValueError("thermal_relaxation: T1, T2 must be > 0 and the gate time >= 0")
    if t2 > 2 * t1:
        raise ValueError(f"thermal_relaxation: T2 ({t2}) must be <= 2*T1 ({2 * t1})")
    pr = 1 - np.exp(-tg / t1)  # reset probability
    e2 = np.exp(-tg / t2)
    S = np.zeros((4, 4), dtype=complex)  # index 2*i + j of rho[i, j]
    S[0, 0], S[0, 3] = 1 - pe * pr, (1 - pe) * pr
    S[3, 0], S[3, 3] = pe * pr, 1 - (1 - pe) * pr
    S[1, 1] = S[2, 2] = e2
    return Channel("thermal_relaxation", S)


@dataclass
class _Rule:
    channel: Channel
    gates: frozenset[str] | None
    wires: frozenset[int] | None


@dataclass
class NoiseModel:
    """Which channels follow which gates on which wires, plus readout errors.

    ``add_channel(ch, gates=None, wires=None)``: after every gate named in ``gates`` (all gates
    if None), apply ``ch`` to each of its wires that is in ``wires`` (all if None).
    ``add_readout_error(p01, p10=None, wires=None)``: a measured 0 reads 1 with ``p01`` and a
    1 reads 0 with ``p10`` (defaults to ``p01``).
    """

    rules: list[_Rule] = field(default_factory=list)
    readout: dict[int, np.ndarray] = field(default_factory=dict)
    readout_all: np.ndarray | None = None

    def add_channel(self, channel: Channel, gates: Iterable[str] | str | None = None,
                    wires: Iterable[int] | int | None = None) -> NoiseModel:
        from .gates import canonical_name

        if not isinstance(channel, Channel):
            raise TypeError(f"expected a Channel (e.g. depolarizing(0.01)), got {channel!r}")
        if channel.num_wires != 1:
            raise ValueError(f"add_channel applies a channel to each wire of a gate, so it "
                             f"takes one-qubit channels; {channel.name!r} acts on "
                             f"{channel.num_wires} qubits")
        gs = None if gates is None else frozenset(
            canonical_name(g) for g in ([gates] if isinstance(gates, str) else gates))
        ws = None if wires is None else frozenset(
            [int(wires)] if isinstance(wires, (int, np.integer)) else (int(w) for w in wires))
        self.rules.append(_Rule(channel, gs, ws))
        return self

    def add_readout_error(self, p01: float, p10: float | None = None,
                          wires: Iterable[int] | int | None = None) -> NoiseModel:
        p01 = _prob("readout error", p01)
        p10 = p01 if p10 is None else _prob("readout error", p10)
        M = np.array([[1 - p01, p10], [p01, 1 - p10]])  # M[measured, true]
        if wires is None:
            self.readout_all = M
        else:
            for w in [wires] if isinstance(wires, (int, np.integer)) else wires:
                self.readout[int(w)] = M
        return self

    def readout_matrices(self, num_wires: int) -> dict[int, np.ndarray]:
        out = {w: self.readout_all for w in range(num_wires)} if self.readout_all is not None \
            else {}
        out.update({w: m for w, m in self.readout.items() if w < num_wires})
        return out

    def channels_after(self, gate: str, wires: Sequence[int]) -> list[tuple[Channel, int]]:
        """``(channel, wire)`` pairs to apply after ``gate`` on ``wires``."""
        out = []
        for r in self.rules:
            if r.gates is not None and gate not in r.gates:
                continue
            for w in wires:
                if r.wires is None or w in r.wires:
                    out.append((r.channel, w))
        return out

    @property
    def has_gate_noise(self) -> bool:
        return bool(self.rules)
