"""VQNet as a Cirq simulator: :class:`Simulator` runs ``cirq.Circuit``s on any VQNet machine
behind Cirq's own interfaces, ``cirq.SimulatesSamples`` (so every ``cirq.Sampler`` method:
``run``, ``run_sweep``, ``sample``, ...), ``cirq.SimulatesExpectationValues`` and
``cirq.SimulatesFinalState``.

A circuit is converted once per structure (:func:`~vqnet_cirq.translate.from_cirq`, cached on
its frozen form) and a whole sweep becomes one batch of angle rows, executed by the machine in
one call.

>>> import cirq, sympy
>>> t = sympy.Symbol("t")
>>> q = cirq.LineQubit.range(2)
>>> c = cirq.Circuit(cirq.ry(t)(q[0]), cirq.CNOT(*q), cirq.measure(*q, key="m"))
>>> res = Simulator(seed=1).run(c, {"t": 3.14159}, repetitions=5)
>>> res.measurements["m"].tolist()
[[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import cirq
import numpy as np
import sympy

from vqnet_core.quantum import Expval, Sample, State, get_machine
from vqnet_core.quantum.results import make_rng

from . import translate as T


class Simulator(cirq.SimulatesSamples, cirq.SimulatesExpectationValues,
                cirq.SimulatesFinalState):
    """A Cirq simulator over the VQNet machine ``machine`` (a name or a Machine; default the
    built-in ``statevector``). ``seed`` (an int, a ``numpy`` Generator or None: VQNet's
    stream) makes the samples reproducible; ``dtype`` is the state's complex dtype."""

    def __init__(self, machine: Any = "statevector", *, dtype: Any = np.complex128,
                 seed: Any = None, **machine_options: Any) -> None:
        self.machine = get_machine(machine, **machine_options) if isinstance(machine, str) \
            else machine
        self.dtype = np.dtype(dtype).name
        if self.dtype not in ("complex64", "complex128"):
            raise ValueError(f"dtype must be complex64 or complex128, got {self.dtype}")
        self._rng = seed if isinstance(seed, np.random.Generator) else (
            np.random.default_rng(seed) if seed is not None else make_rng(None))
        self._cache: OrderedDict = OrderedDict()

    # ---------------------------------------------------------------- conversion
    def _convert(self, program: cirq.AbstractCircuit, order: Sequence[cirq.Qid]):
        key = (program.freeze() if isinstance(program, cirq.Circuit) else program, tuple(order))
        fc = self._cache.get(key)
        if fc is None:
            fc = T.from_cirq(program, qubit_order=order)
            self._cache[key] = fc
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return fc

    @staticmethod
    def _order(program: cirq.AbstractCircuit, qubit_order: Any) -> list[cirq.Qid]:
        return list(cirq.QubitOrder.as_qubit_order(qubit_order).order_for(
            program.all_qubits()))

    @staticmethod
    def _angles(fc, resolvers: Sequence[cirq.ParamResolver]) -> np.ndarray:
        rows = {}
        for name in fc.parameters:
            vals = []
            for r in resolvers:
                v = r.value_of(sympy.Symbol(name))
                if cirq.is_parameterized(v):
                    raise ValueError(f"symbol {name!r} has no value in the parameter resolver "
                                     f"{r}")
                vals.append(float(v))
            rows[name] = np.asarray(vals)
        a = fc.angles(rows) if fc.parameters else fc.angles({})
        if a.shape[0] != len(resolvers):
            a = np.broadcast_to(a, (len(resolvers), a.shape[1])).copy()
        return a

    def _seed(self) -> int:
        return int(self._rng.integers(2**31 - 1))

    @staticmethod
    def _check_initial(initial_state: Any) -> None:
        if initial_state not in (None, 0):
            raise NotImplementedError("vqnet_cirq.Simulator starts from |0...0> only "
                                      f"(initial_state=0 or None), got {initial_state!r}")

    # ---------------------------------------------------------------- SimulatesSamples
    def run_sweep(self, program: cirq.AbstractCircuit, params: cirq.Sweepable,
                  repetitions: int = 1) -> Sequence[cirq.Result]:
        """All parameter sets of ``params`` in one batched execute."""
        resolvers = list(cirq.to_resolvers(params))
        if not program.has_measurements():
            raise ValueError("Circuit has no measurements to sample.")
        fc = self._convert(program, sorted(program.all_qubits()))
        if not resolvers:
            return []
        a = self._angles(fc, resolvers)
        wires = fc.measurements[0].wires
        bits = np.asarray(self.machine.execute(fc.circuit, a, [Sample(wires)],
                                               shots=max(int(repetitions), 1),
                                               seed=self._seed(), dtype=self.dtype)[0])
        bits = bits[:, :repetitions] if repetitions else bits[:, :0]
        out = []
        for b, r in enumerate(resolvers):
            ms, col = {}, 0
            for key, ws in fc.measurement_wires:
                ms[key] = bits[b, :, col:col + len(ws)].astype(np.int8)
                col += len(ws)
            out.append(cirq.ResultDict(params=r, measurements=ms))
        return out

    def run_sweep_iter(self, program, params, repetitions=1) -> Iterator[cirq.Result]:
        yield from self.run_sweep(program, params, repetitions)

    def _run(self, circuit, param_resolver, repetitions):
        res = self.run_sweep(circuit, param_resolver, repetitions)[0]
        return dict(res.measurements)

    # ---------------------------------------------------------------- expectation values
    def simulate_expectation_values_sweep_iter(
            self, program: cirq.AbstractCircuit, observables: Any, params: cirq.Sweepable,
            qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
            initial_state: Any = None, permit_terminal_measurements: bool = False
    ) -> Iterator[list[float]]:
        self._check_initial(initial_state)
        if not permit_terminal_measurements and program.are_any_measurements_terminal():
            raise ValueError("Provided circuit has terminal measurements, which may skew "
                             "expectation values. If this is intentional, set "
                             "permit_terminal_measurements=True.")
        obs = observables if isinstance(observables, list) else [observables]
        sums = [cirq.PauliSum.wrap(o) for o in obs]
        base = program.unfreeze() if isinstance(program, cirq.FrozenCircuit) else program
        body = cirq.drop_terminal_measurements(base) if program.has_measurements() else base
        qubits = set(body.all_qubits()) | {q for s in sums for q in s.qubits}
        order = list(cirq.QubitOrder.as_qubit_order(qubit_order).order_for(qubits))
        fc = self._convert(body, order)
        resolvers = list(cirq.to_resolvers(params))
        if not resolvers:
            return
        a = self._angles(fc, resolvers)
        ms = []
        for s in sums:
            h = T.from_pauli_sum(s, order)
            ms.append(Expval(h))
        vals = [np.asarray(v) for v in self.machine.execute(fc.circuit, a, ms,
                                                             dtype=self.dtype)]
        for b in range(len(resolvers)):
            yield [float(v[b]) for v in vals]

    # ---------------------------------------------------------------- final states
    def simulate_sweep_iter(self, program: cirq.AbstractCircuit, params: cirq.Sweepable,
                            qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
                            initial_state: Any = None
                            ) -> Iterator[cirq.StateVectorTrialResult]:
        self._check_initial(initial_state)
        if program.has_measurements():
            raise ValueError("vqnet_cirq.Simulator.simulate takes circuits without "
                             "measurements (sample them with run / run_sweep)")
        order = self._order(program, qubit_order)
        fc = self._convert(program, order)
        resolvers = list(cirq.to_resolvers(params))
        if not resolvers:
            return
        a = self._angles(fc, resolvers)
        states = np.asarray(self.machine.execute(fc.circuit, a, [State()],
                                                 dtype=self.dtype)[0])
        for b, r in enumerate(resolvers):
            st = cirq.StateVectorSimulationState(qubits=order, initial_state=states[b].copy(),
                                                 dtype=np.dtype(self.dtype).type)
            yield cirq.StateVectorTrialResult(params=r, measurements={},
                                              final_simulator_state=st)
