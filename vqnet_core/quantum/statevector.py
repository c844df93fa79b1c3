"""The built-in ``statevector`` machine: a batched state vector on the active array backend.

The state is ``[B, 2^n]`` (complex64 or complex128) and every update is written in backend
primitives (see :mod:`vqnet_core.quantum.kernels`; a backend's ``sv_apply_1q`` /
``sv_apply_2q`` / ``sv_expval_pauli`` kernels are used when declared). The adjoint ``vjp``
sweeps backwards with ONE bra per batch element: the upstream gradient weights every
observable into one Hermitian operator.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Probs, get_machine
>>> c = Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1))])
>>> np.round(get_machine("statevector").execute(c, np.zeros((1, 0)), [Probs()])[0], 3).tolist()
[[0.5, 0.0, 0.0, 0.5]]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend.registry import get_backend
from . import kernels as K
from .circuit import Circuit, Measurement
from .machine import Machine, MachineCapabilities, UnsupportedError
from .measure_eval import evaluate
from .plan import Plan, compile_plan, segment_dmatrices, segment_matrix, seq_runs

_RDT = {"complex64": "float32", "complex128": "float64"}


class PlanCache:
    """A small LRU of compiled plans keyed by circuit structure."""

    def __init__(self, size: int = 32, fuse: bool = True) -> None:
        self.size, self.fuse = size, fuse
        self._d: OrderedDict = OrderedDict()

    def get(self, circuit: Circuit) -> Plan:
        key = circuit.key()
        p = self._d.get(key)
        if p is None:
            p = compile_plan(circuit, self.fuse)
            self._d[key] = p
            if len(self._d) > self.size:
                self._d.popitem(last=False)
        else:
            self._d.move_to_end(key)
        return p


class StatevectorMachine(Machine):
    """Exact batched state-vector simulation with an adjoint vjp."""

    name = "statevector"
    # forward + adjoint peak at about 3 states per batch row (state, bra, one scratch; measured
    # on numpy and cpu): memory_estimate counts 3 (forward) or 4 (adjoint) with a margin
    capabilities = MachineCapabilities(
        max_wires=26,
        measurements=frozenset({"expval", "probs", "sample", "state", "density", "amplitude"}),
        shots=True, exact=True, noise=False, adjoint=True)

    def __init__(self, fuse: bool = True) -> None:
        super().__init__()
        self._plans = PlanCache(fuse=fuse)
        # the last exact forward run (plan, angles, dtype, final state): a vjp on the same
        # angles right after it (autograd's backward) starts from that state
        self._last_run: tuple | None = None

    def memory_estimate(self, circuit, batch, measurements, shots, dtype, adjoint=False):
        return _estimate(circuit.num_wires, 2**circuit.num_wires, batch, measurements, shots,
                         dtype, 4 if adjoint else 3, "state")

    # ---------------------------------------------------------------- simulation
    def _apply(self, B, state, plan: Plan, seg, mat, n: int, inverse: bool = False):
        if seg.kind == "perm":  # its stages: affine maps (n integers each), local perms
            return K.apply_perm_stages(B, state, n, seg.perm_inverse() if inverse else seg.perm)
        if seg.kind == "diag":
            return K.apply_diag(B, state, n, seg.wires, mat)
        return K.apply_matrix(B, state, n, seg.wires, mat)

    def simulate(self, circuit: Circuit, angles: np.ndarray, dtype: str) -> Any:
        """The final states ``[B, 2^n]`` as a native array."""
        return self._simulate(self._plans.get(circuit), angles, dtype)[0]

    def _simulate(self, plan: Plan, angles: np.ndarray, dtype: str) -> tuple[Any, list]:
        """The final states and every segment's matrix (NumPy, complex128; a diagonal for
        ``diag``, None for ``perm``): the adjoint sweep reuses them."""
        B = get_backend()
        n = plan.num_wires
        init = np.zeros((1, 2**n), dtype=dtype)
        init[0, 0] = 1
        state = B.from_numpy(init)
        del init  # (the state may be the same array: it is updated in place below)
        mats = [None if seg.kind == "perm" else segment_matrix(plan, seg, angles)
                for seg in plan.segments]
        native = [None if m is None else B.from_numpy(np.ascontiguousarray(m.astype(dtype)))
                  for m in mats]
        for run in seq_runs(plan):
            if _single(plan, run):
                state = self._apply(B, state, plan, plan.segments[run[0]], native[run[0]], n)
            else:
                # the state is this loop's own (fresh, or a kernel's output): update in place
                state = K.apply_seq(B, state, n, [(plan.segments[i].wires, native[i])
                                                  for i in run], inplace=True)
        bsz = angles.shape[0]
        if B.shape(state)[0] != bsz:
            state = B.broadcast_to(state, (bsz, 2**n))
        return state, mats

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        B = get_backend()
        n = circuit.num_wires
        plan = self._plans.get(circuit)
        state, mats = self._simulate(plan, angles, dtype)
        # only expval / probs results are kept: no caller holds (and could change) the state
        keep = shots is None and all(m.kind in ("expval", "probs") for m in measurements)
        self._last_run = (plan, B.name, angles.copy(), dtype, state, mats) if keep else None
        return self._measure(B, n, state, measurements, shots, seed, dtype)

    def _final_state(self, B, plan: Plan, angles: np.ndarray, dtype: str) -> tuple[Any, list]:
        """The final state and segment matrices, from the last forward run when it was this
        one."""
        last = self._last_run
        self._last_run = None
        if last is not None and last[0] is plan and last[1] == B.name and last[3] == dtype \
                and last[2].shape == angles.shape and np.array_equal(last[2], angles):
            return last[4], last[5]
        return self._simulate(plan, angles, dtype)

    def _measure(self, B, n, state, measurements, shots, seed, dtype):
        rdt = _RDT[dtype]
        if shots is None and B.kernel("sv_expval_pauli") is not None:
            direct = _expvals_by_kernel(B, n, state, measurements, rdt)
            if direct is not None:
                return direct

        def probs_in_basis(rot):
            return K.probabilities(B, K.rotate_to_z(B, state, n, rot, dtype))

        def density():
            return B.binary("mul", B.reshape(state, B.shape(state) + (1,)),
                            B.unary("conj", B.reshape(state, (B.shape(state)[0], 1, 2**n))))
        return evaluate(B, n, measurements, probs_in_basis, lambda: state, density, shots, seed,
                        rdt, B.shape(state)[0])

    # ---------------------------------------------------------------- adjoint
    def supports_vjp(self, measurements: Sequence[Measurement]) -> bool:
        return all(m.kind in ("expval", "probs", "state") for m in measurements)

    def _bra(self, B, n, state, measurements, upstream, dtype):
        """``conj(phi)``, the conjugated bra with ``dL/dangle = Re <phi| d psi / d angle>``."""
        rdt = _RDT[dtype]
        bsz = B.shape(state)[0]
        phi = None
        diag = None  # the real diagonal part of the weighted operator

        def add_diag(vals, wires):
            nonlocal diag
            full = K.full_diag(B, vals, n, wires)
            diag = full if diag is None else B.binary("add", diag, full)

        def add_z(weight, wires):  # weight [B, 1] times the +-1 diagonal of Z..Z on wires
            nonlocal diag
            d = B.binary("mul", weight, _z_signs(B, n, tuple(sorted(wires)), rdt))
            diag = d if diag is None else B.binary("add", diag, d)

        # one-wire Z terms: their weights per wire, turned into one diagonal at the end
        zcols: list[tuple[int, Any]] = []
        for m, g in zip(measurements, upstream):
            if m.kind == "expval":
                gb = B.reshape(B.astype(g, rdt), (bsz, 1))
                for c, term in m.observable.terms:
                    if not term:
                        continue  # the identity has no gradient
                    if len(term) == 1 and term[0][1] == "Z":
                        zcols.append((term[0][0], B.binary("mul", gb, 2.0 * c)))
                    elif all(p == "Z" for _, p in term):
                        add_z(B.binary("mul", gb, 2.0 * c), tuple(w for w, _ in term))
                    else:
                        v = state
                        for w, p in term:
                            from .gates import PAULI
                            v = K.apply_matrix(B, v, n, (w,), B.from_numpy(
                                PAULI[p][None].astype(dtype)))
                        v = B.binary("mul", v, B.astype(B.binary("mul", gb, 2.0 * c), dtype))
                        phi = v if phi is None else B.binary("add", phi, v)
            elif m.kind == "probs":
                wires = m.wires if m.wires is not None else tuple(range(n))
                ws = tuple(sorted(wires))
                gp = K.reorder_marginal(B, B.astype(g, rdt), wires, ws)
                add_diag(B.binary("mul", gp, 2.0), ws)
            elif m.kind == "state":
                gs = B.astype(g, dtype)
                phi = gs if phi is None else B.binary("add", phi, gs)
            else:
                raise UnsupportedError(f"the adjoint method cannot differentiate a {m.kind} "
                                       "measurement")
        zweights = None
        if len(zcols) >= K.FOLD_MIN_TERMS:
            cols = [B.full((bsz, 1), 0, rdt)] * n
            for w, col in zcols:
                cols[w] = B.binary("add", cols[w], col)
            zweights = B.concatenate(cols, 1)
            if diag is not None:  # other diagonal terms: one diagonal for all
                diag = B.binary("add", diag, K.weighted_z_sum(B, zweights, n))
                zweights = None
        else:
            for w, col in zcols:
                add_z(col, (w,))
        # the conjugated bra: conj(phi) + conj(state) * diag, built without extra states
        phic = None if phi is None else B.unary("conj", phi)
        del phi
        if diag is not None or zweights is not None:
            v = K.conj_scale(B, state, diag) if zweights is None \
                else K.conj_scale_zsum(B, state, zweights, n)
            del diag
            phic = v if phic is None else B.binary("add", phic, v)
        if phic is None:
            phic = B.full((bsz, 2**n), 0, dtype)
        return phic

    def _vjp(self, circuit, angles, measurements, upstream, dtype):
        B = get_backend()
        n = circuit.num_wires
        plan = self._plans.get(circuit)
        bsz, S = angles.shape
        rdt = _RDT[dtype]
        grads = np.zeros((bsz, S))
        first_trainable = next((i for i, s in enumerate(plan.segments) if s.trainable), None)
        if first_trainable is None:
            return B.from_numpy(grads.astype(rdt))
        psi, mats = self._final_state(B, plan, angles, dtype)
        if B.shape(psi)[0] != bsz:
            psi = B.broadcast_to(psi, (bsz, 2**n))
        phic = self._bra(B, n, psi, measurements, upstream, dtype)
        # the sweep owns ket and bra from here (no other reference to psi is kept), so the
        # gate-run kernels may update both in place: two states per batch row
        ket = psi
        del psi
        # backwards, run by run: U^dag on the ket, conj(U^dag) = U^T on the conjugated bra (so
        # the bra is never conjugated again); a trainable segment's overlap right after its
        # U^dag gives <phi_after| dU |psi_before> = <phi_before| U^dag dU |psi_before>
        for run in reversed(seq_runs(plan)):
            run = [i for i in run if i >= first_trainable]
            if not run:
                continue
            single = _single(plan, run)
            if single and plan.segments[run[0]].kind == "perm":
                seg = plan.segments[run[0]]
                ket = self._apply(B, ket, plan, seg, None, n, inverse=True)
                phic = self._apply(B, phic, plan, seg, None, n, inverse=True)
                continue
            gates, trained = [], []
            for i in reversed(run):
                seg = plan.segments[i]
                m = mats[i]
                mb = m if seg.kind == "diag" else np.swapaxes(m, 1, 2)
                mk = np.conj(mb)
                gates.append((seg.wires, B.from_numpy(mk.astype(dtype)),
                              B.from_numpy(mb.astype(dtype)), seg.trainable))
                if seg.trainable:
                    trained.append((seg, mk))
            # a gate on more than two wires has no sequence kernel: the reference runs it
            if single:
                ket, phic, Rs = K.adjoint_seq_reference(B, ket, phic, n, gates)
            else:  # ket and bra are given up and come back updated (in place where possible)
                box = [ket, phic]
                del ket, phic
                Rs = K.adjoint_seq_owned(B, box, n, gates)
                ket, phic = box
                del box
            for (seg, mk), R in zip(trained, Rs):
                R = B.to_numpy(R)
                for col, dm in segment_dmatrices(plan, seg, angles):
                    if seg.kind == "diag":
                        grads[:, col] += np.real(np.sum(mk * dm * R, axis=-1))
                    else:
                        grads[:, col] += np.real(np.sum(np.matmul(mk, dm) * R, axis=(-2, -1)))
        return B.from_numpy(grads.astype(rdt))


def _estimate(n: int, dim: int, batch: int, measurements, shots, dtype: str, copies: int,
              what: str) -> tuple[int, str]:
    """The bytes of ``copies`` arrays ``[batch, dim]`` of ``dtype`` (the state and a gate's
    output and temporaries; the adjoint sweep also holds the bra) plus what the
    measurements allocate: a density matrix ``[batch, 2^n, 2^n]``, sampled bits
    ``[batch, shots, k]`` with their draws. Python ints: no overflow."""
    item = 8 if dtype == "complex64" else 16
    one = batch * dim * item
    need = copies * one
    parts = [f"{copies} x the {what} [{batch}, {dim}] of {one} bytes"]
    for m in measurements:
        if m.kind == "density":
            d = batch * 4**n * item
            need += d
            parts.append(f"the density matrices of {d} bytes")
        elif m.kind == "sample" and shots is not None:
            k = len(m.wires) if m.wires is not None else n
            s = batch * shots * 8 * (2 + 2 * k)
            need += s
            parts.append(f"{shots} shots of {k} bits, {s} bytes")
    return need, ", ".join(parts)


def _single(plan: Plan, run: list[int]) -> bool:
    """A run of one permutation or one gate on more than two wires (no sequence kernel)."""
    seg = plan.segments[run[0]]
    return len(run) == 1 and (seg.kind == "perm" or len(seg.wires) > 2)


def _expvals_by_kernel(B, n: int, state, measurements, rdt: str) -> list | None:
    """Exact expectation values through the backend's ``sv_expval_pauli`` kernel (one pass per
    term, no probability array), or None where that is not the cheaper way."""
    if any(m.kind != "expval" for m in measurements):
        return None
    terms = [t for m in measurements for t in m.observable.terms if t[1]]
    if len(terms) >= K.FOLD_MIN_TERMS:  # then the shared fold of measure_eval is cheaper
        return None
    bsz = B.shape(state)[0]
    out = []
    for m in measurements:
        total = None
        for c, term in m.observable.terms:
            if term:
                word = ["I"] * n
                for w, p in term:
                    word[w] = p
                v = B.binary("mul", K.expval_pauli(B, state, n, "".join(word)), float(c))
            else:
                v = B.full((bsz,), c, rdt)
            total = v if total is None else B.binary("add", total, v)
        out.append(B.astype(total, rdt) if B.dtype_name(total) != rdt else total)
    return out


_SIGNS: dict[tuple, Any] = {}


def _z_signs(B, n: int, wires: tuple[int, ...], rdt: str) -> Any:
    """The +-1 diagonal ``[1, 2^n]`` of ``Z`` on every wire of ``wires`` (kept for small n,
    where rebuilding it costs more than the multiply that uses it)."""
    key = (B.name, n, wires, rdt)
    sign = _SIGNS.get(key)
    if sign is None:
        sign = K.full_diag(B, B.from_numpy(K.parity(len(wires)).astype(rdt)[None]), n, wires)
        if n <= 12 and len(_SIGNS) < 256:
            _SIGNS[key] = sign
    return sign
