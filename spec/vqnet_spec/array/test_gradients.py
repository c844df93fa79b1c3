"""``vqnet_core.autograd.gradcheck`` of every differentiable QTensor op, in float64 and (where the
op is defined for complex input) complex128, with the backend under test active.

Inputs stay away from kinks (|x| > 0.2 for abs, no ties unless a case is about ties), so that
central differences are exact enough; the gradcheck tolerances are the core's defaults.
"""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.autograd import gradcheck

from ..compare import rng_for
from ._caps import require_dtype

R, C = "float64", "complex128"


def _rand(rng, shape, dtype, lo=-1.5, hi=1.5, away=0.0):
    x = rng.uniform(lo, hi, size=shape)
    if away:
        x = np.where(np.abs(x) < away, np.sign(x + 1e-12) * away + x, x)
    if dtype == C:
        x = x + 1j * rng.uniform(lo, hi, size=shape)
    return x


def _leaf(x, dtype, grad=True):
    return vq.tensor(np.asarray(x), dtype=dtype, requires_grad=grad)


def _ties(dtype):
    # each row holds two equal maxima and two equal minima: the gradient splits between them
    x = np.array([[0.5, 2.0, -1.0, 2.0, -1.0], [1.0, -0.3, 1.0, 0.7, -0.3]])
    return x.astype(dtype)


def _idx(x):
    return vq.tensor(np.asarray(x, dtype=np.int64))


# name -> (function of the inputs, input makers (rng, dtype) -> array, dtypes)
CASES: dict[str, tuple] = {}


def case(name, fn, *makers, dtypes=(R, C)):
    CASES[name] = (fn, makers, dtypes)


def shp(*shape, lo=-1.5, hi=1.5, away=0.0):
    return lambda rng, dt: _rand(rng, shape, dt, lo, hi, away)


def pos(*shape, lo=0.3, hi=2.0):
    return lambda rng, dt: _rand(rng, shape, R, lo, hi) if dt == R else _rand(rng, shape, dt,
                                                                              lo, hi)


def frac(*shape):
    """Values k + 0.3 .. k + 0.7: far from the jumps of floor / round / remainder."""
    return lambda rng, dt: (rng.integers(-3, 3, size=shape) + rng.uniform(0.3, 0.7, shape))


# ---- unary math
for _op in ["neg", "exp", "sin", "cos", "tanh", "sinh", "cosh", "square", "atan", "asinh",
            "sigmoid", "erf", "expm1"]:
    case(_op, getattr(vq, _op), shp(2, 3, lo=-1.2, hi=1.2),
         dtypes=(R, C) if _op in ("neg", "exp", "sin", "cos", "tanh", "sinh", "cosh",
                                  "square") else (R,))
case("log", vq.log, pos(2, 3))
case("sqrt", vq.sqrt, pos(2, 3))
case("rsqrt", vq.rsqrt, pos(2, 3), dtypes=(R,))
case("log1p", vq.log1p, shp(2, 3, lo=-0.5, hi=2.0), dtypes=(R,))
case("tan", vq.tan, shp(2, 3, lo=-1.0, hi=1.0))
case("asin", vq.asin, shp(2, 3, lo=-0.8, hi=0.8), dtypes=(R,))
case("acos", vq.acos, shp(2, 3, lo=-0.8, hi=0.8), dtypes=(R,))
case("atanh", vq.atanh, shp(2, 3, lo=-0.8, hi=0.8), dtypes=(R,))
case("acosh", vq.acosh, shp(2, 3, lo=1.2, hi=3.0), dtypes=(R,))
case("reciprocal", vq.reciprocal, shp(2, 3, away=0.4))
case("abs", vq.abs, shp(2, 3, away=0.2))
case("relu", vq.relu, shp(2, 3, away=0.2), dtypes=(R,))
case("conj", lambda x: vq.conj(x) * vq.tensor([1.0, 2.0, 3.0], dtype=C), shp(2, 3),
     dtypes=(C,))
for _op in ["floor", "ceil", "round", "trunc", "sign"]:
    case(_op, lambda x, _op=_op: getattr(vq, _op)(x) * x, frac(2, 3), dtypes=(R,))

# ---- binary, with broadcasting and Python scalars
for _op in ["add", "sub", "mul"]:
    case(f"{_op}_broadcast", getattr(vq, _op), shp(2, 3), shp(3))
    case(f"{_op}_broadcast_both", getattr(vq, _op), shp(2, 1), shp(1, 3))
case("div_broadcast", vq.div, shp(2, 3), shp(2, 1, away=0.5))
case("pow_tensor_tensor", vq.pow, pos(2, 3), shp(3), dtypes=(R,))
case("pow_complex", vq.pow, shp(2, 3, away=0.3), shp(2, 3, lo=-1, hi=1), dtypes=(C,))
case("pow_scalar_exponent", lambda x: x ** 3, shp(2, 3))
case("pow_scalar_base", lambda x: 2.0 ** x, shp(2, 3))
case("scalar_ops", lambda x: (2.5 - x) * 1.5 / (x * x + 3.0) + x / 2, shp(2, 3))
case("maximum", vq.maximum, shp(2, 3), shp(3), dtypes=(R,))
case("minimum", vq.minimum, shp(2, 3), shp(2, 1), dtypes=(R,))
case("atan2", vq.atan2, shp(2, 3, away=0.3), shp(3, away=0.3), dtypes=(R,))
case("remainder", vq.remainder, frac(2, 3), lambda rng, dt: np.array([1.0, 1.0, 1.0]),
     dtypes=(R,))
case("floor_divide", lambda a, b: vq.floor_divide(a, b) * a, frac(2, 3),
     lambda rng, dt: np.array([1.0, 1.0, 1.0]), dtypes=(R,))
case("where", lambda a, b: vq.where(vq.tensor([[True], [False]]), a, b), shp(2, 3), shp(3))
case("where_scalar", lambda a: vq.where(a > 0, a * a, 0.5), shp(2, 3, away=0.2), dtypes=(R,))
case("clip", lambda a: vq.clip(a, -0.5, 0.6), frac(2, 3), dtypes=(R,))

# ---- reductions and scans
case("sum_all", lambda x: vq.sum(x), shp(2, 3, 2))
case("sum_axis", lambda x: vq.sum(x, 1), shp(2, 3, 2))
case("sum_axes_keepdims", lambda x: vq.sum(x, (0, 2), keepdims=True), shp(2, 3, 2))
case("mean", lambda x: vq.mean(x, -1), shp(2, 3, 2))
case("max_ties", lambda x: vq.max(x, 1), lambda rng, dt: _ties(R), dtypes=(R,))
case("min_ties_keepdims", lambda x: vq.min(x, 1, keepdims=True), lambda rng, dt: _ties(R),
     dtypes=(R,))
case("max_all", lambda x: vq.max(x), shp(2, 3), dtypes=(R,))
case("prod", lambda x: vq.prod(x, 1), shp(2, 4))
case("prod_one_zero", lambda x: vq.prod(x, 1),
     lambda rng, dt: np.array([[0.0, 1.5, -2.0], [0.5, 0.7, 1.2]]), dtypes=(R,))
case("prod_two_zeros", lambda x: vq.prod(x),
     lambda rng, dt: np.array([[0.0, 1.5], [0.0, 0.7]]), dtypes=(R,))
case("var", lambda x: vq.var(x, 1), shp(3, 4))
case("var_biased_all", lambda x: vq.var(x, unbiased=False), shp(3, 4), dtypes=(R,))
case("std", lambda x: vq.std(x, 0, keepdims=True), shp(3, 4), dtypes=(R,))
case("logsumexp", lambda x: vq.logsumexp(x, 1), shp(3, 4), dtypes=(R,))
case("norm_2", lambda x: vq.norm(x, 2, 1), shp(3, 4, away=0.1))
case("norm_1", lambda x: vq.norm(x, 1), shp(3, 4, away=0.1), dtypes=(R,))
case("norm_inf", lambda x: vq.norm(x, float("inf"), 1), shp(3, 4), dtypes=(R,))
case("norm_3", lambda x: vq.norm(x, 3, 0), shp(3, 4, away=0.1), dtypes=(R,))
case("cumsum", lambda x: vq.cumsum(x, 1), shp(2, 4))
case("cumprod", lambda x: vq.cumprod(x, 1), shp(2, 4, away=0.3))
case("sort_values", lambda x: vq.sort(x, 1)[0], shp(3, 4), dtypes=(R,))
case("sort_descending", lambda x: vq.sort(x, 0, descending=True)[0], shp(3, 4), dtypes=(R,))
case("topk_values", lambda x: vq.topk(x, 2, 1)[0], shp(3, 4), dtypes=(R,))
case("softmax", lambda x: vq.softmax(x, 1), shp(3, 4), dtypes=(R,))
case("log_softmax", lambda x: vq.log_softmax(x, 0), shp(3, 4), dtypes=(R,))

# ---- movement
case("reshape", lambda x: x.reshape(3, -1) * vq.arange(4.0, dtype=x.dtype), shp(2, 6))
case("permute", lambda x: x.permute(2, 0, 1) * vq.arange(3.0, dtype=x.dtype), shp(2, 3, 4))
case("transpose", lambda x: x.transpose(0, 1) @ x, shp(3, 2))
case("flatten", lambda x: vq.flatten(x, 1) ** 2, shp(2, 2, 3))
case("squeeze_unsqueeze", lambda x: vq.unsqueeze(vq.squeeze(x, 1), 0) ** 2, shp(2, 1, 3))
case("broadcast_to", lambda x: vq.broadcast_to(x, (4, 2, 3)) * vq.arange(3.0, dtype=x.dtype),
     shp(2, 1))
case("concatenate", lambda a, b: vq.concatenate([a, b, a], 1) ** 2, shp(2, 3), shp(2, 1))
case("stack", lambda a, b: vq.stack([a, b], 1) ** 2, shp(2, 3), shp(2, 3))
case("split", lambda x: [p * (i + 1) for i, p in enumerate(vq.split(x, [1, 3], 1))][1].sum()
     + vq.split(x, 2, 1)[0].exp().sum(), shp(2, 4))
case("chunk", lambda x: vq.chunk(x, 2, 0)[1] ** 2, shp(4, 2))
case("tile", lambda x: vq.tile(x, (2, 3)) ** 2, shp(2, 2))
case("repeat_interleave", lambda x: vq.repeat_interleave(x, 2, 1) ** 2, shp(2, 2))
case("pad", lambda x: vq.pad(x, (1, 2, 0, 1), 0.5) ** 2, shp(2, 3))
case("flip", lambda x: vq.flip(x, 1) * vq.arange(3.0, dtype=x.dtype), shp(2, 3))

# ---- indexing
case("getitem_basic", lambda x: x[1:, ::-1, None, 0] ** 2, shp(3, 4, 2))
case("getitem_ellipsis", lambda x: x[..., 1] ** 2, shp(3, 4, 2))
case("getitem_advanced_repeated", lambda x: x[_idx([0, 2, 0, -1]), 1:] ** 2, shp(3, 4))
case("getitem_mask", lambda x: x[x.real > 0 if x.dtype.is_complex else x > 0] ** 2,
     shp(3, 4, away=0.1))
case("index_put", lambda x, v: _setitem(x, (_idx([0, 2]), slice(1, 3)), v), shp(3, 4),
     shp(2, 2))
case("index_put_broadcast", lambda x, v: _setitem(x, 1, v), shp(3, 4), shp(1))
case("gather", lambda x: vq.gather(x, 1, _idx([[0, 0, 3], [2, 1, 1]])), shp(2, 4))
case("gather_smaller_index", lambda x: vq.gather(x, 0, _idx([[1, 0], [1, 1]])), shp(3, 4))
case("scatter_add", lambda x, s: vq.scatter_add(x, 0, _idx([[0, 1, 0], [0, 2, 2]]), s),
     shp(3, 3), shp(2, 3))
case("scatter_add_smaller_index", lambda x, s: vq.scatter_add(x, 1, _idx([[0, 0], [2, 0]]), s),
     shp(3, 4), shp(2, 3))

# ---- contractions
case("matmul_1d_1d", vq.matmul, shp(3), shp(3))
case("matmul_1d_2d", vq.matmul, shp(3), shp(3, 2))
case("matmul_2d_1d", vq.matmul, shp(2, 3), shp(3))
case("matmul_2d", vq.matmul, shp(2, 3), shp(3, 4))
case("matmul_batched_broadcast", vq.matmul, shp(2, 1, 2, 3), shp(3, 3, 2))
case("dot", vq.dot, shp(3), shp(3))
case("outer", vq.outer, shp(3), shp(2))
case("kron", vq.kron, shp(2, 2), shp(2, 1))
case("diag_trace", lambda x: vq.diag(x) * vq.trace(x), shp(3, 3))
case("einsum_matmul", lambda a, b: vq.einsum("ij,jk->ik", a, b), shp(2, 3), shp(3, 2))
case("einsum_batched", lambda a, b: vq.einsum("bij,bjk->bik", a, b), shp(2, 2, 3), shp(2, 3, 2))
case("einsum_ellipsis", lambda a, b: vq.einsum("...ij,...jk->...ik", a, b), shp(2, 2, 3),
     shp(3, 2))
case("einsum_implicit", lambda a, b: vq.einsum("ij,jk", a, b), shp(2, 3), shp(3, 2))
case("einsum_trace_out", lambda a, b: vq.einsum("i,j->", a, b), shp(3), shp(2))
case("einsum_three", lambda a, b, c: vq.einsum("ab,bc,c->a", a, b, c), shp(2, 3), shp(3, 2),
     shp(2))
case("einsum_broadcast_one", lambda a, b: vq.einsum("ij,ij->i", a, b), shp(2, 3), shp(1, 3))

# ---- dtype changes and complex parts
case("astype_real_to_complex",
     lambda x: x.astype(C) * vq.tensor([1 + 2j, -0.5j, 1.0], dtype=C), shp(2, 3), dtypes=(R,))
case("astype_complex_to_real", lambda x: x.astype(R) * 2.0, shp(2, 3), dtypes=(C,))
case("real_imag", lambda x: x.real * 2.0 + x.imag ** 2, shp(2, 3), dtypes=(C,))
case("abs_complex", vq.abs, shp(2, 3, away=0.2), dtypes=(C,))
case("angle_complex", vq.angle, shp(2, 3, away=0.2), dtypes=(C,))
case("complex_from_parts", lambda a, b: vq.complex(a, b) * vq.tensor(1 - 2j, dtype=C),
     shp(2, 3), shp(3), dtypes=(R,))


def _setitem(x, key, v):
    y = x * 1.0
    y[key] = v
    return y * y


@pytest.mark.parametrize("name,dtype", [(n, d) for n, (_, _, ds) in CASES.items() for d in ds])
def test_gradcheck(vqnet_backend, name, dtype):
    """Autograd's vector-Jacobian product matches central differences."""
    require_dtype(vqnet_backend, dtype, "int64", "bool")
    fn, makers, _ = CASES[name]
    rng = rng_for("gradcheck", name, dtype)
    inputs = [_leaf(m(rng, dtype), dtype) for m in makers]
    assert gradcheck(fn, inputs), f"gradcheck of {name} in {dtype}"


def test_every_differentiable_op_is_covered():
    """A guard for the suite itself: every public differentiable function has a case."""
    public = {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "matmul", "einsum",
              "softmax", "log_softmax", "logsumexp", "norm", "var", "std", "prod", "cumsum",
              "cumprod", "gather", "scatter_add", "pad", "flip", "tile", "where", "clip"}
    names = " ".join(CASES)
    missing = sorted(p for p in public if p not in names)
    assert not missing, f"no gradcheck case for {missing}"
