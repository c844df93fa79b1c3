"""Permutation gates in the planner (issue 18): networks of X / CNOT / SWAP are affine maps on
the index bits, composed at plan time as n integers (never a 2^n index), applied in one pass;
Toffoli-like gates are local permutations. Structure is asserted, never time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vqnet_core.backend import get_backend
from vqnet_core.backend.registry import available_backends
from vqnet_core.backend.registry import backend as use_backend
from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef, Probs, get_machine
from vqnet_core.quantum import kernels as K
from vqnet_core.quantum.gates import get_gate
from vqnet_core.quantum.plan import AffinePerm, LocalPerm, compile_plan

from .reference import observable_matrix, simulate

PERM_GATES = ["X", "CNOT", "SWAP", "Toffoli", "CSWAP", "MultiControlledX"]
BACKENDS = ["numpy"] + (["cpu"] if "cpu" in available_backends() else [])


def old_full_perm(n, wires, p):
    """The gather index the planner used to build (before issue 18), as the reference."""
    idx = np.arange(2**n)
    k = len(wires)
    shifts = [n - 1 - w for w in wires]
    local = np.zeros_like(idx)
    for j, s in enumerate(shifts):
        local |= ((idx >> s) & 1) << (k - 1 - j)
    src_local = p[local]
    out = idx.copy()
    for j, s in enumerate(shifts):
        bit = (src_local >> (k - 1 - j)) & 1
        out = (out & ~(1 << s)) | (bit << s)
    return out


def _walk_arrays(obj, seen=None):
    """Every numpy array reachable from ``obj`` (dataclass fields, containers, __dict__)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk_arrays(k, seen)
            yield from _walk_arrays(v, seen)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _walk_arrays(v, seen)
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk_arrays(getattr(obj, f.name), seen)
    d = getattr(obj, "__dict__", None)
    if isinstance(d, dict):
        yield from _walk_arrays(d, seen)


def w2(n, L=4):
    ops, S = [], 0
    for i in range(n):
        ops.append(Operation("RY", (i,), (ParamRef(S),)))
        S += 1
    for _ in range(L):
        for i in range(n):
            for g in ("RX", "RY", "RZ"):
                ops.append(Operation(g, (i,), (ParamRef(S),)))
                S += 1
        for i in range(n):
            ops.append(Operation("CNOT", (i, (i + 1) % n)))
    return Circuit(n, ops), S


def perm_heavy(rng, n, count, with_rot=True):
    """Random circuits dense in permutation gates on random wires, with rotations between."""
    ops, S = [], 0
    for _ in range(count):
        r = rng.random()
        if with_rot and r < 0.25:
            w = int(rng.integers(n))
            ops.append(Operation(str(rng.choice(["RX", "RY", "RZ"])), (w,), (ParamRef(S),)))
            S += 1
            continue
        name = str(rng.choice(PERM_GATES))
        g = get_gate(name)
        k = g.num_wires or int(rng.integers(2, min(n, 4) + 1))
        if k > n:
            continue
        ops.append(Operation(name, tuple(int(w) for w in rng.permutation(n)[:k])))
    return Circuit(n, ops), S


# ---------------------------------------------------------------------------- structure
@pytest.mark.parametrize("n", [20, 24])
def test_plan_holds_no_state_sized_array(n):
    c, _ = w2(n)
    rng = np.random.default_rng(n)
    c2, _ = perm_heavy(rng, n, 300)
    for circ in (c, c2):
        plan = compile_plan(circ)
        big = [a.shape for a in _walk_arrays(plan) if a.size >= 2**n]
        assert big == [], f"the plan holds 2^n-sized arrays: {big}"
        for seg in plan.segments:
            if seg.kind == "perm":
                seg.perm_inverse()  # the adjoint's stages are also n integers
                for st in seg.perm + seg.perm_inverse():
                    assert isinstance(st, (AffinePerm, LocalPerm))
                    if isinstance(st, AffinePerm):
                        assert len(st.cols) == n and all(isinstance(v, int) for v in st.cols)
        assert not [a.shape for a in _walk_arrays(plan) if a.size >= 2**n]


def test_w2_ring_is_one_affine_map_per_layer():
    n, L = 24, 4
    plan = compile_plan(w2(n, L)[0])
    perms = [s for s in plan.segments if s.kind == "perm"]
    assert len(perms) == L
    assert all(len(s.perm) == 1 and isinstance(s.perm[0], AffinePerm) for s in perms)
    assert all(len(s.ops) == n for s in perms)


def test_affine_networks_compose_and_toffoli_stays_local():
    c = Circuit(3, [Operation("CNOT", (0, 1)), Operation("SWAP", (0, 2)),
                    Operation("Toffoli", (0, 1, 2)), Operation("CNOT", (2, 0)),
                    Operation("CNOT", (2, 0))])
    [seg] = compile_plan(c).segments
    assert [type(s).__name__ for s in seg.perm] == ["AffinePerm", "LocalPerm"]  # CNOT pair: I


# ---------------------------------------------------------------------------- maps
@pytest.mark.parametrize("seed", range(6))
def test_affine_maps_match_the_old_full_index(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    total_old = np.arange(2**n)
    total = AffinePerm.identity(n)
    for _ in range(12):
        name = str(rng.choice(["X", "CNOT", "SWAP", "CZ"]))
        if name == "CZ":
            continue
        k = get_gate(name).num_wires
        if k > n:
            continue
        wires = tuple(int(w) for w in rng.permutation(n)[:k])
        p = get_gate(name).permutation(k)
        a = AffinePerm.of_local(n, wires, p)
        old = old_full_perm(n, wires, p)
        assert np.array_equal(a.index(), old)
        assert np.array_equal(a.inverse().index(), np.argsort(old))
        total_old = total_old[old]
        total = total.then(a)
        assert np.array_equal(total.index(), total_old)
        assert np.array_equal(total.inverse().index(), np.argsort(total_old))
    for name, k in (("Toffoli", 3), ("CSWAP", 3)):
        assert AffinePerm.of_local(4, tuple(range(k)), get_gate(name).permutation(k)) is None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n", [1, 3, 9, 15, 17])
def test_apply_affine_matches_the_index_gather(backend, n):
    B = get_backend(backend)
    rng = np.random.default_rng(n)
    a = AffinePerm.identity(n)
    for _ in range(3 * n):
        name = str(rng.choice(["X", "CNOT", "SWAP"]))
        k = get_gate(name).num_wires
        if k <= n:
            a = a.then(AffinePerm.of_local(n, tuple(int(w) for w in rng.permutation(n)[:k]),
                                           get_gate(name).permutation(k)))
    for bs in (1, 3):
        s = rng.standard_normal((bs, 2**n)) + 1j * rng.standard_normal((bs, 2**n))
        for dt in ("complex64", "complex128"):
            st = s.astype(dt)
            want = st[:, a.index()]
            got = B.to_numpy(K.apply_affine(B, B.from_numpy(st), n, a.cols, a.c))
            assert got.dtype == want.dtype and np.array_equal(got, want)
            ref = B.to_numpy(K.apply_affine_reference(B, B.from_numpy(st), n, a.cols, a.c))
            assert np.array_equal(ref, want)


# ---------------------------------------------------------------------------- end to end
def _reference_run(c, n, angles, obs):
    ref_ops = []
    for op in c.ops:
        rp = [("a", p.index) if isinstance(p, ParamRef) else ("c", p) for p in op.params]
        ref_ops.append((op.name, op.wires, rp, op.matrix))
    out = []
    for row in angles:
        psi = simulate(ref_ops, n, row)
        out.append([np.real(np.vdot(psi, observable_matrix(o, n) @ psi)) for o in obs])
    return np.array(out)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(4))
def test_perm_heavy_circuits_match_reference_and_adjoint(backend, seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 7))
    c, S = perm_heavy(rng, n, 60)
    angles = rng.uniform(-np.pi, np.pi, (2, S))
    obs = [{f"Z{w}": 1.0} for w in range(n)] + [{f"X0 Y{n - 1}": 0.5}]
    with use_backend(backend):
        m = get_machine("statevector")
        got = np.stack([np.asarray(get_backend().to_numpy(v))
                        for v in m.execute(c, angles, [Expval(o) for o in obs])], 1)
        np.testing.assert_allclose(got, _reference_run(c, n, angles, obs), atol=1e-10)
        probs = get_backend().to_numpy(m.execute(c, angles, [Probs()])[0])
        # the adjoint gradient against central differences of the reference
        up = [np.ones(2)] * len(obs)
        m.execute(c, angles, [Expval(o) for o in obs])
        g = get_backend().to_numpy(m.vjp(c, angles, [Expval(o) for o in obs],
                                         [get_backend().from_numpy(u) for u in up], "complex128"))
    assert np.allclose(probs.sum(1), 1)
    eps = 1e-6
    fd = np.zeros_like(angles)
    for j in range(S):
        d = np.zeros(S)
        d[j] = eps
        fd[:, j] = (_reference_run(c, n, angles + d, obs).sum(1)
                    - _reference_run(c, n, angles - d, obs).sum(1)) / (2 * eps)
    np.testing.assert_allclose(g, fd, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_density_matrix_permutations_match_statevector(backend):
    rng = np.random.default_rng(7)
    n = 4
    c, S = perm_heavy(rng, n, 40)
    angles = rng.uniform(-np.pi, np.pi, (2, S))
    obs = [Expval({f"Z{w}": 1.0}) for w in range(n)] + [Probs()]
    with use_backend(backend):
        B = get_backend()
        sv = [B.to_numpy(v) for v in get_machine("statevector").execute(c, angles, obs)]
        dm = [B.to_numpy(v) for v in get_machine("density_matrix").execute(c, angles, obs)]
    for a, b in zip(sv, dm):
        np.testing.assert_allclose(a, b, atol=1e-10)


# ---------------------------------------------------------------------------- memory
@pytest.mark.parametrize("backend", BACKENDS)
def test_forward_and_adjoint_hold_a_few_states(backend):
    """W2 forward + adjoint vjp: the traced peak stays within 4 states per batch row (plus a
    small constant) -- no per-gate index arrays, no state per gate. (The cpu plugin's own
    buffers are not traced; its in-place contract is tested in plugins/cpu/tests.)"""
    import tracemalloc

    n, L, bsz = 16, 4, 2
    c, S = w2(n, L)
    angles = np.random.default_rng(0).uniform(0, 2 * np.pi, (bsz, S))
    obs = [Expval({f"Z{w}": 1.0}) for w in range(n)]
    state_bytes = 16 * bsz * 2**n
    with use_backend(backend):
        B = get_backend()
        m = get_machine("statevector")
        m.execute(c, angles, obs)  # plan and constant caches
        m.vjp(c, angles, obs, [B.from_numpy(np.ones(bsz))] * n, "complex128")
        tracemalloc.start()
        try:
            m.execute(c, angles, obs)
            m.vjp(c, angles, obs, [B.from_numpy(np.ones(bsz))] * n, "complex128")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    print(f"{backend}: traced peak {peak / state_bytes:.2f} states")
    assert peak <= 4 * state_bytes + 2**20, f"peak {peak / state_bytes:.2f} states"
