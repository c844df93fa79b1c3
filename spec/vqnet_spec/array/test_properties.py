"""Hypothesis-generated shapes and values for elementwise, broadcasting and reduction ops.

Reproducible in CI: ``derandomize=True`` and no example database; few examples, no deadline.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import vqnet_core as vq

from ..compare import check_tensor

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
FLOATS = st.floats(-1e3, 1e3, allow_nan=False, width=64)


def _arrays(shape):
    return hnp.arrays(np.float64, shape, elements=FLOATS)


@SETTINGS
@given(data=st.data(), op=st.sampled_from(["add", "sub", "mul", "maximum", "minimum"]),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=4))
def test_binary_broadcast_property(vqnet_backend, data, op, shapes):
    """Binary ops on any pair of mutually broadcastable shapes agree with NumPy."""
    a = data.draw(_arrays(shapes.input_shapes[0]), label="a")
    b = data.draw(_arrays(shapes.input_shapes[1]), label="b")
    ref = getattr(np, {"add": "add", "sub": "subtract", "mul": "multiply"}.get(op, op))(a, b)
    got = getattr(vq, op)(vq.tensor(a, dtype="float64"), vq.tensor(b, dtype="float64"))
    check_tensor(got, ref, "float64", f"{op} of shapes {a.shape} and {b.shape}")


@SETTINGS
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0,
                                                  max_side=5),
                    elements=st.floats(-20, 20, allow_nan=False, width=64)),
       op=st.sampled_from(["exp", "tanh", "sin", "abs", "sigmoid", "square", "neg"]))
def test_unary_property(vqnet_backend, x, op):
    """Unary ops on any shape (0-d and empty included) agree with NumPy."""
    refs = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "neg": np.negative}
    ref = refs[op] if op in refs else getattr(np, op)
    check_tensor(getattr(vq, op)(vq.tensor(x, dtype="float64")), ref(x), "float64",
                 f"{op} of shape {x.shape}")


@SETTINGS
@given(data=st.data(), op=st.sampled_from(["sum", "mean", "max", "min", "prod"]),
       keepdims=st.booleans(),
       shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
def test_reduction_property(vqnet_backend, data, op, keepdims, shape):
    """Reductions over any axis subset (negative axes too) agree with NumPy."""
    lo, hi = (0.5, 1.5) if op == "prod" else (-1e3, 1e3)
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, width=64)), label="x")
    axes = data.draw(st.none() | st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                                          max_size=len(shape), unique_by=lambda a: a % len(shape))
                     .map(tuple), label="axes")
    ref = getattr(np, op)(x, axis=axes, keepdims=keepdims)
    got = getattr(vq, op)(vq.tensor(x, dtype="float64"), axes, keepdims)
    check_tensor(got, ref, "float64", f"{op} of shape {shape} over axes {axes}",
                 atol=1e-12 * max(1.0, float(np.abs(x).sum())))


@SETTINGS
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1,
                                                                 max_dims=3, max_side=3))
def test_broadcast_gradient_property(vqnet_backend, data, shapes):
    """The gradient of a broadcast product sums back to each operand's shape."""
    a = data.draw(_arrays(shapes.input_shapes[0]), label="a") / 1e3
    b = data.draw(_arrays(shapes.input_shapes[1]), label="b") / 1e3
    ta = vq.tensor(a, dtype="float64", requires_grad=True)
    tb = vq.tensor(b, dtype="float64", requires_grad=True)
    (ta * tb).sum().backward()
    ga = np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape))
    gb = np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape))
    lead_a = ga.ndim - a.ndim
    ga = ga.sum(tuple(range(lead_a)) + tuple(i + lead_a for i, s in enumerate(a.shape)
                                               if s == 1), keepdims=False).reshape(a.shape)
    lead_b = gb.ndim - b.ndim
    gb = gb.sum(tuple(range(lead_b)) + tuple(i + lead_b for i, s in enumerate(b.shape)
                                               if s == 1), keepdims=False).reshape(b.shape)
    check_tensor(ta.grad, ga, "float64", f"grad of a {a.shape} in a*b with b {b.shape}")
    check_tensor(tb.grad, gb, "float64", f"grad of b {b.shape} in a*b with a {a.shape}")
