"""The hot-path shortcuts of QuantumLayer / run_circuit / plan / Adam / Linear / small GEMMs give
the same results as the generic paths they skip, and still reject bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.backend import get_backend
from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef, get_machine
from vqnet_core.quantum.gates import get_gate
from vqnet_core.quantum.gradients import run_circuit
from vqnet_core.quantum.machine import MachineError, UnsupportedError
from vqnet_core.quantum.plan import compile_plan, op_dmatrices, op_matrix, segment_matrix


def test_rotation_fast_builders_match_gate_table():
    t = np.array([0.0, 0.3, -1.7, 2 * np.pi + 0.1])
    for name in ("RX", "RY"):
        op = Operation(name, (0,), (ParamRef(0),))
        fast = op_matrix(op, [t])
        ref = get_gate(name).matrix([t], 1)
        assert np.array_equal(fast, ref)
        [(col, dm)] = op_dmatrices(Operation(name, (0,), (ParamRef(2),)), [t])
        assert col == 2 and np.array_equal(dm, get_gate(name).dmatrix([t], 0, 1))


def test_constant_matrices_are_cached_read_only():
    c = Circuit(2, [Operation("H", (1,)), Operation("S", (1,)), Operation("CNOT", (1, 0))])
    plan = compile_plan(c)
    seg = plan.segments[0]
    m1 = segment_matrix(plan, seg, np.zeros((3, 0)))
    m2 = segment_matrix(plan, seg, np.zeros((3, 0)))
    assert m1 is m2 and not m1.flags.writeable
    expect = get_gate("S").matrix([], 1) @ get_gate("H").matrix([], 1)
    assert np.allclose(m1, expect)


def _circuit_fn(q, x, w):
    q.h(0)
    q.ry(0, x[:, 0])
    q.rz(1, x[:, 1] * w[0])
    q.crx(0, 1, w[1])
    q.rx(1, 0.4)
    q.expval({"Z0": 1.0})
    q.expval("X1 Z0")


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_layer_repeated_calls_match_fresh_layer(method):
    from vqnet_core.qnn import QuantumLayer

    vq.manual_seed(3)
    layer = QuantumLayer(_circuit_fn, 2, 2, diff_method=method)
    xs = np.random.default_rng(0).uniform(-1, 1, (3, 4, 2))
    for xd in xs:  # the second and later calls take the validated fast path
        x = vq.tensor(xd, dtype="float64", requires_grad=True)
        out = layer(x)
        (out * vq.tensor([[1.0, -2.0]] * 4, dtype="float64")).sum().backward()
        fresh = QuantumLayer(_circuit_fn, 2, 2, diff_method=method)
        fresh.weights._data = layer.weights._data.copy()
        x2 = vq.tensor(xd, dtype="float64", requires_grad=True)
        out2 = fresh(x2)
        (out2 * vq.tensor([[1.0, -2.0]] * 4, dtype="float64")).sum().backward()
        assert np.allclose(out.numpy(), out2.numpy(), rtol=0, atol=1e-12)
        assert np.allclose(x.grad.numpy(), x2.grad.numpy(), atol=1e-12)
        layer.weights.grad = None


def test_layer_output_dtype_follows_float32_input():
    from vqnet_core.qnn import QuantumLayer

    layer = QuantumLayer(lambda q, x, w: (q.ry(0, x[:, 0]), q.expval("Z0")), 1)
    x = vq.tensor([[0.3], [1.2]], dtype="float32", requires_grad=True)
    out = layer(x)
    assert out.dtype.name == "float32"
    out.sum().backward()
    assert x.grad.dtype.name == "float32"
    assert np.allclose(x.grad.numpy()[:, 0], -np.sin([0.3, 1.2]), atol=1e-6)


def test_fast_path_still_checks_angles_and_structure():
    m = get_machine("statevector")
    c = Circuit(1, [Operation("RY", (0,), (ParamRef(0),))])
    ms = [Expval("Z0")]
    run_circuit(m, c, vq.tensor([[0.1]], dtype="float64"), ms)  # validates, marks
    with pytest.raises(MachineError, match="NaN"):
        run_circuit(m, c, vq.tensor([[float("nan")]], dtype="float64"), ms)
    with pytest.raises(MachineError, match="angle columns"):
        run_circuit(m, c, vq.tensor(np.zeros((1, 0)), dtype="float64"), ms)
    c.append(Operation("RX", (0,), (ParamRef(0),)))  # a new structure: validated again
    run_circuit(m, c, vq.tensor([[0.1]], dtype="float64"), ms)
    with pytest.raises((MachineError, UnsupportedError)):
        run_circuit(m, c, vq.tensor([[0.1]], dtype="float64"), [Expval("Z3")])


def test_angle_columns_gradients_with_broadcast_and_int_columns():
    from vqnet_core.quantum.builder import Recorder

    x = vq.tensor([[0.2, 0.5], [0.7, -0.1], [1.0, 0.3]], dtype="float64", requires_grad=True)
    w = vq.tensor([0.4], dtype="float64", requires_grad=True)
    q = Recorder(1)
    q.ry(0, x[:, 0])
    q.rx(0, w[0])  # a scalar angle, broadcast over the batch
    q.rz(0, vq.tensor([1, 2, 3]))  # an int column: no gradient
    q.ry(0, x[:, 1] * 2.0)
    q.expval("Z0")
    _, angles, _ = q.build()
    assert angles.shape == (3, 4)
    (angles * vq.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    assert np.allclose(x.grad.numpy(), [[0.0, 6.0], [4.0, 14.0], [8.0, 22.0]])
    assert np.allclose(w.grad.numpy(), [1.0 + 5.0 + 9.0])


def test_observable_cache_and_bad_observable():
    from vqnet_core.quantum.builder import Recorder

    q = Recorder(2)
    a, b = q.expval({"Z0 Z1": 0.5}), q.expval({"Z0 Z1": 0.5})
    assert a.observable is b.observable
    with pytest.raises(ValueError):
        q.expval({"Q0": 1.0})
    with pytest.raises(AttributeError, match="no gate"):
        q.not_a_gate(0)


def test_adam_numpy_path_matches_the_reference():
    from vqnet_core.optim.adam import _adam_step_numpy, adam_step_reference

    B = get_backend("numpy")
    rng = np.random.default_rng(0)
    for dt, ams, maxi, wd, dec in itertools.product(
            (np.float32, np.float64), (False, True), (False, True), (0.0, 0.1), (False, True)):
        p = rng.standard_normal((3, 4)).astype(dt)
        st_a = [np.zeros_like(p), np.zeros_like(p), np.zeros_like(p) if ams else None]
        st_b = [s if s is None else s.copy() for s in st_a]
        pa = pb = p
        for step in range(1, 4):
            g = rng.standard_normal(p.shape).astype(dt)
            ra = adam_step_reference(B, pa, g, *st_a, step, 1e-2, 0.9, 0.999, 1e-8, wd, ams,
                                     maxi, dec)
            rb = _adam_step_numpy(pb, g, *st_b, step, 1e-2, 0.9, 0.999, 1e-8, wd, ams, maxi,
                                  dec)
            for u, v in zip(ra, rb):
                assert (u is None) == (v is None)
                if u is not None:  # the same formula; tolerance for another ufunc loop's rounding
                    assert u.dtype == v.dtype
                    np.testing.assert_allclose(u, v, rtol=4 * np.finfo(dt).eps, atol=0)
            pa, st_a = ra[0], list(ra[1:])
            pb, st_b = rb[0], list(rb[1:])


@pytest.mark.parametrize("bias", [True, False])
def test_linear_one_node_matches_functional(bias):
    from vqnet_core import nn
    from vqnet_core.nn import functional as F

    lin = nn.Linear(5, 3, bias=bias)
    xd = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    g = vq.tensor(np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32))
    x1, x2 = vq.tensor(xd, requires_grad=True), vq.tensor(xd, requires_grad=True)
    (lin(x1) * g).sum().backward()
    grads1 = [p.grad.numpy().copy() for p in lin.parameters()]
    lin.zero_grad()
    (F.linear(x2, lin.weight, lin.bias) * g).sum().backward()
    grads2 = [p.grad.numpy() for p in lin.parameters()]
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-6, atol=1e-6)
    for a, b in zip(grads1, grads2):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="in_features"):
        lin(vq.ones(2, 4))


def test_small_gemm_single_thread_agrees_and_restores():
    from vqnet_core.backend import blas as _blas

    a = np.random.default_rng(0).standard_normal((16, 150)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((150, 3000)).astype(np.float32)
    ref = a @ b
    with _blas.single_thread(_blas.gemm_size(a.shape, b.shape)):
        if _blas._api:
            assert _blas._api[0]() == 1  # the cap is in force inside
        with _blas.single_thread(_blas.gemm_size(a.shape, b.shape)):  # nests
            got = a @ b
        if _blas._api:
            assert _blas._api[0]() == 1  # the inner exit does not lift it
    # BLAS promises no bitwise agreement across thread counts: float tolerance only
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-4)
    if _blas._api:
        assert _blas._depth == 0 and _blas._api[0]() == _blas._saved
    assert _blas.gemm_size((2, 3, 4), (4, 5)) == 3 * 4 * 5


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64, np.int8])
def test_branch_free_select_is_np_where_bitwise(dt):
    from vqnet_core.backend._select import select

    rng = np.random.default_rng(0)
    shape = (4, 30, 40)
    if np.dtype(dt).kind == "f":
        a = rng.choice(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -3.5]), shape)
        a = a.astype(dt)
    else:
        a = rng.integers(-100, 100, shape).astype(dt)
    b = rng.integers(-5, 5, shape).astype(dt)
    c = rng.random(shape) > 0.5
    for aa, bb, cc in [(a, b, c), (a, np.zeros((), dt), c), (np.zeros((), dt), b, c),
                       (a[..., :1], b, c), (a.T, b.T, c.T)]:
        got, want = select(cc, aa, bb), np.where(cc, aa, bb)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got.view(np.uint8), np.ascontiguousarray(want).view(np.uint8))


@pytest.mark.parametrize("n", [1, 32])
def test_max_pool_kernel_large_and_small_match_torch(n):
    torch = pytest.importorskip("torch")
    from vqnet_core.nn import functional as F

    xd = np.random.default_rng(n).standard_normal((n, 6, 24, 24)).astype(np.float32)
    xd[0, 0, :2, :2] = 1.0  # a tie: the first maximum takes the gradient
    x = vq.tensor(xd, requires_grad=True)
    out = F.max_pool2d(x, 2, 2)
    g = np.random.default_rng(7).standard_normal(out.shape).astype(np.float32)
    (out * vq.tensor(g)).sum().backward()
    xt = torch.tensor(xd, requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, 2, 2)
    (ot * torch.tensor(g)).sum().backward()
    assert np.array_equal(out.numpy(), ot.detach().numpy())
    assert np.array_equal(x.grad.numpy(), xt.grad.numpy())
