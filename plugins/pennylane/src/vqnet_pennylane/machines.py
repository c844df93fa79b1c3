"""PennyLane devices as VQNet machines (entry points ``pennylane.*``).

Each machine turns the IR into PennyLane operations (:func:`~vqnet_pennylane.translate.
ir_to_pl_ops`, a batch of angle rows as PennyLane's parameter broadcasting), asks the device
for the final state (``qml.state()``, or ``qml.density_matrix`` on ``default.mixed``) through
``qml.execute`` (so the device's own preprocessing runs), and VQNet measures it
(:func:`vqnet_core.quantum.results.measure_state`: expvals, marginals and seeded shots).
``pennylane.lightning.qubit`` differentiates by Lightning's adjoint method: one tape per batch
row whose single observable is the upstream-weighted sum of the Hamiltonians.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> [round(float(v), 6) for v in get_machine("pennylane.default.qubit").execute(
...     c, np.array([[0.0], [np.pi]]), [Expval("Z0")])[0]]
[1.0, -1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pennylane as qml

from vqnet_core.backend import get_backend
from vqnet_core.quantum import GATES, Circuit, MachineCapabilities, MachineError, ParamRef
from vqnet_core.quantum.machine import Machine
from vqnet_core.quantum.noise import NoiseModel
from vqnet_core.quantum.results import measure_density, measure_state

from .translate import ir_to_pl_ops

_MEAS = frozenset({"expval", "probs", "sample", "state", "amplitude"})


def pl_operations(circuit, angles):
    """The PennyLane operations of ``circuit`` for the angle batch ``[B, S]`` and, per
    operation parameter in tape order, the angle column it holds (None for a constant)."""
    ops = ir_to_pl_ops(circuit, angles)
    cols = []
    for op in circuit.ops:
        if op.name == "QubitUnitary":
            cols.append(None)
            continue
        cols.extend(p.index if isinstance(p, ParamRef) else None for p in op.params)
    return ops, cols


def _terms(m, n):
    """``(coeff, term)`` pairs of an expval's Hamiltonian; for probs, a function of the
    upstream row per Z-string: ``sum_k u_k |k><k| = sum_S c_S Z_S`` with ``c`` the
    Walsh-Hadamard transform of ``u`` over the measured wires (first wire most significant)."""
    if m.kind == "expval":
        return list(m.observable.terms)
    ws = list(range(n)) if m.wires is None else list(m.wires)
    k = len(ws)
    idx = np.arange(2**k)
    out = []
    for s in range(2**k):
        bits = [(s >> (k - 1 - j)) & 1 for j in range(k)]
        sign = (-1.0) ** np.array([bin(int(v) & s).count("1") for v in idx])
        term = tuple(sorted((ws[j], "Z") for j in range(k) if bits[j]))
        out.append((lambda u, sign=sign: float(np.dot(sign, u)) / 2**k, term))
    return out


class PennyLaneMachine(Machine):
    """A VQNet machine on the PennyLane device ``device`` (any installed one:
    ``get_machine("pennylane.device", device="lightning.qubit")``); other keyword options go
    to ``qml.device``."""

    name = "pennylane.device"
    device_name = "default.qubit"
    mode = "state"
    capabilities = MachineCapabilities(max_wires=20, gates=frozenset(GATES), measurements=_MEAS,
                                       shots=True, exact=True, noise=False, adjoint=False)

    def __init__(self, device: str | None = None, **device_options: Any) -> None:
        super().__init__()
        if device is not None:
            self.device_name = device
            self.name = f"pennylane.{device}"
        self._options = device_options
        self._devices: dict[int, Any] = {}

    def device(self, n: int):
        """The PennyLane device on ``n`` wires (one per width, kept)."""
        dev = self._devices.get(n)
        if dev is None:
            try:
                dev = qml.device(self.device_name, wires=n, **self._options)
            except Exception as exc:  # noqa: BLE001 - PennyLane raises several kinds
                raise MachineError(f"PennyLane device {self.device_name!r}: {exc}") from exc
            self._devices[n] = dev
        return dev

    noise_model: NoiseModel | None = None

    def operations(self, circuit, angles) -> list:
        """The PennyLane operations of the run (with noise channels on a noisy machine)."""
        return pl_operations(circuit, angles)[0]

    def final_states(self, circuit, angles) -> np.ndarray:
        """``[B, 2^n]`` states (or ``[B, 2^n, 2^n]`` density matrices)."""
        n, b = circuit.num_wires, angles.shape[0]
        ops = self.operations(circuit, angles)
        ops = [qml.Identity(w) for w in range(n)] + ops       # every wire present
        mp = qml.state() if self.mode == "state" else qml.density_matrix(wires=range(n))
        tape = qml.tape.QuantumScript(ops, [mp])
        (res,) = qml.execute([tape], self.device(n), diff_method=None)
        d = 2**n
        shape = (d,) if self.mode == "state" else (d, d)
        res = np.asarray(res).reshape((-1,) + shape)
        return np.broadcast_to(res, (b,) + shape)             # a tape with no broadcast angle

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        st = self.final_states(circuit, angles)
        n = circuit.num_wires
        if self.mode == "state":
            return measure_state(st, n, measurements, shots=shots, seed=seed, dtype=dtype)
        nm = self.noise_model
        return measure_density(st, n, measurements, shots=shots, seed=seed, dtype=dtype,
                               readout=nm.readout_matrices(n) if nm is not None else None)


def kraus_of(channel) -> list[np.ndarray]:
    """Kraus operators of a VQNet one-qubit channel (its own, else from the Choi matrix of its
    superoperator ``S[2i+j, 2k+l] = sum K[i,k] conj(K[j,l])``)."""
    if channel.kraus:
        return [np.asarray(k) for k in channel.kraus]
    S = np.asarray(channel.superop).reshape(2, 2, 2, 2)          # i, j, k, l
    choi = S.transpose(0, 2, 1, 3).reshape(4, 4)                  # (i k), (j l)
    lam, vec = np.linalg.eigh(choi)
    return [np.sqrt(v) * vec[:, a].reshape(2, 2) for a, v in enumerate(lam) if v > 1e-14]


class DefaultQubitMachine(PennyLaneMachine):
    """``pennylane.default.qubit``: PennyLane's reference state-vector simulator."""

    name = "pennylane.default.qubit"
    device_name = "default.qubit"


class DefaultMixedMachine(PennyLaneMachine):
    """``pennylane.default.mixed``: PennyLane's density-matrix simulator."""

    name = "pennylane.default.mixed"
    device_name = "default.mixed"
    mode = "density"
    capabilities = MachineCapabilities(max_wires=10, gates=frozenset(GATES),
                                       measurements=frozenset({"expval", "probs", "sample",
                                                               "density"}), shots=True,
                                       exact=True, noise=True, adjoint=False)

    def __init__(self, noise_model: NoiseModel | None = None, **device_options: Any) -> None:
        super().__init__(**device_options)
        self.noise_model = self.checked_noise_model(noise_model)

    def operations(self, circuit, angles) -> list:
        """Each gate, then the noise model's channels after it (``qml.QubitChannel``)."""
        nm = self.noise_model
        if nm is None or not nm.has_gate_noise:
            return pl_operations(circuit, angles)[0]
        out = []
        for op in circuit.ops:
            out += pl_operations(Circuit(circuit.num_wires, [op]), angles)[0]
            for ch, w in nm.channels_after(op.name, op.wires):
                out.append(qml.QubitChannel(kraus_of(ch), wires=w))
        return out


class LightningQubitMachine(PennyLaneMachine):
    """``pennylane.lightning.qubit``: PennyLane-Lightning's C++ state vector; its adjoint
    method is the machine's ``vjp`` (expvals)."""

    name = "pennylane.lightning.qubit"
    device_name = "lightning.qubit"
    capabilities = MachineCapabilities(max_wires=26, gates=frozenset(GATES), measurements=_MEAS,
                                       shots=True, exact=True, noise=False, adjoint=True)

    def supports_vjp(self, measurements) -> bool:
        return all(m.kind in ("expval", "probs") for m in measurements)

    def _vjp(self, circuit, angles, measurements, upstream, dtype):
        from autograd import make_vjp

        if not self.supports_vjp(measurements):
            raise MachineError("pennylane.lightning.qubit differentiates expvals and probs")
        n, b = circuit.num_wires, angles.shape[0]
        ups = [np.asarray(get_backend().to_numpy(u), dtype=np.float64).reshape(b, -1)
               for u in upstream]
        dev = self.device(n)
        observables = []
        for i in range(b):                       # one weighted observable per batch row
            coeffs, terms = [], []
            for m, u in zip(measurements, ups):
                for c, term in _terms(m, n):
                    coeffs.append(c * u[i, 0] if m.kind == "expval" else c(u[i]))
                    terms.append(qml.prod(*[getattr(qml, p)(w) for w, p in term])
                                 if term else qml.Identity(0))
            observables.append(qml.Hamiltonian(coeffs, terms))

        def total(a):
            tapes = [qml.tape.QuantumScript(ir_to_pl_ops(circuit, a[i:i + 1]),
                                            [qml.expval(observables[i])]) for i in range(b)]
            res = qml.execute(tapes, dev, diff_method="adjoint")
            return qml.math.sum(qml.math.stack(res))

        # PennyLane's pipeline decomposes what Lightning's adjoint does not take; autograd
        # chains Lightning's adjoint derivatives back to the IR angles
        vjp, _ = make_vjp(total)(np.asarray(angles, dtype=np.float64))
        out = np.asarray(vjp(1.0), dtype=np.float64)
        rdt = "float32" if dtype == "complex64" else "float64"
        return get_backend().from_numpy(out.astype(rdt))
