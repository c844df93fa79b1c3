"""Noise from a device's calibration, as core :class:`~vqnet_core.quantum.noise.Channel` s.

After every native gate with a calibrated error ``r`` (the average gate infidelity) and
duration ``t`` on qubits ``q``:

1. a depolarizing error ``rho -> (1 - lam) rho + lam I/d`` on the gate's ``k`` qubits
   (``d = 2^k``), then
2. thermal relaxation of each qubit over ``t`` (``T1``, ``T2`` capped at ``2 T1``, no thermal
   excitation),

with ``lam`` chosen so that the whole error's average gate fidelity is ``1 - r``: with
``F`` the process fidelity of the relaxation (``Tr S / d^2`` of its superoperator), the
process fidelity of the composition is ``(1 - lam) F + lam / d^2``, and an average gate
fidelity ``f`` is the process fidelity ``((d + 1) f - 1) / d``; solved for ``lam`` (no
depolarizing when the relaxation alone already exceeds ``r``; ``lam`` at most
``4^k/(4^k - 1)``). This is the model of Qiskit Aer's ``NoiseModel.from_backend`` (which the
tests compare against), written from the calibration rather than through Aer.

Readout: per qubit the confusion matrix ``M[measured, true] = [[1 - p01, p10], [p01, 1 - p10]]``
(``p01`` = ``prob_meas1_prep0``). Idle relaxation (option ``idle=True``): a qubit waiting for
others (ASAP schedule from the gate durations) relaxes over the wait, and every measured qubit
until the last gate ends.

>>> import math
>>> from vqnet_qpu.devices import QubitCal
>>> ch = relaxation(QubitCal(t1=100e-6, t2=80e-6), 50e-9)
>>> ch.name, round(float(ch.superop[0, 3].real), 6)           # |1> -> |0> with 1 - e^(-t/T1)
('thermal_relaxation', 0.0005)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from vqnet_core.quantum.noise import Channel

from .devices import Device, QubitCal

_PAULI = [np.eye(2, dtype=complex), np.array([[0, 1], [1, 0]], dtype=complex),
          np.array([[0, -1j], [1j, 0]]), np.diag([1.0 + 0j, -1.0])]


def relaxation(q: QubitCal, t: float) -> Channel | None:
    """Thermal relaxation (no excitation) of one qubit over ``t`` seconds as Kraus operators:
    amplitude damping ``g = 1 - exp(-t/T1)`` then pure dephasing that brings the coherence to
    ``exp(-t/T2)``; None when nothing decays."""
    if t <= 0:
        return None
    t1, t2 = q.t1, min(q.t2, 2 * q.t1)
    g = 0.0 if math.isinf(t1) else 1.0 - math.exp(-t / t1)
    coh = 0.0 if math.isinf(t2) else t / t2  # -log of the target coherence
    amp = 0.0 if math.isinf(t1) else t / (2 * t1)  # -log of what amplitude damping leaves
    lam = 1.0 - math.exp(-2 * max(coh - amp, 0.0))  # phase damping: sqrt(1 - lam) = e^-(c-a)
    if g <= 0 and lam <= 0:
        return None
    ad = [np.array([[1, 0], [0, math.sqrt(1 - g)]], dtype=complex),
          np.array([[0, math.sqrt(g)], [0, 0]], dtype=complex)]
    pd = [np.array([[1, 0], [0, math.sqrt(1 - lam)]], dtype=complex),
          np.array([[0, 0], [0, math.sqrt(lam)]], dtype=complex)]
    ks = [b @ a for a in ad for b in pd]
    ks = [k for k in ks if np.abs(k).max() > 1e-15]
    return Channel.from_kraus("thermal_relaxation", ks)


def depolarizing_k(lam: float, k: int) -> Channel:
    """``rho -> (1 - lam) rho + lam I/2^k`` on ``k`` qubits as Pauli Kraus operators."""
    d2 = 4**k
    ks = []
    for idx in itertools.product(range(4), repeat=k):
        m = np.array([[1.0 + 0j]])
        for i in idx:
            m = np.kron(m, _PAULI[i])
        w = 1 - lam + lam / d2 if not any(idx) else lam / d2
        if w > 0:
            ks.append(math.sqrt(w) * m)
    return Channel.from_kraus("depolarizing" if k == 1 else f"depolarizing{k}", ks)


def tensor(chs: Sequence[Channel | None]) -> Channel | None:
    """The product channel of one channel (or None: identity) per qubit, in order."""
    if all(c is None for c in chs):
        return None
    kraus = [[np.eye(2, dtype=complex)] if c is None else list(c.kraus) for c in chs]
    ks = []
    for combo in itertools.product(*kraus):
        m = np.array([[1.0 + 0j]])
        for x in combo:
            m = np.kron(m, x)
        ks.append(m)
    return Channel.from_kraus("thermal_relaxation", ks)


def process_fidelity(ch: Channel | None) -> float:
    """``Tr S / d^2``: the channel's process fidelity with the identity."""
    if ch is None:
        return 1.0
    d2 = ch.superop.shape[0]
    return float(np.trace(ch.superop).real) / d2


def depolarizing_parameter(error: float, k: int, relax: Channel | None) -> float:
    """``lam`` such that depolarizing(lam) then ``relax`` has average gate error ``error``."""
    d = 2**k
    error = min(error, d / (d + 1))
    fp = process_fidelity(relax)
    f_avg_relax = (d * fp + 1) / (d + 1)
    if error <= 1 - f_avg_relax:
        return 0.0
    fp_target = ((d + 1) * (1 - error) - 1) / d
    lam = (fp - fp_target) / (fp - 1 / d**2)
    return float(min(max(lam, 0.0), 4**k / (4**k - 1)))


def gate_channels(device: Device, name: str, qubits: tuple[int, ...]) -> list[Channel]:
    """The channels after native ``name`` on physical ``qubits`` (each on all of them, in
    their order): depolarizing, then relaxation."""
    cal = device.gate(name, qubits)
    if cal is None or (cal.error <= 0 and cal.duration <= 0):
        return []
    k = len(qubits)
    relax = tensor([relaxation(device.qubits[q], cal.duration) for q in qubits])
    lam = depolarizing_parameter(cal.error, k, relax) if cal.error > 0 else 0.0
    out = []
    if lam > 0:
        out.append(depolarizing_k(lam, k))
    if relax is not None:
        out.append(relax)
    return out


def readout_matrix(q: QubitCal) -> np.ndarray:
    """``M[measured, true]`` of one qubit."""
    return np.array([[1 - q.p01, q.p10], [q.p01, 1 - q.p10]])
