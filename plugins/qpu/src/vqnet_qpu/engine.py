"""Execution of a compiled, noisy circuit on VQNet's own kernels (the active array backend).

A *program* is the compiled circuit's native gates on ``k`` compact wires, each followed by
its channels (:func:`build_program`). Two engines run it for a batch of angle rows:

* :func:`density_probs` (``k <= dm_max_qubits``): the vectorised density matrix on ``2k``
  wires; each native gate and the channels after it are fused into one superoperator
  (``S = S_channels @ (U (x) conj U)``, constant gates precomputed) applied with
  ``kernels.apply_matrix``; the exact noisy distribution of the ``k`` wires.
* :func:`trajectory_probs` (above it, or without noise): ``T`` seeded quantum trajectories,
  state vectors ``[B*T, 2^k]``: after each gate every channel draws one Kraus operator per
  trajectory with probability ``||K psi||^2`` (state independent for Pauli channels, from the
  wire's populations when every ``K^dag K`` is diagonal as in thermal relaxation, else from the
  reduced density matrix) and renormalises. The mean of the trajectories' distributions is
  an unbiased estimate of the noisy distribution; without noise one trajectory is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vqnet_core.backend import get_backend
from vqnet_core.quantum import ParamRef
from vqnet_core.quantum import kernels as K
from vqnet_core.quantum.noise import Channel
from vqnet_core.quantum.plan import op_matrix, op_params

from .compile import Compiled


@dataclass
class ChannelStep:
    """A channel on ascending compact ``wires`` (its Kraus operators in that order)."""

    channel: Channel
    wires: tuple[int, ...]
    kraus: tuple[np.ndarray, ...]
    mode: str = "general"  # "fixed" (state-independent probabilities), "diag", "general"
    fixed_p: np.ndarray | None = None

    @staticmethod
    def of(channel: Channel, wires: tuple[int, ...]) -> ChannelStep:
        ks = channel.kraus
        if not ks:  # a channel given by its superoperator only (core thermal_relaxation)
            from vqnet_qiskit.translate import kraus_of
            ks = tuple(kraus_of(channel))
        ks = _ascending(tuple(np.asarray(k, dtype=complex) for k in ks), wires)
        ws = tuple(sorted(wires))
        d = ks[0].shape[0]
        kk = [k.conj().T @ k for k in ks]
        if all(np.allclose(m, m[0, 0] * np.eye(d), atol=1e-12) for m in kk):
            p = np.array([m[0, 0].real for m in kk])
            return ChannelStep(channel, ws, ks, "fixed", p / p.sum())
        if all(np.allclose(m, np.diag(np.diag(m)), atol=1e-12) for m in kk):
            return ChannelStep(channel, ws, ks, "diag")
        return ChannelStep(channel, ws, ks, "general")


def _ascending(ks: tuple[np.ndarray, ...], wires: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Kraus operators given in ``wires`` order, reordered to ascending wires."""
    if list(wires) == sorted(wires):
        return ks
    order = np.argsort(wires)
    k = len(wires)
    out = []
    for m in ks:
        t = m.reshape((2,) * (2 * k)).transpose(tuple(order) + tuple(k + order))
        out.append(t.reshape(2**k, 2**k))
    return tuple(out)


@dataclass
class Step:
    """One native gate (``op``, IR, on compact wires) and the channels before / after it."""

    op: Any
    wires: tuple[int, ...]  # ascending
    before: list[ChannelStep] = field(default_factory=list)
    after: list[ChannelStep] = field(default_factory=list)
    fused: np.ndarray | None = None  # constant gate: its whole superoperator [1, D, D]
    chan_super: np.ndarray | None = None  # the channels' superoperator on the gate's wires
    dagger: bool = False  # the gate's inverse (a folded copy, zero-noise extrapolation)
    pre: list = field(default_factory=list)  # noiseless 1q ops on the same wire, fused before

    @property
    def trainable(self) -> bool:
        return any(isinstance(p, ParamRef) for o in [*self.pre, self.op] for p in o.params)


@dataclass
class Program:
    """``k`` wires, the steps, and the channels applied at the end (idle relaxation)."""

    k: int
    steps: list[Step]
    final: list[ChannelStep] = field(default_factory=list)

    @property
    def noisy(self) -> bool:
        return bool(self.final) or any(s.before or s.after for s in self.steps)


def _embed(ks: tuple[np.ndarray, ...], wires: tuple[int, ...], on: tuple[int, ...]) -> list:
    """Kraus operators on ``wires`` (a subset of the ascending ``on``) as operators on ``on``."""
    if wires == on:
        return list(ks)
    out = []
    pos = [on.index(w) for w in wires]
    rest = [i for i in range(len(on)) if i not in pos]
    k, m = len(on), len(wires)
    for kr in ks:
        # kron(kr, I) in the order (wires..., rest...), then permuted to ``on`` order
        full = np.kron(kr, np.eye(2 ** (k - m))).reshape((2,) * (2 * k))
        src = pos + rest  # tensor axis j holds wire on[src[j]]
        inv = np.argsort(src)
        full = full.transpose(tuple(inv) + tuple(k + inv))
        out.append(full.reshape(2**k, 2**k))
    return out


def superop(ks: list[np.ndarray]) -> np.ndarray:
    """``sum K (x) conj K``."""
    return sum(np.kron(k, k.conj()) for k in ks)


def build_program(cc: Compiled, gate_noise: Any, final_noise: Any = None,
                  fold: int = 1) -> Program:
    """The program of ``cc``: ``gate_noise(native_op, index) -> (before, after)`` lists of
    ``(Channel, compact wires)``; ``final_noise() -> [(Channel, wires)]`` at the end.
    ``fold`` (odd): every native gate ``G`` becomes ``G (G^dag G)^((fold - 1)/2)``, each copy
    with the gate's noise (zero-noise extrapolation's local folding)."""
    if not isinstance(fold, int) or fold < 1 or fold % 2 == 0:
        raise ValueError(f"fold must be an odd positive int, got {fold!r}")
    steps: list[Step] = []
    # noiseless one-qubit ops (virtual rz) wait on their wire and are multiplied into the next
    # one-qubit step there (ops on other wires, and channels on them, commute with them)
    pending: dict[int, list] = {}

    def flush(w: int) -> None:
        ops = pending.pop(w, [])
        if ops:
            steps.append(Step(ops[-1], (w,), pre=ops[:-1]))

    for i, nop in enumerate(cc.ops):
        op = nop.op
        st = Step(op, tuple(sorted(op.wires)))
        if gate_noise is not None:
            before, after = gate_noise(nop, i)
            st.before = [ChannelStep.of(ch, w) for ch, w in before]
            st.after = [ChannelStep.of(ch, w) for ch, w in after]
        if fold == 1 and len(st.wires) == 1:
            w = st.wires[0]
            if not st.before and not st.after:
                pending.setdefault(w, []).append(op)
                continue
            if not st.before:
                st.pre = pending.pop(w, [])
        for w in st.wires:
            flush(w)
        if st.before or st.after:
            S = np.eye(4 ** len(st.wires), dtype=complex)
            for cs in st.after:
                S = superop(_embed(cs.kraus, cs.wires, st.wires)) @ S
            st.chan_super = S
        steps.append(st)
        for _ in range((fold - 1) // 2):
            steps.append(Step(op, st.wires, [], st.after, None, st.chan_super, dagger=True))
            steps.append(Step(op, st.wires, [], st.after, None, st.chan_super))
    for w in sorted(pending):
        flush(w)
    final = [ChannelStep.of(ch, w) for ch, w in (final_noise() if final_noise else [])]
    return Program(cc.num_wires, steps, final)


def _gate_matrix(st: Step, angles: np.ndarray) -> np.ndarray:
    """The step's unitary ``[Bp, d, d]`` (ascending wires; the fused ``pre`` ops first)."""
    m = op_matrix(st.op, op_params(st.op, angles))
    for o in reversed(st.pre):
        m = m @ op_matrix(o, op_params(o, angles))
    return np.conj(np.swapaxes(m, 1, 2)) if st.dagger else m


# ---------------------------------------------------------------------------- density matrix
def density_probs(prog: Program, angles: np.ndarray, dtype: str = "complex128") -> np.ndarray:
    """The exact noisy probabilities ``[B, 2^k]`` of the program's wires (numpy)."""
    B = get_backend()
    k = prog.k
    bsz = angles.shape[0]
    rho = np.zeros((1, 4**k), dtype=dtype)
    rho[0, 0] = 1
    rho = B.from_numpy(rho)

    def apply(wires, S):
        nonlocal rho
        vw = tuple(wires) + tuple(w + k for w in wires)
        rho = K.apply_matrix(B, rho, 2 * k, vw, B.from_numpy(np.ascontiguousarray(
            S.astype(dtype))))

    def chans(cs_list):
        for cs in cs_list:
            apply(cs.wires, superop(list(cs.kraus))[None])

    for st in prog.steps:
        chans(st.before)
        trainable = st.trainable
        if not trainable and st.fused is None:
            U = _gate_matrix(st, angles)[0]
            S = np.kron(U, U.conj())
            st.fused = (S if st.chan_super is None else st.chan_super @ S)[None]
        if st.fused is not None and not trainable:
            apply(st.wires, st.fused)
            continue
        U = _gate_matrix(st, angles)  # [B, d, d]
        S = np.einsum("bij,bkl->bikjl", U, U.conj()).reshape(U.shape[0], U.shape[1] ** 2, -1)
        if st.chan_super is not None:
            S = st.chan_super[None] @ S
        apply(st.wires, S)
    chans(prog.final)
    p = B.to_numpy(rho).reshape(-1, 2**k, 2**k).diagonal(axis1=1, axis2=2).real
    p = np.clip(p, 0.0, None)
    p = p / p.sum(axis=1, keepdims=True)
    return np.broadcast_to(p, (bsz, 2**k)) if p.shape[0] != bsz else p


# ---------------------------------------------------------------------------- trajectories
def trajectory_probs(prog: Program, angles: np.ndarray, trajectories: int,
                     rng: np.random.Generator, dtype: str = "complex128") -> np.ndarray:
    """The mean over ``trajectories`` seeded trajectories of each row's distribution
    ``[B, 2^k]`` (numpy); one trajectory when the program has no noise."""
    B = get_backend()
    k = prog.k
    bsz = angles.shape[0]
    T = trajectories if prog.noisy else 1
    R = bsz * T
    psi = np.zeros((1, 2**k), dtype=dtype)
    psi[0, 0] = 1
    psi = B.from_numpy(psi)
    if prog.noisy:
        psi = B.from_numpy(np.ascontiguousarray(np.broadcast_to(B.to_numpy(psi), (R, 2**k))))
    rows = np.repeat(np.arange(bsz), T)

    def gate(st):
        nonlocal psi
        U = _gate_matrix(st, angles)
        if U.shape[0] != 1:
            U = U[rows] if prog.noisy else U
        psi = K.apply_matrix(B, psi, k, st.wires, B.from_numpy(np.ascontiguousarray(
            U.astype(dtype))))

    def channel(cs: ChannelStep):
        nonlocal psi
        nk = len(cs.kraus)
        if cs.mode == "fixed":
            p = np.broadcast_to(cs.fixed_p, (R, nk))
        else:
            probs = K.probabilities(B, psi)
            if cs.mode == "diag":
                pop = B.to_numpy(K.marginal(B, probs, k, cs.wires))  # [R, d]
                diag = np.stack([np.abs(m) ** 2 for m in cs.kraus])  # |K_ij|^2
                p = pop @ diag.sum(axis=1).T  # sum_i |K_ij|^2 P(j)
            else:
                rho_w = _reduced(B.to_numpy(psi), k, cs.wires)
                p = np.stack([np.einsum("rij,ji->r", rho_w, m.conj().T @ m).real
                              for m in cs.kraus], axis=1)
        p = np.clip(p, 0.0, None)
        p = p / p.sum(axis=1, keepdims=True)
        u = rng.random(R)[:, None]
        j = np.minimum((u > np.cumsum(p, axis=1)).sum(axis=1), nk - 1)
        scale = 1.0 / np.sqrt(np.maximum(p[np.arange(R), j], 1e-300))
        if B.name == "numpy":
            psi = _kraus_numpy(psi, k, cs, j, scale, dtype)
            return
        if cs.mode == "fixed" and np.all(j == 0):
            return  # no error on any trajectory (the identity Kraus is first)
        mats = np.stack(cs.kraus)[j] * scale[:, None, None]
        psi = K.apply_matrix(B, psi, k, cs.wires, B.from_numpy(np.ascontiguousarray(
            mats.astype(dtype))))

    for st in prog.steps:
        for cs in st.before:
            channel(cs)
        gate(st)
        for cs in st.after:
            channel(cs)
    for cs in prog.final:
        channel(cs)
    p = B.to_numpy(K.probabilities(B, psi)).astype(np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    if not prog.noisy:
        return np.broadcast_to(p, (bsz, 2**k)) if p.shape[0] != bsz else p
    return p.reshape(bsz, T, 2**k).mean(axis=1)


def _kraus_numpy(psi: np.ndarray, k: int, cs: ChannelStep, j: np.ndarray, scale: np.ndarray,
                 dtype: str) -> np.ndarray:
    """Kraus operator ``j[r]`` (times ``scale[r]``) on trajectory ``r``, NumPy arrays: the most
    drawn operator on every row at once (a per-row diagonal when it is diagonal, nothing for a
    multiple of the identity), the others on their few rows only."""
    Bn = get_backend("numpy")
    common = int(np.bincount(j).argmax())
    rest = np.nonzero(j != common)[0]
    saved = psi[rest].copy() if len(rest) else None
    kc = cs.kraus[common]
    d = kc.shape[0]
    if np.allclose(kc, np.diag(np.diag(kc)), atol=1e-15):
        dg = np.diag(kc)
        if np.allclose(dg, dg[0], atol=1e-15):
            fac = (dg[0] * scale).astype(dtype)
            if not np.allclose(fac, 1.0, atol=1e-15):
                psi = psi * fac[:, None]
        else:
            diag = np.ascontiguousarray((dg[None, :] * scale[:, None]).astype(dtype))
            psi = K.apply_diag(Bn, psi, k, cs.wires, diag)
    else:
        psi = K.apply_matrix(Bn, psi, k, cs.wires, np.ascontiguousarray(
            (kc[None] * scale[:, None, None]).astype(dtype)))
    if saved is not None:
        mats = np.stack(cs.kraus)[j[rest]] * scale[rest, None, None]
        psi = np.array(psi, copy=True) if not psi.flags.writeable else psi
        psi[rest] = K.apply_matrix(Bn, saved, k, cs.wires, np.ascontiguousarray(
            mats.reshape(len(rest), d, d).astype(dtype)))
    return psi


def _reduced(psi: np.ndarray, k: int, wires: tuple[int, ...]) -> np.ndarray:
    """Reduced density matrices ``[R, d, d]`` of ``wires`` (numpy)."""
    R = psi.shape[0]
    t = psi.reshape((R,) + (2,) * k)
    rest = [i for i in range(k) if i not in wires]
    t = t.transpose((0,) + tuple(1 + w for w in wires) + tuple(1 + r for r in rest))
    t = t.reshape(R, 2 ** len(wires), -1)
    return np.einsum("ris,rjs->rij", t, t.conj())


def memory_rows(k: int, budget: int = 256 << 20, density: bool = False) -> int:
    """How many batch rows (density) or trajectories fit in ``budget`` bytes."""
    per = 16 * (4**k if density else 2**k) * 3
    return max(1, budget // per)


def program_info(prog: Program) -> dict[str, Any]:
    """Counts for reports: gates, channels."""
    return {"wires": prog.k, "gates": len(prog.steps),
            "channels": sum(len(s.before) + len(s.after) for s in prog.steps) + len(prog.final)}


__all__ = ["ChannelStep", "Program", "Step", "build_program", "density_probs",
           "memory_rows", "program_info", "trajectory_probs"]
