"""VQNet machines as PennyLane devices (the new ``pennylane.devices.Device`` API).

``qml.device("vqnet.statevector", wires=4)`` runs a QNode on VQNet's built-in state-vector
machine; ``vqnet.density_matrix`` on the density-matrix machine; ``qml.device("vqnet.machine",
machine="qpanda.cpu")`` (or an entry point ``vqnet.<machine>``) on any VQNet machine.

The numerics stay in the machine. The device only declares what the machine supports (its
gates, through :func:`~vqnet_pennylane.translate.pl_gate_set`), lets PennyLane decompose
everything else, turns each tape into the IR once, and measures:

* analytic: the machine's final state (or density matrix) measured by PennyLane's own
  measurement functions, so every state measurement (expval, var, probs, state,
  density_matrix, purity, entropies...) of any observable is available;
* shots: the machine's own seeded samples, after the observables' diagonalizing gates,
  processed by each measurement's ``process_samples`` (expval, var, probs, sample, counts);
* derivatives: the machine's adjoint ``vjp`` (``diff_method="device"`` or ``"adjoint"``;
  ``compute_vjp`` and ``compute_derivatives``) for expvals of Pauli sums and probs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import decompose, validate_device_wires, validate_measurements
from pennylane.exceptions import DeviceError
from pennylane.measurements import SampleMeasurement, StateMeasurement
from pennylane.transforms import defer_measurements, split_non_commuting
from pennylane.transforms.core import CompilePipeline

from vqnet_core.backend import get_backend
from vqnet_core.quantum import Density, Sample, State, get_machine

from .translate import accepts, measurement_to_ir, pl_gate_set, tape_to_ir, wire_order

_GRAD_METHODS = ("device", "adjoint")


@qml.transform
def split_if_shots(tape):
    """``split_non_commuting`` (qubit-wise commuting groups) for tapes with shots, which are
    measured in one common eigenbasis; analytic tapes are measured on the state as they are."""
    if not tape.shots:
        return [tape], lambda r: r[0]
    return split_non_commuting(tape, grouping_strategy="qwc")


@qml.transform
def validate_no_state_vector(tape, name="device"):
    """A density-matrix machine has no state vector: ``qml.state()`` is refused (with the
    ``density_matrix`` measurement to use instead)."""
    from pennylane.measurements import DensityMatrixMP, StateMP

    for mp in tape.measurements:
        if isinstance(mp, StateMP) and not isinstance(mp, DensityMatrixMP):
            raise DeviceError(f"qml.state() is not supported on {name}: its machine keeps a "
                              "density matrix, not a state vector; measure "
                              "qml.density_matrix(wires) instead")
    return [tape], lambda r: r[0]


class _Grads(tuple):
    """One tape's VJP: a tuple of per-parameter arrays, scalars and ``[B]`` rows side by side
    (a parameter broadcast over the batch gets its per-row gradient). PennyLane's torch
    interface checks a VJP for emptiness with ``np.squeeze(vjp)``, which a ragged tuple
    cannot pass; as an array this stands for its length only."""

    def __array__(self, dtype=None, copy=None):
        return np.zeros(len(self))


def _np(x: Any) -> np.ndarray:
    return np.asarray(get_backend().to_numpy(x)) if not isinstance(x, np.ndarray) else x


def diagonalizing_gates(measurements) -> list:
    """The gates that rotate every measured wire into the eigenbasis of the (qubit-wise
    commuting) observables, each wire rotated once."""
    gates: list = []
    done: dict[Any, Any] = {}                          # wire -> Pauli letter or observable
    for mp in measurements:
        obs = mp.obs
        if obs is None:
            continue
        ps = getattr(obs, "pauli_rep", None)
        letters: dict[Any, set] = {}
        for word in ps or ():
            for w, p in word.items():
                letters.setdefault(w, set()).add(p)
        if ps is not None and all(len(v) == 1 for v in letters.values()):
            for word in ps:
                for w, p in word.items():
                    if w in done:
                        if done[w] != p:
                            raise DeviceError(f"observables of {measurements} do not commute "
                                              "qubit-wise on wire {w}")
                        continue
                    done[w] = p
                    gates.extend(getattr(qml, p)(w).diagonalizing_gates())
            continue
        key = obs.hash
        if all(done.get(w) == key for w in obs.wires):
            continue
        if any(w in done for w in obs.wires):
            raise DeviceError(f"observables of {measurements} overlap on wires {obs.wires}")
        done.update({w: key for w in obs.wires})
        gates.extend(obs.diagonalizing_gates())
    return gates


@simulator_tracking
@single_tape_support
class VQNetDevice(Device):
    """A PennyLane device on the VQNet machine ``machine`` (any name ``vqnet info`` lists).

    Args:
        wires: the device's wires (None: each circuit's own).
        shots: default shots (PennyLane takes them from each circuit: ``qml.set_shots``).
        seed: seeds the sampling (an int or a ``numpy.random.Generator``); None draws from
            VQNet's seeded stream (``vqnet_core.manual_seed``).
        machine: the VQNet machine name; ``dtype``: ``"complex128"`` or ``"complex64"``;
        other keyword options go to the machine (``get_machine(machine, **options)``).
    """

    machine_name = "statevector"

    def __init__(self, wires=None, shots=None, seed=None, machine: str | None = None,
                 dtype: str = "complex128", **options: Any) -> None:
        super().__init__(wires=wires, shots=shots)
        self.machine_name = machine or type(self).machine_name
        self.machine = get_machine(self.machine_name, **options)
        caps = self.machine.capabilities
        if dtype not in caps.dtypes:
            raise DeviceError(f"machine {self.machine_name!r} does not support {dtype}")
        self._dtype = dtype
        self._rng = seed if isinstance(seed, np.random.Generator) else (
            None if seed is None else np.random.default_rng(seed))
        self._gates = pl_gate_set(caps.gates)
        kinds = caps.measurements
        self._mode = "state" if "state" in kinds else "density" if "density" in kinds else None
        if wires is not None and len(self.wires) > caps.max_wires:
            raise DeviceError(f"machine {self.machine_name!r} runs at most {caps.max_wires} "
                              f"wires; the device has {len(self.wires)}")

    @property
    def name(self) -> str:
        return f"vqnet.{self.machine_name}"

    # ------------------------------------------------------------------ declarations
    def _stop(self, op) -> bool:
        return accepts(op, self._gates)

    def _stop_trainable(self, op) -> bool:
        # the adjoint differentiates IR angles: a trainable matrix is decomposed into them
        return accepts(op, self._gates, trainable_unitary=False)

    def _analytic_ok(self, mp) -> bool:
        return self.machine.capabilities.exact and self._mode is not None and \
            isinstance(mp, StateMeasurement)

    def _shots_ok(self, mp) -> bool:
        caps = self.machine.capabilities
        return caps.shots and "sample" in caps.measurements and \
            isinstance(mp, SampleMeasurement) and getattr(mp, "mv", None) is None

    def supports_derivatives(self, execution_config=None, circuit=None) -> bool:
        if not self.machine.capabilities.adjoint:
            return False
        if execution_config is not None and \
                execution_config.gradient_method not in _GRAD_METHODS + ("best",):
            return False
        if circuit is None:
            return True
        return self._differentiable(circuit)

    def _differentiable(self, circuit) -> bool:
        if circuit.shots:
            return False
        n_op = sum(len(op.data) for op in circuit.operations)
        if any(p >= n_op for p in circuit.trainable_params):
            return False                                 # an observable's coefficients
        wires = wire_order(circuit)
        meas = [measurement_to_ir(mp, wires) for mp in circuit.measurements]
        return all(m is not None and m.kind in ("expval", "probs") for m in meas) and \
            self.machine.supports_vjp(meas)

    supports_vjp = supports_derivatives

    def setup_execution_config(self, config=None, circuit=None) -> ExecutionConfig:
        config = config or ExecutionConfig()
        upd: dict[str, Any] = {}
        gm = config.gradient_method
        if gm == "best":
            gm = "device" if self.supports_derivatives(None, circuit) else "parameter-shift"
            upd["gradient_method"] = gm
        if gm in _GRAD_METHODS:
            if config.use_device_gradient is None:
                upd["use_device_gradient"] = True
            # the machine's adjoint is a VJP: broadcast tapes keep one batched run, and a
            # parameter broadcast over the batch gets its per-row gradient (a Jacobian of a
            # broadcast tape has no such form in PennyLane's interfaces)
            upd["use_device_jacobian_product"] = True
            if config.grad_on_execution is None:
                upd["grad_on_execution"] = False
        if config.mcm_config.mcm_method not in (None, "deferred"):
            raise DeviceError(f"mcm_method {config.mcm_config.mcm_method!r} not supported on "
                              f"{self.name}; supported: 'deferred'")
        upd["mcm_config"] = replace(config.mcm_config, mcm_method="deferred")
        upd["convert_to_numpy"] = True
        return replace(config, **upd)

    def preprocess_transforms(self, execution_config=None) -> CompilePipeline:
        config = execution_config or ExecutionConfig()
        grad = config.gradient_method in _GRAD_METHODS
        stop = self._stop_trainable if grad else self._stop
        program = CompilePipeline()
        program.add_transform(validate_device_wires, wires=self.wires, name=self.name)
        program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(decompose, stopping_condition=stop, target_gates=set(self._gates),
                              skip_initial_state_prep=False, name=self.name)
        if self._mode == "density":
            program.add_transform(validate_no_state_vector, name=self.name)
        program.add_transform(split_if_shots)
        program.add_transform(validate_measurements, analytic_measurements=self._analytic_ok,
                              sample_measurements=self._shots_ok, name=self.name)
        return program

    # ------------------------------------------------------------------ execution
    def execute(self, circuits, execution_config=None):
        return tuple(self._run(t) for t in circuits)

    def _seed(self) -> int | None:
        return None if self._rng is None else int(self._rng.integers(2**63 - 1))

    def _run(self, tape):
        tape = tape.map_to_standard_wires()
        if tape.shots:
            return self._run_shots(tape)
        return self._run_analytic(tape)

    def _run_analytic(self, tape):
        from pennylane.devices.qubit.measure import measure as measure_state
        from pennylane.devices.qubit_mixed.measure import measure as measure_rho

        ir = tape_to_ir(tape)
        n = len(tape.wires)
        if n == 0:                                       # no wires: a trivial one
            ir = tape_to_ir(tape, wires=[0])
        batched = ir.batch is not None
        b = ir.angles.shape[0]
        meas = [measurement_to_ir(mp, wire_order(tape)) for mp in tape.measurements]
        if n and all(m is not None and m.kind in ("expval", "probs") for m in meas):
            # expvals of Pauli sums and probs: the machine measures them itself
            out = self.machine.execute(ir.circuit, ir.angles, meas, dtype=self._dtype)
            res = tuple(np.asarray(_np(r), dtype=np.float64) if batched else
                        np.asarray(_np(r), dtype=np.float64)[0] for r in out)
            return res[0] if len(res) == 1 else res
        if self._mode == "state":
            psi = _np(self.machine.execute(ir.circuit, ir.angles, [State()],
                                           dtype=self._dtype)[0])
            psi = psi * np.exp(-1j * ir.phase)[:, None]
            if n == 0:
                psi = psi[:, :1]
            st = psi.reshape((b,) + (2,) * n)
            st = st if batched else st[0]
            res = tuple(measure_state(mp, st, is_state_batched=batched)
                        for mp in tape.measurements)
        else:
            rho = _np(self.machine.execute(ir.circuit, ir.angles, [Density()],
                                           dtype=self._dtype)[0])
            if n == 0:
                rho = rho[:, :1, :1]
            st = rho.reshape((b,) + (2,) * (2 * n))
            st = st if batched else st[0]
            res = tuple(measure_rho(mp, st, is_state_batched=batched)
                        for mp in tape.measurements)
        return res[0] if len(res) == 1 else res

    def _run_shots(self, tape):
        diag = diagonalizing_gates(tape.measurements)
        ops = list(tape.operations)
        if diag:
            (dt,), _ = decompose(qml.tape.QuantumScript(diag), stopping_condition=self._stop,
                                 target_gates=set(self._gates), name=self.name)
            ops += list(dt.operations)
        n = len(tape.wires)
        order = wire_order(tape)
        ir = tape_to_ir(tape, wires=order if n else [0], operations=ops)
        total = tape.shots.total_shots
        s = _np(self.machine.execute(ir.circuit, ir.angles, [Sample(None)], shots=total,
                                     seed=self._seed(), dtype=self._dtype)[0])[..., :max(n, 0)]
        batched = ir.batch is not None
        out = []
        for lo, hi in tape.shots.bins():
            per = []
            for mp in tape.measurements:
                rows = [mp.process_samples(s[i, lo:hi], wire_order=order)
                        for i in range(s.shape[0])]
                if not batched:
                    per.append(rows[0])
                elif isinstance(rows[0], dict):
                    per.append(tuple(rows))
                else:
                    per.append(np.stack([np.asarray(r) for r in rows]))
            out.append(per[0] if len(per) == 1 else tuple(per))
        return tuple(out) if tape.shots.has_partitioned_shots else out[0]

    # ------------------------------------------------------------------ derivatives
    def _ir_for_grad(self, tape):
        tape = tape.map_to_standard_wires()
        ir = tape_to_ir(tape)
        meas = [measurement_to_ir(mp, wire_order(tape)) for mp in tape.measurements]
        if any(m is None or m.kind not in ("expval", "probs") for m in meas):
            raise DeviceError(f"{self.name} differentiates expvals of Pauli sums and probs "
                              f"only, got {tape.measurements}")
        return tape, ir, meas

    def _param_grads(self, tape, ir, g):
        """Per trainable tape parameter: its derivative from the column gradients g [B, S]
        (summed over the columns it fills; over the batch when the parameter is shared)."""
        params = tape.get_parameters(trainable_only=False)
        out = []
        for p in tape.trainable_params:
            cols = [j for j, q in enumerate(ir.param_of) if q == p]
            v = g[:, cols].sum(axis=1) if cols else np.zeros(g.shape[0])
            out.append(v if qml.math.ndim(params[p]) == 1 else v.sum())
        return out

    def _one_vjp(self, tape, cotangent):
        tape, ir, meas = self._ir_for_grad(tape)
        cots = (cotangent,) if len(meas) == 1 else tuple(cotangent)
        b = ir.angles.shape[0]
        up = []
        for m, c in zip(meas, cots):
            c = np.asarray(qml.math.to_numpy(c), dtype=np.float64)
            up.append(np.broadcast_to(c, (b,) if m.kind == "expval" else (b, c.shape[-1]))
                      .copy())
        if ir.circuit.num_angles == 0:
            g = np.zeros((b, ir.angles.shape[1]))
        else:
            g = _np(self.machine.vjp(ir.circuit, ir.angles, meas, up, dtype=self._dtype))
        return _Grads(np.asarray(x) for x in self._param_grads(tape, ir, g))

    def compute_vjp(self, circuits, cotangents, execution_config=None):
        return tuple(self._one_vjp(t, c) for t, c in zip(circuits, cotangents))

    def _one_jacobian(self, tape):
        tape, ir, meas = self._ir_for_grad(tape)
        b = ir.angles.shape[0]
        batched = ir.batch is not None
        widths = [1 if m.kind == "expval" else 2 ** len(m.wires or tape.wires) for m in meas]
        jac = []
        for i, (m, k) in enumerate(zip(meas, widths)):
            cols = []                                     # per output component: [P][B]
            for c in range(k):
                up = [np.zeros((b,) if mm.kind == "expval" else (b, kk))
                      for mm, kk in zip(meas, widths)]
                if m.kind == "expval":
                    up[i][:] = 1.0
                else:
                    up[i][:, c] = 1.0
                g = _np(self.machine.vjp(ir.circuit, ir.angles, meas, up, dtype=self._dtype)) \
                    if ir.circuit.num_angles else np.zeros((b, ir.angles.shape[1]))
                # d result[b, c] / d param (per row: rows are independent)
                cols.append([g[:, [j for j, q in enumerate(ir.param_of) if q == p]].sum(axis=1)
                             for p in tape.trainable_params])
            per_param = []
            for pi in range(len(tape.trainable_params)):
                arr = np.stack([cols[c][pi] for c in range(k)], axis=-1)  # [B, k]
                if m.kind == "expval":
                    arr = arr[..., 0]
                per_param.append(arr if batched else arr[0])
            jac.append(per_param[0] if len(per_param) == 1 else tuple(per_param))
        if not tape.trainable_params:
            jac = [() for _ in meas]
        return jac[0] if len(jac) == 1 else tuple(jac)

    def compute_derivatives(self, circuits, execution_config=None):
        return tuple(self._one_jacobian(t) for t in circuits)

    def execute_and_compute_derivatives(self, circuits, execution_config=None):
        return self.execute(circuits, execution_config), \
            self.compute_derivatives(circuits, execution_config)

    def execute_and_compute_vjp(self, circuits, cotangents, execution_config=None):
        return self.execute(circuits, execution_config), \
            self.compute_vjp(circuits, cotangents, execution_config)


class StatevectorDevice(VQNetDevice):
    """``vqnet.statevector``: VQNet's built-in state-vector machine (adjoint derivatives)."""

    machine_name = "statevector"


class DensityMatrixDevice(VQNetDevice):
    """``vqnet.density_matrix``: VQNet's built-in density-matrix machine."""

    machine_name = "density_matrix"


def __getattr__(attr: str):
    """``vqnet_<machine with dots as __>`` device classes, for ``vqnet.<machine>`` entry
    points (``vqnet_qpanda__cpu`` -> machine ``qpanda.cpu``)."""
    if attr.startswith("vqnet_"):
        mname = attr[len("vqnet_"):].replace("__", ".")
        return type(attr, (VQNetDevice,), {"machine_name": mname,
                                           "__doc__": f"vqnet.{mname}"})
    raise AttributeError(attr)
