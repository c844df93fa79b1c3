"""VQNet's machines as Qiskit V2 primitives: :class:`Estimator` (``BaseEstimatorV2``) and
:class:`Sampler` (``BaseSamplerV2``).

Qiskit code written against the V2 interfaces runs on any VQNet machine unchanged (default: the
built-in ``statevector`` on the active array backend). As in Qiskit's reference primitives,
``run`` coerces the PUBs once (``EstimatorPub.coerce`` / ``SamplerPub.coerce``: broadcasting,
``precision`` and ``shots`` checked there); each PUB's circuit is converted to the IR once
(cached per circuit object), its parameter sets become the rows of **one** machine call and its
distinct observables that call's expvals; results come back as ``PrimitiveResult`` of
``PubResult`` / ``SamplerPubResult`` with ``DataBin`` s (``evs``, ``stds``; one ``BitArray`` per
classical register).

* ``Estimator(precision)``: exact expvals when the precision is 0 (the default); otherwise
  each value gets Gaussian noise of that standard deviation (seeded), like
  ``StatevectorEstimator``, and ``stds`` reports the precision.
* ``Sampler(shots)``: the machine draws ``shots`` seeded samples of the finally measured qubits
  (``default_shots=1024``); unmeasured clbits read 0. Resets, mid-circuit measurements and
  control flow are refused (the converter names them).

>>> from qiskit import QuantumCircuit
>>> from qiskit.quantum_info import SparsePauliOp
>>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1)
>>> res = Estimator().run([(qc, [SparsePauliOp("ZZ"), SparsePauliOp("XI")])]).result()
>>> [round(float(v), 6) for v in res[0].data.evs]
[1.0, 0.0]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
from qiskit.primitives import (
    BaseEstimatorV2,
    BaseSamplerV2,
    BitArray,
    DataBin,
    PrimitiveJob,
    PrimitiveResult,
    PubResult,
    SamplerPubResult,
)
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub

from vqnet_core.backend import get_backend
from vqnet_core.quantum import Expval, Hamiltonian, Machine, Probs, Sample, get_machine

from .translate import from_qiskit


class _Converted:
    """Per-circuit-object cache of the converted IR (the circuit object is kept alive with
    its entry, so an id is never reused while cached)."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[int, tuple[Any, Any]] = OrderedDict()
        self.size = size

    def __call__(self, qc: Any) -> Any:
        hit = self._items.get(id(qc))
        if hit is not None and hit[0] is qc:
            self._items.move_to_end(id(qc))
            return hit[1]
        fc = from_qiskit(qc)
        self._items[id(qc)] = (qc, fc)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return fc


def _machine(machine: str | Machine, options: dict[str, Any]) -> Machine:
    return machine if isinstance(machine, Machine) else get_machine(machine, **options)


def _angles(fc: Any, qc: Any, values: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """The ``[B, S]`` angle rows of a PUB's BindingsArray and its shape."""
    shape = tuple(values.shape)
    if qc.num_parameters == 0:
        return np.zeros((1, len(fc.columns))), shape
    arr = np.asarray(values.as_array(qc.parameters), dtype=np.float64)
    flat = arr.reshape(-1, qc.num_parameters)
    named = {p.name: flat[:, i] for i, p in enumerate(qc.parameters)}
    return fc.angles(named), shape


def _host(a: Any) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else np.asarray(get_backend().to_numpy(a))


def _hamiltonian(obs: dict[str, float], n: int) -> Hamiltonian:
    terms = []
    for label, c in obs.items():
        word = " ".join(f"{p}{n - 1 - i}" for i, p in enumerate(label) if p != "I")
        terms.append((float(np.real(c)), word))
    return Hamiltonian.from_any(terms)


@lru_cache(maxsize=16)
def _diagonal_matrix(n: int, observables: tuple) -> np.ndarray:
    """``D [2^n, M]``: observable ``j`` (``((label, coeff), ...)``, I / Z only) on basis state
    ``i`` of VQNet's order (wire 0 most significant; Qiskit's letter ``n-1-q`` is qubit q)."""
    idx = np.arange(2**n, dtype=np.int64)
    D = np.zeros((2**n, len(observables)))
    for j, o in enumerate(observables):
        for lbl, c in o:
            par = np.zeros_like(idx)
            for q in range(n):
                if lbl[n - 1 - q] == "Z":
                    par ^= (idx >> (n - 1 - q)) & 1
            D[:, j] += float(np.real(c)) * (1.0 - 2.0 * par)
    D.setflags(write=False)
    return D


class Estimator(BaseEstimatorV2):
    """``BaseEstimatorV2`` over a VQNet machine.

    ``machine``: a name (``"statevector"``, ``"qiskit.aer"``, ``"density_matrix"`` with a
    ``noise_model=`` option, ...) or a Machine; ``default_precision``: used when neither
    ``run`` nor the PUB gives one; ``seed``: for the precision noise; ``dtype``: the simulation
    precision.
    """

    def __init__(self, machine: str | Machine = "statevector", *,
                 default_precision: float = 0.0, seed: int | np.random.Generator | None = None,
                 dtype: str = "complex128", **machine_options: Any) -> None:
        self.machine = _machine(machine, machine_options)
        self._default_precision = default_precision
        self._seed = seed
        self.dtype = dtype
        self._convert = _Converted()

    @property
    def default_precision(self) -> float:
        return self._default_precision

    @property
    def seed(self) -> int | np.random.Generator | None:
        return self._seed

    def run(self, pubs: Iterable[Any], *, precision: float | None = None) -> PrimitiveJob:
        if precision is None:
            precision = self._default_precision
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[EstimatorPub]) -> PrimitiveResult:
        return PrimitiveResult([self._run_pub(p) for p in pubs], metadata={"version": 2})

    def _run_pub(self, pub: EstimatorPub) -> PubResult:
        qc = pub.circuit
        n = qc.num_qubits
        fc = self._convert(qc)
        angles, pshape = _angles(fc, qc, pub.parameter_values)
        obs = pub.observables
        flat_obs = obs.ravel().tolist() if obs.shape else [obs.tolist()]
        keys, uniq, index = {}, [], []
        for o in flat_obs:
            k = tuple(sorted(o.items()))
            if k not in keys:
                keys[k] = len(uniq)
                uniq.append(o)
            index.append(keys[k])
        table = self._table(fc, angles, uniq, n)                                   # [M, B]
        shape = tuple(pub.shape)
        oi = np.broadcast_to(np.asarray(index).reshape(obs.shape), shape)
        pi = np.broadcast_to(np.arange(angles.shape[0]).reshape(pshape) if pshape
                             else np.zeros((), dtype=int), shape)
        evs = table[oi, pi].astype(np.float64)
        precision = pub.precision
        stds = np.zeros_like(evs)
        if precision:
            rng = np.random.default_rng(self._seed)
            evs = rng.normal(evs, precision)
            stds = np.full_like(evs, precision)
        data = DataBin(evs=evs, stds=stds, shape=evs.shape)
        return PubResult(data, metadata={"target_precision": precision,
                                         "circuit_metadata": qc.metadata})


    def _table(self, fc: Any, angles: np.ndarray, uniq: list[dict], n: int) -> np.ndarray:
        """``[M, B]`` expvals of the distinct observables. When every term is diagonal (I / Z
        only) and the machine gives probabilities, one ``Probs`` of all wires serves them all
        (each observable a signed sum over basis states); otherwise one ``Expval`` each."""
        labels = {lbl for o in uniq for lbl in o}
        diagonal = all(set(lbl) <= {"I", "Z"} for lbl in labels)
        if diagonal and "probs" in self.machine.capabilities.measurements and \
                2**n * len(uniq) <= 2**24:
            p = _host(self.machine.execute(fc.circuit, angles, [Probs()], dtype=self.dtype)[0])
            D = _diagonal_matrix(n, tuple(tuple(sorted(o.items())) for o in uniq))
            return (np.asarray(p, dtype=np.float64) @ D).T
        res = self.machine.execute(fc.circuit, angles, [Expval(_hamiltonian(o, n)) for o in uniq],
                                   dtype=self.dtype)
        return np.stack([_host(r).astype(np.float64).reshape(-1) for r in res])


class Sampler(BaseSamplerV2):
    """``BaseSamplerV2`` over a VQNet machine (one that declares shots and ``sample``).

    ``seed``: the seed of every PUB's shots (None: VQNet's seeded stream, ``vq.manual_seed``).
    """

    def __init__(self, machine: str | Machine = "statevector", *, default_shots: int = 1024,
                 seed: int | None = None, dtype: str = "complex128",
                 **machine_options: Any) -> None:
        self.machine = _machine(machine, machine_options)
        self._default_shots = default_shots
        self._seed = seed
        self.dtype = dtype
        self._convert = _Converted()

    @property
    def default_shots(self) -> int:
        return self._default_shots

    @property
    def seed(self) -> int | None:
        return self._seed

    def run(self, pubs: Iterable[Any], *, shots: int | None = None) -> PrimitiveJob:
        if shots is None:
            shots = self._default_shots
        coerced = [SamplerPub.coerce(pub, shots) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult:
        return PrimitiveResult([self._run_pub(p) for p in pubs], metadata={"version": 2})

    def _run_pub(self, pub: SamplerPub) -> SamplerPubResult:
        qc = pub.circuit
        fc = self._convert(qc)
        angles, pshape = _angles(fc, qc, pub.parameter_values)
        shots = pub.shots
        shape = tuple(pub.shape)
        # final measurements: clbit -> wire (fc's Sample lists the wires in clbit order)
        measured = sorted({qc.find_bit(i.clbits[0]).index: qc.find_bit(i.qubits[0]).index
                           for i in qc.data if i.operation.name == "measure"}.items())
        B = angles.shape[0]
        bits = np.zeros((B, shots, qc.num_clbits), dtype=bool)
        if measured:
            wires = list(dict.fromkeys(w for _, w in measured))
            col = {w: j for j, w in enumerate(wires)}
            s = _host(self.machine.execute(fc.circuit, angles, [Sample(wires)], shots=shots,
                                           seed=self._seed, dtype=self.dtype)[0])
            for cb, w in measured:
                bits[:, :, cb] = s[:, :, col[w]].astype(bool)
        bits = bits.reshape(pshape + (shots, qc.num_clbits)) if pshape else bits[0]
        bits = np.broadcast_to(bits, shape + (shots, qc.num_clbits))
        meas = {}
        for creg in qc.cregs:
            idx = [qc.find_bit(b).index for b in creg]
            meas[creg.name] = BitArray.from_bool_array(bits[..., idx], order="little")
        return SamplerPubResult(DataBin(**meas, shape=shape),
                                metadata={"shots": shots, "circuit_metadata": qc.metadata})
