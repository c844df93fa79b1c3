"""Conformance of a quantum machine: results vs the reference (built-in statevector machine on
the NumPy backend), gradients, shots, noise and errors. What the machine does not declare in
its capabilities is skipped, never passed silently.

    pytest --pyargs vqnet_spec --vqnet-machine NAME
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from vqnet_core.quantum import (
    GATES,
    Circuit,
    Density,
    Expval,
    MachineError,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
    UnsupportedError,
    get_machine,
)

from .basics import OBSERVABLES, PREPARATION, depends, exact_tol

SHOTS = 20000
OBS = {"Z0 Z1": 0.5, "X1": 1.0, "Y0": -0.3, "Z2": 0.25}


def _reference():
    from vqnet_core.quantum.statevector import StatevectorMachine
    return StatevectorMachine()


def _k(name):
    return GATES[name].num_wires or {"MultiRZ": 3, "MultiControlledX": 3,
                                     "QubitUnitary": 2}[name]


def _needs(machine, *, kinds=(), gates=(), adjoint=False, shots=False, noise=False,
           dtype=None):
    caps = machine.capabilities
    for k in kinds:
        if k not in caps.measurements:
            pytest.skip(f"machine does not declare the {k!r} measurement")
    for g in gates:
        if g not in caps.gates:
            pytest.skip(f"machine does not declare gate {g}")
    if adjoint and not caps.adjoint:
        pytest.skip("machine declares no adjoint vjp")
    if shots and not caps.shots:
        pytest.skip("machine declares no shots")
    if noise and not caps.noise:
        pytest.skip("machine declares no noise")
    if dtype and dtype not in caps.dtypes:
        pytest.skip(f"machine does not declare dtype {dtype}")


def _run(machine, c, a, ms, **kw):
    """Exact results, or shot estimates (and their tolerance) for a shots-only machine."""
    if machine.capabilities.exact:
        return machine.execute(c, a, ms, **kw), exact_tol(machine, 1e-9)
    return machine.execute(c, a, ms, shots=SHOTS, seed=1, **kw), 6.0 / np.sqrt(SHOTS)


def _np(x):
    from vqnet_core.backend import get_backend
    return np.asarray(get_backend().to_numpy(x))


def _gate_circuit(name, rng):
    """A small circuit around one gate: random single-qubit preparation, the gate, mixing."""
    k = _k(name)
    n = max(k, 3)
    ops, S = [], 0
    for w in range(n):
        ops.append(Operation("RY", (w,), (ParamRef(S),)))
        ops.append(Operation("RZ", (w,), (ParamRef(S + 1),)))
        S += 2
    g = GATES[name]
    params = []
    for _ in range(g.num_params):
        params.append(ParamRef(S))
        S += 1
    mat = None
    if name == "QubitUnitary":
        mat, _ = np.linalg.qr(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))
    wires = tuple(int(w) for w in rng.permutation(n)[:k])
    ops.append(Operation(name, wires, tuple(params), mat))
    ops.append(Operation("H", (0,)))
    return Circuit(n, ops), S


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_matches_reference(machine, name):
    _needs(machine, kinds=("expval", "probs"), gates=(name, "RY", "RZ", "H"))
    depends(machine, *PREPARATION, *OBSERVABLES)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    c, S = _gate_circuit(name, rng)
    a = rng.uniform(-np.pi, np.pi, (3, S))
    ms = [Expval(OBS), Probs([2, 0])]
    got, tol = _run(machine, c, a, ms)
    want = _reference().execute(c, a, ms)
    for g, w, m in zip(got, want, ms):
        np.testing.assert_allclose(_np(g), w, atol=tol, err_msg=f"{name}: {m!r}")


def _random_circuit(machine, rng, n=4, num=30):
    names = [g for g in sorted(machine.capabilities.gates) if g != "QubitUnitary"
             and _k(g) <= n]
    ops, S = [], 0
    for name in rng.choice(names, size=num):
        g = GATES[name]
        wires = tuple(int(w) for w in rng.permutation(n)[:_k(name)])
        params = []
        for _ in range(g.num_params):
            params.append(ParamRef(S))
            S += 1
        ops.append(Operation(str(name), wires, tuple(params)))
    return Circuit(n, ops), S


def test_random_circuit_batch(machine):
    _needs(machine, kinds=("expval", "probs"))
    depends(machine, *PREPARATION, *OBSERVABLES)
    rng = np.random.default_rng(5)
    c, S = _random_circuit(machine, rng)
    a = rng.uniform(-np.pi, np.pi, (4, S))
    ms = [Expval(OBS), Probs(), Probs([3, 1])]
    got, tol = _run(machine, c, a, ms)
    want = _reference().execute(c, a, ms)
    for g, w in zip(got, want):
        assert _np(g).shape == w.shape
        np.testing.assert_allclose(_np(g), w, atol=tol)


def test_state_and_density(machine):
    caps = machine.capabilities
    if not ({"state", "density"} & caps.measurements) or not caps.exact:
        pytest.skip("machine declares neither exact state nor density output")
    depends(machine, *PREPARATION)
    rng = np.random.default_rng(6)
    c, S = _random_circuit(machine, rng, n=3, num=20)
    a = rng.uniform(-3, 3, (2, S))
    ref = _reference().execute(c, a, [State()])[0]
    if "state" in caps.measurements:
        st = _np(machine.execute(c, a, [State()])[0])
        # equal up to a global phase per batch element
        ov = np.abs(np.sum(st.conj() * ref, axis=1))
        np.testing.assert_allclose(ov, 1.0, atol=exact_tol(machine, 1e-9))
    if "density" in caps.measurements:
        rho = _np(machine.execute(c, a, [Density()])[0])
        np.testing.assert_allclose(rho, np.einsum("bi,bj->bij", ref, ref.conj()),
                                   atol=exact_tol(machine, 1e-9))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_dtypes(machine, dtype):
    _needs(machine, kinds=("expval",), dtype=dtype)
    depends(machine, *PREPARATION, *OBSERVABLES)
    rng = np.random.default_rng(7)
    c, S = _random_circuit(machine, rng, n=3, num=15)
    a = rng.uniform(-3, 3, (2, S))
    got, tol = _run(machine, c, a, [Expval(OBS)], dtype=dtype)
    want = _reference().execute(c, a, [Expval(OBS)])[0]
    rdt = "float32" if dtype == "complex64" else "float64"
    assert _np(got[0]).dtype == np.dtype(rdt)
    np.testing.assert_allclose(_np(got[0]), want, atol=max(tol, 1e-5 if rdt == "float32" else 0))


def _columns(circuit):
    """Angle column -> the operations that read it (``RX on [1]``)."""
    out: dict[int, list[str]] = {}
    for op in circuit.ops:
        for p in op.params:
            if isinstance(p, ParamRef):
                out.setdefault(p.index, []).append(f"{op.name} on {list(op.wires)}")
    return out


def _vjp_report(machine, c, a, ms, up, got, want, atol):
    """Which angle columns (and their gates) and which measurements the vjp gets wrong."""
    from vqnet_core.backend import get_backend
    from vqnet_core.quantum.gradients import _shift_vjp
    B = get_backend()
    cols = _columns(c)
    bad = np.where(np.any(np.abs(got - want) > atol, axis=0))[0]
    lines = [f"vjp differs from parameter shift in {len(bad)} of {a.shape[1]} angle columns:"]
    for j in bad[:8]:
        lines.append(f"  column {j} ({', '.join(cols.get(int(j), ['unused']))}): got "
                     f"{np.round(got[:, j], 6).tolist()}, want {np.round(want[:, j], 6).tolist()}")
    for m, u in zip(ms, up):  # each measurement alone
        g1 = _np(machine.vjp(c, a, [m], [B.from_numpy(u)]))
        w1 = _shift_vjp(_reference(), c, a, [m], u.reshape(a.shape[0], -1), "parameter-shift",
                        None, None, "complex128")
        wrong = np.where(np.any(np.abs(g1 - w1) > atol, axis=0))[0]
        verdict = (f"wrong in columns {wrong.tolist()}" if len(wrong) else "right")
        lines.append(f"  {m!r} alone: {verdict}")
    return "\n".join(lines)


def test_vjp_matches_parameter_shift(machine):
    _needs(machine, kinds=("expval", "probs"), adjoint=True)
    depends(machine, *PREPARATION, *OBSERVABLES)
    from vqnet_core.backend import get_backend
    from vqnet_core.quantum.gradients import _shift_vjp
    rng = np.random.default_rng(8)
    c, S = _random_circuit(machine, rng, n=3, num=20)
    a = rng.uniform(-3, 3, (2, S))
    ms = [Expval(OBS), Probs([1])]
    up = [rng.standard_normal(2), rng.standard_normal((2, 2))]
    B = get_backend()
    got = _np(machine.vjp(c, a, ms, [B.from_numpy(u) for u in up]))
    g_flat = np.concatenate([up[0][:, None], up[1]], axis=1)
    want = _shift_vjp(_reference(), c, a, ms, g_flat, "parameter-shift", None, None,
                      "complex128")
    assert got.shape == want.shape, f"vjp has shape {got.shape}, want {want.shape}"
    if not np.allclose(got, want, atol=1e-8, rtol=0):
        pytest.fail(_vjp_report(machine, c, a, ms, up, got, want, 1e-8), pytrace=False)


def test_shots_are_seeded_and_unbiased(machine):
    _needs(machine, kinds=("expval", "sample"), shots=True, gates=("RY", "CNOT"))
    depends(machine, "RY", "Expval Z")
    c = Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1))])
    a = np.array([[0.9], [2.2]])
    ms = [Expval("Z0 Z1"), Expval("Z1")]
    r1 = machine.execute(c, a, ms, shots=SHOTS, seed=3)
    r2 = machine.execute(c, a, ms, shots=SHOTS, seed=3)
    assert np.array_equal(_np(r1[1]), _np(r2[1])), (
        f"seed=3 twice gave different {ms[1]!r} after RY(t) on [0]; CNOT on [0, 1]: "
        f"{_np(r1[1]).tolist()} vs {_np(r2[1]).tolist()}")
    np.testing.assert_allclose(_np(r1[0]), 1.0, atol=exact_tol(machine, 1e-12),
                               err_msg=f"{ms[0]!r} of a Bell-type state (always +1)")
    np.testing.assert_allclose(_np(r1[1]), np.cos(a[:, 0]), atol=5 / np.sqrt(SHOTS),
                               err_msg=f"{ms[1]!r} from {SHOTS} shots vs cos(t)")
    s = _np(machine.execute(c, a, [Sample()], shots=100, seed=2)[0])
    assert s.shape == (2, 100, 2) and set(np.unique(s)) <= {0, 1}


def test_noise_depolarizing_closed_form(machine):
    _needs(machine, kinds=("expval",), noise=True, gates=("I",))
    from vqnet_core.quantum.noise import NoiseModel, depolarizing
    noisy = type(machine)(noise_model=NoiseModel().add_channel(depolarizing(0.2)))
    got, tol = _run(noisy, Circuit(1, [Operation("I", (0,))]), np.zeros((1, 0)),
                    [Expval("Z0")])
    assert _np(got[0])[0] == pytest.approx(1 - 4 * 0.2 / 3, abs=max(tol, 1e-9))


def test_errors(machine):
    n = 2
    c = Circuit(n, [Operation("H", (0,))])
    ms = [Expval("Z0")] if "expval" in machine.capabilities.measurements else [Sample()]
    kw = {} if machine.capabilities.exact else {"shots": 10}
    with pytest.raises(MachineError, match="NaN"):
        machine.execute(Circuit(1, [Operation("RX", (0,), (ParamRef(0),))]),
                        np.array([[np.nan]]), ms, **kw)
    with pytest.raises(MachineError, match="out of range"):
        machine.execute(Circuit(n, [Operation("H", (4,))]), np.zeros((1, 0)), ms, **kw)
    with pytest.raises(MachineError, match=r"\[B, S\]"):
        machine.execute(c, np.zeros(3), ms, **kw)
    missing = {"expval", "probs", "sample", "state", "density"} - machine.capabilities.measurements
    if missing:
        kind = sorted(missing)[0]
        m = {"expval": Expval("Z0"), "probs": Probs(), "sample": Sample(), "state": State(),
             "density": Density()}[kind]
        with pytest.raises(UnsupportedError, match=kind):
            machine.execute(c, np.zeros((1, 0)), [m], **kw)


def test_machine_is_registered(machine, vqnet_machine_name):
    assert type(get_machine(vqnet_machine_name)) is type(machine)
